// Versioned, idempotent schema migrations, each applied in its own transaction.
import Foundation

/// Applies `NNNN_name.sql` files in version order, recording each in `schema_migrations`.
/// Concurrent runs (several workers starting at once) serialise on an advisory lock.
public struct Migrator {
    public struct Migration: Sendable {
        public let version: Int
        public let name: String
        public let sql: String
    }

    public let migrations: [Migration]

    /// The advisory lock that serialises concurrent migration runs.
    static let lockKey = 0x6D6572636C6970  // "merclip" in ASCII

    /// Loads the migrations in `directory`. File names must start with a version number.
    public init(directory: URL) throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".sql") }
        var seen: [Int: String] = [:]
        migrations = try files.map { file -> Migration in
            guard let version = Int(file.prefix { $0.isNumber }) else {
                throw PostgresError(reason: "migration \(file) in \(directory.path) does not start with a version number",
                                    isRetriable: false)
            }
            if let other = seen[version] {
                throw PostgresError(reason: "migrations \(other) and \(file) share version \(version)", isRetriable: false)
            }
            seen[version] = file
            let sql = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            return Migration(version: version, name: file, sql: sql)
        }.sorted { $0.version < $1.version }
    }

    /// Applies what is not applied yet; returns the names applied now.
    @discardableResult
    public func migrate(_ db: PostgresConnection) throws -> [String] {
        try db.execute(script: """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
            """)
        var applied: [String] = []
        for m in migrations {
            try db.execute(script: "BEGIN")
            do {
                try db.query("SELECT pg_advisory_xact_lock(\(Migrator.lockKey))")
                let done = try db.query("SELECT 1 FROM schema_migrations WHERE version = $1", [String(m.version)])
                if done.isEmpty {
                    try db.execute(script: m.sql)
                    try db.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [String(m.version), m.name])
                    applied.append(m.name)
                }
                try db.execute(script: "COMMIT")
            } catch {
                try? db.execute(script: "ROLLBACK")
                throw PostgresError(reason: "migration \(m.name) failed, nothing of it applied: \(error)", isRetriable: false)
            }
        }
        return applied
    }

    /// Where the migrations are: `MERCLIP_MIGRATIONS`, else `schemas/migrations` under the
    /// working directory or beside the executable's package, else /usr/share/merclip/migrations.
    public static func defaultDirectory() -> URL? {
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["MERCLIP_MIGRATIONS"] { candidates.append(env) }
        candidates.append(FileManager.default.currentDirectoryPath + "/schemas/migrations")
        var exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(exe.appendingPathComponent("schemas/migrations").path)
            exe = exe.deletingLastPathComponent()
        }
        candidates.append("/usr/share/merclip/migrations")
        return candidates.first { FileManager.default.fileExists(atPath: $0) }.map { URL(fileURLWithPath: $0) }
    }
}
