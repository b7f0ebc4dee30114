// FrameResampler: Pillow's two-pass 8-bit bicubic resize of one picture channel, computed for the centre crop only.
import CResample

/// One 8-bit picture channel seen in display orientation: pixel (x, y) of the upright picture is
/// `base[x * dx + y * dy]` (negative steps undo rotations and flips).
struct ChannelView {
    let base: UnsafePointer<UInt8>
    let dx: Int, dy: Int
    let width: Int, height: Int

    /// The view of a stored channel (`step` bytes between pixels, `stride` between rows, `width` × `height`
    /// stored) rotated clockwise by `rotation` degrees.
    init(stored p: UnsafePointer<UInt8>, step: Int, stride: Int, width w: Int, height h: Int, rotation: Int) {
        switch rotation {
        case 90: base = p + (h - 1) * stride; dx = -stride; dy = step; width = h; height = w
        case 180: base = p + (h - 1) * stride + (w - 1) * step; dx = -step; dy = -stride; width = w; height = h
        case 270: base = p + (w - 1) * step; dx = stride; dy = -step; width = h; height = w
        default: base = p; dx = step; dy = stride; width = w; height = h
        }
    }

    @inline(__always) func at(_ x: Int, _ y: Int) -> UInt8 { base[x * dx + y * dy] }
}

/// Pillow's `Image.resize(BICUBIC)` on an 8-bit channel (horizontal pass into 8 bits, rounded and clipped,
/// then vertical pass), for the kept outputs of `across` (display columns) and `down` (display rows) only.
/// Every value equals Pillow's: both passes run in Pillow's own integers (CResample) where the picture's
/// rows run left to right in memory; otherwise (turned pictures, packed RGB) the horizontal sums are formed
/// in Float, 8 rows at a time, and the rare sums within 1/256 of a rounding boundary, where Float's rounding
/// could matter, are recomputed in Pillow's integer arithmetic.
struct FrameResampler {
    /// Float sums are off the exact ones by less than 1e-3 (products of values ≤ 255 and weights exact in
    /// Float, |weights| summing to under 1.3, rounding errors of 2^-24 relative per product and per
    /// addition); closer to a boundary than this, the integer sum decides.
    static let margin: Float = 1.0 / 256

    let across: BicubicKernel
    let down: BicubicKernel

    /// Rows of the picture the vertical pass reads (the horizontal pass computes only those).
    var rows: Range<Int> { down.span }

    /// Values between the passes per row of `temp` (the kept columns, padded to a multiple of 8).
    var pitch: Int { (across.keep.count + 7) & ~7 }

    /// Resizes `src` into `out` (kept rows × kept columns, row-major) as `transform(v)` of each 8-bit
    /// result v. `temp` holds rows.count × pitch values, `columns` at least 2 · across.span.count + 8 vectors.
    func resample(_ src: ChannelView, temp: UnsafeMutablePointer<Int16>, columns: UnsafeMutablePointer<SIMD8<Float>>,
                  into out: UnsafeMutablePointer<Float>, transform: (SIMD8<Float>) -> SIMD8<Float>) {
        horizontal(src, temp: temp, columns: columns)
        vertical(temp, into: out, transform: transform)
    }

    /// The horizontal pass for the rows `rows`, 8 rows at a time: each source column of those rows is
    /// gathered once into a vector, then every kept output is a sum of its columns times its weights.
    private func horizontal(_ src: ChannelView, temp: UnsafeMutablePointer<Int16>, columns: UnsafeMutablePointer<SIMD8<Float>>) {
        let k = across, outs = k.keep.count, span = k.span, taps = k.taps, pitch = pitch
        let rowRange = rows
        if src.dx == 1, !span.isEmpty {
            // Rows run left to right in memory: Pillow's integer arithmetic itself, in C (CResample).
            k.pairWeights.withUnsafeBufferPointer { w in
            k.first32.withUnsafeBufferPointer { first in
            k.pairs.withUnsafeBufferPointer { pairs in
                var y = rowRange.lowerBound
                while y < rowRange.upperBound {
                    let n = min(8, rowRange.upperBound - y)
                    merclip_resample_rows8(src.base + y * src.dy, src.dy, Int32(n), Int32(span.lowerBound), Int32(span.count),
                                           Int32(outs), first.baseAddress, pairs.baseAddress, w.baseAddress, Int32(k.maxPairs),
                                           UnsafeMutableRawPointer(columns), temp + (y - rowRange.lowerBound) * pitch, pitch)
                    y += 8
                }
            }
            }
            }
            return
        }
        k.weights.withUnsafeBufferPointer { w in
        k.first.withUnsafeBufferPointer { first in
        k.count.withUnsafeBufferPointer { count in
            var y = rowRange.lowerBound
            while y < rowRange.upperBound {
                let n = min(8, rowRange.upperBound - y)
                Self.gather(src, rows: y, count: n, span: span, into: columns)
                let row0 = y - rowRange.lowerBound
                let tile = columns + span.count
                var j0 = 0
                while j0 < outs {
                    let m = min(8, outs - j0)
                    for j in j0..<(j0 + m) {
                        let c = columns + (first[j] - span.lowerBound)
                        let wj = w.baseAddress! + j * taps
                        var v = Self.round(Self.dot(c, wj, count[j]))
                        if v.ambiguous {
                            for l in 0..<n {
                                let yy = y + l
                                v.value[l] = k.exact(j) { Int32(src.at($0, yy)) }
                            }
                        }
                        tile[j - j0] = v.value
                    }
                    let dst = temp + row0 * pitch + j0
                    for jj in 0..<m {
                        let v = SIMD8<Int16>(truncatingIfNeeded: SIMD8<Int32>(tile[jj]))
                        for l in 0..<n { dst[l * pitch + jj] = v[l] }
                    }
                    j0 += 8
                }
                y += 8
            }
        }
        }
        }
    }

    /// Column vectors of 8 rows from `y` (the last row repeated when fewer than 8 remain) for the source
    /// columns `span`: by 8×16 byte transposes when rows run left to right in memory, by direct 8-byte loads
    /// when columns do (pictures turned 90°), one byte at a time otherwise.
    @inline(__always)
    static func gather(_ src: ChannelView, rows y: Int, count n: Int, span: Range<Int>,
                       into columns: UnsafeMutablePointer<SIMD8<Float>>) {
        let dx = src.dx, dy = src.dy
        var x = span.lowerBound
        if n == 8, dx == 1 {
            let p = src.base + y * dy
            while x + 16 <= span.upperBound {
                let q = UnsafeRawPointer(p + x)
                let r0 = q.loadUnaligned(as: SIMD16<UInt8>.self), r1 = (q + dy).loadUnaligned(as: SIMD16<UInt8>.self)
                let r2 = (q + 2 * dy).loadUnaligned(as: SIMD16<UInt8>.self), r3 = (q + 3 * dy).loadUnaligned(as: SIMD16<UInt8>.self)
                let r4 = (q + 4 * dy).loadUnaligned(as: SIMD16<UInt8>.self), r5 = (q + 5 * dy).loadUnaligned(as: SIMD16<UInt8>.self)
                let r6 = (q + 6 * dy).loadUnaligned(as: SIMD16<UInt8>.self), r7 = (q + 7 * dy).loadUnaligned(as: SIMD16<UInt8>.self)
                // Bytes of row pairs, then 16-bit units of row quads, then 32-bit units: two columns per vector.
                let a01 = lo8(r0, r1), b01 = hi8(r0, r1), a23 = lo8(r2, r3), b23 = hi8(r2, r3)
                let a45 = lo8(r4, r5), b45 = hi8(r4, r5), a67 = lo8(r6, r7), b67 = hi8(r6, r7)
                let out = columns + (x - span.lowerBound)
                store(lo16(a01, a23), lo16(a45, a67), out)
                store(hi16(a01, a23), hi16(a45, a67), out + 4)
                store(lo16(b01, b23), lo16(b45, b67), out + 8)
                store(hi16(b01, b23), hi16(b45, b67), out + 12)
                x += 16
            }
        } else if n == 8, dy == 1 {
            while x < span.upperBound {
                let q = UnsafeRawPointer(src.base + x * dx + y)
                let b = q.loadUnaligned(as: SIMD8<UInt8>.self)
                columns[x - span.lowerBound] = SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: b))
                x += 1
            }
        }
        while x < span.upperBound {
            let p = src.base + x * dx + y * dy
            var v = SIMD8<Float>()
            for l in 0..<8 { v[l] = Float(p[min(l, n - 1) * dy]) }
            columns[x - span.lowerBound] = v
            x += 1
        }
    }

    /// Σ c[d] · w[d] for d < n, in four interleaved sums (so that the additions do not wait on each other).
    @inline(__always)
    static func dot(_ c: UnsafeMutablePointer<SIMD8<Float>>, _ w: UnsafePointer<Float>, _ n: Int) -> SIMD8<Float> {
        var a = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
        var d = 0
        while d + 3 < n {
            a.0 += c[d] * w[d]
            a.1 += c[d + 1] * w[d + 1]
            a.2 += c[d + 2] * w[d + 2]
            a.3 += c[d + 3] * w[d + 3]
            d += 4
        }
        while d < n {
            a.0 += c[d] * w[d]
            d += 1
        }
        return (a.0 + a.1) + (a.2 + a.3)
    }

    /// Four columns from the quads of rows 0–3 and 4–7.
    @inline(__always) static func store(_ top: SIMD16<UInt8>, _ bottom: SIMD16<UInt8>, _ out: UnsafeMutablePointer<SIMD8<Float>>) {
        let e = lo32(top, bottom), f = hi32(top, bottom)
        out[0] = floats(e, 0)
        out[1] = floats(e, 8)
        out[2] = floats(f, 0)
        out[3] = floats(f, 8)
    }

    @inline(__always) static func lo8(_ a: SIMD16<UInt8>, _ b: SIMD16<UInt8>) -> SIMD16<UInt8> {
        SIMD16(a[0], b[0], a[1], b[1], a[2], b[2], a[3], b[3], a[4], b[4], a[5], b[5], a[6], b[6], a[7], b[7])
    }

    @inline(__always) static func hi8(_ a: SIMD16<UInt8>, _ b: SIMD16<UInt8>) -> SIMD16<UInt8> {
        SIMD16(a[8], b[8], a[9], b[9], a[10], b[10], a[11], b[11], a[12], b[12], a[13], b[13], a[14], b[14], a[15], b[15])
    }

    @inline(__always) static func lo16(_ a: SIMD16<UInt8>, _ b: SIMD16<UInt8>) -> SIMD16<UInt8> {
        let x = unsafeBitCast(a, to: SIMD8<UInt16>.self), y = unsafeBitCast(b, to: SIMD8<UInt16>.self)
        return unsafeBitCast(SIMD8(x[0], y[0], x[1], y[1], x[2], y[2], x[3], y[3]), to: SIMD16<UInt8>.self)
    }

    @inline(__always) static func hi16(_ a: SIMD16<UInt8>, _ b: SIMD16<UInt8>) -> SIMD16<UInt8> {
        let x = unsafeBitCast(a, to: SIMD8<UInt16>.self), y = unsafeBitCast(b, to: SIMD8<UInt16>.self)
        return unsafeBitCast(SIMD8(x[4], y[4], x[5], y[5], x[6], y[6], x[7], y[7]), to: SIMD16<UInt8>.self)
    }

    @inline(__always) static func lo32(_ a: SIMD16<UInt8>, _ b: SIMD16<UInt8>) -> SIMD16<UInt8> {
        let x = unsafeBitCast(a, to: SIMD4<UInt32>.self), y = unsafeBitCast(b, to: SIMD4<UInt32>.self)
        return unsafeBitCast(SIMD4(x[0], y[0], x[1], y[1]), to: SIMD16<UInt8>.self)
    }

    @inline(__always) static func hi32(_ a: SIMD16<UInt8>, _ b: SIMD16<UInt8>) -> SIMD16<UInt8> {
        let x = unsafeBitCast(a, to: SIMD4<UInt32>.self), y = unsafeBitCast(b, to: SIMD4<UInt32>.self)
        return unsafeBitCast(SIMD4(x[2], y[2], x[3], y[3]), to: SIMD16<UInt8>.self)
    }

    /// Bytes `from`…`from + 7` of `v` as floats.
    @inline(__always) static func floats(_ v: SIMD16<UInt8>, _ from: Int) -> SIMD8<Float> {
        let b = SIMD8<UInt8>(v[from], v[from + 1], v[from + 2], v[from + 3], v[from + 4], v[from + 5], v[from + 6], v[from + 7])
        return SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: b))
    }

    /// The vertical pass over the horizontal pass's rows, in Pillow's integers (CResample), then `transform`.
    private func vertical(_ temp: UnsafeMutablePointer<Int16>, into out: UnsafeMutablePointer<Float>,
                          transform: (SIMD8<Float>) -> SIMD8<Float>) {
        let k = down, width = across.keep.count, row0 = rows.lowerBound
        k.pairWeights.withUnsafeBufferPointer { w in
            for j in 0..<k.keep.count {
                let o = out + j * width
                merclip_resample_columns(temp, pitch, Int32(rows.count), Int32(k.first[j] - row0), k.pairs[j],
                                         w.baseAddress! + j * k.maxPairs * 16, Int32(width), o)
                var x = 0
                while x + 8 <= width {
                    let p = UnsafeMutableRawPointer(o + x)
                    p.storeBytes(of: transform(p.loadUnaligned(as: SIMD8<Float>.self)), as: SIMD8<Float>.self)
                    x += 8
                }
                if x < width {
                    var v = SIMD8<Float>()
                    for l in 0..<(width - x) { v[l] = o[x + l] }
                    let t = transform(v)
                    for l in 0..<(width - x) { o[x + l] = t[l] }
                }
            }
        }
    }

    /// Pillow's rounding of a sum (add one half, floor, clip to 0…255), and whether any lane lies so close
    /// to a rounding boundary that Float's error could have changed it.
    @inline(__always)
    static func round(_ acc: SIMD8<Float>) -> (value: SIMD8<Float>, ambiguous: Bool) {
        // Floor without SSE4.1: adding and removing 1.5 · 2^23 rounds to the nearest integer (sums are far
        // below 2^22), one less where that went up.
        let s = acc + 0.5
        let magic = SIMD8<Float>(repeating: 12_582_912)
        var whole = (s + magic) - magic
        whole.replace(with: whole - 1, where: whole .> s)
        let frac = s - whole
        let ambiguous = any(frac .< margin .| frac .> 1 - margin)
        whole.replace(with: 0, where: whole .< 0)
        whole.replace(with: 255, where: whole .> 255)
        return (whole, ambiguous)
    }
}
