// `merclip preprocess`: one media file → frames.npy, audio.npy and transcript.txt, the model's inputs.
import ArgumentParser
import Foundation
import Media
import Tensor

struct Preprocess: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decode one media file into the MER-CLIP inputs: frames.npy, audio.npy, transcript.txt.",
        discussion: """
        frames.npy: float32 [12, 3, 224, 224], CLIP-normalised RGB of the frames at start + (j + 0.5)·duration/12.
        audio.npy: float32 [T_A, 3, 224, 224], log-mel images of 2 s windows normalised with the model's
        preprocess.audio mean/std (mean 0, std 1 without --model, i.e. the raw ln energies).
        transcript.txt: --transcript, else the subtitle stream's cues in the window, else a sidecar .srt/.vtt.
        A missing modality writes no file; stdout says which and why. Exit status 1 with
        "error: <code>: <reason>" for a bad input (codes in docs/media.md).
        Example: merclip preprocess talk.mp4 --start 30 --duration 8 --output /tmp/seg
        """)

    @Argument(help: "Media file (anything FFmpeg reads: mp4, mkv, webm, wav, mp3, flac, ogg, ...).")
    var media: String

    @Option(help: "Model directory: its config.json gives image size, frame count and audio mean/std.")
    var model: String?

    @OptionGroup var window: WindowOptions

    @Option(help: "Transcript text (overrides subtitles and sidecar files).")
    var transcript: String?

    @Option(help: "Output directory (created).")
    var output: String

    @Option(help: "Largest input in bytes.")
    var maxBytes: Int = MediaLimits.default.maxBytes

    @Option(help: "Longest segment in seconds.")
    var maxDuration: Double = MediaLimits.default.maxDuration

    @Option(help: "Most pixels per video picture (width × height).")
    var maxPixels: Int = MediaLimits.default.maxPixels

    @Option(help: "Decode time limit in seconds.")
    var decodeTimeout: Double = MediaLimits.default.decodeTimeLimit

    func validate() throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: output, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw ValidationError("--output \(output) exists and is not a directory")
        }
    }

    func run() throws {
        var config: MediaPreprocessConfig
        if let model {
            config = try MediaPreprocessConfig(modelDirectory: model)
        } else {
            config = MediaPreprocessConfig()
            config.audio.mean = 0
            config.audio.std = 1
        }
        let limits = MediaLimits(maxBytes: maxBytes, maxDuration: maxDuration, maxPixels: maxPixels,
                                 decodeTimeLimit: decodeTimeout)
        let segment: PreparedSegment
        do {
            segment = try MediaPreprocessor(config: config, limits: limits)
                .process(.file(media), window: window.window, transcript: transcript)
        } catch let e as MediaError {
            FileHandle.standardError.write(Data("error: \(e.code.rawValue): \(e.input): \(e.reason)\n".utf8))
            throw ExitCode(1)
        }
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let dir = URL(fileURLWithPath: output)
        let info = segment.info
        print("input: \(segment.input) (\(info.container), \(info.duration.map { String(format: "%.3f s", $0) } ?? "duration unknown"))")
        print(String(format: "window: start %.3f s, duration %.3f s", segment.window.start, segment.window.duration ?? 0))
        if let frames = segment.frames {
            try Npy.write(Tensor(shape: segment.framesShape, data: frames), to: dir.appendingPathComponent("frames.npy").path)
            print("vision: frames.npy \(segment.framesShape) from \(info.videoCodec ?? "?") \(info.width ?? 0)x\(info.height ?? 0)"
                  + (info.rotation != 0 ? " rotated \(info.rotation)°" : "") + ", \(info.videoFramesDecoded) frames decoded")
        }
        if let audio = segment.audio {
            try Npy.write(Tensor(shape: segment.audioShape, data: audio), to: dir.appendingPathComponent("audio.npy").path)
            print(String(format: "audio: audio.npy %@ from %.3f s of %@ %d Hz %d ch (read with %@), mean %g std %g",
                         "\(segment.audioShape)", segment.audioSeconds, info.audioCodec ?? "?", info.audioSampleRate ?? 0,
                         info.audioChannels ?? 0, info.audioReader ?? "?", config.audio.mean, config.audio.std))
        }
        if let t = segment.transcript {
            try (t.text + "\n").write(to: dir.appendingPathComponent("transcript.txt"), atomically: true, encoding: .utf8)
            print("language: transcript.txt from \(t.source): \(t.text)")
        }
        for (modality, why) in segment.missing.sorted(by: { $0.key < $1.key }) {
            print("missing \(modality): \(why)")
        }
        print(String(format: "time: %.1f ms (open %.1f, video %.1f, audio %.1f, spectrogram %.1f)",
                     segment.timings.total * 1000, segment.timings.open * 1000, segment.timings.video * 1000,
                     segment.timings.audio * 1000, segment.timings.spectrogram * 1000))
    }
}
