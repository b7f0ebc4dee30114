// LogLine: one log event written as a text or JSON line, with every value escaped so that no input
// (a URI, an error reason) can add a line or a field.
import Foundation
import Logging
import Sinks

public struct LogLine: Sendable {
    public var time: Date
    public var level: Logger.Level
    public var component: String
    public var message: String
    /// Written sorted by key.
    public var fields: Logger.Metadata

    public init(time: Date, level: Logger.Level, component: String, message: String, fields: Logger.Metadata = [:]) {
        self.time = time
        self.level = level
        self.component = component
        self.message = message
        self.fields = fields
    }

    public func formatted(_ format: LogFormat) -> String {
        switch format {
        case .text: text
        case .json: json
        }
    }

    /// `TIME LEVEL COMPONENT: message key=value ...`. A value is written bare when it is made of
    /// printable characters other than space, `"`, `=` and `\`; otherwise in double quotes with `\"`,
    /// `\\`, `\n`, `\r`, `\t` and `\uXXXX` escapes. A message is escaped the same way and quoted when it
    /// holds `=` or `"`. Keys keep only letters, digits, `_`, `.` and `-`.
    public var text: String {
        var line = "\(RFC3339.format(time)) \(LogSettings.name(of: level)) \(Self.key(component)): "
        line += message.unicodeScalars.contains { $0 == "=" || $0 == "\"" } ? Self.quoted(message) : Self.escaped(message)
        for key in fields.keys.sorted() {
            line += " \(Self.key(key))=\(Self.textValue(fields[key]!))"
        }
        return line
    }

    /// `{"time":…,"level":…,"component":…,"message":…, fields…}` on one line. Numbers and booleans
    /// stay numbers and booleans; a field named like one of the first four gets a `field.` prefix.
    public var json: String {
        var out = "{\"time\":\(Self.jsonString(RFC3339.format(time))),\"level\":\(Self.jsonString(LogSettings.name(of: level)))"
        out += ",\"component\":\(Self.jsonString(component)),\"message\":\(Self.jsonString(message))"
        for key in fields.keys.sorted() {
            let name = ["time", "level", "component", "message"].contains(key) ? "field.\(key)" : key
            out += ",\(Self.jsonString(name)):\(Self.jsonValue(fields[key]!))"
        }
        return out + "}"
    }

    // MARK: text

    static func key(_ s: String) -> String {
        let kept = String(s.unicodeScalars.map { isKeyScalar($0) ? Character($0) : "_" })
        return kept.isEmpty ? "_" : kept
    }

    private static func isKeyScalar(_ u: Unicode.Scalar) -> Bool {
        u.isASCII && (u.properties.isAlphabetic || ("0"..."9").contains(u) || u == "_" || u == "." || u == "-")
    }

    private static func textValue(_ v: Logger.MetadataValue) -> String {
        let s = v.description
        return !s.isEmpty && s.unicodeScalars.allSatisfy(isBare) ? s : quoted(s)
    }

    private static func isBare(_ u: Unicode.Scalar) -> Bool {
        !(u == " " || u == "\"" || u == "=" || u == "\\" || needsEscape(u))
    }

    private static func quoted(_ s: String) -> String { "\"" + escaped(s, quotes: true) + "\"" }

    /// `s` with control and line-separator characters (and, in quotes, `"` and `\`) written as escapes.
    static func escaped(_ s: String, quotes: Bool = false) -> String {
        var out = ""
        for u in s.unicodeScalars {
            switch u {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\"" where quotes: out += "\\\""
            case "\\" where quotes: out += "\\\\"
            default:
                if needsEscape(u) { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out
    }

    /// C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
    private static func needsEscape(_ u: Unicode.Scalar) -> Bool {
        u.value < 0x20 || (0x7F...0x9F).contains(u.value) || u.value == 0x2028 || u.value == 0x2029
    }

    // MARK: JSON

    static func jsonString(_ s: String) -> String { "\"" + escaped(s, quotes: true) + "\"" }

    private static func jsonValue(_ v: Logger.MetadataValue) -> String {
        switch v {
        case .string(let s): return jsonString(s)
        case .stringConvertible(let c):
            if let b = c as? Bool { return b ? "true" : "false" }
            if c is any BinaryInteger { return c.description }
            if let d = c as? Double, d.isFinite { return "\(d)" }
            if let f = c as? Float, f.isFinite { return "\(f)" }
            return jsonString(c.description)
        case .array(let a): return "[" + a.map(jsonValue).joined(separator: ",") + "]"
        case .dictionary(let d):
            return "{" + d.keys.sorted().map { "\(jsonString($0)):\(jsonValue(d[$0]!))" }.joined(separator: ",") + "}"
        }
    }
}
