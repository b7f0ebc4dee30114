// StageWatch: which stage holds which work since when, so liveness fails when one is stuck past its deadline.
import Foundation

/// Each stage wraps one unit of work (a segment's media, a model batch, one sink attempt) in `run`.
/// A unit still running after `deadlineSeconds` makes `overdue` name it: `/healthz` then fails, so an
/// orchestrator restarts a worker wedged in a call that never returns.
public final class StageWatch: @unchecked Sendable {
    private let lock = NSLock()
    private var running: [Int: (stage: String, since: Date)] = [:]
    private var nextID = 0
    public let deadlineSeconds: Double
    private let now: @Sendable () -> Date

    public init(deadlineSeconds: Double, now: @escaping @Sendable () -> Date = { Date() }) {
        self.deadlineSeconds = deadlineSeconds
        self.now = now
    }

    /// Runs `body` as one unit of `stage`.
    public func run<T>(_ stage: String, _ body: () throws -> T) rethrows -> T {
        let id = begin(stage)
        defer { end(id) }
        return try body()
    }

    public func begin(_ stage: String) -> Int {
        lock.withLock {
            nextID += 1
            running[nextID] = (stage, now())
            return nextID
        }
    }

    public func end(_ id: Int) { _ = lock.withLock { running.removeValue(forKey: id) } }

    /// The first unit past its deadline, as "stage held work for N s (deadline D s)", or nil.
    public var overdue: String? {
        let t = now()
        return lock.withLock {
            running.values.sorted { $0.since < $1.since }.first { t.timeIntervalSince($0.since) > deadlineSeconds }
                .map { String(format: "%@ stage held work for %.0f s (deadline %.0f s)", $0.stage, t.timeIntervalSince($0.since), deadlineSeconds) }
        }
    }
}
