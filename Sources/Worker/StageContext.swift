// StageContext: what every worker stage shares: the offset tracker, the stop request, liveness, readiness, metrics and the log.
import Foundation

struct StageContext: Sendable {
    /// Which offsets are in flight and which are done, per partition: the commit watermark.
    let tracker: OffsetTracker
    /// When each stage last took and finished work (liveness: /healthz).
    let watch: StageWatch
    let shutdown: Shutdown
    /// Whether the worker takes traffic (/readyz).
    let readiness: Readiness
    let metrics: Metrics
    let log: Log
    /// The group-ownership check each batch makes before it writes.
    let fence: GroupFence

    /// Whether a stage should drop `ticket`'s work uncommitted: its partition was revoked, or the
    /// drain ran out of time.
    func drops(_ ticket: OffsetTicket) -> Bool { shutdown.stagesOutOfTime || !tracker.isCurrent(ticket) }
}
