// The commit watermark: work completed out of order never commits past an unwritten offset.
import Foundation
import Kafka
import Testing
@testable import Worker

@Suite("Offset watermark")
struct OffsetTrackerTests {
    let p0 = TopicPartition("segments", 0)
    let p1 = TopicPartition("segments", 1)

    @Test("completions out of order commit only up to the first unwritten offset")
    func outOfOrder() throws {
        let t = OffsetTracker()
        let tickets = (10..<20).map { t.track(p0, Int64($0))! }
        #expect(t.commitPoints().isEmpty, "nothing complete, nothing to commit")
        // A later batch finishes first: 13...17 written, 10...12 still in flight.
        for k in 3...7 { t.complete(tickets[k]) }
        #expect(t.commitPoints().isEmpty, "offset 10 is unwritten: no commit past it")
        t.complete(tickets[1])
        #expect(t.commitPoints().isEmpty)
        t.complete(tickets[0])
        #expect(t.commitPoints() == [p0: 12], "10 and 11 written: the next offset to read is 12")
        t.complete(tickets[2])
        #expect(t.commitPoints() == [p0: 18], "12 closes the gap up to 17")
        t.committed([p0: 18])
        #expect(t.commitPoints().isEmpty, "committed already")
        for k in 8...9 { t.complete(tickets[k]) }
        #expect(t.commitPoints() == [p0: 20])
        #expect(t.inFlight([p0]) == 0)
    }

    @Test("every order of completing 8 offsets never yields a point past an incomplete one")
    func everyOrder() throws {
        // 40 pseudo-random orders of 8 completions across two partitions.
        var seed: UInt64 = 42
        for _ in 0..<40 {
            let t = OffsetTracker()
            var tickets = (0..<8).flatMap { i in [t.track(p0, Int64(i))!, t.track(p1, Int64(100 + i))!] }
            for i in stride(from: tickets.count - 1, to: 0, by: -1) {
                seed = seed &* 6364136223846793005 &+ 1442695040888963407
                tickets.swapAt(i, Int(seed >> 33) % (i + 1))
            }
            var done: Set<OffsetTicket> = []
            for ticket in tickets {
                t.complete(ticket)
                done.insert(ticket)
                for (tp, point) in t.commitPoints() {
                    let below = done.filter { $0.partition == tp }.map(\.offset)
                    let first = tp == p0 ? Int64(0) : 100
                    #expect((first..<point).allSatisfy(below.contains), "\(tp) committed \(point) with a gap below it")
                }
                t.committed(t.commitPoints())
            }
            #expect(t.commitPoints().isEmpty)
            #expect(t.inFlight([p0, p1]) == 0)
        }
    }

    @Test("offset gaps (compaction, transaction markers) commit past the gap once written")
    func gaps() throws {
        let t = OffsetTracker()
        let a = t.track(p0, 5)!, b = t.track(p0, 9)!
        t.complete(b)
        #expect(t.commitPoints().isEmpty)
        t.complete(a)
        #expect(t.commitPoints() == [p0: 10])
        #expect(t.track(p0, 9) == nil, "a message delivered twice is refused")
    }

    @Test("after a revoke, the old assignment's completions change nothing")
    func revoke() throws {
        let t = OffsetTracker()
        let old = t.track(p0, 0)!
        let other = t.track(p1, 0)!
        t.forget([p0])
        #expect(!t.isCurrent(old) && t.isCurrent(other))
        // The partition comes back (to this member) and is read again from the committed offset 0.
        let again = t.track(p0, 0)!
        t.complete(old)
        #expect(t.commitPoints(only: [p0]).isEmpty, "a stale completion does not complete the new delivery")
        t.complete(again)
        #expect(t.commitPoints(only: [p0]) == [p0: 1])
        #expect(t.commitPoints(only: [p1]).isEmpty)
    }

    @Test("waitUntilComplete returns when the partition's work is done, or at the deadline")
    func waiting() throws {
        let t = OffsetTracker()
        let a = t.track(p0, 0)!
        #expect(!t.waitUntilComplete([p0], until: Date().addingTimeInterval(0.05)))
        Thread.detachNewThread { Thread.sleep(forTimeInterval: 0.05); t.complete(a) }
        #expect(t.waitUntilComplete([p0], until: Date().addingTimeInterval(5)))
    }
}
