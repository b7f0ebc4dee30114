// Schema migrations against the real Postgres: idempotent, transactional, and the schema they build.
import Foundation
import Sinks
import TestSupport
import Testing

@Suite("Migrations")
struct MigratorTests {
    @Test("applying twice applies nothing the second time")
    func idempotent() throws {
        let scratch = try ScratchDatabase()
        let db = try scratch.connect()
        let migrator = try Migrator(directory: migrationsDirectory)
        let first = try migrator.migrate(db)
        #expect(first.count == migrator.migrations.count && first.count >= 3)
        #expect(try migrator.migrate(db).isEmpty)
        let versions = try db.query("SELECT version FROM schema_migrations ORDER BY version").map { $0[0]! }
        #expect(versions == migrator.migrations.map { String($0.version) })
    }

    @Test("a failing migration leaves nothing of itself behind")
    func transactional() throws {
        let scratch = try ScratchDatabase()
        let db = try scratch.connect()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mig-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "CREATE TABLE ok_table (id int);".write(to: dir.appendingPathComponent("0001_ok.sql"), atomically: true, encoding: .utf8)
        try "CREATE TABLE half (id int); SELECT no_such_function();".write(
            to: dir.appendingPathComponent("0002_broken.sql"), atomically: true, encoding: .utf8)
        do {
            try Migrator(directory: dir).migrate(db)
            Issue.record("expected the broken migration to fail")
        } catch let e as PostgresError {
            #expect(e.reason.contains("0002_broken.sql"))
        }
        #expect(try db.query("SELECT to_regclass('ok_table') IS NOT NULL, to_regclass('half') IS NULL") == [["t", "t"]])
        #expect(try db.query("SELECT version FROM schema_migrations") == [["1"]])
    }

    @Test("results upsert on (segment, model version, task, label set); views and roles exist")
    func schema() throws {
        let scratch = try ScratchDatabase()
        let db = try scratch.connect()
        try Migrator(directory: migrationsDirectory).migrate(db)
        let insert = """
            INSERT INTO results (segment_id, model_version, task, model_name, stream_id, start_ms, duration_ms,
                                 kind, scores, predicted, modalities, produced_at, scored_at)
            VALUES ($1, $2, 'emotion', 'merclip', 's1', 0, 2000, 'multi_label', $3::jsonb, $4::text[],
                    '{vision,audio}', now(), $5::timestamptz)
            ON CONFLICT (segment_id, model_version, task, label_set) DO UPDATE
              SET scores = EXCLUDED.scores, predicted = EXCLUDED.predicted, scored_at = EXCLUDED.scored_at
            """
        try db.query(insert, ["seg1", "v1", #"{"happy": 0.9, "sad": 0.1}"#, "{happy}", "2026-01-01T00:00:00Z"])
        try db.query(insert, ["seg1", "v1", #"{"happy": 0.8, "sad": 0.2}"#, "{happy}", "2026-01-01T00:00:00Z"])
        try db.query(insert, ["seg1", "v2", #"{"happy": 0.2, "sad": 0.7}"#, "{sad}", "2026-02-01T00:00:00Z"])
        #expect(try db.query("SELECT count(*) FROM results") == [["2"]], "the second v1 write updated the first")
        #expect(try db.query("SELECT scores->>'happy' FROM results WHERE model_version = 'v1'") == [["0.8"]])
        #expect(try db.query("SELECT model_version, predicted FROM latest_results") == [["v2", "{sad}"]])
        let perMinute = try db.query("""
            SELECT label, segments, round(mean_score::numeric, 2) FROM results_per_stream_minute
            WHERE model_version = 'v1' ORDER BY label
            """)
        #expect(perMinute == [["happy", "1", "0.80"], ["sad", "1", "0.20"]])
        #expect(try db.query("SELECT rolname FROM pg_roles WHERE rolname IN ('merclip_writer', 'merclip_dashboard') ORDER BY 1")
                == [["merclip_dashboard"], ["merclip_writer"]])
        #expect(try db.query("SELECT has_table_privilege('merclip_dashboard', 'results', 'INSERT')") == [["f"]])
        #expect(try db.query("SELECT has_table_privilege('merclip_writer', 'results', 'INSERT')") == [["t"]])
    }
}
