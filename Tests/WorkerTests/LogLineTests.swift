// LogLine: today's text format, escaping that keeps every event on one line with its own fields, and JSON.
import Foundation
import Logging
import Testing
@testable import Worker

@Suite("Log line format")
struct LogLineTests {
    let time = Date(timeIntervalSince1970: 1_764_060_774.5)   // 2025-11-25T08:52:54.500Z

    func line(_ message: String, _ fields: Logger.Metadata, level: Logger.Level = .warning) -> LogLine {
        LogLine(time: time, level: level, component: "worker", message: message, fields: fields)
    }

    @Test("plain values stay bare, values with spaces are quoted, fields sorted by key")
    func textFormat() {
        let l = line("Kafka brokers unreachable", ["why": "1/1 brokers are down", "attempt": .stringConvertible(3)])
        #expect(l.text == #"2025-11-25T08:52:54.500Z warn worker: Kafka brokers unreachable attempt=3 why="1/1 brokers are down""#)
    }

    @Test("a value with a newline, quotes and x=y is one quoted field; the message is escaped as well")
    func textEscaping() {
        let l = line("to DLQ\nfake=1", ["uri": "file:///a\nb\" x=y", "reason": "a=b", "empty": "", "ctl": "\u{1}\u{7F}\u{2028}"])
        #expect(!l.text.contains("\n"))
        #expect(l.text == #"2025-11-25T08:52:54.500Z warn worker: "to DLQ\nfake=1" ctl="\u0001\u007f\u2028" empty="" reason="a=b" uri="file:///a\nb\" x=y""#)
    }

    @Test("keys keep only letters, digits, _ . -")
    func keys() {
        #expect(line("m", ["a b=c\n": "v"]).text.hasSuffix(" m a_b_c_=v"))
    }

    @Test("json: one object, the values as given, numbers and booleans typed, reserved names prefixed")
    func json() throws {
        let hostile = "file:///a\nb\" x=y \\ \u{1}"
        let l = line("to DLQ", ["uri": .string(hostile), "offset": .stringConvertible(Int64(42)), "ratio": .stringConvertible(0.25),
                                "retriable": .stringConvertible(true), "message": "shadow", "tags": .array(["a", "b"])])
        #expect(!l.json.contains("\n"))
        let o = try #require(try JSONSerialization.jsonObject(with: Data(l.json.utf8)) as? [String: Any])
        #expect(o["time"] as? String == "2025-11-25T08:52:54.500Z" && o["level"] as? String == "warn")
        #expect(o["component"] as? String == "worker" && o["message"] as? String == "to DLQ")
        #expect(o["uri"] as? String == hostile)
        #expect((o["offset"] as? NSNumber)?.int64Value == 42 && (o["ratio"] as? NSNumber)?.doubleValue == 0.25)
        #expect(o["retriable"] as? Bool == true)
        #expect(o["field.message"] as? String == "shadow")
        #expect(o["tags"] as? [String] == ["a", "b"])
    }

    @Test("Log's fields keep numbers and booleans typed and describe anything else")
    func metadataValues() {
        #expect(Log.metadataValue(7).description == "7")
        if case .stringConvertible(let v) = Log.metadataValue(true) { #expect(v as? Bool == true) } else { Issue.record("Bool not typed") }
        if case .string(let s) = Log.metadataValue(["x"]) { #expect(s == #"["x"]"#) } else { Issue.record("array not described") }
    }

    @Test("level names: warn for warning, and warn or warning accepted")
    func levels() {
        #expect(LogSettings.name(of: .warning) == "warn" && LogSettings.name(of: .error) == "error")
        #expect(LogSettings.level(named: "warn") == .warning && LogSettings.level(named: "warning") == .warning)
        #expect(LogSettings.level(named: "loud") == nil)
    }
}
