// The worker's Prometheus metrics: counters, gauges and histograms, rendered as text format 0.0.4.
import Foundation

public final class Metrics: @unchecked Sendable {
    private let lock = NSLock()
    private var counters: [String: [String: Double]] = [:]   // name → labels text → value
    private var gauges: [String: [String: Double]] = [:]
    private var histograms: [String: [String: Histogram]] = [:]
    private let help: [String: (String, String)]              // name → (type, help)

    struct Histogram {
        var buckets: [Double]
        var counts: [Double]
        var sum = 0.0
        var count = 0.0
        init(_ buckets: [Double]) { self.buckets = buckets; counts = Array(repeating: 0, count: buckets.count) }
        mutating func observe(_ v: Double) {
            for (i, b) in buckets.enumerated() where v <= b { counts[i] += 1 }
            sum += v
            count += 1
        }
    }

    static let secondsBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]
    static let batchBuckets: [Double] = [1, 2, 4, 8, 16, 32, 64, 128]

    public init() {
        help = [
            "merclip_events_consumed_total": ("counter", "Events read from Kafka."),
            "merclip_results_written_total": ("counter", "Result rows written to Postgres and Kafka, per task."),
            "merclip_dlq_total": ("counter", "Events sent to the dead-letter topic."),
            "merclip_retries_total": ("counter", "Retries of a transient sink failure."),
            "merclip_transactions_total": ("counter", "Kafka transactions of the exactly-once mode, per outcome."),
            "merclip_batch_size": ("histogram", "Segments per model batch."),
            "merclip_stage_seconds": ("histogram", "Time spent per stage and batch."),
            "merclip_end_to_end_seconds": ("histogram", "From the event's produced_at to its results being written."),
            "merclip_consumer_lag": ("gauge", "Messages behind the high watermark per partition."),
            "merclip_ready": ("gauge", "1 when consuming, the sinks answer and a Kafka broker is reachable."),
        ]
    }

    public func inc(_ name: String, _ labels: [String: String] = [:], by v: Double = 1) {
        let key = Metrics.labelText(labels)
        lock.withLock { counters[name, default: [:]][key, default: 0] += v }
    }

    public func set(_ name: String, _ labels: [String: String] = [:], _ v: Double) {
        let key = Metrics.labelText(labels)
        lock.withLock { gauges[name, default: [:]][key] = v }
    }

    /// Replaces every series of a gauge (e.g. lag after a rebalance).
    public func replace(_ name: String, _ series: [([String: String], Double)]) {
        lock.withLock { gauges[name] = Dictionary(series.map { (Metrics.labelText($0.0), $0.1) }) { _, b in b } }
    }

    public func observe(_ name: String, _ labels: [String: String] = [:], _ v: Double) {
        let key = Metrics.labelText(labels)
        let buckets = name == "merclip_batch_size" ? Metrics.batchBuckets : Metrics.secondsBuckets
        lock.withLock { histograms[name, default: [:]][key, default: Histogram(buckets)].observe(v) }
    }

    public func observe(_ name: String, _ v: Double) { observe(name, [:], v) }
    public func set(_ name: String, _ v: Double) { set(name, [:], v) }

    public func counter(_ name: String, _ labels: [String: String] = [:]) -> Double {
        lock.withLock { counters[name]?[Metrics.labelText(labels)] ?? 0 }
    }

    /// Observations and their sum of one histogram series (zero when none).
    public func histogram(_ name: String, _ labels: [String: String] = [:]) -> (count: Double, sum: Double) {
        lock.withLock { histograms[name]?[Metrics.labelText(labels)].map { ($0.count, $0.sum) } ?? (0, 0) }
    }

    /// The text exposition format.
    public func render() -> String {
        lock.withLock {
            var out = ""
            for name in help.keys.sorted() {
                let (type, text) = help[name]!
                out += "# HELP \(name) \(text)\n# TYPE \(name) \(type)\n"
                switch type {
                case "counter", "gauge":
                    for (labels, v) in (type == "counter" ? counters[name] : gauges[name] ?? [:])?.sorted(by: { $0.key < $1.key }) ?? [] {
                        out += "\(name)\(labels.isEmpty ? "" : "{\(labels)}") \(format(v))\n"
                    }
                default:
                    for (labels, h) in (histograms[name] ?? [:]).sorted(by: { $0.key < $1.key }) {
                        let sep = labels.isEmpty ? "" : labels + ","
                        for (b, c) in zip(h.buckets, h.counts) { out += "\(name)_bucket{\(sep)le=\"\(format(b))\"} \(format(c))\n" }
                        out += "\(name)_bucket{\(sep)le=\"+Inf\"} \(format(h.count))\n"
                        out += "\(name)_sum\(labels.isEmpty ? "" : "{\(labels)}") \(h.sum)\n"
                        out += "\(name)_count\(labels.isEmpty ? "" : "{\(labels)}") \(format(h.count))\n"
                    }
                }
            }
            return out
        }
    }

    static func labelText(_ labels: [String: String]) -> String {
        labels.sorted { $0.key < $1.key }.map { k, v in
            "\(k)=\"\(v.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n"))\""
        }.joined(separator: ",")
    }

    private func format(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v) }
}
