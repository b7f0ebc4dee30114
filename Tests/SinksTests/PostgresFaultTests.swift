// Postgres errors are classified by their cause: the table, and real SQLSTATEs from the test server.
import Foundation
import Sinks
import TestSupport
import Testing

@Suite("Postgres error classes")
struct PostgresFaultTests {
    /// SQLSTATE → whose fault, as docs/operations.md lists them.
    static let table: [(String, PostgresFault)] = [
        ("22001", .segment), ("22P02", .segment), ("22021", .segment), ("2200N", .segment), ("23505", .segment),
        ("23514", .segment), ("23502", .segment), ("23503", .segment), ("21000", .segment), ("54000", .segment),
        ("P0001", .segment), ("40002", .segment), ("44000", .segment), ("27000", .segment), ("09000", .segment),
        ("08006", .system), ("08001", .system), ("08P01", .system), ("40001", .system), ("40P01", .system),
        ("42501", .system), ("42P01", .system), ("42703", .system), ("25006", .system), ("25P02", .system),
        ("53100", .system), ("53200", .system), ("53300", .system), ("57014", .system), ("55P03", .system),
        ("57P01", .system), ("57P02", .system), ("57P03", .system), ("58030", .system), ("28000", .system),
        ("28P01", .system), ("XX000", .system), ("XX001", .system), ("3D000", .system), ("0A000", .system),
        ("", .system), ("ZZ999", .system), ("72000", .system),
    ]

    @Test("every SQLSTATE of the table has its fault; isRetriable means a system fault", arguments: table)
    func classified(_ state: String, _ fault: PostgresFault) {
        #expect(PostgresFault.of(sqlState: state) == fault, "\(state)")
        let e = PostgresError(sqlState: state, reason: "x")
        #expect(e.fault == fault)
        #expect(e.isRetriable == (fault == .system))
    }

    /// Statements that fail on a real server with the SQLSTATE given, on a table the test owns.
    static let live: [(String, String, String, PostgresFault)] = [
        ("check violation", "INSERT INTO t VALUES (-1, 'x')", "23514", .segment),
        ("unique violation", "INSERT INTO t VALUES (1, 'x'), (1, 'y')", "23505", .segment),
        ("invalid jsonb", "SELECT 'not json'::jsonb", "22P02", .segment),
        ("value too long", "INSERT INTO t VALUES (3, repeat('x', 100))", "22001", .segment),
        ("undefined table", "INSERT INTO nowhere VALUES (1)", "42P01", .system),
        ("undefined column", "SELECT nothing FROM t", "42703", .system),
        ("read-only transaction", "SET TRANSACTION READ ONLY; CREATE TABLE ro_t (id int)", "25006", .system),
        ("statement timeout", "SET LOCAL statement_timeout = 50; SELECT pg_sleep(2)", "57014", .system),
    ]

    @Test("real server errors carry their SQLSTATE and are classified", arguments: live)
    func fromServer(_ what: String, _ sql: String, _ state: String, _ fault: PostgresFault) throws {
        let db = try PostgresConnection(try testPostgresURL())
        try db.execute(script: "CREATE TEMP TABLE t (id int PRIMARY KEY CHECK (id >= 0), v varchar(10))")
        try db.execute(script: "BEGIN")
        defer { try? db.execute(script: "ROLLBACK") }
        do {
            try db.execute(script: sql)
            Issue.record("\(what): expected SQLSTATE \(state)")
        } catch let e as PostgresError {
            #expect(e.sqlState == state, "\(what): \(e)")
            #expect(e.fault == fault, "\(what)")
        }
    }

    @Test("a revoked privilege is the system's fault (42501)")
    func revokedPrivilege() throws {
        let db = try ScratchDatabase(migrated: true)
        let role = "w_\(UInt32.random(in: 0...UInt32.max))"
        _ = try db.query("CREATE ROLE \(role) LOGIN IN ROLE merclip_writer")
        defer { _ = try? db.query("DROP OWNED BY \(role); DROP ROLE \(role)") }
        _ = try db.query("REVOKE INSERT ON failures FROM merclip_writer")
        var parts = URLComponents(string: db.url)!
        parts.user = role
        let conn = try PostgresConnection(parts.string!)
        do {
            try conn.query("INSERT INTO failures (stage, error_class, reason, source_topic, source_partition, source_offset) VALUES ('a', 'b', 'c', 'd', 0, 0)")
            Issue.record("expected permission denied")
        } catch let e as PostgresError {
            #expect(e.sqlState == "42501")
            #expect(e.fault == .system && e.isRetriable)
        }
    }

    static let secrets: [(String, String)] = [
        ("postgresql://u:hunter2@db.example:5432/m", "postgresql://u:***@db.example:5432/m"),
        ("postgres://u:hunter2@h/m?sslmode=require", "postgres://u:***@h/m?sslmode=require"),
        ("postgresql://h/m?user=u&password=hunter2&sslmode=require", "postgresql://h/m?user=u&password=***&sslmode=require"),
        ("host=h user=u password=hunter2 dbname=m", "host=h user=u password=*** dbname=m"),
        ("host=h password = 'hunter 2' dbname=m", "host=h password = *** dbname=m"),
        ("host=h PASSWORD=hunter2", "host=h PASSWORD=***"),
        ("postgresql://u@h/m", "postgresql://u@h/m"),
        ("fetch https://bob:hunter2@media.example/a.mp4 failed", "fetch https://bob:***@media.example/a.mp4 failed"),
    ]

    @Test("passwords are redacted from connection strings and URLs", arguments: secrets)
    func redacted(_ text: String, _ expected: String) {
        #expect(PostgresConnection.redact(text) == expected)
        #expect(!PostgresConnection.redact(text).contains("hunter"))
    }

    @Test("a connection error never shows the password of a key=value string")
    func keyValueConnectError() {
        do {
            _ = try PostgresConnection("host=127.0.0.1 port=1 user=u password=hunter2 connect_timeout=2")
            Issue.record("expected a connection error")
        } catch let e as PostgresError {
            #expect(e.isRetriable)
            #expect(!e.description.contains("hunter2"), "\(e)")
        } catch { Issue.record("unexpected \(error)") }
    }
}
