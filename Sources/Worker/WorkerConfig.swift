// Settings of one worker process.
import Foundation
import Kafka

public struct WorkerConfig: Sendable {
    public var kafka: KafkaConfig
    public var group: String
    public var topics: [String]
    public var resultsTopic: String
    public var dlqTopic: String
    public var postgresURL: String
    public var batchSize: Int = 8
    public var maxWaitMs: Int = 200
    /// Segments of a batch decoded and preprocessed at once (default: one per core).
    public var preprocessThreads: Int = ProcessInfo.processInfo.activeProcessorCount
    /// Backoff for transient sink failures: first wait, doubled up to the maximum.
    public var retryInitialMs: Int = 250
    public var retryMaxMs: Int = 5_000
    /// Keep each scored segment's modality features in Postgres (table segment_features) for `merclip rescore`.
    public var storeFeatures = false
    /// Stored features older than this many days are deleted (checked hourly); nil keeps them.
    public var featureRetentionDays: Double?

    public init(kafka: KafkaConfig, group: String, topics: [String],
                resultsTopic: String, dlqTopic: String, postgresURL: String) {
        self.kafka = kafka
        self.group = group
        self.topics = topics
        self.resultsTopic = resultsTopic
        self.dlqTopic = dlqTopic
        self.postgresURL = postgresURL
    }
}
