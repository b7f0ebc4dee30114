// Exactly-once mode: two transactional workers, one SIGKILLed twice: Postgres holds each segment once per task,
// every segment's result is on the topic, offsets go only through transactions, a restarted instance goes on.
// What a read_committed reader sees depends on the broker keeping transaction state, which the test measures
// first (librdkafka's mock cluster, behind the dev broker, keeps none: see docs/operations.md).
import Foundation
import Kafka
import TestSupport
import Testing
import Worker

/// What the broker does with transactions, found by trying: whether a read_committed consumer skips an
/// aborted record, and whether offsets sent to a committed transaction become the group's offsets.
struct TransactionSupport {
    let hidesAborted: Bool
    let storesOffsets: Bool
    var isComplete: Bool { hidesAborted && storesOffsets }

    /// Uses `topic` (partition 0, empty before) and groups of its own.
    static func probe(_ bootstrap: String, topic: String) throws -> TransactionSupport {
        let common = KafkaConfig(bootstrapServers: bootstrap)
        var pc = KafkaProducerConfig(common: common)
        pc.transactionalID = "probe-\(UUID().uuidString)"
        let p = try KafkaProducer(config: pc)
        try p.initTransactions()
        let record = { (v: String) in KafkaRecord(topic: topic, key: nil, value: Array(v.utf8), partition: 0) }
        try p.beginTransaction()
        try p.sendAndWait([record("aborted")])
        try p.abortTransaction()

        let group = "probe-\(UUID().uuidString)"
        let member = try KafkaConsumer(config: KafkaConsumerConfig(common: common, groupID: group))
        defer { member.close() }
        try member.subscribe(topics: [topic])
        let deadline = Date().addingTimeInterval(20)
        while member.assignment.isEmpty && Date() < deadline { _ = try member.pollBlocking(timeoutMs: 100) }
        try p.beginTransaction()
        try p.sendAndWait([record("committed")])
        try p.sendOffsetsToTransaction([TopicPartition(topic, 0): 1], consumer: member)
        try p.commitTransaction()

        let reader = try KafkaConsumer(config: KafkaConsumerConfig(common: common, groupID: "reader-\(UUID().uuidString)"))
        defer { reader.close() }
        try reader.subscribe(topics: [topic])
        var seen: [String] = []
        let until = Date().addingTimeInterval(8)
        while Date() < until {
            if let m = try reader.pollBlocking(timeoutMs: 100) { seen.append(String(decoding: m.value, as: UTF8.self)) }
        }
        let stored = try KafkaConsumer(config: KafkaConsumerConfig(common: common, groupID: group))
            .committed(topic: topic, partition: 0)
        return TransactionSupport(hidesAborted: seen == ["committed"], storesOffsets: stored == 1)
    }
}

@Suite("Exactly-once", .serialized)
struct ExactlyOnceTests {
    init() throws { try Assets.makeMedia() }

    func worker(_ broker: Broker, _ db: ScratchDatabase, _ model: String, instance: String, name: String) throws -> WorkerProcess {
        try WorkerProcess(broker: broker, db: db, model: model, name: name, batchSize: 4,
                          extra: ["--exactly-once", "--instance-id", instance])
    }

    func committedTransactions(_ log: String) -> Int? {
        guard let r = log.range(of: #"transactions_committed=\d+"#, options: .regularExpression) else { return nil }
        return Int(log[r].split(separator: "=")[1])
    }

    @Test("2 workers with --exactly-once, 100 segments, one SIGKILLed twice: one row per segment and task, every result on the topic")
    func twoKills() throws {
        let broker = try Broker(partitions: 4)
        let support = try TransactionSupport.probe(broker.bootstrap, topic: "segments-replay")
        let db = try ScratchDatabase(migrated: true)
        let model = try Assets.model(version: "v1")
        // 80 events now; the last 20 once the last incarnation of instance a holds partitions, so that it has
        // work of its own to commit however fast the other worker went meanwhile.
        try broker.produce((0..<80).map { goodEvent($0, streams: 16) })
        var a = try worker(broker, db, model, instance: "a", name: "eos-a")
        let b = try worker(broker, db, model, instance: "b", name: "eos-b")
        var killed: [WorkerProcess] = []
        defer { _ = a.terminate(); _ = b.terminate() }
        let distinct = "SELECT count(DISTINCT segment_id) FROM results"
        var kills: [Int] = []
        do {
            for k in 0..<2 {
                // Each incarnation is up (its transactional producer registered) before it is killed: the other
                // worker alone can make the progress below while a restarted one still loads its model.
                let up = a
                try waitUntil("instance a ready before kill \(k + 1)", seconds: 120) {
                    up.logText.contains("exactly-once: transactional producer ready")
                }
                let before = try db.count(distinct)
                try waitUntil("progress before kill \(k + 1)", seconds: 120) { try db.count(distinct) >= min(before + 10, 70) }
                a.kill9()
                kills.append(try db.count(distinct))
                killed.append(a)
                a = try worker(broker, db, model, instance: "a", name: "eos-a\(k + 1)")
            }
            let last = a
            try waitUntil("the last incarnation of a holds partitions", seconds: 120) {
                last.logText.contains("partitions assigned")
            }
            try broker.produce((80..<100).map { goodEvent($0, streams: 16) })
            try waitUntil("all 100 segments", seconds: 300) { try db.count(distinct) == 100 }
        } catch {
            Issue.record("\(error)\nkills at \(kills)\n--- a:\n\(a.logText.suffix(3000))\n--- b:\n\(b.logText.suffix(3000))")
            throw error
        }
        #expect(kills.count == 2 && kills.allSatisfy { $0 < 100 }, "two kills mid-run, at \(kills) segments")
        #expect(try db.count("SELECT count(*) FROM results") == 200, "one row per segment and task")
        #expect(try db.count("SELECT count(*) FROM (SELECT segment_id, task FROM results GROUP BY 1, 2 HAVING count(*) > 1) d") == 0)
        #expect(try db.count("SELECT count(*) FROM failures") == 0)

        let results = try broker.readAll("segment-results", atLeast: 100)
        let ids = results.compactMap { m -> String? in
            (try? JSONSerialization.jsonObject(with: Data(m.value)) as? [String: Any])?["segment_id"] as? String
        }
        #expect(Set(ids).count == 100, "a committed result message for every segment")
        if support.isComplete {
            // A broker that keeps transaction state: what a killed worker left open was aborted, and the
            // offsets of committed transactions were stored, so nothing was scored into the topic twice.
            #expect(ids.count == 100, "each segment id exactly once for read_committed (\(ids.count) messages)")
        }

        for w in [a, b] {
            #expect(w.terminate() == 0, "\(w.logText.suffix(2000))")
        }
        // Offsets went through transactions only: a broker that stores transactional offsets has the
        // group at the end of every partition; one that does not (the dev broker) has none at all, which
        // it would have if any worker had used the consumer's own commit.
        let committed = try broker.committed(group: "workers", topic: "segments", partitions: 4)
        if support.storesOffsets {
            #expect(committed.values.compactMap { $0 }.reduce(0, +) == 100, "\(committed)")
        } else {
            #expect(committed.values.allSatisfy { $0 == nil }, "no offset committed outside a transaction: \(committed)")
        }
        // Every incarnation of instance a registered the same transactional.id (fencing its previous life),
        // and the last one committed transactions after the kills.
        for w in killed + [a] {
            #expect(w.logText.contains("exactly-once: transactional producer ready") && w.logText.contains("transactional_id=workers-a"),
                    "\(w.logText.prefix(2000))")
        }
        #expect(b.logText.contains("transactional_id=workers-b"))
        #expect((committedTransactions(a.logText) ?? 0) > 0, "the restarted instance committed transactions: \(a.logText.suffix(1500))")
        #expect((committedTransactions(b.logText) ?? 0) > 0, "\(b.logText.suffix(1500))")
        #expect(!(a.logText + b.logText).contains("failed fatally"))
        Swift.print("exactly-once test: broker hides aborted records: \(support.hidesAborted), stores transactional offsets: "
                    + "\(support.storesOffsets); \(ids.count) result messages for 100 segments")
    }

    @Test("--exactly-once without an instance id is refused, naming both ways to give one")
    func needsInstanceID() throws {
        let r = try runProcess(merclipBinary(), ["worker", "--brokers", "127.0.0.1:1", "--postgres", "postgresql://x@127.0.0.1:1/x",
                                                 "--model", "/nonexistent", "--exactly-once"])
        #expect(r.status != 0 && r.stderr.contains("--instance-id") && r.stderr.contains("MERCLIP_INSTANCE_ID"), "\(r.stderr)")
    }
}
