// RDMetadata: librdkafka metadata requests from a short-lived client (broker count, partition count).
import CRDKafka

enum RDMetadata {
    static func brokerCount(_ config: KafkaConfig, timeoutMs: Int32) throws -> Int {
        try withMetadata(config, topic: nil, timeoutMs: timeoutMs) { Int($0.pointee.broker_cnt) }
    }

    static func partitionCount(_ config: KafkaConfig, topic: String, timeoutMs: Int32) throws -> Int {
        try withMetadata(config, topic: topic, timeoutMs: timeoutMs) { md in
            let t = md.pointee.topics[0]
            if t.err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(t.err, "topic \(topic)") }
            return Int(t.partition_cnt)
        }
    }

    private static func withMetadata<R>(_ config: KafkaConfig, topic: String?, timeoutMs: Int32,
                                        _ body: (UnsafePointer<rd_kafka_metadata>) throws -> R) throws -> R {
        var props = config.properties
        props["log_level"] = props["log_level"] ?? "0"
        let handle = try RDKafkaHandle(type: RD_KAFKA_PRODUCER, properties: props)
        var md: UnsafePointer<rd_kafka_metadata>?
        var rkt: OpaquePointer?
        if let topic { rkt = rd_kafka_topic_new(handle.pointer, topic, nil) }
        defer { if let rkt { rd_kafka_topic_destroy(rkt) } }
        let err = rd_kafka_metadata(handle.pointer, topic == nil ? 1 : 0, rkt, &md, timeoutMs)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let md else { throw KafkaError(err, "metadata from \(config.bootstrapServers)") }
        defer { rd_kafka_metadata_destroy(md) }
        return try body(md)
    }
}
