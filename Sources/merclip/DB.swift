// `merclip db migrate`: create or update the Postgres schema.
import ArgumentParser
import Foundation
import Sinks

struct DB: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the Postgres schema.",
        subcommands: [Migrate.self])

    struct Migrate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply the schema migrations that are not applied yet (versioned, idempotent, one transaction each).")

        @Option(help: "Postgres URL (env MERCLIP_POSTGRES_URL).")
        var postgres: String?

        @Option(help: "Folder of NNNN_name.sql files (default: schemas/migrations, env MERCLIP_MIGRATIONS).")
        var migrations: String?

        func run() throws {
            let postgres = try Setting().required(postgres, "MERCLIP_POSTGRES_URL", option: "--postgres")
            guard let dir = migrations.map({ URL(fileURLWithPath: $0) }) ?? Migrator.defaultDirectory() else {
                throw ValidationError("no migrations folder found: pass --migrations DIR or set MERCLIP_MIGRATIONS")
            }
            let migrator = try Migrator(directory: dir)
            let db = try PostgresConnection(postgres)
            let applied = try migrator.migrate(db)
            if applied.isEmpty {
                print("db: schema up to date (\(migrator.migrations.count) migrations) at \(PostgresConnection.redact(postgres))")
            } else {
                for name in applied { print("db: applied \(name)") }
            }
        }
    }
}
