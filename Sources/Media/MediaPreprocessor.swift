// MediaPreprocessor: an input and a window → 12 normalised frames, log-mel audio images and a transcript.
import CFFmpeg
import Dispatch
import Foundation

public final class MediaPreprocessor: Sendable {
    public let config: MediaPreprocessConfig
    public let limits: MediaLimits
    /// Threads per video decoder; 0 lets FFmpeg choose (one per core).
    public let decoderThreads: Int
    /// Read audio-only WAV/FLAC/OGG/AIFF with libsndfile (else FFmpeg reads everything).
    public let useSndfile: Bool
    /// The spectrogram's window, mel filters and time resize, built once.
    private let melBank: MelFilterBank

    /// Where the async `process` runs: never on Swift's cooperative pool.
    private static let queue = DispatchQueue(label: "merclip.media", qos: .userInitiated, attributes: .concurrent)

    public init(config: MediaPreprocessConfig = MediaPreprocessConfig(), limits: MediaLimits = .default,
                decoderThreads: Int = 0, useSndfile: Bool = true) {
        self.config = config
        self.limits = limits
        self.decoderThreads = decoderThreads
        self.useSndfile = useSndfile
        melBank = MelFilterBank(config.audio)
    }

    /// Async form of `process`, run on a private dispatch queue.
    public func process(_ input: MediaInput, window: SegmentWindow = .whole,
                        transcript: String? = nil) async throws -> PreparedSegment {
        try await withCheckedThrowingContinuation { continuation in
            MediaPreprocessor.queue.async {
                continuation.resume(with: Result { try self.process(input, window: window, transcript: transcript) })
            }
        }
    }

    /// Demuxes and decodes `input` within `window`. The transcript comes from the first source that
    /// has one: `transcript` (the caller's), a subtitle stream, a sidecar .srt/.vtt next to a file.
    /// Throws `MediaError` for every input problem.
    public func process(_ input: MediaInput, window: SegmentWindow = .whole,
                        transcript: String? = nil) throws -> PreparedSegment {
        let name = input.name
        let deadline = Deadline(limit: limits.decodeTimeLimit, input: name)
        guard window.start.isFinite, window.start >= 0, window.duration.map({ $0.isFinite && $0 > 0 }) ?? true else {
            throw MediaError(.invalidWindow, input: name,
                             reason: "the window needs start ≥ 0 and duration > 0 (got start \(window.start), duration \(window.duration.map { "\($0)" } ?? "none"))")
        }
        let (head, size) = try checkInput(input)
        var segment: PreparedSegment
        if useSndfile, SoundFile.looksLikeSoundFile(head), let sound = SoundFile(input) {
            try WAVHeader(head)?.checkNotCutShort(fileSize: size, window: window, input: name)
            segment = try processSoundFile(sound, name: name, window: window, deadline: deadline)
        } else {
            segment = try processFFmpeg(input, window: window, deadline: deadline)
        }
        // The caller's transcript wins, then the container's subtitles, then a sidecar file.
        if let transcript, !transcript.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            segment.transcript = Transcript(text: transcript, source: .caller)
        }
        var sidecarNote: String?
        if segment.transcript == nil, case .file(let path) = input {
            try deadline.check()
            sidecarNote = readSidecar(for: path, into: &segment)
        }
        if segment.transcript == nil {
            segment.missing["language"] = "no transcript: none given, no subtitle stream cue, no sidecar cue in the window"
                + (sidecarNote.map { " (\($0))" } ?? "")
        } else {
            segment.missing["language"] = nil
        }
        try deadline.check()
        segment.timings.total = deadline.elapsed
        return segment
    }

    // MARK: input checks

    /// Enforces maxBytes and, for a path, that it is a regular file (opened without blocking);
    /// returns the first bytes (to recognise audio-only files and read a WAV header) and the size.
    private func checkInput(_ input: MediaInput) throws -> ([UInt8], Int) {
        let head: [UInt8], size: Int, name = input.name
        switch input {
        case .bytes(let data, _, _):
            (head, size) = ([UInt8](data.prefix(4096)), data.count)
        case .file(let path):
            (head, size) = try RegularFile.head(path, count: 4096)
        }
        if size > limits.maxBytes {
            throw MediaError(.tooLarge, input: name, reason: "\(size) bytes, over the limit of \(limits.maxBytes)")
        }
        if size == 0 { throw MediaError(.corrupt, input: name, reason: "no bytes: the input is empty") }
        return (head, size)
    }

    /// The sidecar .srt/.vtt next to `path`, read only when it resolves into the media file's own
    /// folder (so a link cannot lead outside the media roots), is a regular file and is at most
    /// `maxSubtitleBytes`; else returns why it was not used.
    private func readSidecar(for path: String, into segment: inout PreparedSegment) -> String? {
        guard let sidecar = SubtitleText.sidecarPath(for: path) else { return nil }
        let folder = URL(fileURLWithPath: path).resolvingSymlinksInPath().deletingLastPathComponent().path
        let resolved = URL(fileURLWithPath: sidecar).resolvingSymlinksInPath()
        guard resolved.deletingLastPathComponent().path == folder else {
            return "\(sidecar) ignored: it resolves to \(resolved.path), outside the media file's folder"
        }
        let bytes: [UInt8]
        do {
            let (head, size) = try RegularFile.head(resolved.path, count: limits.maxSubtitleBytes + 1)
            guard size <= limits.maxSubtitleBytes else {
                return "\(sidecar) ignored: \(size) bytes, over the limit of \(limits.maxSubtitleBytes)"
            }
            bytes = head
        } catch {
            return "\(sidecar) ignored: \(error)"
        }
        // UTF-8, else Latin-1 (older .srt files).
        let text = String(bytes: bytes, encoding: .utf8) ?? String(decoding: bytes.map { UInt16($0) }, as: UTF16.self)
        let start = segment.window.start, end = start + (segment.window.duration ?? 0)
        segment.transcript = Transcript.from(cues: SubtitleText.parseCues(text), from: start, to: end,
                                             source: .sidecar(path: sidecar))
        return nil
    }

    /// The window clamped to the media: (start, duration) in seconds from the media's beginning.
    private func resolve(_ window: SegmentWindow, mediaDuration: Double?, name: String) throws -> (Double, Double) {
        var duration: Double
        if let d = mediaDuration {
            guard window.start < d else {
                throw MediaError(.invalidWindow, input: name,
                                 reason: String(format: "the window starts at %.3f s, after the media's end at %.3f s", window.start, d))
            }
            duration = min(window.duration ?? (d - window.start), d - window.start)
        } else {
            guard let w = window.duration else {
                throw MediaError(.invalidWindow, input: name, reason: "the media's duration is unknown: give the window a duration")
            }
            duration = w
        }
        let requested = window.duration ?? duration
        if max(requested, duration) > limits.maxDuration {
            throw MediaError(.tooLong, input: name,
                             reason: String(format: "the segment is %.3f s long, over the limit of %.3f s", max(requested, duration), limits.maxDuration))
        }
        return (window.start, duration)
    }

    // MARK: audio-only files (libsndfile)

    private func processSoundFile(_ sound: SoundFile, name: String, window: SegmentWindow,
                                  deadline: Deadline) throws -> PreparedSegment {
        let t0 = deadline.elapsed
        let (start, duration) = try resolve(window, mediaDuration: sound.duration, name: name)
        let info = MediaInfo(sound: sound)
        var timings = MediaTimings()
        timings.open = deadline.elapsed - t0
        let t1 = deadline.elapsed
        let first = Int((start * Double(sound.sampleRate)).rounded(.down))
        let count = Int((duration * Double(sound.sampleRate)).rounded(.up))
        let interleaved = try sound.read(first: first, count: count, deadline: deadline)
        let rate = config.audio.sampleRate
        var mono: [Float] = []
        if sound.sampleRate == rate {
            let ch = sound.channels
            mono = ch == 1 ? interleaved : (0..<(interleaved.count / ch)).map { i in
                var s: Float = 0
                for c in 0..<ch { s += interleaved[i * ch + c] }
                return s / Float(ch)
            }
        } else {
            let resampler = Resampler(outRate: rate, input: name)
            var layout = AVChannelLayout()
            av_channel_layout_default(&layout, Int32(sound.channels))
            try interleaved.withUnsafeBytes { raw in
                var plane: UnsafePointer<UInt8>? = raw.baseAddress?.assumingMemoryBound(to: UInt8.self)
                try withUnsafePointer(to: &plane) { planes in
                    try resampler.convert(planes, count: interleaved.count / sound.channels, layout: layout,
                                          format: AV_SAMPLE_FMT_FLT, rate: Int32(sound.sampleRate), into: &mono)
                }
            }
            resampler.flush(into: &mono)
        }
        let wanted = Int((duration * Double(rate)).rounded())
        if mono.count > wanted { mono.removeSubrange(wanted...) }
        timings.audio = deadline.elapsed - t1
        var segment = PreparedSegment(
            input: name, window: SegmentWindow(start: start, duration: duration), frames: nil, framesShape: [],
            audio: nil, audioShape: [], audioSeconds: 0, transcript: nil,
            missing: ["vision": "no video stream (audio-only file)"], info: info, timings: timings)
        try spectrogram(mono, into: &segment, deadline: deadline)
        return segment
    }

    // MARK: everything else (FFmpeg)

    private func processFFmpeg(_ input: MediaInput, window: SegmentWindow, deadline: Deadline) throws -> PreparedSegment {
        let name = input.name
        let format = try FormatInput(input, deadline: deadline, demuxers: limits.demuxers)
        var info = MediaInfo()
        info.container = format.formatName
        info.duration = format.duration
        info.startTime = format.startTime
        var timings = MediaTimings()
        timings.open = deadline.elapsed

        // Streams: the first decodable video (not cover art), the first decodable audio, the first text subtitles.
        var video: Int?, audio: Int?, subtitle: Int?
        var undecodable: [String] = []
        var others: [String] = []
        for i in 0..<format.streamCount {
            let par = format.parameters(i)
            let type = par.pointee.codec_type
            let hasDecoder = avcodec_find_decoder(par.pointee.codec_id) != nil
            let typeName = av_get_media_type_string(type).map { String(cString: $0) } ?? "unknown"
            let label = "stream \(i) \(typeName) (\(Decoder.describe(par)))"
            switch type {
            case AVMEDIA_TYPE_VIDEO where format.stream(i).pointee.disposition & AV_DISPOSITION_ATTACHED_PIC == 0:
                if !hasDecoder { undecodable.append(label) } else if video == nil { video = i }
            case AVMEDIA_TYPE_AUDIO:
                if !hasDecoder { undecodable.append(label) } else if audio == nil { audio = i }
            case AVMEDIA_TYPE_SUBTITLE:
                let textual = avcodec_descriptor_get(par.pointee.codec_id).map { $0.pointee.props & AV_CODEC_PROP_TEXT_SUB != 0 } ?? false
                if textual, hasDecoder, subtitle == nil { subtitle = i }
                others.append(label)
            default:
                others.append(label)
            }
        }
        if video == nil, audio == nil {
            if !undecodable.isEmpty {
                throw MediaError(.unsupportedCodec, input: name, reason: "no decoder for \(undecodable.joined(separator: ", "))")
            }
            let found = others.isEmpty ? "no streams at all" : "only \(others.joined(separator: ", "))"
            throw MediaError(.noUsableStream, input: name, reason: "no video or audio stream: \(found)")
        }
        var missing: [String: String] = [:]
        if let v = video {
            let par = format.parameters(v)
            let (w, h) = (Int(par.pointee.width), Int(par.pointee.height))
            if w * h > limits.maxPixels {
                throw MediaError(.resolutionTooHigh, input: name,
                                 reason: "the video is \(w)x\(h) = \(w * h) pixels, over the limit of \(limits.maxPixels)")
            }
            info.videoCodec = Decoder.describe(par)
            info.width = w
            info.height = h
            info.rotation = FrameConverter.rotation(of: format.stream(v))
            let rate = format.stream(v).pointee.avg_frame_rate
            info.frameRate = rate.num > 0 && rate.den > 0 ? av_q2d(rate) : nil
            let first = format.stream(v).pointee.start_time
            info.videoStartTime = first == merclip_av_nopts_value() ? nil : Double(first) * format.timeBase(v)
        } else {
            missing["vision"] = undecodable.isEmpty ? "no video stream" : "no decoder: \(undecodable.joined(separator: ", "))"
        }
        if let a = audio {
            let par = format.parameters(a)
            info.audioCodec = Decoder.describe(par)
            info.audioSampleRate = Int(par.pointee.sample_rate)
            info.audioChannels = Int(par.pointee.ch_layout.nb_channels)
            info.audioReader = "ffmpeg"
        } else {
            missing["audio"] = "no audio stream"
        }
        if let s = subtitle { info.subtitleCodec = Decoder.describe(format.parameters(s)) }

        let (start, duration) = try resolve(window, mediaDuration: format.duration, name: name)
        let absoluteStart = format.startTime + start
        var segment = PreparedSegment(
            input: name, window: SegmentWindow(start: start, duration: duration), frames: nil, framesShape: [],
            audio: nil, audioShape: [], audioSeconds: 0, transcript: nil, missing: missing, info: info, timings: timings)

        if let v = video {
            let t0 = deadline.elapsed
            let n = config.frames, size = config.imageSize
            let times = (0..<n).map { absoluteStart + (Double($0) + 0.5) * duration / Double(n) }
            var frames = [Float](repeating: 0, count: n * 3 * size * size)
            let (decoded, convertSeconds) = try frames.withUnsafeMutableBufferPointer { out in
                try sampleFrames(input, format: format, stream: v, times: times, rotation: info.rotation,
                                 deadline: deadline, into: out.baseAddress!)
            }
            segment.frames = frames
            segment.framesShape = [n, 3, size, size]
            segment.info.videoFramesDecoded = decoded
            segment.timings.frameConversion = convertSeconds
            segment.timings.video = deadline.elapsed - t0
        }
        if audio != nil || subtitle != nil {
            let t0 = deadline.elapsed
            let pass = AudioSubtitlePass(format: format, audioStream: audio, subtitleStream: subtitle,
                                         threads: 1, sampleRate: config.audio.sampleRate)
            let result = try pass.run(start: absoluteStart, end: absoluteStart + duration)
            segment.timings.audio = deadline.elapsed - t0
            if let s = subtitle, let codec = segment.info.subtitleCodec {
                segment.transcript = Transcript.from(cues: result.cues, from: absoluteStart, to: absoluteStart + duration,
                                                     source: .subtitleStream(index: s, codec: codec))
            }
            if audio != nil {
                if let samples = result.samples, !samples.isEmpty {
                    try spectrogram(samples, into: &segment, deadline: deadline)
                } else {
                    segment.missing["audio"] = "the audio stream has no samples in the window"
                }
            }
        }
        return segment
    }

    /// Samples the frames. With automatic decoder threads on a machine with several cores, the times
    /// are split at keyframes into parts of balanced decoding work (`FramePlan`), each decoded by its
    /// own demuxer and decoder on its own thread.
    private func sampleFrames(_ input: MediaInput, format: FormatInput, stream v: Int, times: [Double], rotation: Int,
                              deadline: Deadline, into out: UnsafeMutablePointer<Float>) throws -> (Int, Double) {
        let size = config.imageSize, block = 3 * size * size
        func converter() -> FrameConverter {
            FrameConverter(size: size, mean: config.imageMean, std: config.imageStd, rotation: rotation,
                           maxPixels: limits.maxPixels, input: input.name)
        }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let frameDuration = format.frameDuration(v)
        let parts = decoderThreads == 0 && cores >= 2
            ? FramePlan.split(times: times, parts: cores, frameDuration: frameDuration) {
                format.indexedKeyframe(atOrBefore: $0, stream: v)?.seconds
            }
            : [0..<times.count]
        guard parts.count > 1 else {
            let n = try VideoSampler(format: format, streamIndex: v, threads: decoderThreads, converter: converter())
                .sample(times: times, into: out)
            return (n.decoded, n.convertSeconds)
        }
        let threads = max(1, cores / parts.count)
        let demuxers = limits.demuxers
        let results = PartResults(parts.count)
        // Each thread uses only its own demuxer, decoder, converter and output range.
        let shared = Unchecked((format: format, deadline: deadline, converters: parts.map { _ in converter() }, out: out))
        DispatchQueue.concurrentPerform(iterations: parts.count) { k in
            let s = shared.value
            do {
                let f = k == 0 ? s.format : try FormatInput(input, deadline: s.deadline, demuxers: demuxers)
                let n = try VideoSampler(format: f, streamIndex: v, threads: threads, converter: s.converters[k])
                    .sample(times: Array(times[parts[k]]), into: s.out + parts[k].lowerBound * block)
                results.lock.withLock { results.decoded[k] = n.decoded; results.convertSeconds[k] = n.convertSeconds }
            } catch {
                results.lock.withLock { results.errors[k] = error }
            }
        }
        if let k = results.errors.keys.min() { throw results.errors[k]! }
        return (results.decoded.reduce(0, +), results.convertSeconds.reduce(0, +))
    }

    private func spectrogram(_ samples: [Float], into segment: inout PreparedSegment, deadline: Deadline) throws {
        guard !samples.isEmpty else {
            segment.missing["audio"] = "no audio samples in the window"
            return
        }
        try deadline.check()
        let t0 = deadline.elapsed
        let mel = try LogMelSpectrogram(melBank)
        let (values, count) = mel.images(for: samples)
        segment.audio = values
        segment.audioShape = [count, 3, config.audio.nMels, config.audio.imageSize]
        segment.audioSeconds = Double(samples.count) / Double(config.audio.sampleRate)
        segment.timings.spectrogram = deadline.elapsed - t0
    }
}

/// State handed to the decoding threads, which never touch the same parts of it.
private struct Unchecked<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// What the decoding threads report, under its lock.
private final class PartResults: @unchecked Sendable {
    let lock = NSLock()
    var decoded: [Int]
    var convertSeconds: [Double]
    var errors: [Int: Error] = [:]
    init(_ parts: Int) {
        decoded = [Int](repeating: 0, count: parts)
        convertSeconds = [Double](repeating: 0, count: parts)
    }
}
