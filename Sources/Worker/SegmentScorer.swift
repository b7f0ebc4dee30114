// What the worker needs from the model side: prepare one segment's media, score a batch.
import Media

/// The scores of one task for one segment.
public struct TaskScore: Sendable {
    public var task: String
    /// "multi_label" or "single_label".
    public var kind: String
    public var labels: [String]
    public var probabilities: [Float]
    public var predicted: [String]

    public init(task: String, kind: String, labels: [String], probabilities: [Float], predicted: [String]) {
        self.task = task; self.kind = kind; self.labels = labels; self.probabilities = probabilities
        self.predicted = predicted
    }
}

/// A scored segment: per-task scores and the modalities it had.
public struct SegmentScores: Sendable {
    public var tasks: [TaskScore]
    /// Of "language", "vision", "audio", in fusion order.
    public var modalities: [String]
    public init(tasks: [TaskScore], modalities: [String]) { self.tasks = tasks; self.modalities = modalities }
}

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
    func score(_ batch: [Prepared], labelSets: [String?]) throws -> [SegmentScores]
}
