// A consumer-group member. Offsets are committed only when the caller says so (C calls: RDKafka/RDKafkaConsumer.swift).
import Foundation

public final class KafkaConsumer: @unchecked Sendable {
    let client: RDKafkaConsumer
    /// Blocking librdkafka calls of the async API run here, never on Swift's cooperative pool.
    private let queue = DispatchQueue(label: "merclip-kafka-consumer")
    private var closed = false

    /// `onRevoke` runs on the polling thread, inside `poll`, before partitions are given up:
    /// commit what is done there. `onAssign` runs after new partitions were taken.
    public init(config: KafkaConsumerConfig,
                onAssign: (@Sendable ([TopicPartition]) -> Void)? = nil,
                onRevoke: (@Sendable ([TopicPartition]) -> Void)? = nil) throws {
        let state = RebalanceState(onAssign: onAssign, onRevoke: onRevoke)
        client = try RDKafkaConsumer(properties: config.properties, rebalance: state)
    }

    /// Joins the group for `topics`.
    public func subscribe(topics: [String]) throws {
        try client.subscribe(topics)
    }

    /// The partitions this member owns now.
    public var assignment: [TopicPartition] { client.rebalance.assigned }

    /// True inside a revoke callback when the partitions were lost (the session timed out, e.g. in a
    /// broker outage) rather than handed over: committing them would fail, their next owner reads them again.
    public var assignmentLost: Bool { client.assignmentLost }

    /// Blocking poll: the next record, or nil after `timeoutMs` without one. Rebalance
    /// callbacks run inside this call. Partition-EOF events are skipped; broker errors are thrown.
    public func pollBlocking(timeoutMs: Int32) throws -> KafkaMessage? {
        try client.poll(timeoutMs: timeoutMs)
    }

    /// Async poll, run on the consumer's own thread.
    public func poll(timeoutMs: Int32) async throws -> KafkaMessage? {
        try await withCheckedThrowingContinuation { cont in
            queue.async { cont.resume(with: Result { try self.pollBlocking(timeoutMs: timeoutMs) }) }
        }
    }

    /// Commits, synchronously, "next offset to read" = offset + 1 for each record given.
    public func commit(_ messages: [KafkaMessage]) throws {
        var next: [TopicPartition: Int64] = [:]
        for m in messages {
            let tp = TopicPartition(m.topic, m.partition)
            next[tp] = max(next[tp] ?? 0, m.offset + 1)
        }
        try commit(next)
    }

    /// Commits the given next-offsets synchronously.
    public func commit(_ nextOffsets: [TopicPartition: Int64]) throws {
        if nextOffsets.isEmpty { return }
        try client.commit(nextOffsets)
    }

    /// The group's committed offset for one partition, or nil when none.
    public func committed(topic: String, partition: Int32, timeoutMs: Int32 = 5_000) throws -> Int64? {
        let off = try client.committed(TopicPartition(topic, partition), timeoutMs: timeoutMs)
        return off < 0 ? nil : off
    }

    /// Stops fetching from `partitions` (back-pressure) until `resume`.
    public func pause(_ partitions: [TopicPartition]) throws {
        if partitions.isEmpty { return }
        try client.pause(partitions)
    }

    public func resume(_ partitions: [TopicPartition]) throws {
        if partitions.isEmpty { return }
        try client.resume(partitions)
    }

    /// Messages not yet consumed per owned partition (high watermark − position), from
    /// librdkafka's cached watermarks; partitions with no position yet are left out.
    public func lag() -> [TopicPartition: Int64] {
        let owned = assignment
        if owned.isEmpty { return [:] }
        guard let positions = client.positions(owned) else { return [:] }
        var out: [TopicPartition: Int64] = [:]
        for (tp, position) in positions where position >= 0 {
            if let (_, high) = client.cachedWatermarks(tp), high >= 0 {
                out[tp] = max(0, high - position)
            }
        }
        return out
    }

    /// Reads the given partitions from the given offsets, outside any group rebalancing (replay, tools).
    public func assign(_ offsets: [TopicPartition: Int64]) throws {
        try client.assign(offsets)
    }

    /// The earliest offset whose timestamp is ≥ `timestampMs`, per partition; the end offset
    /// (high watermark) where no message is that recent.
    public func offsetsForTimes(_ partitions: [TopicPartition], timestampMs: Int64, timeoutMs: Int32 = 10_000) throws -> [TopicPartition: Int64] {
        var out: [TopicPartition: Int64] = [:]
        for (tp, offset, perr) in try client.offsetsForTimes(partitions, timestampMs: timestampMs, timeoutMs: timeoutMs) {
            if let perr { throw perr }
            out[tp] = offset >= 0 ? offset : try watermarks(tp, timeoutMs: timeoutMs).high
        }
        return out
    }

    /// Low and high watermarks of a partition, asked of the broker.
    public func watermarks(_ tp: TopicPartition, timeoutMs: Int32 = 10_000) throws -> (low: Int64, high: Int64) {
        try client.queryWatermarks(tp, timeoutMs: timeoutMs)
    }

    /// Leaves the group cleanly (blocking); the revoke callback runs first.
    public func close() {
        if closed { return }
        closed = true
        client.close()
    }

    deinit { close() }
}
