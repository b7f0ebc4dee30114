// Where the engine says what it chose (auto precision, backend fallbacks): stderr as "engine: ..." unless a caller
// redirects it (the worker's structured log does, so every line it writes keeps the log format), or a task binds
// `EngineLog.$taskSink` to hear what is said on it alone (a test, beside others running in parallel).
import Foundation

public enum EngineLog {
    /// How much a message matters: a choice the engine made, or something the operator should fix.
    public enum Level: Sendable { case info, warning }

    /// The default destination: "engine: LINE" on stderr.
    public static let standardError: @Sendable (Level, String) -> Void = { _, line in
        FileHandle.standardError.write(Data("engine: \(line)\n".utf8))
    }

    nonisolated(unsafe) private static var sinkValue: @Sendable (Level, String) -> Void = standardError
    nonisolated(unsafe) private static var said: Set<String> = []
    private static let lock = NSLock()

    /// Where messages said within a task that binds it go, instead of the process-wide sink.
    @TaskLocal public static var taskSink: (@Sendable (Level, String) -> Void)?

    /// Replaces the destination of the engine's messages (e.g. the worker's structured log, or a test).
    public static func setSink(_ sink: @escaping @Sendable (Level, String) -> Void) {
        lock.lock(); sinkValue = sink; lock.unlock()
    }

    public static func say(_ line: String, level: Level = .info) {
        if let taskSink { return taskSink(level, line) }
        lock.lock(); let sink = sinkValue; lock.unlock()
        sink(level, line)
    }

    /// Says `line` the first time only.
    public static func once(_ line: String, level: Level = .info) {
        lock.lock(); let fresh = said.insert(line).inserted; lock.unlock()
        if fresh { say(line, level: level) }
    }
}
