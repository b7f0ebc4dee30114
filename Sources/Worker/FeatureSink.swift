// FeatureSink: the modality features of a batch's scored segments into the feature store, with its retention.
import Foundation
import Kafka
import Model
import Sinks

final class FeatureSink: @unchecked Sendable {
    let store: FeatureStore
    private let retentionDays: Double?
    private let context: StageContext
    private var nextPrune = Date()

    init(url: String, retentionDays: Double?, context: StageContext) {
        store = FeatureStore(url: url)
        self.retentionDays = retentionDays
        self.context = context
    }

    /// The store's row for a scored segment, when the scorer kept its features.
    static func row<S: SegmentScorer>(_ e: SegmentEvent, _ s: SegmentScore, _ m: KafkaMessage, scorer: S) -> SegmentFeatures? {
        guard let digest = scorer.featureDigest, let f = s.features else { return nil }
        return SegmentFeatures(segmentID: e.segmentID, encoderDigest: digest, streamID: e.streamID, startMs: e.startMs,
                               durationMs: e.durationMs, dim: scorer.featureWidth,
                               modalities: Dictionary(uniqueKeysWithValues: f.map { ($0.key.rawValue, $0.value) }),
                               modelName: scorer.modelName, modelVersion: scorer.modelVersion,
                               source: (m.topic, m.partition, m.offset), producedAt: e.producedAt, metadataJSON: e.metadataJSON)
    }

    /// Writes the rows (retriable errors are thrown for the caller's retry), then deletes rows past the
    /// retention at most once an hour (a failure there is logged, never fatal).
    func write(_ rows: [SegmentFeatures]) throws {
        try store.write(rows)
        guard let days = retentionDays, Date() >= nextPrune else { return }
        nextPrune = Date().addingTimeInterval(3600)
        do {
            let n = try store.prune(olderThanDays: days)
            if n > 0 { context.log.info("stored features past their retention deleted", ["rows": n, "days": days]) }
        } catch {
            context.log.warn("cannot delete old stored features, will try again in an hour", ["error": "\(error)"])
        }
    }
}
