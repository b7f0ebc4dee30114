// BicubicKernel: PIL's bicubic resampling coefficients for one axis (Pillow's precompute_coeffs and its 8-bit fixed point).

/// The coefficients Pillow's `Image.resize(..., BICUBIC)` uses along one axis of `inSize` pixels
/// resized to `outSize`, for the output pixels `keep` only: cubic convolution with a = −0.5, the
/// support widened by the downscale factor, each output's weights normalised to sum 1 and then
/// rounded to 22 fractional bits (`PRECISION_BITS`), as Pillow does for 8-bit images.
struct BicubicKernel: Equatable {
    static let precisionBits = 22
    /// First input pixel of each kept output.
    let first: [Int]
    /// Input pixels each kept output reads.
    let count: [Int]
    /// Weights per kept output, `taps` apart (zero past `count`): Pillow's integers …
    let fixed: [Int32]
    /// … and the same values divided by 2^22, exact in Float.
    let weights: [Float]
    let taps: Int
    let inSize: Int, outSize: Int, keep: Range<Int>
    /// The same weights for the integer kernel (CResample): per kept output `maxPairs` pairs of inputs, each
    /// as 8 Int16 of (hi, hi′) repeated and 8 of (lo, lo′), Pillow's weight being hi · 2048 + lo, 0 ≤ lo < 2048;
    /// `pairs` per output, and `first` as Int32.
    let pairWeights: [Int16]
    let pairs: [Int32], first32: [Int32]
    let maxPairs: Int

    init(inSize: Int, outSize: Int, keep: Range<Int>) {
        self.inSize = inSize
        self.outSize = outSize
        self.keep = keep
        guard inSize != outSize else {
            // Pillow skips an axis that keeps its size; its coefficients would be exactly 1 (and zeros).
            taps = 1
            first = Array(keep)
            count = [Int](repeating: 1, count: keep.count)
            fixed = [Int32](repeating: 1 << Self.precisionBits, count: keep.count)
            weights = [Float](repeating: 1, count: keep.count)
            (pairWeights, pairs, maxPairs) = Self.split(fixed, count: count, taps: taps)
            first32 = first.map { Int32($0) }
            return
        }
        let scale = Double(inSize) / Double(outSize)
        let filterScale = max(scale, 1)
        let support = 2 * filterScale
        let ksize = Int(support.rounded(.up)) * 2 + 1
        taps = ksize
        var first: [Int] = [], count: [Int] = []
        var fixed = [Int32](repeating: 0, count: keep.count * ksize)
        first.reserveCapacity(keep.count)
        count.reserveCapacity(keep.count)
        var k = [Double](repeating: 0, count: ksize)
        for (j, xx) in keep.enumerated() {
            let center = (Double(xx) + 0.5) * scale
            let ss = 1 / filterScale
            // C's (int) casts truncate toward zero, as Swift's Int(_:) does.
            let xmin = max(0, Int(center - support + 0.5))
            let xmax = min(inSize, Int(center + support + 0.5)) - xmin
            var ww = 0.0
            for x in 0..<xmax {
                let w = Self.cubic((Double(x + xmin) - center + 0.5) * ss)
                k[x] = w
                ww += w
            }
            for x in 0..<xmax {
                let w = ww != 0 ? k[x] / ww : k[x]
                let v = w * Double(1 << Self.precisionBits)
                fixed[j * ksize + x] = Int32(w < 0 ? -0.5 + v : 0.5 + v)
            }
            first.append(xmin)
            count.append(max(xmax, 0))
        }
        self.first = first
        self.count = count
        self.fixed = fixed
        weights = fixed.map { Float($0) / Float(1 << Self.precisionBits) }
        (pairWeights, pairs, maxPairs) = Self.split(fixed, count: count, taps: ksize)
        first32 = first.map { Int32($0) }
    }

    /// Pillow's weights (`taps` apart, `count` used per output) in pairs of 11-bit halves for pmaddwd.
    static func split(_ fixed: [Int32], count: [Int], taps: Int) -> (weights: [Int16], pairs: [Int32], maxPairs: Int) {
        let maxPairs = (taps + 1) / 2
        var out = [Int16](repeating: 0, count: count.count * maxPairs * 16)
        for j in 0..<count.count {
            for d in 0..<count[j] {
                let w = fixed[j * taps + d]
                let hi = Int16(w >> 11), lo = Int16(w & 2047)
                let base = (j * maxPairs + d / 2) * 16 + d % 2
                for lane in 0..<4 {
                    out[base + 2 * lane] = hi
                    out[base + 8 + 2 * lane] = lo
                }
            }
        }
        return (out, count.map { Int32(($0 + 1) / 2) }, maxPairs)
    }

    /// Keys' cubic convolution with a = −0.5 (Pillow's bicubic_filter).
    static func cubic(_ t: Double) -> Double {
        let a = -0.5
        let x = abs(t)
        if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
        if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
        return 0
    }

    /// Input pixels the kept outputs read: from the first one's first to the last one's end.
    var span: Range<Int> {
        guard let lo = first.first else { return 0..<0 }
        var hi = lo
        for j in 0..<first.count { hi = max(hi, first[j] + count[j]) }
        return lo..<hi
    }

    /// Pillow's exact 8-bit result for kept output `j` from the inputs `value(i)` (i = input pixel index).
    @inline(__always)
    func exact(_ j: Int, _ value: (Int) -> Int32) -> Float {
        var ss: Int64 = 1 << (Self.precisionBits - 1)
        let f = first[j]
        for d in 0..<count[j] { ss += Int64(value(f + d)) * Int64(fixed[j * taps + d]) }
        return Float(min(max(ss >> Int64(Self.precisionBits), 0), 255))
    }
}
