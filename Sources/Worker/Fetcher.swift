// Fetcher: the consumer's poll loop: feeds the decode lanes, pauses partitions while the stages are full, handles revokes.
import Foundation
import Kafka

/// Runs on one thread (librdkafka serves rebalance callbacks inside its poll). A message is tracked
/// (OffsetTracker) when it enters the pipeline; while the lanes' queue is full messages wait here, and
/// once `waitingLimit` wait every owned partition is paused until they have all entered, so nothing
/// more is fetched until the stages catch up (the gap keeps pause and resume from alternating on
/// every message).
final class Fetcher<Prepared: Sendable>: @unchecked Sendable {
    typealias Item = PipelineItem<Prepared>
    private let consumer: KafkaConsumer
    private let output: BoundedQueue<Item>
    private let committer: Committer
    private let context: StageContext
    private var tracker: OffsetTracker { context.tracker }
    private var shutdown: Shutdown { context.shutdown }
    private var metrics: Metrics { context.metrics }
    private var log: Log { context.log }
    private let revokeWaitSeconds: Double
    private let waitingLimit: Int
    // Touched on the polling thread only (the loop and the rebalance callbacks inside its poll).
    private var waiting: [KafkaMessage] = []
    private var paused: Set<TopicPartition> = []

    /// `config` gives the revoke wait and the back-pressure gap (two batches of messages).
    init(consumer: KafkaConsumer, output: BoundedQueue<Item>, committer: Committer, context: StageContext,
         config: WorkerConfig) {
        self.consumer = consumer
        self.output = output
        self.committer = committer
        self.context = context
        revokeWaitSeconds = config.revokeWaitSeconds
        waitingLimit = max(1, 2 * config.batchSize)
    }

    /// Polls until a stop is requested, then stops feeding the lanes (closing their queue), pauses
    /// everything and keeps serving the group until `drained()` or the drain's stage deadline.
    func run(drained: () -> Bool) {
        var lastLag = Date.distantPast
        while !shutdown.isRequested {
            feed()
            if waiting.isEmpty {
                poll(timeoutMs: 100).map { m in
                    waiting.append(m)
                    feed()
                }
            } else {
                // Messages wait for the lanes: hand the next over as soon as a lane takes one (a blocking
                // poll would leave the lanes idle for its whole timeout), and keep serving the group.
                _ = output.waitForRoom(until: Date().addingTimeInterval(0.1))
                feed()
                poll(timeoutMs: 0).map { waiting.append($0) }
            }
            if Date().timeIntervalSince(lastLag) >= 1 {
                updateLag()
                lastLag = Date()
            }
        }
        waiting = []
        output.close()
        pause(Set(consumer.assignment))
        while !drained() && Date() < shutdown.stageDeadline { _ = poll(timeoutMs: 50) }
        updateLag()
    }

    /// Hands waiting messages to the lanes while there is room; pauses or resumes the partitions.
    private func feed() {
        while let m = waiting.first, output.count < output.capacity {
            waiting.removeFirst()
            let tp = TopicPartition(m.topic, m.partition)
            guard let ticket = tracker.track(tp, m.offset) else {
                log.warn("skipped a message delivered twice", ["topic": m.topic, "partition": m.partition, "offset": m.offset])
                continue
            }
            output.put(PipelineItem(message: m, ticket: ticket, state: .fetched))
        }
        if waiting.count >= waitingLimit && paused.isEmpty {
            pause(Set(consumer.assignment))
            log.info("paused: the stages are full", ["partitions": paused.count])
        } else if waiting.isEmpty && !paused.isEmpty {
            try? consumer.resume(Array(paused))
            paused = []
            log.info("resumed: the stages have room")
        }
    }

    private func pause(_ tps: Set<TopicPartition>) {
        let new = tps.subtracting(paused)
        if new.isEmpty { return }
        try? consumer.pause(Array(new))
        paused.formUnion(new)
    }

    private func poll(timeoutMs: Int32) -> KafkaMessage? {
        do {
            guard let m = try consumer.pollBlocking(timeoutMs: timeoutMs) else { return nil }
            context.readiness.consumerWorks()
            metrics.inc("merclip_events_consumed_total", ["topic": m.topic])
            return shutdown.isRequested ? nil : m
        } catch let e as KafkaError {
            context.readiness.consumerFailed(e.reason)
            log.warn("consume error", ["error": e.reason, "retriable": e.isRetriable])
            if !e.isRetriable { Thread.sleep(forTimeInterval: 0.5) }
        } catch {
            context.readiness.consumerFailed("\(error)")
        }
        return nil
    }

    /// In the rebalance callback: new partitions follow the pause state of the others.
    func assigned(_ tps: [TopicPartition]) {
        log.info("partitions assigned", ["partitions": tps.map(\.description).joined(separator: ",")])
        context.fence.lower()
        if !paused.isEmpty || shutdown.isRequested { pause(Set(tps)) } else { try? consumer.resume(tps) }
    }

    /// In the rebalance callback, before the partitions are given up: their in-flight work is finished
    /// and committed, within `revokeWaitSeconds` (and the drain); what is not finished by then is
    /// dropped uncommitted, and its next owner reads it again. Lost partitions (the session expired)
    /// are dropped at once: a commit for them would fail.
    func revoked(_ tps: [TopicPartition]) {
        let set = Set(tps)
        waiting.removeAll { set.contains(TopicPartition($0.topic, $0.partition)) }
        let lost = consumer.assignmentLost
        // While the fence is up the coordinator refuses commits: nothing more can be committed.
        let fenced = context.fence.isRaised
        var finished = false
        if !lost && !fenced {
            let deadline = min(Date().addingTimeInterval(revokeWaitSeconds), shutdown.stageDeadline)
            finished = tracker.waitUntilComplete(set, until: deadline)
            committer.commit(only: set, now: true)
        }
        let dropped = tracker.inFlight(set)
        tracker.forget(set)
        paused.subtract(set)
        log.info("partitions revoked", ["partitions": tps.map(\.description).joined(separator: ","), "lost": lost, "fenced": fenced,
                                        "finished": finished, "dropped": dropped])
    }

    private func updateLag() {
        metrics.replace("merclip_consumer_lag", consumer.lag().map {
            (["topic": $0.key.topic, "partition": String($0.key.partition)], Double($0.value))
        })
    }
}
