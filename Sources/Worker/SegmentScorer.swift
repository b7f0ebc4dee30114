// What the worker needs from the model side: prepare one segment's media, score a batch.
import Media
import Model

/// The model side of the worker. Both methods block; the worker calls them from its own threads.
public protocol SegmentScorer: AnyObject, Sendable {
    associatedtype Prepared: Sendable

    var modelName: String { get }
    var modelVersion: String { get }
    var modelTrained: Bool { get }

    /// Label-set names that events may ask for (besides none).
    var labelSets: Set<String> { get }

    /// Decodes and preprocesses one segment. Throws `MediaError` (or `WorkerError`) for bad input.
    func prepare(media: MediaInput, window: SegmentWindow, transcript: String?) throws -> Prepared

    /// Scores a batch; `labelSets[i]` is segment i's label-set name or nil. One result per input, in order.
    func score(_ batch: [Prepared], labelSets: [String?]) throws -> [SegmentScore]

    /// When scores carry their features (a feature store is on): the digest of the encoders that computed
    /// them, and the feature width d.
    var featureDigest: String? { get }
    var featureWidth: Int { get }
}

extension SegmentScorer {
    public var featureDigest: String? { nil }
    public var featureWidth: Int { 0 }
}
