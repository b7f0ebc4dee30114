// RDKafkaProducer: the librdkafka calls behind KafkaProducer (create with callbacks, produce, poll, flush).
import CRDKafka
import Foundation

final class RDKafkaProducer: @unchecked Sendable {
    let handle: RDKafkaHandle
    private let link: BrokerLink  // the conf opaque: declared after the handle so it outlives it

    /// A producer whose error callback reports to `link` and whose delivery reports complete
    /// the callbacks given to `produce`.
    init(properties: [String: String], link: BrokerLink) throws {
        self.link = link
        handle = try RDKafkaHandle(type: RD_KAFKA_PRODUCER, properties: properties) { conf in
            link.install(on: conf)
            rd_kafka_conf_set_dr_msg_cb(conf) { _, msg, opaque in
                guard let msg, let boxPointer = msg.pointee._private else { return }
                let box = Unmanaged<DeliveryBox>.fromOpaque(boxPointer).takeRetainedValue()
                let m = msg.pointee
                if m.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                    BrokerLink.from(opaque)?.set(true, "a message was delivered")
                    box.done(.success(KafkaDelivery(partition: m.partition, offset: m.offset)))
                } else {
                    box.done(.failure(KafkaError(m.err, "delivery failed")))
                }
            }
        }
    }

    /// Serves delivery reports and callbacks for up to `timeoutMs` (blocking).
    func poll(timeoutMs: Int32) { _ = rd_kafka_poll(handle.pointer, timeoutMs) }

    /// False from librdkafka's "all brokers down" until a broker answers again (see BrokerLink).
    var brokersReachable: Bool { link.isUp }

    /// While the brokers are down, a metadata probe now and then (see BrokerLink).
    func probeIfDown() { link.probeIfDown(handle.pointer) }

    /// Queues `r`; `done` runs from the delivery report, or at once when librdkafka refuses it.
    /// A full queue is waited out (back-pressure).
    func produce(_ r: KafkaRecord, _ done: @escaping @Sendable (Result<KafkaDelivery, KafkaError>) -> Void) {
        let box = Unmanaged.passRetained(DeliveryBox(done)).toOpaque()
        var hdrs: OpaquePointer? = nil
        if !r.headers.isEmpty {
            hdrs = rd_kafka_headers_new(r.headers.count)
            for h in r.headers {
                h.value.withUnsafeBytes { _ = rd_kafka_header_add(hdrs, h.key, -1, $0.baseAddress, $0.count) }
            }
        }
        while true {
            let err: rd_kafka_resp_err_t = r.value.withUnsafeBytes { v in
                (r.key ?? []).withUnsafeBytes { k in
                    merclip_rd_kafka_produce(handle.pointer, r.topic, r.partition ?? merclip_rd_kafka_partition_ua(),
                                             r.key == nil ? nil : k.baseAddress, r.key == nil ? 0 : k.count,
                                             v.baseAddress, v.count, hdrs, box)
                }
            }
            if err == RD_KAFKA_RESP_ERR_NO_ERROR { return }  // librdkafka owns the headers now
            if err == RD_KAFKA_RESP_ERR__QUEUE_FULL {        // back-pressure: wait for deliveries
                Thread.sleep(forTimeInterval: 0.01)
                continue
            }
            if let hdrs { rd_kafka_headers_destroy(hdrs) }
            Unmanaged<DeliveryBox>.fromOpaque(box).release()
            done(.failure(KafkaError(err, "cannot enqueue message for \(r.topic)")))
            return
        }
    }

    /// Waits until every queued message was delivered or failed (blocking).
    func flush(timeoutMs: Int32) throws {
        let err = rd_kafka_flush(handle.pointer, timeoutMs)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, "flush") }
    }
}

/// The completion of one produced message, passed through librdkafka as the message opaque.
private final class DeliveryBox {
    let done: @Sendable (Result<KafkaDelivery, KafkaError>) -> Void
    init(_ done: @escaping @Sendable (Result<KafkaDelivery, KafkaError>) -> Void) { self.done = done }
}
