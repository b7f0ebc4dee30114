// A libpq round trip against the real Postgres that ops/services.sh starts.
import Foundation
import Sinks
import TestSupport
import Testing

@Suite("Postgres through libpq")
struct PostgresConnectionTests {
    @Test("round trip: create, insert with parameters, select, NULLs and unicode")
    func roundTrip() throws {
        let db = try PostgresConnection(try testPostgresURL())
        #expect(db.serverVersion >= 120000)
        let table = "rt_\(UInt32.random(in: 0...UInt32.max))"
        try db.query("CREATE TEMP TABLE \(table) (id int PRIMARY KEY, label text, score real)")
        try db.query("INSERT INTO \(table) VALUES ($1, $2, $3), ($4, $5, $6)",
                     ["1", "happy 😀", "0.75", "2", nil, "0.25"])
        let rows = try db.query("SELECT id, label, score FROM \(table) ORDER BY id")
        #expect(rows == [["1", "happy 😀", "0.75"], ["2", nil, "0.25"]])
    }

    @Test("a constraint violation names its SQLSTATE and is not retriable")
    func constraintError() throws {
        let db = try PostgresConnection(try testPostgresURL())
        try db.query("CREATE TEMP TABLE uniq (id int PRIMARY KEY)")
        try db.query("INSERT INTO uniq VALUES (1)")
        do {
            try db.query("INSERT INTO uniq VALUES (1)")
            Issue.record("expected a unique violation")
        } catch let e as PostgresError {
            #expect(e.sqlState == "23505")
            #expect(!e.isRetriable)
        }
    }

    @Test("an unreachable server is a retriable error and the password is not logged")
    func unreachable() {
        do {
            _ = try PostgresConnection("postgresql://u:hunter2@127.0.0.1:1/db?connect_timeout=2")
            Issue.record("expected a connection error")
        } catch let e as PostgresError {
            #expect(e.isRetriable)
            #expect(!e.description.contains("hunter2"))
        } catch { Issue.record("unexpected \(error)") }
    }
}
