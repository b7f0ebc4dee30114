// An idempotent producer whose sends complete when the broker acknowledged them.
import CRDKafka
import Foundation

public final class KafkaProducer: @unchecked Sendable {
    private let handle: RDKafkaHandle
    private let poller: PollThread
    private let link: BrokerLink  // the conf opaque: declared after the handle so it outlives it

    /// `onReachability` is called (on the producer's poll thread) when every broker became
    /// unreachable (false) and when one answers again (true), with librdkafka's reason.
    public init(config: KafkaProducerConfig, onReachability: (@Sendable (Bool, String) -> Void)? = nil) throws {
        let link = BrokerLink(onChange: onReachability)
        self.link = link
        handle = try RDKafkaHandle(type: RD_KAFKA_PRODUCER, properties: config.properties) { conf in
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
        let h = handle
        poller = PollThread(name: "merclip-kafka-producer") {
            _ = rd_kafka_poll(h.pointer, 100)
            link.probeIfDown(h.pointer)
        }
    }

    /// False from librdkafka's "all brokers down" until a broker answers again.
    public var brokersReachable: Bool { link.isUp }

    /// Sends one record and returns where the broker stored it. Throws when delivery failed
    /// after librdkafka's retries (`message.timeout.ms`).
    @discardableResult
    public func send(topic: String, key: [UInt8]?, value: [UInt8], headers: [KafkaHeader] = [],
                     partition: Int32? = nil) async throws -> KafkaDelivery {
        let record = KafkaRecord(topic: topic, key: key, value: value, headers: headers, partition: partition)
        return try await withCheckedThrowingContinuation { cont in
            enqueue(record) { cont.resume(with: $0) }
        }
    }

    /// Sends records and blocks until every one was acknowledged; throws the first failure.
    /// For callers that run on a thread of their own (the worker's sink stage).
    @discardableResult
    public func sendAndWait(_ records: [KafkaRecord]) throws -> [KafkaDelivery] {
        let group = DispatchGroup()
        let results = ResultSlots(count: records.count)
        for (i, r) in records.enumerated() {
            group.enter()
            enqueue(r) { res in
                results.set(i, res)
                group.leave()
            }
        }
        group.wait()
        return try results.all().map { try $0.get() }
    }

    private func enqueue(_ r: KafkaRecord, _ done: @escaping @Sendable (Result<KafkaDelivery, KafkaError>) -> Void) {
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

/// One record to produce.
public struct KafkaRecord: Sendable {
    public var topic: String
    public var key: [UInt8]?
    public var value: [UInt8]
    public var headers: [KafkaHeader]
    /// nil: librdkafka's partitioner picks by key.
    public var partition: Int32?

    public init(topic: String, key: [UInt8]?, value: [UInt8], headers: [KafkaHeader] = [], partition: Int32? = nil) {
        self.topic = topic
        self.key = key
        self.value = value
        self.headers = headers
        self.partition = partition
    }
}

private final class ResultSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<KafkaDelivery, KafkaError>?]
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ r: Result<KafkaDelivery, KafkaError>) { lock.withLock { slots[i] = r } }
    func all() -> [Result<KafkaDelivery, KafkaError>] { lock.withLock { slots.map { $0! } } }
}

private final class DeliveryBox {
    let done: @Sendable (Result<KafkaDelivery, KafkaError>) -> Void
    init(_ done: @escaping @Sendable (Result<KafkaDelivery, KafkaError>) -> Void) { self.done = done }
}
