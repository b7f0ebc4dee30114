// CKernels' int8 products (ck_gemm_u8s8 for AVX2, ck_gemm_u8s8_vnni for AVX-512 VNNI), each one this CPU runs: sums
// against exact integer dot products at the extremes of their value ranges, the epilogue (scales, zero points,
// bias, every activation, residual) against the formula in Double, the per-row quantisation, and which layers
// run on them.
import CKernels
import Foundation
import Testing
@testable import Tensor

/// The kernels this CPU runs.
let runnableKernels: [Int8Matmul.Kernel] = (ck_has_avx2_fma() != 0 ? [.avx2] : []) + (VectorISA.avx512VNNI ? [.avx512VNNI] : [])

@Suite struct Int8MatmulTests {
    let avx2 = ck_has_avx2_fma() != 0

    /// Packs `w` for `kernel` and runs its product with the given epilogue inputs into `c`.
    func run(_ kernel: Int8Matmul.Kernel, a: [UInt8], w: [Int8], m: Int, n: Int, k: Int, rowScale: [Float], rowZero: [Float],
             colScale: [Float], colSum: [Float], bias: [Float]?, activation: Int32, accumulate: Bool, c: inout [Float]) {
        var packed = [Int8](repeating: 0, count: kernel.packedBytes(n: n, k: k) + 64)
        packed.withUnsafeMutableBytes { raw in
            let base = raw.baseAddress!, p = (base + (64 - Int(bitPattern: base) % 64) % 64).assumingMemoryBound(to: Int8.self)
            kernel.pack(w, n: n, k: k, into: p)
            kernel.product(a, rows: m, packed: p, n: n, k: k, rowScale: rowScale, rowZero: rowZero, colScale: colScale,
                           colSum: colSum, bias: bias, activation: activation, accumulate: accumulate, into: &c, ldc: n)
        }
    }

    /// c = a · wᵀ through the kernel with unit scales, no zero point, no bias.
    func product(_ a: [UInt8], _ w: [Int8], m: Int, n: Int, k: Int, kernel: Int8Matmul.Kernel = .avx2) -> [Float] {
        var c = [Float](repeating: .nan, count: m * n)
        let ones = [Float](repeating: 1, count: max(m, n)), zeros = [Float](repeating: 0, count: max(m, n))
        run(kernel, a: a, w: w, m: m, n: n, k: k, rowScale: ones, rowZero: zeros, colScale: ones, colSum: zeros, bias: nil,
            activation: 0, accumulate: false, c: &c)
        return c
    }

    /// The largest activation code of `kernel` (its weights go to ± kernel.weightLevels).
    func topCode(_ kernel: Int8Matmul.Kernel) -> UInt8 { kernel == .avx2 ? 127 : 255 }

    func exact(_ a: [UInt8], _ w: [Int8], m: Int, n: Int, k: Int) -> [Float] {
        (0..<m * n).map { idx in
            let i = idx / n, j = idx % n
            return Float((0..<k).reduce(0) { $0 + Int(a[i * k + $1]) * Int(w[j * k + $1]) })
        }
    }

    @Test(arguments: [(1, 32, 8), (2, 32, 64), (7, 64, 264), (13, 32, 40), (29, 96, 12), (50, 32, 1024)])
    func sumsEqualTheIntegerDotProducts(m: Int, n: Int, k: Int) {
        guard !runnableKernels.isEmpty else { return #expect(!Int8Matmul.preferred, "without AVX2 no kernel is chosen") }
        var rng = SystemRandomNumberGenerator()
        for kernel in runnableKernels where Int8Matmul.fits(n: n, k: k, kernel: kernel) {
            let levels = Int8(kernel.weightLevels)
            let a = (0..<m * k).map { _ in UInt8.random(in: 0...topCode(kernel), using: &rng) }
            let w = (0..<n * k).map { _ in Int8.random(in: -levels...levels, using: &rng) }
            #expect(product(a, w, m: m, n: n, k: k, kernel: kernel) == exact(a, w, m: m, n: n, k: k), "\(kernel)")
        }
    }

    @Test func extremeValuesDoNotSaturateTheSums() {
        guard !runnableKernels.isEmpty else { return #expect(!Int8Matmul.preferred, "without AVX2 no kernel is chosen") }
        let m = 4, n = 32, k = 64
        for kernel in runnableKernels {
            let top = topCode(kernel), levels = Int8(kernel.weightLevels)
            let a = [UInt8](repeating: top, count: m * k)
            for value in [levels, -levels] {
                let w = [Int8](repeating: value, count: n * k)
                #expect(product(a, w, m: m, n: n, k: k, kernel: kernel)
                    == [Float](repeating: Float(Int(top) * Int(value) * k), count: m * n), "\(kernel)")
            }
        }
    }

    @Test(arguments: [Activation.identity, .relu, .quickGelu, .gelu, .geluTanh])
    func epilogueAppliesScalesZeroPointsBiasAndActivation(_ act: Activation) {
        guard !runnableKernels.isEmpty else { return #expect(!Int8Matmul.preferred, "without AVX2 no kernel is chosen") }
        let m = 5, n = 32, k = 40
        var rng = SystemRandomNumberGenerator()
        for kernel in runnableKernels {
            let levels = Int8(kernel.weightLevels)
            let a = (0..<m * k).map { _ in UInt8.random(in: 0...topCode(kernel), using: &rng) }
            let w = (0..<n * k).map { _ in Int8.random(in: -levels...levels, using: &rng) }
            let rs = (0..<m).map { _ in Float.random(in: 0.001...0.01, using: &rng) }, rz = (0..<m).map { Float($0 * 20) }
            let cs = (0..<n).map { _ in Float.random(in: 0.001...0.01, using: &rng) }
            // One column far negative and one far positive: the activations' exponentials at their caps.
            let bias = (0..<n).map { j in j == 0 ? -200 : j == 1 ? 200 : Float.random(in: -1...1, using: &rng) }
            let sums = (0..<n).map { j in Float((0..<k).reduce(0) { $0 + Int(w[j * k + $1]) }) }
            let dots = exact(a, w, m: m, n: n, k: k)
            for accumulate in [false, true] {
                let before = (0..<m * n).map { Float($0 % 7) - 3 }
                var c = before
                run(kernel, a: a, w: w, m: m, n: n, k: k, rowScale: rs, rowZero: rz, colScale: cs, colSum: sums, bias: bias,
                    activation: Int8Matmul.code(act), accumulate: accumulate, c: &c)
                var worst: Double = 0
                for i in 0..<m { for j in 0..<n {
                    let linear = Double(rs[i]) * Double(cs[j]) * (Double(dots[i * n + j]) - Double(rz[i]) * Double(sums[j])) + Double(bias[j])
                    let y = Double(act.apply(Float(linear))) + (accumulate ? Double(before[i * n + j]) : 0)
                    worst = max(worst, abs(Double(c[i * n + j]) - y) / max(1, abs(y)))
                } }
                #expect(worst < 2e-5, "\(kernel), \(act), accumulate \(accumulate): off by \(worst)")
            }
        }
    }

    @Test(arguments: [127, 255])
    func rowsQuantiseOverTheirOwnRange(steps: Int) {
        guard avx2 else { return #expect(!Int8Matmul.preferred, "without AVX2 no kernel is chosen") }
        let rows = 6, cols = 77, ld = 80
        var x = randomTensor([rows * ld], seed: 5).data
        for j in 0..<cols { x[2 * ld + j] = abs(x[2 * ld + j]) * 10 }   // a row of positives: its range starts at 0
        for j in 0..<cols { x[4 * ld + j] = 0 }                           // a row of zeros
        var q = [UInt8](repeating: 255, count: rows * cols), scale = [Float](repeating: 0, count: rows), zero = scale
        if steps == 127 { ck_quantize_rows_u7(x, rows, cols, ld, &q, &scale, &zero) } else { ck_quantize_rows_u8(x, rows, cols, ld, &q, &scale, &zero) }
        #expect(q.allSatisfy { Int($0) <= steps })
        #expect(q.contains { Int($0) == steps }, "every row with a positive value reaches the top code")
        #expect(zero[2] == 0 && zero[4] == 0 && q[(4 * cols)..<(5 * cols)].allSatisfy { $0 == 0 })
        for i in 0..<rows {
            let row = x[(i * ld)..<(i * ld + cols)]
            let width = max(row.max()!, 0) - min(row.min()!, 0)
            #expect(i == 4 || abs(scale[i] - width / Float(steps)) < 1e-6 * max(1, width))
            for j in 0..<cols {
                let back = scale[i] * (Float(q[i * cols + j]) - zero[i])
                #expect(abs(back - x[i * ld + j]) <= scale[i] * 0.5001 + 1e-6, "row \(i) column \(j)")
            }
        }
    }

    @Test func int8LayersRunOnTheKernelWhereThisCPUPrefersIt() throws {
        let mode = try ComputeMode.forced(.int8)
        let fits = try PackedWeight(randomTensor([64, 64], seed: 3), mode: mode)
        let odd = try PackedWeight(randomTensor([20, 64], seed: 4), mode: mode)
        #expect((fits.int8 != nil) == Int8Matmul.preferred)
        #expect(fits.int8?.kernel == Int8Matmul.chosen)
        #expect(odd.int8 == nil && odd.onednn != nil, "a width that is not a multiple of 16 runs on oneDNN")
        #expect(mode.description.contains("kernel;") == Int8Matmul.preferred)
        if let kernel = Int8Matmul.chosen { #expect(mode.description.contains(kernel.rawValue)) }
        guard ProcessInfo.processInfo.environment["MERCLIP_INT8_KERNEL"] == nil else { return }
        let expected: Int8Matmul.Kernel? = VectorISA.avx512VNNI && !OneDNN.isa.contains("amx") ? .avx512VNNI
            : avx2 && OneDNN.isa == "avx2" ? .avx2 : nil
        #expect(Int8Matmul.chosen == expected)
    }

    @Test func bothKernelsAgreeWithTheFP32ProductWithinTheQuantisationError() throws {
        // Layers built for each runnable kernel directly, against the fp32 product of the same weights.
        let n = 64, k = 96, rows = 30
        let w = randomTensor([n, k], seed: 11), x = randomTensor([rows, k], seed: 12), bias = randomTensor([n], seed: 13)
        var reference = [Float](repeating: 0, count: rows * n)
        for i in 0..<rows { for j in 0..<n {
            var s = bias.data[j]
            for t in 0..<k { s += x.data[i * k + t] * w.data[j * k + t] }
            reference[i * n + j] = s
        } }
        let scale = reference.map { abs($0) }.max()!
        for kernel in runnableKernels {
            let layer = w.data.withUnsafeBufferPointer { Int8Matmul($0.baseAddress!, n: n, k: k, kernel: kernel) }
            var y = [Float](repeating: .nan, count: rows * n)
            layer.run(x.data, rows: rows, lda: k, bias: bias.data, out: &y, ldc: n, accumulate: false, activation: .identity)
            let worst = zip(y, reference).map { abs($0 - $1) }.max()!
            // 63 weight levels and 127 activation codes on AVX2, 127 and 255 on VNNI: about 1% and 0.5% of the range.
            #expect(worst < scale * (kernel == .avx2 ? 0.03 : 0.015), "\(kernel): off by \(worst) of \(scale)")
        }
    }
}
