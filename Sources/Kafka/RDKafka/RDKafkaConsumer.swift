// RDKafkaConsumer: the librdkafka calls behind KafkaConsumer (group membership, polling, offsets, watermarks).
import CRDKafka

final class RDKafkaConsumer: @unchecked Sendable {
    let handle: RDKafkaHandle
    let rebalance: RebalanceState  // the conf opaque: declared after the handle so it outlives it

    /// A group member whose rebalance callback updates `rebalance`; its main queue is the consumer queue.
    init(properties: [String: String], rebalance: RebalanceState) throws {
        self.rebalance = rebalance
        handle = try RDKafkaHandle(type: RD_KAFKA_CONSUMER, properties: properties) { conf in
            rebalance.install(on: conf)
        }
        rd_kafka_poll_set_consumer(handle.pointer)
    }

    func subscribe(_ topics: [String]) throws {
        let list = RDPartitionList(topics.map { (TopicPartition($0, merclip_rd_kafka_partition_ua()), nil) })
        let err = rd_kafka_subscribe(handle.pointer, list.pointer)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, "subscribe to \(topics)") }
    }

    /// The next record, or nil after `timeoutMs` or on a partition-EOF event; broker errors are thrown.
    func poll(timeoutMs: Int32) throws -> KafkaMessage? {
        guard let m = rd_kafka_consumer_poll(handle.pointer, timeoutMs) else { return nil }
        defer { rd_kafka_message_destroy(m) }
        let err = m.pointee.err
        if err == RD_KAFKA_RESP_ERR__PARTITION_EOF { return nil }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, "consume") }
        return KafkaMessage(m)
    }

    /// Commits the given next-offsets synchronously.
    func commit(_ nextOffsets: [TopicPartition: Int64]) throws {
        let list = RDPartitionList(nextOffsets.map { ($0.key, $0.value) })
        let err = rd_kafka_commit(handle.pointer, list.pointer, 0)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, "commit \(nextOffsets)") }
    }

    /// The group's committed offset for `tp` as librdkafka reports it (negative: none).
    func committed(_ tp: TopicPartition, timeoutMs: Int32) throws -> Int64 {
        let list = RDPartitionList([(tp, nil)])
        let err = rd_kafka_committed(handle.pointer, list.pointer, timeoutMs)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, "committed offsets") }
        return list.pointer.pointee.elems[0].offset
    }

    func pause(_ partitions: [TopicPartition]) throws {
        let list = RDPartitionList(partitions.map { ($0, nil) })
        let err = rd_kafka_pause_partitions(handle.pointer, list.pointer)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, "pause \(partitions)") }
    }

    func resume(_ partitions: [TopicPartition]) throws {
        let list = RDPartitionList(partitions.map { ($0, nil) })
        let err = rd_kafka_resume_partitions(handle.pointer, list.pointer)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, "resume \(partitions)") }
    }

    /// The consume positions of `partitions` (negative: none yet), or nil when librdkafka fails.
    func positions(_ partitions: [TopicPartition]) -> [(TopicPartition, Int64)]? {
        let list = RDPartitionList(partitions.map { ($0, nil) })
        guard rd_kafka_position(handle.pointer, list.pointer) == RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        return RDPartitionList.read(list.pointer).map { ($0.0, $0.1) }
    }

    /// librdkafka's cached watermarks of `tp` (no broker request), or nil when it has none.
    func cachedWatermarks(_ tp: TopicPartition) -> (low: Int64, high: Int64)? {
        var low: Int64 = 0, high: Int64 = 0
        guard rd_kafka_get_watermark_offsets(handle.pointer, tp.topic, tp.partition, &low, &high)
            == RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        return (low, high)
    }

    func assign(_ offsets: [TopicPartition: Int64]) throws {
        let list = RDPartitionList(offsets.map { ($0.key, $0.value) })
        let err = rd_kafka_assign(handle.pointer, list.pointer)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, "assign \(offsets)") }
    }

    /// Per partition, the earliest offset with a timestamp ≥ `timestampMs` (negative: none), or that
    /// partition's error.
    func offsetsForTimes(_ partitions: [TopicPartition], timestampMs: Int64,
                         timeoutMs: Int32) throws -> [(TopicPartition, Int64, KafkaError?)] {
        let list = RDPartitionList(partitions.map { ($0, timestampMs) })
        let err = rd_kafka_offsets_for_times(handle.pointer, list.pointer, timeoutMs)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, "offsets for time \(timestampMs)") }
        return RDPartitionList.read(list.pointer).map { tp, offset, perr in
            (tp, offset, perr == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : KafkaError(perr, "offsets for time on \(tp)"))
        }
    }

    /// Low and high watermarks of a partition, asked of the broker.
    func queryWatermarks(_ tp: TopicPartition, timeoutMs: Int32) throws -> (low: Int64, high: Int64) {
        var low: Int64 = 0, high: Int64 = 0
        let err = rd_kafka_query_watermark_offsets(handle.pointer, tp.topic, tp.partition, &low, &high, timeoutMs)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, "watermarks of \(tp)") }
        return (low, high)
    }

    /// Whether the current assignment was lost (session timed out) rather than revoked in a rebalance.
    var assignmentLost: Bool { rd_kafka_assignment_lost(handle.pointer) != 0 }

    /// Leaves the group (blocking); the revoke callback runs first.
    func close() { rd_kafka_consumer_close(handle.pointer) }
}
