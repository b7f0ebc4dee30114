// Committer: commits each partition's watermark (OffsetTracker) when it moves, on a thread of its own.
import Foundation
import Kafka

/// Commits only partitions this member owns at that moment: a commit for revoked ones fails (unknown
/// member, illegal generation) and makes librdkafka join the group again. A failed commit is tried
/// again with backoff; the watermark stays, so nothing is skipped. In exactly-once mode the same
/// watermarks are committed, but through the transactional producer (ExactlyOnce), together with the
/// records below them; the consumer's own commit is then never used.
final class Committer: @unchecked Sendable {
    private let consumer: KafkaConsumer
    /// Set in exactly-once mode.
    let exactlyOnce: ExactlyOnce?
    private let context: StageContext
    private let initialWait: Double
    private let maxWait: Double
    private let condition = NSCondition()
    private var due = false
    private var stopped = false
    private let commitLock = NSLock()
    private var failures = 0
    private var retryAt = Date.distantPast
    private let finished = DispatchSemaphore(value: 0)
    private var fatalError: FatalSinkError?

    init(consumer: KafkaConsumer, context: StageContext, initialWait: Double, maxWait: Double, exactlyOnce: ExactlyOnce? = nil) {
        self.consumer = consumer
        self.exactlyOnce = exactlyOnce
        self.context = context
        self.initialWait = initialWait
        self.maxWait = maxWait
    }

    /// Commits on its own thread whenever a commit is due (or every 0.5 s), until stopped.
    func start() {
        StageThread.start("merclip-committer") { [self] in
            while true {
                condition.lock()
                if !due && !stopped { _ = condition.wait(until: Date().addingTimeInterval(0.5)) }
                let stop = stopped
                due = false
                condition.unlock()
                if stop { break }
                commit()
            }
            finished.signal()
        }
    }

    /// New offsets are complete.
    func notify() {
        condition.lock()
        due = true
        condition.signal()
        condition.unlock()
    }

    /// Ends the thread after its commit in progress, waiting for it until `deadline`.
    func stop(until deadline: Date) {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
        _ = finished.wait(timeout: .now() + max(0, deadline.timeIntervalSinceNow))
    }

    /// Before the sinks write a batch of `tps`: commits their current points, which confirms with the
    /// coordinator that this member still owns them, and every other owned partition's point that moved,
    /// so that written but uncommitted work is never more than the batch about to be written (a
    /// rebalance then makes its partitions' next owners write at most that batch again). False while the
    /// group is rebalancing (the fence is up); other failures (brokers down) do not hold the write.
    /// In exactly-once mode nothing is committed here: the transaction's offsets are refused for a stale
    /// generation, which aborts it.
    func confirmOwnership(_ tps: Set<TopicPartition>) -> Bool {
        if context.fence.isRaised { return false }
        if exactlyOnce != nil { return true }
        return commitLock.withLock {
            let owned = Set(consumer.assignment)
            let points = context.tracker.commitPoints(only: owned).merging(context.tracker.currentPoints(tps)) { a, _ in a }
            if points.isEmpty { return true }
            do {
                try context.watch.run("commit") { try consumer.commit(points) }
                context.tracker.committed(points)
                return true
            } catch let e as KafkaError where GroupFence.rebalanceCodes.contains(e.code) {
                context.fence.raise()
                context.log.info("the group is rebalancing: writes wait for the new assignment", ["error": e.reason])
                return false
            } catch {
                return true
            }
        }
    }

    /// The fatal error that stopped the transactional producer, if one did.
    var fatal: FatalSinkError? { commitLock.withLock { fatalError } }

    /// Commits the watermarks that moved (of `only`, when given); `now` ignores the backoff of an
    /// earlier failure. True when nothing was left to commit.
    @discardableResult
    func commit(only: Set<TopicPartition>? = nil, now: Bool = false) -> Bool {
        commitLock.withLock {
            if !now && Date() < retryAt { return false }
            do {
                try commitMoved(only: only)
                failures = 0
                retryAt = .distantPast
                context.readiness.sinksReady = true
                return true
            } catch {
                if let e = error as? KafkaError, GroupFence.rebalanceCodes.contains(e.code) { context.fence.raise() }
                if error is FatalSinkError { return false }
                failures += 1
                let wait = min(initialWait * pow(2, Double(failures - 1)), maxWait)
                retryAt = Date().addingTimeInterval(wait)
                context.metrics.inc("merclip_retries_total", ["sink": "commit"])
                context.readiness.sinksReady = false
                context.log.warn("sink failed, retrying", ["sink": "commit", "attempt": failures, "wait_s": wait, "error": "\(error)"])
                return false
            }
        }
    }

    /// Exactly-once: the sink stage's transaction for the batch it just wrote (and whatever else the
    /// watermarks passed), now; throws what failed, for the sink's retry.
    func commitTransaction() throws {
        try commitLock.withLock { try commitMoved(only: nil) }
    }

    /// With the lock held: commits the moved watermarks of owned partitions, plainly or in a transaction.
    private func commitMoved(only: Set<TopicPartition>?) throws {
        if let fatalError { throw fatalError }
        let owned = Set(consumer.assignment)
        let points = context.tracker.commitPoints(only: only).filter { owned.contains($0.key) }
        if points.isEmpty { return }
        if exactlyOnce != nil && context.fence.isRaised {
            throw KafkaError(reason: "the group is rebalancing: the transaction waits for the new assignment", isRetriable: true)
        }
        let t = Date()
        do {
            try context.watch.run("commit") {
                if let exactlyOnce { try exactlyOnce.commit(points, consumer: consumer) } else { try consumer.commit(points) }
            }
        } catch let fatal as FatalSinkError {
            fatalError = fatal
            context.log.error("stopping: the transactional producer cannot go on; uncommitted work is scored again by the next owner",
                              ["error": fatal.error.reason, "transactional_id": exactlyOnce?.transactionalID ?? ""])
            context.shutdown.request(drainSeconds: 0)
            throw fatal
        }
        context.tracker.committed(points)
        context.metrics.observe("merclip_stage_seconds", ["stage": "commit"], Date().timeIntervalSince(t))
    }
}
