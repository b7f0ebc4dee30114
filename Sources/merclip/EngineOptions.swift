// EngineOptions: --precision and --threads, how `score` and `embed` run the engine's matrix products.
import ArgumentParser
import Tensor

struct EngineOptions: ParsableArguments {
    @Option(help: """
        Matrix-product precision: fp32, bf16, int8 or auto (the fastest on this CPU that meets the accuracy \
        bounds; env MERCLIP_PRECISION, default fp32).
        """)
    var precision: String?

    @Option(help: "BLAS threads (default: MERCLIP_THREADS or all cores).")
    var threads: Int?

    /// Sets the BLAS thread count and returns the precision the engine is to load with (nil: the loader's default, fp32).
    func apply() throws -> Precision? {
        try Setting().applyBLASThreads(threads)
        return try Setting().precision(precision)
    }
}
