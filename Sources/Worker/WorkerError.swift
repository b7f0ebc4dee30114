// Why a segment could not be processed: a class for the DLQ header and the failures row.

public struct WorkerError: Error, Sendable, CustomStringConvertible {
    public enum Class: String, Sendable {
        case badJSON = "event.bad_json"
        case schema = "event.schema"
        case mediaNotAllowed = "media.not_allowed"
        case mediaUnreadable = "media.unreadable"
        case mediaTooLarge = "media.too_large"
        case mediaNotAFile = "media.not_a_file"
        case mediaTimeout = "media.download_timeout"
        case labelSet = "event.unknown_label_set"
    }

    public let errorClass: Class
    public let reason: String

    public init(_ c: Class, _ reason: String) {
        errorClass = c
        self.reason = reason
    }

    public var description: String { "\(errorClass.rawValue): \(reason)" }
}
