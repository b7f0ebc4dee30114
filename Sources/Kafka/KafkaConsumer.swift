// A consumer-group member. Offsets are committed only when the caller says so.
import CRDKafka
import Foundation

public final class KafkaConsumer: @unchecked Sendable {
    private let handle: RDKafkaHandle
    /// Blocking librdkafka calls run here, never on Swift's cooperative pool.
    private let queue = DispatchQueue(label: "merclip-kafka-consumer")
    private var closed = false

    public init(config: KafkaConsumerConfig) throws {
        handle = try RDKafkaHandle(type: RD_KAFKA_CONSUMER, properties: config.properties)
        rd_kafka_poll_set_consumer(handle.pointer)
    }

    /// Joins the group for `topics`.
    public func subscribe(topics: [String]) throws {
        let list = rd_kafka_topic_partition_list_new(Int32(topics.count))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for t in topics { rd_kafka_topic_partition_list_add(list, t, merclip_rd_kafka_partition_ua()) }
        let err = rd_kafka_subscribe(handle.pointer, list)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, "subscribe to \(topics)") }
    }

    /// Blocking poll: the next record, or nil after `timeoutMs` without one.
    /// Partition-EOF events are skipped; broker errors are thrown.
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
        var next: [String: Int64] = [:]
        for m in messages {
            let k = "\(m.partition)\u{0}\(m.topic)"
            next[k] = max(next[k] ?? 0, m.offset + 1)
        }
        let list = rd_kafka_topic_partition_list_new(Int32(next.count))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for (k, off) in next {
            let parts = k.split(separator: "\u{0}", maxSplits: 1)
            rd_kafka_topic_partition_list_add(list, String(parts[1]), Int32(parts[0])!).pointee.offset = off
        }
        let err = rd_kafka_commit(handle.pointer, list, 0)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, "commit") }
    }

    /// The group's committed offset for one partition, or nil when none.
    public func committed(topic: String, partition: Int32, timeoutMs: Int32 = 5_000) throws -> Int64? {
        let list = rd_kafka_topic_partition_list_new(1)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        rd_kafka_topic_partition_list_add(list, topic, partition)
        let err = rd_kafka_committed(handle.pointer, list, timeoutMs)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, "committed offsets") }
        let off = list!.pointee.elems[0].offset
        return off < 0 ? nil : off
    }

    /// Leaves the group cleanly (blocking).
    public func close() {
        if closed { return }
        closed = true
        rd_kafka_consumer_close(handle.pointer)
    }

    deinit { close() }
}
