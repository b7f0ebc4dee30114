// Shutdown: the stop request every stage reads, and the bound on draining after it.
import Foundation

/// Set once by `StreamWorker.stop`. Stages finish what they hold until `stageDeadline`, then give up
/// (what they held stays uncommitted and is delivered again); the last `reserve` seconds of the drain
/// are kept for the final commit and leaving the group.
final class Shutdown: @unchecked Sendable {
    private let lock = NSLock()
    private var requestedAt: Date?
    private var drainSeconds: Double = 30

    /// Asks every stage to stop; the drain ends `drainSeconds` from now. A second request keeps the first deadline.
    func request(drainSeconds: Double) {
        lock.withLock {
            if requestedAt == nil {
                requestedAt = Date()
                self.drainSeconds = max(0, drainSeconds)
            }
        }
    }

    var isRequested: Bool { lock.withLock { requestedAt != nil } }

    /// When the whole drain must be over (distant future until a stop is requested).
    var deadline: Date { lock.withLock { requestedAt.map { $0.addingTimeInterval(drainSeconds) } ?? .distantFuture } }

    /// Seconds kept at the end of the drain for the final commit and closing the consumer.
    var reserve: Double { lock.withLock { min(3, drainSeconds * 0.2) } }

    /// When stages stop retrying and skip what they still hold.
    var stageDeadline: Date { deadline.addingTimeInterval(-reserve) }

    /// Whether stages should give up what they hold now.
    var stagesOutOfTime: Bool { isRequested && Date() >= stageDeadline }

    /// Sleeps `seconds`, or less when the stage deadline comes first.
    func sleep(_ seconds: Double) {
        let until = min(Date().addingTimeInterval(seconds), stageDeadline)
        while Date() < until {
            Thread.sleep(forTimeInterval: min(0.05, max(0, until.timeIntervalSinceNow)))
            if stagesOutOfTime { return }
        }
    }
}
