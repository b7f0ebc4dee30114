// The 8-lane non-GEMM kernels against scalar Double references: GELU (erf), softmax rows, embedding sums.
import Foundation
import Testing
@testable import Tensor

@Suite struct VectorOpsTests {
    @Test func geluRowsMatchErf() {
        var x = (0..<1203).map { Float($0) / 100 - 6 }   // -6 … 6.02, 150 full lanes and a tail of 3
        let ref = x.map { v in Float(0.5 * Double(v) * (1 + erf(Double(v) / 2.0.squareRoot()))) }
        x.withUnsafeMutableBufferPointer { Kernels.activate($0.baseAddress!, rows: 1, cols: $0.count, ld: $0.count, .gelu) }
        let err = zip(x, ref).map { abs($0 - $1) }.max()!
        #expect(err < 2e-6, "max |gelu − reference| = \(err)")
    }

    @Test func softmaxRowsMatchReference() {
        for (valid, cols) in [(21, 24), (8, 8), (3, 5), (40, 40)] {
            var row = randomTensor([cols], seed: UInt64(valid)).data.map { $0 * 9 }
            let m = row[0..<valid].max()!
            let e = row[0..<valid].map { exp(Double($0 - m)) }, s = e.reduce(0, +)
            Kernels.softmaxRow(&row, valid: valid, cols: cols)
            #expect(maxDiff(Array(row[0..<valid]), e.map { Float($0 / s) }) < 1e-6, "valid \(valid) of \(cols)")
            #expect(row[valid...].allSatisfy { $0 == 0 })
        }
    }

    @Test func addSumsAllLanesAndTheTail() {
        let a = randomTensor([27], seed: 1).data, b = randomTensor([27], seed: 2).data
        var out = [Float](repeating: .nan, count: 27)
        Kernels.add(a, b, into: &out, count: 27)
        #expect(out == zip(a, b).map { $0 + $1 })
    }
}
