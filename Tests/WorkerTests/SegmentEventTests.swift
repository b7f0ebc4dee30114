// Segment event validation and media allow-lists: each bad input names the field or URI and the reason.
import Foundation
import Testing
@testable import Worker

@Suite("Segment events")
struct SegmentEventTests {
    let good = #"{"segment_id":"a","stream_id":"s","start_ms":0,"duration_ms":2000,"media":{"uri":"file:///m/x.mp4"},"produced_at":"2026-11-25T10:00:00Z","metadata":{"k":1}}"#

    @Test("a valid event decodes and round-trips")
    func valid() throws {
        let e = try SegmentEvent.decode(Array(good.utf8))
        #expect(e.segmentID == "a" && e.streamID == "s" && e.durationMs == 2000 && e.media == .uri("file:///m/x.mp4"))
        #expect(e.metadataJSON == #"{"k":1}"#)
        #expect(try SegmentEvent.decode(e.encoded()) == e)
    }

    @Test("bad events name the field and the reason", arguments: [
        (#"{"#, "not valid JSON"),
        (#"[1]"#, "not a JSON object"),
        (#"{"stream_id":"s","start_ms":0,"duration_ms":1,"media":{"uri":"file:///x"},"produced_at":"2026-11-25T10:00:00Z"}"#, "missing field 'segment_id'"),
        (#"{"segment_id":"a","stream_id":"s","start_ms":0,"duration_ms":0,"media":{"uri":"file:///x"},"produced_at":"2026-11-25T10:00:00Z"}"#, "'duration_ms' must be ≥ 1"),
        (#"{"segment_id":"a","stream_id":"s","start_ms":"0","duration_ms":1,"media":{"uri":"file:///x"},"produced_at":"2026-11-25T10:00:00Z"}"#, "'start_ms' must be an integer"),
        (#"{"segment_id":"a","stream_id":"s","start_ms":0,"duration_ms":1,"media":{"uri":"ftp://x"},"produced_at":"2026-11-25T10:00:00Z"}"#, "file://, http:// or https://"),
        (#"{"segment_id":"a","stream_id":"s","start_ms":0,"duration_ms":1,"media":{"inline_base64":"!!"},"produced_at":"2026-11-25T10:00:00Z"}"#, "not valid base64"),
        (#"{"segment_id":"a","stream_id":"s","start_ms":0,"duration_ms":1,"media":{"uri":"file:///x"},"produced_at":"yesterday"}"#, "RFC 3339"),
        (#"{"segment_id":"a","stream_id":"s","start_ms":0,"duration_ms":1,"media":{"uri":"file:///x"},"produced_at":"2026-11-25T10:00:00Z","extra":1}"#, "unknown field 'extra'"),
    ])
    func invalid(json: String, reason: String) {
        do {
            _ = try SegmentEvent.decode(Array(json.utf8))
            Issue.record("accepted: \(json)")
        } catch let e as WorkerError {
            #expect(e.reason.contains(reason), "\(e.reason)")
        } catch { Issue.record("\(error)") }
    }

    @Test("file URIs must resolve under a media root; symlinks and .. cannot escape it")
    func mediaRoots() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("roots-\(UUID().uuidString)")
        let inside = root.appendingPathComponent("media")
        try FileManager.default.createDirectory(at: inside, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        try Data("x".utf8).write(to: inside.appendingPathComponent("a.wav"))
        try Data("secret".utf8).write(to: root.appendingPathComponent("outside.wav"))
        try FileManager.default.createSymbolicLink(at: inside.appendingPathComponent("link.wav"),
                                                   withDestinationURL: root.appendingPathComponent("outside.wav"))
        let source = MediaSource(roots: [inside.path], maxBytes: 1000)
        func event(_ uri: String) -> SegmentEvent {
            SegmentEvent(segmentID: "a", streamID: "s", startMs: 0, durationMs: 1, media: .uri(uri))
        }
        if case .file(let p) = try source.resolve(event(inside.appendingPathComponent("a.wav").absoluteString)) {
            #expect(p.hasSuffix("/media/a.wav"))
        } else { Issue.record("expected a file") }
        for bad in [root.appendingPathComponent("outside.wav").absoluteString,
                    inside.absoluteString + "../outside.wav",
                    inside.appendingPathComponent("link.wav").absoluteString,
                    "https://example.com/a.mp4"] {
            #expect(throws: WorkerError.self, "\(bad)") { try source.resolve(event(bad)) }
            do { _ = try source.resolve(event(bad)) } catch let e as WorkerError {
                #expect(e.errorClass == .mediaNotAllowed, "\(bad): \(e)")
            }
        }
        let big = SegmentEvent(segmentID: "b", streamID: "s", startMs: 0, durationMs: 1,
                               media: .inline(Data(count: 2000), formatHint: "wav"))
        do { _ = try source.resolve(big); Issue.record("oversized inline media accepted") } catch let e as WorkerError {
            #expect(e.errorClass == .mediaTooLarge)
        }
    }
}

@Suite("Metrics endpoint")
struct MetricsTests {
    func get(_ port: Int, _ path: String) throws -> (Int, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["curl", "-s", "-o", "-", "-w", "\n%{http_code}", "http://127.0.0.1:\(port)\(path)"]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }

    @Test("/metrics renders counters, gauges and histograms; /healthz and /readyz answer")
    func endpoints() throws {
        let metrics = Metrics()
        metrics.inc("merclip_events_consumed_total", ["topic": "segments"], by: 3)
        metrics.observe("merclip_batch_size", 4)
        metrics.observe("merclip_stage_seconds", ["stage": "model"], 0.3)
        metrics.replace("merclip_consumer_lag", [(["topic": "segments", "partition": "0"], 7)])
        let ready = ReadyFlag()
        let server = try MetricsServer(port: 0, metrics: metrics) { ready.value }
        let (code, body) = try get(server.port, "/metrics")
        #expect(code == 200)
        #expect(body.contains(#"merclip_events_consumed_total{topic="segments"} 3"#))
        #expect(body.contains(#"merclip_batch_size_bucket{le="4"} 1"#) && body.contains(#"merclip_batch_size_bucket{le="2"} 0"#))
        #expect(body.contains(#"merclip_stage_seconds_bucket{stage="model",le="0.5"} 1"#))
        #expect(body.contains(#"merclip_consumer_lag{partition="0",topic="segments"} 7"#))
        #expect(body.contains("# TYPE merclip_end_to_end_seconds histogram"))
        #expect(body.contains("merclip_ready 0"), "the gauge says what /readyz says")
        #expect(try get(server.port, "/healthz").0 == 200)
        #expect(try get(server.port, "/readyz").0 == 503)
        ready.value = true
        #expect(try get(server.port, "/readyz").0 == 200)
        #expect(try get(server.port, "/metrics").1.contains("merclip_ready 1"))
        #expect(try get(server.port, "/nope").0 == 404)
    }
}

final class ReadyFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var v = false
    var value: Bool {
        get { lock.withLock { v } }
        set { lock.withLock { v = newValue } }
    }
}
