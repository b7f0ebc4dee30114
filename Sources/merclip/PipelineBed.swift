// PipelineBed: what `bench --stage pipeline` runs the worker against: an in-process dev broker, a scratch
// database (created, migrated, dropped), and a round of segment events on a topic of its own.
import ArgumentParser
import Foundation
import Kafka
import Sinks
import Worker

final class PipelineBed {
    private let broker: DevBroker
    private let server: String
    private let dbName: String
    private let url: String
    private let kafka: KafkaConfig
    /// Optional only so that deinit can close it before the broker goes (else it logs refused connections).
    private var producer: KafkaProducer?
    private let segments: Int
    private let segmentSeconds: Double
    private let mediaURL: URL

    init(server: String, segments: Int, segmentSeconds: Double, mediaURL: URL) throws {
        self.server = server
        self.segments = segments
        self.segmentSeconds = segmentSeconds
        self.mediaURL = mediaURL
        broker = try DevBroker()
        for (t, p) in [("segment-results", 4), ("segments-dlq", 1)] { try broker.createTopic(t, partitions: p) }
        dbName = "bench_\(UInt32.random(in: 0...UInt32.max))"
        try PostgresConnection(server).query("CREATE DATABASE \(dbName)")
        var parts = URLComponents(string: server)!
        parts.path = "/\(dbName)"
        url = parts.string!
        kafka = KafkaConfig(bootstrapServers: broker.bootstrapServers)
        producer = try KafkaProducer(config: KafkaProducerConfig(common: kafka))
        do {
            guard let migrations = Migrator.defaultDirectory() else { throw ValidationError("schemas/migrations not found (MERCLIP_MIGRATIONS)") }
            try Migrator(directory: migrations).migrate(PostgresConnection(url))
        } catch {
            drop()
            throw error
        }
    }

    deinit { producer = nil }

    /// Drops the scratch database.
    func drop() { _ = try? PostgresConnection(server).query("DROP DATABASE IF EXISTS \(dbName) WITH (FORCE)") }

    /// What one round measured: its segments and seconds, and the engine stage's batches (how many, and the
    /// seconds they took).
    struct Round {
        var segments: Int
        var seconds: Double
        var batches: Double
        var engineSeconds: Double

        var segmentsPerSecond: Double { Double(segments) / seconds }
    }

    /// Round `round`: its events on topic `segments-<round>`, one worker (group `bench-<round>`, the worker's
    /// default budget unless the options change it) from its first consumed event until every segment's
    /// rows are written.
    func run(round: Int, scorer: MERCLIPScorer, batch: Int, cores: Int, options: PipelineOptions) throws -> Round {
        let topic = "segments-\(round)", prefix = "bench-r\(round)-"
        try broker.createTopic(topic, partitions: 4)
        try producer!.sendAndWait((0..<segments).map { i in
            let e = SegmentEvent(segmentID: prefix + "\(i)", streamID: "bench-\(i % 8)", startMs: 0,
                                 durationMs: Int64((segmentSeconds * 1000).rounded()), media: .uri(mediaURL.absoluteString),
                                 transcript: "I am so happy")
            return KafkaRecord(topic: topic, key: Array(e.streamID.utf8), value: e.encoded())
        })
        var config = WorkerConfig(kafka: kafka, group: "bench-\(round)", topics: [topic], resultsTopic: "segment-results",
                                  dlqTopic: "segments-dlq", postgresURL: url)
        config.batchSize = batch
        // The worker's default budget: the engine on every core, a lane per core at a lower priority.
        config.cpu = CPUBudget.plan(cores: cores, decodeLanes: options.decodeLanes, decodeNice: options.decodeNice)
        if round == 1 { print("pipeline CPU budget: \(config.cpu)") }
        let metrics = Metrics()
        let worker = try StreamWorker(config: config, scorer: scorer, media: MediaSource(roots: [mediaURL.deletingLastPathComponent().path]),
                                      metrics: metrics)
        let finished = DispatchSemaphore(value: 0)
        let thread = Thread { try? worker.run(); finished.signal() }
        thread.stackSize = 16 << 20
        thread.start()
        let db = try PostgresConnection(url)
        var first: Date?
        let firstTask = scorer.engine.config.tasks[0].name
        let deadline = Date().addingTimeInterval(600)
        var complete = false
        while Date() < deadline {
            if first == nil && metrics.counter("merclip_events_consumed_total", ["topic": topic]) > 0 { first = Date() }
            // The worker's own count of written rows (no query load on Postgres while timing), then the rows.
            if metrics.counter("merclip_results_written_total", ["task": firstTask]) >= Double(segments),
               Int(try db.query("SELECT count(DISTINCT segment_id) FROM results WHERE segment_id LIKE '\(prefix)%'")[0][0] ?? "0") == segments {
                complete = true
                break
            }
            Thread.sleep(forTimeInterval: 0.025)   // a 5 ms poll cost the worker ~0.7% of the CPU
        }
        let end = Date()
        worker.stop()
        finished.wait()
        guard let first else { throw ValidationError("the worker consumed nothing in round \(round)") }
        guard complete else { throw ValidationError("round \(round): the worker did not write all \(segments) segments within 600 s") }
        let model = metrics.histogram("merclip_stage_seconds", ["stage": "model"])
        let seconds = end.timeIntervalSince(first)
        return Round(segments: segments, seconds: seconds, batches: model.count, engineSeconds: model.sum)
    }
}
