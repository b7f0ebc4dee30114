// MediaPreprocessConfig: frame count, image size, CLIP mean/std and spectrogram parameters, from a model's config.json.
import Foundation
import Tensor

/// How audio becomes spectrogram images (config.json `preprocess.audio`; docs/design.md gives the maths).
public struct AudioSpectrogramConfig: Sendable, Equatable {
    /// The mono rate the audio is resampled to, Hz; each image covers `windowSeconds`, at most `maxWindows` per segment.
    public var sampleRate = 16000, windowSeconds = 2.0, maxWindows = 12
    /// STFT frame length and hop, in samples.
    public var nFFT = 1024, hopLength = 512
    /// Mel bands (the image's rows) and the band edges in Hz.
    public var nMels = 224, fMin = 20.0, fMax = 8000.0
    /// Normalisation (x − mean) / std of the log-mel image.
    public var mean: Float = -4
    public var std: Float = 4
    /// Columns of the audio image (the audio encoder's image_size).
    public var imageSize = 224

    public init() {}

    /// Samples in one window (32000 by default).
    public var windowSamples: Int { Int((windowSeconds * Double(sampleRate)).rounded()) }
    /// STFT frames in one window, no padding (61 by default).
    public var framesPerWindow: Int { 1 + (windowSamples - nFFT) / hopLength }
}

public struct MediaPreprocessConfig: Sendable, Equatable {
    /// Video frames per segment.
    public var frames = 12
    /// Side of the square frames (the vision encoder's image_size).
    public var imageSize = 224
    public var imageMean: [Float] = [0.48145466, 0.4578275, 0.40821073]
    public var imageStd: [Float] = [0.26862954, 0.26130258, 0.27577711]
    public var audio = AudioSpectrogramConfig()

    /// The defaults of docs/model-format.md (audio mean −4, std 4).
    public init() {}

    /// Reads `preprocess`, `vision.image_size` and `audio.image_size` from `<directory>/config.json`;
    /// missing keys keep their defaults.
    public init(modelDirectory: String) throws {
        let path = URL(fileURLWithPath: modelDirectory).appendingPathComponent("config.json").path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw MediaConfigError(path: path, reason: "cannot read: \(whyUnreadable(path))")
        }
        try self.init(configJSON: data, name: path)
    }

    public init(configJSON data: Data, name: String = "config.json") throws {
        self.init()
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw MediaConfigError(path: name, reason: "not a JSON object")
        }
        func number(_ dict: [String: Any]?, _ key: String) throws -> Double? {
            guard let value = dict?[key] else { return nil }
            guard let n = value as? NSNumber, !(value is Bool) else {
                throw MediaConfigError(path: name, reason: "\(key) must be a number")
            }
            return n.doubleValue
        }
        func floats(_ dict: [String: Any]?, _ key: String, count: Int) throws -> [Float]? {
            guard let value = dict?[key] else { return nil }
            guard let list = value as? [NSNumber], list.count == count else {
                throw MediaConfigError(path: name, reason: "\(key) must be a list of \(count) numbers")
            }
            return list.map { $0.floatValue }
        }
        let vision = root["vision"] as? [String: Any]
        let audioEncoder = root["audio"] as? [String: Any]
        let pre = root["preprocess"] as? [String: Any]
        let a = pre?["audio"] as? [String: Any]
        if let v = try number(vision, "image_size") { imageSize = Int(v) }
        if let v = try number(pre, "frames") { frames = Int(v) }
        if let v = try floats(pre, "image_mean", count: 3) { imageMean = v }
        if let v = try floats(pre, "image_std", count: 3) { imageStd = v }
        if let v = try number(audioEncoder, "image_size") { audio.imageSize = Int(v) }
        if let v = try number(a, "sample_rate") { audio.sampleRate = Int(v) }
        if let v = try number(a, "window_seconds") { audio.windowSeconds = v }
        if let v = try number(a, "max_windows") { audio.maxWindows = Int(v) }
        if let v = try number(a, "n_fft") { audio.nFFT = Int(v) }
        if let v = try number(a, "hop_length") { audio.hopLength = Int(v) }
        if let v = try number(a, "n_mels") { audio.nMels = Int(v) }
        if let v = try number(a, "f_min") { audio.fMin = v }
        if let v = try number(a, "f_max") { audio.fMax = v }
        if let v = try number(a, "mean") { audio.mean = Float(v) }
        if let v = try number(a, "std") { audio.std = Float(v) }
        try validate(name: name)
    }

    func validate(name: String) throws {
        func bad(_ reason: String) -> MediaConfigError { MediaConfigError(path: name, reason: reason) }
        guard frames >= 1, frames <= 1024 else { throw bad("preprocess.frames must be 1...1024") }
        guard imageSize >= 1, imageSize <= 4096, audio.imageSize >= 1, audio.imageSize <= 4096 else { throw bad("image_size must be 1...4096") }
        guard imageStd.allSatisfy({ $0 != 0 }), audio.std != 0 else { throw bad("std must not be 0") }
        let n = audio.nFFT
        guard n >= 16, n & (n - 1) == 0 else { throw bad("preprocess.audio.n_fft must be a power of two ≥ 16") }
        guard audio.hopLength >= 1, audio.windowSamples >= n else { throw bad("preprocess.audio: a window must hold n_fft samples") }
        guard audio.nMels >= 1, audio.maxWindows >= 1, audio.sampleRate >= 1000 else { throw bad("preprocess.audio: n_mels, max_windows, sample_rate") }
        guard audio.fMin >= 0, audio.fMax > audio.fMin else { throw bad("preprocess.audio: need 0 ≤ f_min < f_max") }
    }
}

/// A model config.json the media front end cannot use.
public struct MediaConfigError: Error, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "\(path): \(reason)" }
}
