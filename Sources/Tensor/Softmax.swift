// Softmax over rows with masking: only the first `valid` columns of a row take part, the rest become 0;
// max, exp and sum 8 lanes at a time.
import Foundation

extension Kernels {
    /// In-place softmax of one row over columns 0..<valid; columns valid..<cols are set to 0.
    /// A row with no valid column becomes all zeros (never NaN).
    @inline(__always)
    public static func softmaxRow(_ row: UnsafeMutablePointer<Float>, valid: Int, cols: Int) {
        if valid <= 0 {
            for j in 0..<cols { row[j] = 0 }
            return
        }
        let raw = UnsafeMutableRawPointer(row), body = valid & ~7
        var mv = SIMD8<Float>(repeating: -.infinity)
        var j = 0
        while j < body { mv = mv.lanesMax(raw.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)); j += 8 }
        var m = mv.max()
        while j < valid { m = max(m, row[j]); j += 1 }
        let mm = SIMD8<Float>(repeating: m)
        var sv = SIMD8<Float>()
        j = 0
        while j < body {
            let e = vexp(raw.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self) - mm)
            raw.storeBytes(of: e, toByteOffset: j * 4, as: SIMD8<Float>.self)
            sv += e
            j += 8
        }
        var s = sv.sum()
        while j < valid { let e = expf(row[j] - m); row[j] = e; s += e; j += 1 }
        let inv = 1 / s
        for j in 0..<valid { row[j] *= inv }
        for j in valid..<cols { row[j] = 0 }
    }

    /// Softmax over the last dimension. `mask` (same shape, true = keep) marks the columns taking part;
    /// masked entries come out 0, a fully masked row all zeros.
    public static func softmax(_ x: Tensor, mask: [Bool]? = nil) -> Tensor {
        let cols = x.shape.last ?? 1
        var out = x
        out.data.withUnsafeMutableBufferPointer { p in
            for i in 0..<(x.count / max(cols, 1)) {
                let row = p.baseAddress! + i * cols
                guard let mask else { softmaxRow(row, valid: cols, cols: cols); continue }
                var m = -Float.infinity
                for j in 0..<cols where mask[i * cols + j] { m = max(m, row[j]) }
                var s: Float = 0
                for j in 0..<cols {
                    if mask[i * cols + j] { row[j] = expf(row[j] - m); s += row[j] } else { row[j] = 0 }
                }
                if s > 0 { for j in 0..<cols { row[j] /= s } }
            }
        }
        return out
    }
}
