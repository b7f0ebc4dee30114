// KafkaLogHandler: where librdkafka's own log lines go, instead of its default stderr format.
import Foundation

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
            FileHandle.standardError.write(Data("%\(level)|\(facility)|\(client): \(message)\n".utf8))
        }
    }

    private final class Box: @unchecked Sendable {
        let lock = NSLock()
        var handler: Handler?
    }
    private static let box = Box()
}
