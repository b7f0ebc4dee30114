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

        /// Bytes of a [n, k] weight packed for this kernel.
        func packedBytes(n: Int, k: Int) -> Int { self == .avx512VNNI ? ck_pack_s8_vnni_bytes(n, k) : ck_pack_s8_bytes(n, k) }

        /// Packs s8 weights [n, k] (|w| ≤ weightLevels) into `out` (64-byte aligned, packedBytes long).
        func pack(_ w: UnsafePointer<Int8>, n: Int, k: Int, into out: UnsafeMutablePointer<Int8>) {
            switch self {
            case .avx512VNNI: ck_pack_s8_vnni(w, n, k, out)
            case .avx2: ck_pack_s8(w, n, k, out)
            }
        }

        /// Quantises each row of x [rows, k] (leading dimension ld) over its own range to the kernel's codes.
        func quantizeRows(_ x: UnsafePointer<Float>, rows: Int, k: Int, ld: Int, into out: UnsafeMutablePointer<UInt8>,
                          scale: UnsafeMutablePointer<Float>, zero: UnsafeMutablePointer<Float>) {
            switch self {
            case .avx512VNNI: ck_quantize_rows_u8(x, rows, k, ld, out, scale, zero)
            case .avx2: ck_quantize_rows_u7(x, rows, k, ld, out, scale, zero)
            }
        }

        /// c = act(rowScale · colScale · (a · wᵀ − rowZero · colSum) + bias), added to c when `accumulate`
        /// (CKernels' ck_gemm_u8s8 / ck_gemm_u8s8_vnni) for weights packed by `pack`.
        func product(_ a: UnsafePointer<UInt8>, rows m: Int, packed: UnsafePointer<Int8>, n: Int, k: Int,
                     rowScale: UnsafePointer<Float>, rowZero: UnsafePointer<Float>, colScale: UnsafePointer<Float>,
                     colSum: UnsafePointer<Float>, bias: UnsafePointer<Float>?, activation: Int32, accumulate: Bool,
                     into c: UnsafeMutablePointer<Float>, ldc: Int) {
            switch self {
            case .avx512VNNI:
                ck_gemm_u8s8_vnni(a, m, packed, n, k, rowScale, rowZero, colScale, colSum, bias, activation, accumulate ? 1 : 0, c, ldc)
            case .avx2:
                ck_gemm_u8s8(a, m, packed, n, k, rowScale, rowZero, colScale, colSum, bias, activation, accumulate ? 1 : 0, c, ldc)
            }
        }
    }

    let n: Int, k: Int
    let kernel: Kernel
    private let packed: UnsafeMutableRawPointer
    /// Per output channel: w ≈ scale[n] · q[n, k], and Σ_k q[n, k] (the zero-point correction).
    private let weightScale: [Float], columnSum: [Float]
    private static let inputs = BufferPool()

    /// The kernel int8 layers run on here, nil for oneDNN's. By default: AVX-512 VNNI where the CPU has it and oneDNN
    /// finds no AMX; AVX2 where oneDNN finds nothing newer than AVX2 (no VNNI). `MERCLIP_INT8_KERNEL` = `onednn`,
    /// `avx2` or `avx512-vnni` chooses (a kernel this CPU cannot run is logged and left out).
    static let chosen: Kernel? = {
        let env = ProcessInfo.processInfo.environment["MERCLIP_INT8_KERNEL"]?.lowercased()
        switch env {
        case "onednn": return nil
        case "avx2" where VectorISA.avx2FMA: return .avx2
        case "avx512-vnni" where VectorISA.avx512VNNI: return .avx512VNNI
        case nil: break
        default:
            EngineLog.once("MERCLIP_INT8_KERNEL=\(env!) is not onednn, avx2 or avx512-vnni, or this CPU cannot run it: int8 uses this CPU's default",
                           level: .warning)
        }
        if VectorISA.avx512VNNI && !OneDNN.isa.contains("amx") { return .avx512VNNI }
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
        packed = .allocate(byteCount: kernel.packedBytes(n: n, k: k), alignment: 64)
        q.values.withUnsafeBufferPointer { kernel.pack($0.baseAddress!, n: n, k: k, into: packed.assumingMemoryBound(to: Int8.self)) }
    }

    deinit { packed.deallocate() }

    /// Bytes of the packed weights.
    var bytes: Int { kernel.packedBytes(n: n, k: k) }

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
                    kernel.quantizeRows(x + i * lda, rows: r.count, k: k, ld: lda, into: a + i * k, scale: scales + i, zero: zeros + i)
                    kernel.product(a + i * k, rows: r.count, packed: packed.assumingMemoryBound(to: Int8.self), n: n, k: k,
                                   rowScale: scales + i, rowZero: zeros + i, colScale: ws.baseAddress!, colSum: cs.baseAddress!,
                                   bias: bias, activation: code, accumulate: accumulate, into: y + i * ldc, ldc: ldc)
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
