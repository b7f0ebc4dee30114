// The error type of the Postgres layer.

public struct PostgresError: Error, CustomStringConvertible, Sendable {
    /// SQLSTATE code when the server sent one, e.g. "23505".
    public let sqlState: String
    public let reason: String
    /// Connection losses, serialization failures and deadlocks are worth retrying.
    public let isRetriable: Bool

    public init(sqlState: String = "", reason: String, isRetriable: Bool) {
        self.sqlState = sqlState
        self.reason = reason
        self.isRetriable = isRetriable
    }

    public var description: String { sqlState.isEmpty ? "postgres: \(reason)" : "postgres \(sqlState): \(reason)" }
}
