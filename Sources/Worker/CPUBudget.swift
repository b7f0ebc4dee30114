// CPUBudget: how the cores are shared between the decode lanes and the engine's BLAS threads.
import Foundation

/// Decode lanes each run one segment's media on one thread; the engine runs BLAS on its threads.
///
/// By default the engine gets every core and there is a lane per core, the lanes running at a lower
/// scheduling priority (`decodeNice`, a nice value above the engine's): while the engine scores a batch
/// the lanes use only the cycles it leaves (its serial stretches, the wait for a batch), and while it
/// waits for the next batch they decode on all cores. Neither side waits for a core the other leaves
/// idle, and the engine, the usual bottleneck, is not slowed by decoding. A lane still gets a share
/// of the CPU when the engine is busy (nice is a weight, not a ban), so no segment waits unboundedly.
/// With `decodeNice` 0 the lanes compete as equals, and lanes plus engine threads above the cores
/// oversubscribe them.
public struct CPUBudget: Sendable, Equatable, CustomStringConvertible {
    public let cores: Int
    public let decodeLanes: Int
    public let engineThreads: Int
    /// How much nicer (lower priority) the lanes run than the rest of the worker, 0–19.
    public let decodeNice: Int
    /// "flags" or "auto": where the split came from.
    public let source: String

    public init(cores: Int, decodeLanes: Int, engineThreads: Int, decodeNice: Int = CPUBudget.defaultNice, source: String) {
        self.cores = max(1, cores)
        self.decodeLanes = max(1, decodeLanes)
        self.engineThreads = max(1, engineThreads)
        self.decodeNice = min(19, max(0, decodeNice))
        self.source = source
    }

    /// The lanes' default nice, the lowest priority: the engine wins about 98% of a contended core, so its threads,
    /// which work in step, are rarely held up by a lane's time slice (measured in docs/benchmarks.md, "Decode lanes
    /// at nice +19"). A lane waits at most while the engine scores what is already prepared; then the engine waits
    /// for it and the lanes get every core.
    public static let defaultNice = 19

    /// A flag left out takes the default: a lane per core and the engine on every core when the lanes
    /// are niced; with `decodeNice` 0 the side left out gets the cores the other leaves (at least one).
    public static func plan(cores: Int, decodeLanes: Int? = nil, engineThreads: Int? = nil,
                            decodeNice: Int = defaultNice) -> CPUBudget {
        let cores = max(1, cores)
        let source = decodeLanes == nil && engineThreads == nil ? "auto" : "flags"
        let shared = decodeNice > 0
        let lanes = decodeLanes ?? (shared ? cores : max(1, cores - (engineThreads ?? cores / 2)))
        let engine = engineThreads ?? (shared ? cores : max(1, cores - lanes))
        return CPUBudget(cores: cores, decodeLanes: lanes, engineThreads: engine, decodeNice: decodeNice, source: source)
    }

    /// Whether lanes and engine at the same priority together ask for more threads than there are cores.
    public var oversubscribed: Bool { decodeNice == 0 && decodeLanes + engineThreads > cores }

    public var description: String {
        "\(cores) cores: \(decodeLanes) decode lane(s) at nice +\(decodeNice), \(engineThreads) engine thread(s) (\(source))"
    }
}
