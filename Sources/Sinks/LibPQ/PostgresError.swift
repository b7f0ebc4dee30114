// The error type of the Postgres layer.

public struct PostgresError: Error, CustomStringConvertible, Sendable {
    /// SQLSTATE code when the server sent one, e.g. "23505".
    public let sqlState: String
    public let reason: String
    /// Whose fault it is (PostgresFault's table of SQLSTATE classes).
    public let fault: PostgresFault

    /// An error classified by its SQLSTATE (`PostgresFault.of`).
    public init(sqlState: String, reason: String) {
        self.init(sqlState: sqlState, reason: reason, fault: PostgresFault.of(sqlState: sqlState))
    }

    public init(sqlState: String = "", reason: String, fault: PostgresFault) {
        self.sqlState = sqlState
        self.reason = reason
        self.fault = fault
    }

    /// An error of this layer: retriable ones are the system's fault.
    public init(sqlState: String = "", reason: String, isRetriable: Bool) {
        self.init(sqlState: sqlState, reason: reason, fault: isRetriable ? .system : .segment)
    }

    /// A system fault: retrying later may succeed, and the segment must not go to the DLQ.
    public var isRetriable: Bool { fault == .system }

    public var description: String { sqlState.isEmpty ? "postgres: \(reason)" : "postgres \(sqlState): \(reason)" }
}
