// BatchOutput: what one batch writes: scored segments (rows + result message) and failed ones (row + DLQ copy).
import Foundation
import Kafka
import Sinks

struct BatchOutput {
    struct Scored {
        let message: KafkaMessage
        let rows: [ResultRow]
        let record: KafkaRecord
        /// The segment's modality features, when the feature store is on.
        var features: SegmentFeatures? = nil
    }

    struct Failed {
        let message: KafkaMessage
        /// The event's ids, when it parsed far enough to have them.
        let segmentID: String?, streamID: String?
        /// Where it failed ("decode", "media", "model", "postgres", "kafka") and the error class of the DLQ header.
        let stage: String, errorClass: String
        let reason: String
        let replayID: String?
        var dlq: DLQRecord

        /// The failures row; it holds the whole event when the DLQ copy had to be cut.
        var row: FailureRow {
            let payload: String
            if dlq.truncatedFrom != nil {
                payload = String(bytes: message.value, encoding: .utf8) ?? "base64:" + Data(message.value).base64EncodedString()
            } else {
                payload = String(decoding: message.value.prefix(512), as: UTF8.self)
            }
            return FailureRow(segmentID: segmentID, streamID: streamID, stage: stage, errorClass: errorClass, reason: reason,
                              sourceTopic: message.topic, sourcePartition: message.partition, sourceOffset: message.offset,
                              replayID: replayID, payloadExcerpt: payload)
        }
    }

    var scored: [Scored] = []
    var failed: [Failed] = []
    let dlqTopic: String
    let maxMessageBytes: Int

    init(dlqTopic: String, maxMessageBytes: Int) {
        self.dlqTopic = dlqTopic
        self.maxMessageBytes = maxMessageBytes
    }

    var rows: [ResultRow] { scored.flatMap(\.rows) }
    var failureRows: [FailureRow] { failed.map(\.row) }

    /// Adds a failed segment and builds its DLQ copy.
    mutating func fail(_ m: KafkaMessage, segmentID: String?, streamID: String?, stage: String, errorClass: String,
                       reason: String, replayID: String?) {
        let dlq = DLQRecord(m, topic: dlqTopic, stage: stage, errorClass: errorClass, reason: reason, replayID: replayID,
                            maxBytes: maxMessageBytes)
        failed.append(Failed(message: m, segmentID: segmentID, streamID: streamID, stage: stage, errorClass: errorClass,
                             reason: reason, replayID: replayID, dlq: dlq))
    }

    /// Moves a scored segment to the failed ones (a sink refused it for good).
    mutating func reject(_ s: Scored, stage: String, errorClass: String, reason: String) {
        scored.removeAll { $0.message.topic == s.message.topic && $0.message.partition == s.message.partition
            && $0.message.offset == s.message.offset }
        fail(s.message, segmentID: s.rows.first?.segmentID, streamID: s.rows.first?.streamID, stage: stage,
             errorClass: errorClass, reason: reason, replayID: s.rows.first?.replayID)
    }
}
