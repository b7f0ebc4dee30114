// MediaInput and SegmentWindow: what to read, and which part of it.
import Foundation

/// Where the media bytes are.
public enum MediaInput: Sendable {
    /// A local file path (FFmpeg's `file` protocol only; no URLs).
    case file(String)
    /// Bytes in memory; `name` is used in errors and results, `formatHint` is a container
    /// name or extension FFmpeg knows ("mp4", "wav", "matroska"), nil to probe.
    case bytes(Data, name: String, formatHint: String? = nil)

    /// The name errors and results use.
    public var name: String {
        switch self {
        case .file(let path): return path
        case .bytes(_, let name, _): return name
        }
    }
}

/// A window [start, start + duration) of the media, in seconds from its beginning.
/// `duration` nil means up to the end of the media.
public struct SegmentWindow: Sendable, Equatable {
    public var start: Double
    public var duration: Double?

    public init(start: Double = 0, duration: Double? = nil) {
        self.start = start
        self.duration = duration
    }

    public static let whole = SegmentWindow()
}
