// LogOptions: --log-format and --log-level (MERCLIP_LOG_FORMAT, MERCLIP_LOG_LEVEL) of the commands that log.
import ArgumentParser
import Logging
import Worker

struct LogOptions: ParsableArguments {
    @Option(help: "Log lines: text (TIME LEVEL COMPONENT: message key=value ...) or json (one object per line) (MERCLIP_LOG_FORMAT, default text).")
    var logFormat: String?

    @Option(help: "Lowest level logged: trace, debug, info, notice, warn, error, critical (MERCLIP_LOG_LEVEL, default info).")
    var logLevel: String?

    /// Sets the process's log format and level; a bad flag or variable value is an error naming it.
    func apply(_ setting: Setting = Setting()) throws {
        let format = try setting.choice(logFormat, "MERCLIP_LOG_FORMAT", option: "--log-format", default: .text,
                                        names: LogFormat.allCases.map(\.rawValue)) { LogFormat(rawValue: $0) }
        let level = try setting.choice(logLevel, "MERCLIP_LOG_LEVEL", option: "--log-level", default: .info,
                                       names: ["trace", "debug", "info", "notice", "warn", "error", "critical"],
                                       LogSettings.level(named:))
        LogSettings.configure(format: format, level: level)
    }
}
