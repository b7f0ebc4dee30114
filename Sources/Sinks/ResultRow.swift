// One row of the results table: a segment's scores for one task and model version.
import Foundation

public struct ResultRow: Sendable, Equatable {
    public var segmentID: String
    public var modelVersion: String
    public var task: String
    /// The label set the scores are for ("default": the model's own labels); part of the row's identity.
    public var labelSet: String
    public var modelName: String
    public var streamID: String
    public var startMs: Int64
    public var durationMs: Int64
    /// The window that was scored (the requested one clamped to the media's end), when known.
    public var scoredStartMs: Int64?
    public var scoredDurationMs: Int64?
    public var kind: String
    /// Label → probability, in label order.
    public var scores: [(String, Float)]
    public var predicted: [String]
    public var modalities: [String]
    public var modelTrained: Bool
    public var decodeMs: Double?
    public var modelMs: Double?
    public var endToEndMs: Double?
    public var replayID: String?
    public var source: (topic: String, partition: Int32, offset: Int64)?
    public var producedAt: Date?
    public var scoredAt: Date
    public var metadataJSON: String

    public init(segmentID: String, modelVersion: String, task: String, modelName: String, streamID: String,
                startMs: Int64, durationMs: Int64, kind: String, scores: [(String, Float)], predicted: [String],
                modalities: [String], modelTrained: Bool, decodeMs: Double? = nil, modelMs: Double? = nil,
                endToEndMs: Double? = nil, replayID: String? = nil,
                source: (topic: String, partition: Int32, offset: Int64)? = nil,
                producedAt: Date? = nil, scoredAt: Date = Date(), metadataJSON: String = "{}",
                scoredStartMs: Int64? = nil, scoredDurationMs: Int64? = nil,
                labelSet: String = ResultRow.defaultLabelSet) {
        self.labelSet = labelSet
        self.segmentID = segmentID; self.modelVersion = modelVersion; self.task = task; self.modelName = modelName
        self.streamID = streamID; self.startMs = startMs; self.durationMs = durationMs; self.kind = kind
        self.scores = scores; self.predicted = predicted; self.modalities = modalities; self.modelTrained = modelTrained
        self.decodeMs = decodeMs; self.modelMs = modelMs; self.endToEndMs = endToEndMs; self.replayID = replayID
        self.source = source; self.producedAt = producedAt; self.scoredAt = scoredAt; self.metadataJSON = metadataJSON
        self.scoredStartMs = scoredStartMs; self.scoredDurationMs = scoredDurationMs
    }

    /// The label set of rows scored with the model's own labels.
    public static let defaultLabelSet = "default"

    public static func == (a: ResultRow, b: ResultRow) -> Bool {
        a.segmentID == b.segmentID && a.modelVersion == b.modelVersion && a.task == b.task && a.labelSet == b.labelSet
            && a.scores.map(\.0) == b.scores.map(\.0) && a.scores.map(\.1) == b.scores.map(\.1)
            && a.predicted == b.predicted
    }

    /// The scores as a JSON object text, labels in order.
    public var scoresJSON: String {
        "{" + scores.map { "\(jsonString($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
    }
}

/// One row of the failures table: an event that went to the DLQ.
public struct FailureRow: Sendable {
    public var segmentID: String?
    public var streamID: String?
    public var stage: String
    public var errorClass: String
    public var reason: String
    public var sourceTopic: String
    public var sourcePartition: Int32
    public var sourceOffset: Int64
    public var replayID: String?
    public var payloadExcerpt: String?

    public init(segmentID: String?, streamID: String?, stage: String, errorClass: String, reason: String,
                sourceTopic: String, sourcePartition: Int32, sourceOffset: Int64, replayID: String? = nil,
                payloadExcerpt: String? = nil) {
        self.segmentID = segmentID; self.streamID = streamID; self.stage = stage; self.errorClass = errorClass
        self.reason = reason; self.sourceTopic = sourceTopic; self.sourcePartition = sourcePartition
        self.sourceOffset = sourceOffset; self.replayID = replayID; self.payloadExcerpt = payloadExcerpt
    }
}

/// A JSON string literal.
public func jsonString(_ s: String) -> String {
    let data = try! JSONSerialization.data(withJSONObject: [s], options: [])
    return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
}

/// A Postgres text[] literal.
func pgArray(_ items: [String]) -> String {
    "{" + items.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
        .joined(separator: ",") + "}"
}
