// Test support: a dev broker, a scratch database, a media root, a tiny model and worker processes.
import Foundation
import Kafka
import Sinks
import TestSupport
import Testing
import Worker

/// Shared, made once per test process: a tiny random model and sample media.
enum Assets {
    static let dir: URL = {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("merclip-worker-tests-\(getpid())")
        try? FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }()

    /// A tiny random MER-CLIP model (224×224 inputs) with the given version.
    static func model(version: String) throws -> String {
        lock.lock()
        defer { lock.unlock() }
        let out = dir.appendingPathComponent("model-\(version)").path
        if !FileManager.default.fileExists(atPath: out + "/config.json") {
            try run(merclipBinary(), ["model", "init", "--random", "--preset", "tiny", "--out", out,
                                      "--name", "merclip-test", "--version", version])
        }
        return out
    }

    /// A media root holding clip.mp4 (4 s, 160×120 video, a tone) and corrupt.mp4.
    static let mediaRoot: URL = {
        let root = dir.appendingPathComponent("media")
        try? FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        return root
    }()

    static let lock = NSLock()

    /// Makes the media once per process (suites run in parallel).
    static func makeMedia() throws {
        lock.lock()
        defer { lock.unlock() }
        let clip = mediaRoot.appendingPathComponent("clip.mp4").path
        if !FileManager.default.fileExists(atPath: clip) {
            try run("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y",
                               "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=4",
                               "-f", "lavfi", "-i", "sine=frequency=300:sample_rate=16000:duration=4",
                               "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
                               "-shortest", clip + ".tmp.mp4"])
            try FileManager.default.moveItem(atPath: clip + ".tmp.mp4", toPath: clip)
        }
        let corrupt = mediaRoot.appendingPathComponent("corrupt.mp4")
        try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }).write(to: corrupt)
    }
}

/// A `merclip dev-broker` process with the worker topics, and the Kafka checks the tests make.
final class Broker {
    let process: DevBrokerProcess
    var bootstrap: String { process.bootstrap }

    init(partitions: Int = 4) throws {
        process = try DevBrokerProcess(topics: ["segments:\(partitions)", "segment-results:\(partitions)", "segments-dlq:1",
                                                "segments-replay:\(partitions)"])
    }

    func produce(_ records: [KafkaRecord]) throws {
        let p = try KafkaProducer(config: KafkaProducerConfig(common: KafkaConfig(bootstrapServers: bootstrap)))
        try p.sendAndWait(records)
    }

    /// Reads every message of `topic` from the beginning until `count` arrived and nothing more
    /// came for `quietSeconds`.
    func readAll(_ topic: String, atLeast count: Int, quietSeconds: Double = 2, timeout: Double = 60) throws -> [KafkaMessage] {
        let c = try KafkaConsumer(config: KafkaConsumerConfig(common: KafkaConfig(bootstrapServers: bootstrap),
                                                              groupID: "reader-\(UUID().uuidString)"))
        defer { c.close() }
        try c.subscribe(topics: [topic])
        var got: [KafkaMessage] = []
        var last = Date()
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let m = try c.pollBlocking(timeoutMs: 200) { got.append(m); last = Date() }
            if got.count >= count && Date().timeIntervalSince(last) > quietSeconds { break }
        }
        return got
    }

    /// The group's committed next-offset per partition of `topic` (nil where none).
    func committed(group: String, topic: String, partitions: Int) throws -> [Int32: Int64?] {
        let c = try KafkaConsumer(config: KafkaConsumerConfig(common: KafkaConfig(bootstrapServers: bootstrap), groupID: group))
        var out: [Int32: Int64?] = [:]
        for p in 0..<Int32(partitions) { out[p] = try c.committed(topic: topic, partition: p) }
        return out
    }
}

/// One `merclip worker` process; its stderr goes to a log file shown when a test fails.
final class WorkerProcess {
    let process = Process()
    let log: URL

    /// `postgres` replaces the scratch database's URL (e.g. one nothing answers on).
    init(broker: Broker, db: ScratchDatabase?, postgres: String? = nil, model: String, group: String = "workers",
         topic: String = "segments", name: String, batchSize: Int = 4, extra: [String] = []) throws {
        log = Assets.dir.appendingPathComponent("\(name)-\(UUID().uuidString.prefix(8)).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: merclipBinary())
        process.arguments = ["worker", "--brokers", broker.bootstrap, "--group", group, "--topic", topic,
                             "--results-topic", "segment-results", "--dlq-topic", "segments-dlq",
                             "--postgres", postgres ?? db?.url ?? "", "--model", model, "--batch-size", String(batchSize),
                             "--max-wait-ms", "100", "--media-root", Assets.mediaRoot.path, "--metrics-port", "0"] + extra
        var env = ProcessInfo.processInfo.environment
        env["MERCLIP_THREADS"] = "1"
        process.environment = env
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
    }

    func terminate() -> Int32 {
        process.terminate()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Sends SIGTERM without waiting.
    func sigterm() { kill(process.processIdentifier, SIGTERM) }

    /// The exit status once the process ended within `seconds`, else nil.
    func waitExit(seconds: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        return process.isRunning ? nil : process.terminationStatus
    }

    func kill9() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    var logText: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    deinit { if process.isRunning { kill9() } }
}

/// A good segment event for clip.mp4.
func goodEvent(_ i: Int, streams: Int = 8) -> KafkaRecord {
    let stream = "stream-\(i % streams)"
    let e = SegmentEvent(segmentID: String(format: "seg-%03d", i), streamID: stream, startMs: Int64(i % 2) * 2000,
                         durationMs: 2000, media: .uri(Assets.mediaRoot.appendingPathComponent("clip.mp4").absoluteString),
                         transcript: i % 3 == 0 ? nil : "I am really happy about this, thank you so much")
    return KafkaRecord(topic: "segments", key: Array(stream.utf8), value: e.encoded())
}

/// A TCP port nobody listens on now (the kernel's pick for port 0).
func freePort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr = in_addr(s_addr: UInt32(0x7f000001).bigEndian)
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    return Int(UInt16(bigEndian: addr.sin_port))
}
