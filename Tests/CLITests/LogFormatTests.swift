// The worker's log lines: text (the default) and JSON, values escaped so that input cannot add lines or fields.
import Foundation
import TestSupport
import Testing

@Suite("Log lines")
struct LogFormatTests {
    /// A media root holding a newline, a quote, a backslash and something that looks like fields.
    let hostile = "/srv/a\nb\" level=error x=y \\ end"

    func isTimestamped(_ line: String) -> Bool {
        line.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z [a-z]+ [A-Za-z0-9_.-]+: "#, options: .regularExpression) != nil
    }

    @Test("text: every line is TIME LEVEL COMPONENT: message; a value with a newline and x=y stays in one quoted field")
    func text() throws {
        let run = try runWorker(unreachableServices + ["--media-root", hostile], until: "Postgres does not answer")
        #expect(!run.lines.isEmpty)
        for line in run.lines { #expect(isTimestamped(line), "not a log line: \(line)") }
        let metrics = run.lines.filter { $0.contains(" info worker: metrics ") }
        #expect(metrics.count == 1, "\(run.stderr)")
        #expect(metrics.first?.contains(#"media_roots="/srv/a\nb\" level=error x=y \\ end""#) == true, "\(run.stderr)")
        #expect(!run.lines.contains { $0.hasPrefix("b") }, "the newline must not start a line")
        #expect(run.lines.contains { $0.contains(" warn worker: model is UNTRAINED") })
    }

    @Test("json: every line is one object; the hostile value comes back as it was given")
    func json() throws {
        let run = try runWorker(unreachableServices + ["--media-root", hostile, "--log-format", "json"],
                                until: "Postgres does not answer")
        var objects: [[String: Any]] = []
        for line in run.lines {
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object != nil, "not a JSON object: \(line)")
            if let object { objects.append(object) }
        }
        for o in objects {
            #expect(o["time"] is String && o["level"] is String && o["component"] is String && o["message"] is String)
        }
        let metrics = objects.first { $0["message"] as? String == "metrics" }
        #expect(metrics?["media_roots"] as? String == hostile, "\(run.stderr)")
        #expect(metrics?["port"] is NSNumber, "numbers stay numbers")
        let consuming = objects.first { $0["message"] as? String == "consuming" }
        #expect(consuming?["level"] as? String == "info" && consuming?["component"] as? String == "worker")
    }

    @Test("the engine's warnings are log lines too: generic OpenBLAS kernels (OPENBLAS_CORETYPE=Prescott) give one json warn line")
    func engineWarning() throws {
        let run = try runWorker(unreachableServices + ["--log-format", "json"], env: ["OPENBLAS_CORETYPE": "Prescott"],
                                until: "Postgres does not answer")
        var engine: [[String: Any]] = []
        for line in run.lines {
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object != nil, "not a JSON object: \(line)")
            if let object, object["component"] as? String == "engine" { engine.append(object) }
        }
        let generic = engine.filter { ($0["message"] as? String)?.contains("generic Prescott kernels") == true }
        #expect(generic.count == 1, "\(run.stderr)")
        #expect(generic.first?["level"] as? String == "warn", "\(run.stderr)")
    }

    @Test("the level and format come from MERCLIP_LOG_LEVEL and MERCLIP_LOG_FORMAT too; below the level nothing is written")
    func levelFromEnvironment() throws {
        let run = try runWorker(unreachableServices, env: ["MERCLIP_LOG_LEVEL": "warn", "MERCLIP_LOG_FORMAT": "json"],
                                until: "Postgres does not answer")
        let levels = run.lines.compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["level"] as? String
        }
        #expect(levels.count == run.lines.count, "every line is JSON: \(run.stderr)")
        #expect(levels.contains("warn"), "\(run.stderr)")
        #expect(!levels.contains("info"), "info lines are below warn: \(run.stderr)")
    }
}
