// StreamWorker: the staged worker: fetch → decode lanes → batcher → engine → sinks → committer, joined by bounded queues.
import Foundation
import Kafka
import Sinks
import Tensor

/// While batch N is scored, batch N+1 is decoded and batch N−1 written. Each stage runs on threads of
/// its own (every call in them may block in librdkafka, libpq, FFmpeg or BLAS). Offsets are committed
/// per partition up to the watermark below which every message is written or in the DLQ; in exactly-once
/// mode those offsets and the result and DLQ records below them commit in one Kafka transaction.
public final class StreamWorker<Scorer: SegmentScorer>: @unchecked Sendable {
    typealias Item = PipelineItem<Scorer.Prepared>
    public let config: WorkerConfig
    let scorer: Scorer
    let metrics: Metrics
    /// Which stage holds work since when: `/healthz` fails when one is past its deadline.
    public let watch: StageWatch
    let log = Log("worker")
    private let consumer: KafkaConsumer
    private let producer: KafkaProducer
    private let media: MediaSource
    private let tracker = OffsetTracker()
    private let shutdown = Shutdown()
    private let readiness = Readiness()
    private let hooks = RebalanceHooks<Scorer.Prepared>()

    public init(config: WorkerConfig, scorer: Scorer, media: MediaSource, metrics: Metrics) throws {
        self.config = config
        self.scorer = scorer
        self.media = media
        self.metrics = metrics
        watch = StageWatch(deadlineSeconds: config.stageDeadlineSeconds)
        let log = self.log
        let hooks = self.hooks
        var consumerConfig = KafkaConsumerConfig(common: config.kafka, groupID: config.group)
        consumerConfig.common.clientID = "merclip-worker"
        consumer = try KafkaConsumer(config: consumerConfig,
                                     onAssign: { hooks.fetcher?.assigned($0) },
                                     onRevoke: { hooks.fetcher?.revoked($0) })
        // One send is bounded (a failed delivery is retried by the sink stage), unless set with -X.
        var producerConfig = KafkaProducerConfig(common: config.kafka)
        if producerConfig.common.extra["message.timeout.ms"] == nil { producerConfig.common.extra["message.timeout.ms"] = "60000" }
        if config.exactlyOnce {
            guard let id = config.transactionalID else {
                throw KafkaError(reason: "exactly-once needs an instance id: it makes the transactional.id")
            }
            producerConfig.transactionalID = id
        }
        producer = try KafkaProducer(config: producerConfig) { up, why in
            if up { log.info("Kafka brokers reachable again", ["why": why]) } else { log.warn("Kafka brokers unreachable", ["why": why]) }
        }
    }

    /// Consuming, the sinks answered last time, the consumer reads without errors and a broker is reachable.
    public var isReady: Bool { readiness.sinksReady && producer.brokersReachable && readiness.consumerProblem == nil }

    /// Why the worker is not live (a stage held work past its deadline), or nil.
    public var livenessProblem: String? { watch.overdue }

    /// Asks the worker to stop: it fetches nothing more, finishes, writes and commits what it holds,
    /// within `config.drainSeconds`; `run` then returns.
    public func stop() { shutdown.request(drainSeconds: config.drainSeconds) }

    /// Runs the stages until `stop()` and the drain that follows it.
    public func run() throws {
        let cpu = config.cpu
        BLAS.setThreads(cpu.engineThreads)
        log.info("CPU budget", ["cores": cpu.cores, "decode_lanes": cpu.decodeLanes, "engine_threads": cpu.engineThreads,
                                "decode_nice": cpu.decodeNice, "source": cpu.source])
        if cpu.oversubscribed { log.warn("decode lanes and engine threads together exceed the cores", ["budget": cpu.description]) }
        let context = StageContext(tracker: tracker, watch: watch, shutdown: shutdown, readiness: readiness, metrics: metrics, log: log,
                                   fence: GroupFence())
        let retrier = Retrier(initialSeconds: Double(config.retryInitialMs) / 1000, maxSeconds: Double(config.retryMaxMs) / 1000,
                              context: context)
        var postgres = PostgresSink(writer: ResultWriter(url: config.postgresURL), context: context)
        if config.storeFeatures {
            postgres.features = FeatureSink(url: config.postgresURL, retentionDays: config.featureRetentionDays, context: context)
        }
        let kafka = KafkaSink(producer: producer, postgres: postgres, retrier: retrier)
        var exactlyOnce: ExactlyOnce?
        if let id = config.transactionalID {
            let eos = ExactlyOnce(producer: producer, transactionalID: id, kafka: kafka, context: context,
                                  dlqTopic: config.dlqTopic, maxMessageBytes: config.maxMessageBytes)
            // Before consuming: fences this instance's previous life and aborts what it left open.
            try retrier.run("kafka") { try eos.initialise() }
            log.info("exactly-once: transactional producer ready", ["transactional_id": id])
            exactlyOnce = eos
        }
        try consumer.subscribe(topics: config.topics)
        log.info("consuming", ["topics": config.topics.joined(separator: ","), "group": config.group,
                               "model": "\(scorer.modelName)@\(scorer.modelVersion)", "batch": config.batchSize,
                               "exactly_once": config.exactlyOnce])
        readiness.sinksReady = ResultWriter(url: config.postgresURL).ping()
        if !readiness.sinksReady { log.warn("Postgres does not answer yet; results will wait for it") }

        let committer = Committer(consumer: consumer, context: context, initialWait: retrier.initialSeconds,
                                  maxWait: retrier.maxSeconds, exactlyOnce: exactlyOnce)
        let fetched = BoundedQueue<Item>(capacity: cpu.decodeLanes)
        let prepared = BoundedQueue<Item>(capacity: config.batchSize)
        let scored = BoundedQueue<[Item]>(capacity: 1)
        let sinks = SinkStage(config: config, scorer: scorer, input: scored, postgres: postgres, kafka: kafka,
                              committer: committer, context: context)
        let batcher = Batcher(queue: prepared, batchSize: config.batchSize, maxWaitSeconds: Double(config.maxWaitMs) / 1000)
        let engine = ScoringStage(scorer: scorer, batcher: batcher, output: scored, context: context)
        let lanes = DecodeLanes(scorer: scorer, media: media, input: fetched, output: prepared, context: context)
        let fetcher = Fetcher(consumer: consumer, output: fetched, committer: committer, context: context, config: config)
        hooks.fetcher = fetcher
        committer.start()
        sinks.start()
        engine.start()
        lanes.start(lanes: cpu.decodeLanes, nice: cpu.decodeNice)
        fetcher.run(drained: { sinks.isDone })
        finish(committer, drained: sinks.isDone)
        if let fatal = committer.fatal { throw fatal }
    }

    /// After the stages: the last commit and leaving the group, both within the drain's deadline.
    private func finish(_ committer: Committer, drained: Bool) {
        let deadline = shutdown.deadline
        committer.stop(until: deadline)
        committer.commit(now: true)
        let uncommitted = tracker.inFlight(Set(consumer.assignment))
        let closed = DispatchSemaphore(value: 0)
        let consumer = self.consumer
        StageThread.start("merclip-consumer-close") {
            consumer.close()
            closed.signal()
        }
        let left = closed.wait(timeout: .now() + max(0.5, deadline.timeIntervalSinceNow)) == .timedOut
        // the consumer's rebalance hooks hold the fetcher, which holds the consumer: once the group is left, break
        // that cycle so a stopped worker's Kafka client (its threads and broker connections) goes away with it
        if !left { hooks.fetcher = nil }
        let transactions = committer.exactlyOnce?.transactions
        log.info("stopped", ["consumed": Int(metrics.counter("merclip_events_consumed_total", ["topic": config.topics[0]])),
                             "drained": drained, "left_group": !left, "uncommitted": uncommitted,
                             "transactions_committed": transactions?.committed ?? 0, "transactions_aborted": transactions?.aborted ?? 0])
    }
}

/// Lets the consumer's rebalance callbacks, created before the fetcher, reach it.
final class RebalanceHooks<Prepared: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Fetcher<Prepared>?
    var fetcher: Fetcher<Prepared>? {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}
