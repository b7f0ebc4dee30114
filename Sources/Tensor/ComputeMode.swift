// Which GEMM backend and precision a model's packed weights use, and how a requested precision becomes one.
import Foundation

public struct ComputeMode: Sendable, Hashable, CustomStringConvertible {
    public enum Backend: String, Sendable, CaseIterable { case openblas = "OpenBLAS", onednn = "oneDNN" }

    public let precision: Precision   // never .auto
    public let backend: Backend

    public init(_ precision: Precision, _ backend: Backend) {
        precondition(precision != .auto, "ComputeMode: resolve .auto first")
        precondition(precision == .fp32 || backend == .onednn, "ComputeMode: \(precision) runs on oneDNN only")
        self.precision = precision
        self.backend = backend
    }

    /// fp32 on OpenBLAS: the portable reference.
    public static let reference = ComputeMode(.fp32, .openblas)

    /// "int8 (oneDNN avx512_core_vnni)", "int8 (AVX2 kernel; oneDNN avx2)", "fp32 (OpenBLAS Haswell)".
    public var description: String {
        let kernel = precision == .int8 ? Int8Matmul.chosen.map { "\($0.rawValue); " } ?? "" : ""
        return "\(precision.rawValue) (\(backend == .onednn ? "\(kernel)oneDNN \(OneDNN.isa)" : "OpenBLAS \(BLAS.coreName)"))"
    }

    /// The fp32 mode of the same backend (label encoder and heads stay fp32 in every mode).
    public var fp32: ComputeMode { ComputeMode(.fp32, precision == .fp32 ? backend : .onednn) }

    /// fp32 on oneDNN where its kernels use AVX2 or better (faster than OpenBLAS over the whole model: bias,
    /// activation and residual fused into the products, one thread pool), else OpenBLAS. When OpenBLAS runs
    /// generic kernels on such a CPU that is logged too, with the fix (attention blocks the AVX2 kernel does not
    /// run go to OpenBLAS).
    public static var defaultFP32: ComputeMode {
        let vector = OneDNN.isa.hasPrefix("avx2") || OneDNN.isa.hasPrefix("avx512")
        if BLAS.isGenericCore && vector {
            let slow = AttentionKernel.hasAVX2
                ? "fp32 on OpenBLAS and attention heads whose width is not a multiple of 8 run" : "the attention products run"
            EngineLog.once("OpenBLAS runs its generic \(BLAS.coreName) kernels on this CPU (oneDNN sees \(OneDNN.isa)): "
                + "\(slow) at SSE speed. Set OPENBLAS_CORETYPE (e.g. Haswell, SkylakeX) "
                + "or install an OpenBLAS that knows this CPU.", level: .warning)
        }
        return vector ? ComputeMode(.fp32, .onednn) : .reference
    }

    /// The mode a forced precision runs in, or an error naming what this CPU lacks.
    public static func forced(_ p: Precision) throws -> ComputeMode {
        switch p {
        case .fp32: return defaultFP32
        case .bf16, .int8:
            let mode = ComputeMode(p, .onednn)
            if let missing = OneDNNMatmul.unsupported(mode) { throw TensorError.unsupported(missing) }
            return mode
        case .auto: throw TensorError.unsupported("auto is chosen with ComputeMode.resolve")
        }
    }

    /// Every mode that works on this CPU (the candidates of auto).
    public static var available: [ComputeMode] {
        [reference, ComputeMode(.fp32, .onednn)] + [.bf16, .int8].compactMap { try? forced($0) }
    }
}
