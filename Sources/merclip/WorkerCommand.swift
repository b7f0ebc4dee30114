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
        DLQ topic (headers merclip.stage, merclip.error_class, merclip.reason, merclip.source_*; the event's \
        own merclip.* headers renamed orig.merclip.*; a copy over message.max.bytes cut to fit, with \
        merclip.truncated) and the failures table; a transient failure (Postgres or Kafka down) is \
        retried with backoff, never skipped. A model error fails only its segment. \
        Stages overlap: while one batch is scored the next is decoded and the previous one written; \
        offsets are committed per partition only below the first segment not yet written. \
        SIGTERM/SIGINT: stop fetching, finish, write and commit what is in flight, exit 0, all within \
        --drain-seconds (what is not written by then stays uncommitted and is read again by the next \
        owner); a second signal exits at once (status 128 + signal) without committing.

        Every option can come from the environment variable named in its help.
        """)

    @Option(help: "Kafka bootstrap servers (MERCLIP_BROKERS).") var brokers: String?
    @Option(help: "Consumer group (MERCLIP_GROUP, default merclip-workers).") var group: String?
    @Option(help: "Topic of segment events (MERCLIP_TOPIC, default segments).") var topic: String?
    @Option(help: "Topic for results (MERCLIP_RESULTS_TOPIC, default segment-results).") var resultsTopic: String?
    @Option(help: "Dead-letter topic (MERCLIP_DLQ_TOPIC, default segments-dlq).") var dlqTopic: String?
    @Option(help: "Postgres URL (MERCLIP_POSTGRES_URL).") var postgres: String?
    @Option(help: "MER-CLIP model directory (MERCLIP_MODEL).") var model: String?
    @Option(help: "Segments per model batch (MERCLIP_BATCH_SIZE, default 8).") var batchSize: Int?
    @Option(help: "Longest wait to fill a batch, ms (MERCLIP_MAX_WAIT_MS, default 200).") var maxWaitMs: Int?
    @Option(help: "Decode lanes: segments decoded and preprocessed at once (MERCLIP_PREPROCESS_THREADS; default: the cores' media share, at least 1).") var preprocessThreads: Int?
    @Option(help: "BLAS threads of the engine (MERCLIP_THREADS; default: the cores the decode lanes leave).") var engineThreads: Int?
    @Option(help: "Cores the lanes and the engine share (MERCLIP_CPUS, default: the active cores).") var cpus: Int?
    @Option(help: "On SIGTERM, the longest the worker takes to finish and commit what it holds, s (MERCLIP_DRAIN_SECONDS, default 30).") var drainSeconds: Double?
    @Option(help: "A stage holding one unit of work longer than this fails /healthz, s (MERCLIP_STAGE_DEADLINE_SECONDS, default 300).") var stageDeadlineSeconds: Double?
    @Option(name: .customLong("media-root"), help: "Folder that file:// media may come from; repeatable (MERCLIP_MEDIA_ROOTS, colon-separated).")
    var mediaRoots: [String] = []
    @Option(name: .customLong("media-host"), help: "Host that http(s):// media may come from; repeatable (MERCLIP_MEDIA_HOSTS, comma-separated).")
    var mediaHosts: [String] = []
    @Option(help: "JSON file of label sets: {\"name\": {\"task\": [\"label\", ...]}} (MERCLIP_LABEL_SETS).") var labelSets: String?
    @Option(help: "Port for /metrics, /healthz, /readyz (MERCLIP_METRICS_PORT, default 9464; 0 = any free port).") var metricsPort: Int?
    @Option(help: "IPv4 address the metrics port listens on (MERCLIP_METRICS_ADDRESS, default 0.0.0.0: all interfaces).") var metricsAddress: String?
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
        /// The flag's value, else the variable's (an error naming it when it is not a number), else nil.
        func number<T: LosslessStringConvertible>(_ flag: T?, _ key: String) throws -> T? {
            if let flag { return flag }
            guard let text = env[key], !text.isEmpty else { return nil }
            guard let v = T(text) else { throw ValidationError("\(key)='\(text)' is not a number") }
            return v
        }
        config.batchSize = try number(batchSize, "MERCLIP_BATCH_SIZE") ?? 8
        config.maxWaitMs = try number(maxWaitMs, "MERCLIP_MAX_WAIT_MS") ?? 200
        let lanes = try number(preprocessThreads, "MERCLIP_PREPROCESS_THREADS")
        let engine = try number(engineThreads, "MERCLIP_THREADS")
        let cores = try number(cpus, "MERCLIP_CPUS") ?? ProcessInfo.processInfo.activeProcessorCount
        guard config.batchSize >= 1, config.maxWaitMs >= 0, (lanes ?? 1) >= 1, (engine ?? 1) >= 1, cores >= 1 else {
            throw ValidationError("--batch-size, --preprocess-threads, --engine-threads and --cpus must be ≥ 1 and --max-wait-ms ≥ 0")
        }
        config.cpu = CPUBudget.plan(cores: cores, decodeLanes: lanes, engineThreads: engine)
        config.drainSeconds = try number(drainSeconds, "MERCLIP_DRAIN_SECONDS") ?? 30
        config.stageDeadlineSeconds = try number(stageDeadlineSeconds, "MERCLIP_STAGE_DEADLINE_SECONDS") ?? 300
        guard config.drainSeconds >= 0, config.stageDeadlineSeconds > 0 else {
            throw ValidationError("--drain-seconds must be ≥ 0 and --stage-deadline-seconds > 0")
        }
        let roots = mediaRoots.isEmpty ? (env["MERCLIP_MEDIA_ROOTS"]?.split(separator: ":").map(String.init) ?? []) : mediaRoots
        let hosts = mediaHosts.isEmpty ? (env["MERCLIP_MEDIA_HOSTS"]?.split(separator: ",").map(String.init) ?? []) : mediaHosts
        let port = try number(metricsPort, "MERCLIP_METRICS_PORT") ?? 9464
        let address = metricsAddress ?? env["MERCLIP_METRICS_ADDRESS"].flatMap { $0.isEmpty ? nil : $0 } ?? "0.0.0.0"

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
        let scorer = try MERCLIPScorer(modelDirectory: modelDir, labelSets: sets)
        if !scorer.modelTrained {
            log.warn("model is UNTRAINED: scores are not meaningful", ["model": "\(scorer.modelName)@\(scorer.modelVersion)"])
        }
        let metrics = Metrics()
        let worker = try StreamWorker(config: config, scorer: scorer,
                                      media: MediaSource(roots: roots, hosts: hosts), metrics: metrics)
        let server: MetricsServer
        do {
            server = try MetricsServer(address: address, port: port, metrics: metrics,
                                       live: { worker.livenessProblem }, ready: { worker.isReady })
        } catch let e as MetricsServerError where e.errno == EADDRINUSE {
            throw ValidationError("\(e.reason): pick a free port with --metrics-port (MERCLIP_METRICS_PORT; 0 = any) "
                                  + "or another address with --metrics-address")
        }
        log.info("metrics", ["address": address, "port": server.port, "media_roots": roots.joined(separator: ":")])

        let drain = config.drainSeconds
        let signals = Signals.onTermination { sig in
            log.info("signal received, draining: finishing, writing and committing what is in flight",
                     ["signal": sig, "within_s": drain])
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
