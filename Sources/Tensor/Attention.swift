// Scaled dot-product multi-head attention, read straight out of packed/strided projection buffers; causal and
// key-padding masks. Each (sequence, head) block runs on the fused AVX2 kernel (CKernels) or as two OpenBLAS
// products with the softmax between them; blocks are spread over the calling lane's cores, each worker with
// its slice of a scratch buffer the caller keeps (no allocation per call).
import CKernels
import Dispatch

extension Kernels {
    /// Multi-head attention for `batch` sequences.
    ///
    /// Query row i of sequence b, head h is `q + (b·qLen + i)·ldq + h·headDim` (K and V likewise with
    /// kvLen, ldk, ldv); the result goes to `out + (b·qLen + i)·ldo + h·headDim`.
    /// `keyLengths[b]` masks keys at positions ≥ that length (padding); `causal` masks keys after the query.
    /// A query with no key left gets a zero output.
    /// `kvStride` (default kvLen·ldk / kvLen·ldv) is the distance between sequences' first key and value rows,
    /// and the query block of sequence b starts at `q + b·qLen·ldq` (with qLen 1, ldq is that stride).
    /// `scratch` (grown as needed, reused across calls) holds the scores; nil allocates one for the call.
    /// `kernel` defaults to the fastest for this CPU and head width (AttentionKernel.best).
    public static func attention(q: UnsafePointer<Float>, ldq: Int, k: UnsafePointer<Float>, ldk: Int,
                                 v: UnsafePointer<Float>, ldv: Int, out: UnsafeMutablePointer<Float>, ldo: Int,
                                 batch: Int, qLen: Int, kvLen: Int, heads: Int, headDim: Int, scale: Float,
                                 causal: Bool = false, keyLengths: [Int]? = nil, kvStride: Int? = nil,
                                 scratch: Scratch? = nil, kernel: AttentionKernel? = nil) {
        let pairs = batch * heads
        if pairs == 0 || qLen == 0 { return }
        let kernel = kernel ?? .best(headDim: headDim)
        precondition(kernel.runs(headDim: headDim), "attention: the \(kernel) kernel does not run head width \(headDim) on this CPU")
        // OpenBLAS runs a GEMM with m·n·k ≤ 262144 on one thread, and the AVX2 kernel is one thread: then we
        // spread the (sequence, head) pairs over the cores ourselves; bigger OpenBLAS ones run one after the
        // other, threaded inside OpenBLAS.
        let small = kernel == .avx2 || qLen * kvLen * headDim <= 262_144
        let workers = small ? min(Parallel.width, pairs) : 1
        let slice = kernel.scratch(qLen: qLen, kvLen: kvLen, headDim: headDim)
        let store = scratch ?? Scratch(capacity: workers * slice)
        let buffer = store.reserve(workers * slice)
        /// Pair p's query, key, value and output blocks and its key count.
        func block(_ p: Int) -> (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) {
            let b = p / heads, h = p % heads
            return (q + b * qLen * ldq + h * headDim, k + b * (kvStride ?? kvLen * ldk) + h * headDim,
                    v + b * (kvStride ?? kvLen * ldv) + h * headDim, out + b * qLen * ldo + h * headDim,
                    min(keyLengths?[b] ?? kvLen, kvLen))
        }
        let run = { (w: Int) in
            let scores = buffer + w * slice
            var p = w
            while p < pairs {
                let (qp, kp, vp, op, n) = block(p)
                if n <= 0 {
                    for i in 0..<qLen { for j in 0..<headDim { op[i * ldo + j] = 0 } }
                } else if kernel == .avx2 {
                    // the next block's rows come into L2 while this one computes
                    let following = p + workers < pairs ? block(p + workers) : nil
                    var next: (UnsafePointer<Float>?, UnsafePointer<Float>?, UnsafePointer<Float>?) = (following?.0, following?.1, following?.2)
                    withUnsafePointer(to: &next) {
                        $0.withMemoryRebound(to: UnsafePointer<Float>?.self, capacity: 3) {
                            ck_attention(qp, ldq, kp, ldk, vp, ldv, op, ldo, qLen, n, headDim, scale, causal ? 1 : 0,
                                         scores, following == nil ? nil : $0, max(following?.4 ?? 0, 0))
                        }
                    }
                } else {
                    sgemm(transB: true, m: qLen, n: n, k: headDim, alpha: scale, a: qp, lda: ldq,
                          b: kp, ldb: ldk, beta: 0, c: scores, ldc: n)
                    for i in 0..<qLen {
                        softmaxRow(scores + i * n, valid: causal ? min(i + 1, n) : n, cols: n)
                    }
                    sgemm(m: qLen, n: headDim, k: n, a: scores, lda: n, b: vp, ldb: ldv, beta: 0, c: op, ldc: ldo)
                }
                p += workers
            }
        }
        // `store` owns `buffer`: it lives until the blocks are done.
        withExtendedLifetime(store) { if workers <= 1 { run(0) } else { Parallel.run(workers, run) } }
    }
}
