// Stage parts without a broker: model-error isolation, DLQ copies, the CPU budget, liveness, the queues.
import Foundation
@testable import Kafka
import Media
@testable import Model
import Testing
@testable import Worker

/// A scorer whose model fails on any batch holding a segment named "bad…".
final class FailingScorer: SegmentScorer, @unchecked Sendable {
    let lock = NSLock()
    var calls: [[String]] = []
    var modelName: String { "stub" }
    var modelVersion: String { "v0" }
    var modelTrained: Bool { false }
    var labelSets: Set<String> { [] }
    func prepare(media: MediaInput, window: SegmentWindow, transcript: String?) throws -> String { "" }
    func score(_ batch: [String], labelSets: [String?]) throws -> [SegmentScore] {
        lock.withLock { calls.append(batch) }
        if let bad = batch.first(where: { $0.hasPrefix("bad") }) { throw ModelError.input("segment \(bad): broken tensor") }
        return batch.map { SegmentScore(id: $0, modalities: [], tasks: []) }
    }
}

@Suite("Worker stages")
struct StageTests {
    @Test("a model error fails only the segment it comes from; its batch neighbours are scored")
    func isolation() throws {
        let scorer = FailingScorer()
        let batch = ["s0", "s1", "s2", "bad3", "s4", "s5", "s6", "s7"]
        let results = ScoringStage<FailingScorer>.isolating(scorer, batch, labelSets: Array(repeating: nil, count: 8))
        #expect(results.count == 8)
        for (id, r) in zip(batch, results) {
            switch r {
            case .success(let s): #expect(s.id == id && id != "bad3")
            case .failure(let e): #expect(id == "bad3" && "\(e)".contains("bad3"))
            }
        }
        // Bisection: the whole batch, then halves down to the bad one: 1 + 2 + 2 + 2 calls.
        #expect(scorer.calls.count == 7, "\(scorer.calls)")
        #expect(ScoringStage<FailingScorer>.isolating(scorer, ["bad"], labelSets: [nil]).count == 1)
    }

    func message(value: [UInt8], headers: [KafkaHeader] = []) -> KafkaMessage {
        KafkaMessage(topic: "segments", partition: 2, offset: 41, key: Array("k".utf8), value: value, headers: headers, timestampMs: nil)
    }

    @Test("a DLQ copy renames incoming merclip.* headers; the worker's own come alone under those names")
    func headers() throws {
        let m = message(value: Array("{}".utf8), headers: [KafkaHeader(key: "merclip.error_class", string: "forged"),
                                                           KafkaHeader(key: "trace", string: "t1")])
        let d = DLQRecord(m, topic: "segments-dlq", stage: "decode", errorClass: "event.schema", reason: "x", replayID: nil,
                          maxBytes: 1_000_000)
        #expect(d.truncatedFrom == nil && d.record.value == m.value)
        let r = d.record
        #expect(r.headers.filter { $0.key == "merclip.error_class" }.map { String(decoding: $0.value, as: UTF8.self) } == ["event.schema"])
        #expect(r.headers.contains(KafkaHeader(key: "orig.merclip.error_class", string: "forged")))
        #expect(r.headers.contains(KafkaHeader(key: "trace", string: "t1")))
        #expect(r.headers.contains(KafkaHeader(key: "merclip.source_offset", string: "41")))
    }

    @Test("a DLQ copy over the message size limit is cut to fit, with merclip.truncated")
    func truncation() throws {
        let limit = 100_000
        let m = message(value: [UInt8](repeating: 65, count: limit - 100))
        let d = DLQRecord(m, topic: "segments-dlq", stage: "decode", errorClass: "event.schema", reason: "too long",
                          replayID: "r1", maxBytes: limit)
        #expect(d.truncatedFrom == limit - 100)
        #expect(DLQRecord.wireSize(d.record) <= limit)
        #expect(d.record.value.count > limit - 2_000 && d.record.value == Array(m.value.prefix(d.record.value.count)))
        let marker = d.record.headers.first { $0.key == "merclip.truncated" }.map { String(decoding: $0.value, as: UTF8.self) }
        #expect(marker == "value cut from \(limit - 100) bytes to \(d.record.value.count)")
        #expect(d.record.headers.contains(KafkaHeader(key: "merclip.replay_id", string: "r1")))
        // Headers alone over the limit: the incoming headers go, then the value is empty.
        let heavy = message(value: [1, 2, 3], headers: [KafkaHeader(key: "big", value: [UInt8](repeating: 0, count: 5_000))])
        let h = DLQRecord(heavy, topic: "d", stage: "s", errorClass: "c", reason: "r", replayID: nil, maxBytes: 2_000)
        #expect(DLQRecord.wireSize(h.record) <= 2_000 && !h.record.headers.contains { $0.key == "big" })
    }

    @Test("the CPU budget gives the engine every core and niced lanes one per core; flags and nice 0 split the cores")
    func budget() throws {
        #expect(CPUBudget.plan(cores: 2) == CPUBudget(cores: 2, decodeLanes: 2, engineThreads: 2, decodeNice: 19, source: "auto"))
        #expect(CPUBudget.plan(cores: 16, decodeLanes: 4) == CPUBudget(cores: 16, decodeLanes: 4, engineThreads: 16, source: "flags"))
        #expect(CPUBudget.plan(cores: 8, engineThreads: 6) == CPUBudget(cores: 8, decodeLanes: 8, engineThreads: 6, source: "flags"))
        // Lanes at the engine's priority: the cores are split, the side left unset gets what the other leaves.
        #expect(CPUBudget.plan(cores: 2, decodeNice: 0) == CPUBudget(cores: 2, decodeLanes: 1, engineThreads: 1, decodeNice: 0, source: "auto"))
        #expect(CPUBudget.plan(cores: 8, decodeLanes: 3, decodeNice: 0) == CPUBudget(cores: 8, decodeLanes: 3, engineThreads: 5, decodeNice: 0, source: "flags"))
        #expect(CPUBudget.plan(cores: 8, engineThreads: 6, decodeNice: 0) == CPUBudget(cores: 8, decodeLanes: 2, engineThreads: 6, decodeNice: 0, source: "flags"))
        for cores in 1...64 { #expect(!CPUBudget.plan(cores: cores).oversubscribed) }
        // One core cannot hold a lane and an engine thread as equals.
        for cores in 2...64 { #expect(!CPUBudget.plan(cores: cores, decodeNice: 0).oversubscribed) }
        #expect(CPUBudget.plan(cores: 4, decodeLanes: 3, engineThreads: 3, decodeNice: 0).oversubscribed)
        #expect(CPUBudget(cores: 2, decodeLanes: 1, engineThreads: 1, decodeNice: 40, source: "flags").decodeNice == 19)
    }

    @Test("a stage thread started with a nice step runs that much below its starter's priority")
    func niceThread() throws {
        errno = 0
        let mine = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        let seen = Seen()
        let done = DispatchSemaphore(value: 0)
        StageThread.start("merclip-test-nice", nice: 7) {
            seen.value = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
            done.signal()
        }
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(seen.value == min(19, mine + 7))
        // The starter keeps its own priority (Linux keeps one per thread).
        #expect(getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) == mine)
    }

    @Test("liveness names a stage that held one unit of work past its deadline")
    func liveness() throws {
        let clock = Clock()
        let watch = StageWatch(deadlineSeconds: 60, now: { clock.now })
        let id = watch.begin("media")
        clock.advance(59)
        #expect(watch.overdue == nil)
        clock.advance(2)
        #expect(watch.overdue?.hasPrefix("media stage held work for 61 s") == true)
        watch.end(id)
        #expect(watch.overdue == nil)
    }

    @Test("/healthz answers 503 with the reason while the worker is not live")
    func healthz() throws {
        let flag = ReadyFlag()
        let server = try MetricsServer(address: "127.0.0.1", port: 0, metrics: Metrics(),
                                       live: { flag.value ? "model stage held work for 400 s (deadline 300 s)" : nil },
                                       ready: { true })
        #expect(httpStatus(port: server.port, path: "/healthz") == 200)
        flag.value = true
        #expect(httpStatus(port: server.port, path: "/healthz") == 503)
        #expect(httpStatus(port: server.port, path: "/readyz") == 200)
        // The same port again: the error says it is taken.
        #expect {
            try MetricsServer(address: "127.0.0.1", port: server.port, metrics: Metrics()) { true }
        } throws: { e in
            (e as? MetricsServerError)?.reason == "cannot listen on 127.0.0.1:\(server.port) for metrics: address already in use (another process listens there)"
        }
        #expect(throws: MetricsServerError.self) { try MetricsServer(address: "localhost", port: 0, metrics: Metrics()) { true } }
    }

    @Test("a bounded queue blocks a full put until a take, wakes a wait for room on a take, and drains after close")
    func queue() throws {
        let q = BoundedQueue<Int>(capacity: 2)
        #expect(q.tryPut(1) && q.tryPut(2) && !q.tryPut(3))
        let putDone = ReadyFlag()
        Thread.detachNewThread { q.put(3); putDone.value = true }
        Thread.sleep(forTimeInterval: 0.1)
        #expect(!putDone.value, "put waits while the queue is full")
        #expect(!q.waitForRoom(until: Date().addingTimeInterval(0.01)), "no room while full")
        #expect(q.take() == 1)
        Thread.sleep(forTimeInterval: 0.1)
        #expect(putDone.value)
        // A waiter for room wakes when a take makes some.
        let roomSeen = ReadyFlag()
        Thread.detachNewThread { roomSeen.value = q.waitForRoom(until: Date().addingTimeInterval(10)) }
        Thread.sleep(forTimeInterval: 0.1)
        #expect(!roomSeen.value)
        #expect(q.take() == 2)
        Thread.sleep(forTimeInterval: 0.1)
        #expect(roomSeen.value)
        #expect(q.tryPut(2))
        q.close()
        #expect(!q.waitForRoom(until: Date().addingTimeInterval(0.01)), "a closed queue has no room")
        #expect(!q.put(4))
        #expect(q.take() == 3 && q.take() == 2 && q.take() == nil)
        #expect(q.take(until: Date().addingTimeInterval(0.01)) == nil)
    }
}

/// A clock the test moves by hand.
final class Clock: @unchecked Sendable {
    private let lock = NSLock()
    private var t = Date(timeIntervalSince1970: 1_000_000)
    var now: Date { lock.withLock { t } }
    func advance(_ s: Double) { lock.withLock { t = t.addingTimeInterval(s) } }
}

/// What a test thread saw, read after it signalled (the semaphore orders the write before the read).
private final class Seen: @unchecked Sendable { var value: Int32? }
