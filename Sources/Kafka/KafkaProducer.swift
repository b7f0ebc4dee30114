// An idempotent producer whose sends complete when the broker acknowledged them.
import CRDKafka
import Foundation

public final class KafkaProducer: @unchecked Sendable {
    private let handle: RDKafkaHandle
    private let poller: PollThread

    public init(config: KafkaProducerConfig) throws {
        handle = try RDKafkaHandle(type: RD_KAFKA_PRODUCER, properties: config.properties) { conf in
            rd_kafka_conf_set_dr_msg_cb(conf) { _, msg, _ in
                guard let msg, let opaque = msg.pointee._private else { return }
                let box = Unmanaged<DeliveryBox>.fromOpaque(opaque).takeRetainedValue()
                let m = msg.pointee
                if m.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                    box.continuation.resume(returning: KafkaDelivery(partition: m.partition, offset: m.offset))
                } else {
                    box.continuation.resume(throwing: KafkaError(m.err, "delivery failed"))
                }
            }
        }
        let h = handle
        poller = PollThread(name: "merclip-kafka-producer") { _ = rd_kafka_poll(h.pointer, 100) }
    }

    /// Sends one record and returns where the broker stored it. Throws when delivery failed
    /// after librdkafka's retries (`message.timeout.ms`).
    @discardableResult
    public func send(topic: String, key: [UInt8]?, value: [UInt8], headers: [KafkaHeader] = [],
                     partition: Int32? = nil) async throws -> KafkaDelivery {
        try await withCheckedThrowingContinuation { (cont: CheckedContinuation<KafkaDelivery, Error>) in
            let box = Unmanaged.passRetained(DeliveryBox(cont)).toOpaque()
            var hdrs: OpaquePointer? = nil
            if !headers.isEmpty {
                hdrs = rd_kafka_headers_new(headers.count)
                for h in headers {
                    h.value.withUnsafeBytes { _ = rd_kafka_header_add(hdrs, h.key, -1, $0.baseAddress, $0.count) }
                }
            }
            let err: rd_kafka_resp_err_t = value.withUnsafeBytes { v in
                (key ?? []).withUnsafeBytes { k in
                    merclip_rd_kafka_produce(handle.pointer, topic, partition ?? merclip_rd_kafka_partition_ua(),
                                             key == nil ? nil : k.baseAddress, key == nil ? 0 : k.count,
                                             v.baseAddress, v.count, hdrs, box)
                }
            }
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                if let hdrs { rd_kafka_headers_destroy(hdrs) }
                Unmanaged<DeliveryBox>.fromOpaque(box).release()
                cont.resume(throwing: KafkaError(err, "cannot enqueue message for \(topic)"))
            }
        }
    }

    /// Waits until every queued message was delivered or failed (blocking).
    public func flush(timeoutMs: Int32 = 10_000) throws {
        let err = rd_kafka_flush(handle.pointer, timeoutMs)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, "flush") }
    }

    deinit {
        try? flush(timeoutMs: 5_000)
        poller.stop()
    }
}

/// Where a produced record landed.
public struct KafkaDelivery: Sendable {
    public var partition: Int32
    public var offset: Int64
}

private final class DeliveryBox {
    let continuation: CheckedContinuation<KafkaDelivery, Error>
    init(_ c: CheckedContinuation<KafkaDelivery, Error>) { continuation = c }
}
