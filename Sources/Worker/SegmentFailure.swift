// SegmentFailure: why one segment goes to the DLQ (stage, error class, reason).
import Foundation

struct SegmentFailure: Sendable {
    let stage: String
    let errorClass: String
    let reason: String
    /// The decoded event, when decoding got that far.
    let event: SegmentEvent?
}
