// Worker processes against the dev broker and the real Postgres: scoring, DLQ, crashes, outages.
import Foundation
import Kafka
import Sinks
import TestSupport
import Testing
import Worker

@Suite("Worker pipeline", .serialized)
struct PipelineTests {
    init() throws { try Assets.makeMedia() }

    /// Five events that must go to the DLQ, one per failure class.
    func poisonEvents() -> [(KafkaRecord, String)] {
        func event(_ id: String, _ media: SegmentEvent.Media) -> [UInt8] {
            SegmentEvent(segmentID: id, streamID: "poison", startMs: 0, durationMs: 2000, media: media).encoded()
        }
        let root = Assets.mediaRoot
        return [
            (KafkaRecord(topic: "segments", key: Array("poison".utf8), value: Array("{\"segment_id\": ".utf8)), "event.bad_json"),
            (KafkaRecord(topic: "segments", key: Array("poison".utf8),
                         value: Array(#"{"segment_id":"p2","stream_id":"poison","start_ms":0,"media":{"uri":"file:///x"},"produced_at":"2026-01-01T00:00:00Z"}"#.utf8)),
             "event.schema"),
            (KafkaRecord(topic: "segments", key: Array("poison".utf8), value: event("p3", .uri("file:///etc/passwd"))), "media.not_allowed"),
            (KafkaRecord(topic: "segments", key: Array("poison".utf8),
                         value: event("p4", .uri(root.appendingPathComponent("corrupt.mp4").absoluteString))), "media.corrupt"),
            (KafkaRecord(topic: "segments", key: Array("poison".utf8),
                         value: event("p5", .uri(root.appendingPathComponent("missing.mp4").absoluteString))), "media.unreadable"),
        ]
    }

    @Test("2 workers in one group over 4 partitions score 40 segments; 5 poison events go to the DLQ")
    func twoWorkers() throws {
        let broker = try Broker(partitions: 4)
        let db = try ScratchDatabase(migrated: true)
        let model = try Assets.model(version: "v1")
        let poison = poisonEvents()
        var records = (0..<40).map { goodEvent($0) }
        for (k, p) in poison.enumerated() { records.insert(p.0, at: 5 + k * 8) }
        try broker.produce(records)

        let w1 = try WorkerProcess(broker: broker, db: db, model: model, name: "w1")
        let w2 = try WorkerProcess(broker: broker, db: db, model: model, name: "w2")
        defer { _ = w1.terminate(); _ = w2.terminate() }
        do {
            try waitUntil("40 rows per task and 5 failures", seconds: 120) {
                try db.count("SELECT count(*) FROM results WHERE task = 'emotion'") == 40
                    && db.count("SELECT count(*) FROM results WHERE task = 'sentiment'") == 40
                    && db.count("SELECT count(*) FROM failures") == 5
            }
        } catch {
            Issue.record("\(error)\n--- w1:\n\(w1.logText.suffix(3000))\n--- w2:\n\(w2.logText.suffix(3000))")
            throw error
        }
        #expect(try db.count("SELECT count(DISTINCT segment_id) FROM results") == 40)
        #expect(try db.count("SELECT count(*) FROM results WHERE model_version = 'v1' AND model_name = 'merclip-test'") == 80)
        #expect(try db.count("SELECT count(*) FROM results WHERE 'vision' = ANY(modalities) AND 'audio' = ANY(modalities)") == 80)
        #expect(try db.count("SELECT count(*) FROM results WHERE 'language' = ANY(modalities)") == 2 * 26)

        let results = try broker.readAll("segment-results", atLeast: 40)
        #expect(results.count == 40, "one result message per segment")
        let ids = Set(results.compactMap { m -> String? in
            (try? JSONSerialization.jsonObject(with: Data(m.value)) as? [String: Any])?["segment_id"] as? String
        })
        #expect(ids.count == 40)

        let dlq = try broker.readAll("segments-dlq", atLeast: 5)
        #expect(dlq.count == 5)
        let classes = dlq.compactMap { $0.header("merclip.error_class").map { String(decoding: $0, as: UTF8.self) } }
        #expect(classes.sorted() == poison.map(\.1).sorted())
        for m in dlq {
            #expect(m.header("merclip.source_topic").map { String(decoding: $0, as: UTF8.self) } == "segments")
            #expect(m.header("merclip.source_offset") != nil && m.header("merclip.source_partition") != nil)
            #expect(m.header("merclip.reason").map { !$0.isEmpty } == true)
            #expect(m.header("merclip.stage") != nil)
        }
        let outside = try db.query("SELECT reason FROM failures WHERE error_class = 'media.not_allowed'")
        #expect(outside.first?.first??.contains("outside the media roots") == true)

        // Everything consumed was committed: the group's offsets reach the end of each partition.
        try waitUntil("offsets committed to the end", seconds: 20) {
            let committed = try broker.committed(group: "workers", topic: "segments", partitions: 4)
            return committed.values.compactMap { $0 }.reduce(0, +) == Int64(records.count)
        }
        #expect(w1.terminate() == 0 && w2.terminate() == 0, "SIGTERM exits 0")
    }

    @Test("SIGKILL one of two workers mid-run: the other finishes, every segment scored once")
    func killOne() throws {
        let broker = try Broker(partitions: 4)
        let db = try ScratchDatabase(migrated: true)
        let model = try Assets.model(version: "v1")
        try broker.produce((0..<40).map { goodEvent($0) })
        let w1 = try WorkerProcess(broker: broker, db: db, model: model, name: "k1", batchSize: 2)
        let w2 = try WorkerProcess(broker: broker, db: db, model: model, name: "k2", batchSize: 2)
        defer { _ = w2.terminate() }
        try waitUntil("both workers writing", seconds: 60) {
            try db.count("SELECT count(DISTINCT segment_id) FROM results") >= 6
        }
        w1.kill9()
        let atKill = try db.count("SELECT count(DISTINCT segment_id) FROM results")
        #expect(atKill < 40, "the kill happened mid-run")
        do {
            try waitUntil("all 40 segments", seconds: 120) {
                try db.count("SELECT count(DISTINCT segment_id) FROM results") == 40
            }
        } catch {
            Issue.record("\(error)\n--- survivor:\n\(w2.logText.suffix(3000))")
            throw error
        }
        #expect(try db.count("SELECT count(*) FROM results") == 80, "one row per segment and task, no duplicates")
        #expect(try db.count("SELECT count(*) FROM (SELECT segment_id, task FROM results GROUP BY 1, 2 HAVING count(*) > 1) d") == 0)
    }

    @Test("Postgres down for 20 s: no offset committed past unwritten results; all scored after it returns")
    func postgresOutage() throws {
        // A Postgres of this test's own, so stopping it disturbs no other suite.
        let dir = Assets.dir.appendingPathComponent("pg-outage-\(UUID().uuidString.prefix(6))").path
        let port = freePort()
        let env = ["MERCLIP_SERVICES_DIR": dir, "MERCLIP_PG_PORT": String(port)]
        let services = repoRoot.appendingPathComponent("ops/services.sh").path
        try run(services, ["start-postgres"], env: env)
        defer { _ = try? run(services, ["stop-postgres"], env: env) }
        let db = try ScratchDatabase(migrated: true, server: "postgresql://merclip@127.0.0.1:\(port)/merclip")
        let broker = try Broker(partitions: 4)
        let model = try Assets.model(version: "v1")
        try broker.produce((0..<20).map { goodEvent($0) })
        let w = try WorkerProcess(broker: broker, db: db, model: model, name: "pg", batchSize: 2)
        defer { _ = w.terminate() }
        try waitUntil("first rows", seconds: 60) { try db.count("SELECT count(*) FROM results") >= 4 }

        try run(services, ["stop-postgres"], env: env)
        try broker.produce((20..<40).map { goodEvent($0) })
        Thread.sleep(forTimeInterval: 20)
        let committedDuringOutage = try broker.committed(group: "workers", topic: "segments", partitions: 4)
        let restartedAt = Date()
        try run(services, ["start-postgres"], env: env)

        // Every offset committed while Postgres was down covers only rows written before that.
        for (p, next) in committedDuringOutage {
            guard let next else { continue }
            let written = try db.count("""
                SELECT count(DISTINCT source_offset) FROM results
                WHERE source_partition = \(p) AND source_offset < \(next)
                  AND written_at < '\(ISO8601DateFormatter().string(from: restartedAt))'::timestamptz
                """)
            #expect(Int64(written) == next, "partition \(p): committed \(next) but only \(written) written before the restart")
        }
        do {
            try waitUntil("all 40 segments after the restart", seconds: 120) {
                (try? db.count("SELECT count(DISTINCT segment_id) FROM results")) == 40
            }
        } catch {
            Issue.record("\(error)\n--- worker:\n\(w.logText.suffix(3000))")
            throw error
        }
        #expect(w.logText.contains("sink failed, retrying"), "the outage was seen and retried")
        #expect(try db.count("SELECT count(*) FROM failures") == 0, "nothing sent to the DLQ for a transient failure")
        let metricsNote = w.logText.contains("resumed")
        #expect(metricsNote, "partitions were paused and resumed")
    }

    @Test("a segment the database refuses goes to the DLQ; the rest of its batch is written")
    func rejectedRow() throws {
        let broker = try Broker(partitions: 1)
        let db = try ScratchDatabase(migrated: true)
        // A rule retrying cannot satisfy, standing in for any row Postgres refuses for good.
        _ = try db.query("ALTER TABLE results ADD CONSTRAINT refuse_one CHECK (segment_id <> 'seg-003')")
        let model = try Assets.model(version: "v1")
        try broker.produce((0..<8).map { goodEvent($0) })
        let w = try WorkerProcess(broker: broker, db: db, model: model, name: "rejected", batchSize: 8)
        defer { _ = w.terminate() }
        do {
            try waitUntil("7 segments written and 1 refused", seconds: 90) {
                try db.count("SELECT count(DISTINCT segment_id) FROM results") == 7
                    && db.count("SELECT count(*) FROM failures WHERE error_class = 'sink.rejected'") == 1
            }
        } catch {
            Issue.record("\(error)\n--- worker:\n\(w.logText.suffix(3000))")
            throw error
        }
        #expect(try db.query("SELECT segment_id, stage FROM failures") == [["seg-003", "postgres"]])
        let dlq = try broker.readAll("segments-dlq", atLeast: 1)
        #expect(dlq.count == 1)
        #expect(dlq.first?.header("merclip.error_class").map { String(decoding: $0, as: UTF8.self) } == "sink.rejected")
        try waitUntil("all 8 offsets committed", seconds: 20) {
            try broker.committed(group: "workers", topic: "segments", partitions: 1)[0]! == 8
        }
    }
}
