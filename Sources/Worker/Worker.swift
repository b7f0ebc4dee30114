// The streaming loop: consume a batch, decode and preprocess in parallel, score, write both sinks,
// then commit. Runs on a thread of its own; every call in it may block.
import Foundation
import Kafka
import Media
import Model
import Sinks

public final class Worker<Scorer: SegmentScorer>: @unchecked Sendable {
    let config: WorkerConfig
    let scorer: Scorer
    let metrics: Metrics
    let log = Log("worker")
    private let consumer: KafkaConsumer
    private let producer: KafkaProducer
    private let writer: ResultWriter
    private let featureStore: FeatureStore?
    private var nextPrune = Date()
    private let media: MediaSource
    private let state = WorkerState()

    public init(config: WorkerConfig, scorer: Scorer, media: MediaSource, metrics: Metrics) throws {
        self.config = config
        self.scorer = scorer
        self.media = media
        self.metrics = metrics
        let state = self.state
        let log = self.log
        var consumerConfig = KafkaConsumerConfig(common: config.kafka, groupID: config.group)
        consumerConfig.common.clientID = "merclip-worker"
        consumer = try KafkaConsumer(
            config: consumerConfig,
            onAssign: { tps in log.info("partitions assigned", ["partitions": tps.map(\.description).joined(separator: ",")]) },
            onRevoke: { tps in
                // Everything before the current batch is committed already; drop what was
                // collected for the lost partitions: their next owner reads it again.
                let dropped = state.dropPending(Set(tps))
                log.info("partitions revoked", ["partitions": tps.map(\.description).joined(separator: ","), "dropped": dropped])
            })
        producer = try KafkaProducer(config: KafkaProducerConfig(common: config.kafka)) { up, why in
            if up { log.info("Kafka brokers reachable again", ["why": why]) } else { log.warn("Kafka brokers unreachable", ["why": why]) }
        }
        writer = ResultWriter(url: config.postgresURL)
        featureStore = config.storeFeatures ? FeatureStore(url: config.postgresURL) : nil
    }

    /// Whether the worker is consuming, its sinks answered last time and a Kafka broker is reachable.
    public var isReady: Bool { state.sinksReady && producer.brokersReachable }


    /// Asks the loop to stop after the batch in flight; `run` then returns.
    public func stop() { state.stopping = true }

    /// Consumes until `stop()`: the in-flight batch is finished, written and committed first.
    public func run() throws {
        try consumer.subscribe(topics: config.topics)
        log.info("consuming", ["topics": config.topics.joined(separator: ","), "group": config.group,
                               "model": "\(scorer.modelName)@\(scorer.modelVersion)", "batch": config.batchSize])
        state.sinksReady = writer.ping()
        if !state.sinksReady { log.warn("Postgres does not answer yet; results will wait for it") }
        while !state.stopping {
            let batch = try collect()
            updateLag()
            if batch.isEmpty {
                if !state.sinksReady {   // idle and not ready: see whether Postgres is back
                    state.sinksReady = writer.ping()
                }
                continue
            }
            process(batch)
            pruneFeatures()
        }
        consumer.close()
        log.info("stopped", ["consumed": Int(metrics.counter("merclip_events_consumed_total", ["topic": config.topics[0]]))])
    }

    /// Polls until `batchSize` messages or `maxWaitMs` after the first one (or stop).
    private func collect() throws -> [KafkaMessage] {
        var deadline: Date?
        while !state.stopping {
            let timeout: Int32 = deadline.map { Int32(max(1, $0.timeIntervalSinceNow * 1000)) } ?? 200
            do {
                if let m = try consumer.pollBlocking(timeoutMs: timeout) {
                    state.add(m)
                    metrics.inc("merclip_events_consumed_total", ["topic": m.topic])
                    if deadline == nil { deadline = Date().addingTimeInterval(Double(config.maxWaitMs) / 1000) }
                }
            } catch let e as KafkaError {
                log.warn("consume error", ["error": e.reason, "retriable": e.isRetriable])
                if !e.isRetriable { Thread.sleep(forTimeInterval: 0.5) }
            }
            if state.pendingCount >= config.batchSize { break }
            if let d = deadline, d.timeIntervalSinceNow <= 0 { break }
        }
        return state.takePending()
    }

    private func process(_ batch: [KafkaMessage]) {
        metrics.observe("merclip_batch_size", Double(batch.count))
        let t0 = Date()
        let slots = OutcomeSlots(count: batch.count)
        let lanes = max(1, min(config.preprocessThreads, batch.count))
        DispatchQueue.concurrentPerform(iterations: lanes) { lane in
            for i in stride(from: lane, to: batch.count, by: lanes) { slots.set(i, prepare(batch[i])) }
        }
        var prepared = slots.all()
        metrics.observe("merclip_stage_seconds", ["stage": "preprocess"], Date().timeIntervalSince(t0))

        // Score what prepared well, in one model batch.
        let good = prepared.indices.filter { if case .ready = prepared[$0] { return true } else { return false } }
        var scores: [Int: SegmentScore] = [:]
        let t1 = Date()
        if !good.isEmpty {
            let inputs = good.map { i -> Scorer.Prepared in if case .ready(let p, _, _) = prepared[i] { return p }; fatalError() }
            let sets = good.map { i -> String? in if case .ready(_, let e, _) = prepared[i] { return e.labelSet }; return nil }
            do {
                for (k, s) in try scorer.score(inputs, labelSets: sets).enumerated() { scores[good[k]] = s }
            } catch {
                for i in good { prepared[i] = .failed(stage: "model", errorClass: "model.error", reason: "\(error)", event: event(prepared[i])) }
            }
        }
        let modelSeconds = Date().timeIntervalSince(t1)
        metrics.observe("merclip_stage_seconds", ["stage": "model"], modelSeconds)

        var out = BatchOutput()
        let now = Date()
        for (i, m) in batch.enumerated() {
            let replayID = m.header(ReplayHeader.replayID).map { String(decoding: $0, as: UTF8.self) }
            switch prepared[i] {
            case .ready(_, let e, let decodeSeconds):
                guard let s = scores[i] else { continue }
                let r = ResultMessage(event: e, scores: s, scorer: scorer, message: m, replayID: replayID,
                                      decodeMs: decodeSeconds * 1000, modelMs: modelSeconds * 1000 / Double(good.count),
                                      scoredAt: now)
                let record = KafkaRecord(topic: config.resultsTopic, key: Array(e.streamID.utf8), value: r.json(),
                                         headers: [KafkaHeader(key: "merclip.model_version", string: scorer.modelVersion)]
                                             + (replayID.map { [KafkaHeader(key: ReplayHeader.replayID, string: $0)] } ?? []))
                out.scored.append(BatchOutput.Scored(message: m, rows: r.rows(), record: record, features: features(e, s, m)))
            case .failed(let stage, let errorClass, let reason, let e):
                out.fail(m, segmentID: e?.segmentID, streamID: e?.streamID, stage: stage, errorClass: errorClass,
                         reason: reason, replayID: replayID, dlq: dlqRecord(m, stage: stage, errorClass: errorClass, reason: reason))
                metrics.inc("merclip_dlq_total", ["stage": stage, "error_class": errorClass])
                log.warn("to DLQ", ["topic": m.topic, "partition": m.partition, "offset": m.offset,
                                    "class": errorClass, "reason": reason])
            case .pending:
                continue
            }
        }
        let written = writeAndCommit(batch, out)
        for r in written.scored.flatMap(\.rows) { metrics.inc("merclip_results_written_total", ["task": r.task]) }
        for e in prepared { if case .ready(_, let ev, _) = e { metrics.observe("merclip_end_to_end_seconds", Date().timeIntervalSince(ev.producedAt)) } }
    }

    private func prepare(_ m: KafkaMessage) -> Outcome {
        let start = Date()
        let e: SegmentEvent
        do { e = try SegmentEvent.decode(m.value) } catch let err as WorkerError {
            return .failed(stage: "decode", errorClass: err.errorClass.rawValue, reason: err.reason, event: nil)
        } catch { return .failed(stage: "decode", errorClass: "event.unknown", reason: "\(error)", event: nil) }
        if let set = e.labelSet, !scorer.labelSets.contains(set) {
            return .failed(stage: "decode", errorClass: WorkerError.Class.labelSet.rawValue,
                           reason: "label set '\(set)' is not configured (known: \(scorer.labelSets.sorted()))", event: e)
        }
        do {
            let input = try media.resolve(e)
            let window = SegmentWindow(start: Double(e.startMs) / 1000, duration: Double(e.durationMs) / 1000)
            let p = try scorer.prepare(media: input, window: window, transcript: e.transcript)
            return .ready(p, e, Date().timeIntervalSince(start))
        } catch let err as WorkerError {
            return .failed(stage: "media", errorClass: err.errorClass.rawValue, reason: err.reason, event: e)
        } catch let err as MediaError {
            return .failed(stage: "media", errorClass: "media.\(err.code.rawValue)", reason: err.description, event: e)
        } catch {
            return .failed(stage: "media", errorClass: "media.error", reason: "\(error)", event: e)
        }
    }

    private func event(_ o: Outcome) -> SegmentEvent? {
        switch o {
        case .ready(_, let e, _): return e
        case .failed(_, _, _, let e): return e
        case .pending: return nil
        }
    }

    private func dlqRecord(_ m: KafkaMessage, stage: String, errorClass: String, reason: String) -> KafkaRecord {
        let headers = m.headers + [
            KafkaHeader(key: "merclip.stage", string: stage),
            KafkaHeader(key: "merclip.error_class", string: errorClass),
            KafkaHeader(key: "merclip.reason", string: String(reason.prefix(1000))),
            KafkaHeader(key: "merclip.source_topic", string: m.topic),
            KafkaHeader(key: "merclip.source_partition", string: String(m.partition)),
            KafkaHeader(key: "merclip.source_offset", string: String(m.offset)),
        ]
        return KafkaRecord(topic: config.dlqTopic, key: m.key, value: m.value, headers: headers)
    }

    /// Postgres first, then Kafka, each retried with backoff until it succeeds; then the commit.
    /// While retrying, the owned partitions are paused and the worker reports not ready.
    /// Returns what was written (segments the database refused have moved to the DLQ).
    private func writeAndCommit(_ batch: [KafkaMessage], _ output: BatchOutput) -> BatchOutput {
        var out = output
        retrying("postgres") {
            try featureStore?.write(out.scored.compactMap(\.features))
            do {
                try writer.write(results: out.scored.flatMap(\.rows), failures: out.failures)
            } catch let e as PostgresError where !e.isRetriable {
                out = try isolateRejected(out, e)
                try writer.write(results: out.scored.flatMap(\.rows), failures: out.failures)
            }
        }
        retrying("kafka") { _ = try producer.sendAndWait(out.scored.map(\.record) + out.dlq) }
        var next: [TopicPartition: Int64] = [:]
        for m in batch {
            let tp = TopicPartition(m.topic, m.partition)
            next[tp] = max(next[tp] ?? 0, m.offset + 1)
        }
        let t = Date()
        // A retriable error (coordinator moving, broker down) is retried until it succeeds; one that
        // retrying cannot fix is given up after 5 attempts: the next commit covers these offsets.
        retrying("commit", attempts: 5, counts: { !(($0 as? KafkaError)?.isRetriable ?? false) }) {
            // Only partitions still owned at this attempt: a commit for revoked ones (the session was
            // lost in a broker outage, a rebalance) fails with "unknown member" or "illegal generation",
            // and each such failure makes librdkafka drop its new member id and join the group again.
            // Their next owner reads them from the last commit, so the batch is delivered again.
            let owned = Set(consumer.assignment)
            try consumer.commit(next.filter { owned.contains($0.key) })
        }
        metrics.observe("merclip_stage_seconds", ["stage": "commit"], Date().timeIntervalSince(t))
        return out
    }

    /// The database refused the batch for a reason retrying cannot fix: write segment by segment and
    /// send the segments it refuses to the DLQ, so one bad row neither blocks the partition nor takes
    /// good segments down with it. A failures row it refuses is left out (its DLQ message stays).
    private func isolateRejected(_ output: BatchOutput, _ error: PostgresError) throws -> BatchOutput {
        log.warn("Postgres rejected the batch, writing segment by segment", ["error": error.description])
        var out = BatchOutput()
        out.dlq = output.dlq
        for s in output.scored {
            do {
                try writer.write(results: s.rows, failures: [])
                out.scored.append(s)
            } catch let e as PostgresError where !e.isRetriable {
                let m = s.message
                out.fail(m, segmentID: s.rows.first?.segmentID, streamID: s.rows.first?.streamID, stage: "postgres",
                         errorClass: "sink.rejected", reason: e.description, replayID: s.rows.first?.replayID,
                         dlq: dlqRecord(m, stage: "postgres", errorClass: "sink.rejected", reason: e.description))
                metrics.inc("merclip_dlq_total", ["stage": "postgres", "error_class": "sink.rejected"])
                log.warn("to DLQ", ["topic": m.topic, "partition": m.partition, "offset": m.offset, "class": "sink.rejected"])
            }
        }
        out.failures = try (output.failures + out.failures).filter { f in
            do {
                try writer.write(results: [], failures: [f])
                return true
            } catch let e as PostgresError where !e.isRetriable {
                log.error("failures row refused, kept on the DLQ only", ["offset": f.sourceOffset, "error": e.description])
                return false
            }
        }
        return out
    }

    /// Runs `body` until it succeeds, with backoff; gives up after `attempts` failures that `counts`.
    private func retrying(_ sink: String, attempts: Int = .max, counts: (Error) -> Bool = { _ in true },
                          _ body: () throws -> Void) {
        var wait = Double(config.retryInitialMs) / 1000
        var paused: [TopicPartition] = []
        defer {
            if !paused.isEmpty {
                try? consumer.resume(paused)
                log.info("resumed", ["sink": sink])
            }
        }
        let start = Date()
        var counted = 0
        for attempt in 1... {
            do {
                try body()
                metrics.observe("merclip_stage_seconds", ["stage": sink], Date().timeIntervalSince(start))
                state.sinksReady = true
                return
            } catch {
                metrics.inc("merclip_retries_total", ["sink": sink])
                state.sinksReady = false
                if counts(error) { counted += 1 }
                if counted >= attempts {
                    log.error("giving up", ["sink": sink, "error": "\(error)"])
                    return
                }
                log.warn("sink failed, retrying", ["sink": sink, "attempt": attempt, "wait_s": wait, "error": "\(error)"])
                if paused.isEmpty {
                    paused = consumer.assignment
                    try? consumer.pause(paused)
                }
                // Keep serving the group (rebalances) while paused; nothing is fetched.
                let until = Date().addingTimeInterval(wait)
                while Date() < until {
                    if let m = try? consumer.pollBlocking(timeoutMs: 100) { state.add(m) }
                }
                wait = min(wait * 2, Double(config.retryMaxMs) / 1000)
            }
        }
    }

    /// The row of the feature store for a scored segment, when the store is on.
    private func features(_ e: SegmentEvent, _ s: SegmentScore, _ m: KafkaMessage) -> SegmentFeatures? {
        guard featureStore != nil, let digest = scorer.featureDigest, let f = s.features else { return nil }
        return SegmentFeatures(segmentID: e.segmentID, encoderDigest: digest, streamID: e.streamID, startMs: e.startMs,
                               durationMs: e.durationMs, dim: scorer.featureWidth,
                               modalities: Dictionary(uniqueKeysWithValues: f.map { ($0.key.rawValue, $0.value) }),
                               modelName: scorer.modelName, modelVersion: scorer.modelVersion,
                               source: (m.topic, m.partition, m.offset), producedAt: e.producedAt,
                               metadataJSON: e.metadataJSON)
    }

    /// Deletes stored features past the retention, at most once an hour.
    private func pruneFeatures() {
        guard let store = featureStore, let days = config.featureRetentionDays, Date() >= nextPrune else { return }
        nextPrune = Date().addingTimeInterval(3600)
        do {
            let n = try store.prune(olderThanDays: days)
            if n > 0 { log.info("stored features past their retention deleted", ["rows": n, "days": days]) }
        } catch {
            log.warn("cannot delete old stored features, will try again in an hour", ["error": "\(error)"])
        }
    }

    private func updateLag() {
        metrics.replace("merclip_consumer_lag", consumer.lag().map { (["topic": $0.key.topic, "partition": String($0.key.partition)], Double($0.value)) })
    }

    /// What a batch produced: scored segments (rows + result message) and failed ones (row + DLQ message).
    struct BatchOutput {
        struct Scored {
            let message: KafkaMessage
            let rows: [ResultRow]
            let record: KafkaRecord
            var features: SegmentFeatures? = nil
        }
        var scored: [Scored] = []
        var failures: [FailureRow] = []
        var dlq: [KafkaRecord] = []

        mutating func fail(_ m: KafkaMessage, segmentID: String?, streamID: String?, stage: String, errorClass: String,
                           reason: String, replayID: String?, dlq record: KafkaRecord) {
            failures.append(FailureRow(segmentID: segmentID, streamID: streamID, stage: stage, errorClass: errorClass,
                                       reason: reason, sourceTopic: m.topic, sourcePartition: m.partition,
                                       sourceOffset: m.offset, replayID: replayID,
                                       payloadExcerpt: String(decoding: m.value.prefix(512), as: UTF8.self)))
            dlq.append(record)
        }
    }

    enum Outcome: @unchecked Sendable {
        case pending
        case ready(Scorer.Prepared, SegmentEvent, Double)
        case failed(stage: String, errorClass: String, reason: String, event: SegmentEvent?)
    }

    final class OutcomeSlots: @unchecked Sendable {
        private let lock = NSLock()
        private var slots: [Outcome]
        init(count: Int) { slots = Array(repeating: .pending, count: count) }
        func set(_ i: Int, _ o: Outcome) { lock.withLock { slots[i] = o } }
        func all() -> [Outcome] { lock.withLock { slots } }
    }
}

/// State shared between the loop, the rebalance callback and other threads.
final class WorkerState: @unchecked Sendable {
    private let lock = NSLock()
    private var pending: [KafkaMessage] = []
    private var _stopping = false
    private var _sinksReady = false

    var stopping: Bool {
        get { lock.withLock { _stopping } }
        set { lock.withLock { _stopping = newValue } }
    }
    /// Whether the sinks (Postgres, the result send, the commit) answered last time.
    var sinksReady: Bool {
        get { lock.withLock { _sinksReady } }
        set { lock.withLock { _sinksReady = newValue } }
    }
    var pendingCount: Int { lock.withLock { pending.count } }
    func add(_ m: KafkaMessage) { lock.withLock { pending.append(m) } }
    func takePending() -> [KafkaMessage] { lock.withLock { defer { pending = [] }; return pending } }
    func dropPending(_ lost: Set<TopicPartition>) -> Int {
        lock.withLock {
            let before = pending.count
            pending.removeAll { lost.contains(TopicPartition($0.topic, $0.partition)) }
            return before - pending.count
        }
    }
}
