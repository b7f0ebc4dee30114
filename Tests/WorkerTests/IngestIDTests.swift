// `merclip ingest` of several files into one stream: distinct segment ids, the same ids when run again.
import Foundation
import Kafka
import TestSupport
import Testing
import Worker

@Suite("Ingest segment ids", .serialized)
struct IngestIDTests {
    @Test("two files in one stream get distinct, stable ids")
    func distinctAndStable() throws {
        try Assets.makeMedia()
        let dir = Assets.dir.appendingPathComponent("ingest-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for (name, freq) in [("a.wav", 300), ("b.wav", 500)] {
            _ = try run("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
                                   "-i", "sine=frequency=\(freq):sample_rate=16000:duration=2", dir.appendingPathComponent(name).path])
        }
        let broker = try Broker(partitions: 1)
        let files = ["a.wav", "b.wav"].map { dir.appendingPathComponent($0).path }
        let args = ["ingest", "--brokers", broker.bootstrap, "--topic", "segments", "--stream-id", "S", "--segment-seconds", "1"]
        _ = try run(merclipBinary(), args + files)
        _ = try run(merclipBinary(), args + files.reversed())
        let events = try broker.readAll("segments", atLeast: 8).map { try SegmentEvent.decode($0.value) }
        #expect(events.count == 8)
        let first = events.prefix(4).map(\.segmentID), second = events.suffix(4).map(\.segmentID)
        #expect(Set(first).count == 4, "distinct ids for 2 files x 2 windows: \(first)")
        #expect(Set(first) == Set(second), "the same ids when ingested again, in any order")
        #expect(first.allSatisfy { $0.hasPrefix("S-") }, "\(first)")
        #expect(Set(events.map(\.streamID)) == ["S"])
    }
}
