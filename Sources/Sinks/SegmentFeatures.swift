// One stored row of modality features: what `merclip rescore` needs to score a segment again without media.
import Foundation

public struct SegmentFeatures: Sendable, Equatable {
    public var segmentID: String
    public var encoderDigest: String
    public var streamID: String
    public var startMs: Int64
    public var durationMs: Int64
    /// Feature width d.
    public var dim: Int
    /// Per modality ("language", "vision", "audio") present: its rows [T, d], row-major.
    public var modalities: [String: [Float]]
    public var modelName: String
    public var modelVersion: String
    public var source: (topic: String, partition: Int32, offset: Int64)?
    public var producedAt: Date?
    public var metadataJSON: String

    public init(segmentID: String, encoderDigest: String, streamID: String, startMs: Int64, durationMs: Int64, dim: Int,
                modalities: [String: [Float]], modelName: String, modelVersion: String,
                source: (topic: String, partition: Int32, offset: Int64)? = nil, producedAt: Date? = nil,
                metadataJSON: String = "{}") {
        self.segmentID = segmentID; self.encoderDigest = encoderDigest; self.streamID = streamID
        self.startMs = startMs; self.durationMs = durationMs; self.dim = dim; self.modalities = modalities
        self.modelName = modelName; self.modelVersion = modelVersion; self.source = source
        self.producedAt = producedAt; self.metadataJSON = metadataJSON
    }

    /// The modalities in storage order.
    static let order = ["language", "vision", "audio"]

    public static func == (a: SegmentFeatures, b: SegmentFeatures) -> Bool {
        a.segmentID == b.segmentID && a.encoderDigest == b.encoderDigest && a.dim == b.dim && a.modalities == b.modalities
    }
}
