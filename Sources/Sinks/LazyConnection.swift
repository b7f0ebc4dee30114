// A Postgres connection opened on first use and again after it was lost, with one-transaction writes.
import Foundation

final class LazyConnection: @unchecked Sendable {
    private let url: String
    private var connection: PostgresConnection?

    init(url: String) { self.url = url }

    /// The open connection, connecting when there is none or it was lost (blocking).
    func get() throws -> PostgresConnection {
        if let c = connection, c.isOK { return c }
        let c = try PostgresConnection(url)
        connection = c
        return c
    }

    /// Forgets the connection, so the next call connects again.
    func drop() { connection = nil }

    /// Runs `body` in one transaction (rolled back when it throws). A retriable error or a lost
    /// connection drops the connection, so the next call reconnects; the error says whether to retry.
    func transaction(_ body: (PostgresConnection) throws -> Void) throws {
        do {
            let db = try get()
            try db.execute(script: "BEGIN")
            do {
                try body(db)
                try db.execute(script: "COMMIT")
            } catch {
                try? db.execute(script: "ROLLBACK")
                throw error
            }
        } catch let e as PostgresError {
            if e.isRetriable || !(connection?.isOK ?? false) { connection = nil }
            throw e
        }
    }
}
