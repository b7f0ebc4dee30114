// One-line structured logs on stderr: `time level component message key=value ...`.
import Foundation
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
