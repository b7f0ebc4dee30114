// The owning wrapper of one libpq connection. Calls block: run them on a thread of your own.
import CLibPQ

public final class PostgresConnection: @unchecked Sendable {
    private let conn: OpaquePointer

    /// Connects with a libpq URL or key=value string, e.g. `postgresql://user@127.0.0.1:55432/merclip`.
    public init(_ url: String) throws {
        guard let c = PQconnectdb(url) else { throw PostgresError(reason: "out of memory", isRetriable: true) }
        // Check before storing: a class whose properties are all set runs deinit when init throws.
        if PQstatus(c) != CONNECTION_OK {
            let msg = PostgresConnection.redact(PostgresConnection.message(c))
            PQfinish(c)
            throw PostgresError(reason: "cannot connect to \(PostgresConnection.redact(url)): \(msg)", isRetriable: true)
        }
        conn = c
    }

    deinit { PQfinish(conn) }

    /// The server's version number, e.g. 150020.
    public var serverVersion: Int { Int(PQserverVersion(conn)) }

    /// Whether the connection is still usable.
    public var isOK: Bool { PQstatus(conn) == CONNECTION_OK }

    /// Runs one statement with text parameters ($1, $2, ...) and returns its rows as text.
    @discardableResult
    public func query(_ sql: String, _ params: [String?] = []) throws -> [[String?]] {
        let res: OpaquePointer? = withCStrings(params) { ptrs in
            PQexecParams(conn, sql, Int32(params.count), nil, ptrs, nil, nil, 0)
        }
        guard let res else { throw PostgresError(reason: PostgresConnection.message(conn), isRetriable: true) }
        defer { PQclear(res) }
        let status = PQresultStatus(res)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            throw failure(res)
        }
        let rows = Int(PQntuples(res)), cols = Int(PQnfields(res))
        return (0..<rows).map { r in
            (0..<cols).map { c in
                PQgetisnull(res, Int32(r), Int32(c)) == 1 ? nil : String(cString: PQgetvalue(res, Int32(r), Int32(c)))
            }
        }
    }

    /// Runs several statements (no parameters), e.g. a migration file.
    public func execute(script: String) throws {
        guard let res = PQexec(conn, script) else {
            throw PostgresError(reason: PostgresConnection.message(conn), isRetriable: true)
        }
        defer { PQclear(res) }
        let status = PQresultStatus(res)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY else {
            throw failure(res)
        }
    }

    /// The error of a failed result, classified by its SQLSTATE; a broken connection is the system's fault.
    private func failure(_ res: OpaquePointer) -> PostgresError {
        let state = PQresultErrorField(res, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? ""
        let reason = String(cString: PQresultErrorMessage(res)).trimmingCharacters(in: .whitespacesAndNewlines)
        return isOK ? PostgresError(sqlState: state, reason: reason) : PostgresError(sqlState: state, reason: reason, fault: .system)
    }

    static func message(_ c: OpaquePointer) -> String {
        String(cString: PQerrorMessage(c)).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The URL or key=value string with every password replaced by `***`, for logs and errors.
    public static func redact(_ url: String) -> String { SecretRedaction.connectionString(url) }

    /// The linked libpq version, e.g. "15.20".
    public static var libraryVersion: String {
        let v = Int(PQlibVersion())
        return v >= 100000 ? "\(v / 10000).\(v % 10000)" : "\(v / 10000).\(v / 100 % 100).\(v % 100)"
    }
}

private func withCStrings<R>(_ strings: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let dup = strings.map { $0.map { strdup($0)! } }
    defer { dup.forEach { free($0) } }
    return body(dup.map { $0.map { UnsafePointer($0) } })
}

import Foundation
