// `merclip worker`: consume segment events, score them, write results, commit.
import ArgumentParser
import Foundation
import Kafka
import Media
import Worker

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Consume segment events from Kafka, score them with MER-CLIP, write results to Kafka and Postgres.",
        discussion: """
        One member of a consumer group: start more processes with the same --group to scale out \
        (up to the topic's partition count). Offsets are committed only after the batch's rows are \
        committed in Postgres and its result and DLQ messages were acknowledged. Bad events go to the \
        DLQ topic (headers merclip.stage, merclip.error_class, merclip.reason, merclip.source_*) and the \
        failures table; a transient failure (Postgres or Kafka down) is retried with backoff, never skipped. \
        SIGTERM/SIGINT: stop fetching, finish the batch, write, commit, exit 0.

        Every option can come from the environment variable named in its help.
        """)

    @Option(help: "Kafka bootstrap servers (MERCLIP_BROKERS).") var brokers: String?
    @Option(help: "Consumer group (MERCLIP_GROUP, default merclip-workers).") var group: String?
    @Option(help: "Topic of segment events (MERCLIP_TOPIC, default segments).") var topic: String?
    @Option(help: "Topic for results (MERCLIP_RESULTS_TOPIC, default segment-results).") var resultsTopic: String?
    @Option(help: "Dead-letter topic (MERCLIP_DLQ_TOPIC, default segments-dlq).") var dlqTopic: String?
    @Option(help: "Postgres URL (MERCLIP_POSTGRES_URL).") var postgres: String?
    @Option(help: "MER-CLIP model directory (MERCLIP_MODEL).") var model: String?
    @Option(help: "Matrix-product precision: fp32, bf16, int8 or auto (MERCLIP_PRECISION, default fp32).") var precision: String?
    @Option(help: "Segments per model batch (MERCLIP_BATCH_SIZE, default 8).") var batchSize: Int?
    @Option(help: "Longest wait to fill a batch, ms (MERCLIP_MAX_WAIT_MS, default 200).") var maxWaitMs: Int?
    @Option(help: "Segments decoded and preprocessed at once (MERCLIP_PREPROCESS_THREADS, default: cores).") var preprocessThreads: Int?
    @Option(name: .customLong("media-root"), help: "Folder that file:// media may come from; repeatable (MERCLIP_MEDIA_ROOTS, colon-separated).")
    var mediaRoots: [String] = []
    @Option(name: .customLong("media-host"), help: "Host that http(s):// media may come from; repeatable (MERCLIP_MEDIA_HOSTS, comma-separated).")
    var mediaHosts: [String] = []
    @Option(help: "JSON file of label sets: {\"name\": {\"task\": [\"label\", ...]}} (MERCLIP_LABEL_SETS).") var labelSets: String?
    @Option(help: "Port for /metrics, /healthz, /readyz (MERCLIP_METRICS_PORT, default 9464; 0 = any free port).") var metricsPort: Int?
    @Option(name: .customShort("X"), help: "librdkafka property key=value, repeatable (MERCLIP_KAFKA_PROPERTIES, ';'- or newline-separated).")
    var kafkaProperties: [String] = []

    func run() async throws {
        Log.routeKafkaLogs()
        let env = ProcessInfo.processInfo.environment
        func setting(_ value: String?, _ key: String, _ fallback: String? = nil) throws -> String {
            if let v = value ?? env[key] ?? fallback, !v.isEmpty { return v }
            throw ValidationError("--\(key.dropFirst(8).lowercased().replacingOccurrences(of: "_", with: "-")) or \(key) is required")
        }
        var extra = try KafkaConfig.parseExtra(kafkaProperties)
        if let list = env["MERCLIP_KAFKA_PROPERTIES"] {
            let fromEnv = try KafkaConfig.parseExtra(list.split(whereSeparator: { $0 == ";" || $0 == "\n" })
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
            extra.merge(fromEnv) { flag, _ in flag }
        }
        var config = WorkerConfig(
            kafka: KafkaConfig(bootstrapServers: try setting(brokers, "MERCLIP_BROKERS"), extra: extra),
            group: try setting(group, "MERCLIP_GROUP", "merclip-workers"),
            topics: [try setting(topic, "MERCLIP_TOPIC", "segments")],
            resultsTopic: try setting(resultsTopic, "MERCLIP_RESULTS_TOPIC", "segment-results"),
            dlqTopic: try setting(dlqTopic, "MERCLIP_DLQ_TOPIC", "segments-dlq"),
            postgresURL: try setting(postgres, "MERCLIP_POSTGRES_URL"))
        config.batchSize = try Int(setting(batchSize.map(String.init), "MERCLIP_BATCH_SIZE", "8")) ?? 8
        config.maxWaitMs = try Int(setting(maxWaitMs.map(String.init), "MERCLIP_MAX_WAIT_MS", "200")) ?? 200
        if let n = preprocessThreads ?? env["MERCLIP_PREPROCESS_THREADS"].flatMap({ Int($0) }) { config.preprocessThreads = n }
        guard config.batchSize >= 1, config.maxWaitMs >= 0, config.preprocessThreads >= 1 else {
            throw ValidationError("--batch-size and --preprocess-threads must be ≥ 1 and --max-wait-ms ≥ 0")
        }
        let roots = mediaRoots.isEmpty ? (env["MERCLIP_MEDIA_ROOTS"]?.split(separator: ":").map(String.init) ?? []) : mediaRoots
        let hosts = mediaHosts.isEmpty ? (env["MERCLIP_MEDIA_HOSTS"]?.split(separator: ",").map(String.init) ?? []) : mediaHosts
        let port = try Int(setting(metricsPort.map(String.init), "MERCLIP_METRICS_PORT", "9464")) ?? 9464

        var sets: [String: [String: [String]]] = [:]
        if let file = labelSets ?? env["MERCLIP_LABEL_SETS"] {
            guard let data = FileManager.default.contents(atPath: file),
                  let parsed = try? JSONDecoder().decode([String: [String: [String]]].self, from: data) else {
                throw ValidationError("label sets \(file): not readable as {\"name\": {\"task\": [labels]}}")
            }
            sets = parsed
        }
        let log = Log("worker")
        let modelDir = try setting(model, "MERCLIP_MODEL")
        if let precision { setenv("MERCLIP_PRECISION", precision, 1) }   // read by the model loader
        let scorer = try MERCLIPScorer(modelDirectory: modelDir, labelSets: sets)
        if !scorer.modelTrained {
            log.warn("model is UNTRAINED: scores are not meaningful", ["model": "\(scorer.modelName)@\(scorer.modelVersion)"])
        }
        let metrics = Metrics()
        let worker = try Worker(config: config, scorer: scorer,
                                media: MediaSource(roots: roots, hosts: hosts), metrics: metrics)
        let server = try MetricsServer(port: port, metrics: metrics) { worker.isReady }
        log.info("metrics", ["port": server.port, "media_roots": roots.joined(separator: ":")])

        let signals = SignalWatcher { sig in
            log.info("signal received, finishing the batch in flight", ["signal": sig])
            worker.stop()
        }
        // The loop blocks in librdkafka, libpq and BLAS: it gets a thread of its own.
        try await withCheckedThrowingContinuation { (cont: CheckedContinuation<Void, Error>) in
            let t = Thread {
                cont.resume(with: Result { try worker.run() })
            }
            t.name = "merclip-worker"
            t.stackSize = 16 << 20
            t.start()
        }
        withExtendedLifetime((signals, server)) {}
    }
}
