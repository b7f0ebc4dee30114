// The row-parallel loops on both pools: every iteration runs exactly once, on more than one thread when asked;
// which pool a mode's products choose.
import Foundation
import Testing
@testable import Tensor

@Suite struct ParallelTests {
    @Test(arguments: [Parallel.Pool.dispatch, .openMP])
    func everyIterationRunsOnce(pool: Parallel.Pool) {
        let n = 10_000
        let counts = UnsafeMutablePointer<Int>.allocate(capacity: n)
        counts.initialize(repeating: 0, count: n)
        defer { counts.deallocate() }
        Parallel.run(n, on: pool) { i in counts[i] += 1 }
        #expect((0..<n).allSatisfy { counts[$0] == 1 })
    }

    @Test func openMPTeamHasTheBLASThreads() {
        // each iteration records its thread; with 2+ BLAS threads and slow iterations more than one thread works
        guard BLAS.threads > 1 else { return }
        let n = 64
        let ids = UnsafeMutablePointer<UInt>.allocate(capacity: n)
        defer { ids.deallocate() }
        Parallel.run(n, on: .openMP) { i in
            ids[i] = UInt(pthread_self())
            usleep(2_000)
        }
        #expect(Set((0..<n).map { ids[$0] }).count > 1)
    }

    @Test func oneDNNModesUseTheOpenMPTeamOpenBLASUsesDispatch() throws {
        #expect(Parallel.poolFor(ComputeMode(.fp32, .onednn)) == .openMP)
        #expect(Parallel.poolFor(try ComputeMode.forced(.int8)) == .openMP)
        #expect(Parallel.poolFor(.reference) == .dispatch)
    }
}
