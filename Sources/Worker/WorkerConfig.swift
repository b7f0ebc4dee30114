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
    /// How the cores are shared by the decode lanes and the engine (`CPUBudget.plan`).
    public var cpu: CPUBudget = .plan(cores: ProcessInfo.processInfo.activeProcessorCount)
    /// Backoff for transient sink failures: first wait, doubled up to the maximum.
    public var retryInitialMs: Int = 250
    public var retryMaxMs: Int = 5_000
    /// Keep each scored segment's modality features in Postgres (table segment_features) for `merclip rescore`.
    public var storeFeatures = false
    /// Stored features older than this many days are deleted (checked hourly); nil keeps them.
    public var featureRetentionDays: Double?
    /// After a stop request, the longest the worker takes to finish, write and commit what it holds.
    public var drainSeconds: Double = 30
    /// A stage holding one unit of work longer than this makes liveness fail.
    public var stageDeadlineSeconds: Double = 300
    /// The longest a revoke waits for the in-flight work of the revoked partitions before dropping it uncommitted.
    public var revokeWaitSeconds: Double = 10
    /// Exactly-once results: a transactional producer commits each batch's records and offsets together.
    public var exactlyOnce = false
    /// This worker instance's stable name (e.g. the pod of a StatefulSet); with the group it makes the
    /// transactional.id, so one instance's restart fences its previous life and no other instance.
    public var instanceID: String?

    /// `<group>-<instance id>` in exactly-once mode, else nil.
    public var transactionalID: String? { exactlyOnce ? instanceID.map { "\(group)-\($0)" } : nil }

    public init(kafka: KafkaConfig, group: String, topics: [String],
                resultsTopic: String, dlqTopic: String, postgresURL: String) {
        self.kafka = kafka
        self.group = group
        self.topics = topics
        self.resultsTopic = resultsTopic
        self.dlqTopic = dlqTopic
        self.postgresURL = postgresURL
    }

    /// The producer's `message.max.bytes` (librdkafka's default 1,000,000 unless set with -X):
    /// a result or DLQ message must fit in it.
    public var maxMessageBytes: Int { kafka.extra["message.max.bytes"].flatMap { Int($0) } ?? 1_000_000 }
}
