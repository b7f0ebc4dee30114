// Consumer-group behaviour on an in-process dev broker: rebalances, pause/resume, lag, blocking sends.
import Foundation
import Kafka
import Testing

@Suite("Consumer groups")
struct GroupTests {
    final class Events: @unchecked Sendable {
        let lock = NSLock()
        var assigned: [[TopicPartition]] = []
        var revoked: [[TopicPartition]] = []
    }

    func consumer(_ broker: DevBroker, group: String, events: Events? = nil) throws -> KafkaConsumer {
        var cfg = KafkaConsumerConfig(common: KafkaConfig(bootstrapServers: broker.bootstrapServers), groupID: group)
        cfg.sessionTimeoutMs = 6_000
        return try KafkaConsumer(config: cfg,
                                 onAssign: { tps in events?.lock.withLock { events?.assigned.append(tps) } },
                                 onRevoke: { tps in events?.lock.withLock { events?.revoked.append(tps) } })
    }

    func pollUntil(_ consumers: [KafkaConsumer], seconds: Double, _ done: () -> Bool) throws -> [KafkaMessage] {
        var got: [KafkaMessage] = []
        let deadline = Date().addingTimeInterval(seconds)
        while !done() && Date() < deadline {
            for c in consumers { if let m = try c.pollBlocking(timeoutMs: 100) { got.append(m) } }
        }
        return got
    }

    @Test("a second member joining revokes and splits the partitions; the revoke callback sees them")
    func rebalance() throws {
        let broker = try DevBroker()
        try broker.createTopic("t", partitions: 4)
        let e1 = Events(), e2 = Events()
        let c1 = try consumer(broker, group: "g", events: e1)
        try c1.subscribe(topics: ["t"])
        _ = try pollUntil([c1], seconds: 20) { c1.assignment.count == 4 }
        #expect(c1.assignment.count == 4)

        let c2 = try consumer(broker, group: "g", events: e2)
        try c2.subscribe(topics: ["t"])
        _ = try pollUntil([c1, c2], seconds: 30) { c1.assignment.count == 2 && c2.assignment.count == 2 }
        #expect(c1.assignment.count == 2 && c2.assignment.count == 2)
        #expect(Set(c1.assignment).isDisjoint(with: Set(c2.assignment)))
        #expect(e1.lock.withLock { e1.revoked.first?.count } == 4, "first member gave up all 4 before the split")
        c2.close()
        c1.close()
    }

    @Test("paused partitions deliver nothing until resumed; blocking batch send; lag is 0 when caught up")
    func pauseResume() throws {
        let broker = try DevBroker()
        try broker.createTopic("p", partitions: 1)
        let producer = try KafkaProducer(config: KafkaProducerConfig(common: KafkaConfig(bootstrapServers: broker.bootstrapServers)))
        let deliveries = try producer.sendAndWait((0..<5).map {
            KafkaRecord(topic: "p", key: nil, value: Array("m\($0)".utf8), partition: 0)
        })
        #expect(deliveries.map(\.offset) == [0, 1, 2, 3, 4])

        let c = try consumer(broker, group: "pg")
        try c.subscribe(topics: ["p"])
        var got: [KafkaMessage] = []
        let deadline = Date().addingTimeInterval(20)
        while got.isEmpty && Date() < deadline {
            if let m = try c.pollBlocking(timeoutMs: 100) { got.append(m) }
        }
        #expect(got.count == 1)
        try c.pause([TopicPartition("p", 0)])
        got += try pollUntil([c], seconds: 1) { false }   // prefetched before the pause
        let whilePaused = try pollUntil([c], seconds: 2) { false }
        #expect(whilePaused.isEmpty, "a paused partition delivered \(whilePaused.count) message(s)")
        try c.resume([TopicPartition("p", 0)])
        got += try pollUntil([c], seconds: 10) { false }
        #expect(got.map(\.offset) == [0, 1, 2, 3, 4], "every message once, in order, across pause/resume")
        #expect(c.lag()[TopicPartition("p", 0)] == 0)
        c.close()
    }
}
