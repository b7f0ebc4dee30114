// MediaLimits: the bounds an input must stay within (bytes, duration, picture size, decode time, containers).

public struct MediaLimits: Sendable, Equatable {
    /// Largest input in bytes (file size or in-memory length). Default 512 MiB.
    public var maxBytes: Int
    /// Longest segment in seconds (the window, or the whole file without one). Default 600 s.
    public var maxDuration: Double
    /// Most pixels (width × height) of a video picture. Default 3840 × 2160.
    public var maxPixels: Int
    /// Wall-clock seconds one input may take to demux, decode and preprocess. Default 30 s.
    public var decodeTimeLimit: Double

    /// Largest sidecar subtitle file (.srt/.vtt) read. Default 1 MiB.
    public var maxSubtitleBytes: Int
    /// FFmpeg demuxers an input may be opened with (AVFormatContext's `format_whitelist`). Playlist
    /// and reference types (hls, dash, concat, ffmetadata, image sequences, ...) are not among them:
    /// they would open other files.
    public var demuxers: [String]

    /// The containers the product supports: MP4/MOV, Matroska/WebM, AVI, MPEG-TS/PS, WAV, AIFF, MP3,
    /// Ogg, FLAC, AAC (ADTS), CAF, FLV.
    public static let supportedDemuxers = [
        "mov", "mp4", "m4a", "3gp", "3g2", "mj2", "matroska", "webm", "avi", "mpegts", "mpeg", "wav", "w64",
        "aiff", "mp3", "ogg", "flac", "aac", "caf", "flv",
    ]

    public init(maxBytes: Int = 512 << 20, maxDuration: Double = 600, maxPixels: Int = 3840 * 2160,
                decodeTimeLimit: Double = 30, maxSubtitleBytes: Int = 1 << 20,
                demuxers: [String] = MediaLimits.supportedDemuxers) {
        self.maxBytes = maxBytes
        self.maxDuration = maxDuration
        self.maxPixels = maxPixels
        self.decodeTimeLimit = decodeTimeLimit
        self.maxSubtitleBytes = maxSubtitleBytes
        self.demuxers = demuxers
    }

    public static let `default` = MediaLimits()
}
