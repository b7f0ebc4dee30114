// Engine lanes: every lane runs once per call, at the same time as the others, on its own thread, with its
// share of the cores as Parallel.width and its index as Parallel.lane; outside lanes both are back to normal.
import Foundation
import Testing
@testable import Tensor

@Suite struct EngineLanesTests {
    @Test func lanesRunTogetherWithTheirWidthAndIndex() {
        let lanes = EngineLanes(count: 2)
        final class Seen: @unchecked Sendable {
            var lane = [Int](repeating: -1, count: 2), width = [Int](repeating: 0, count: 2), thread = [UInt](repeating: 0, count: 2)
            var met = [Bool](repeating: false, count: 2)
        }
        let seen = Seen()
        let arrived = [DispatchSemaphore(value: 0), DispatchSemaphore(value: 0)]
        for _ in 0..<3 {   // the lanes are reused across calls
            lanes.run(threads: 4) { i in
                seen.lane[i] = Parallel.lane; seen.width[i] = Parallel.width; seen.thread[i] = UInt(pthread_self())
                // each lane waits for the other: only lanes running at the same time both get through
                arrived[i].signal()
                seen.met[i] = arrived[1 - i].wait(timeout: .now() + 10) == .success
            }
            #expect(seen.lane == [0, 1])
            #expect(seen.width == [2, 2])
            #expect(seen.thread[0] != seen.thread[1])
            #expect(seen.met == [true, true])
        }
        #expect(Parallel.lane == 0 && Parallel.width == BLAS.threads)
    }

    @Test func noMoreLanesThanThreads() {
        let lanes = EngineLanes(count: 2)
        #expect(lanes.active(threads: 1) == 1 && lanes.width(threads: 1) == 1)
        #expect(lanes.active(threads: 3) == 2 && lanes.width(threads: 3) == 1)
        var ran: [Int] = [], thread: UInt = 0
        lanes.run(threads: 1) { i in ran.append(i); thread = UInt(pthread_self()) }
        #expect(ran == [0] && thread == UInt(pthread_self()), "one thread: lane 0 alone, on the caller")
    }

    @Test func oneLaneRunsOnTheCaller() {
        let lanes = EngineLanes(count: 1)
        var ran = 0, thread: UInt = 0
        lanes.run { i in ran += 1 + i; thread = UInt(pthread_self()) }
        #expect(ran == 1 && thread == UInt(pthread_self()))
    }
}
