// System faults: a revoked Postgres privilege, every broker down, repeated SIGKILLs. None sends a segment
// to the DLQ; every segment is scored once afterwards.
import Foundation
import Kafka
import Sinks
import TestSupport
import Testing
import Worker

@Suite("System faults", .serialized)
struct FaultTests {
    init() throws { try Assets.makeMedia() }

    func texts(_ w: [WorkerProcess]) -> String {
        w.enumerated().map { "--- worker \($0.offset):\n\($0.element.logText.suffix(3000))" }.joined(separator: "\n")
    }

    func dlqIsEmpty(_ broker: Broker) throws -> Bool {
        let probe = try KafkaConsumer(config: KafkaConsumerConfig(common: KafkaConfig(bootstrapServers: broker.bootstrap),
                                                                  groupID: "probe-\(UUID().uuidString)"))
        defer { probe.close() }
        return try probe.watermarks(TopicPartition("segments-dlq", 0)).high == 0
    }

    @Test("INSERT on results revoked for 10 s, then granted: nothing to the DLQ, every segment scored after")
    func privilegeRevoked() throws {
        let db = try ScratchDatabase(migrated: true)
        let role = "worker_\(UInt32.random(in: 0...UInt32.max))"
        _ = try db.query("CREATE ROLE \(role) LOGIN IN ROLE merclip_writer")
        defer { _ = try? db.query("DROP OWNED BY \(role); DROP ROLE IF EXISTS \(role)") }
        var url = URLComponents(string: db.url)!
        url.user = role
        let broker = try Broker(partitions: 2)
        let model = try Assets.model(version: "v1")
        try broker.produce((0..<10).map { goodEvent($0) })
        let w = try WorkerProcess(broker: broker, db: db, model: model, name: "revoked", batchSize: 2,
                                  extra: ["--postgres", url.string!])
        defer { _ = w.terminate() }
        do {
            try waitUntil("first rows", seconds: 90) { try db.count("SELECT count(DISTINCT segment_id) FROM results") >= 2 }
            _ = try db.query("REVOKE INSERT, UPDATE ON results FROM merclip_writer")
            try broker.produce((10..<30).map { goodEvent($0) })
            Thread.sleep(forTimeInterval: 10)
            let during = try db.count("SELECT count(DISTINCT segment_id) FROM results")
            _ = try db.query("GRANT INSERT, UPDATE ON results TO merclip_writer")
            #expect(during < 30, "the revoke held writes back (\(during) of 30 written)")
            try waitUntil("all 30 segments after the grant", seconds: 120) {
                try db.count("SELECT count(DISTINCT segment_id) FROM results") == 30
            }
        } catch {
            Issue.record("\(error)\n\(texts([w]))")
            throw error
        }
        #expect(try db.count("SELECT count(*) FROM results") == 60)
        #expect(try db.count("SELECT count(*) FROM failures") == 0, "a revoked privilege is no segment's fault")
        #expect(try dlqIsEmpty(broker), "nothing went to the DLQ")
        #expect(w.logText.contains("42501"), "the retry names the SQLSTATE")
        #expect(w.logText.contains("sink failed, retrying"))
        #expect(w.terminate() == 0)
    }

    @Test("all brokers down for 20 s: nothing to the DLQ, every segment scored and committed")
    func brokersDown20s() throws {
        let broker = try Broker(partitions: 2)
        let db = try ScratchDatabase(migrated: true)
        let model = try Assets.model(version: "v1")
        try broker.produce((0..<20).map { goodEvent($0) })
        let w = try WorkerProcess(broker: broker, db: db, model: model, name: "down20", batchSize: 2)
        defer { _ = w.terminate() }
        do {
            try waitUntil("first rows", seconds: 90) { try db.count("SELECT count(DISTINCT segment_id) FROM results") >= 2 }
            try broker.process.setBrokers(up: false)
            Thread.sleep(forTimeInterval: 20)
            try broker.process.setBrokers(up: true)
            try broker.produce((20..<30).map { goodEvent($0) })
            try waitUntil("all 30 segments", seconds: 180) {
                try db.count("SELECT count(DISTINCT segment_id) FROM results") == 30
            }
            try waitUntil("committed to the end", seconds: 60) {
                try broker.committed(group: "workers", topic: "segments", partitions: 2).values.compactMap { $0 }.reduce(0, +) == 30
            }
        } catch {
            Issue.record("\(error)\n\(texts([w]))")
            throw error
        }
        #expect(try db.count("SELECT count(*) FROM failures") == 0)
        #expect(try dlqIsEmpty(broker))
        #expect(w.terminate() == 0)
    }

    @Test("SIGKILL of a worker six times during 200 segments: 0 lost, 0 duplicate rows, none to the DLQ")
    func sixKills() throws {
        let broker = try Broker(partitions: 4)
        let db = try ScratchDatabase(migrated: true)
        let model = try Assets.model(version: "v1")
        try broker.produce((0..<200).map { goodEvent($0, streams: 16) })
        var workers = [try WorkerProcess(broker: broker, db: db, model: model, name: "kill-a", batchSize: 4),
                       try WorkerProcess(broker: broker, db: db, model: model, name: "kill-b", batchSize: 4)]
        var dead: [WorkerProcess] = []
        defer { for w in workers { _ = w.terminate() } }
        var kills: [Int] = []
        do {
            for k in 0..<6 {
                // Kill once more rows have landed since the last kill, so each one hits a worker at work.
                let before = try db.count("SELECT count(DISTINCT segment_id) FROM results")
                try waitUntil("progress before kill \(k + 1)", seconds: 120) {
                    try db.count("SELECT count(DISTINCT segment_id) FROM results") >= min(before + 8, 190)
                }
                let victim = k % 2
                workers[victim].kill9()
                kills.append(try db.count("SELECT count(DISTINCT segment_id) FROM results"))
                dead.append(workers[victim])
                workers[victim] = try WorkerProcess(broker: broker, db: db, model: model, name: "kill-\(k)", batchSize: 4)
            }
            try waitUntil("all 200 segments", seconds: 300) {
                try db.count("SELECT count(DISTINCT segment_id) FROM results") == 200
            }
        } catch {
            Issue.record("\(error)\nkills at \(kills)\n\(texts(workers))")
            throw error
        }
        #expect(kills.count == 6 && kills.allSatisfy { $0 < 200 }, "six kills mid-run, at \(kills) segments")
        #expect(try db.count("SELECT count(*) FROM results") == 400, "one row per segment and task")
        #expect(try db.count("SELECT count(*) FROM (SELECT segment_id, task FROM results GROUP BY 1, 2 HAVING count(*) > 1) d") == 0)
        #expect(try db.count("SELECT count(*) FROM failures") == 0)
        #expect(try dlqIsEmpty(broker))
        let results = try broker.readAll("segment-results", atLeast: 200)
        let ids = Set(results.compactMap { m -> String? in
            (try? JSONSerialization.jsonObject(with: Data(m.value)) as? [String: Any])?["segment_id"] as? String
        })
        #expect(ids.count == 200, "a result message for every segment (redelivery may repeat some)")
        for w in workers { #expect(w.terminate() == 0) }
        withExtendedLifetime(dead) {}
    }
}
