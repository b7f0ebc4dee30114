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
            lanes.run { i in
                seen.lane[i] = Parallel.lane; seen.width[i] = Parallel.width; seen.thread[i] = UInt(pthread_self())
                // each lane waits for the other: only lanes running at the same time both get through
                arrived[i].signal()
                seen.met[i] = arrived[1 - i].wait(timeout: .now() + 10) == .success
            }
            #expect(seen.lane == [0, 1])
            #expect(seen.width == [lanes.width, lanes.width])
            #expect(seen.thread[0] != seen.thread[1])
            #expect(seen.met == [true, true])
        }
        #expect(lanes.width == max(1, BLAS.threads / 2))
        #expect(Parallel.lane == 0 && Parallel.width == BLAS.threads)
    }

    @Test func oneLaneRunsOnTheCaller() {
        let lanes = EngineLanes(count: 1)
        var ran = 0, thread: UInt = 0
        lanes.run { i in ran += 1 + i; thread = UInt(pthread_self()) }
        #expect(ran == 1 && thread == UInt(pthread_self()))
    }
}
