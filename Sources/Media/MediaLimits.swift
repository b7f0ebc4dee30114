// MediaLimits: the bounds an input must stay within (bytes, duration, picture size, decode time).

public struct MediaLimits: Sendable, Equatable {
    /// Largest input in bytes (file size or in-memory length). Default 512 MiB.
    public var maxBytes: Int
    /// Longest segment in seconds (the window, or the whole file without one). Default 600 s.
    public var maxDuration: Double
    /// Most pixels (width × height) of a video picture. Default 3840 × 2160.
    public var maxPixels: Int
    /// Wall-clock seconds one input may take to demux, decode and preprocess. Default 30 s.
    public var decodeTimeLimit: Double

    public init(maxBytes: Int = 512 << 20, maxDuration: Double = 600, maxPixels: Int = 3840 * 2160,
                decodeTimeLimit: Double = 30) {
        self.maxBytes = maxBytes
        self.maxDuration = maxDuration
        self.maxPixels = maxPixels
        self.decodeTimeLimit = decodeTimeLimit
    }

    public static let `default` = MediaLimits()
}
