// `merclip timeline`: one stream's emotion and sentiment over time from Postgres, as a table, CSV or SVG.
import ArgumentParser
import Foundation
import Sinks

struct Timeline: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print or draw one stream's scores over time, smoothed over the last K segments.",
        discussion: """
        Reads the SQL function stream_timeline (schemas/migrations): per segment the newest model version \
        (or --model-version), per label its score and the moving average over the last --smooth segments, \
        and the modalities the segment had. --format svg draws one panel per task and one line per label \
        (the smoothed score), each line named at its end.
        """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, csv, svg }

    @Option(help: "The stream id.") var stream: String
    @Option(help: "Only segments produced at or after this time: RFC 3339, or seconds since the epoch.") var since: String?
    @Option(help: "Moving-average window, in segments.") var smooth: Int = 5
    @Option(help: "Label set of the results.") var labelSet: String = ResultRow.defaultLabelSet
    @Option(help: "Model version (default: the newest per segment).") var modelVersion: String?
    @Option(help: "table, csv or svg.") var format: Format = .table
    @Option(help: "Write to this file instead of standard output.") var output: String?
    @Option(help: "Postgres URL (env MERCLIP_POSTGRES_URL).") var postgres: String?

    func validate() throws {
        if smooth < 1 { throw ValidationError("--smooth must be at least 1 segment, not \(smooth)") }
    }

    func run() throws {
        guard let postgres = postgres ?? ProcessInfo.processInfo.environment["MERCLIP_POSTGRES_URL"] else {
            throw ValidationError("--postgres or MERCLIP_POSTGRES_URL is required")
        }
        let sinceDate = try since.map { try parseTime($0, "--since") }
        let timeline = try StreamTimeline(try PostgresConnection(postgres), stream: stream, since: sinceDate,
                                          smooth: smooth, labelSet: labelSet, modelVersion: modelVersion)
        let text: String
        switch format {
        case .svg: text = TimelineChart(timeline: timeline).svg()
        case .csv: text = rows(timeline, separator: ",", header: true)
        case .table: text = rows(timeline, separator: "\t", header: true)
        }
        if let output {
            try text.write(toFile: output, atomically: true, encoding: .utf8)
        } else {
            print(text, terminator: "")
        }
        if timeline.points.isEmpty {
            FileHandle.standardError.write(Data("timeline: no results for stream \(stream) in label set \(labelSet)\n".utf8))
        }
    }

    private func rows(_ t: StreamTimeline, separator: String, header: Bool) -> String {
        func field(_ s: String) -> String {
            separator == "," && (s.contains(",") || s.contains("\"")) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        var lines = header ? [["time", "segment_id", "task", "label", "score", "smoothed", "modalities", "model_version"]
            .joined(separator: separator)] : []
        for p in t.points {
            lines.append([RFC3339.format(p.at), field(p.segmentID), field(p.task), field(p.label),
                          String(format: "%.4f", p.score), String(format: "%.4f", p.smoothed),
                          field(p.modalities.joined(separator: "+")), field(p.modelVersion)].joined(separator: separator))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
