// `merclip timeline` on a generated stream in the real Postgres: the SVG's structure and the CSV's rows.
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Sinks
import TestSupport
import Testing

@Suite("Timeline command")
struct TimelineCLITests {
    /// A generated stream: 20 segments a minute apart, emotion (6 labels) and sentiment (2 labels).
    func generatedStream() throws -> ScratchDatabase {
        let db = try ScratchDatabase(migrated: true)
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let emotions = ["happy", "sad", "angry", "surprise", "disgust", "fear"]
        var rows: [ResultRow] = []
        for i in 0..<20 {
            let phase = Double(i) / 19
            func row(_ task: String, _ kind: String, _ scores: [(String, Float)]) -> ResultRow {
                ResultRow(segmentID: "gen-\(i)", modelVersion: "v1", task: task, modelName: "m", streamID: "gen",
                          startMs: Int64(i) * 2000, durationMs: 2000, kind: kind, scores: scores, predicted: [],
                          modalities: ["vision", "audio", "language"], modelTrained: true,
                          producedAt: t0.addingTimeInterval(Double(i) * 60))
            }
            rows.append(row("emotion", "multi_label", emotions.enumerated().map { k, l in
                (l, Float(0.5 + 0.4 * sin(phase * 6 + Double(k)))) }))
            rows.append(row("sentiment", "single_label", [("positive", Float(phase)), ("negative", Float(1 - phase))]))
        }
        try ResultWriter(url: db.url).write(results: rows, failures: [])
        return db
    }

    @Test("svg: a panel per task, one path per label with as many points as segments, labelled; axes with time")
    func svgStructure() throws {
        let db = try generatedStream()
        let svg = try run(merclipBinary(), ["timeline", "--stream", "gen", "--format", "svg", "--smooth", "3",
                                            "--postgres", db.url])
        let doc = try XMLDocument(data: Data(svg.utf8))
        // attributes are read as XPath attribute nodes (element attribute lookup misses them in a namespaced document)
        func values(_ xpath: String) throws -> [String] { try doc.nodes(forXPath: xpath).map { $0.stringValue ?? "" } }
        #expect(try values("//*[@class='panel']/@data-task") == ["emotion", "sentiment"])
        for (task, labels) in [("emotion", 6), ("sentiment", 2)] {
            let series = "//*[@data-task='\(task)']/*[@class='series']"
            let paths = try values(series + "/@d"), names = try values(series + "/@data-label")
            #expect(paths.count == labels && names.count == labels, "one path per label of \(task)")
            for d in paths { #expect(d.split(separator: " ").count == 20, "a point per segment in \(d.prefix(40))") }
            #expect(try values("//*[@data-task='\(task)']/*[@class='series-label']") == names, "each line is named")
            let ticks = try doc.nodes(forXPath: "//*[@data-task='\(task)']/*[@class='axis x']/*[local-name()='text']")
                .map { $0.stringValue ?? "" }
            #expect(ticks.contains("08:00:00") && ticks.contains("time (UTC)"), "time axis ticks: \(ticks)")
            #expect(try doc.nodes(forXPath: "//*[@data-task='\(task)']/*[@class='axis y']").count == 1)
        }
    }

    @Test("csv: a row per segment and label with the moving average; --since cuts the start; unknown stream is empty")
    func csvRows() throws {
        let db = try generatedStream()
        let csv = try run(merclipBinary(), ["timeline", "--stream", "gen", "--format", "csv", "--smooth", "2",
                                            "--since", "1800000600", "--postgres", db.url])
        let lines = csv.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        #expect(lines.first == ["time", "segment_id", "task", "label", "score", "smoothed", "modalities", "model_version"])
        let positive = lines.filter { $0[3] == "positive" }
        #expect(positive.count == 10, "segments 10…19")
        let scores = positive.map { Double($0[4])! }, smoothed = positive.map { Double($0[5])! }
        for i in 1..<positive.count { #expect(abs(smoothed[i] - (scores[i] + scores[i - 1]) / 2) < 1e-3) }
        let empty = try runProcess(merclipBinary(), ["timeline", "--stream", "nope", "--format", "csv", "--postgres", db.url])
        #expect(empty.status == 0 && empty.stdout.split(separator: "\n").count == 1 && empty.stderr.contains("no results for stream nope"))
        let bad = try runProcess(merclipBinary(), ["timeline", "--stream", "gen", "--smooth", "0", "--postgres", db.url])
        #expect(bad.status != 0 && bad.stderr.contains("--smooth"))
    }
}
