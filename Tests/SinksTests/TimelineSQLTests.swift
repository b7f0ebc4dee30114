// stream_timeline(): one stream's scores over time with a moving average, per label, on the real Postgres.
import Foundation
import Sinks
import TestSupport
import Testing

@Suite("Stream timeline SQL")
struct TimelineSQLTests {
    /// Segment i of stream s1 at minute i, happy = i/10; one segment of another stream; one other label set.
    func seed(_ url: String) throws {
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        var rows: [ResultRow] = (0..<5).map { i in
            ResultRow(segmentID: "s1-\(i)", modelVersion: "v1", task: "emotion", modelName: "m", streamID: "s1",
                      startMs: Int64(i) * 2000, durationMs: 2000, kind: "multi_label",
                      scores: [("happy", Float(i) / 10), ("sad", 0.5)], predicted: [],
                      modalities: i == 0 ? ["audio"] : ["vision", "audio"], modelTrained: true,
                      producedAt: t0.addingTimeInterval(Double(i) * 60))
        }
        rows.append(ResultRow(segmentID: "s2-0", modelVersion: "v1", task: "emotion", modelName: "m", streamID: "s2",
                              startMs: 0, durationMs: 2000, kind: "multi_label", scores: [("happy", 1)], predicted: [],
                              modalities: ["vision"], modelTrained: true, producedAt: t0))
        var other = rows[0]
        other.labelSet = "calls"
        other.scores = [("calm", 1)]
        rows.append(other)
        try ResultWriter(url: url).write(results: rows, failures: [])
    }

    @Test("moving average over the last k segments of each label, the stream's own rows and label set only")
    func movingAverage() throws {
        let db = try ScratchDatabase(migrated: true)
        try seed(db.url)
        let happy = try db.query("""
            SELECT segment_id, round(score::numeric, 2), round(smoothed::numeric, 2), array_length(modalities, 1)
            FROM stream_timeline('s1', smooth => 2) WHERE label = 'happy' ORDER BY at
            """)
        #expect(happy == [["s1-0", "0.00", "0.00", "1"], ["s1-1", "0.10", "0.05", "2"], ["s1-2", "0.20", "0.15", "2"],
                          ["s1-3", "0.30", "0.25", "2"], ["s1-4", "0.40", "0.35", "2"]])
        #expect(try db.count("SELECT count(*) FROM stream_timeline('s1')") == 10, "5 segments × 2 labels")
        #expect(try db.query("SELECT label FROM stream_timeline('s1', set_name => 'calls')") == [["calm"]])
        let since = try db.query("""
            SELECT count(DISTINCT segment_id) FROM stream_timeline('s1', since => to_timestamp(1800000000 + 120))
            """)
        #expect(since == [["3"]])
    }
}
