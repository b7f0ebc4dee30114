// RFC 3339 timestamps, as events, result messages, logs and Postgres timestamptz parameters carry them.
import Foundation

public enum RFC3339 {
    /// "2026-11-25T10:00:00.123Z".
    public static func format(_ d: Date) -> String { formatter(fractional: true).string(from: d) }

    /// Parses with or without fractional seconds; nil when the text is not RFC 3339.
    public static func parse(_ s: String) -> Date? {
        formatter(fractional: true).date(from: s) ?? formatter(fractional: false).date(from: s)
    }

    // A formatter per call: corelibs Foundation does not promise a shared one is thread-safe.
    private static func formatter(fractional: Bool) -> ISO8601DateFormatter {
        let f = ISO8601DateFormatter()
        f.formatOptions = fractional ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
        return f
    }
}
