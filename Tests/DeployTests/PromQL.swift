// Test support: the metric names a PromQL expression reads, and the metrics the worker exports.
import Foundation

/// The worker's /metrics contract (docs/operations.md): name → type.
let workerMetrics: [String: String] = [
    "merclip_events_consumed_total": "counter",
    "merclip_results_written_total": "counter",
    "merclip_dlq_total": "counter",
    "merclip_retries_total": "counter",
    "merclip_batch_size": "histogram",
    "merclip_stage_seconds": "histogram",
    "merclip_end_to_end_seconds": "histogram",
    "merclip_consumer_lag": "gauge",
    "merclip_ready": "gauge",
    "merclip_transactions_total": "counter",
]

/// Series a query may read: the worker's (histograms as _bucket, _sum, _count) and Prometheus' own
/// per-target `up`.
let queryableSeries: Set<String> = {
    var names: Set<String> = ["up"]
    for (name, type) in workerMetrics {
        if type == "histogram" {
            for suffix in ["_bucket", "_sum", "_count"] { names.insert(name + suffix) }
        } else {
            names.insert(name)
        }
    }
    return names
}()

private let keywords: Set<String> = [
    "and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right",
    "inf", "nan", "Inf", "NaN", "atan2",
]

private func removing(_ pattern: String, from text: String) -> String {
    let regex = try! NSRegularExpression(pattern: pattern)
    return regex.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text), withTemplate: " ")
}

/// The metric names in a PromQL expression: identifiers that are not functions, keywords, label
/// names (inside {…} or a by/without/on/ignoring/group_… list), strings, durations or numbers.
func metricNames(in expr: String) -> Set<String> {
    var s = removing(#""(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'"#, from: expr)
    s = removing(#"\{[^}]*\}"#, from: s)
    s = removing(#"\[[^\]]*\]"#, from: s)
    s = removing(#"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)"#, from: s)
    let ident = try! NSRegularExpression(pattern: #"(?<![\w:.$])[A-Za-z_:][A-Za-z0-9_:]*(?!\s*\()"#)
    var names: Set<String> = []
    for m in ident.matches(in: s, range: NSRange(s.startIndex..., in: s)) {
        let name = String(s[Range(m.range, in: s)!])
        // The negative lookahead can stop one character short of a function name: skip prefixes.
        let after = s[Range(m.range, in: s)!.upperBound...]
        if after.first.map({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" }) == true { continue }
        if !keywords.contains(name) { names.insert(name) }
    }
    return names
}

/// Whether (), [] and {} nest properly outside string literals.
func bracketsBalance(_ expr: String) -> Bool {
    var stack: [Character] = []
    var quote: Character? = nil
    var escaped = false
    for c in expr {
        if let q = quote {
            if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == q { quote = nil }
            continue
        }
        switch c {
        case "\"", "'", "`": quote = c
        case "(", "[", "{": stack.append(c)
        case ")": if stack.popLast() != "(" { return false }
        case "]": if stack.popLast() != "[" { return false }
        case "}": if stack.popLast() != "{" { return false }
        default: break
        }
    }
    return stack.isEmpty && quote == nil
}
