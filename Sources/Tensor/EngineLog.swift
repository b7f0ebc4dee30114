// Where the engine says what it chose (auto precision, backend fallbacks): stderr unless a caller redirects it.
import Foundation

public enum EngineLog {
    nonisolated(unsafe) private static var sinkValue: @Sendable (String) -> Void = { line in
        FileHandle.standardError.write(Data("engine: \(line)\n".utf8))
    }
    nonisolated(unsafe) private static var said: Set<String> = []
    private static let lock = NSLock()

    /// Replaces the destination of the engine's messages (e.g. the worker's structured log, or a test).
    public static func setSink(_ sink: @escaping @Sendable (String) -> Void) {
        lock.lock(); sinkValue = sink; lock.unlock()
    }

    public static func say(_ line: String) {
        lock.lock(); let sink = sinkValue; lock.unlock()
        sink(line)
    }

    /// Says `line` the first time only.
    public static func once(_ line: String) {
        lock.lock(); let fresh = said.insert(line).inserted; lock.unlock()
        if fresh { say(line) }
    }
}
