// `merclip worker`: consume segment events, score them, write results, commit.
import ArgumentParser
import Foundation
import Kafka
import Media
import Tensor
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

        --exactly-once: results on Kafka exactly once for read_committed consumers, SIGKILLs included. \
        A transactional producer (transactional.id <group>-<instance id>) commits each batch's result \
        and DLQ messages together with the consumed offsets they cover (send_offsets_to_transaction under \
        the group's current generation): a crash leaves both or neither, and the segments are scored \
        again. Postgres is still written first, as an upsert. The consumer's own offset commit is not \
        used. Give every worker its own stable --instance-id (a StatefulSet pod name, a systemd \
        instance): a restarted instance fences its previous life (that producer's calls fail and it \
        stops) and aborts its open transaction; two running workers with the same id fence each other, \
        and the fenced one exits non-zero. Needs Kafka 2.5 or later.

        Every option can come from the environment variable named in its help; a variable whose value \
        cannot be used is an error naming it.
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
    @Option(help: "Decode lanes: segments decoded and preprocessed at once (MERCLIP_PREPROCESS_THREADS; default: one per core).") var preprocessThreads: Int?
    @Option(help: "BLAS threads of the engine (MERCLIP_THREADS; default: every core).") var engineThreads: Int?
    @Option(help: "How much lower the decode lanes' priority is than the engine's, a nice step 0-19 (MERCLIP_DECODE_NICE, default 19): they then decode in the cycles the engine leaves. With 0 the lanes and the engine share the cores as equals, and the side left unset gets the cores the other leaves.") var decodeNice: Int?
    @Option(help: "Cores the lanes and the engine share (MERCLIP_CPUS, default: the active cores).") var cpus: Int?
    @Option(help: "On SIGTERM, the longest the worker takes to finish and commit what it holds, s (MERCLIP_DRAIN_SECONDS, default 30).") var drainSeconds: Double?
    @Option(help: "A stage holding one unit of work longer than this fails /healthz, s (MERCLIP_STAGE_DEADLINE_SECONDS, default 300).") var stageDeadlineSeconds: Double?
    @Option(name: .customLong("media-root"), help: "Folder that file:// media may come from; repeatable (MERCLIP_MEDIA_ROOTS, colon-separated).")
    var mediaRoots: [String] = []
    @Option(name: .customLong("media-host"), help: "Host that http(s):// media may come from; repeatable (MERCLIP_MEDIA_HOSTS, comma-separated).")
    var mediaHosts: [String] = []
    @Option(help: "JSON file of label sets: {\"name\": {\"task\": [\"label\", ...]}} (MERCLIP_LABEL_SETS).") var labelSets: String?
    @Option(help: "Port for /metrics, /healthz, /readyz (MERCLIP_METRICS_PORT, default 9464; 0 = any free port).") var metricsPort: Int?
    @Flag(help: "Keep each segment's modality features in Postgres, so `merclip rescore` can score them again without media (MERCLIP_STORE_FEATURES=1).")
    var storeFeatures = false
    @Option(help: "Delete stored features older than this many days (MERCLIP_FEATURE_RETENTION_DAYS; default: keep).")
    var featureRetentionDays: Double?
    @Flag(help: "Also fetch http:// media from the --media-host hosts; without it only https:// (MERCLIP_MEDIA_ALLOW_HTTP=1).")
    var allowHTTPMedia = false
    @Option(help: "IPv4 address the metrics port listens on (MERCLIP_METRICS_ADDRESS, default 0.0.0.0: all interfaces).") var metricsAddress: String?
    @Flag(help: "Exactly-once results on Kafka: transactions carry each batch's messages and offsets (MERCLIP_EXACTLY_ONCE=1; see above).")
    var exactlyOnce = false
    @Option(help: "This worker's stable name, unique in the group; makes the transactional.id <group>-<id> with --exactly-once (MERCLIP_INSTANCE_ID).")
    var instanceId: String?
    @Option(name: .customShort("X"), help: "librdkafka property key=value, repeatable (MERCLIP_KAFKA_PROPERTIES, ';'- or newline-separated).")
    var kafkaProperties: [String] = []

    @OptionGroup var logging: LogOptions

    func run() async throws {
        let env = Setting()
        try logging.apply(env)
        Log.routeKafkaLogs()
        var config = WorkerConfig(
            kafka: KafkaConfig(bootstrapServers: try env.required(brokers, "MERCLIP_BROKERS", option: "--brokers"),
                               extra: try env.kafkaProperties(kafkaProperties)),
            group: env.string(group, "MERCLIP_GROUP", default: "merclip-workers"),
            topics: [env.string(topic, "MERCLIP_TOPIC", default: "segments")],
            resultsTopic: env.string(resultsTopic, "MERCLIP_RESULTS_TOPIC", default: "segment-results"),
            dlqTopic: env.string(dlqTopic, "MERCLIP_DLQ_TOPIC", default: "segments-dlq"),
            postgresURL: try env.required(postgres, "MERCLIP_POSTGRES_URL", option: "--postgres"))
        config.batchSize = try env.int(batchSize, "MERCLIP_BATCH_SIZE", option: "--batch-size", default: 8, in: 1...Int.max)
        config.maxWaitMs = try env.int(maxWaitMs, "MERCLIP_MAX_WAIT_MS", option: "--max-wait-ms", default: 200, in: 0...Int.max)
        let lanes = try env.int(preprocessThreads, "MERCLIP_PREPROCESS_THREADS", option: "--preprocess-threads", in: 1...Int.max)
        let engine = try env.int(engineThreads, "MERCLIP_THREADS", option: "--engine-threads", in: 1...Int.max)
        let cores = try env.int(cpus, "MERCLIP_CPUS", option: "--cpus", default: ProcessInfo.processInfo.activeProcessorCount,
                                in: 1...Int.max)
        let nice = try env.int(decodeNice, "MERCLIP_DECODE_NICE", option: "--decode-nice", default: CPUBudget.defaultNice, in: 0...19)
        config.cpu = CPUBudget.plan(cores: cores, decodeLanes: lanes, engineThreads: engine, decodeNice: nice)
        // Before the model loads: `auto` times its precisions on the engine's threads, and the lanes are made for them.
        BLAS.setThreads(config.cpu.engineThreads)
        config.drainSeconds = try env.double(drainSeconds, "MERCLIP_DRAIN_SECONDS", option: "--drain-seconds", default: 30, minimum: 0)
        config.stageDeadlineSeconds = try env.double(stageDeadlineSeconds, "MERCLIP_STAGE_DEADLINE_SECONDS",
                                                     option: "--stage-deadline-seconds", default: 300, minimum: 0.001)
        let roots = env.list(mediaRoots, "MERCLIP_MEDIA_ROOTS", separators: [":"])
        let hosts = env.list(mediaHosts, "MERCLIP_MEDIA_HOSTS", separators: [","])
        config.storeFeatures = try env.switchOn(storeFeatures, "MERCLIP_STORE_FEATURES", option: "--store-features")
        config.featureRetentionDays = try env.positiveDouble(featureRetentionDays, "MERCLIP_FEATURE_RETENTION_DAYS",
                                                             option: "--feature-retention-days")
        config.exactlyOnce = try env.switchOn(exactlyOnce, "MERCLIP_EXACTLY_ONCE", option: "--exactly-once")
        config.instanceID = env.string(instanceId, "MERCLIP_INSTANCE_ID")
        if config.exactlyOnce && config.instanceID == nil {
            throw ValidationError("--exactly-once needs --instance-id or MERCLIP_INSTANCE_ID: a name of this worker, "
                                  + "stable across its restarts and unique in the group (it makes the transactional.id)")
        }
        let allowHTTP = try env.switchOn(allowHTTPMedia, "MERCLIP_MEDIA_ALLOW_HTTP", option: "--allow-http-media")
        let port = try env.int(metricsPort, "MERCLIP_METRICS_PORT", option: "--metrics-port", default: 9464, in: 0...65535)
        let address = env.string(metricsAddress, "MERCLIP_METRICS_ADDRESS", default: "0.0.0.0")
        let modelDir = try env.required(model, "MERCLIP_MODEL", option: "--model")

        var sets: [String: [String: [String]]] = [:]
        if let file = env.string(labelSets, "MERCLIP_LABEL_SETS") {
            guard let data = FileManager.default.contents(atPath: file),
                  let parsed = try? JSONDecoder().decode([String: [String: [String]]].self, from: data) else {
                throw ValidationError("label sets \(file): not readable as {\"name\": {\"task\": [labels]}}")
            }
            sets = parsed
        }
        let log = Log("worker")
        let scorer = try MERCLIPScorer(modelDirectory: modelDir, labelSets: sets, keepFeatures: config.storeFeatures,
                                       precision: try env.precision(precision))
        if !scorer.modelTrained {
            log.warn("model is UNTRAINED: scores are not meaningful", ["model": "\(scorer.modelName)@\(scorer.modelVersion)"])
        }
        let metrics = Metrics()
        let worker = try StreamWorker(config: config, scorer: scorer,
                                      media: MediaSource(roots: roots, hosts: hosts, allowHTTP: allowHTTP), metrics: metrics)
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
