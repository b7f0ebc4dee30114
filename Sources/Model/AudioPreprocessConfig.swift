// The audio front end's parameters (config.json `preprocess.audio`): resampling, windows, STFT and mel bank, normalisation.
import Foundation

/// How a segment's audio becomes spectrogram images. Missing keys take the values the model was trained with.
public struct AudioPreprocessConfig: DefaultedConfig, Sendable, Equatable {
    /// The rate the audio is resampled to (mono), Hz.
    public var sampleRate = 16000
    /// Each spectrogram image covers this many seconds; the last window is padded with zeros.
    public var windowSeconds = 2.0
    /// At most this many windows per segment, spread evenly over longer segments.
    public var maxWindows = 12
    /// STFT frame length and hop, in samples (periodic Hann window, no padding).
    public var nFft = 1024, hopLength = 512
    /// Mel bands (the image's rows) and the band edges in Hz (HTK mel scale).
    public var nMels = 224, fMin = 20.0, fMax = 8000.0
    /// The log-mel image is normalised as (x − mean) / std.
    public var mean = -4.0, std = 4.0

    enum CodingKeys: String, CodingKey {
        case sampleRate = "sample_rate", windowSeconds = "window_seconds", maxWindows = "max_windows", nFft = "n_fft"
        case hopLength = "hop_length", nMels = "n_mels", fMin = "f_min", fMax = "f_max", mean, std
    }

    public init() {}
}
