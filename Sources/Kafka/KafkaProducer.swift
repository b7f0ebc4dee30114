// An idempotent producer whose sends complete when the broker acknowledged them (C calls: RDKafka/RDKafkaProducer.swift).
import Foundation

public final class KafkaProducer: @unchecked Sendable {
    let client: RDKafkaProducer
    private let poller: PollThread

    /// `onReachability` is called (on the producer's poll thread) when every broker became
    /// unreachable (false) and when one answers again (true), with librdkafka's reason.
    public init(config: KafkaProducerConfig, onReachability: (@Sendable (Bool, String) -> Void)? = nil) throws {
        let client = try RDKafkaProducer(properties: config.properties, link: BrokerLink(onChange: onReachability))
        self.client = client
        poller = PollThread(name: "merclip-kafka-producer") {
            client.poll(timeoutMs: 100)
            client.probeIfDown()
        }
    }

    /// False from librdkafka's "all brokers down" until a broker answers again.
    public var brokersReachable: Bool { client.brokersReachable }

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
        try sendAndWaitEach(records).map { try $0.get() }
    }

    /// Sends records and blocks until every one was acknowledged or failed; one result per record,
    /// in order, so a caller can tell which record failed and why.
    public func sendAndWaitEach(_ records: [KafkaRecord]) -> [Result<KafkaDelivery, KafkaError>] {
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
        return results.all()
    }

    private func enqueue(_ r: KafkaRecord, _ done: @escaping @Sendable (Result<KafkaDelivery, KafkaError>) -> Void) {
        client.produce(r, done)
    }

    /// Waits until every queued message was delivered or failed (blocking).
    public func flush(timeoutMs: Int32 = 10_000) throws {
        try client.flush(timeoutMs: timeoutMs)
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
