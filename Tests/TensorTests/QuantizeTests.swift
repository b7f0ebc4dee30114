// The int8 path's activation passes (range, u8 quantisation; AVX2 kernels where the CPU has them) against
// scalar loops, on strided rows whose widths leave tails after the 32- and 16-wide blocks.
import Foundation
import Testing
@testable import Tensor

@Suite struct QuantizeTests {
    @Test(arguments: [(1, 5), (37, 77), (300, 768), (64, 3072)])
    func activationsMatchScalarLoops(rows: Int, cols: Int) {
        let ld = cols + 3
        var x = randomTensor([rows * ld], seed: 31).data.map { $0 * 6 + 1.5 }
        x[(rows / 2) * ld + cols - 1] = 40      // the largest value in a tail lane
        x[(rows - 1) * ld] = -9                  // the smallest in the last row's first lane
        for i in 0..<rows { for j in cols..<ld { x[i * ld + j] = 1000 } }   // gaps between rows: never read
        var out = [UInt8](repeating: 0, count: rows * cols)
        let (range, q) = x.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { o in
                (Quantize.range(p.baseAddress!, rows: rows, cols: cols, ld: ld),
                 Quantize.activationsU8(p.baseAddress!, rows: rows, cols: cols, ld: ld, out: o.baseAddress!))
            }
        }
        #expect(range.0 == -9 && range.1 == 40)
        let scale = q.0, zero = Float(q.1)
        #expect(abs(scale - 49 / 255) < 1e-6 && zero == (9 / scale).rounded())
        var worst = 0
        for i in 0..<rows { for j in 0..<cols {
            let want = Int(min(max((x[i * ld + j] / scale + zero).rounded(), 0), 255))
            worst = max(worst, abs(Int(out[i * cols + j]) - want))
        } }
        // the kernels round x·(1/scale) + zero, the loop x / scale + zero: a half-way case may differ by one step
        #expect(worst <= 1, "rows \(rows) cols \(cols): a value off by \(worst) steps")
        let dequantised = (0..<rows * cols).map { scale * (Float(out[$0]) - zero) }
        let original = (0..<rows).flatMap { i in x[(i * ld)..<(i * ld + cols)] }
        #expect(maxDiff(dequantised, Array(original)) <= scale * 0.5001 + 1e-5)
    }
}
