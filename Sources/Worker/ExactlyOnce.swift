// ExactlyOnce: the committer's transactional side: one Kafka transaction holds the result and DLQ records
// below the watermarks it commits, and those watermarks as the group's offsets.
import Foundation
import Kafka

/// The records of written segments wait here until their partition's watermark (OffsetTracker) passes
/// them. Segments finish out of order (the decode lanes), so a record above the watermark waits for a
/// later transaction; a transaction therefore carries exactly the records of the offsets it commits, and
/// a crash keeps both or neither (the segments are then read and scored again: their Postgres rows are
/// upserted again, their records sent again in a new transaction). Records of a revoked partition are
/// dropped unsent (its next owner scores them). Calls block in librdkafka: the committer's and the sink
/// stage's threads make them, one at a time (the committer's lock).
final class ExactlyOnce: @unchecked Sendable {
    let producer: KafkaProducer
    let transactionalID: String
    private let kafka: KafkaSink
    private let context: StageContext
    private let lock = NSLock()
    private var held: BatchOutput
    private var tickets: [MessageKey: OffsetTicket] = [:]
    /// A transaction was begun and not ended (its abort failed): aborted before the next one.
    private var open = false
    private var counts = (committed: 0, aborted: 0)

    struct MessageKey: Hashable {
        let partition: TopicPartition
        let offset: Int64
        init(_ m: KafkaMessage) { (partition, offset) = (TopicPartition(m.topic, m.partition), m.offset) }
        init(_ t: OffsetTicket) { (partition, offset) = (t.partition, t.offset) }
    }

    init(producer: KafkaProducer, transactionalID: String, kafka: KafkaSink, context: StageContext, dlqTopic: String,
         maxMessageBytes: Int) {
        self.producer = producer
        self.transactionalID = transactionalID
        self.kafka = kafka
        self.context = context
        held = BatchOutput(dlqTopic: dlqTopic, maxMessageBytes: maxMessageBytes)
    }

    /// Transactions committed and aborted so far.
    var transactions: (committed: Int, aborted: Int) { lock.withLock { counts } }

    /// Keeps the records of a batch written to Postgres until a transaction carries them. Call it before
    /// completing the batch's tickets, so that a watermark past them always finds their records here.
    func hold(_ out: BatchOutput, tickets batch: [OffsetTicket]) {
        lock.withLock {
            held.scored += out.scored
            held.failed += out.failed
            for t in batch { tickets[MessageKey(t)] = t }
        }
    }

    /// Registers the transactional.id with the brokers, fencing an earlier producer of the same id (a
    /// worker instance's previous life) and aborting the transaction it left open. Blocking.
    func initialise() throws {
        do { try producer.initTransactions() } catch let e as KafkaError where e.isFatal { throw FatalSinkError(e) }
    }

    /// One transaction: the held records below `points`, then `points` as the next offsets of the consumer's
    /// group (under its current generation, so a member that lost its partitions cannot commit them).
    /// On failure the transaction is aborted, the records stay held, and the error is thrown; a fatal one
    /// (fenced) as FatalSinkError.
    func commit(_ points: [TopicPartition: Int64], consumer: KafkaConsumer) throws {
        var (out, keys) = release(below: points)
        do {
            try transact(&out, points, consumer)
        } catch {
            lock.withLock {
                held.scored += out.scored
                held.failed += out.failed
            }
            throw error
        }
        lock.withLock {
            for k in keys { tickets[k] = nil }
            counts.committed += 1
        }
        context.metrics.inc("merclip_transactions_total", ["outcome": "committed"])
    }

    /// Takes out the held records below `points`; drops those of partitions revoked since.
    private func release(below points: [TopicPartition: Int64]) -> (BatchOutput, [MessageKey]) {
        lock.withLock {
            var out = BatchOutput(dlqTopic: held.dlqTopic, maxMessageBytes: held.maxMessageBytes)
            var keys: [MessageKey] = []
            func take(_ m: KafkaMessage) -> Bool? {
                let key = MessageKey(m)
                guard let t = tickets[key], context.tracker.isCurrent(t) else {
                    tickets[key] = nil
                    return nil
                }
                guard let point = points[key.partition], key.offset < point else { return false }
                keys.append(key)
                return true
            }
            var scored: [BatchOutput.Scored] = [], failed: [BatchOutput.Failed] = []
            for s in held.scored {
                switch take(s.message) {
                case true?: out.scored.append(s)
                case false?: scored.append(s)
                case nil: continue
                }
            }
            for f in held.failed {
                switch take(f.message) {
                case true?: out.failed.append(f)
                case false?: failed.append(f)
                case nil: continue
                }
            }
            (held.scored, held.failed) = (scored, failed)
            return (out, keys)
        }
    }

    private func transact(_ out: inout BatchOutput, _ points: [TopicPartition: Int64], _ consumer: KafkaConsumer) throws {
        while true {
            try abortOpen()
            do { try producer.beginTransaction() } catch { throw failed(error) }
            open = true
            do {
                if try kafka.sendOnce(&out) {
                    try producer.sendOffsetsToTransaction(points, consumer: consumer)
                    try commitRetrying()
                    open = false
                    return
                }
            } catch {
                throw failed(error)
            }
            // Records refused for what they are were resolved (to the DLQ, or cut): the transaction again.
            context.log.warn("a record was refused inside the transaction; aborting it and sending the batch again",
                             ["transactional_id": transactionalID])
            try abortOpen()
        }
    }

    /// commit_transaction again on a retriable error (it may have reached the coordinator), a few times.
    private func commitRetrying() throws {
        for attempt in 1... {
            do {
                try producer.commitTransaction()
                return
            } catch let e as KafkaError where e.isRetriable && !e.requiresAbort && !e.isFatal && attempt < 3
                && !context.shutdown.stagesOutOfTime {
                context.log.warn("commit transaction failed, trying again", ["error": e.reason, "attempt": attempt])
                context.shutdown.sleep(0.5)
            }
        }
    }

    /// The error to throw for a failed transaction, after aborting it: fatal errors become FatalSinkError
    /// (an abort is pointless then), refusals for a stale group generation raise the group fence.
    private func failed(_ error: Error) -> Error {
        if let e = error as? KafkaError {
            if e.isFatal { return FatalSinkError(e) }
            if GroupFence.rebalanceCodes.contains(e.code) || e.code == 82 { context.fence.raise() }  // 82: FENCED_INSTANCE_ID
        }
        if let fatal = error as? FatalSinkError { return fatal }
        do { try abortOpen() } catch { return error }
        return error
    }

    private func abortOpen() throws {
        guard open else { return }
        do {
            try producer.abortTransaction()
        } catch let e as KafkaError where e.isFatal {
            throw FatalSinkError(e)
        }
        open = false
        lock.withLock { counts.aborted += 1 }
        context.metrics.inc("merclip_transactions_total", ["outcome": "aborted"])
    }
}

/// The transactional producer cannot go on (fenced by a newer instance with the same transactional.id, or
/// another fatal librdkafka error): the worker stops, with its work uncommitted, and exits non-zero.
struct FatalSinkError: Error, CustomStringConvertible {
    let error: KafkaError
    init(_ error: KafkaError) { self.error = error }
    var description: String {
        "the transactional producer failed fatally (\(error.reason)); another worker with the same transactional.id "
            + "(group and --instance-id) may have started and fenced this one"
    }
}
