// `merclip bench --stage pipeline`: segments/s through the whole worker (dev broker → media → engine →
// Postgres + Kafka → commit) next to its parts measured alone (media, engine), the throughput a perfect
// overlap of the two would give, and ffmpeg's own full decode of the same window as the decoder yardstick.
import ArgumentParser
import Foundation
import Kafka
import Media
import Model
import Sinks
import Tensor
import Worker

extension Bench {
    func runPipeline() throws {
        let postgres = pipeline.postgres, segments = pipeline.segments, segmentSeconds = pipeline.segmentSeconds
        guard let model, let media else { throw ValidationError("--stage pipeline needs --model DIR and --media FILE") }
        let server = try Setting().required(postgres, "MERCLIP_POSTGRES_URL", option: "--postgres")
        let mediaURL = URL(fileURLWithPath: media).standardizedFileURL
        let modes = try BenchModes.parse(precision)
        guard modes.count == 1, let mode = modes.first, mode.mode == nil else {
            throw ValidationError("--stage pipeline runs one precision: fp32, bf16, int8 or auto (not '\(precision)')")
        }
        let scorer = try MERCLIPScorer(modelDirectory: model, precision: mode.precision)
        guard segmentSeconds > 0 else { throw ValidationError("--segment-seconds must be positive") }
        let window = SegmentWindow(start: 0, duration: segmentSeconds)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        print("merclip bench --stage pipeline: model \(scorer.modelName)@\(scorer.modelVersion), media \(mediaURL.lastPathComponent) "
              + String(format: "(first %.1f s), ", segmentSeconds) + "\(segments) segments, batch \(batch), \(scorer.engine.model.compute), BLAS threads \(BLAS.threads), \(cores) cores")

        // 0. The yardstick: ffmpeg decoding every stream of the same window, in its own process.
        let ffmpeg = try Self.ffmpegFullDecode(mediaURL.path, seconds: segmentSeconds)
        print(String(format: "ffmpeg full decode (ffmpeg -ss 0 -t %g -i FILE -f null -, best of 3): %.1f ms wall, CPU %.1f ms",
                     segmentSeconds, ffmpeg.wall * 1000, ffmpeg.cpu * 1000))

        // 1. Media alone: decode + preprocess segment after segment (one decoder thread, as in the worker's lanes).
        let input = MediaInput.file(mediaURL.path)
        _ = try scorer.prepare(media: input, window: window, transcript: "warm up")
        let mediaRuns = max(3, min(segments, 8))
        var prepared: [Segment] = []
        var cpu0 = processCPUSeconds()
        let thread0 = callingThreadCPUSeconds()
        var t0 = Date()
        for _ in 0..<mediaRuns { prepared.append(try scorer.prepare(media: input, window: window, transcript: "I am so happy")) }
        let mediaWall = Date().timeIntervalSince(t0) / Double(mediaRuns)
        let mediaCPU = (processCPUSeconds() - cpu0) / Double(mediaRuns)
        let mediaThreadCPU = (callingThreadCPUSeconds() - thread0) / Double(mediaRuns)
        print(String(format: "media alone (decode + preprocess, 1 decoder thread): %.1f ms wall, CPU %.1f ms per segment (%.1f ms on the "
                     + "decoding thread itself); CPU / ffmpeg's: %.1f%% (decoding thread's: %.1f%%)",
                     mediaWall * 1000, mediaCPU * 1000, mediaThreadCPU * 1000, mediaCPU / ffmpeg.cpu * 100, mediaThreadCPU / ffmpeg.cpu * 100))

        // 2. The engine alone on the prepared segments, in batches.
        func batchOf(_ n: Int, from k: Int) -> [Segment] { (0..<n).map { prepared[(k + $0) % prepared.count] } }
        _ = try scorer.score(batchOf(min(batch, segments), from: 0), labelSets: Array(repeating: nil, count: min(batch, segments)))
        cpu0 = processCPUSeconds()
        t0 = Date()
        var done = 0
        while done < segments {
            let n = min(batch, segments - done)
            _ = try scorer.score(batchOf(n, from: done), labelSets: Array(repeating: nil, count: n))
            done += n
        }
        let engineWall = Date().timeIntervalSince(t0) / Double(segments)
        let engineCPU = (processCPUSeconds() - cpu0) / Double(segments)
        print(String(format: "engine alone (batches of %d): %.2f segments/s (%.1f ms wall, CPU %.1f ms per segment)",
                     batch, 1 / engineWall, engineWall * 1000, engineCPU * 1000))

        // The best a perfect overlap could do: the engine never waits, and media and engine share the cores.
        let byEngine = 1 / engineWall, byCPU = Double(cores) / (engineCPU + mediaCPU)
        let ideal = min(byEngine, byCPU)
        print(String(format: "ideal overlapped: %.2f segments/s = min(engine alone %.2f, %d cores / (engine CPU + media CPU) %.2f); one after the other: %.2f",
                     ideal, byEngine, cores, byCPU, 1 / (engineWall + mediaWall)))

        // 2. The pipeline: an in-process dev broker, a scratch database, one worker.
        let broker = try DevBroker()
        for (t, p) in [("segments", 4), ("segment-results", 4), ("segments-dlq", 1)] { try broker.createTopic(t, partitions: p) }
        let dbName = "bench_\(UInt32.random(in: 0...UInt32.max))"
        try PostgresConnection(server).query("CREATE DATABASE \(dbName)")
        defer { _ = try? PostgresConnection(server).query("DROP DATABASE IF EXISTS \(dbName) WITH (FORCE)") }
        var parts = URLComponents(string: server)!
        parts.path = "/\(dbName)"
        let url = parts.string!
        guard let migrations = Migrator.defaultDirectory() else { throw ValidationError("schemas/migrations not found (MERCLIP_MIGRATIONS)") }
        try Migrator(directory: migrations).migrate(PostgresConnection(url))

        let kafka = KafkaConfig(bootstrapServers: broker.bootstrapServers)
        let producer = try KafkaProducer(config: KafkaProducerConfig(common: kafka))
        try producer.sendAndWait((0..<segments).map { i in
            let e = SegmentEvent(segmentID: "bench-\(i)", streamID: "bench-\(i % 8)", startMs: 0, durationMs: Int64((segmentSeconds * 1000).rounded()),
                                 media: .uri(mediaURL.absoluteString), transcript: "I am so happy")
            return KafkaRecord(topic: "segments", key: Array(e.streamID.utf8), value: e.encoded())
        })
        var config = WorkerConfig(kafka: kafka, group: "bench", topics: ["segments"], resultsTopic: "segment-results",
                                  dlqTopic: "segments-dlq", postgresURL: url)
        config.batchSize = batch
        // The worker's default budget: the engine on every core, a lane per core at a lower priority.
        config.cpu = CPUBudget.plan(cores: cores, decodeLanes: pipeline.decodeLanes, decodeNice: pipeline.decodeNice)
        print("pipeline CPU budget: \(config.cpu)")
        let metrics = Metrics()
        let worker = try StreamWorker(config: config, scorer: scorer, media: MediaSource(roots: [mediaURL.deletingLastPathComponent().path]),
                                      metrics: metrics)
        let finished = DispatchSemaphore(value: 0)
        let thread = Thread { try? worker.run(); finished.signal() }
        thread.stackSize = 16 << 20
        thread.start()
        let db = try PostgresConnection(url)
        var first: Date?
        let firstTask = scorer.engine.config.tasks[0].name
        let deadline = Date().addingTimeInterval(600)
        while Date() < deadline {
            if first == nil && metrics.counter("merclip_events_consumed_total", ["topic": "segments"]) > 0 { first = Date() }
            // The worker's own count of written rows (no query load on Postgres while timing), then the rows.
            if metrics.counter("merclip_results_written_total", ["task": firstTask]) >= Double(segments),
               Int(try db.query("SELECT count(DISTINCT segment_id) FROM results")[0][0] ?? "0") == segments { break }
            Thread.sleep(forTimeInterval: 0.005)
        }
        let end = Date()
        worker.stop()
        finished.wait()
        guard let first else { throw ValidationError("the worker consumed nothing") }
        let pipeline = Double(segments) / end.timeIntervalSince(first)
        print(String(format: "pipeline (Kafka → worker → Postgres + Kafka, commit): %.2f segments/s", pipeline))
        print(String(format: "pipeline / ideal overlapped: %.2f; pipeline / engine alone: %.2f", pipeline / ideal, pipeline / byEngine))
        print(String(format: "peak RSS: %.0f MiB", peakRSSMiB()))
    }

    /// Wall and CPU seconds (user + system, from getrusage of the waited-for child) of `ffmpeg -ss 0 -t
    /// seconds -i path -f null -`: every stream of the window decoded by ffmpeg with its default threads.
    static func ffmpegFullDecode(_ path: String, seconds: Double) throws -> (wall: Double, cpu: Double) {
        func childCPU() -> Double {
            var u = rusage()
            getrusage(RUSAGE_CHILDREN.rawValue, &u)
            return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
        }
        var best = (wall: Double.infinity, cpu: Double.infinity)
        for _ in 0..<3 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-ss", "0", "-t", String(seconds),
                           "-i", path, "-f", "null", "-"]
            let cpu0 = childCPU(), t0 = Date()
            do { try p.run() } catch { throw ValidationError("cannot run ffmpeg (the decoder yardstick): \(error)") }
            p.waitUntilExit()
            let wall = Date().timeIntervalSince(t0), cpu = childCPU() - cpu0
            guard p.terminationStatus == 0 else { throw ValidationError("ffmpeg could not decode \(path) (exit \(p.terminationStatus))") }
            if cpu < best.cpu { best = (wall, cpu) }
        }
        return best
    }

    /// CPU seconds of the calling thread (CLOCK_THREAD_CPUTIME_ID): media alone runs on it, so this leaves
    /// out whatever other threads of the process (the engine's idle BLAS threads) spend meanwhile.
    func callingThreadCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}
