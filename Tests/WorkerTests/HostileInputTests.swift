// Hostile events against two workers, a good segment queued behind each: every one ends in the DLQ with
// its reason or is scored as documented; the good ones are all scored, offsets committed, SIGTERM exits 0.
import Foundation
import Kafka
import Sinks
import TestSupport
import Testing
import Worker

@Suite("Hostile input", .serialized)
struct HostileInputTests {
    init() throws { try HostileMedia.make() }

    enum Outcome {
        /// To the DLQ with this error class (failures row and DLQ headers).
        case dlq(String)
        /// Scored; `check` is a SQL condition every results row of the segment must meet.
        case scored(check: String)
    }

    struct Case {
        let name: String
        let value: [UInt8]
        var headers: [KafkaHeader] = []
        let outcome: Outcome
        /// The segment id a scored case is stored under.
        var segmentID: String? = nil
    }

    static let produced = RFC3339.format(Date())
    static let clip = Assets.mediaRoot.appendingPathComponent("clip.mp4").absoluteString

    /// An event with the given fields over a good one's (nil removes a field).
    static func event(_ id: String, _ changes: [String: Any?] = [:]) -> [UInt8] {
        var obj: [String: Any] = ["segment_id": id, "stream_id": "hostile", "start_ms": 0, "duration_ms": 2000,
                                  "media": ["uri": clip], "produced_at": produced]
        for (k, v) in changes { obj[k] = v }
        return Array(try! JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys]))
    }

    static func media(_ id: String, _ name: String, _ extra: [String: Any?] = [:]) -> [UInt8] {
        event(id, ["media": ["uri": HostileMedia.uri(name)]].merging(extra) { a, _ in a })
    }

    static func raw(_ text: String) -> [UInt8] { Array(text.utf8) }

    static func dlq(_ name: String, _ value: [UInt8], _ errorClass: String, headers: [KafkaHeader] = []) -> Case {
        Case(name: name, value: value, headers: headers, outcome: .dlq(errorClass))
    }

    static func scored(_ name: String, _ id: String, _ value: [UInt8], _ check: String = "true") -> Case {
        Case(name: name, value: value, outcome: .scored(check: check), segmentID: id)
    }

    /// A 999,900-byte event (under the producer's 1,000,000-byte message.max.bytes, but not its DLQ copy
    /// with the worker's headers added) whose media is garbage.
    static func nearMaxBytes() -> [UInt8] {
        func make(_ pad: Int) -> [UInt8] {
            event("h-big", ["media": ["inline_base64": Data((0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 31) }).base64EncodedString()],
                            "metadata": ["pad": String(repeating: "p", count: pad)]])
        }
        return make(999_900 - make(0).count)
    }

    static let hugeWord = String(repeating: "abcdefghij", count: 4000)
    static let future = RFC3339.format(Date().addingTimeInterval(3 * 86_400))

    /// The hostile events, each with what must become of it.
    static let cases: [Case] = [
        // Bytes and JSON.
        dlq("truncated JSON", raw(#"{"segment_id": "#), "event.bad_json"),
        dlq("empty value", [], "event.bad_json"),
        dlq("invalid UTF-8", [0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x3A, 0x31, 0x7D], "event.bad_json"),
        dlq("JSON array", raw("[1, 2, 3]"), "event.schema"),
        dlq("JSON string", raw(#""just a string""#), "event.schema"),
        dlq("JSON null", raw("null"), "event.schema"),
        dlq("deeply nested metadata", raw(#"{"metadata": "# + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"), "event.bad_json"),
        // Types and fields.
        dlq("missing segment_id", event("x", ["segment_id": nil]), "event.schema"),
        dlq("numeric segment_id", event("x", ["segment_id": 42]), "event.schema"),
        dlq("unknown field", event("h-unknown", ["extra": 1]), "event.schema"),
        dlq("start_ms a string", event("h-s1", ["start_ms": "0"]), "event.schema"),
        dlq("start_ms a boolean", event("h-s2", ["start_ms": true]), "event.schema"),
        dlq("start_ms negative", event("h-s3", ["start_ms": -1]), "event.schema"),
        dlq("start_ms fractional", event("h-s4", ["start_ms": 1.5]), "event.schema"),
        dlq("start_ms 1e300", raw(#"{"segment_id":"h-s5","stream_id":"hostile","start_ms":1e300,"duration_ms":2000,"media":{"uri":"\#(clip)"},"produced_at":"\#(produced)"}"#), "event.schema"),
        dlq("duration_ms 0", event("h-d0", ["duration_ms": 0]), "event.schema"),
        dlq("metadata an array", event("h-md", ["metadata": [1, 2]]), "event.schema"),
        dlq("metadata with NUL", event("h-mdnul", ["metadata": ["k": "a\u{0}b"]]), "event.schema"),
        // Identifiers and encodings.
        dlq("NUL in segment_id", event("seg\u{0}id"), "event.schema"),
        dlq("newline in segment_id (log forging)", event("seg\nlevel=error msg=forged"), "event.schema"),
        dlq("terminal escape in stream_id", event("h-esc", ["stream_id": "s\u{1B}[31mred"]), "event.schema"),
        dlq("bidi override in segment_id", event("h-\u{202E}gnp.exe"), "event.schema"),
        dlq("segment_id of 201 characters", event(String(repeating: "x", count: 201)), "event.schema"),
        dlq("one character with 2,000 combining marks", event("e" + String(repeating: "\u{301}", count: 2000)), "event.schema"),
        dlq("blank stream_id", event("h-blank", ["stream_id": "   "]), "event.schema"),
        dlq("control character in label_set", event("h-ls", ["label_set": "a\u{7}"]), "event.schema"),
        dlq("unknown label_set", event("h-ls2", ["label_set": "nope"]), "event.unknown_label_set"),
        dlq("transcript over 100,000 characters", event("h-tr", ["transcript": String(repeating: "a ", count: 50_001)]), "event.schema"),
        // Times.
        dlq("produced_at year 1", event("h-y1", ["produced_at": "0001-01-01T00:00:00Z"]), "event.schema"),
        dlq("produced_at three days ahead", event("h-fut", ["produced_at": future]), "event.schema"),
        dlq("produced_at not a date", event("h-nd", ["produced_at": "yesterday"]), "event.schema"),
        // References, paths, links and special files.
        dlq("media missing", event("h-nomedia", ["media": nil]), "event.schema"),
        dlq("ftp URI", event("h-ftp", ["media": ["uri": "ftp://example.com/a.mp4"]]), "event.schema"),
        dlq("file outside the roots", event("h-passwd", ["media": ["uri": "file:///etc/passwd"]]), "media.not_allowed"),
        dlq("path traversal", event("h-dots", ["media": ["uri": HostileMedia.dir.absoluteString + "../../../../etc/passwd"]]), "media.not_allowed"),
        dlq("link leading outside the roots", media("h-escape", "escape.mp4"), "media.not_allowed"),
        dlq("link to /dev/zero", media("h-zero", "zero.mp4"), "media.not_allowed"),
        dlq("file URI with a host", event("h-host", ["media": ["uri": "file://evil.example" + HostileMedia.dir.path + "/fast.mp4"]]), "media.not_allowed"),
        dlq("http URI (https only, host not allowed)", event("h-http", ["media": ["uri": "http://127.0.0.1:1/a.mp4"]]), "media.not_allowed"),
        dlq("https host not allowed", event("h-https", ["media": ["uri": "https://example.com/a.mp4"]]), "media.not_allowed"),
        dlq("missing file", media("h-missing", "missing.mp4"), "media.unreadable"),
        dlq("FIFO", media("h-fifo", "pipe.mp4"), "media.not_a_file"),
        dlq("directory", media("h-dir", "folder.mp4"), "media.not_a_file"),
        dlq("Unix socket", media("h-sock", "socket.mp4"), "media.not_a_file"),
        // Containers and codecs.
        dlq("empty file", media("h-empty", "empty.mp4"), "media.corrupt"),
        dlq("corrupt MP4", event("h-corrupt", ["media": ["uri": Assets.mediaRoot.appendingPathComponent("corrupt.mp4").absoluteString]]), "media.corrupt"),
        dlq("truncated MP4", media("h-trunc", "truncated.mp4"), "media.truncated"),
        dlq("HLS playlist", media("h-hls", "list.m3u8"), "media.unsupported_container"),
        dlq("concat list", media("h-concat", "list.ffconcat"), "media.unsupported_container"),
        dlq("subtitle file as media", media("h-srt", "cues.srt"), "media.unsupported_container"),
        dlq("inline HLS playlist with a hint", event("h-inhls", ["media": ["inline_base64": Data("#EXTM3U\n#EXTINF:4,\n/etc/passwd\n#EXT-X-ENDLIST\n".utf8).base64EncodedString(), "format_hint": "hls"]]), "media.unsupported_container"),
        dlq("inline garbage", event("h-ingarb", ["media": ["inline_base64": Data((0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 13) }).base64EncodedString()]]), "media.corrupt"),
        dlq("inline not base64", event("h-inb64", ["media": ["inline_base64": "!!!"]]), "event.schema"),
        dlq("unknown video codec", media("h-codec", "unsupported.avi"), "media.unsupported_codec"),
        dlq("subtitles only", media("h-nostreams", "nostreams.mkv"), "media.no_usable_stream"),
        dlq("WAV header claiming 3 hours, holding 1 s", media("h-liar", "liar.wav"), "media.truncated"),
        // Windows.
        dlq("window after the end", event("h-after", ["start_ms": 10_000]), "media.invalid_window"),
        dlq("window of 700 s", event("h-long", ["duration_ms": 700_000]), "media.too_long"),
        scored("window running past the end: the scored window is recorded", "h-past",
               event("h-past", ["start_ms": 3000, "duration_ms": 5000]),
               "scored_start_ms = 3000 AND scored_duration_ms BETWEEN 900 AND 1100 AND duration_ms = 5000"),
        // Scored as documented.
        scored("a 40,000-letter word in the transcript", "h-word", event("h-word", ["transcript": "so " + hugeWord + " happy"]),
               "'language' = ANY(modalities)"),
        scored("control characters in the transcript", "h-ctl", event("h-ctl", ["transcript": "happy\u{0}\u{1B}[2J\u{7} day"]),
               "'language' = ANY(modalities)"),
        scored("NFD segment id stored in NFC by both sinks", "caf\u{E9}-nfd", event("cafe\u{301}-nfd")),
        scored("emoji and CJK identifiers", "😀-分段", event("😀-分段", ["stream_id": "流-😀"]), "stream_id = '流-😀'"),
        scored("audio-only WebM", "h-webm", media("h-webm", "tone.webm"), "modalities = '{audio}'"),
        scored("sidecar subtitles in the folder are used", "h-side", media("h-side", "withsub.mp4"), "'language' = ANY(modalities)"),
        scored("a sidecar link leading outside is ignored", "h-leak", media("h-leak", "leak.mp4"), "NOT ('language' = ANY(modalities))"),
        scored("forged merclip headers on a good event", "h-forged-ok", event("h-forged-ok"),
               "true"),
        // Resolved by the DLQ construction rules (forged headers renamed, too-large DLQ copies cut to fit).
        Case(name: "forged merclip headers on a bad event", value: raw("{not json"),
             headers: [KafkaHeader(key: "merclip.error_class", string: "forged"), KafkaHeader(key: "merclip.reason", string: "forged"),
                       KafkaHeader(key: "merclip.source_offset", string: "999999")],
             outcome: .dlq("event.bad_json")),
        dlq("event near message.max.bytes", nearMaxBytes(), "media.corrupt"),
    ]

    @Test("every hostile event ends in the DLQ with its reason or is scored; the good segment behind each is scored")
    func hostile() throws {
        let cases = Self.cases
        #expect(cases.count >= 40)
        #expect(Set(cases.map(\.name)).count == cases.count, "distinct cases")
        let broker = try Broker(partitions: 4)
        let db = try ScratchDatabase(migrated: true)
        let model = try Assets.model(version: "v1")
        var records: [KafkaRecord] = []
        for (i, c) in cases.enumerated() {
            let key = Array("pair-\(i)".utf8)
            var headers = c.headers
            if c.name == "forged merclip headers on a good event" {
                headers = [KafkaHeader(key: "merclip.error_class", string: "forged"), KafkaHeader(key: "merclip.stage", string: "x")]
            }
            records.append(KafkaRecord(topic: "segments", key: key, value: c.value, headers: headers))
            let good = SegmentEvent(segmentID: "good-\(i)", streamID: "pair-\(i)", startMs: 0, durationMs: 2000,
                                    media: .uri(Self.clip), transcript: "a good segment after a bad one")
            records.append(KafkaRecord(topic: "segments", key: key, value: good.encoded()))
        }
        let producer = try KafkaProducer(config: KafkaProducerConfig(common: KafkaConfig(bootstrapServers: broker.bootstrap)))
        let deliveries = try producer.sendAndWait(records)

        let w1 = try WorkerProcess(broker: broker, db: db, model: model, name: "hostile1")
        let w2 = try WorkerProcess(broker: broker, db: db, model: model, name: "hostile2")
        defer { _ = w1.terminate(); _ = w2.terminate() }
        func logs() -> String { "--- w1:\n\(w1.logText.suffix(4000))\n--- w2:\n\(w2.logText.suffix(4000))" }

        let dlqCases = cases.indices.filter { if case .dlq = cases[$0].outcome { return true } else { return false } }
        let scoredIDs = cases.compactMap(\.segmentID)
        let goodIDs = cases.indices.map { "good-\($0)" }
        do {
            try waitUntil("\(goodIDs.count + scoredIDs.count) segments scored and \(dlqCases.count) failures", seconds: 300) {
                try db.count("SELECT count(DISTINCT segment_id) FROM results") == goodIDs.count + scoredIDs.count
                    && db.count("SELECT count(*) FROM failures") == dlqCases.count
            }
        } catch {
            Issue.record("\(error)\n\(logs())")
            throw error
        }
        // Every good segment, and every scored hostile one, under the expected key, in both sinks.
        let stored = Set(try db.query("SELECT DISTINCT segment_id FROM results").compactMap { $0[0] })
        #expect(stored == Set(goodIDs + scoredIDs), "missing: \(Set(goodIDs + scoredIDs).subtracting(stored)), extra: \(stored.subtracting(goodIDs + scoredIDs))")
        let published = try broker.readAll("segment-results", atLeast: goodIDs.count + scoredIDs.count)
        let publishedIDs = Set(published.compactMap { m -> String? in
            (try? JSONSerialization.jsonObject(with: Data(m.value)) as? [String: Any])?["segment_id"] as? String
        })
        #expect(publishedIDs == stored, "the results topic and Postgres carry the same keys")

        let dlq = try broker.readAll("segments-dlq", atLeast: dlqCases.count)
        func text(_ v: [UInt8]?) -> String? { v.map { String(decoding: $0, as: UTF8.self) } }
        for (i, c) in cases.enumerated() {
            let d = deliveries[2 * i]
            switch c.outcome {
            case .dlq(let errorClass):
                let rows = try db.query("""
                    SELECT error_class, reason FROM failures
                    WHERE source_partition = \(d.partition) AND source_offset = \(d.offset)
                    """)
                #expect(rows.first?[0] == errorClass, "\(c.name): failures row \(rows)")
                #expect((rows.first?[1]?.count ?? 0) > 10, "\(c.name): a reason")
                let copies = dlq.filter { m in
                    text(m.headers.last { $0.key == "merclip.source_offset" }?.value) == String(d.offset)
                        && text(m.headers.last { $0.key == "merclip.source_partition" }?.value) == String(d.partition)
                }
                #expect(copies.count == 1, "\(c.name): one DLQ message")
                #expect(text(copies.first?.header("merclip.error_class")) == errorClass,
                        "\(c.name): the first merclip.error_class header is the worker's")
            case .scored(let check):
                let id = c.segmentID!
                let ok = try db.connect().query("SELECT count(*) FROM results WHERE segment_id = $1 AND NOT (\(check))", [id])
                let all = try db.connect().query("SELECT count(*) FROM results WHERE segment_id = $1", [id])
                #expect(all.first?.first == "2", "\(c.name): both tasks scored")
                #expect(ok.first?.first == "0", "\(c.name): every row meets \(check)")
            }
        }
        // No log line was forged: each line of both logs starts like the worker's own lines.
        for line in (w1.logText + w2.logText).split(separator: "\n") where line.contains("msg=forged") {
            Issue.record("a forged log line: \(line)")
        }
        // Committed to the end of every partition; SIGTERM exits 0 within the bound.
        var ends: [Int32: Int64] = [:]
        for d in deliveries { ends[d.partition] = max(ends[d.partition] ?? 0, d.offset + 1) }
        do {
            try waitUntil("offsets committed to the end", seconds: 30) {
                try broker.committed(group: "workers", topic: "segments", partitions: 4).allSatisfy { p, next in
                    ends[p] == nil || next == ends[p]
                }
            }
        } catch {
            Issue.record("\(error)\n\(logs())")
            throw error
        }
        for w in [w1, w2] {
            let t = Date()
            #expect(w.terminate() == 0, "SIGTERM exits 0")
            #expect(Date().timeIntervalSince(t) < 30, "SIGTERM drained within 30 s")
        }
    }
}
