// Unit tests of the BLAS-backed ops against naive loops.
import Foundation
import Testing
@testable import Tensor

/// Deterministic pseudo-random values in [-1, 1).
func randomTensor(_ shape: [Int], seed: UInt64) -> Tensor {
    var s = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    let n = shape.reduce(1, *)
    var d = [Float](repeating: 0, count: n)
    for i in 0..<n {
        s ^= s << 13; s ^= s >> 7; s ^= s << 17
        d[i] = Float(s >> 40) / Float(1 << 23) - 1
    }
    return Tensor(shape: shape, data: d)
}

func maxDiff(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

@Suite struct OpsTests {
    @Test func linearMatchesNaive() {
        let x = randomTensor([37, 19], seed: 1), w = randomTensor([23, 19], seed: 2), b = randomTensor([23], seed: 3)
        for act in [Activation.identity, .quickGelu, .gelu] {
            let y = Kernels.linear(x, weight: w, bias: b, activation: act)
            var ref = [Float](repeating: 0, count: 37 * 23)
            for i in 0..<37 { for o in 0..<23 {
                var s = b.data[o]
                for k in 0..<19 { s += x.data[i * 19 + k] * w.data[o * 19 + k] }
                ref[i * 23 + o] = act.apply(s)
            } }
            #expect(y.shape == [37, 23])
            #expect(maxDiff(y.data, ref) < 1e-5, "activation \(act)")
        }
    }

    @Test func linearAccumulatesIntoResidual() {
        let x = randomTensor([5, 8], seed: 4), w = randomTensor([6, 8], seed: 5), b = randomTensor([6], seed: 6)
        var y = randomTensor([5, 6], seed: 7)
        let before = y
        let plain = Kernels.linear(x, weight: w, bias: b)
        x.data.withUnsafeBufferPointer { xp in w.data.withUnsafeBufferPointer { wp in b.data.withUnsafeBufferPointer { bp in
            y.data.withUnsafeMutableBufferPointer { yp in
                Kernels.linear(xp.baseAddress!, rows: 5, inFeatures: 8, weight: wp.baseAddress!, outFeatures: 6,
                           bias: bp.baseAddress!, out: yp.baseAddress!, accumulate: true)
            }
        } } }
        #expect(maxDiff(y.data, zip(before.data, plain.data).map { $0 + $1 }) < 1e-5)
    }

    @Test func activationsKnownValues() throws {
        #expect(abs(Activation.gelu.apply(1) - 0.8413447) < 1e-6)
        #expect(abs(Activation.gelu.apply(-2) - -0.0455003) < 1e-6)
        #expect(abs(Activation.quickGelu.apply(1) - 1 / (1 + exp(-1.702))) < 1e-6)
        #expect(throws: TensorError.self) { try Activation(name: "swish") }
        #expect(try Activation(name: "quick_gelu") == .quickGelu)
    }

    @Test func softmaxMasksAndNormalises() {
        let x = Tensor(shape: [3, 4], data: [1, 2, 3, 4, 0, 0, 100, 0, 5, 5, 5, 5])
        let mask: [Bool] = [true, true, false, false, true, true, false, true, false, false, false, false]
        let y = Kernels.softmax(x, mask: mask)
        let e = exp(Float(1))
        #expect(abs(y.data[0] - 1 / (1 + e)) < 1e-6)
        #expect(abs(y.data[1] - e / (1 + e)) < 1e-6)
        #expect(y.data[2] == 0 && y.data[3] == 0)
        #expect(y.data[6] == 0, "masked 100 must not take part")
        #expect(abs(y.data[4] - 1.0 / 3) < 1e-6)
        #expect(y.data[8..<12].allSatisfy { $0 == 0 }, "a fully masked row is all zeros, not NaN")
        let plain = Kernels.softmax(x)
        #expect(abs(plain.data[0..<4].reduce(0, +) - 1) < 1e-6)
    }

    @Test func layerNormMatchesNaive() {
        let x = randomTensor([9, 33], seed: 8), g = randomTensor([33], seed: 9), b = randomTensor([33], seed: 10)
        let y = Kernels.layerNorm(x, gamma: g, beta: b, eps: 1e-5)
        var ref = [Float](repeating: 0, count: x.count)
        for i in 0..<9 {
            let row = x.data[(i * 33)..<((i + 1) * 33)].map(Double.init)
            let mean = row.reduce(0, +) / 33
            let v = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 33
            for j in 0..<33 { ref[i * 33 + j] = Float((row[j] - mean) / (v + 1e-5).squareRoot()) * g.data[j] + b.data[j] }
        }
        #expect(maxDiff(y.data, ref) < 1e-5)
    }

    /// Naive attention for one sequence/head block.
    func naiveAttention(q: [Float], k: [Float], v: [Float], qLen: Int, kLen: Int, d: Int, scale: Float,
                        causal: Bool, valid: Int) -> [Float] {
        var out = [Float](repeating: 0, count: qLen * d)
        for i in 0..<qLen {
            let n = causal ? min(i + 1, valid) : valid
            var s = (0..<n).map { j in (0..<d).reduce(Float(0)) { $0 + q[i * d + $1] * k[j * d + $1] } * scale }
            let m = s.max() ?? 0
            s = s.map { exp($0 - m) }
            let z = s.reduce(0, +)
            for j in 0..<n { for c in 0..<d { out[i * d + c] += s[j] / z * v[j * d + c] } }
        }
        return out
    }

    @Test(arguments: [(false, 7), (true, 7), (false, 4), (true, 5)])
    func attentionMatchesNaive(causal: Bool, valid: Int) {
        let batch = 3, heads = 2, d = 4, L = 7, width = heads * d
        let qkv = randomTensor([batch * L, 3 * width], seed: 11)
        var out = [Float](repeating: -1, count: batch * L * width)
        let lengths = [L, valid, valid]
        qkv.data.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { o in
                let base = p.baseAddress!
                Kernels.attention(q: base, ldq: 3 * width, k: base + width, ldk: 3 * width, v: base + 2 * width, ldv: 3 * width,
                              out: o.baseAddress!, ldo: width, batch: batch, qLen: L, kvLen: L, heads: heads, headDim: d,
                              scale: 0.5, causal: causal, keyLengths: lengths)
            }
        }
        for b in 0..<batch { for h in 0..<heads {
            func slice(_ off: Int) -> [Float] {
                (0..<L).flatMap { i in (0..<d).map { qkv.data[(b * L + i) * 3 * width + off + h * d + $0] } }
            }
            let ref = naiveAttention(q: slice(0), k: slice(width), v: slice(2 * width), qLen: L, kLen: L, d: d,
                                     scale: 0.5, causal: causal, valid: lengths[b])
            let got = (0..<L).flatMap { i in (0..<d).map { out[(b * L + i) * width + h * d + $0] } }
            #expect(maxDiff(got, ref) < 1e-5, "batch \(b) head \(h)")
        } }
    }

    @Test(arguments: ComputeMode.Backend.allCases)
    func patchEmbeddingMatchesConvolution(backend: ComputeMode.Backend) throws {
        let n = 2, c = 3, size = 8, p = 4, hidden = 5
        let img = randomTensor([n, c, size, size], seed: 12), w = randomTensor([hidden, c, p, p], seed: 13)
        let packed = try PackedWeight(w.reshaped([hidden, c * p * p]), mode: ComputeMode(.fp32, backend))
        let g = size / p
        var cols = [Float](repeating: 0, count: n * g * g * c * p * p)
        var out = [Float](repeating: 0, count: n * g * g * hidden)
        img.data.withUnsafeBufferPointer { ip in
            cols.withUnsafeMutableBufferPointer { cp in out.withUnsafeMutableBufferPointer { op in
                Kernels.patchEmbed(ip.baseAddress!, count: n, channels: c, size: size, patch: p, weight: packed,
                               cols: cp.baseAddress!, out: op.baseAddress!)
            } }
        }
        var ref = [Float](repeating: 0, count: out.count)
        for i in 0..<n { for py in 0..<g { for px in 0..<g { for o in 0..<hidden {
            var s: Float = 0
            for ch in 0..<c { for ky in 0..<p { for kx in 0..<p {
                s += img.data[((i * c + ch) * size + py * p + ky) * size + px * p + kx] * w.data[((o * c + ch) * p + ky) * p + kx]
            } } }
            ref[((i * g + py) * g + px) * hidden + o] = s
        } } } }
        #expect(maxDiff(out, ref) < 1e-5)
    }

    @Test func vectorExpMatchesExpf() {
        var worst: Float = 0
        var x: Float = -87
        while x < 88 {
            let v = Kernels.vexp(SIMD8<Float>(repeating: x) + SIMD8<Float>(0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07))
            for k in 0..<8 {
                let ref = expf(x + Float(k) * 0.01)
                worst = max(worst, abs(v[k] - ref) / ref)
            }
            x += 0.173
        }
        #expect(worst < 5e-7, "relative error \(worst)")
        // quick_gelu over a row with a tail (not a multiple of 8) equals the scalar formula
        let t = randomTensor([3, 21], seed: 30)
        let y = Kernels.activate(Tensor(shape: t.shape, data: t.data.map { $0 * 12 }), .quickGelu)
        let ref = t.data.map { Activation.quickGelu.apply($0 * 12) }
        #expect(maxDiff(y.data, ref) < 1e-5)
    }
}
