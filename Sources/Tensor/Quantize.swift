// Conversions for the reduced-precision products: int8 weights per output channel, activations to u8 per
// tensor (dynamic scale and zero point) and to bf16; rows in parallel, on the AVX2 kernels (CKernels) where
// the CPU has them, else 8 lanes at a time in Swift.
import CKernels

enum Quantize {
    /// The activation passes run on CKernels' AVX2 code.
    static var avx2: Bool { VectorISA.avx2FMA }

    /// w [n, k] → q with w ≈ scale[row] · q, |q| ≤ levels (63 leaves headroom for CPUs whose int8 dot
    /// product sums pairs in 16 bits), and each row's Σ q.
    static func weightsS8(_ w: UnsafePointer<Float>, n: Int, k: Int, levels: Int) -> (values: [Int8], scale: [Float], columnSum: [Float]) {
        var q = [Int8](repeating: 0, count: n * k), scale = [Float](repeating: 1, count: n), sum = [Float](repeating: 0, count: n)
        for r in 0..<n {
            let row = w + r * k
            var m: Float = 0
            for j in 0..<k { m = max(m, abs(row[j])) }
            let s = m > 0 ? m / Float(levels) : 1
            scale[r] = s
            var total = 0
            for j in 0..<k {
                let v = Int((row[j] / s).rounded())
                let c = min(max(v, -levels), levels)
                q[r * k + j] = Int8(c)
                total += c
            }
            sum[r] = Float(total)
        }
        return (q, scale, sum)
    }

    /// x [rows, cols] (leading dimension ld) → u8 [rows, cols] with x ≈ scale · (q − zero), over the tensor's range
    /// (which always includes 0, so zero is exact).
    static func activationsU8(_ x: UnsafePointer<Float>, rows: Int, cols: Int, ld: Int, out: UnsafeMutablePointer<UInt8>) -> (Float, Int32) {
        let (lo, hi) = range(x, rows: rows, cols: cols, ld: ld)
        let low = min(lo, 0), high = max(hi, 0)
        let scale = high > low ? (high - low) / 255 : 1
        let zero = min(max((-low / scale).rounded(), 0), 255)
        let inv = 1 / scale
        if avx2 {
            Parallel.forRanges(rows, cost: cols * 2) { r in
                ck_quantize_u8(x + r.lowerBound * ld, r.count, cols, ld, inv, zero, out + r.lowerBound * cols)
            }
            return (scale, Int32(zero))
        }
        Parallel.forRanges(rows, cost: cols * 2) { r in
            let vinv = SIMD8<Float>(repeating: inv), vzero = SIMD8<Float>(repeating: zero + 12_582_912)
            let top = SIMD8<Float>(repeating: 255 + 12_582_912), bottom = SIMD8<Float>(repeating: 12_582_912)
            for i in r {
                let src = UnsafeRawPointer(x + i * ld), dst = UnsafeMutableRawPointer(out + i * cols)
                var j = 0
                while j + 8 <= cols {
                    // adding 1.5·2²³ rounds to an integer held in the low mantissa bits
                    let v = src.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self) * vinv + vzero
                    let c = v.lanesMin(top).lanesMax(bottom)
                    let bits = unsafeBitCast(c, to: SIMD8<UInt32>.self)
                    dst.storeBytes(of: SIMD8<UInt8>(truncatingIfNeeded: bits), toByteOffset: j, as: SIMD8<UInt8>.self)
                    j += 8
                }
                while j < cols {
                    let v = (x[i * ld + j] * inv + zero).rounded()
                    out[i * cols + j] = UInt8(min(max(v, 0), 255))
                    j += 1
                }
            }
        }
        return (scale, Int32(zero))
    }

    /// Smallest and largest value of x [rows, cols].
    static func range(_ x: UnsafePointer<Float>, rows: Int, cols: Int, ld: Int) -> (Float, Float) {
        let parts = max(1, min(rows, Parallel.width * 2))
        let found = UnsafeMutablePointer<(Float, Float)>.allocate(capacity: parts)
        defer { found.deallocate() }
        let body = { (c: Int) in
            let first = rows * c / parts, last = rows * (c + 1) / parts
            if avx2 {
                var l = Float.infinity, h = -Float.infinity
                ck_range(x + first * ld, last - first, cols, ld, &l, &h)
                found[c] = (l, h)
                return
            }
            var lo = SIMD8<Float>(repeating: .infinity), hi = SIMD8<Float>(repeating: -.infinity)
            var l = Float.infinity, h = -Float.infinity
            for i in first..<last {
                let src = UnsafeRawPointer(x + i * ld)
                var j = 0
                while j + 8 <= cols {
                    let v = src.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
                    lo = lo.lanesMin(v); hi = hi.lanesMax(v)
                    j += 8
                }
                while j < cols { l = min(l, x[i * ld + j]); h = max(h, x[i * ld + j]); j += 1 }
            }
            found[c] = (min(l, lo.min()), max(h, hi.max()))
        }
        if parts == 1 || rows * cols < 65_536 { for c in 0..<parts { body(c) } } else { Parallel.run(parts, body) }
        var lo = Float.infinity, hi = -Float.infinity
        for c in 0..<parts { lo = min(lo, found[c].0); hi = max(hi, found[c].1) }
        return (lo, hi)
    }

    /// x [rows, cols] → bf16 bits [rows, cols], rounded to nearest even.
    static func toBF16(_ x: UnsafePointer<Float>, rows: Int, cols: Int, ld: Int, out: UnsafeMutablePointer<UInt16>) {
        Parallel.forRanges(rows, cost: cols) { r in
            for i in r {
                let src = x + i * ld, dst = out + i * cols
                for j in 0..<cols {
                    let b = src[j].bitPattern
                    dst[j] = UInt16(truncatingIfNeeded: (b &+ 0x7fff &+ ((b >> 16) & 1)) >> 16)
                }
            }
        }
    }
}
