// The label-set migration on a database that already holds results: rows move to 'default', new sets add rows.
import Foundation
import Sinks
import TestSupport
import Testing

@Suite("Label-set migration")
struct LabelSetMigrationTests {
    @Test("rows written before the migration keep their scores under label set 'default'")
    func existingRowsMove() throws {
        let scratch = try ScratchDatabase()
        let db = try scratch.connect()
        let before = FileManager.default.temporaryDirectory.appendingPathComponent("mig-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: before, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: before) }
        let all = try Migrator(directory: migrationsDirectory)
        let labelSets = try #require(all.migrations.first { $0.name.hasSuffix("_label_sets.sql") })
        for m in all.migrations where m.version < labelSets.version {
            try m.sql.write(to: before.appendingPathComponent(m.name), atomically: true, encoding: .utf8)
        }
        try Migrator(directory: before).migrate(db)
        try db.query("""
            INSERT INTO results (segment_id, model_version, task, model_name, stream_id, start_ms, duration_ms,
                                 kind, scores, predicted, modalities)
            VALUES ('old', 'v1', 'emotion', 'm', 's', 0, 2000, 'multi_label', '{"happy": 0.9}', '{happy}', '{vision}')
            """)
        #expect(try all.migrate(db).contains(labelSets.name))
        #expect(try db.query("SELECT label_set, scores->>'happy' FROM results") == [["default", "0.9"]])
        try ResultWriter(url: scratch.url).write(results: [
            ResultRow(segmentID: "old", modelVersion: "v1", task: "emotion", modelName: "m", streamID: "s", startMs: 0,
                      durationMs: 2000, kind: "multi_label", scores: [("joy", 0.4)], predicted: [], modalities: ["vision"],
                      modelTrained: true, labelSet: "calls"),
        ], failures: [])
        #expect(try db.query("SELECT label_set FROM results ORDER BY 1") == [["calls"], ["default"]])
        #expect(try db.query("SELECT label_set FROM latest_results ORDER BY 1") == [["calls"], ["default"]])
    }
}
