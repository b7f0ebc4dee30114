// Committer: commits each partition's watermark (OffsetTracker) when it moves, on a thread of its own.
import Foundation
import Kafka

/// Commits only partitions this member owns at that moment: a commit for revoked ones fails (unknown
/// member, illegal generation) and makes librdkafka join the group again. A failed commit is tried
/// again with backoff; the watermark stays, so nothing is skipped.
final class Committer: @unchecked Sendable {
    private let consumer: KafkaConsumer
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

    init(consumer: KafkaConsumer, context: StageContext, initialWait: Double, maxWait: Double) {
        self.consumer = consumer
        self.context = context
        self.initialWait = initialWait
        self.maxWait = maxWait
    }

    func start() {
        let t = Thread { [self] in
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
        t.name = "merclip-committer"
        t.start()
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
    /// coordinator that this member still owns them. False while the group is rebalancing (the fence is
    /// up); other failures (brokers down) do not hold the write.
    func confirmOwnership(_ tps: Set<TopicPartition>) -> Bool {
        if context.fence.isRaised { return false }
        return commitLock.withLock {
            let points = context.tracker.currentPoints(tps)
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

    /// Commits the watermarks that moved (of `only`, when given); `now` ignores the backoff of an
    /// earlier failure. True when nothing was left to commit.
    @discardableResult
    func commit(only: Set<TopicPartition>? = nil, now: Bool = false) -> Bool {
        commitLock.withLock {
            if !now && Date() < retryAt { return false }
            let owned = Set(consumer.assignment)
            let (tracker, metrics, log) = (context.tracker, context.metrics, context.log)
            let points = tracker.commitPoints(only: only).filter { owned.contains($0.key) }
            if points.isEmpty { return true }
            let t = Date()
            do {
                try context.watch.run("commit") { try consumer.commit(points) }
                tracker.committed(points)
                metrics.observe("merclip_stage_seconds", ["stage": "commit"], Date().timeIntervalSince(t))
                failures = 0
                retryAt = .distantPast
                context.readiness.sinksReady = true
                return true
            } catch {
                if let e = error as? KafkaError, GroupFence.rebalanceCodes.contains(e.code) { context.fence.raise() }
                failures += 1
                let wait = min(initialWait * pow(2, Double(failures - 1)), maxWait)
                retryAt = Date().addingTimeInterval(wait)
                metrics.inc("merclip_retries_total", ["sink": "commit"])
                context.readiness.sinksReady = false
                log.warn("sink failed, retrying", ["sink": "commit", "attempt": failures, "wait_s": wait, "error": "\(error)"])
                return false
            }
        }
    }
}
