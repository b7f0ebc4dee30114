// `merclip replay`: copy a time range of a topic to a replay topic for re-scoring; `replay status`.
import ArgumentParser
import Foundation
import Kafka
import Sinks
import Worker

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Re-score a time range: copy its events to a replay topic that a worker group reads.",
        discussion: """
        Finds the offsets for --since/--until with the broker's time index, copies the matching \
        events to --replay-topic with headers merclip.replay_id, merclip.source_topic, \
        merclip.source_partition, merclip.source_offset and merclip.source_timestamp, and reports \
        totals. Re-running with the same --replay-id copies only what is not copied yet. Then run \
        workers with the new model on the replay topic in a group of their own, e.g.
          merclip worker --topic segments-replay --group rescore-v2 --model models/v2 ...
        Old and new scores live side by side in Postgres (view version_agreement compares them).
        """,
        subcommands: [Start.self, Status.self],
        defaultSubcommand: Start.self)

    struct Start: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "start", abstract: "Copy the range (the default).")

        @Option(help: "Kafka bootstrap servers (MERCLIP_BROKERS).") var brokers: String?
        @Option(help: "Topic to read.") var sourceTopic = "segments"
        @Option(help: "Topic to copy to.") var replayTopic = "segments-replay"
        @Option(help: "Start of the range: RFC 3339 time, or seconds since the epoch.") var since: String
        @Option(help: "End of the range, exclusive (default: now).") var until: String?
        @Option(name: .customLong("stream-id"), help: "Only this stream; repeatable.") var streamIDs: [String] = []
        @Option(help: "Name of this replay; the same id never copies an event twice.") var replayID: String
        @Option(help: "Postgres URL to record the replay for `replay status` (MERCLIP_POSTGRES_URL).") var postgres: String?
        @Option(name: .customShort("X"), help: "librdkafka property key=value; repeatable (MERCLIP_KAFKA_PROPERTIES, ';'- or newline-separated).")
        var kafkaProperties: [String] = []
        @OptionGroup var logging: LogOptions

        func run() throws {
            let env = Setting()
            try logging.apply(env)
            Log.routeKafkaLogs()
            let brokers = try env.required(brokers, "MERCLIP_BROKERS", option: "--brokers")
            let sinceDate = try parseTime(since, "--since")
            let untilDate = try until.map { try parseTime($0, "--until") }
            if let untilDate, untilDate <= sinceDate { throw ValidationError("--until must be after --since") }
            let request = ReplayRequest(sourceTopic: sourceTopic, replayTopic: replayTopic, since: sinceDate,
                                        until: untilDate, streamIDs: Set(streamIDs), replayID: replayID)
            let replayer = Replayer(kafka: KafkaConfig(bootstrapServers: brokers, extra: try env.kafkaProperties(kafkaProperties)))
            let totals = try replayer.run(request) { t in
                FileHandle.standardError.write(Data("replay \(replayID): scanned \(t.scanned), matched \(t.matched), copied \(t.copied)\n".utf8))
            }
            print("replay \(replayID): \(totals.matched) event(s) in range, \(totals.copied) copied to \(replayTopic), "
                  + "\(totals.alreadyCopied) already copied by an earlier run (\(totals.scanned) scanned)")
            if let url = env.string(postgres, "MERCLIP_POSTGRES_URL") {
                try PostgresConnection(url).query("""
                    INSERT INTO replays (replay_id, source_topic, replay_topic, since, until, stream_ids, matched, copied, runs, finished_at)
                    VALUES ($1, $2, $3, $4::timestamptz, $5::timestamptz, $6::text[], $7, $8, 1, now())
                    ON CONFLICT (replay_id) DO UPDATE SET matched = EXCLUDED.matched,
                        copied = replays.copied + EXCLUDED.copied, runs = replays.runs + 1, finished_at = now()
                    """, [replayID, sourceTopic, replayTopic, RFC3339.format(sinceDate), untilDate.map(RFC3339.format),
                          "{" + streamIDs.map { "\"\($0)\"" }.joined(separator: ",") + "}",
                          String(totals.matched), String(totals.copied)])
            }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a replay's copied, scored and failed counts (from Postgres).")

        @Option(help: "The replay id.") var replayID: String
        @Option(help: "Postgres URL (MERCLIP_POSTGRES_URL).") var postgres: String?

        func run() throws {
            let url = try Setting().required(postgres, "MERCLIP_POSTGRES_URL", option: "--postgres")
            let db = try PostgresConnection(url)
            let replay = try db.query("SELECT source_topic, replay_topic, since, until, matched, copied, runs FROM replays WHERE replay_id = $1", [replayID])
            let scored = try db.query("""
                SELECT count(DISTINCT segment_id), string_agg(DISTINCT model_name || '@' || model_version, ', ')
                FROM results WHERE replay_id = $1
                """, [replayID])[0]
            let failed = try db.query("SELECT count(*) FROM failures WHERE replay_id = $1", [replayID])[0][0] ?? "0"
            guard let r = replay.first else {
                throw ValidationError("no replay '\(replayID)' recorded (was `merclip replay` given --postgres?)")
            }
            print("replay \(replayID): \(r[0] ?? "") → \(r[1] ?? ""), since \(r[2] ?? "") until \(r[3] ?? "now"), \(r[6] ?? "0") run(s)")
            print("  copied  \(r[5] ?? "0") (of \(r[4] ?? "0") in range)")
            print("  scored  \(scored[0] ?? "0") segment(s)\(scored[1].map { " by \($0)" } ?? "")")
            print("  failed  \(failed)")
        }
    }
}

func parseTime(_ s: String, _ flag: String) throws -> Date {
    if let secs = Double(s) { return Date(timeIntervalSince1970: secs) }
    if let d = RFC3339.parse(s) { return d }
    throw ValidationError("\(flag) '\(s)' is neither an RFC 3339 time (2026-11-25T10:00:00Z) nor epoch seconds")
}
