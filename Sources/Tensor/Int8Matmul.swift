// The int8 product of AVX2 CPUs without VNNI (CKernels' ck_gemm_u8s8): weights in -63...63 per output channel
// packed once, each call's activations quantised per row to 0...127, so the kernel sums pairs of products in
// 16 bits and needs a quarter fewer multiplies than oneDNN's sequence for such CPUs. Bias, activation and the
// residual sum happen in its epilogue.
import CKernels
import Foundation

final class Int8Matmul: @unchecked Sendable {
    let n: Int, k: Int
    private let packed: UnsafeMutableRawPointer
    /// Per output channel: w ≈ scale[n] · q[n, k], and Σ_k q[n, k] (the zero-point correction).
    private let weightScale: [Float], columnSum: [Float]
    private static let inputs = BufferPool()

    /// On this CPU int8 runs here instead of oneDNN: AVX2 and FMA, and oneDNN finds nothing newer (with VNNI its
    /// vpdpbusd does a 4-product dot in one instruction; AVX-512 doubles its width), unless
    /// `MERCLIP_INT8_KERNEL=onednn` asks for oneDNN.
    static let preferred: Bool = {
        let env = ProcessInfo.processInfo.environment["MERCLIP_INT8_KERNEL"]?.lowercased()
        if let env, env != "onednn" && env != "avx2" {
            EngineLog.once("MERCLIP_INT8_KERNEL=\(env) is neither avx2 nor onednn: int8 uses this CPU's default", level: .warning)
        }
        if env == "onednn" { return false }
        return VectorISA.avx2FMA && OneDNN.isa == "avx2"
    }()

    /// Shapes the kernel takes: out a multiple of 16, in a multiple of 8.
    static func fits(n: Int, k: Int) -> Bool { n > 0 && k > 0 && n % 16 == 0 && k % 8 == 0 }

    /// `w` is [n, k] row-major (PyTorch's [out, in]); it is read, not kept.
    init(_ w: UnsafePointer<Float>, n: Int, k: Int) {
        precondition(Self.fits(n: n, k: k), "Int8Matmul: \(n)×\(k) is not a multiple of 16×8")
        self.n = n; self.k = k
        let q = Quantize.weightsS8(w, n: n, k: k, levels: 63)
        weightScale = q.scale; columnSum = q.columnSum
        packed = .allocate(byteCount: ck_pack_s8_bytes(n, k), alignment: 64)
        q.values.withUnsafeBufferPointer { ck_pack_s8($0.baseAddress!, n, k, packed.assumingMemoryBound(to: Int8.self)) }
    }

    deinit { packed.deallocate() }

    /// Bytes of the packed weights.
    var bytes: Int { ck_pack_s8_bytes(n, k) }

    /// y[rows, n] (leading dimension ldc) = act(x · Wᵀ + bias), or y += x · Wᵀ + bias when accumulating; rows
    /// split over the calling thread's share of the cores.
    func run(_ x: UnsafePointer<Float>, rows: Int, lda: Int, bias: UnsafePointer<Float>?, out y: UnsafeMutablePointer<Float>,
             ldc: Int, accumulate: Bool, activation: Activation) {
        let input = Self.inputs.take(rows * (k + 8))
        defer { Self.inputs.give(input) }
        let a = input.pointer.assumingMemoryBound(to: UInt8.self)
        let scales = (input.pointer + rows * k).assumingMemoryBound(to: Float.self), zeros = scales + rows
        let code = Self.code(activation)
        weightScale.withUnsafeBufferPointer { ws in
            columnSum.withUnsafeBufferPointer { cs in
                Parallel.forRanges(rows, cost: n * k) { r in
                    let i = r.lowerBound
                    ck_quantize_rows_u7(x + i * lda, r.count, k, lda, a + i * k, scales + i, zeros + i)
                    ck_gemm_u8s8(a + i * k, r.count, packed.assumingMemoryBound(to: Int8.self), n, k, scales + i, zeros + i,
                                 ws.baseAddress!, cs.baseAddress!, bias, code, accumulate ? 1 : 0, y + i * ldc, ldc)
                }
            }
        }
    }

    /// ck_gemm_u8s8's activation code.
    static func code(_ a: Activation) -> Int32 {
        switch a {
        case .identity: 0
        case .relu: 1
        case .quickGelu: 2
        case .gelu: 3
        case .geluTanh: 4
        }
    }
}
