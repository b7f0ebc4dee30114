// ExactlyOnce on an in-process dev broker: a record above its partition's watermark waits for the transaction
// that commits past it; one of a revoked partition is dropped; no transaction runs while the group fence is up.
import Foundation
@testable import Kafka
import Sinks
import Testing
@testable import Worker

@Suite("Exactly-once: records held to the watermark")
struct ExactlyOnceHoldTests {
    final class Rig {
        let consumer: KafkaConsumer
        let producer: KafkaProducer
        let context: StageContext
        let committer: Committer
        let exactlyOnce: ExactlyOnce
        let broker: DevBroker   // last: released after the clients

        init() throws {
            broker = try DevBroker()
            for t in ["in", "out", "dlq"] { try broker.createTopic(t, partitions: 1) }
            let common = KafkaConfig(bootstrapServers: broker.bootstrapServers)
            var cc = KafkaConsumerConfig(common: common, groupID: "workers")
            cc.sessionTimeoutMs = 6_000
            consumer = try KafkaConsumer(config: cc)
            try consumer.subscribe(topics: ["in"])
            let deadline = Date().addingTimeInterval(20)
            while consumer.assignment.isEmpty && Date() < deadline { _ = try consumer.pollBlocking(timeoutMs: 100) }
            var pc = KafkaProducerConfig(common: common)
            pc.transactionalID = "workers-test"
            producer = try KafkaProducer(config: pc)
            context = StageContext(tracker: OffsetTracker(), watch: StageWatch(deadlineSeconds: 60), shutdown: Shutdown(),
                                   readiness: Readiness(), metrics: Metrics(), log: Log("test"), fence: GroupFence())
            let retrier = Retrier(initialSeconds: 0.05, maxSeconds: 0.1, context: context)
            let postgres = PostgresSink(writer: ResultWriter(url: "postgresql://nobody@127.0.0.1:1/none"), context: context)
            let kafka = KafkaSink(producer: producer, postgres: postgres, retrier: retrier)
            exactlyOnce = ExactlyOnce(producer: producer, transactionalID: "workers-test", kafka: kafka, context: context,
                                      dlqTopic: "dlq", maxMessageBytes: 1_000_000)
            try exactlyOnce.initialise()
            committer = Committer(consumer: consumer, context: context, initialWait: 0.05, maxWait: 0.1, exactlyOnce: exactlyOnce)
        }

        /// Tracks offset `o` of in/0, holds its result record "r<o>" and completes it.
        func written(_ tickets: [OffsetTicket]) {
            var out = BatchOutput(dlqTopic: "dlq", maxMessageBytes: 1_000_000)
            for t in tickets {
                let m = KafkaMessage(topic: "in", partition: 0, offset: t.offset, key: nil, value: [], headers: [], timestampMs: nil)
                out.scored.append(BatchOutput.Scored(message: m, rows: [],
                                                     record: KafkaRecord(topic: "out", key: nil, value: Array("r\(t.offset)".utf8), partition: 0)))
            }
            exactlyOnce.hold(out, tickets: tickets)
            for t in tickets { context.tracker.complete(t) }
        }

        var outCount: Int64 { (try? consumer.watermarks(TopicPartition("out", 0)).high) ?? -1 }
    }

    @Test("offsets 1 and 2 written before 0: nothing is sent until 0 is, then one transaction carries all three")
    func heldUntilWatermark() throws {
        let rig = try Rig()
        #expect(!rig.consumer.assignment.isEmpty, "the consumer joined the group")
        let tp = TopicPartition("in", 0)
        let tickets = (0..<3).map { rig.context.tracker.track(tp, Int64($0))! }
        rig.written([tickets[1], tickets[2]])
        try rig.committer.commitTransaction()
        #expect(rig.outCount == 0, "records above the watermark wait")
        #expect(rig.exactlyOnce.transactions.committed == 0)
        rig.written([tickets[0]])
        try rig.committer.commitTransaction()
        #expect(rig.outCount == 3)
        #expect(rig.exactlyOnce.transactions.committed == 1)
        #expect(rig.context.tracker.commitPoints().isEmpty, "the watermark 3 was recorded as committed")
        #expect(rig.context.metrics.counter("merclip_transactions_total", ["outcome": "committed"]) == 1)
        try rig.committer.commitTransaction()
        #expect(rig.exactlyOnce.transactions.committed == 1, "nothing moved: no empty transaction")
    }

    @Test("while the group fence is up no transaction runs; records of a revoked partition are dropped unsent")
    func fenceAndRevoke() throws {
        let rig = try Rig()
        let tp = TopicPartition("in", 0)
        let t0 = rig.context.tracker.track(tp, 0)!
        rig.written([t0])
        rig.context.fence.raise()
        #expect(throws: KafkaError.self) { try rig.committer.commitTransaction() }
        #expect(rig.outCount == 0)
        rig.context.fence.lower()
        rig.context.tracker.forget([tp])           // revoked before its transaction
        let t1 = rig.context.tracker.track(tp, 1)! // the next assignment starts afresh at offset 1
        rig.written([t1])
        try rig.committer.commitTransaction()
        #expect(rig.outCount == 1, "only offset 1's record: offset 0's belonged to the revoked assignment")
    }
}
