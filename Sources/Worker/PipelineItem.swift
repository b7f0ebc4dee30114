// PipelineItem: one consumed message on its way through the stages, with what each stage made of it.
import Foundation
import Kafka
import Model

/// A consumed message, its offset ticket and how far it got. Stages hand it on; the sink stage
/// completes the ticket once the segment is written or in the DLQ.
struct PipelineItem<Prepared: Sendable>: Sendable {
    enum State: Sendable {
        /// Consumed, not yet decoded.
        case fetched
        /// Decoded and preprocessed in `mediaSeconds` (download, decode, preprocess).
        case ready(Prepared, SegmentEvent, mediaSeconds: Double)
        /// Scored; `modelSeconds` is this segment's share of its batch.
        case scored(SegmentScore, SegmentEvent, mediaSeconds: Double, modelSeconds: Double)
        case failed(SegmentFailure)
    }

    let message: KafkaMessage
    let ticket: OffsetTicket
    var state: State

    var replayID: String? { message.header(ReplayHeader.replayID).map { String(decoding: $0, as: UTF8.self) } }
}
