// A linear layer's weight [out, in] prepared once at load by the GEMM backend of a ComputeMode: kept as fp32
// for OpenBLAS, reordered (and converted to bf16 or int8) for oneDNN, which then holds the only copy; int8 on
// CPUs with AVX-512 VNNI and no AMX, or AVX2 and no VNNI, is packed for CKernels' int8 products instead.
public final class PackedWeight: @unchecked Sendable {
    public let outFeatures: Int
    public let inFeatures: Int
    public let mode: ComputeMode
    /// OpenBLAS: the fp32 weights, row-major [out, in].
    let fp32: UnsafeMutablePointer<Float>?
    let onednn: OneDNNMatmul?
    let int8: Int8Matmul?

    private init(out: Int, in k: Int, mode: ComputeMode, packed: Packed) {
        outFeatures = out; inFeatures = k; self.mode = mode
        (fp32, onednn, int8) = packed
    }

    private typealias Packed = (UnsafeMutablePointer<Float>?, OneDNNMatmul?, Int8Matmul?)

    /// Packs `w` [out, in] (read, not kept).
    public convenience init(_ w: UnsafePointer<Float>, out: Int, in k: Int, mode: ComputeMode) throws {
        self.init(out: out, in: k, mode: mode, packed: try Self.pack(w, out: out, in: k, mode: mode))
    }

    /// Packs a [out, in] tensor.
    public convenience init(_ t: Tensor, mode: ComputeMode) throws {
        guard t.rank == 2 else { throw TensorError.shape("weight of shape \(t.shape): expected [out, in]") }
        let packed = try t.data.withUnsafeBufferPointer { try Self.pack($0.baseAddress!, out: t.shape[0], in: t.shape[1], mode: mode) }
        self.init(out: t.shape[0], in: t.shape[1], mode: mode, packed: packed)
    }

    private static func pack(_ w: UnsafePointer<Float>, out: Int, in k: Int, mode: ComputeMode) throws -> Packed {
        switch mode.backend {
        case .openblas:
            let p = UnsafeMutablePointer<Float>.allocate(capacity: max(out * k, 1))
            p.initialize(from: w, count: out * k)
            return (p, nil, nil)
        case .onednn:
            if mode.precision == .int8, let kernel = Int8Matmul.chosen, Int8Matmul.fits(n: out, k: k, kernel: kernel) {
                return (nil, nil, Int8Matmul(w, n: out, k: k, kernel: kernel))
            }
            return (nil, try OneDNNMatmul(w, n: out, k: k, mode: mode), nil)
        }
    }

    deinit { fp32?.deallocate() }

    /// Bytes this weight holds (fp32 copy, oneDNN's packed buffer or the int8 kernel's).
    public var bytes: Int { onednn?.bytes ?? int8?.bytes ?? outFeatures * inFeatures * 4 }

    /// y[rows, out] = act(x[rows, in] · Wᵀ + bias), or y += x · Wᵀ + bias when `accumulate` (residuals).
    /// `lda`/`ldc` default to in/out (strided views into wider buffers).
    public func apply(_ x: UnsafePointer<Float>, rows: Int, bias: UnsafePointer<Float>?, out y: UnsafeMutablePointer<Float>,
                      accumulate: Bool = false, activation: Activation = .identity, lda: Int? = nil, ldc: Int? = nil) {
        if rows == 0 { return }
        precondition(!accumulate || activation == .identity, "linear: an activation cannot be fused with accumulate")
        let lda = lda ?? inFeatures, ldc = ldc ?? outFeatures
        if let int8 {
            int8.run(x, rows: rows, lda: lda, bias: bias, out: y, ldc: ldc, accumulate: accumulate, activation: activation)
        } else if let onednn {
            onednn.run(x, rows: rows, lda: lda, bias: bias, out: y, ldc: ldc, accumulate: accumulate, activation: activation)
        } else {
            Kernels.linear(x, rows: rows, inFeatures: inFeatures, weight: fp32!, outFeatures: outFeatures, bias: bias, out: y,
                       accumulate: accumulate, activation: activation, lda: lda, ldc: ldc)
        }
    }
}
