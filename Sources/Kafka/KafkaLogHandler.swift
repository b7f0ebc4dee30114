// KafkaLogHandler: where librdkafka's own log lines go: a handler when one is set, else swift-log (label merclip.kafka).
import Foundation
import Logging

public enum KafkaLogHandler {
    /// Receives a librdkafka log line: syslog level (3 error, 4 warning, 6 info, 7 debug), the
    /// client's name, the facility (e.g. "FAIL", "COMMIT") and the message. Called on librdkafka's
    /// threads, so it must be thread-safe and quick.
    public typealias Handler = @Sendable (_ level: Int, _ client: String, _ facility: String, _ message: String) -> Void

    /// Sends the log lines of every client created afterwards to `handler`.
    public static func set(_ handler: @escaping Handler) { box.lock.withLock { box.handler = handler } }

    static func emit(_ level: Int32, _ client: String, _ facility: String, _ message: String) {
        if let h = box.lock.withLock({ box.handler }) {
            h(Int(level), client, facility, message)
        } else {
            fallback.log(level: logLevel(syslog: Int(level)), "\(message)",
                         metadata: ["client": .string(client), "facility": .string(facility)])
        }
    }

    /// swift-log's level for a librdkafka (syslog) level: ≤ 3 error, 4 warning, 5–6 info, 7 debug.
    public static func logLevel(syslog level: Int) -> Logger.Level {
        switch level {
        case ...3: .error
        case 4: .warning
        case 5, 6: .info
        default: .debug
        }
    }

    private static let fallback = Logger(label: "merclip.kafka")

    private final class Box: @unchecked Sendable {
        let lock = NSLock()
        var handler: Handler?
    }
    private static let box = Box()
}
