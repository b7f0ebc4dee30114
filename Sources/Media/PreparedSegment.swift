// PreparedSegment and MediaInfo: what the front end hands the model, and what it found in the input.

/// What was found in an input.
public struct MediaInfo: Sendable, Equatable {
    /// Container (FFmpeg demuxer name, or libsndfile's format for audio read with it).
    public var container = ""
    /// Media duration in seconds when known.
    public var duration: Double?
    /// The container's first timestamp in seconds; window times are relative to it.
    public var startTime = 0.0
    public var videoCodec: String?
    public var width: Int?
    public var height: Int?
    /// Clockwise rotation applied to display the pictures upright.
    public var rotation = 0
    public var frameRate: Double?
    /// Timestamp of the video stream's first frame in seconds, when the container says.
    public var videoStartTime: Double?
    public var audioCodec: String?
    public var audioSampleRate: Int?
    public var audioChannels: Int?
    /// "ffmpeg" or "libsndfile".
    public var audioReader: String?
    public var subtitleCodec: String?
    /// Video frames the decoder produced to sample the segment's frames.
    public var videoFramesDecoded = 0

    public init() {}
}

/// Wall-clock seconds spent per stage.
public struct MediaTimings: Sendable, Equatable {
    public var open = 0.0
    public var video = 0.0
    /// Of `video`: CPU seconds spent converting the sampled pictures (resize, crop, normalise), summed
    /// over the decoding threads.
    public var frameConversion = 0.0
    public var audio = 0.0
    public var spectrogram = 0.0
    public var total = 0.0

    public init() {}
}

/// One segment ready for MER-CLIP: model inputs for each modality present, plus what was missing and why.
public struct PreparedSegment: Sendable {
    public var input: String
    /// The window actually used (duration clamped to the media's end).
    public var window: SegmentWindow
    /// [frames, 3, imageSize, imageSize], CLIP-normalised RGB; nil without video.
    public var frames: [Float]?
    public var framesShape: [Int]
    /// [T_A, 3, nMels, imageSize] normalised log-mel images; nil without audio.
    public var audio: [Float]?
    public var audioShape: [Int]
    /// Seconds of audio the windows were cut from (τ).
    public var audioSeconds: Double
    public var transcript: Transcript?
    /// Why a modality is missing, keyed "vision", "audio", "language".
    public var missing: [String: String]
    public var info: MediaInfo
    public var timings: MediaTimings

    /// The modalities present, in the model's fusion order (language, vision, audio).
    public var modalities: [String] {
        var m: [String] = []
        if transcript != nil { m.append("language") }
        if frames != nil { m.append("vision") }
        if audio != nil { m.append("audio") }
        return m
    }
}
