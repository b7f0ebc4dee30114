// A worker process while every Kafka broker is down for 15 s: not ready meanwhile; nothing lost, nothing to the DLQ, all committed.
import Foundation
import Kafka
import Sinks
import TestSupport
import Testing
import Worker

@Suite("Broker outage", .serialized)
struct BrokerOutageTests {
    init() throws { try Assets.makeMedia() }

    @Test("all brokers down for 15 s mid-run: every segment scored and published, none to the DLQ, offsets committed to the end")
    func allBrokersDown() throws {
        let broker = try Broker(partitions: 4)
        let db = try ScratchDatabase(migrated: true)
        let model = try Assets.model(version: "v1")
        try broker.produce((0..<40).map { goodEvent($0) })
        let w = try WorkerProcess(broker: broker, db: db, model: model, name: "outage", batchSize: 2)
        defer { _ = w.terminate() }
        func fail(_ error: Error) -> Error {
            Issue.record("\(error)\n--- worker:\n\(w.logText.suffix(4000))")
            return error
        }
        do {
            try waitUntil("first rows", seconds: 60) { try db.count("SELECT count(DISTINCT segment_id) FROM results") >= 4 }
        } catch { throw fail(error) }

        let port = try metricsPort(w)
        #expect(httpStatus(port: port, path: "/readyz") == 200, "ready before the outage")
        try broker.process.setBrokers(up: false)
        let downAt = Date()
        let atDown = try db.count("SELECT count(DISTINCT segment_id) FROM results")
        // /readyz follows the outage: 503 once librdkafka reports every broker down.
        var firstNotReady: Double?
        while Date().timeIntervalSince(downAt) < 15 {
            if firstNotReady == nil, httpStatus(port: port, path: "/readyz") == 503 { firstNotReady = Date().timeIntervalSince(downAt) }
            Thread.sleep(forTimeInterval: 0.5)
        }
        #expect(httpStatus(port: port, path: "/readyz") == 503, "not ready at the end of the outage")
        try broker.process.setBrokers(up: true)
        let upAt = Date()
        #expect(firstNotReady != nil && firstNotReady! < 10, "/readyz said 503 within 10 s of the brokers going down (after \(String(describing: firstNotReady)) s)")
        do {
            try waitUntil("/readyz 200 again", seconds: 30) { httpStatus(port: port, path: "/readyz") == 200 }
        } catch { throw fail(error) }
        print("outage: /readyz 503 after \(firstNotReady ?? -1) s down, 200 again \(Date().timeIntervalSince(upAt)) s after up")
        #expect(atDown < 40, "the outage began mid-run (\(atDown) of 40 segments written)")
        #expect(w.process.isRunning, "the worker survived the outage")

        // New events after the outage are consumed too.
        try broker.produce((40..<50).map { goodEvent($0) })
        do {
            try waitUntil("50 segments, both tasks", seconds: 120) {
                try db.count("SELECT count(*) FROM results WHERE task = 'emotion'") == 50
                    && db.count("SELECT count(*) FROM results WHERE task = 'sentiment'") == 50
            }
        } catch { throw fail(error) }
        print("outage: \(atDown) segments at down; all 50 written \(Date().timeIntervalSince(upAt)) s after up")
        #expect(try db.count("SELECT count(DISTINCT segment_id) FROM results") == 50)
        #expect(try db.count("SELECT count(*) FROM failures") == 0, "a broker outage is not a segment failure")

        let results = try broker.readAll("segment-results", atLeast: 50)
        let ids = Set(results.compactMap { m -> String? in
            (try? JSONSerialization.jsonObject(with: Data(m.value)) as? [String: Any])?["segment_id"] as? String
        })
        #expect(ids == Set((0..<50).map { String(format: "seg-%03d", $0) }), "a result message for every segment")

        // The DLQ stayed empty, and the group's offsets reach the end of every partition.
        let probe = try KafkaConsumer(config: KafkaConsumerConfig(common: KafkaConfig(bootstrapServers: broker.bootstrap),
                                                                  groupID: "probe-\(UUID().uuidString)"))
        defer { probe.close() }
        #expect(try probe.watermarks(TopicPartition("segments-dlq", 0)).high == 0, "nothing went to the DLQ")
        var ends: [Int32: Int64] = [:]
        for p in Int32(0)..<4 { ends[p] = try probe.watermarks(TopicPartition("segments", p)).high }
        #expect(ends.values.reduce(0, +) == 50)
        do {
            try waitUntil("offsets committed to the end of every partition", seconds: 30) {
                try broker.committed(group: "workers", topic: "segments", partitions: 4).allSatisfy { $0.value == ends[$0.key] }
            }
        } catch {
            Issue.record("committed \(try broker.committed(group: "workers", topic: "segments", partitions: 4)), ends \(ends)")
            throw fail(error)
        }

        // The 15 s outage outlasted the 10 s session: the worker lost its partitions and joined again,
        // without retrying a commit for partitions it no longer owned (each such retry fails and makes
        // librdkafka join the group once more, which stalled the recovery by tens of seconds).
        let log = w.logText
        #expect(log.contains("partitions revoked"), "the session was lost in the outage")
        #expect(log.components(separatedBy: "partitions assigned").count - 1 >= 2, "the worker joined the group again")
        #expect(!log.contains("giving up"), "no commit was given up: \(log.suffix(3000))")
        let commitRetries = log.split(separator: "\n").filter { $0.contains("sink failed, retrying") && $0.contains(" sink=commit") }
        #expect(commitRetries.count <= 1, "at most one commit failed (the one in flight when the session was lost): \(commitRetries)")
        #expect(httpStatus(port: port, path: "/readyz") == 200, "ready after the outage")
        #expect(log.contains("Kafka brokers unreachable") && log.contains("Kafka brokers reachable again"), "the outage was logged")
        #expect(w.process.isRunning)
        #expect(w.terminate() == 0, "SIGTERM exits 0 after the outage")
    }

    /// The metrics port the worker logged (it was started with --metrics-port 0).
    private func metricsPort(_ w: WorkerProcess) throws -> Int {
        guard let line = w.logText.split(separator: "\n").first(where: { $0.contains(" metrics ") && $0.contains("port=") }),
              let field = line.split(separator: " ").first(where: { $0.hasPrefix("port=") }),
              let port = Int(field.dropFirst(5)) else {
            throw TestFailure("the worker logged no metrics port:\n\(w.logText.suffix(2000))")
        }
        return port
    }
}

/// The HTTP status of GET `path` on 127.0.0.1:`port`, or nil when nothing answered.
func httpStatus(port: Int, path: String) -> Int? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var tv = timeval(tv_sec: 2, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    addr.sin_addr = in_addr(s_addr: UInt32(0x7f000001).bigEndian)
    let connected = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { return nil }
    let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
    guard request.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == request.count else { return nil }
    var buf = [UInt8](repeating: 0, count: 256)
    let n = read(fd, &buf, buf.count)
    guard n > 0 else { return nil }
    // "HTTP/1.1 200 OK"
    let words = String(decoding: buf[0..<n], as: UTF8.self).split(separator: " ")
    return words.count > 1 ? Int(words[1]) : nil
}
