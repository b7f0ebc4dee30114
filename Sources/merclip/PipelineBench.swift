// `merclip bench --stage pipeline`: segments/s through the whole worker (dev broker → media → engine →
// Postgres + Kafka → commit) next to the same model and media without the stream (prepare + score).
import ArgumentParser
import Foundation
import Kafka
import Media
import Model
import Sinks
import Tensor
import Worker

extension Bench {
    func runPipeline() throws {
        guard let model, let media else { throw ValidationError("--stage pipeline needs --model DIR and --media FILE") }
        let server = try Setting().required(postgres, "MERCLIP_POSTGRES_URL", option: "--postgres")
        let mediaURL = URL(fileURLWithPath: media).standardizedFileURL
        let scorer = try MERCLIPScorer(modelDirectory: model)
        let window = SegmentWindow(start: 0, duration: 2)
        print("merclip bench --stage pipeline: model \(scorer.modelName)@\(scorer.modelVersion), media \(mediaURL.lastPathComponent), "
              + "\(segments) segments, batch \(batch), BLAS threads \(BLAS.threads)")

        // 1. The engine alone: decode + preprocess each segment, score in batches.
        _ = try scorer.score([try scorer.prepare(media: .file(mediaURL.path), window: window, transcript: "warm up")], labelSets: [nil])
        let t0 = Date()
        var done = 0
        while done < segments {
            let n = min(batch, segments - done)
            let prepared = try (0..<n).map { _ in try scorer.prepare(media: .file(mediaURL.path), window: window, transcript: "I am so happy") }
            _ = try scorer.score(prepared, labelSets: Array(repeating: nil, count: n))
            done += n
        }
        let alone = Double(segments) / Date().timeIntervalSince(t0)
        print(String(format: "engine alone (prepare + score, one thread of work): %.2f segments/s", alone))

        // 2. The pipeline: an in-process dev broker, a scratch database, one worker.
        let broker = try DevBroker()
        for (t, p) in [("segments", 4), ("segment-results", 4), ("segments-dlq", 1)] { try broker.createTopic(t, partitions: p) }
        let dbName = "bench_\(UInt32.random(in: 0...UInt32.max))"
        try PostgresConnection(server).query("CREATE DATABASE \(dbName)")
        defer { _ = try? PostgresConnection(server).query("DROP DATABASE IF EXISTS \(dbName) WITH (FORCE)") }
        var parts = URLComponents(string: server)!
        parts.path = "/\(dbName)"
        let url = parts.string!
        guard let migrations = Migrator.defaultDirectory() else { throw ValidationError("schemas/migrations not found (MERCLIP_MIGRATIONS)") }
        try Migrator(directory: migrations).migrate(PostgresConnection(url))

        let kafka = KafkaConfig(bootstrapServers: broker.bootstrapServers)
        let producer = try KafkaProducer(config: KafkaProducerConfig(common: kafka))
        try producer.sendAndWait((0..<segments).map { i in
            let e = SegmentEvent(segmentID: "bench-\(i)", streamID: "bench-\(i % 8)", startMs: 0, durationMs: 2000,
                                 media: .uri(mediaURL.absoluteString), transcript: "I am so happy")
            return KafkaRecord(topic: "segments", key: Array(e.streamID.utf8), value: e.encoded())
        })
        var config = WorkerConfig(kafka: kafka, group: "bench", topics: ["segments"], resultsTopic: "segment-results",
                                  dlqTopic: "segments-dlq", postgresURL: url)
        config.batchSize = batch
        config.maxWaitMs = 50
        let metrics = Metrics()
        let worker = try StreamWorker(config: config, scorer: scorer, media: MediaSource(roots: [mediaURL.deletingLastPathComponent().path]),
                                      metrics: metrics)
        let finished = DispatchSemaphore(value: 0)
        let thread = Thread { try? worker.run(); finished.signal() }
        thread.stackSize = 16 << 20
        thread.start()
        let db = try PostgresConnection(url)
        var first: Date?
        let deadline = Date().addingTimeInterval(600)
        while Date() < deadline {
            if first == nil && metrics.counter("merclip_events_consumed_total", ["topic": "segments"]) > 0 { first = Date() }
            if Int(try db.query("SELECT count(DISTINCT segment_id) FROM results")[0][0] ?? "0") == segments { break }
            Thread.sleep(forTimeInterval: 0.02)
        }
        let end = Date()
        worker.stop()
        finished.wait()
        guard let first else { throw ValidationError("the worker consumed nothing") }
        let pipeline = Double(segments) / end.timeIntervalSince(first)
        print(String(format: "pipeline (Kafka → worker → Postgres + Kafka, commit): %.2f segments/s", pipeline))
        print(String(format: "pipeline / engine alone: %.2f", pipeline / alone))
        print(String(format: "peak RSS: %.0f MiB", peakRSSMiB()))
    }
}
