// Why a segment could not be processed: a class for the DLQ header and the failures row.

public struct WorkerError: Error, Sendable, CustomStringConvertible {
    public enum Class: String, Sendable {
        /// The event is not JSON, or breaks the segment-event schema (a field missing, mistyped or out of range).
        case badJSON = "event.bad_json", schema = "event.schema"
        /// The event names a label set this worker was not given.
        case labelSet = "event.unknown_label_set"
        /// The media URI's scheme or host is not allowed, or it cannot be read.
        case mediaNotAllowed = "media.not_allowed", mediaUnreadable = "media.unreadable"
        /// The media is larger than the cap, is not a regular file, or took longer to download than allowed.
        case mediaTooLarge = "media.too_large", mediaNotAFile = "media.not_a_file", mediaTimeout = "media.download_timeout"
    }

    public let errorClass: Class
    public let reason: String

    public init(_ c: Class, _ reason: String) {
        errorClass = c
        self.reason = reason
    }

    public var description: String { "\(errorClass.rawValue): \(reason)" }
}
