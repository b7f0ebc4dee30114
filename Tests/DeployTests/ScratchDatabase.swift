// Test support: a fresh database on the test server (MERCLIP_POSTGRES_URL), dropped when released.
import Foundation
import Sinks

/// The test database URL. ops/test.sh sets it; without it the suite fails and says how to start one.
func testPostgresURL() throws -> String {
    guard let url = ProcessInfo.processInfo.environment["MERCLIP_POSTGRES_URL"] else {
        throw PostgresError(reason: "MERCLIP_POSTGRES_URL is not set: run the tests with ops/test.sh, "
            + "or `ops/services.sh start && eval \"$(ops/services.sh env)\"`", isRetriable: false)
    }
    return url
}

final class ScratchDatabase {
    let name: String
    let url: String
    private let admin: PostgresConnection

    init() throws {
        let base = try testPostgresURL()
        admin = try PostgresConnection(base)
        name = "scratch_deploy_\(UInt32.random(in: 0...UInt32.max))"
        try admin.query("CREATE DATABASE \(name)")
        var parts = URLComponents(string: base)!
        parts.path = "/\(name)"
        url = parts.string!
    }

    func connect() throws -> PostgresConnection { try PostgresConnection(url) }

    deinit { _ = try? admin.query("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
}
