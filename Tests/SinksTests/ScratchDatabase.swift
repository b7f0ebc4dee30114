// Test support: a fresh database on the test server, dropped when released.
import Foundation
import Sinks

final class ScratchDatabase {
    let name: String
    let url: String
    private let admin: PostgresConnection

    init() throws {
        let base = try testPostgresURL()
        admin = try PostgresConnection(base)
        name = "scratch_\(UInt32.random(in: 0...UInt32.max))"
        try admin.query("CREATE DATABASE \(name)")
        var parts = URLComponents(string: base)!
        parts.path = "/\(name)"
        url = parts.string!
    }

    func connect() throws -> PostgresConnection { try PostgresConnection(url) }

    deinit { _ = try? admin.query("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
}

/// The repository's schemas/migrations folder.
let migrationsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../../schemas/migrations").standardized
