// The image jobs of the engine lanes: every image of every encoder exactly once, chunks bounded and shared out
// evenly; and an engine on two lanes computing what it computes on one.
import Foundation
import Testing
@testable import Model
import Tensor

@Suite struct ImageJobsTests {
    @Test(arguments: [([12, 12], 2, [12, 12]), ([96, 96], 2, [32, 32, 32, 32, 32, 32]), ([12, 0], 2, [6, 6]),
                      ([100, 7], 1, [50, 50, 7]), ([0, 0], 2, []), ([0, 96], 2, [24, 24, 24, 24]),
                      ([13, 5], 2, [5, 5, 4, 4]), ([1, 0], 2, [1])])
    func everyImageOnceInEvenChunks(counts: [Int], lanes: Int, sizes: [Int]) {
        let jobs = ImageJobs(counts: counts, lanes: lanes, chunk: 64)
        var taken: [ImageJobs.Job] = []
        while let j = jobs.take() { taken.append(j) }
        #expect(taken.map(\.count) == sizes)
        for (e, n) in counts.enumerated() {
            var covered = [Int](repeating: 0, count: n)
            for j in taken where j.encoder == e { for i in j.start..<(j.start + j.count) { covered[i] += 1 } }
            #expect(covered.allSatisfy { $0 == 1 }, "encoder \(e)")
        }
    }

    @Test(arguments: [ComputeMode(.fp32, .onednn), .reference])
    func twoLanesComputeWhatOneDoes(mode: ComputeMode) throws {
        let model = try MERCLIPModel(directory: Fixtures.model("tiny-a", "merclip"), mode: mode)
        let segs = try MERCLIPParityTests.segments("tiny-a")
        let one = try MERCLIPEngine(model: model, lanes: 1).run(segs), two = try MERCLIPEngine(model: model, lanes: 2).run(segs)
        for (a, b) in zip(one.features, two.features) {
            for (mod, t) in a { expectClose(try #require(b[mod]), t, "\(mode) \(mod)") }
        }
        #expect(MERCLIPEngine(model: model, lanes: 2).laneCount == min(2, BLAS.threads))
    }

    @Test func lanesFromTheEnvironmentOnlyWhenAPositiveInteger() {
        for (raw, lanes) in [("1", 1), ("3", 3), ("0", nil), ("-2", nil), ("two", nil), (nil, nil)] as [(String?, Int?)] {
            #expect(MERCLIPEngine.lanes(fromEnvironment: raw) == lanes, "MERCLIP_LANES=\(raw ?? "unset")")
        }
        #expect(MERCLIPEngine.defaultLanes(.reference) == 1)
        #expect(MERCLIPEngine.defaultLanes(ComputeMode(.fp32, .onednn)) == (BLAS.threads >= 2 ? 2 : 1))
    }
}
