// A fresh database on the test Postgres (MERCLIP_POSTGRES_URL, set by ops/test.sh), dropped when released.
import Foundation
import Sinks

/// The test server's URL; without it the caller fails and says how to start one.
public func testPostgresURL() throws -> String {
    guard let url = ProcessInfo.processInfo.environment["MERCLIP_POSTGRES_URL"] else {
        throw TestFailure("MERCLIP_POSTGRES_URL is not set: run the tests with ops/test.sh, "
            + "or `ops/services.sh start && eval \"$(ops/services.sh env)\"`")
    }
    return url
}

public final class ScratchDatabase {
    public let name: String
    public let url: String
    private let server: String

    /// Creates the database on `server` (default: the test server), with the schema when `migrated`.
    public init(migrated: Bool = false, server: String? = nil) throws {
        self.server = try server ?? testPostgresURL()
        name = "scratch_\(UInt32.random(in: 0...UInt32.max))"
        try PostgresConnection(self.server).query("CREATE DATABASE \(name)")
        var parts = URLComponents(string: self.server)!
        parts.path = "/\(name)"
        url = parts.string!
        if migrated { try Migrator(directory: migrationsDirectory).migrate(PostgresConnection(url)) }
    }

    public func connect() throws -> PostgresConnection { try PostgresConnection(url) }

    public func query(_ sql: String) throws -> [[String?]] { try connect().query(sql) }

    /// The first column of the first row as an integer (a `count(*)`).
    public func count(_ sql: String) throws -> Int { Int(try query(sql)[0][0] ?? "0") ?? 0 }

    deinit { _ = try? PostgresConnection(server).query("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
}
