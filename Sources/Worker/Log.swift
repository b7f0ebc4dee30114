// One-line structured logs on stderr: `time level component message key=value ...`.
import Foundation
import Kafka
import Sinks

public struct Log: Sendable {
    public let component: String
    public init(_ component: String) { self.component = component }

    public func info(_ message: String, _ fields: KeyValuePairs<String, Any> = [:]) { write("info", message, fields) }
    public func warn(_ message: String, _ fields: KeyValuePairs<String, Any> = [:]) { write("warn", message, fields) }
    public func error(_ message: String, _ fields: KeyValuePairs<String, Any> = [:]) { write("error", message, fields) }

    private func write(_ level: String, _ message: String, _ fields: KeyValuePairs<String, Any>) {
        var line = "\(RFC3339.format(Date())) \(level) \(component): \(message)"
        for (k, v) in fields { line += " \(k)=\(String(describing: v).contains(" ") ? "\"\(v)\"" : "\(v)")" }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}

extension Log {
    /// Writes librdkafka's own log lines in this format (component "kafka", the client and facility
    /// as fields) instead of librdkafka's `%3|…` lines.
    public static func routeKafkaLogs() {
        let log = Log("kafka")
        KafkaLogHandler.set { level, client, facility, message in
            switch level {
            case ...3: log.error(message, ["client": client, "facility": facility])
            case 4: log.warn(message, ["client": client, "facility": facility])
            default: log.info(message, ["client": client, "facility": facility])
            }
        }
    }
}
