// The int8 product for AVX2 CPUs without VNNI (CKernels' ck_gemm_u8s8): its sums against exact integer dot
// products at the extremes of its 16-bit pair sums, its epilogue (scales, zero points, bias, every activation,
// residual) against the formula in Double, the per-row quantisation, and which layers run on it.
import CKernels
import Foundation
import Testing
@testable import Tensor

@Suite struct Int8MatmulTests {
    let avx2 = ck_has_avx2_fma() != 0

    /// c = a · wᵀ through the kernel with unit scales, no zero point, no bias.
    func product(_ a: [UInt8], _ w: [Int8], m: Int, n: Int, k: Int) -> [Float] {
        var packed = [Int8](repeating: 0, count: ck_pack_s8_bytes(n, k) + 64)
        var c = [Float](repeating: .nan, count: m * n)
        let ones = [Float](repeating: 1, count: max(m, n)), zeros = [Float](repeating: 0, count: max(m, n))
        packed.withUnsafeMutableBytes { raw in
            let base = raw.baseAddress!, aligned = base + (64 - Int(bitPattern: base) % 64) % 64
            let p = aligned.assumingMemoryBound(to: Int8.self)
            ck_pack_s8(w, n, k, p)
            ck_gemm_u8s8(a, m, p, n, k, ones, zeros, ones, zeros, nil, 0, 0, &c, n)
        }
        return c
    }

    func exact(_ a: [UInt8], _ w: [Int8], m: Int, n: Int, k: Int) -> [Float] {
        (0..<m * n).map { idx in
            let i = idx / n, j = idx % n
            return Float((0..<k).reduce(0) { $0 + Int(a[i * k + $1]) * Int(w[j * k + $1]) })
        }
    }

    @Test(arguments: [(1, 16, 8), (2, 32, 64), (7, 48, 264), (50, 16, 1024)])
    func sumsEqualTheIntegerDotProducts(m: Int, n: Int, k: Int) {
        guard avx2 else { return #expect(!Int8Matmul.preferred, "without AVX2 the kernel is never chosen") }
        var rng = SystemRandomNumberGenerator()
        let a = (0..<m * k).map { _ in UInt8.random(in: 0...127, using: &rng) }
        let w = (0..<n * k).map { _ in Int8.random(in: -63...63, using: &rng) }
        #expect(product(a, w, m: m, n: n, k: k) == exact(a, w, m: m, n: n, k: k))
    }

    @Test func extremeValuesDoNotSaturateThe16BitSums() {
        guard avx2 else { return #expect(!Int8Matmul.preferred, "without AVX2 the kernel is never chosen") }
        let m = 4, n = 16, k = 64
        let a = [UInt8](repeating: 127, count: m * k)
        for value in [Int8(63), -63] {
            let w = [Int8](repeating: value, count: n * k)
            #expect(product(a, w, m: m, n: n, k: k) == [Float](repeating: Float(127 * Int(value) * k), count: m * n))
        }
    }

    @Test(arguments: [Activation.identity, .relu, .quickGelu, .gelu, .geluTanh])
    func epilogueAppliesScalesZeroPointsBiasAndActivation(_ act: Activation) {
        guard avx2 else { return #expect(!Int8Matmul.preferred, "without AVX2 the kernel is never chosen") }
        let m = 5, n = 32, k = 40
        var rng = SystemRandomNumberGenerator()
        let a = (0..<m * k).map { _ in UInt8.random(in: 0...127, using: &rng) }
        let w = (0..<n * k).map { _ in Int8.random(in: -63...63, using: &rng) }
        let rs = (0..<m).map { _ in Float.random(in: 0.001...0.01, using: &rng) }, rz = (0..<m).map { Float($0 * 20) }
        let cs = (0..<n).map { _ in Float.random(in: 0.001...0.01, using: &rng) }, bias = (0..<n).map { _ in Float.random(in: -1...1, using: &rng) }
        let sums = (0..<n).map { j in Float((0..<k).reduce(0) { $0 + Int(w[j * k + $1]) }) }
        let dots = exact(a, w, m: m, n: n, k: k)
        var packed = [Int8](repeating: 0, count: n * k + 64)
        for accumulate in [false, true] {
            let before = (0..<m * n).map { Float($0 % 7) - 3 }
            var c = before
            packed.withUnsafeMutableBytes { raw in
                let base = raw.baseAddress!, p = (base + (64 - Int(bitPattern: base) % 64) % 64).assumingMemoryBound(to: Int8.self)
                ck_pack_s8(w, n, k, p)
                ck_gemm_u8s8(a, m, p, n, k, rs, rz, cs, sums, bias, Int8Matmul.code(act), accumulate ? 1 : 0, &c, n)
            }
            var worst: Double = 0
            for i in 0..<m { for j in 0..<n {
                let linear = Double(rs[i]) * Double(cs[j]) * (Double(dots[i * n + j]) - Double(rz[i]) * Double(sums[j])) + Double(bias[j])
                let y = Double(act.apply(Float(linear))) + (accumulate ? Double(before[i * n + j]) : 0)
                worst = max(worst, abs(Double(c[i * n + j]) - y) / max(1, abs(y)))
            } }
            #expect(worst < 2e-5, "\(act), accumulate \(accumulate): off by \(worst)")
        }
    }

    @Test func rowsQuantiseToSevenBitsOverTheirOwnRange() {
        guard avx2 else { return #expect(!Int8Matmul.preferred, "without AVX2 the kernel is never chosen") }
        let rows = 6, cols = 77, ld = 80
        var x = randomTensor([rows * ld], seed: 5).data
        for j in 0..<cols { x[2 * ld + j] = abs(x[2 * ld + j]) * 10 }   // a row of positives: its range starts at 0
        for j in 0..<cols { x[4 * ld + j] = 0 }                           // a row of zeros
        var q = [UInt8](repeating: 255, count: rows * cols), scale = [Float](repeating: 0, count: rows), zero = scale
        ck_quantize_rows_u7(x, rows, cols, ld, &q, &scale, &zero)
        #expect(q.allSatisfy { $0 <= 127 })
        #expect(zero[2] == 0 && zero[4] == 0 && q[(4 * cols)..<(5 * cols)].allSatisfy { $0 == 0 })
        for i in 0..<rows {
            let row = x[(i * ld)..<(i * ld + cols)]
            let width = max(row.max()!, 0) - min(row.min()!, 0)
            #expect(i == 4 || abs(scale[i] - width / 127) < 1e-6 * max(1, width))
            for j in 0..<cols {
                let back = scale[i] * (Float(q[i * cols + j]) - zero[i])
                #expect(abs(back - x[i * ld + j]) <= scale[i] * 0.5001 + 1e-6, "row \(i) column \(j)")
            }
        }
    }

    @Test func int8LayersRunOnTheKernelWhereThisCPUPrefersIt() throws {
        let mode = try ComputeMode.forced(.int8)
        let fits = try PackedWeight(randomTensor([48, 64], seed: 3), mode: mode)
        let odd = try PackedWeight(randomTensor([20, 64], seed: 4), mode: mode)
        #expect((fits.int8 != nil) == Int8Matmul.preferred)
        #expect(odd.int8 == nil && odd.onednn != nil, "a width that is not a multiple of 16 runs on oneDNN")
        #expect(mode.description.contains("AVX2 kernel") == Int8Matmul.preferred)
        #expect(Int8Matmul.preferred == (avx2 && OneDNN.isa == "avx2") || ProcessInfo.processInfo.environment["MERCLIP_INT8_KERNEL"] != nil)
    }
}
