// CKernels' own int8 products: weights quantised per output channel and packed once, each call's activations
// quantised per row, then bias, activation and the residual sum in the kernel's epilogue. Two kernels:
// - AVX-512 VNNI (ck_gemm_u8s8_vnni): u8 activations in 0...255 times weights in -127...127, on CPUs with VNNI and
//   no AMX (where oneDNN's AMX tiles are faster). Its quick_gelu epilogue costs less than oneDNN 2.6's swish post-op.
// - AVX2 without VNNI (ck_gemm_u8s8): activations in 0...127 times weights in -63...63, so the kernel sums pairs of
//   products in 16 bits and needs a quarter fewer multiplies than oneDNN's sequence for such CPUs.
import CKernels
import Foundation

final class Int8Matmul: @unchecked Sendable {
    enum Kernel: String, Sendable {
        case avx512VNNI = "AVX-512 VNNI kernel"
        case avx2 = "AVX2 kernel"

        /// Largest weight magnitude and largest activation code.
        var weightLevels: Int { self == .avx512VNNI ? 127 : 63 }
        /// Output and input multiples the kernel takes.
        var columnBlock: Int { self == .avx512VNNI ? 32 : 16 }
        var depthBlock: Int { self == .avx512VNNI ? 4 : 8 }
    }

    let n: Int, k: Int
    let kernel: Kernel
    private let packed: UnsafeMutableRawPointer
    /// Per output channel: w ≈ scale[n] · q[n, k], and Σ_k q[n, k] (the zero-point correction).
    private let weightScale: [Float], columnSum: [Float]
    private static let inputs = BufferPool()

    static let hasVNNI512 = ck_has_avx512_vnni() != 0

    /// The kernel int8 layers run on here, nil for oneDNN's. By default: AVX-512 VNNI where the CPU has it and oneDNN
    /// finds no AMX; AVX2 where oneDNN finds nothing newer than AVX2 (no VNNI). `MERCLIP_INT8_KERNEL` = `onednn`,
    /// `avx2` or `avx512-vnni` chooses (a kernel this CPU cannot run is logged and left out).
    static let chosen: Kernel? = {
        let env = ProcessInfo.processInfo.environment["MERCLIP_INT8_KERNEL"]?.lowercased()
        switch env {
        case "onednn": return nil
        case "avx2" where VectorISA.avx2FMA: return .avx2
        case "avx512-vnni" where hasVNNI512: return .avx512VNNI
        case nil: break
        default:
            EngineLog.once("MERCLIP_INT8_KERNEL=\(env!) is not onednn, avx2 or avx512-vnni, or this CPU cannot run it: int8 uses this CPU's default",
                           level: .warning)
        }
        if hasVNNI512 && !OneDNN.isa.contains("amx") { return .avx512VNNI }
        return VectorISA.avx2FMA && OneDNN.isa == "avx2" ? .avx2 : nil
    }()

    /// Whether int8 layers run on one of these kernels.
    static var preferred: Bool { chosen != nil }

    /// Shapes `kernel` takes.
    static func fits(n: Int, k: Int, kernel: Kernel? = chosen) -> Bool {
        guard let kernel else { return false }
        return n > 0 && k > 0 && n % kernel.columnBlock == 0 && k % kernel.depthBlock == 0
    }

    /// `w` is [n, k] row-major (PyTorch's [out, in]); it is read, not kept.
    init(_ w: UnsafePointer<Float>, n: Int, k: Int, kernel: Kernel) {
        precondition(Self.fits(n: n, k: k, kernel: kernel), "Int8Matmul: \(n)×\(k) does not fit the \(kernel.rawValue)")
        self.n = n; self.k = k; self.kernel = kernel
        let q = Quantize.weightsS8(w, n: n, k: k, levels: kernel.weightLevels)
        weightScale = q.scale; columnSum = q.columnSum
        packed = .allocate(byteCount: n * k, alignment: 64)
        let out = packed.assumingMemoryBound(to: Int8.self)
        q.values.withUnsafeBufferPointer {
            switch kernel {
            case .avx512VNNI: ck_pack_s8_vnni($0.baseAddress!, n, k, out)
            case .avx2: ck_pack_s8($0.baseAddress!, n, k, out)
            }
        }
    }

    deinit { packed.deallocate() }

    /// Bytes of the packed weights.
    var bytes: Int { n * k }

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
                    let w = packed.assumingMemoryBound(to: Int8.self)
                    switch kernel {
                    case .avx512VNNI:
                        ck_quantize_rows_u8(x + i * lda, r.count, k, lda, a + i * k, scales + i, zeros + i)
                        ck_gemm_u8s8_vnni(a + i * k, r.count, w, n, k, scales + i, zeros + i, ws.baseAddress!, cs.baseAddress!,
                                          bias, code, accumulate ? 1 : 0, y + i * ldc, ldc)
                    case .avx2:
                        ck_quantize_rows_u7(x + i * lda, r.count, k, lda, a + i * k, scales + i, zeros + i)
                        ck_gemm_u8s8(a + i * k, r.count, w, n, k, scales + i, zeros + i, ws.baseAddress!, cs.baseAddress!,
                                     bias, code, accumulate ? 1 : 0, y + i * ldc, ldc)
                    }
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
