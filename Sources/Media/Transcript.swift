// Transcript and SubtitleCue: what was said in a segment, and where the text came from.

/// One timed subtitle cue, times in media seconds; `end` nil when the source gives none.
public struct SubtitleCue: Sendable, Equatable {
    public var start: Double
    public var end: Double?
    public var text: String

    public init(start: Double, end: Double?, text: String) {
        self.start = start
        self.end = end
        self.text = text
    }

    /// True when the cue is shown at some time in [from, to).
    public func overlaps(from: Double, to: Double) -> Bool {
        guard let end, end > start else { return start >= from && start < to }
        return start < to && end > from
    }
}

public struct Transcript: Sendable, Equatable {
    public enum Source: Sendable, Equatable, CustomStringConvertible {
        /// Given by the caller (CLI flag or event field).
        case caller
        /// A subtitle stream in the container: its index and codec name.
        case subtitleStream(index: Int, codec: String)
        /// A .srt or .vtt file next to the media file.
        case sidecar(path: String)

        public var description: String {
            switch self {
            case .caller: return "caller"
            case .subtitleStream(let index, let codec): return "subtitle stream \(index) (\(codec))"
            case .sidecar(let path): return "sidecar \(path)"
            }
        }
    }

    /// The text: the caller's, or the overlapping cues in order joined by spaces.
    public var text: String
    public var source: Source
    /// The cues the text came from (empty for `.caller`).
    public var cues: [SubtitleCue]

    public init(text: String, source: Source, cues: [SubtitleCue] = []) {
        self.text = text
        self.source = source
        self.cues = cues
    }

    /// The cues overlapping [from, to), sorted by start, as one transcript; nil when none has text.
    static func from(cues: [SubtitleCue], from: Double, to: Double, source: Source) -> Transcript? {
        let chosen = cues.enumerated()
            .filter { $0.element.overlaps(from: from, to: to) && !$0.element.text.isEmpty }
            .sorted { ($0.element.start, $0.offset) < ($1.element.start, $1.offset) }
            .map(\.element)
        guard !chosen.isEmpty else { return nil }
        return Transcript(text: chosen.map(\.text).joined(separator: " "), source: source, cues: chosen)
    }
}
