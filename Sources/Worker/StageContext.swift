// StageContext: what every worker stage shares: the offset tracker, the stop request, liveness, readiness, metrics and the log.
import Foundation

struct StageContext: Sendable {
    let tracker: OffsetTracker
    let watch: StageWatch
    let shutdown: Shutdown
    let readiness: Readiness
    let metrics: Metrics
    let log: Log
    let fence: GroupFence

    /// Whether a stage should drop `ticket`'s work uncommitted: its partition was revoked, or the
    /// drain ran out of time.
    func drops(_ ticket: OffsetTicket) -> Bool { shutdown.stagesOutOfTime || !tracker.isCurrent(ticket) }
}
