// Stores and reads segments' modality features in Postgres (table segment_features), with a retention bound.
import Foundation

public final class FeatureStore: @unchecked Sendable {
    private let connection: LazyConnection

    /// Connects lazily (a worker can start while Postgres is down).
    public init(url: String) { connection = LazyConnection(url: url) }

    /// Upserts the rows in one transaction (a redelivered segment replaces its features). Blocking.
    public func write(_ rows: [SegmentFeatures]) throws {
        if rows.isEmpty { return }
        try connection.transaction { db in
            for r in rows { try db.query(FeatureStore.upsert, try FeatureStore.parameters(r)) }
        }
    }

    /// What to read: a time range of produced_at, optionally some streams, and one encoder digest (of the
    /// weights and precision that computed the features: EncoderDigest).
    public struct Selection: Sendable {
        public var since: Date?
        public var until: Date?
        public var streamIDs: [String]
        public var encoderDigest: String
        public init(since: Date? = nil, until: Date? = nil, streamIDs: [String] = [], encoderDigest: String) {
            self.since = since; self.until = until; self.streamIDs = streamIDs; self.encoderDigest = encoderDigest
        }
    }

    /// The stored rows of `selection`, oldest first. Blocking.
    public func read(_ selection: Selection) throws -> [SegmentFeatures] {
        let rows = try connection.get().query("""
            SELECT segment_id, encoder_digest, stream_id, start_ms, duration_ms, dim, language_rows, vision_rows,
                   audio_rows, encode(features, 'hex'), model_name, model_version, source_topic, source_partition,
                   source_offset, extract(epoch FROM produced_at)::text, metadata::text
            FROM segment_features \(FeatureStore.filter)
            ORDER BY produced_at, start_ms, segment_id
            """, FeatureStore.filterParameters(selection, digest: selection.encoderDigest))
        return try rows.map(FeatureStore.decode)
    }

    /// How many rows of `selection`'s range and streams each encoder digest has, whatever
    /// `selection.encoderDigest` is (to say why nothing matched this model).
    public func digests(_ selection: Selection) throws -> [(digest: String, segments: Int)] {
        try connection.get().query("""
            SELECT encoder_digest, count(*) FROM segment_features \(FeatureStore.filter)
            GROUP BY 1 ORDER BY 2 DESC
            """, FeatureStore.filterParameters(selection, digest: nil)).map { ($0[0] ?? "", Int($0[1] ?? "0") ?? 0) }
    }

    /// Deletes rows stored more than `days` days ago; returns how many. Blocking.
    @discardableResult
    public func prune(olderThanDays days: Double) throws -> Int {
        let r = try connection.get().query("""
            WITH gone AS (DELETE FROM segment_features WHERE stored_at < now() - make_interval(secs => $1::double precision)
                          RETURNING 1)
            SELECT count(*) FROM gone
            """, [String(days * 86_400)])
        return Int(r.first?[0] ?? "0") ?? 0
    }

    static let filter = """
        WHERE ($1::timestamptz IS NULL OR produced_at >= $1::timestamptz)
          AND ($2::timestamptz IS NULL OR produced_at < $2::timestamptz)
          AND (cardinality($3::text[]) = 0 OR stream_id = ANY ($3::text[]))
          AND ($4::text IS NULL OR encoder_digest = $4::text)
        """

    /// The filter's parameters; `digest` nil matches every encoder digest.
    static func filterParameters(_ s: Selection, digest: String?) -> [String?] {
        [s.since.map(RFC3339.format), s.until.map(RFC3339.format), pgArray(s.streamIDs), digest]
    }

    static let upsert = """
        INSERT INTO segment_features (segment_id, encoder_digest, stream_id, start_ms, duration_ms, dim, language_rows,
            vision_rows, audio_rows, features, model_name, model_version, source_topic, source_partition,
            source_offset, produced_at, metadata)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, decode($10, 'hex'), $11, $12, $13, $14, $15, $16::timestamptz, $17::jsonb)
        ON CONFLICT (segment_id, encoder_digest) DO UPDATE SET
            stream_id = EXCLUDED.stream_id, start_ms = EXCLUDED.start_ms, duration_ms = EXCLUDED.duration_ms,
            dim = EXCLUDED.dim, language_rows = EXCLUDED.language_rows, vision_rows = EXCLUDED.vision_rows,
            audio_rows = EXCLUDED.audio_rows, features = EXCLUDED.features, model_name = EXCLUDED.model_name,
            model_version = EXCLUDED.model_version, source_topic = EXCLUDED.source_topic,
            source_partition = EXCLUDED.source_partition, source_offset = EXCLUDED.source_offset,
            produced_at = EXCLUDED.produced_at, metadata = EXCLUDED.metadata, stored_at = now()
        """

    static func parameters(_ r: SegmentFeatures) throws -> [String?] {
        var rows: [Int] = [], hex: [UInt8] = []
        let digits = Array("0123456789abcdef".utf8)
        for m in SegmentFeatures.order {
            let data = r.modalities[m] ?? []
            guard r.dim > 0, data.count % r.dim == 0 else {
                throw PostgresError(reason: "features of segment \(r.segmentID): \(m) has \(data.count) values, not a multiple of d = \(r.dim)",
                                    isRetriable: false)
            }
            rows.append(data.count / r.dim)
            hex.reserveCapacity(hex.count + data.count * 8)
            for v in data {
                let bits = v.bitPattern.littleEndian
                for k in 0..<4 {
                    let byte = UInt8(truncatingIfNeeded: bits >> (8 * UInt32(k)))
                    hex.append(digits[Int(byte >> 4)]); hex.append(digits[Int(byte & 15)])
                }
            }
        }
        return ResultWriter.storable([r.segmentID, r.encoderDigest, r.streamID, String(r.startMs), String(r.durationMs), String(r.dim),
                         String(rows[0]), String(rows[1]), String(rows[2]), String(decoding: hex, as: UTF8.self),
                         r.modelName, r.modelVersion, r.source?.topic, r.source.map { String($0.partition) },
                         r.source.map { String($0.offset) }, r.producedAt.map(RFC3339.format), r.metadataJSON])
    }

    static func decode(_ r: [String?]) throws -> SegmentFeatures {
        let dim = Int(r[5] ?? "") ?? 0
        let counts = [r[6], r[7], r[8]].map { Int($0 ?? "") ?? 0 }
        let hex = Array((r[9] ?? "").utf8)
        func nibble(_ c: UInt8) -> UInt32 { UInt32(c <= 57 ? c - 48 : c - 87) }
        var floats = [Float](repeating: 0, count: hex.count / 8)
        for i in floats.indices {
            var bits: UInt32 = 0
            for k in 0..<4 {
                let byte = nibble(hex[i * 8 + 2 * k]) << 4 | nibble(hex[i * 8 + 2 * k + 1])
                bits |= byte << (8 * UInt32(k))
            }
            floats[i] = Float(bitPattern: bits)
        }
        guard floats.count == dim * counts.reduce(0, +) else {
            throw PostgresError(reason: "stored features of segment \(r[0] ?? "") hold \(floats.count) values, expected \(dim * counts.reduce(0, +))",
                                isRetriable: false)
        }
        var modalities: [String: [Float]] = [:], start = 0
        for (m, n) in zip(SegmentFeatures.order, counts) where n > 0 {
            modalities[m] = Array(floats[start..<(start + n * dim)])
            start += n * dim
        }
        let source = r[12].map { ($0, Int32(r[13] ?? "") ?? 0, Int64(r[14] ?? "") ?? 0) }
        return SegmentFeatures(segmentID: r[0] ?? "", encoderDigest: r[1] ?? "", streamID: r[2] ?? "",
                               startMs: Int64(r[3] ?? "") ?? 0, durationMs: Int64(r[4] ?? "") ?? 0, dim: dim,
                               modalities: modalities, modelName: r[10] ?? "", modelVersion: r[11] ?? "", source: source,
                               producedAt: r[15].flatMap(Double.init).map { Date(timeIntervalSince1970: $0) },
                               metadataJSON: r[16] ?? "{}")
    }
}
