// The feature store: rows round-trip bit for bit, reads match one encoder digest, digests counts every digest
// of the same range and streams.
import Foundation
import Sinks
import TestSupport
import Testing

@Suite("Feature store")
struct FeatureStoreTests {
    func row(_ id: String, digest: String, stream: String, at seconds: Double) -> SegmentFeatures {
        SegmentFeatures(segmentID: id, encoderDigest: digest, streamID: stream, startMs: 0, durationMs: 2000, dim: 2,
                        modalities: ["vision": [1.5, -0.25, Float.ulpOfOne, 3], "audio": [0.1, 0.2]],
                        modelName: "m", modelVersion: "v1", producedAt: Date(timeIntervalSince1970: seconds))
    }

    @Test("read matches one digest; digests counts every digest of the range and streams, not of others")
    func digestsOfSelection() throws {
        let db = try ScratchDatabase(migrated: true)
        let store = FeatureStore(url: db.url)
        try store.write([row("a", digest: "fp32", stream: "s1", at: 100), row("b", digest: "fp32", stream: "s2", at: 200),
                         row("a", digest: "int8", stream: "s1", at: 100), row("c", digest: "int8", stream: "s1", at: 300),
                         row("d", digest: "int8", stream: "s1", at: 900)])
        let range = FeatureStore.Selection(since: Date(timeIntervalSince1970: 50), until: Date(timeIntervalSince1970: 500),
                                           encoderDigest: "fp32")
        let read = try store.read(range)
        #expect(read.map(\.segmentID) == ["a", "b"] && read.allSatisfy { $0.encoderDigest == "fp32" })
        #expect(read[0] == row("a", digest: "fp32", stream: "s1", at: 100), "the floats come back bit for bit")
        #expect(try store.digests(range).map { "\($0.digest)=\($0.segments)" }.sorted() == ["fp32=2", "int8=2"])
        var s1 = range
        s1.streamIDs = ["s1"]
        s1.encoderDigest = "none-such"
        #expect(try store.read(s1).isEmpty)
        #expect(try store.digests(s1).map { "\($0.digest)=\($0.segments)" } == ["int8=2", "fp32=1"])
    }
}
