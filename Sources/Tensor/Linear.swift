// Matrix products over OpenBLAS: sgemm wrapper and the fused linear layer (bias, accumulate, activation).
import COpenBLAS

/// The compute kernels on raw buffers: matrix products, attention, LayerNorm, softmax, activations (one extension per file).
public enum Kernels {}

extension Kernels {
    /// C = alpha · op(A) · op(B) + beta · C, row-major (cblas_sgemm).
    @inline(__always)
    public static func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                             alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int,
                             beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        BLAS.prepare()
        if m == 0 || n == 0 { return }
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// y[rows, out] = x[rows, in] · Wᵀ + bias, W stored PyTorch-style as [out, in], as one sgemm.
    /// `accumulate`: y += … instead (residual connections). `activation` is applied after the bias.
    /// `lda`/`ldc` default to `inFeatures`/`outFeatures` (strided views into wider buffers).
    public static func linear(_ x: UnsafePointer<Float>, rows: Int, inFeatures: Int,
                              weight: UnsafePointer<Float>, outFeatures: Int, bias: UnsafePointer<Float>?,
                              out y: UnsafeMutablePointer<Float>, accumulate: Bool = false,
                              activation: Activation = .identity, lda: Int? = nil, ldc: Int? = nil) {
        let lda = lda ?? inFeatures, ldc = ldc ?? outFeatures
        if rows == 0 { return }
        if accumulate {
            // residual: y += x·Wᵀ + b — the bias goes in first, the GEMM accumulates onto it (beta = 1)
            precondition(activation == .identity, "linear: an activation cannot be fused with accumulate")
            if let bias {
                Parallel.forRanges(rows, cost: outFeatures) { r in
                    for i in r { let row = y + i * ldc; for j in 0..<outFeatures { row[j] += bias[j] } }
                }
            }
            sgemm(transB: true, m: rows, n: outFeatures, k: inFeatures, a: x, lda: lda,
                  b: weight, ldb: inFeatures, beta: 1, c: y, ldc: ldc)
        } else {
            // GEMM with beta = 0 (C not read), then bias and activation in one pass
            sgemm(transB: true, m: rows, n: outFeatures, k: inFeatures, a: x, lda: lda,
                  b: weight, ldb: inFeatures, beta: 0, c: y, ldc: ldc)
            activate(y, rows: rows, cols: outFeatures, ld: ldc, activation, bias: bias)
        }
    }

    /// Tensor convenience: x [..., in] · Wᵀ + b → [..., out].
    public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, activation: Activation = .identity) -> Tensor {
        let inF = weight.shape[1], outF = weight.shape[0]
        precondition(x.shape.last == inF, "linear: input width \(x.shape.last ?? 0) != weight in \(inF)")
        let rows = x.count / inF
        var out = Tensor(zeros: Array(x.shape.dropLast()) + [outF])
        x.data.withUnsafeBufferPointer { xp in
            weight.data.withUnsafeBufferPointer { wp in
                out.data.withUnsafeMutableBufferPointer { op in
                    if let bias {
                        bias.data.withUnsafeBufferPointer { bp in
                            linear(xp.baseAddress!, rows: rows, inFeatures: inF, weight: wp.baseAddress!, outFeatures: outF,
                                   bias: bp.baseAddress!, out: op.baseAddress!, activation: activation)
                        }
                    } else {
                        linear(xp.baseAddress!, rows: rows, inFeatures: inF, weight: wp.baseAddress!, outFeatures: outF,
                               bias: nil, out: op.baseAddress!, activation: activation)
                    }
                }
            }
        }
        return out
    }

    /// Plain matrix product a [m,k] · b [k,n] (tests, small work).
    public static func matmul(_ a: Tensor, _ b: Tensor) -> Tensor {
        let m = a.shape[0], k = a.shape[1], n = b.shape[1]
        precondition(b.shape[0] == k, "matmul: \(a.shape) · \(b.shape)")
        var out = Tensor(zeros: [m, n])
        a.data.withUnsafeBufferPointer { ap in
            b.data.withUnsafeBufferPointer { bp in
                out.data.withUnsafeMutableBufferPointer { op in
                    sgemm(m: m, n: n, k: k, a: ap.baseAddress!, lda: k, b: bp.baseAddress!, ldb: n, c: op.baseAddress!, ldc: n)
                }
            }
        }
        return out
    }
}
