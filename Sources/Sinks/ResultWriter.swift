// Writes a batch of results and failures to Postgres in one transaction (idempotent upserts).
import Foundation

public final class ResultWriter: @unchecked Sendable {
    private let connection: LazyConnection

    /// Connects lazily, so a worker can start while Postgres is down and retry.
    public init(url: String) { connection = LazyConnection(url: url) }

    /// Upserts every row on (segment_id, model_version, task, label_set) and records failures once per
    /// source offset, all in one transaction. Blocking. A lost connection is dropped, so the
    /// next call reconnects; the error says whether to retry.
    public func write(results: [ResultRow], failures: [FailureRow]) throws {
        try connection.transaction { db in
            for r in results { try db.query(ResultWriter.upsert, ResultWriter.parameters(r)) }
            for f in failures { try db.query(ResultWriter.insertFailure, ResultWriter.parameters(f)) }
        }
    }

    /// Checks that the database answers (readiness).
    public func ping() -> Bool {
        do { try connection.get().query("SELECT 1"); return true } catch { connection.drop(); return false }
    }

    static let upsert = """
        INSERT INTO results (segment_id, model_version, task, model_name, stream_id, start_ms, duration_ms, kind,
            scores, predicted, modalities, model_trained, decode_ms, model_ms, end_to_end_ms, replay_id,
            source_topic, source_partition, source_offset, produced_at, scored_at, written_at, metadata,
            scored_start_ms, scored_duration_ms, label_set)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10::text[], $11::text[], $12, $13, $14, $15, $16,
            $17, $18, $19, $20::timestamptz, $21::timestamptz, now(), $22::jsonb, $23, $24, $25)
        ON CONFLICT (segment_id, model_version, task, label_set) DO UPDATE SET
            model_name = EXCLUDED.model_name, stream_id = EXCLUDED.stream_id, start_ms = EXCLUDED.start_ms,
            duration_ms = EXCLUDED.duration_ms, kind = EXCLUDED.kind, scores = EXCLUDED.scores,
            predicted = EXCLUDED.predicted, modalities = EXCLUDED.modalities,
            model_trained = EXCLUDED.model_trained, decode_ms = EXCLUDED.decode_ms, model_ms = EXCLUDED.model_ms,
            end_to_end_ms = EXCLUDED.end_to_end_ms, replay_id = coalesce(results.replay_id, EXCLUDED.replay_id),
            source_topic = EXCLUDED.source_topic, source_partition = EXCLUDED.source_partition,
            source_offset = EXCLUDED.source_offset, produced_at = EXCLUDED.produced_at,
            scored_at = EXCLUDED.scored_at, written_at = now(), metadata = EXCLUDED.metadata,
            scored_start_ms = EXCLUDED.scored_start_ms, scored_duration_ms = EXCLUDED.scored_duration_ms
        """

    static let insertFailure = """
        INSERT INTO failures (segment_id, stream_id, stage, error_class, reason, source_topic, source_partition,
            source_offset, replay_id, payload_excerpt)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        ON CONFLICT (source_topic, source_partition, source_offset) DO NOTHING
        """

    static func parameters(_ r: ResultRow) -> [String?] {
        storable([r.segmentID, r.modelVersion, r.task, r.modelName, r.streamID, String(r.startMs), String(r.durationMs), r.kind,
         r.scoresJSON, pgArray(r.predicted), pgArray(r.modalities), r.modelTrained ? "true" : "false",
         r.decodeMs.map { String($0) }, r.modelMs.map { String($0) }, r.endToEndMs.map { String($0) }, r.replayID,
         r.source?.topic, r.source.map { String($0.partition) }, r.source.map { String($0.offset) },
         r.producedAt.map(RFC3339.format), RFC3339.format(r.scoredAt), r.metadataJSON,
         r.scoredStartMs.map { String($0) }, r.scoredDurationMs.map { String($0) }, r.labelSet])
    }

    static func parameters(_ f: FailureRow) -> [String?] {
        storable([f.segmentID, f.streamID, f.stage, f.errorClass, f.reason, f.sourceTopic, String(f.sourcePartition),
                  String(f.sourceOffset), f.replayID, f.payloadExcerpt])
    }

    /// Text Postgres accepts: no NUL characters (text cannot hold them, and libpq's C strings would
    /// cut the value there) and no \u0000 escapes (jsonb rejects them); both become U+FFFD. Without
    /// this, one event carrying a NUL would be retried forever instead of being written.
    static func storable(_ params: [String?]) -> [String?] {
        params.map { $0.map { $0.replacingOccurrences(of: "\u{0}", with: "\u{FFFD}").replacingOccurrences(of: "\\u0000", with: "\\ufffd") } }
    }
}
