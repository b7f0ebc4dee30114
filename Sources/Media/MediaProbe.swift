// MediaProbe: how long a media file is, without decoding it (for `merclip ingest`).
import Foundation

public enum MediaProbe {
    /// The duration in seconds from the container, or nil when it does not say.
    public static func duration(of input: MediaInput, limits: MediaLimits = .default) throws -> Double? {
        try FormatInput(input, deadline: Deadline(limit: limits.decodeTimeLimit, input: input.name)).duration
    }
}
