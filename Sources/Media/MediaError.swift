// MediaError: the one error type of the media front end (a code, the input's name, the reason).

/// Why an input could not be turned into model inputs. Every code except `.outOfMemory` marks a
/// poison input: retrying the same bytes gives the same failure, so a worker sends it to the DLQ.
public struct MediaError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, CaseIterable {
        /// The file does not exist or cannot be read.
        case unreadable
        /// The path names a FIFO, a device, a socket or a directory, not a regular file.
        case notAFile = "not_a_file"
        /// A container this front end does not open for media from events (playlists, concat lists, ...).
        case unsupportedContainer = "unsupported_container"
        /// More bytes than `MediaLimits.maxBytes`.
        case tooLarge = "too_large"
        /// The segment is longer than `MediaLimits.maxDuration`.
        case tooLong = "too_long"
        /// A video picture has more pixels than `MediaLimits.maxPixels`.
        case resolutionTooHigh = "resolution_too_high"
        /// Demuxing and decoding took longer than `MediaLimits.decodeTimeLimit`.
        case decodeTimeout = "decode_timeout"
        /// Not a media file FFmpeg can read, or its data does not decode.
        case corrupt
        /// The file ends before its own headers say it should.
        case truncated
        /// Neither a video nor an audio stream.
        case noUsableStream = "no_usable_stream"
        /// Video/audio streams exist, but none has a decoder here.
        case unsupportedCodec = "unsupported_codec"
        /// The segment window lies outside the media, or the media's duration is unknown.
        case invalidWindow = "invalid_window"
        /// An allocation failed (not the input's fault: not poison).
        case outOfMemory = "out_of_memory"
    }

    public var code: Code
    /// The input's name: the file path, or the name given with in-memory bytes.
    public var input: String
    public var reason: String

    public init(_ code: Code, input: String, reason: String) {
        self.code = code
        self.input = input
        self.reason = reason
    }

    /// True when retrying cannot help (all codes but `.outOfMemory`).
    public var isPoison: Bool { code != .outOfMemory }

    public var description: String { "\(input): \(code.rawValue): \(reason)" }
}
