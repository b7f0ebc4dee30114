// OpenBLAS facts and the one thread-count setting used by every tensor op.
// (OpenBLAS picks its kernel set at load time; OPENBLAS_CORETYPE in the environment overrides that choice.)
import COpenBLAS
import Foundation

public enum BLAS {
    /// OpenBLAS build configuration, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64".
    public static var config: String { String(cString: openblas_get_config()) }
    /// The CPU kernel set OpenBLAS selected at run time (e.g. "Haswell", "SkylakeX").
    public static var coreName: String { String(cString: openblas_get_corename()) }
    /// True when that kernel set predates AVX2 (OpenBLAS's fallback on CPUs it does not know, e.g. "Prescott").
    public static var isGenericCore: Bool {
        let sse = ["prescott", "katmai", "coppermine", "northwood", "banias", "core2", "penryn", "dunnington",
                   "nehalem", "atom", "opteron", "opteron_sse3", "barcelona", "bobcat", "generic", "sandybridge",
                   "bulldozer", "piledriver"]
        return sse.contains(coreName.lowercased())
    }
    /// Threads OpenBLAS uses for one call (and the width of the parallel non-GEMM loops).
    public static var threads: Int {
        _ = defaultApplied
        return Int(openblas_get_num_threads())
    }
    /// Sets the number of BLAS threads. The environment variable `MERCLIP_THREADS` sets the default,
    /// otherwise the number of active cores.
    public static func setThreads(_ n: Int) {
        _ = defaultApplied
        openblas_set_num_threads(Int32(max(1, n)))
    }

    /// The default thread count: `MERCLIP_THREADS` when set to a positive integer, else the active cores.
    public static var defaultThreads: Int {
        if let s = ProcessInfo.processInfo.environment["MERCLIP_THREADS"], let n = Int(s), n > 0 { return n }
        return ProcessInfo.processInfo.activeProcessorCount
    }

    /// Applied once, before the first op (every op touches `BLAS.threads` or calls `BLAS.prepare()`).
    /// pthread_once rather than a lazy `static let`: the optimiser may drop an unused lazy global's load.
    nonisolated(unsafe) private static var once = pthread_once_t()
    private static var defaultApplied: Void {
        pthread_once(&once) {
            openblas_set_num_threads(Int32(BLAS.defaultThreads))
        }
    }

    /// Makes sure the default thread count is in effect.
    @inline(__always) public static func prepare() { _ = defaultApplied }
}
