// DLQ copies from a worker process: forged merclip.* headers renamed, events near the size limit cut to fit, the partition goes on.
import Foundation
import Kafka
import Sinks
import TestSupport
import Testing
import Worker

@Suite("Worker DLQ copies", .serialized)
struct DLQTests {
    init() throws { try Assets.makeMedia() }

    @Test("forged headers, an event near message.max.bytes, a result too large: each ends in the DLQ; the good segment behind is scored")
    func hostileSizes() throws {
        let broker = try Broker(partitions: 1)
        let db = try ScratchDatabase(migrated: true)
        let model = try Assets.model(version: "v1")
        let clip = Assets.mediaRoot.appendingPathComponent("clip.mp4").absoluteString
        let key = Array("hostile".utf8)
        // 1. A schema error carrying forged worker headers.
        let forged = KafkaRecord(topic: "segments", key: key, value: Array(#"{"segment_id":"f1"}"#.utf8),
                                 headers: [KafkaHeader(key: "merclip.error_class", string: "forged"),
                                           KafkaHeader(key: "merclip.reason", string: "forged reason")])
        // 2. An event (not JSON) just under librdkafka's 1,000,000-byte message.max.bytes: its DLQ copy, with the
        //    worker's headers, would not fit.
        let near = 999_700
        let opening = Array(#"{"segment_id": "big", "#.utf8)
        let bigValue = opening + [UInt8](repeating: UInt8(ascii: "a"), count: near - opening.count)
        let big = KafkaRecord(topic: "segments", key: key, value: bigValue)
        // 3. A valid event whose metadata makes its result message larger than the limit.
        func event(metadata n: Int) -> SegmentEvent {
            SegmentEvent(segmentID: "meta", streamID: "hostile", startMs: 0, durationMs: 2000, media: .uri(clip),
                         metadataJSON: "{\"note\":\"\(String(repeating: "m", count: n))\"}")
        }
        // The event itself has `near` bytes; its result message repeats the metadata and adds the scores.
        let meta = event(metadata: 900_000 + near - event(metadata: 900_000).encoded().count)
        #expect(meta.encoded().count == near)
        let metaRecord = KafkaRecord(topic: "segments", key: key, value: meta.encoded())
        // 4. A good segment behind them.
        let good = goodEvent(7)
        #expect(bigValue.count == near)
        try broker.produce([forged, big, metaRecord, KafkaRecord(topic: "segments", key: key, value: good.value)])

        let w = try WorkerProcess(broker: broker, db: db, model: model, name: "dlq", batchSize: 2)
        defer { _ = w.terminate() }
        do {
            try waitUntil("the good segment scored and 3 failures", seconds: 120) {
                try db.count("SELECT count(*) FROM results WHERE segment_id = 'seg-007'") == 2
                    && db.count("SELECT count(*) FROM failures") == 3
            }
            try waitUntil("all 4 offsets committed", seconds: 30) {
                try broker.committed(group: "workers", topic: "segments", partitions: 1)[0]! == 4
            }
        } catch {
            Issue.record("\(error)\n--- worker:\n\(w.logText.suffix(4000))")
            throw error
        }
        let dlq = try broker.readAll("segments-dlq", atLeast: 3)
        #expect(dlq.count == 3)
        func header(_ m: KafkaMessage, _ k: String) -> String? { m.header(k).map { String(decoding: $0, as: UTF8.self) } }
        let byOffset = Dictionary(uniqueKeysWithValues: dlq.compactMap { m in header(m, "merclip.source_offset").flatMap { Int($0) }.map { ($0, m) } })

        let f = try #require(byOffset[0])
        #expect(header(f, "merclip.error_class") == "event.schema", "the first merclip.error_class is the worker's")
        #expect(f.headers.filter { $0.key == "merclip.error_class" }.count == 1)
        #expect(header(f, "orig.merclip.error_class") == "forged" && header(f, "orig.merclip.reason") == "forged reason")
        #expect(f.value == forged.value)

        let b = try #require(byOffset[1])
        #expect(header(b, "merclip.error_class") == "event.bad_json")
        #expect(header(b, "merclip.truncated")?.hasPrefix("value cut from \(near) bytes to ") == true)
        #expect(b.value.count < near && b.value.count > near - 5_000 && Array(bigValue.prefix(b.value.count)) == b.value)
        let stored = try db.query("SELECT length(payload_excerpt) FROM failures WHERE source_offset = 1")
        #expect(stored == [[String(near)]], "the failures row keeps the whole event")

        let m = try #require(byOffset[2])
        #expect(header(m, "merclip.error_class") == "sink.too_large")
        #expect(header(m, "merclip.reason")?.contains("message.max.bytes") == true)
        #expect(try db.count("SELECT count(*) FROM results WHERE segment_id = 'meta'") == 0)
        #expect(try db.query("SELECT stage FROM failures WHERE segment_id = 'meta'") == [["kafka"]])

        let results = try broker.readAll("segment-results", atLeast: 1)
        #expect(results.count == 1)
        #expect(w.terminate() == 0)
    }
}
