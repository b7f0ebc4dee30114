// ScoringStage: the engine's thread: takes batches from the batcher, scores them, isolates a segment the model fails on.
import Foundation
import Kafka
import Model

final class ScoringStage<Scorer: SegmentScorer>: @unchecked Sendable {
    typealias Item = PipelineItem<Scorer.Prepared>
    private let scorer: Scorer
    private let batcher: Batcher<Scorer.Prepared>
    private let output: BoundedQueue<[Item]>
    private let context: StageContext

    init(scorer: Scorer, batcher: Batcher<Scorer.Prepared>, output: BoundedQueue<[Item]>, context: StageContext) {
        self.scorer = scorer
        self.batcher = batcher
        self.output = output
        self.context = context
    }

    /// Runs on a thread of its own (BLAS blocks); `output` is closed when the batcher has no more.
    func start() {
        StageThread.start("merclip-engine", stackSize: StageThread.largeStack) { [self] in
            while let batch = batcher.next() {
                let live = batch.filter { !context.drops($0.ticket) }
                if live.isEmpty { continue }
                output.put(score(live))
            }
            output.close()
        }
    }

    /// The batch with its prepared segments scored, or failed where the model failed on them.
    func score(_ batch: [Item]) -> [Item] {
        var out = batch
        var ready: [(index: Int, prepared: Scorer.Prepared, event: SegmentEvent, media: Double)] = []
        for (i, item) in batch.enumerated() {
            if case .ready(let p, let e, let media) = item.state { ready.append((i, p, e, media)) }
        }
        if ready.isEmpty { return out }
        context.metrics.observe("merclip_batch_size", Double(ready.count))
        let t = Date()
        let results = context.watch.run("model") {
            ScoringStage.isolating(scorer, ready.map(\.prepared), labelSets: ready.map(\.event.labelSet), log: context.log)
        }
        let seconds = Date().timeIntervalSince(t)
        context.metrics.observe("merclip_stage_seconds", ["stage": "model"], seconds)
        for (k, r) in zip(ready, results) {
            switch r {
            case .success(let s):
                out[k.index].state = .scored(s, k.event, mediaSeconds: k.media, modelSeconds: seconds / Double(ready.count))
            case .failure(let error):
                out[k.index].state = .failed(SegmentFailure(stage: "model", errorClass: "model.error", reason: "\(error)", event: k.event))
            }
        }
        return out
    }

    /// Scores `batch`; when the model fails, scores each half on its own, down to single segments, so
    /// only the segments it fails on fail. One result per input, in order.
    static func isolating(_ scorer: Scorer, _ batch: [Scorer.Prepared], labelSets: [String?], log: Log? = nil)
        -> [Result<SegmentScore, Error>] {
        do {
            let scores = try scorer.score(batch, labelSets: labelSets)
            guard scores.count == batch.count else {
                throw ScoreCountMismatch(scores: scores.count, segments: batch.count)
            }
            return scores.map { .success($0) }
        } catch {
            if batch.count == 1 { return [.failure(error)] }
            log?.warn("model failed on a batch, scoring its halves apart", ["segments": batch.count, "error": "\(error)"])
            let mid = batch.count / 2
            return isolating(scorer, Array(batch[..<mid]), labelSets: Array(labelSets[..<mid]), log: log)
                + isolating(scorer, Array(batch[mid...]), labelSets: Array(labelSets[mid...]), log: log)
        }
    }
}

/// The scorer returned a different number of scores than segments.
struct ScoreCountMismatch: Error, CustomStringConvertible {
    let scores: Int
    let segments: Int
    var description: String { "the model returned \(scores) scores for \(segments) segments" }
}
