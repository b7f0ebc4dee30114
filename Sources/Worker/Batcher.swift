// Batcher: groups prepared segments into model batches, by size or by the longest wait after the first.
import Foundation

/// Failed segments ride along with the next batch (they need no model), at most `4 × batchSize`
/// items a batch, so a burst of bad events does not make a batch unbounded.
struct Batcher<Prepared: Sendable> {
    let queue: BoundedQueue<PipelineItem<Prepared>>
    let batchSize: Int
    let maxWaitSeconds: Double

    /// The next batch: up to `batchSize` prepared segments, waiting at most `maxWaitSeconds` after the
    /// first item; nil when the queue is closed and empty.
    func next() -> [PipelineItem<Prepared>]? {
        guard let first = queue.take() else { return nil }
        var batch = [first]
        var ready = first.isReady ? 1 : 0
        let deadline = Date().addingTimeInterval(maxWaitSeconds)
        while ready < batchSize && batch.count < 4 * batchSize, let item = queue.take(until: deadline) {
            batch.append(item)
            if item.isReady { ready += 1 }
        }
        return batch
    }
}

extension PipelineItem {
    var isReady: Bool { if case .ready = state { return true } else { return false } }
}
