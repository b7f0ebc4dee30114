// Re-scoring a time range with a new model version through a replay topic, beside live traffic.
import Foundation
import Kafka
import TestSupport
import Testing
import Worker

@Suite("Replay and re-scoring", .serialized)
struct ReplayTests {
    init() throws { try Assets.makeMedia() }

    @Test("30 segments scored by v1; 10 of them replayed to v2 while 10 live arrive; re-running adds nothing")
    func replay() throws {
        let broker = try Broker(partitions: 4)
        let db = try ScratchDatabase(migrated: true)
        let v1 = try Assets.model(version: "v1"), v2 = try Assets.model(version: "v2")
        let live = try WorkerProcess(broker: broker, db: db, model: v1, group: "live", name: "live")
        defer { _ = live.terminate() }

        try broker.produce((0..<10).map { goodEvent($0) })
        Thread.sleep(forTimeInterval: 1.5)
        let since = Date()
        try broker.produce((10..<20).map { goodEvent($0) })
        Thread.sleep(forTimeInterval: 0.5)
        let until = Date()
        Thread.sleep(forTimeInterval: 1.0)
        try broker.produce((20..<30).map { goodEvent($0) })
        try waitUntil("30 segments scored by v1", seconds: 90) {
            try db.count("SELECT count(DISTINCT segment_id) FROM results WHERE model_version = 'v1'") == 30
        }

        let rescore = try WorkerProcess(broker: broker, db: db, model: v2, group: "rescore-v2", topic: "segments-replay", name: "rescore")
        defer { _ = rescore.terminate() }
        let replayArgs = ["replay", "--brokers", broker.bootstrap, "--source-topic", "segments", "--replay-topic", "segments-replay",
                          "--since", String(since.timeIntervalSince1970), "--until", String(until.timeIntervalSince1970),
                          "--replay-id", "r1", "--postgres", db.url]
        let first = try run(merclipBinary(), replayArgs)
        #expect(first.contains("10 event(s) in range, 10 copied"), "\(first)")
        try broker.produce((30..<40).map { goodEvent($0) })   // live traffic during the re-scoring
        do {
            try waitUntil("40 v1 and 10 v2 segments", seconds: 120) {
                try db.count("SELECT count(DISTINCT segment_id) FROM results WHERE model_version = 'v1'") == 40
                    && db.count("SELECT count(DISTINCT segment_id) FROM results WHERE model_version = 'v2'") == 10
            }
        } catch {
            Issue.record("\(error)\n--- rescore:\n\(rescore.logText.suffix(3000))\n--- live:\n\(live.logText.suffix(2000))")
            throw error
        }
        let v2IDs = try db.query("SELECT DISTINCT segment_id FROM results WHERE model_version = 'v2' ORDER BY 1").map { $0[0]! }
        #expect(v2IDs == (10..<20).map { String(format: "seg-%03d", $0) }, "exactly the replayed range")
        #expect(try db.count("SELECT count(*) FROM results WHERE model_version = 'v2' AND replay_id = 'r1'") == 20)
        #expect(try db.count("SELECT count(*) FROM results WHERE model_version = 'v1' AND replay_id IS NULL") == 80)
        // Live results were not held up behind the replay: each was written within seconds of being produced.
        let liveLatency = try db.query("""
            SELECT max(end_to_end_ms) FROM results WHERE model_version = 'v1' AND segment_id >= 'seg-030'
            """)[0][0].flatMap { Double($0) } ?? .infinity
        #expect(liveLatency < 15_000, "live end-to-end latency during the replay: \(liveLatency) ms")

        let again = try run(merclipBinary(), replayArgs)
        #expect(again.contains("0 copied") && again.contains("10 already copied"), "\(again)")
        Thread.sleep(forTimeInterval: 3)
        #expect(try db.count("SELECT count(*) FROM results") == 80 + 20, "re-running the replay added no rows")

        let status = try run(merclipBinary(), ["replay", "status", "--replay-id", "r1", "--postgres", db.url])
        #expect(status.contains("copied  10") && status.contains("scored  10 segment(s) by merclip-test@v2")
                && status.contains("failed  0"), "\(status)")
        let agreement = try db.query("""
            SELECT sum(segments), min(same_predicted_share) >= 0, max(mean_abs_score_diff) >= 0
            FROM version_agreement WHERE version_a = 'v1' AND version_b = 'v2' AND task = 'emotion'
            """)
        #expect(agreement == [["10", "t", "t"]])
    }
}
