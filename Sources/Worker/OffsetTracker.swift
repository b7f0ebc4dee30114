// OffsetTracker: per partition, the watermark below which every consumed offset is durably written or in the DLQ.
import Foundation
import Kafka

/// One consumed message's place in the tracker. A ticket of an earlier assignment of its partition
/// (before a revoke) is stale: completing it changes nothing.
public struct OffsetTicket: Sendable, Hashable {
    public let partition: TopicPartition
    public let offset: Int64
    let epoch: Int
}

/// Messages are tracked in the order they are consumed (offsets increase per partition) and completed
/// in any order. The commit point of a partition is the lowest tracked offset not yet complete, or one
/// past the highest tracked offset when all are complete: committing it never skips unwritten work,
/// however stages finish out of order.
public final class OffsetTracker: @unchecked Sendable {
    private struct Partition {
        let epoch: Int
        /// Tracked offsets not yet passed by the commit point, increasing.
        var open: [Int64] = []
        var done: Set<Int64> = []
        var highest: Int64
        /// The commit point at the first tracked offset, or the last one committed.
        var committed: Int64
    }

    private let condition = NSCondition()
    private var partitions: [TopicPartition: Partition] = [:]
    private var nextEpoch = 0

    public init() {}

    /// Tracks a consumed message; nil when its offset is not above the partition's highest tracked
    /// offset in the current assignment (a duplicate delivery, which the caller should skip).
    public func track(_ tp: TopicPartition, _ offset: Int64) -> OffsetTicket? {
        condition.lock()
        defer { condition.unlock() }
        if var p = partitions[tp] {
            guard offset > p.highest else { return nil }
            p.open.append(offset)
            p.highest = offset
            partitions[tp] = p
            return OffsetTicket(partition: tp, offset: offset, epoch: p.epoch)
        }
        nextEpoch += 1
        partitions[tp] = Partition(epoch: nextEpoch, open: [offset], highest: offset, committed: offset)
        return OffsetTicket(partition: tp, offset: offset, epoch: nextEpoch)
    }

    /// Marks a message written (or sent to the DLQ). Stale and unknown tickets are ignored.
    public func complete(_ t: OffsetTicket) {
        condition.lock()
        defer { condition.unlock() }
        guard var p = partitions[t.partition], p.epoch == t.epoch, p.open.contains(t.offset) else { return }
        p.done.insert(t.offset)
        var passed = 0
        while passed < p.open.count, p.done.contains(p.open[passed]) {
            p.done.remove(p.open[passed])
            passed += 1
        }
        p.open.removeFirst(passed)
        partitions[t.partition] = p
        condition.broadcast()
    }

    /// Whether `t` belongs to the current assignment of its partition (false after a revoke).
    public func isCurrent(_ t: OffsetTicket) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        return partitions[t.partition]?.epoch == t.epoch
    }

    /// Next offsets to commit: partitions (of `only`, when given) whose commit point moved past the
    /// last commit.
    public func commitPoints(only: Set<TopicPartition>? = nil) -> [TopicPartition: Int64] {
        condition.lock()
        defer { condition.unlock() }
        var out: [TopicPartition: Int64] = [:]
        for (tp, p) in partitions where only?.contains(tp) ?? true {
            let point = p.open.first ?? (p.highest + 1)
            if point > p.committed { out[tp] = point }
        }
        return out
    }

    /// The commit point of each of `tps` that is tracked, moved or not.
    public func currentPoints(_ tps: Set<TopicPartition>) -> [TopicPartition: Int64] {
        condition.lock()
        defer { condition.unlock() }
        var out: [TopicPartition: Int64] = [:]
        for tp in tps { if let p = partitions[tp] { out[tp] = p.open.first ?? (p.highest + 1) } }
        return out
    }

    /// Records that `points` were committed.
    public func committed(_ points: [TopicPartition: Int64]) {
        condition.lock()
        defer { condition.unlock() }
        for (tp, point) in points {
            if var p = partitions[tp] {
                p.committed = max(p.committed, point)
                partitions[tp] = p
            }
        }
    }

    /// Tracked messages of `tps` not yet complete.
    public func inFlight(_ tps: Set<TopicPartition>) -> Int {
        condition.lock()
        defer { condition.unlock() }
        return tps.reduce(0) { n, tp in n + (partitions[tp].map { $0.open.count - $0.done.count } ?? 0) }
    }

    /// Waits until every tracked message of `tps` is complete, or `deadline`; true when they are.
    public func waitUntilComplete(_ tps: Set<TopicPartition>, until deadline: Date) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while tps.contains(where: { tp in partitions[tp].map { !$0.open.isEmpty } ?? false }) {
            if !condition.wait(until: deadline) { return false }
        }
        return true
    }

    /// Forgets `tps` (revoked): their outstanding tickets become stale; a later assignment starts afresh.
    public func forget(_ tps: Set<TopicPartition>) {
        condition.lock()
        defer { condition.unlock() }
        for tp in tps { partitions[tp] = nil }
        condition.broadcast()
    }
}
