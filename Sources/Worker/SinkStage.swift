// SinkStage: writes each scored batch to Postgres, then Kafka (in exactly-once mode: a transaction), then completes its offsets.
import Foundation
import Kafka
import Sinks

final class SinkStage<Scorer: SegmentScorer>: @unchecked Sendable {
    typealias Item = PipelineItem<Scorer.Prepared>
    private let config: WorkerConfig
    private let scorer: Scorer
    private let input: BoundedQueue<[Item]>
    private let postgres: PostgresSink
    private let kafka: KafkaSink
    private let committer: Committer
    private let context: StageContext
    private var metrics: Metrics { context.metrics }
    private var log: Log { context.log }
    private let lock = NSLock()
    private var done = false

    init(config: WorkerConfig, scorer: Scorer, input: BoundedQueue<[Item]>, postgres: PostgresSink, kafka: KafkaSink,
         committer: Committer, context: StageContext) {
        self.config = config
        self.scorer = scorer
        self.input = input
        self.postgres = postgres
        self.kafka = kafka
        self.committer = committer
        self.context = context
    }

    /// Whether the stage wrote (or gave up) everything and ended.
    var isDone: Bool { lock.withLock { done } }

    /// Writes batches on its own thread (libpq and librdkafka block) until the scored queue closes.
    func start() {
        StageThread.start("merclip-sinks") { [self] in
            while !input.isClosedAndEmpty {
                if let batch = input.take(until: Date().addingTimeInterval(1)) {
                    write(batch)
                } else if !context.readiness.sinksReady {
                    // Idle and not ready: see whether Postgres is back.
                    context.readiness.sinksReady = postgres.writer.ping()
                }
            }
            lock.withLock { done = true }
        }
    }

    private func write(_ batch: [Item]) {
        var live = batch.filter { context.tracker.isCurrent($0.ticket) }
        // During a rebalance nothing is written: the batch waits for its partitions' fate. Revoked,
        // it is dropped unwritten (its next owner writes it once); kept, it is written after.
        while !live.isEmpty && !committer.confirmOwnership(Set(live.map(\.ticket.partition))) {
            if context.shutdown.stagesOutOfTime { return }
            Thread.sleep(forTimeInterval: 0.05)
            live = live.filter { context.tracker.isCurrent($0.ticket) }
        }
        if live.isEmpty { return }
        var out = output(live)
        do {
            try kafka.retrier.run("postgres") { try postgres.write(&out) }
            if let exactlyOnce = committer.exactlyOnce {
                // Postgres first (an upsert: a batch written twice stays one row per key), then one transaction
                // with the records and offsets the watermarks passed; the records wait until they do.
                exactlyOnce.hold(out, tickets: live.map(\.ticket))
                for item in live { context.tracker.complete(item.ticket) }
                try kafka.retrier.run("kafka") { try committer.commitTransaction() }
            } else {
                try kafka.send(&out)
                for item in live { context.tracker.complete(item.ticket) }
                committer.notify()
            }
        } catch {
            log.warn("stopping: batch left uncommitted, it is delivered again", ["segments": live.count, "why": "\(error)"])
            return
        }
        for r in out.rows { metrics.inc("merclip_results_written_total", ["task": r.task]) }
        for item in live {
            if case .scored(_, let e, _, _) = item.state {
                metrics.observe("merclip_end_to_end_seconds", Date().timeIntervalSince(e.producedAt))
            }
        }
    }

    /// Rows and messages of the batch; a result message over the size limit sends its segment to the DLQ.
    private func output(_ items: [Item]) -> BatchOutput {
        var out = BatchOutput(dlqTopic: config.dlqTopic, maxMessageBytes: config.maxMessageBytes)
        let now = Date()
        for item in items {
            let m = item.message
            switch item.state {
            case .scored(let s, let e, let media, let model):
                let r = ResultMessage(event: e, scores: s, scorer: scorer, message: m, replayID: item.replayID,
                                      mediaMs: media * 1000, modelMs: model * 1000, scoredAt: now)
                let record = KafkaRecord(topic: config.resultsTopic, key: Array(e.streamID.utf8), value: r.json(),
                                         headers: [KafkaHeader(key: "merclip.model_version", string: scorer.modelVersion)]
                                             + (item.replayID.map { [KafkaHeader(key: ReplayHeader.replayID, string: $0)] } ?? []))
                let size = DLQRecord.wireSize(record)
                if size > config.maxMessageBytes {
                    fail(&out, item, SegmentFailure(stage: "kafka", errorClass: "sink.too_large",
                                                    reason: "the result message would have \(size) bytes, over the producer's message.max.bytes (\(config.maxMessageBytes))",
                                                    event: e))
                } else {
                    out.scored.append(BatchOutput.Scored(message: m, rows: r.rows(), record: record,
                                                         features: postgres.features == nil ? nil : FeatureSink.row(e, s, m, scorer: scorer)))
                }
            case .failed(let f):
                fail(&out, item, f)
            case .fetched, .ready:
                continue   // not reached: the engine scores or fails every prepared segment
            }
        }
        return out
    }

    private func fail(_ out: inout BatchOutput, _ item: Item, _ f: SegmentFailure) {
        let m = item.message
        out.fail(m, segmentID: f.event?.segmentID, streamID: f.event?.streamID, stage: f.stage, errorClass: f.errorClass,
                 reason: f.reason, replayID: item.replayID)
        metrics.inc("merclip_dlq_total", ["stage": f.stage, "error_class": f.errorClass])
        log.warn("to DLQ", ["topic": m.topic, "partition": m.partition, "offset": m.offset, "class": f.errorClass, "reason": f.reason])
    }
}
