// The worker's Postgres sink: idempotent upserts in one transaction, and rows that would poison it.
import Foundation
import Sinks
import TestSupport
import Testing

@Suite("Result writer")
struct ResultWriterTests {
    func row(_ id: String, version: String = "v1", happy: Float, metadata: String = "{}",
             labelSet: String = ResultRow.defaultLabelSet) -> ResultRow {
        ResultRow(segmentID: id, modelVersion: version, task: "emotion", modelName: "m", streamID: "s", startMs: 0,
                  durationMs: 2000, kind: "multi_label", scores: [("happy", happy), ("sad", 1 - happy)],
                  predicted: happy > 0.6 ? ["happy"] : [], modalities: ["vision", "audio"], modelTrained: false,
                  source: ("segments", 1, 7), producedAt: Date(), metadataJSON: metadata, labelSet: labelSet)
    }

    @Test("one segment scored with two label sets keeps both rows; a redelivery of either updates only its own")
    func labelSetsKeptApart() throws {
        let db = try ScratchDatabase(migrated: true)
        let writer = ResultWriter(url: db.url)
        try writer.write(results: [row("a", happy: 0.9), row("a", happy: 0.3, labelSet: "calls")], failures: [])
        try writer.write(results: [row("a", happy: 0.2, labelSet: "calls")], failures: [])
        #expect(try db.query("SELECT label_set, scores->>'happy' FROM results ORDER BY 1")
                == [["calls", "0.2"], ["default", "0.9"]])
        #expect(try db.count("SELECT count(*) FROM latest_results WHERE segment_id = 'a'") == 2)
    }

    @Test("a redelivered batch updates its rows instead of adding more")
    func idempotent() throws {
        let db = try ScratchDatabase(migrated: true)
        let writer = ResultWriter(url: db.url)
        try writer.write(results: [row("a", happy: 0.9), row("b", happy: 0.1)], failures: [])
        try writer.write(results: [row("a", happy: 0.7), row("b", happy: 0.2)], failures: [])
        #expect(try db.query("SELECT segment_id, scores->>'happy', predicted FROM results ORDER BY 1")
                == [["a", "0.7", "{happy}"], ["b", "0.2", "{}"]])
        let failure = FailureRow(segmentID: nil, streamID: nil, stage: "decode", errorClass: "event.bad_json",
                                 reason: "bad", sourceTopic: "segments", sourcePartition: 0, sourceOffset: 3)
        try writer.write(results: [], failures: [failure, failure])
        #expect(try db.count("SELECT count(*) FROM failures") == 1, "one failures row per source offset")
    }

    @Test("NUL characters and \\u0000 escapes are stored, not retried forever")
    func nulBytes() throws {
        let db = try ScratchDatabase(migrated: true)
        let writer = ResultWriter(url: db.url)
        try writer.write(results: [row("nul\u{0}id", happy: 0.5, metadata: #"{"note": "a\u0000b"}"#)],
                         failures: [FailureRow(segmentID: "x\u{0}", streamID: nil, stage: "decode", errorClass: "event.bad_json",
                                               reason: "r", sourceTopic: "segments", sourcePartition: 0, sourceOffset: 1,
                                               payloadExcerpt: "\u{0}\u{1}binary")])
        #expect(try db.query("SELECT segment_id, metadata->>'note' FROM results") == [["nul\u{FFFD}id", "a\u{FFFD}b"]])
        #expect(try db.query("SELECT payload_excerpt FROM failures") == [["\u{FFFD}\u{1}binary"]])
    }

    @Test("an unreachable database is a retriable error; the writer reconnects when it is back")
    func unreachable() throws {
        let writer = ResultWriter(url: "postgresql://u@127.0.0.1:1/db?connect_timeout=2")
        #expect(!writer.ping())
        do {
            try writer.write(results: [row("a", happy: 0.5)], failures: [])
            Issue.record("expected an error")
        } catch let e as PostgresError {
            #expect(e.isRetriable)
        }
    }
}
