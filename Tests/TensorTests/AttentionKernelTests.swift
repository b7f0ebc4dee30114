// The attention kernels (fused AVX2 blocks and OpenBLAS products) against a naive double-precision reference,
// with causal and key-padding masks, head strides inside wide projection rows and queries apart from keys.
import Foundation
import Testing
@testable import Tensor

@Suite struct AttentionKernelTests {
    struct Shape: Sendable, CustomStringConvertible {
        let batch, heads, headDim, qLen, kvLen: Int
        let causal: Bool
        let lengths: [Int]?
        /// Queries in a buffer of their own (ldq = width + 3, K and V interleaved [kvLen, 2·width]) instead of one
        /// fused QKV row [3·width]; the output rows then have 2 floats of gap that must stay untouched.
        let separate: Bool
        var description: String {
            "\(batch)×\(heads)×\(headDim) q\(qLen) kv\(kvLen)\(causal ? " causal" : "")\(lengths.map { " lengths \($0)" } ?? "")"
        }
    }

    static let shapes: [Shape] = [
        Shape(batch: 2, heads: 12, headDim: 64, qLen: 50, kvLen: 50, causal: false, lengths: nil, separate: false),
        Shape(batch: 3, heads: 8, headDim: 64, qLen: 40, kvLen: 40, causal: true, lengths: nil, separate: false),
        Shape(batch: 3, heads: 2, headDim: 24, qLen: 13, kvLen: 13, causal: true, lengths: [13, 9, 4], separate: false),
        Shape(batch: 4, heads: 4, headDim: 16, qLen: 1, kvLen: 30, causal: false, lengths: [30, 17, 1, 0], separate: true),
        Shape(batch: 2, heads: 3, headDim: 8, qLen: 7, kvLen: 11, causal: false, lengths: [11, 5], separate: true),
        Shape(batch: 2, heads: 2, headDim: 40, qLen: 19, kvLen: 19, causal: true, lengths: [19, 7], separate: false),
    ]

    /// out[(b·qLen + i), h·hd + c] in double precision, zero where no key is left.
    static func naive(_ s: Shape, q: (Int, Int, Int) -> Float, k: (Int, Int, Int) -> Float, v: (Int, Int, Int) -> Float,
                      scale: Double) -> [[Double]] {
        var rows: [[Double]] = []
        for b in 0..<s.batch { for i in 0..<s.qLen {
            var row = [Double](repeating: 0, count: s.heads * s.headDim)
            for h in 0..<s.heads {
                var n = min(s.lengths?[b] ?? s.kvLen, s.kvLen)
                if s.causal { n = min(n, i + 1) }
                if n == 0 { continue }
                let scores = (0..<n).map { j in
                    (0..<s.headDim).reduce(0.0) { $0 + Double(q(b, i, h * s.headDim + $1)) * Double(k(b, j, h * s.headDim + $1)) } * scale
                }
                let m = scores.max()!, e = scores.map { exp($0 - m) }, z = e.reduce(0, +)
                for j in 0..<n { for c in 0..<s.headDim { row[h * s.headDim + c] += e[j] / z * Double(v(b, j, h * s.headDim + c)) } }
            }
            rows.append(row)
        } }
        return rows
    }

    @Test(arguments: shapes)
    func kernelsMatchNaive(_ s: Shape) {
        let width = s.heads * s.headDim, scale = 1 / Float(s.headDim).squareRoot()
        let ldq = s.separate ? width + 3 : 3 * width, ldkv = s.separate ? 2 * width : 3 * width, ldo = width + 2
        let qBuf = randomTensor([s.batch * s.qLen * ldq], seed: 21).data
        let kvBuf = s.separate ? randomTensor([s.batch * s.kvLen * ldkv], seed: 22).data : qBuf
        let kOff = s.separate ? 0 : width, vOff = s.separate ? width : 2 * width
        let ref = Self.naive(s, q: { b, i, c in qBuf[(b * s.qLen + i) * ldq + c] },
                             k: { b, j, c in kvBuf[(b * s.kvLen + j) * ldkv + kOff + c] },
                             v: { b, j, c in kvBuf[(b * s.kvLen + j) * ldkv + vOff + c] }, scale: Double(scale))
        let best = AttentionKernel.best(headDim: s.headDim)
        #expect(best == (AttentionKernel.hasAVX2 && s.headDim % 8 == 0 ? .avx2 : .blas))
        let scratch = Scratch()
        for kernel in Set([best, .blas]) {
            var out = [Float](repeating: -7, count: s.batch * s.qLen * ldo)
            qBuf.withUnsafeBufferPointer { qp in kvBuf.withUnsafeBufferPointer { kvp in out.withUnsafeMutableBufferPointer { o in
                Kernels.attention(q: qp.baseAddress!, ldq: ldq, k: kvp.baseAddress! + kOff, ldk: ldkv, v: kvp.baseAddress! + vOff,
                                  ldv: ldkv, out: o.baseAddress!, ldo: ldo, batch: s.batch, qLen: s.qLen, kvLen: s.kvLen,
                                  heads: s.heads, headDim: s.headDim, scale: scale, causal: s.causal, keyLengths: s.lengths,
                                  scratch: scratch, kernel: kernel)
            } } }
            var worst: Double = 0
            for (r, row) in ref.enumerated() {
                for c in 0..<width { worst = max(worst, abs(Double(out[r * ldo + c]) - row[c])) }
                #expect(out[r * ldo + width] == -7 && out[r * ldo + width + 1] == -7, "\(kernel): row \(r) wrote past its heads")
            }
            #expect(worst < 2e-6, "\(kernel) on \(s): max |Δ| \(worst)")
        }
    }
}
