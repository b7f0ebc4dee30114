// DecodeLanes: threads that decode events and preprocess their media, one segment at a time each.
import Foundation
import Kafka
import Media

/// Takes consumed messages from `input`, puts prepared (or failed) segments on `output`. A full
/// `output` blocks the lanes, which fills `input` and makes the fetcher pause its partitions.
/// `output` is closed when the last lane ends (after `input` was closed and emptied).
final class DecodeLanes<Scorer: SegmentScorer>: @unchecked Sendable {
    typealias Item = PipelineItem<Scorer.Prepared>
    private let scorer: Scorer
    private let media: MediaSource
    private let input: BoundedQueue<Item>
    private let output: BoundedQueue<Item>
    private let context: StageContext
    private let lock = NSLock()
    private var running = 0

    init(scorer: Scorer, media: MediaSource, input: BoundedQueue<Item>, output: BoundedQueue<Item>,
         context: StageContext) {
        self.scorer = scorer
        self.media = media
        self.input = input
        self.output = output
        self.context = context
    }

    /// Starts `lanes` threads, each `nice` steps below the worker's priority (`CPUBudget.decodeNice`).
    func start(lanes: Int, nice: Int) {
        running = lanes
        for k in 0..<lanes {
            StageThread.start("merclip-decode-\(k)", stackSize: StageThread.largeStack, nice: nice, log: context.log) { [self] in
                lane()
                if lock.withLock({ running -= 1; return running == 0 }) { output.close() }
            }
        }
    }

    private func lane() {
        while var item = input.take() {
            // Dropped uncommitted: its partition was revoked, or the drain ran out of time.
            if context.drops(item.ticket) { continue }
            let start = Date()
            item.state = context.watch.run("media") { prepare(item.message, start: start) }
            context.metrics.observe("merclip_stage_seconds", ["stage": "media"], Date().timeIntervalSince(start))
            output.put(item)
        }
    }

    /// Decodes the event and reads, decodes and preprocesses its media.
    func prepare(_ m: KafkaMessage, start: Date) -> Item.State {
        let e: SegmentEvent
        do { e = try SegmentEvent.decode(m.value) } catch let err as WorkerError {
            return .failed(SegmentFailure(stage: "decode", errorClass: err.errorClass.rawValue, reason: err.reason, event: nil))
        } catch {
            return .failed(SegmentFailure(stage: "decode", errorClass: "event.unknown", reason: "\(error)", event: nil))
        }
        if let set = e.labelSet, !scorer.labelSets.contains(set) {
            return .failed(SegmentFailure(stage: "decode", errorClass: WorkerError.Class.labelSet.rawValue,
                                          reason: "label set '\(set)' is not configured (known: \(scorer.labelSets.sorted()))", event: e))
        }
        do {
            let input = try media.resolve(e)
            let window = SegmentWindow(start: Double(e.startMs) / 1000, duration: Double(e.durationMs) / 1000)
            let p = try scorer.prepare(media: input, window: window, transcript: e.transcript)
            return .ready(p, e, mediaSeconds: Date().timeIntervalSince(start))
        } catch let err as WorkerError {
            return .failed(SegmentFailure(stage: "media", errorClass: err.errorClass.rawValue, reason: err.reason, event: e))
        } catch let err as MediaError {
            return .failed(SegmentFailure(stage: "media", errorClass: "media.\(err.code.rawValue)", reason: err.description, event: e))
        } catch {
            return .failed(SegmentFailure(stage: "media", errorClass: "media.error", reason: "\(error)", event: e))
        }
    }
}
