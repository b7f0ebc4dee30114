// CPUBudget: how the cores are shared between the decode lanes and the engine's BLAS threads.
import Foundation

/// Decode lanes each run one segment's media on one thread; the engine runs BLAS on its threads.
/// Together they use the cores given, no more: what a flag does not fix is taken from the other
/// side's share, and with neither flag the lanes get `mediaShare` of the cores (at least one), the
/// engine the rest. `mediaShare` defaults to the media front end's cost next to the model's per segment
/// (about 0.2 against 1.25 core-seconds: docs/operations.md, Sizing).
public struct CPUBudget: Sendable, Equatable, CustomStringConvertible {
    public let cores: Int
    public let decodeLanes: Int
    public let engineThreads: Int
    /// "flags" or "auto": where the split came from.
    public let source: String

    public static func plan(cores: Int, decodeLanes: Int? = nil, engineThreads: Int? = nil,
                            mediaShare: Double = 0.15) -> CPUBudget {
        let cores = max(1, cores)
        switch (decodeLanes, engineThreads) {
        case let (lanes?, engine?):
            return CPUBudget(cores: cores, decodeLanes: max(1, lanes), engineThreads: max(1, engine), source: "flags")
        case let (lanes?, nil):
            return CPUBudget(cores: cores, decodeLanes: max(1, lanes), engineThreads: max(1, cores - lanes), source: "flags")
        case let (nil, engine?):
            return CPUBudget(cores: cores, decodeLanes: max(1, cores - engine), engineThreads: max(1, engine), source: "flags")
        case (nil, nil):
            let lanes = max(1, Int((Double(cores) * mediaShare).rounded(.up)))
            return CPUBudget(cores: cores, decodeLanes: lanes, engineThreads: max(1, cores - lanes), source: "auto")
        }
    }

    /// The split from measured CPU seconds per segment of each stage (media alone, the engine alone): the
    /// lanes get enough threads for their share of the cores (at least one), and the engine the cores
    /// that share leaves, rounded to the nearest core (at least one). A lane busy a small part of the time
    /// (audio-only segments) then does not take a whole core from the engine: the threads may outnumber
    /// the cores, the expected load does not.
    public static func measured(cores: Int, mediaCPU: Double, engineCPU: Double) -> CPUBudget {
        let cores = max(1, cores)
        let share = mediaCPU + engineCPU > 0 ? max(0, mediaCPU) / (max(0, mediaCPU) + max(0, engineCPU)) : 0.5
        let busy = Double(cores) * share
        let lanes = max(1, Int(busy.rounded(.up)))
        let engine = min(cores, max(1, Int((Double(cores) - busy).rounded())))
        return CPUBudget(cores: cores, decodeLanes: lanes, engineThreads: engine, source: String(format: "measured, media %.0f%%", share * 100))
    }

    /// Whether lanes and engine together ask for more threads than there are cores.
    public var oversubscribed: Bool { decodeLanes + engineThreads > cores }

    public var description: String {
        "\(cores) cores: \(decodeLanes) decode lane(s), \(engineThreads) engine thread(s) (\(source))"
    }
}
