// One stream's scores over time, read through the SQL function stream_timeline (moving average per label).
import Foundation

public struct StreamTimeline: Sendable {
    /// One label's score on one segment, with the moving average over the last `smooth` segments.
    public struct Point: Sendable, Equatable {
        public var at: Date
        public var segmentID: String
        public var task: String
        public var label: String
        public var score: Double
        public var smoothed: Double
        public var modalities: [String]
        public var modelVersion: String
    }

    public let stream: String
    public let points: [Point]

    /// Reads the timeline of `stream` from `since` on, smoothed over `smooth` segments, for one label set
    /// and, when given, one model version (else the newest per segment). Blocking.
    public init(_ db: PostgresConnection, stream: String, since: Date? = nil, smooth: Int = 5,
                labelSet: String = ResultRow.defaultLabelSet, modelVersion: String? = nil) throws {
        guard smooth >= 1 else { throw PostgresError(reason: "the smoothing window must be at least 1 segment, not \(smooth)", isRetriable: false) }
        self.stream = stream
        let rows = try db.query("""
            SELECT extract(epoch FROM at)::text, segment_id, task, label, score::text, smoothed::text,
                   array_to_string(modalities, ','), model_version
            FROM stream_timeline($1, coalesce($2::timestamptz, '-infinity'), $3::integer, $4, $5)
            """, [stream, since.map(RFC3339.format), String(smooth), labelSet, modelVersion])
        points = rows.map { r in
            Point(at: Date(timeIntervalSince1970: Double(r[0] ?? "") ?? 0), segmentID: r[1] ?? "", task: r[2] ?? "",
                  label: r[3] ?? "", score: Double(r[4] ?? "") ?? .nan, smoothed: Double(r[5] ?? "") ?? .nan,
                  modalities: (r[6] ?? "").split(separator: ",").map(String.init), modelVersion: r[7] ?? "")
        }
    }

    /// The tasks in the timeline, and per task its labels, in the order they first appear.
    public var tasks: [(task: String, labels: [String])] {
        var order: [String] = [], labels: [String: [String]] = [:]
        for p in points {
            if labels[p.task] == nil { order.append(p.task); labels[p.task] = [] }
            if !labels[p.task]!.contains(p.label) { labels[p.task]!.append(p.label) }
        }
        return order.map { ($0, labels[$0]!) }
    }
}
