// `merclip bench --stage media`: decode + preprocess time of a media file (by default a 10 s 720p H.264+AAC segment) next to the
// model time for the same segment (random weights of the preset) and ffmpeg's full decode of the file.
import ArgumentParser
import Foundation
import Media
import Model
import Tensor

extension MediaPreprocessConfig {
    /// The front end's settings for a model config (image sizes, frame count, mean/std, audio parameters).
    init(model c: MERCLIPConfig) {
        self.init()
        frames = c.preprocess.frames
        imageSize = c.vision.imageSize
        imageMean = c.preprocess.imageMean.map { Float($0) }
        imageStd = c.preprocess.imageStd.map { Float($0) }
        let a = c.preprocess.audio
        audio.sampleRate = a.sampleRate
        audio.windowSeconds = a.windowSeconds
        audio.maxWindows = a.maxWindows
        audio.nFFT = a.nFft
        audio.hopLength = a.hopLength
        audio.nMels = a.nMels
        audio.fMin = a.fMin
        audio.fMax = a.fMax
        audio.mean = Float(a.mean)
        audio.std = Float(a.std)
        audio.imageSize = c.audio.imageSize
    }
}

extension Bench {
    /// $MERCLIP_BENCH_MEDIA, else .build-test-media/bench720.mp4 under the current directory, made
    /// with ops/make-test-media.sh when it is missing and the script is there.
    static func mediaBenchInput() throws -> String {
        if let path = Setting().variable("MERCLIP_BENCH_MEDIA") { return path }
        let dir = FileManager.default.currentDirectoryPath + "/.build-test-media"
        let path = dir + "/bench720.mp4"
        if FileManager.default.fileExists(atPath: path) { return path }
        let script = FileManager.default.currentDirectoryPath + "/ops/make-test-media.sh"
        guard FileManager.default.fileExists(atPath: script) else {
            throw ValidationError("no bench media: set MERCLIP_BENCH_MEDIA, or run from the repository (ops/make-test-media.sh)")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [script, dir]
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0, FileManager.default.fileExists(atPath: path) else {
            throw ValidationError("ops/make-test-media.sh failed (it needs ffmpeg and espeak-ng)")
        }
        return path
    }

    func runMedia() throws {
        let path = try media ?? Self.mediaBenchInput()
        let config = ModelPreset(rawValue: preset)!.config()
        let mediaConfig = MediaPreprocessConfig(model: config)
        let info = try MediaProbe.probe(.file(path))
        print("merclip bench --stage media: \(path)")
        print(String(format: "input: %@ %dx%d, %@ %d Hz %d ch, %.2f s; preset %@, %d timed runs after a warm-up",
                     info.videoCodec ?? "-", info.width ?? 0, info.height ?? 0, info.audioCodec ?? "-",
                     info.audioSampleRate ?? 0, info.audioChannels ?? 0, info.duration ?? 0, preset, iters))
        var prepared: PreparedSegment?
        var mediaSeconds: [Int: Double] = [:]
        var decodeSeconds = 0.0  // one thread's decoding alone (video minus conversions)
        var autoCPU = 0.0
        for threads in [0, 1] {
            let pre = MediaPreprocessor(config: mediaConfig, decoderThreads: threads)
            _ = try pre.process(.file(path))
            var runs: [PreparedSegment] = []
            let cpu0 = processCPUSeconds()
            for _ in 0..<iters { runs.append(try pre.process(.file(path))) }
            let cpu = (processCPUSeconds() - cpu0) / Double(iters) * 1000
            let mean = { (f: (MediaTimings) -> Double) in runs.map { f($0.timings) }.reduce(0, +) / Double(runs.count) * 1000 }
            let total = mean { $0.total }
            mediaSeconds[threads] = total / 1000
            if threads == 1 { decodeSeconds = (mean { $0.video } - mean { $0.frameConversion }) / 1000 }
            print(String(format: "media, decoder threads %@: %.1f ms (min %.1f, CPU %.1f ms) = open %.1f + video %.1f (%d frames decoded; converting the 12 took %.1f ms of thread time) + audio %.1f + spectrogram %.1f",
                         threads == 0 ? "auto" : "\(threads)", total, runs.map { $0.timings.total }.min()! * 1000, cpu,
                         mean { $0.open }, mean { $0.video }, runs[0].info.videoFramesDecoded, mean { $0.frameConversion },
                         mean { $0.audio }, mean { $0.spectrogram }))
            prepared = runs.last
            if threads == 0 { autoCPU = cpu / 1000 }
        }
        let duration = info.duration ?? 10
        let ffmpeg = try Self.ffmpegFullDecode(path, seconds: duration)
        print(String(format: "ffmpeg full decode (ffmpeg -ss 0 -t %g -i FILE -f null -, mean of %d runs): %.1f ms wall, CPU %.1f ms (least %.1f); media CPU (threads auto) / ffmpeg's: %.1f%%",
                     duration, ffmpeg.runs, ffmpeg.wall * 1000, ffmpeg.cpu * 1000, ffmpeg.leastCPU * 1000, autoCPU / ffmpeg.cpu * 100))
        let p = prepared!
        guard let vocab = ModelFactory.findVocabulary() else {
            throw ValidationError("cannot find assets/clip-bpe: set MERCLIP_ASSETS to the assets directory")
        }
        let engine = MERCLIPEngine(model: try ModelFactory.randomModel(config, tokenizer: try CLIPTokenizer(directory: vocab), seed: 1))
        let segment = Segment(id: "bench", frames: p.frames.map { Tensor(shape: p.framesShape, data: $0) },
                              audio: p.audio.map { Tensor(shape: p.audioShape, data: $0) },
                              tokenIds: nil, transcript: p.transcript?.text)
        _ = try engine.score([segment])
        var times: [Double] = []
        let cpu0 = processCPUSeconds()
        for _ in 0..<iters {
            let s = Date()
            _ = try engine.score([segment])
            times.append(Date().timeIntervalSince(s))
        }
        let modelCPU = (processCPUSeconds() - cpu0) / Double(iters) * 1000
        let model = times.reduce(0, +) / Double(times.count)
        print(String(format: "model (%@, %d frames + %d audio windows%@, BLAS threads %d): %.1f ms (min %.1f, CPU %.1f ms)",
                     preset, p.framesShape.first ?? 0, p.audioShape.first ?? 0, p.transcript == nil ? ", no transcript" : " + transcript",
                     BLAS.threads, model * 1000, times.min()! * 1000, modelCPU))
        for threads in [0, 1] {
            print(String(format: "media / model, decoder threads %@: %.1f%%", threads == 0 ? "auto" : "1", mediaSeconds[threads]! / model * 100))
        }
        // Exact frames cannot cost less than decoding the needed pictures spread perfectly over the cores.
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let floor = decodeSeconds / Double(cores)
        guard p.framesShape.first ?? 0 > 0 else { return }
        print(String(format: "floor for exact frames: %.1f ms of decoding / %d cores = %.1f ms = %.1f%% of the model time",
                     decodeSeconds * 1000, cores, floor * 1000, floor / model * 100))
    }
}

/// User + system CPU seconds of this process so far.
func processCPUSeconds() -> Double {
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
}
