// KafkaSink: a batch's result messages and DLQ copies, with the rule for messages the producer refuses for good.
import Foundation
import Kafka
import Sinks

/// Errors that are a property of one message (too large, invalid) are resolved here, never retried
/// as they are: a result message goes to the DLQ instead (`sink.too_large` / `sink.invalid_record`), a
/// DLQ copy is cut to half its value and sent again, down to an empty value, after which it is dropped
/// with an error line (the failures row holds the event). Other errors are thrown, for the caller's retry.
struct KafkaSink {
    let producer: KafkaProducer
    let postgres: PostgresSink
    let retrier: Retrier
    private var metrics: Metrics { retrier.context.metrics }
    private var log: Log { retrier.context.log }

    /// Kafka protocol codes that describe the message itself: MESSAGE_TOO_LARGE, RECORD_LIST_TOO_LARGE, INVALID_RECORD.
    static let messageFaults: Set<Int32> = [10, 18, 87]

    private enum Pending {
        case result(BatchOutput.Scored)
        case dlq(Int)   // index in out.failed
    }

    /// Sends everything in `out`; on return every record was acknowledged or resolved by the rule above.
    func send(_ out: inout BatchOutput) throws {
        var pending: [Pending] = out.scored.map { .result($0) } + out.failed.indices.map { .dlq($0) }
        try retrier.run("kafka") {
            while !pending.isEmpty {
                let (again, systemError) = try attempt(pending, &out)
                pending = again
                if let systemError { throw systemError }
            }
        }
    }

    /// Exactly-once: sends everything in `out` once, inside the open transaction. True when every record
    /// was acknowledged; false when some were refused for what they are and were resolved by the rule
    /// above (`out` changed): the transaction must then be aborted and sent again. Other errors are thrown.
    func sendOnce(_ out: inout BatchOutput) throws -> Bool {
        let (again, systemError) = try attempt(out.scored.map { .result($0) } + out.failed.indices.map { .dlq($0) }, &out)
        if let systemError { throw systemError }
        return again.isEmpty
    }

    /// Sends `pending` once; returns what is to be sent again (failed for the system, or the resolved
    /// replacement of a refused message) and the first system error.
    private func attempt(_ pending: [Pending], _ out: inout BatchOutput) throws -> ([Pending], KafkaError?) {
        let records = pending.map { p -> KafkaRecord in
            switch p {
            case .result(let s): return s.record
            case .dlq(let i): return out.failed[i].dlq.record
            }
        }
        var again: [Pending] = []
        var systemError: KafkaError?
        for (p, r) in zip(pending, producer.sendAndWaitEach(records)) {
            guard case .failure(let e) = r else { continue }
            guard KafkaSink.messageFaults.contains(e.code) else {
                again.append(p)
                systemError = systemError ?? e
                continue
            }
            if let next = try resolve(p, e, &out) { again.append(next) }
        }
        return (again, systemError)
    }

    /// The record to send instead of one refused for what it is, or nil when there is none.
    private func resolve(_ p: Pending, _ e: KafkaError, _ out: inout BatchOutput) throws -> Pending? {
        switch p {
        case .result(let s):
            let errorClass = e.code == 87 ? "sink.invalid_record" : "sink.too_large"
            out.reject(s, stage: "kafka", errorClass: errorClass, reason: "result message refused: \(e.reason)")
            metrics.inc("merclip_dlq_total", ["stage": "kafka", "error_class": errorClass])
            let i = out.failed.count - 1
            let row = out.failed[i].row
            try retrier.run("postgres") { try postgres.writer.write(results: [], failures: [row]) }
            return .dlq(i)
        case .dlq(let i):
            let f = out.failed[i]
            let now = f.dlq.record.value.count
            guard now > 0 else {
                log.error("DLQ copy refused even with an empty value; the failures row keeps the event",
                          ["offset": f.message.offset, "error": e.reason])
                return nil
            }
            out.failed[i].dlq = DLQRecord(f.message, topic: f.dlq.record.topic, stage: f.stage, errorClass: f.errorClass,
                                          reason: f.reason, replayID: f.replayID, maxBytes: .max, valueLimit: now / 2)
            log.warn("DLQ copy refused, sending it cut to half", ["offset": f.message.offset, "bytes": now / 2, "error": e.reason])
            return .dlq(i)
        }
    }
}
