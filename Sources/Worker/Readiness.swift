// Readiness: whether the sinks answered last time and the consumer is reading without errors.
import Foundation

final class Readiness: @unchecked Sendable {
    private let lock = NSLock()
    private var sinks = false
    private var consumerErrorAt: Date?
    private var consumerError = ""
    /// How long a consume error keeps the worker not ready when no message or new error follows.
    let consumerErrorHold: Double

    init(consumerErrorHold: Double = 10) { self.consumerErrorHold = consumerErrorHold }

    /// Postgres, the result send and the commit answered last time.
    var sinksReady: Bool {
        get { lock.withLock { sinks } }
        set { lock.withLock { sinks = newValue } }
    }

    /// A poll failed (broker, group or topic error).
    func consumerFailed(_ reason: String) {
        lock.withLock {
            consumerErrorAt = Date()
            consumerError = reason
        }
    }

    /// A message arrived: the consumer works.
    func consumerWorks() { lock.withLock { consumerErrorAt = nil } }

    /// The consume error that makes the worker not ready now, if any.
    var consumerProblem: String? {
        lock.withLock {
            guard let at = consumerErrorAt, Date().timeIntervalSince(at) < consumerErrorHold else { return nil }
            return consumerError
        }
    }
}
