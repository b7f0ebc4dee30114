// Log: the call-site API of merclip's logs, `log.info("message", ["key": value])`, on a swift-log Logger
// whose handler (LogLineHandler) writes one escaped text or JSON line per event on stderr.
import Foundation
import Kafka
import Logging

public struct Log: Sendable {
    public let component: String
    /// The swift-log logger behind it (label = component), for code that wants swift-log's own API.
    public let logger: Logger

    public init(_ component: String) {
        self.component = component
        logger = Logger(label: component) { LogLineHandler(label: $0) }
    }

    public func debug(_ message: String, _ fields: KeyValuePairs<String, Any> = [:]) { write(.debug, message, fields) }
    public func info(_ message: String, _ fields: KeyValuePairs<String, Any> = [:]) { write(.info, message, fields) }
    public func warn(_ message: String, _ fields: KeyValuePairs<String, Any> = [:]) { write(.warning, message, fields) }
    public func error(_ message: String, _ fields: KeyValuePairs<String, Any> = [:]) { write(.error, message, fields) }

    /// A line at a level chosen at run time.
    public func write(_ level: Logger.Level, _ message: String, _ fields: KeyValuePairs<String, Any> = [:]) {
        guard level >= logger.logLevel else { return }
        var metadata = Logger.Metadata()
        for (key, value) in fields { metadata[key] = Self.metadataValue(value) }
        logger.log(level: level, "\(message)", metadata: metadata)
    }

    /// Numbers and booleans stay typed (JSON writes them bare); everything else is its description.
    static func metadataValue(_ value: Any) -> Logger.MetadataValue {
        switch value {
        case let v as Int: .stringConvertible(v)
        case let v as Int32: .stringConvertible(v)
        case let v as Int64: .stringConvertible(v)
        case let v as UInt64: .stringConvertible(v)
        case let v as Double: .stringConvertible(v)
        case let v as Float: .stringConvertible(v)
        case let v as Bool: .stringConvertible(v)
        case let v as String: .string(v)
        default: .string(String(describing: value))
        }
    }
}

extension Log {
    /// Writes librdkafka's own log lines through this log (component "kafka", the client and facility
    /// as fields) instead of librdkafka's `%3|…` lines. Syslog levels: ≤ 3 error, 4 warn, 5–6 info, 7 debug.
    public static func routeKafkaLogs() {
        let log = Log("kafka")
        KafkaLogHandler.set { level, client, facility, message in
            log.write(KafkaLogHandler.logLevel(syslog: level), message, ["client": client, "facility": facility])
        }
    }
}
