// Which kernel computes the attention blocks: the fused AVX2 block kernel where the CPU has AVX2 and FMA and the
// head width is a multiple of 8, else two OpenBLAS products per block with the softmax between them.
import CKernels

public enum AttentionKernel: String, Sendable, CaseIterable {
    /// Scores, masked softmax and values of one (sequence, head) block in one pass through L1 (CKernels).
    case avx2 = "AVX2"
    /// One sgemm for Q·Kᵀ and one for P·V per block (any CPU, any head width).
    case blas = "OpenBLAS"

    /// True when this CPU runs the AVX2 + FMA kernels.
    public static var hasAVX2: Bool { VectorISA.avx2FMA }

    /// The fastest kernel for blocks of `headDim` values on this CPU.
    public static func best(headDim: Int) -> AttentionKernel {
        AttentionKernel.avx2.runs(headDim: headDim) ? .avx2 : .blas
    }

    /// Whether this kernel runs blocks of `headDim` values here.
    public func runs(headDim: Int) -> Bool { self == .blas || (Self.hasAVX2 && headDim % 8 == 0) }

    /// Floats of scratch one worker needs for a block of qLen queries and kvLen keys.
    func scratch(qLen: Int, kvLen: Int, headDim: Int) -> Int {
        switch self {
        case .avx2: return ck_attention_scratch(qLen, kvLen, headDim)
        case .blas: return max(qLen * kvLen, 1)
        }
    }
}
