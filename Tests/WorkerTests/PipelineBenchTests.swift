// `merclip bench --stage pipeline` end to end on a tiny model: every round measures its parts and runs the
// worker to the last row, the rounds are summed up, and the scratch database is gone afterwards.
import Foundation
import Sinks
import TestSupport
import Testing

@Suite("Pipeline benchmark command", .serialized)
struct PipelineBenchTests {
    init() throws { try Assets.makeMedia() }

    @Test("two rounds: media, engine and the worker in each, their ratios, a summary; nothing left in Postgres")
    func twoRounds() throws {
        let server = try testPostgresURL()
        let model = try Assets.model(version: "v1")
        func benchDatabases() throws -> Int {
            Int(try PostgresConnection(server).query("SELECT count(*) FROM pg_database WHERE datname LIKE 'bench\\_%'")[0][0] ?? "0") ?? 0
        }
        let before = try benchDatabases()
        let out = try run(merclipBinary(), ["bench", "--stage", "pipeline", "--precision", "fp32", "--model", model,
                                            "--media", Assets.mediaRoot.appendingPathComponent("clip.mp4").path,
                                            "--segment-seconds", "2", "--segments", "4", "--batch", "2", "--rounds", "2",
                                            "--postgres", server])
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines.contains("round 1:") && lines.contains("round 2:"), "\(out)")
        // Each round's worker scored all 4 segments at a positive rate (the command waits for their rows).
        let rates = lines.filter { $0.contains("pipeline (Kafka") }.compactMap { line -> Double? in
            line.split(separator: ":").last.flatMap { Double($0.trimmingCharacters(in: .whitespaces).split(separator: " ")[0]) }
        }
        #expect(rates.count == 2 && rates.allSatisfy { $0 > 0 }, "\(out)")
        #expect(lines.filter { $0.contains("engine alone (batches of 2)") }.count == 2, "\(out)")
        #expect(lines.contains { $0.hasPrefix("over 2 rounds: pipeline / ideal overlapped median") }, "\(out)")
        // The yardstick runs in each round, and the engine stage says how it spent the round: 4 segments in batches of 2.
        #expect(lines.filter { $0.hasPrefix("  ffmpeg full decode") }.count == 2, "\(out)")
        let stage = lines.filter { $0.hasPrefix("  its engine stage: ") }.map { line in
            line.split(separator: " ").compactMap { Double($0.trimmingCharacters(in: CharacterSet(charactersIn: "%,()"))) }
        }
        // batches, segments per batch, busy %, ms per segment, alone: the batches hold the 4 segments, at most 2 each.
        #expect(stage.count == 2 && stage.allSatisfy { $0.count == 5 && $0[0] >= 2 && abs($0[0] * $0[1] - 4) < 0.1
            && $0[2] > 0 && $0[2] <= 100.5 && $0[3] > 0 }, "\(out)")
        #expect(lines.contains { $0.hasPrefix("over all rounds") && $0.contains("media CPU / ffmpeg's") }, "\(out)")
        #expect(try benchDatabases() == before, "the scratch database is dropped")
    }
}
