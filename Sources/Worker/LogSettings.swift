// LogSettings: the process-wide log format and level, and the one place log lines are written (stderr).
import Foundation
import Logging
import Tensor

public enum LogSettings {
    /// The format of every line written from now on (default text).
    public static var format: LogFormat { state.lock.withLock { state.format } }
    /// The lowest level written (default info).
    public static var level: Logger.Level { state.lock.withLock { state.level } }

    /// Sets the format and level, and makes LogLineHandler swift-log's handler for every `Logger` made
    /// afterwards (libraries' loggers included); the engine's messages (EngineLog) become lines of component `engine`.
    public static func configure(format: LogFormat, level: Logger.Level) {
        let bootstrap = state.lock.withLock {
            state.format = format
            state.level = level
            defer { state.bootstrapped = true }
            return !state.bootstrapped
        }
        guard bootstrap else { return }
        LoggingSystem.bootstrap { LogLineHandler(label: $0) }
        let engine = Logger(label: "engine")
        EngineLog.setSink { level, line in
            engine.log(level: level == .warning ? .warning : .info, "\(line)")
        }
    }

    /// A level by name: trace, debug, info, notice, warn (or warning), error, critical.
    public static func level(named name: String) -> Logger.Level? {
        name == "warn" ? .warning : Logger.Level(rawValue: name)
    }

    /// The name a line shows for a level: `warn` for warning, else swift-log's own name.
    public static func name(of level: Logger.Level) -> String { level == .warning ? "warn" : level.rawValue }

    /// Writes one line (a newline is added) to stderr in one write, so lines of threads do not interleave.
    static func write(_ line: String) {
        state.lock.withLock { FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }

    private final class State: @unchecked Sendable {
        let lock = NSLock()
        var format = LogFormat.text
        var level = Logger.Level.info
        var bootstrapped = false
    }
    private static let state = State()
}
