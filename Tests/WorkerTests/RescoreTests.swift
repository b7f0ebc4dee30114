// Re-scoring from stored features: a worker keeps them, `merclip rescore` scores them with new decoders,
// a new label set, or refuses a model whose encoders differ.
import Foundation
import Kafka
import Model
import TestSupport
import Testing
import Worker

@Suite("Re-scoring from stored features", .serialized)
struct RescoreTests {
    init() throws { try Assets.makeMedia() }

    /// A copy of `model` that only claims another version: same encoders, same decoders.
    func relabelled(_ model: String, version: String) throws -> String {
        let out = Assets.dir.appendingPathComponent("model-\(version)-copy-\(UUID().uuidString.prefix(6))").path
        try FileManager.default.copyItem(atPath: model, toPath: out)
        let url = URL(fileURLWithPath: out + "/config.json")
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        config["version"] = version
        try JSONSerialization.data(withJSONObject: config).write(to: url)
        return out
    }

    @Test("20 segments stored by the worker; rescore equals the worker's scores within 1e-5; a label set adds rows; other encoders are refused")
    func rescoreFromStoredFeatures() throws {
        let broker = try Broker(partitions: 2)
        let db = try ScratchDatabase(migrated: true)
        let v1 = try Assets.model(version: "v1")
        let worker = try WorkerProcess(broker: broker, db: db, model: v1, name: "store", extra: ["--store-features"])
        defer { _ = worker.terminate() }
        try broker.produce((0..<20).map { goodEvent($0) })
        do {
            try waitUntil("20 segments scored and their features stored", seconds: 90) {
                try db.count("SELECT count(DISTINCT segment_id) FROM results") == 20
                    && db.count("SELECT count(*) FROM segment_features") == 20
            }
        } catch {
            Issue.record("\(error)\n\(worker.logText.suffix(3000))")
            throw error
        }
        #expect(try db.count("SELECT count(*) FROM segment_features WHERE language_rows > 0") == 13, "i % 3 != 0 have text")
        #expect(try db.count("SELECT count(*) FROM segment_features WHERE vision_rows = 12 AND audio_rows = 1") == 20)

        let same = try relabelled(v1, version: "v1-rescored")
        let out = try run(merclipBinary(), ["rescore", "--model", same, "--since", "0", "--postgres", db.url])
        #expect(out.contains("rescore: 20 segments from stored features"), "\(out)")
        let diff = try db.query("""
            SELECT count(*), max(abs((a.scores ->> k)::double precision - (b.scores ->> k)::double precision))
            FROM results a JOIN results b ON b.segment_id = a.segment_id AND b.task = a.task
                 AND a.model_version = 'v1' AND b.model_version = 'v1-rescored', jsonb_object_keys(a.scores) AS k
            WHERE a.predicted = b.predicted AND a.modalities = b.modalities
            """)
        #expect(diff[0][0] == "160", "20 segments × (6 + 2) labels with equal predictions and modalities")
        #expect((Double(diff[0][1] ?? "1") ?? 1) <= 1e-5, "largest score difference \(diff[0][1] ?? "?")")

        let labelled = try run(merclipBinary(), ["rescore", "--model", v1, "--stream-id", "stream-1", "--label-set", "support",
                                                 "--labels", "emotion=calm,annoyed,grateful", "--postgres", db.url])
        #expect(labelled.contains("rescore: 3 segments"), "\(labelled)")
        #expect(try db.query("""
            SELECT DISTINCT jsonb_object_keys(scores) FROM results WHERE label_set = 'support' AND task = 'emotion' ORDER BY 1
            """) == [["annoyed"], ["calm"], ["grateful"]])
        #expect(try db.count("SELECT count(*) FROM results WHERE model_version = 'v1' AND label_set = 'default'") == 40,
                "the default rows of v1 are kept beside the label set's")

        let other = Assets.dir.appendingPathComponent("model-other-\(UUID().uuidString.prefix(6))").path
        try run(merclipBinary(), ["model", "init", "--random", "--preset", "tiny", "--seed", "7", "--out", other, "--version", "v9"])
        let refused = try runProcess(merclipBinary(), ["rescore", "--model", other, "--since", "0", "--postgres", db.url])
        #expect(refused.status != 0 && refused.stderr.contains("other encoders") && refused.stderr.contains("merclip replay"),
                "\(refused.stderr)")
        #expect(try db.count("SELECT count(*) FROM results WHERE model_version = 'v9'") == 0)
    }
}

@Suite("Re-scoring: features kept apart by precision", .serialized)
struct RescorePrecisionTests {
    init() throws { try Assets.makeMedia() }

    @Test("features stored by an int8 worker are not matched as fp32: rescore says so, and reuses them with --features-precision int8")
    func int8FeaturesKeptApart() throws {
        let broker = try Broker(partitions: 1)
        let db = try ScratchDatabase(migrated: true)
        let v1 = try Assets.model(version: "v1")
        let worker = try WorkerProcess(broker: broker, db: db, model: v1, name: "store-int8",
                                       extra: ["--store-features", "--precision", "int8"])
        defer { _ = worker.terminate() }
        try broker.produce((0..<6).map { goodEvent($0) })
        do {
            try waitUntil("6 segments stored", seconds: 90) { try db.count("SELECT count(*) FROM segment_features") == 6 }
        } catch {
            Issue.record("\(error)\n\(worker.logText.suffix(3000))")
            throw error
        }
        let int8 = try EncoderDigest.of(directory: v1, precision: .int8)
        #expect(try db.query("SELECT DISTINCT encoder_digest FROM segment_features") == [[int8]])
        #expect(int8 != (try EncoderDigest.of(directory: v1)))

        let refused = try runProcess(merclipBinary(), ["rescore", "--model", v1, "--since", "0", "--postgres", db.url])
        #expect(refused.status != 0 && refused.stderr.contains("at int8, not fp32")
                && refused.stderr.contains("--features-precision int8"), "\(refused.stderr)")
        let out = try run(merclipBinary(), ["rescore", "--model", v1, "--since", "0", "--features-precision", "int8",
                                            "--label-set", "again", "--labels", "emotion=calm,annoyed", "--postgres", db.url])
        #expect(out.contains("rescore: 6 segments from stored features (encoders \(int8))"), "\(out)")
        #expect(try db.count("SELECT count(*) FROM results WHERE label_set = 'again'") == 12, "6 segments × 2 tasks")
    }
}
