// A consumer-group member. Offsets are committed only when the caller says so.
import CRDKafka
import Foundation

public final class KafkaConsumer: @unchecked Sendable {
    private let handle: RDKafkaHandle
    private let rebalance: RebalanceState
    /// Blocking librdkafka calls of the async API run here, never on Swift's cooperative pool.
    private let queue = DispatchQueue(label: "merclip-kafka-consumer")
    private var closed = false

    /// `onRevoke` runs on the polling thread, inside `poll`, before partitions are given up:
    /// commit what is done there. `onAssign` runs after new partitions were taken.
    public init(config: KafkaConsumerConfig,
                onAssign: (@Sendable ([TopicPartition]) -> Void)? = nil,
                onRevoke: (@Sendable ([TopicPartition]) -> Void)? = nil) throws {
        let state = RebalanceState(onAssign: onAssign, onRevoke: onRevoke)
        rebalance = state
        handle = try RDKafkaHandle(type: RD_KAFKA_CONSUMER, properties: config.properties) { conf in
            rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(state).toOpaque())
            rd_kafka_conf_set_rebalance_cb(conf) { rk, err, partitions, opaque in
                guard let rk, let opaque, let partitions else { return }
                Unmanaged<RebalanceState>.fromOpaque(opaque).takeUnretainedValue()
                    .handle(rk, err, partitions)
            }
        }
        rd_kafka_poll_set_consumer(handle.pointer)
    }

    /// Joins the group for `topics`.
    public func subscribe(topics: [String]) throws {
        let list = RDPartitionList(topics.map { (TopicPartition($0, merclip_rd_kafka_partition_ua()), nil) })
        let err = rd_kafka_subscribe(handle.pointer, list.pointer)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, "subscribe to \(topics)") }
    }

    /// The partitions this member owns now.
    public var assignment: [TopicPartition] { rebalance.assigned }

    /// Blocking poll: the next record, or nil after `timeoutMs` without one. Rebalance
    /// callbacks run inside this call. Partition-EOF events are skipped; broker errors are thrown.
    public func pollBlocking(timeoutMs: Int32) throws -> KafkaMessage? {
        guard let m = rd_kafka_consumer_poll(handle.pointer, timeoutMs) else { return nil }
        defer { rd_kafka_message_destroy(m) }
        let err = m.pointee.err
        if err == RD_KAFKA_RESP_ERR__PARTITION_EOF { return nil }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, "consume") }
        return KafkaMessage(m)
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
        let list = RDPartitionList(nextOffsets.map { ($0.key, $0.value) })
        let err = rd_kafka_commit(handle.pointer, list.pointer, 0)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, "commit \(nextOffsets)") }
    }

    /// The group's committed offset for one partition, or nil when none.
    public func committed(topic: String, partition: Int32, timeoutMs: Int32 = 5_000) throws -> Int64? {
        let list = RDPartitionList([(TopicPartition(topic, partition), nil)])
        let err = rd_kafka_committed(handle.pointer, list.pointer, timeoutMs)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, "committed offsets") }
        let off = list.pointer.pointee.elems[0].offset
        return off < 0 ? nil : off
    }

    /// Stops fetching from `partitions` (back-pressure) until `resume`.
    public func pause(_ partitions: [TopicPartition]) throws {
        if partitions.isEmpty { return }
        let list = RDPartitionList(partitions.map { ($0, nil) })
        let err = rd_kafka_pause_partitions(handle.pointer, list.pointer)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, "pause \(partitions)") }
    }

    public func resume(_ partitions: [TopicPartition]) throws {
        if partitions.isEmpty { return }
        let list = RDPartitionList(partitions.map { ($0, nil) })
        let err = rd_kafka_resume_partitions(handle.pointer, list.pointer)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, "resume \(partitions)") }
    }

    /// Messages not yet consumed per owned partition (high watermark − position), from
    /// librdkafka's cached watermarks; partitions with no position yet are left out.
    public func lag() -> [TopicPartition: Int64] {
        let owned = assignment
        if owned.isEmpty { return [:] }
        let list = RDPartitionList(owned.map { ($0, nil) })
        guard rd_kafka_position(handle.pointer, list.pointer) == RD_KAFKA_RESP_ERR_NO_ERROR else { return [:] }
        var out: [TopicPartition: Int64] = [:]
        for (tp, position, _) in RDPartitionList.read(list.pointer) where position >= 0 {
            var low: Int64 = 0, high: Int64 = 0
            if rd_kafka_get_watermark_offsets(handle.pointer, tp.topic, tp.partition, &low, &high) == RD_KAFKA_RESP_ERR_NO_ERROR,
               high >= 0 {
                out[tp] = max(0, high - position)
            }
        }
        return out
    }

    /// Reads the given partitions from the given offsets, outside any group rebalancing (replay, tools).
    public func assign(_ offsets: [TopicPartition: Int64]) throws {
        let list = RDPartitionList(offsets.map { ($0.key, $0.value) })
        let err = rd_kafka_assign(handle.pointer, list.pointer)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, "assign \(offsets)") }
    }

    /// The earliest offset whose timestamp is ≥ `timestampMs`, per partition; the end offset
    /// (high watermark) where no message is that recent.
    public func offsetsForTimes(_ partitions: [TopicPartition], timestampMs: Int64, timeoutMs: Int32 = 10_000) throws -> [TopicPartition: Int64] {
        let list = RDPartitionList(partitions.map { ($0, timestampMs) })
        let err = rd_kafka_offsets_for_times(handle.pointer, list.pointer, timeoutMs)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, "offsets for time \(timestampMs)") }
        var out: [TopicPartition: Int64] = [:]
        for (tp, offset, perr) in RDPartitionList.read(list.pointer) {
            if perr != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(perr, "offsets for time on \(tp)") }
            out[tp] = offset >= 0 ? offset : try watermarks(tp, timeoutMs: timeoutMs).high
        }
        return out
    }

    /// Low and high watermarks of a partition, asked of the broker.
    public func watermarks(_ tp: TopicPartition, timeoutMs: Int32 = 10_000) throws -> (low: Int64, high: Int64) {
        var low: Int64 = 0, high: Int64 = 0
        let err = rd_kafka_query_watermark_offsets(handle.pointer, tp.topic, tp.partition, &low, &high, timeoutMs)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, "watermarks of \(tp)") }
        return (low, high)
    }

    /// Leaves the group cleanly (blocking); the revoke callback runs first.
    public func close() {
        if closed { return }
        closed = true
        rd_kafka_consumer_close(handle.pointer)
    }

    deinit { close() }
}

/// Rebalance bookkeeping shared with librdkafka's callback (which runs inside poll).
final class RebalanceState: @unchecked Sendable {
    private let lock = NSLock()
    private var owned: [TopicPartition] = []
    let onAssign: (@Sendable ([TopicPartition]) -> Void)?
    let onRevoke: (@Sendable ([TopicPartition]) -> Void)?

    init(onAssign: (@Sendable ([TopicPartition]) -> Void)?, onRevoke: (@Sendable ([TopicPartition]) -> Void)?) {
        self.onAssign = onAssign
        self.onRevoke = onRevoke
    }

    var assigned: [TopicPartition] { lock.withLock { owned } }

    func handle(_ rk: OpaquePointer, _ err: rd_kafka_resp_err_t,
                _ partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) {
        let tps = RDPartitionList.read(partitions).map(\.0)
        if err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS {
            rd_kafka_assign(rk, partitions)
            lock.withLock { owned = tps }
            onAssign?(tps)
        } else {
            onRevoke?(tps)
            rd_kafka_assign(rk, nil)
            lock.withLock { owned = [] }
        }
    }
}
