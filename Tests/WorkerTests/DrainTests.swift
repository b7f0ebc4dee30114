// SIGTERM against worker processes: every stage drained and committed within the bound; a second signal exits at once.
import Foundation
import Kafka
import Sinks
import TestSupport
import Testing
import Worker

@Suite("Worker drain", .serialized)
struct DrainTests {
    init() throws { try Assets.makeMedia() }

    /// A Postgres URL nothing answers on: every write fails and is retried.
    func deadPostgres() -> String { "postgresql://merclip@127.0.0.1:\(freePort())/merclip?connect_timeout=1" }

    /// A worker on 6 events whose Postgres never answers, once it retries its first write.
    func retryingWorker(name: String, drainSeconds: Int) throws -> (Broker, WorkerProcess) {
        let broker = try Broker(partitions: 2)
        let model = try Assets.model(version: "v1")
        try broker.produce((0..<6).map { goodEvent($0) })
        let w = try WorkerProcess(broker: broker, db: nil, postgres: deadPostgres(), model: model, name: name,
                                  extra: ["--drain-seconds", String(drainSeconds)])
        try waitUntil("a Postgres retry", seconds: 60) {
            w.logText.split(separator: "\n").contains { $0.contains("sink failed, retrying") && $0.contains(" sink=postgres") }
        }
        return (broker, w)
    }

    @Test("SIGTERM mid-run: exit 0 within --drain-seconds; everything written is committed, nothing committed is unwritten")
    func drainsEveryStage() throws {
        let broker = try Broker(partitions: 2)
        let db = try ScratchDatabase(migrated: true)
        let model = try Assets.model(version: "v1")
        try broker.produce((0..<40).map { goodEvent($0) })
        let w = try WorkerProcess(broker: broker, db: db, model: model, name: "drain", batchSize: 4,
                                  extra: ["--drain-seconds", "20"])
        try waitUntil("first rows", seconds: 60) { try db.count("SELECT count(DISTINCT segment_id) FROM results") >= 4 }
        let atSignal = try db.count("SELECT count(DISTINCT segment_id) FROM results")
        let t0 = Date()
        w.sigterm()
        let status = w.waitExit(seconds: 25)
        let took = Date().timeIntervalSince(t0)
        #expect(status == 0, "SIGTERM exits 0 (status \(String(describing: status)), log:\n\(w.logText.suffix(3000)))")
        #expect(took < 20, "drained within the bound: \(took) s")
        #expect(atSignal < 40, "the signal came mid-run")

        // Per partition: the written offsets are exactly 0 ..< committed.
        let committed = try broker.committed(group: "workers", topic: "segments", partitions: 2)
        for p in Int32(0)..<2 {
            let written = try db.query("SELECT DISTINCT source_offset FROM results WHERE source_partition = \(p) ORDER BY 1")
                .compactMap { $0[0].flatMap { Int64($0) } }
            let next = committed[p].flatMap { $0 } ?? 0
            #expect(written == Array(0..<next), "partition \(p): committed \(next), written \(written)")
        }
        let log = w.logText
        #expect(log.contains("signal received, draining") && log.contains("drained=true"), "\(log.suffix(2000))")
        #expect(log.contains("CPU budget"), "the CPU split is logged at start")
    }

    @Test("SIGTERM while Postgres is unreachable: exit 0 within --drain-seconds, retries included, nothing committed")
    func drainBound() throws {
        let (broker, w) = try retryingWorker(name: "bound", drainSeconds: 5)
        let t0 = Date()
        w.sigterm()
        let status = w.waitExit(seconds: 15)
        let took = Date().timeIntervalSince(t0)
        #expect(status == 0, "exit 0 (status \(String(describing: status)), log:\n\(w.logText.suffix(3000)))")
        #expect(took < 7, "within the 5 s bound and a little: \(took) s")
        let committed = try broker.committed(group: "workers", topic: "segments", partitions: 2)
        // (The ownership check before a write commits the first offset itself: nothing consumed.)
        #expect(committed.values.allSatisfy { ($0 ?? 0) == 0 }, "nothing written, nothing committed past offset 0: \(committed)")
        #expect(w.logText.contains("left uncommitted"))
    }

    @Test("a second SIGTERM exits at once, without committing")
    func secondSignal() throws {
        let (broker, w) = try retryingWorker(name: "twice", drainSeconds: 120)
        w.sigterm()
        Thread.sleep(forTimeInterval: 1)
        #expect(w.process.isRunning, "the first signal drains (up to 120 s here)")
        let t0 = Date()
        w.sigterm()
        let status = w.waitExit(seconds: 5)
        #expect(status == 128 + SIGTERM, "status \(String(describing: status))")
        #expect(Date().timeIntervalSince(t0) < 2)
        #expect(w.logText.contains("second signal 15: exiting now, without committing"))
        let committed = try broker.committed(group: "workers", topic: "segments", partitions: 2)
        #expect(committed.values.allSatisfy { ($0 ?? 0) == 0 }, "nothing committed past offset 0: \(committed)")
    }

    @Test("a metrics port already in use: the worker says so and names the flags")
    func portInUse() throws {
        let model = try Assets.model(version: "v1")
        let taken = try MetricsServer(address: "127.0.0.1", port: 0, metrics: Metrics()) { true }
        let r = try runProcess(merclipBinary(), ["worker", "--brokers", "127.0.0.1:1", "--postgres", deadPostgres(),
                                                 "--model", model, "--metrics-address", "127.0.0.1",
                                                 "--metrics-port", String(taken.port)])
        #expect(r.status != 0)
        let out = r.stdout + r.stderr
        #expect(out.contains("cannot listen on 127.0.0.1:\(taken.port) for metrics: address already in use"), "\(out)")
        #expect(out.contains("--metrics-port") && out.contains("--metrics-address"), "\(out)")
    }
}
