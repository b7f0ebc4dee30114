// One scored segment as result rows (Postgres) and a result event (schemas/result-event.schema.json).
import Foundation
import Kafka
import Model
import Sinks

struct ResultMessage {
    let event: SegmentEvent
    let scores: SegmentScore
    /// The scoring model as the results name it; `modelTrained` false marks a random-weight model.
    let modelName: String, modelVersion: String, modelTrained: Bool
    /// The consumed message, and the replay run that re-sent it (nil for live traffic).
    let message: KafkaMessage
    let replayID: String?
    /// Milliseconds spent on the media (download included) and in the model (the segment's share of its batch).
    let mediaMs: Double, modelMs: Double
    let scoredAt: Date

    init<S: SegmentScorer>(event: SegmentEvent, scores: SegmentScore, scorer: S, message: KafkaMessage,
                           replayID: String?, mediaMs: Double, modelMs: Double, scoredAt: Date) {
        self.event = event
        self.scores = scores
        modelName = scorer.modelName
        modelVersion = scorer.modelVersion
        modelTrained = scorer.modelTrained
        self.message = message
        self.replayID = replayID
        self.mediaMs = mediaMs
        self.modelMs = modelMs
        self.scoredAt = scoredAt
    }

    /// The label set the segment was scored with, "default" for the model's own labels.
    var labelSet: String { event.labelSet ?? ResultRow.defaultLabelSet }

    func rows() -> [ResultRow] {
        scores.tasks.map { t in
            ResultRow(segmentID: event.segmentID, modelVersion: modelVersion, task: t.task, modelName: modelName,
                      streamID: event.streamID, startMs: event.startMs, durationMs: event.durationMs, kind: t.kind.rawValue,
                      scores: Array(zip(t.labels, t.probabilities)), predicted: t.predicted,
                      modalities: scores.modalities.map(\.rawValue), modelTrained: modelTrained, decodeMs: mediaMs, modelMs: modelMs,
                      endToEndMs: Date().timeIntervalSince(event.producedAt) * 1000, replayID: replayID,
                      source: (message.topic, message.partition, message.offset), producedAt: event.producedAt,
                      scoredAt: scoredAt, metadataJSON: event.metadataJSON,
                      scoredStartMs: scores.scoredStartMs, scoredDurationMs: scores.scoredDurationMs, labelSet: labelSet)
        }
    }

    func json() -> [UInt8] {
        var tasks: [String: Any] = [:]
        for t in scores.tasks {
            var s: [String: Any] = [:]
            for (l, p) in zip(t.labels, t.probabilities) { s[l] = Double(p) }
            tasks[t.task] = ["kind": t.kind.rawValue, "scores": s, "predicted": t.predicted]
        }
        var obj: [String: Any] = [
            "segment_id": event.segmentID, "stream_id": event.streamID, "start_ms": event.startMs,
            "duration_ms": event.durationMs,
            "model": ["name": modelName, "version": modelVersion, "trained": modelTrained],
            "label_set": labelSet, "modalities": scores.modalities.map(\.rawValue), "tasks": tasks,
            "latency_ms": ["media": mediaMs, "model": modelMs,
                           "end_to_end": Date().timeIntervalSince(event.producedAt) * 1000],
            "source": ["topic": message.topic, "partition": Int(message.partition), "offset": message.offset],
            "produced_at": RFC3339.format(event.producedAt), "scored_at": RFC3339.format(scoredAt),
        ]
        if let replayID { obj["replay_id"] = replayID }
        if let start = scores.scoredStartMs, let duration = scores.scoredDurationMs {
            obj["scored_window"] = ["start_ms": start, "duration_ms": duration]
        }
        if let md = try? JSONSerialization.jsonObject(with: Data(event.metadataJSON.utf8)) { obj["metadata"] = md }
        return Array((try? JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])) ?? Data())
    }
}
