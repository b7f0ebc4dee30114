// GroupFence: whether the group is rebalancing, as the coordinator said when a commit was refused.
import Foundation

/// Raised when a commit is refused because the group is rebalancing (or this member's generation or
/// id is no longer valid); lowered by the next assignment, or after `holdSeconds` so that a stray
/// refusal cannot hold the sinks for good. While it is up the sinks write nothing: a batch written then
/// could not be committed, and its partition's next owner would write it again.
final class GroupFence: @unchecked Sendable {
    /// REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID.
    static let rebalanceCodes: Set<Int32> = [27, 22, 25]
    private let lock = NSLock()
    private var raisedAt: Date?
    let holdSeconds: Double

    init(holdSeconds: Double = 5) { self.holdSeconds = holdSeconds }

    func raise() { lock.withLock { raisedAt = Date() } }
    func lower() { lock.withLock { raisedAt = nil } }

    var isRaised: Bool {
        lock.withLock {
            guard let at = raisedAt else { return false }
            if Date().timeIntervalSince(at) < holdSeconds { return true }
            raisedAt = nil
            return false
        }
    }
}
