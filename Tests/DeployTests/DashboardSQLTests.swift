// Every SQL query behind the dashboard runs against the migrated Postgres as the dashboard role.
import Foundation
import Sinks
import TestSupport
import Testing

/// Two streams, two tasks, a failure: enough rows for every panel to return data.
private func seed(_ db: PostgresConnection) throws {
    let insert = """
        INSERT INTO results (segment_id, model_version, task, model_name, stream_id, start_ms, duration_ms, kind,
                             scores, predicted, modalities, end_to_end_ms, produced_at)
        VALUES ($1, 'v1', $2, 'merclip', $3, 0, 2000, $4, $5::jsonb, $6::text[], '{vision,audio,language}', 850,
                now() - interval '5 minutes')
        """
    for (segment, stream) in [("seg-1", "s1"), ("seg-2", "s1"), ("seg-3", "s2")] {
        try db.query(insert, [segment, "emotion", stream, "multi_label",
                              #"{"happy": 0.8, "sad": 0.1, "angry": 0.05, "surprise": 0.7, "disgust": 0.02, "fear": 0.03}"#,
                              "{happy,surprise}"])
        try db.query(insert, [segment, "sentiment", stream, "single_label", #"{"positive": 0.9, "negative": 0.1}"#, "{positive}"])
    }
    try db.query("""
        INSERT INTO failures (segment_id, stream_id, stage, error_class, reason, source_topic, source_partition, source_offset)
        VALUES ('seg-bad', 's1', 'media', 'media.too_large', 'segment of 3 GB over the 1 GB limit', 'segments', 0, 42)
        """)
}

/// The dashboard's SQL, concrete, wrapped so that time-series queries must yield time, metric, value.
private func runnable(_ q: (source: String, sql: String, format: String)) throws -> String {
    let sql = try concreteSQL(q.sql, variables: ["stream": "s1", "model_version": "v1"])
    return q.format == "time_series" ? "SELECT \"time\", metric, value FROM (\(sql)) AS panel" : sql
}

@Suite("Dashboard SQL on the migrated Postgres")
struct DashboardSQLTests {
    @Test("every panel and variable query runs as merclip_dashboard and returns the seeded data")
    func panelsRunAsDashboardRole() throws {
        let scratch = try ScratchDatabase()
        let db = try scratch.connect()
        try Migrator(directory: migrationsDirectory).migrate(db)
        try seed(db)
        try db.execute(script: "SET ROLE merclip_dashboard")
        #expect(try db.query("SELECT current_user") == [["merclip_dashboard"]])
        let queries = try Dashboard().sqlQueries
        #expect(queries.count >= 8)
        for q in queries {
            do {
                let rows = try db.query(try runnable(q))
                #expect(!rows.isEmpty, "\(q.source): no rows from the seeded data")
            } catch {
                Issue.record("\(q.source): \(error)")
            }
        }
        let streams = try db.query(try runnable(queries.first { $0.source == "variable stream" }!))
        #expect(streams == [["s1"], ["s2"]])
        #expect(throws: PostgresError.self) { try db.query("INSERT INTO failures (stage, error_class, reason, source_topic, source_partition, source_offset) VALUES ('x', 'x', 'x', 'x', 0, 1)") }
    }

    @Test("an emotion panel reads the seeded means per label")
    func emotionValues() throws {
        let scratch = try ScratchDatabase()
        let db = try scratch.connect()
        try Migrator(directory: migrationsDirectory).migrate(db)
        try seed(db)
        let q = try #require(try Dashboard().sqlQueries.first { $0.sql.contains("mean_score") && $0.sql.contains("'emotion'") })
        let rows = try db.query("SELECT metric, round(value::numeric, 2) FROM (\(try runnable(q))) p ORDER BY metric")
        #expect(rows == [["angry", "0.05"], ["disgust", "0.02"], ["fear", "0.03"], ["happy", "0.80"], ["sad", "0.10"], ["surprise", "0.70"]])
    }

    @Test("the macro substitution is strict")
    func substitution() throws {
        let sql = try concreteSQL("SELECT 1 WHERE $__timeFilter(date_trunc('minute', t)) AND s = '$stream' AND v = '${model_version}'",
                                  variables: ["stream": "s1", "model_version": "v1"])
        #expect(sql == "SELECT 1 WHERE (date_trunc('minute', t) BETWEEN (now() - interval '6 hours') AND now()) AND s = 's1' AND v = 'v1'")
        #expect(throws: DeployTestError.self) { try concreteSQL("SELECT $__unixEpochFilter(t)", variables: [:]) }
        #expect(throws: DeployTestError.self) { try concreteSQL("SELECT '$unknown'", variables: ["stream": "s1"]) }
    }

    @Test("ops/compose/db-users.sql makes login users; Grafana's can read the panels and cannot write",
          .enabled(if: psqlPath != nil))
    func composeUsers() throws {
        let scratch = try ScratchDatabase()
        let db = try scratch.connect()
        try Migrator(directory: migrationsDirectory).migrate(db)
        try seed(db)
        for _ in 0..<2 {  // idempotent
            let r = try runProcess(psqlPath!, [scratch.url, "-q", "-v", "ON_ERROR_STOP=1", "-v", "worker_password=w-secret",
                                               "-v", "dashboard_password=d-secret", "-f", repoFile("ops/compose/db-users.sql").path])
            #expect(r.status == 0, "psql -f db-users.sql: \(r.stderr)")
        }
        var grafanaURL = URLComponents(string: scratch.url)!
        grafanaURL.user = "merclip_grafana"
        let grafana = try PostgresConnection(grafanaURL.string!)
        for q in try Dashboard().sqlQueries {
            #expect(throws: Never.self, "\(q.source)") { try grafana.query(try runnable(q)) }
        }
        #expect(throws: PostgresError.self) { try grafana.query("DELETE FROM results") }
        var workerURL = URLComponents(string: scratch.url)!
        workerURL.user = "merclip_worker"
        let worker = try PostgresConnection(workerURL.string!)
        try worker.query("UPDATE results SET end_to_end_ms = 900 WHERE segment_id = 'seg-1'")
        #expect(throws: PostgresError.self) { try worker.query("DROP TABLE results") }
        #expect(try db.query("SELECT rolcanlogin FROM pg_roles WHERE rolname IN ('merclip_grafana', 'merclip_worker')") == [["t"], ["t"]])
    }
}

/// psql, where the Postgres client is installed.
let psqlPath: String? = ["/usr/bin/psql", "/usr/local/bin/psql"].first { FileManager.default.isExecutableFile(atPath: $0) }

/// The repository's schemas/migrations folder.
let migrationsDirectory = repoFile("schemas/migrations")
