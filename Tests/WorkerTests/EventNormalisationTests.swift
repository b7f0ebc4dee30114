// Identifiers are refused with control characters or normalised to NFC once at decode; produced_at is range-checked.
import Foundation
import Sinks
import Testing
@testable import Worker

@Suite("Event normalisation")
struct EventNormalisationTests {
    func event(_ changes: [String: Any]) -> [UInt8] {
        var obj: [String: Any] = ["segment_id": "a", "stream_id": "s", "start_ms": 0, "duration_ms": 1000,
                                  "media": ["uri": "file:///m/x.mp4"], "produced_at": RFC3339.format(Date())]
        for (k, v) in changes { obj[k] = v }
        return Array(try! JSONSerialization.data(withJSONObject: obj))
    }

    static let refused: [(String, String, String)] = [
        ("segment_id", "a\u{0}b", "U+0000"),
        ("segment_id", "a\nlevel=error", "U+000A"),
        ("stream_id", "s\u{1B}[2J", "U+001B"),
        ("stream_id", "s\u{85}", "U+0085"),
        ("segment_id", "a\u{2028}b", "U+2028"),
        ("segment_id", "a\u{202E}b", "U+202E"),
        ("segment_id", "a\u{FFFD}", "U+FFFD"),
        ("label_set", "x\u{7F}", "U+007F"),
        ("segment_id", "   ", "blank"),
        ("segment_id", String(repeating: "é", count: 201), "longer than 200"),
        ("segment_id", "e" + String(repeating: "\u{301}", count: 900), "800 UTF-8 bytes"),
    ]

    @Test("identifiers with control characters, blanks or past the caps are refused, naming the field", arguments: refused)
    func refusedIdentifiers(_ field: String, _ value: String, _ words: String) {
        do {
            _ = try SegmentEvent.decode(event([field: value]))
            Issue.record("accepted \(value.debugDescription)")
        } catch let e as WorkerError {
            #expect(e.errorClass == .schema)
            #expect(e.reason.contains(field) && e.reason.contains(words), "\(e.reason)")
            #expect(!e.reason.contains("\n"), "the reason cannot forge a log line")
        } catch { Issue.record("\(error)") }
    }

    @Test("identifiers are NFC: the same key for both sinks")
    func nfc() throws {
        let e = try SegmentEvent.decode(event(["segment_id": "cafe\u{301}", "stream_id": "A\u{30A}"]))
        #expect(e.segmentID.unicodeScalars.map(\.value) == "caf\u{E9}".unicodeScalars.map(\.value))
        #expect(e.streamID.unicodeScalars.map(\.value) == [0xC5])
        #expect(try SegmentEvent.decode(event(["segment_id": "😀-分段"])).segmentID == "😀-分段")
    }

    @Test("produced_at must lie between 2000 and a day ahead")
    func producedRange() throws {
        for bad in ["0001-01-01T00:00:00Z", "1999-12-31T23:59:59Z", RFC3339.format(Date().addingTimeInterval(2 * 86_400))] {
            #expect(throws: WorkerError.self, "\(bad)") { try SegmentEvent.decode(event(["produced_at": bad])) }
        }
        for good in ["2000-01-01T00:00:00Z", "2026-11-25T10:00:00Z", RFC3339.format(Date().addingTimeInterval(3600))] {
            #expect(try SegmentEvent.decode(event(["produced_at": good])).producedAt == RFC3339.parse(good))
        }
        do { _ = try SegmentEvent.decode(event(["produced_at": "not\na date"])) } catch let e as WorkerError {
            #expect(!e.reason.contains("\n"), "\(e.reason)")
        }
    }

    @Test("NUL in metadata is refused (jsonb cannot hold it, so the sinks would differ)")
    func metadataNUL() {
        #expect(throws: WorkerError.self) { try SegmentEvent.decode(event(["metadata": ["k": "a\u{0}"]])) }
    }
}
