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

    /// Calls `body` with each block of up to 8 of `rows`: its first row and its row count.
    private func blocks(_ body: (Int, Int) -> Void) {
        var y = rows.lowerBound
        while y < rows.upperBound {
            body(y, min(8, rows.upperBound - y))
            y += 8
        }
    }

    /// The horizontal pass for the rows `rows`, 8 rows at a time.
    private func horizontal(_ src: ChannelView, temp: UnsafeMutablePointer<Int16>, columns: UnsafeMutablePointer<SIMD8<Float>>) {
        let k = across, outs = k.keep.count, span = k.span, pitch = pitch, row0 = rows.lowerBound
        guard !span.isEmpty else { return }
        if src.dx == 1 {
            // Rows run left to right in memory: Pillow's integer arithmetic itself, in C (CResample).
            k.pairWeights.withUnsafeBufferPointer { w in
                k.first32.withUnsafeBufferPointer { first in
                    k.pairs.withUnsafeBufferPointer { pairs in
                        blocks { y, n in
                            merclip_resample_rows8(src.base + y * src.dy, src.dy, Int32(n), Int32(span.lowerBound), Int32(span.count),
                                                   Int32(outs), first.baseAddress, pairs.baseAddress, w.baseAddress, Int32(k.maxPairs),
                                                   UnsafeMutableRawPointer(columns), temp + (y - row0) * pitch, pitch)
                        }
                    }
                }
            }
        } else {
            horizontalFloats(src, temp: temp, columns: columns)
        }
    }

    /// The horizontal pass in Float for other layouts: each source column of a block's rows is gathered once
    /// into a vector, then every kept output is a sum of its columns times its weights.
    private func horizontalFloats(_ src: ChannelView, temp: UnsafeMutablePointer<Int16>, columns: UnsafeMutablePointer<SIMD8<Float>>) {
        let k = across, outs = k.keep.count, span = k.span, taps = k.taps, pitch = pitch, row0 = rows.lowerBound
        k.weights.withUnsafeBufferPointer { w in
            blocks { y, n in
                Self.gather(src, rows: y, count: n, span: span, into: columns)
                for j in 0..<outs {
                    let c = columns + (k.first[j] - span.lowerBound)
                    var v = Self.round(Self.dot(c, w.baseAddress! + j * taps, k.count[j]))
                    if v.ambiguous {
                        for l in 0..<n {
                            let yy = y + l
                            v.value[l] = k.exact(j) { Int32(src.at($0, yy)) }
                        }
                    }
                    let q = SIMD8<Int16>(truncatingIfNeeded: SIMD8<Int32>(v.value))
                    for l in 0..<n { temp[(y - row0 + l) * pitch + j] = q[l] }
                }
            }
        }
    }

    /// Column vectors of 8 rows from `y` (the last row repeated when fewer than 8 remain) for the source
    /// columns `span`: by direct 8-byte loads when columns run down in memory (pictures turned 90°), one byte
    /// at a time otherwise.
    @inline(__always)
    static func gather(_ src: ChannelView, rows y: Int, count n: Int, span: Range<Int>,
                       into columns: UnsafeMutablePointer<SIMD8<Float>>) {
        let dx = src.dx, dy = src.dy
        var x = span.lowerBound
        if n == 8, dy == 1 {
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
