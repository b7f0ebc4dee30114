// A second worker joining mid-run: the first finishes and commits its in-flight work before giving partitions up.
import Foundation
import Kafka
import Sinks
import TestSupport
import Testing
import Worker

@Suite("Worker rebalance", .serialized)
struct RebalanceTests {
    init() throws { try Assets.makeMedia() }

    @Test("a worker joins mid-run: in-flight work is finished and committed or dropped unwritten; per rebalance at most one batch and one segment per decode lane are written twice")
    func joinMidRun() throws {
        let broker = try Broker(partitions: 4)
        let db = try ScratchDatabase(migrated: true)
        let model = try Assets.model(version: "v1")
        try broker.produce((0..<48).map { goodEvent($0) })
        let batch = 4
        let w1 = try WorkerProcess(broker: broker, db: db, model: model, name: "first", batchSize: batch)
        defer { _ = w1.terminate() }
        try waitUntil("the first worker writing", seconds: 60) {
            try db.count("SELECT count(DISTINCT segment_id) FROM results") >= 4
        }
        let w2 = try WorkerProcess(broker: broker, db: db, model: model, name: "second", batchSize: batch)
        defer { _ = w2.terminate() }
        do {
            try waitUntil("48 segments", seconds: 120) { try db.count("SELECT count(DISTINCT segment_id) FROM results") == 48 }
            try waitUntil("offsets committed to the end", seconds: 30) {
                try broker.committed(group: "workers", topic: "segments", partitions: 4).values.compactMap { $0 }.reduce(0, +) == 48
            }
        } catch {
            Issue.record("\(error)\n--- first:\n\(w1.logText.suffix(3000))\n--- second:\n\(w2.logText.suffix(2000))")
            throw error
        }
        let revokes = w1.logText.split(separator: "\n").filter { $0.contains("partitions revoked") }
        #expect(!revokes.isEmpty, "the first worker gave partitions up")
        // Each revoke finished and committed its partitions' work, or (the group already rebalancing,
        // so the coordinator refused commits) dropped it unwritten.
        #expect(revokes.allSatisfy { ($0.contains("finished=true") && $0.contains("dropped=0")) || $0.contains("fenced=true") },
                "\(revokes)")
        // Written twice at most: per rebalance, the one batch being written when it began (its commit
        // is refused), and the segments written before it above an offset still in flight, which the
        // watermark cannot commit: the worker's two decode lanes finish segments out of order, so one
        // can overtake another of the same cost (this test's segments all cost the same) per lane.
        // Never the work in flight behind the batch, nor earlier batches left for the committer.
        // The second worker's join is one rebalance; a slow rejoin can make the group rebalance again.
        // The first worker is a member throughout, so each rebalance revokes its partitions once.
        let rebalances = revokes.count
        // The lanes the first worker's CPU budget gave it (its log's "CPU budget … decode_lanes=N").
        let decodeLanes = w1.logText.split(separator: " ").first { $0.hasPrefix("decode_lanes=") }
            .flatMap { Int($0.dropFirst("decode_lanes=".count)) }
        try #require(decodeLanes != nil, "the first worker logs its CPU budget")
        let results = try broker.readAll("segment-results", atLeast: 48)
        #expect(results.count >= 48 && results.count <= 48 + (batch + decodeLanes!) * rebalances,
                "\(results.count) result messages for 48 segments over \(rebalances) rebalances\n--- first:\n\(w1.logText.suffix(6000))\n--- second:\n\(w2.logText.suffix(4000))")
        let ids = Set(results.compactMap { m -> String? in
            (try? JSONSerialization.jsonObject(with: Data(m.value)) as? [String: Any])?["segment_id"] as? String
        })
        #expect(ids.count == 48)
        #expect(w2.logText.contains("partitions assigned"))
        #expect(w1.terminate() == 0 && w2.terminate() == 0)
    }
}
