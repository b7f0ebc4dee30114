// Transactions on the dev broker: the calls in order, their errors out of order.
// librdkafka's mock cluster speaks the transaction protocol but keeps no transaction state of its own: it
// neither hides aborted records from read_committed consumers nor stores offsets sent to a transaction
// (checked with librdkafka 2.0.2), so what a read_committed reader sees is checked against real Kafka only.
import Foundation
import Kafka
import Testing

@Suite("Transactions")
struct TransactionTests {
    func producer(_ broker: DevBroker, id: String) throws -> KafkaProducer {
        var cfg = KafkaProducerConfig(common: KafkaConfig(bootstrapServers: broker.bootstrapServers))
        cfg.transactionalID = id
        let p = try KafkaProducer(config: cfg)
        try p.initTransactions()
        return p
    }

    func consumer(_ broker: DevBroker, group: String, readCommitted: Bool = true) throws -> KafkaConsumer {
        var cfg = KafkaConsumerConfig(common: KafkaConfig(bootstrapServers: broker.bootstrapServers), groupID: group)
        cfg.readCommitted = readCommitted
        cfg.sessionTimeoutMs = 6_000
        return try KafkaConsumer(config: cfg)
    }

    func readAll(_ c: KafkaConsumer, topic: String, seconds: Double) throws -> [String] {
        try c.subscribe(topics: [topic])
        var got: [String] = []
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let m = try c.pollBlocking(timeoutMs: 100) { got.append(String(decoding: m.value, as: UTF8.self)) }
        }
        return got
    }

    func record(_ topic: String, _ value: String) -> KafkaRecord {
        KafkaRecord(topic: topic, key: Array("k".utf8), value: Array(value.utf8), partition: 0)
    }

    @Test("begin, send, send offsets, commit and abort succeed in order; the committed records are delivered")
    func callsInOrder() throws {
        let broker = try DevBroker()
        try broker.createTopic("in", partitions: 1)
        try broker.createTopic("out", partitions: 1)
        let c = try consumer(broker, group: "workers")
        try c.subscribe(topics: ["in"])
        _ = try c.pollBlocking(timeoutMs: 500)
        let p = try producer(broker, id: "tx-1")
        for round in 0..<3 {
            try p.beginTransaction()
            let deliveries = try p.sendAndWait([record("out", "r\(round)")])
            #expect(deliveries.count == 1 && deliveries[0].offset >= 0)
            try p.sendOffsetsToTransaction([TopicPartition("in", 0): Int64(round)], consumer: c)
            if round == 1 { try p.abortTransaction() } else { try p.commitTransaction() }
        }
        let got = try readAll(consumer(broker, group: "reader", readCommitted: false), topic: "out", seconds: 6)
        #expect(got == ["r0", "r1", "r2"])
    }

    @Test("calls out of order are usage errors naming the call; a non-transactional producer cannot begin")
    func callsOutOfOrder() throws {
        let broker = try DevBroker()
        let p = try producer(broker, id: "tx-2")
        do {
            try p.commitTransaction()
            Issue.record("commit without a transaction succeeded")
        } catch let e as KafkaError {
            #expect(e.reason.hasPrefix("commit transaction:") && !e.isRetriable)
        }
        try p.beginTransaction()
        #expect(throws: KafkaError.self) { try p.beginTransaction() }
        try p.abortTransaction()
        let plain = try KafkaProducer(config: KafkaProducerConfig(common: KafkaConfig(bootstrapServers: broker.bootstrapServers)))
        do {
            try plain.beginTransaction()
            Issue.record("a producer without transactional.id began a transaction")
        } catch let e as KafkaError {
            #expect(e.reason.hasPrefix("begin transaction:"))
        }
    }
}
