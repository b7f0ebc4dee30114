// Test support: a Grafana panel's SQL made concrete, its macros and template variables replaced.
import Foundation

/// Replaces the Grafana Postgres macros this repository's panels may use and the `$name` / `${name}`
/// template variables; anything else that looks like a macro or variable is an error, which keeps
/// panel SQL to the supported, simple forms. The time range is the last 6 hours.
func concreteSQL(_ sql: String, variables: [String: String]) throws -> String {
    let from = "(now() - interval '6 hours')", to = "now()"
    var out = ""
    var rest = Substring(sql)
    while let dollar = rest.range(of: "$__") {
        out += rest[..<dollar.lowerBound]
        let afterDollar = rest[dollar.upperBound...]
        let name = String(afterDollar.prefix { $0.isLetter || $0.isNumber || $0 == "_" })
        var tail = afterDollar.dropFirst(name.count)
        guard tail.first == "(" else {
            throw DeployTestError("macro $__\(name) without arguments in: \(sql)")
        }
        tail = tail.dropFirst()
        var depth = 1, args: [String] = [], current = ""
        while depth > 0 {
            guard let c = tail.first else { throw DeployTestError("unclosed $__\(name)( in: \(sql)") }
            tail = tail.dropFirst()
            if c == "(" { depth += 1 } else if c == ")" { depth -= 1; if depth == 0 { break } }
            if c == "," && depth == 1 { args.append(current); current = "" } else { current.append(c) }
        }
        args.append(current)
        args = args.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        switch (name, args.count) {
        case ("timeFilter", 1): out += "(\(args[0]) BETWEEN \(from) AND \(to))"
        case ("timeFrom", 0): out += from
        case ("timeTo", 0): out += to
        case ("timeGroup", 2): out += "date_trunc('minute', \(args[0]))"
        case ("timeGroupAlias", 2): out += "date_trunc('minute', \(args[0])) AS \"time\""
        default: throw DeployTestError("unsupported macro $__\(name) with \(args.count) argument(s) in: \(sql)")
        }
        rest = tail
    }
    out += rest
    for (name, value) in variables.sorted(by: { $0.key.count > $1.key.count }) {
        out = out.replacingOccurrences(of: "${\(name)}", with: value)
        let plain = try NSRegularExpression(pattern: "\\$\(name)(?![A-Za-z0-9_])")
        out = plain.stringByReplacingMatches(in: out, range: NSRange(out.startIndex..., in: out),
                                             withTemplate: NSRegularExpression.escapedTemplate(for: value))
    }
    if let left = out.range(of: #"\$[{A-Za-z_]"#, options: .regularExpression) {
        throw DeployTestError("unknown variable or macro \(out[left.lowerBound...].prefix(20)) in: \(sql)")
    }
    return out
}
