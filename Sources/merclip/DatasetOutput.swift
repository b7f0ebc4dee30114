// DatasetOutput: segments.json, tasks.json and summary.json of a dataset build, and the summary it prints.
import Foundation
import Model

struct DatasetOutput {
    let entries: [ManifestEntry]
    let outcomes: [DatasetOutcome]
    let tasks: [TaskConfig]
    let tokenizer: CLIPTokenizer

    struct Summary {
        var segments = 0, built = 0, skipped = 0, failed = 0
        /// split → [segments, with language, with vision, with audio]
        var splits: [String: [Int]] = [:]
        /// task → label → split → count
        var labels: [String: [String: [String: Int]]] = [:]
        /// modality → reason → count
        var missing: [String: [String: Int]] = [:]
        var failures: [[String: String]] = []

        var json: [String: Any] {
            ["segments": segments, "built": built, "already_done": skipped, "failed": failed,
             "splits": splits.mapValues { ["segments": $0[0], "language": $0[1], "vision": $0[2], "audio": $0[3]] },
             "labels": labels, "missing": missing, "failures": failures]
        }

        func text(out: String) -> String {
            var lines = ["\(out): \(segments) segments (\(built) built, \(skipped) already done), \(failed) failed"]
            func row(_ cells: [String]) -> String {
                "  " + cells[0].padding(toLength: 11, withPad: " ", startingAt: 0)
                    + cells.dropFirst().map { String(repeating: " ", count: max(0, 10 - $0.count)) + $0 }.joined()
            }
            lines.append(row(["split", "segments", "language", "vision", "audio"]))
            for s in DatasetManifest.splits {
                lines.append(row([s] + (splits[s] ?? [0, 0, 0, 0]).map(String.init)))
            }
            for (task, byLabel) in labels.sorted(by: { $0.key < $1.key }) {
                lines.append("  labels of \(task):")
                for (label, bySplit) in byLabel.sorted(by: { $0.key < $1.key }) {
                    let parts = DatasetManifest.splits.map { "\($0) \(bySplit[$0] ?? 0)" }.joined(separator: ", ")
                    lines.append("    \(label): \(bySplit.values.reduce(0, +)) (\(parts))")
                }
            }
            for (modality, reasons) in missing.sorted(by: { $0.key < $1.key }) {
                for (reason, n) in reasons.sorted(by: { $0.value > $1.value }) {
                    lines.append("  missing \(modality) in \(n): \(reason)")
                }
            }
            if !failures.isEmpty {
                lines.append("  failures:")
                for f in failures.prefix(50) {
                    lines.append("    \(f["id"]!) (\(f["media"]!), line \(f["line"]!)): \(f["code"]!): \(f["reason"]!)")
                }
                if failures.count > 50 { lines.append("    … \(failures.count - 50) more in summary.json") }
            }
            return lines.joined(separator: "\n")
        }
    }

    /// Writes the three files; returns the summary.
    func write(to root: URL) throws -> Summary {
        var summary = Summary()
        var rows: [[String: Any]] = []
        for (e, outcome) in zip(entries, outcomes) {
            summary.segments += 1
            let item: DatasetItem
            switch outcome {
            case .built(let i): item = i; summary.built += 1
            case .skipped(let i): item = i; summary.skipped += 1
            case .failed(let code, let reason):
                summary.failed += 1
                summary.failures.append(["id": e.id, "media": e.media, "line": "\(e.line)", "code": code, "reason": reason])
                continue
            }
            var labels: [String: Any] = [:]
            for t in tasks {
                guard let l = e.labels[t.name] else { continue }
                labels[t.name] = t.kind == .multiLabel ? l : l[0] as Any
                for label in l { summary.labels[t.name, default: [:]][label, default: [:]][e.split, default: 0] += 1 }
            }
            let tokens = item.transcript.flatMap { $0.allSatisfy(\.isWhitespace) ? nil : tokenizer($0) }
            var c = summary.splits[e.split] ?? [0, 0, 0, 0]
            c[0] += 1
            if tokens != nil { c[1] += 1 }
            if item.frames != nil { c[2] += 1 }
            if item.audio != nil { c[3] += 1 }
            summary.splits[e.split] = c
            for (m, why) in item.missing { summary.missing[m, default: [:]][why, default: 0] += 1 }
            rows.append(["id": e.id, "split": e.split, "media": e.media, "start_ms": e.startMs,
                         "duration_ms": e.durationMs as Any? ?? NSNull(), "frames": item.frames as Any? ?? NSNull(),
                         "audio": item.audio as Any? ?? NSNull(), "transcript": item.transcript as Any? ?? NSNull(),
                         "transcript_source": item.transcriptSource as Any? ?? NSNull(),
                         "token_ids": tokens as Any? ?? NSNull(), "labels": labels, "missing": item.missing])
        }
        let options: JSONSerialization.WritingOptions = [.sortedKeys, .withoutEscapingSlashes]
        // One row per line: readable, and diffable between builds.
        let body = try rows.map { String(decoding: try JSONSerialization.data(withJSONObject: $0, options: options), as: UTF8.self) }
        try ("[\n" + body.joined(separator: ",\n") + "\n]\n").write(to: root.appendingPathComponent("segments.json"), atomically: true, encoding: .utf8)
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try e.encode(tasks).write(to: root.appendingPathComponent("tasks.json"), options: .atomic)
        try JSONSerialization.data(withJSONObject: summary.json, options: options.union(.prettyPrinted))
            .write(to: root.appendingPathComponent("summary.json"), options: .atomic)
        return summary
    }
}
