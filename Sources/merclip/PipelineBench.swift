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
        guard segmentSeconds > 0 else { throw ValidationError("--segment-seconds must be positive") }
        guard pipeline.rounds >= 1 else { throw ValidationError("--rounds must be at least 1") }
        let scorer = try MERCLIPScorer(modelDirectory: model, precision: mode.precision)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        print("merclip bench --stage pipeline: model \(scorer.modelName)@\(scorer.modelVersion), media \(mediaURL.lastPathComponent) "
              + String(format: "(first %.1f s), ", segmentSeconds) + "\(segments) segments, batch \(batch), \(scorer.engine.model.compute), "
              + "BLAS threads \(BLAS.threads), \(cores) cores, \(pipeline.rounds) rounds")

        let window = SegmentWindow(start: 0, duration: segmentSeconds)
        let input = MediaInput.file(mediaURL.path)
        _ = try scorer.prepare(media: input, window: window, transcript: "warm up")
        let bed = try PipelineBed(server: server, segments: segments, segmentSeconds: segmentSeconds, mediaURL: mediaURL)
        defer { bed.drop() }

        // Each round measures the parts alone, then the worker, so that drifts of the machine's speed
        // between phases average out over the rounds; the yardstick (ffmpeg decoding every stream of the same
        // window, in its own process) runs right before media alone, so that the two see the same machine.
        var rounds: [(ideal: Double, engine: Double, pipeline: Double)] = []
        var mediaCPU = 0.0, ffmpegCPU = 0.0
        for r in 1...pipeline.rounds {
            print("round \(r):")
            let ffmpeg = try Self.ffmpegFullDecode(mediaURL.path, seconds: segmentSeconds)
            print(String(format: "  ffmpeg full decode (ffmpeg -ss 0 -t %g -i FILE -f null -, mean of %d runs): %.1f ms wall, CPU %.1f ms (least %.1f)",
                         segmentSeconds, ffmpeg.runs, ffmpeg.wall * 1000, ffmpeg.cpu * 1000, ffmpeg.leastCPU * 1000))
            let m = try mediaAlone(scorer, input: input, window: window)
            print(String(format: "  media alone (decode + preprocess, 1 decoder thread): %.1f ms wall, CPU %.1f ms per segment (%.1f ms on the "
                         + "decoding thread itself); CPU / ffmpeg's: %.1f%% (decoding thread's: %.1f%%)",
                         m.wall * 1000, m.cpu * 1000, m.threadCPU * 1000, m.cpu / ffmpeg.cpu * 100, m.threadCPU / ffmpeg.cpu * 100))
            mediaCPU += m.cpu; ffmpegCPU += ffmpeg.cpu
            let e = try engineAlone(scorer, prepared: m.prepared, segments: segments)
            print(String(format: "  engine alone (batches of %d): %.2f segments/s (%.1f ms wall, CPU %.1f ms per segment)",
                         batch, 1 / e.wall, e.wall * 1000, e.cpu * 1000))
            // The best a perfect overlap could do: the engine never waits, and media and engine share the cores.
            let byEngine = 1 / e.wall, byCPU = Double(cores) / (e.cpu + m.cpu)
            let ideal = min(byEngine, byCPU)
            print(String(format: "  ideal overlapped: %.2f segments/s = min(engine alone %.2f, %d cores / (engine CPU + media CPU) %.2f); one after the other: %.2f",
                         ideal, byEngine, cores, byCPU, 1 / (e.wall + m.wall)))
            let run = try bed.run(round: r, scorer: scorer, batch: batch, cores: cores, options: pipeline)
            let through = run.segmentsPerSecond
            print(String(format: "  pipeline (Kafka → worker → Postgres + Kafka, commit): %.2f segments/s", through))
            // Whether the engine waited (busy under 100%) or ran slower beside the other stages (per segment over alone).
            print(String(format: "  its engine stage: %.0f batches of %.1f segments on average, busy %.1f%% of the time, %.1f ms wall per segment (alone %.1f)",
                         run.batches, Double(segments) / max(run.batches, 1), run.engineSeconds / run.seconds * 100,
                         run.engineSeconds / Double(segments) * 1000, e.wall * 1000))
            print(String(format: "  pipeline / ideal overlapped: %.2f; pipeline / engine alone: %.2f", through / ideal, through / byEngine))
            rounds.append((ideal, byEngine, through))
        }
        if rounds.count > 1 {
            func spread(_ v: [Double]) -> String {
                let s = v.sorted(), mid = s.count / 2
                let median = s.count % 2 == 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2
                return String(format: "median %.2f (%.2f–%.2f)", median, s[0], s[s.count - 1])
            }
            print("over \(rounds.count) rounds: pipeline / ideal overlapped \(spread(rounds.map { $0.pipeline / $0.ideal })); "
                  + "pipeline / engine alone \(spread(rounds.map { $0.pipeline / $0.engine }))")
            let total = { (k: KeyPath<(ideal: Double, engine: Double, pipeline: Double), Double>) in rounds.reduce(0) { $0 + 1 / $1[keyPath: k] } }
            print(String(format: "over all rounds (segments/s from the summed times): pipeline / ideal %.2f, pipeline / engine alone %.2f; "
                         + "media CPU / ffmpeg's %.1f%%", total(\.ideal) / total(\.pipeline), total(\.engine) / total(\.pipeline),
                         mediaCPU / ffmpegCPU * 100))
        }
        print(String(format: "peak RSS: %.0f MiB", peakRSSMiB()))
    }

    /// Decode + preprocess segment after segment on the calling thread (one decoder thread, as in the
    /// worker's lanes): wall, process and thread CPU per segment, and the prepared segments.
    private func mediaAlone(_ scorer: MERCLIPScorer, input: MediaInput, window: SegmentWindow) throws
        -> (wall: Double, cpu: Double, threadCPU: Double, prepared: [Segment]) {
        let runs = max(3, min(pipeline.segments, 8))
        var prepared: [Segment] = []
        let cpu0 = processCPUSeconds(), thread0 = callingThreadCPUSeconds(), t0 = Date()
        for _ in 0..<runs { prepared.append(try scorer.prepare(media: input, window: window, transcript: "I am so happy")) }
        let n = Double(runs)
        return (Date().timeIntervalSince(t0) / n, (processCPUSeconds() - cpu0) / n, (callingThreadCPUSeconds() - thread0) / n, prepared)
    }

    /// The engine alone on the prepared segments, in batches (after one batch to warm up): wall and CPU per segment.
    private func engineAlone(_ scorer: MERCLIPScorer, prepared: [Segment], segments: Int) throws -> (wall: Double, cpu: Double) {
        func batchOf(_ n: Int, from k: Int) -> [Segment] { (0..<n).map { prepared[(k + $0) % prepared.count] } }
        _ = try scorer.score(batchOf(min(batch, segments), from: 0), labelSets: Array(repeating: nil, count: min(batch, segments)))
        let cpu0 = processCPUSeconds(), t0 = Date()
        var done = 0
        while done < segments {
            let n = min(batch, segments - done)
            _ = try scorer.score(batchOf(n, from: done), labelSets: Array(repeating: nil, count: n))
            done += n
        }
        return (Date().timeIntervalSince(t0) / Double(segments), (processCPUSeconds() - cpu0) / Double(segments))
    }

    /// Mean wall and CPU seconds (user + system, from getrusage of the waited-for child) of `runs` runs of
    /// `ffmpeg -ss 0 -t seconds -i path -f null -` (every stream of the window decoded by ffmpeg with its default
    /// threads), and the least CPU of one run.
    static func ffmpegFullDecode(_ path: String, seconds: Double, runs: Int = 3)
        throws -> (wall: Double, cpu: Double, leastCPU: Double, runs: Int) {
        func childCPU() -> Double {
            var u = rusage()
            getrusage(RUSAGE_CHILDREN.rawValue, &u)
            return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
        }
        var wall = 0.0, cpu = 0.0, least = Double.infinity
        for _ in 0..<runs {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-ss", "0", "-t", String(seconds),
                           "-i", path, "-f", "null", "-"]
            let cpu0 = childCPU(), t0 = Date()
            do { try p.run() } catch { throw ValidationError("cannot run ffmpeg (the decoder yardstick): \(error)") }
            p.waitUntilExit()
            let w = Date().timeIntervalSince(t0), c = childCPU() - cpu0
            guard p.terminationStatus == 0 else { throw ValidationError("ffmpeg could not decode \(path) (exit \(p.terminationStatus))") }
            wall += w; cpu += c; least = min(least, c)
        }
        return (wall / Double(runs), cpu / Double(runs), least, runs)
    }

    /// CPU seconds of the calling thread (CLOCK_THREAD_CPUTIME_ID): media alone runs on it, so this leaves
    /// out whatever other threads of the process (the engine's idle BLAS threads) spend meanwhile.
    func callingThreadCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }
}
