// An in-memory Kafka-protocol cluster (librdkafka's mock cluster, RDKafka/RDMockCluster.swift) for development and tests.

/// A mock Kafka cluster listening on localhost. It speaks the real wire protocol (so
/// other processes, kcat and real clients can use it) but keeps everything in memory:
/// it is not durable and not for production.
public final class DevBroker: @unchecked Sendable {
    private let cluster: RDMockCluster
    /// The brokers' ids: librdkafka numbers a mock cluster's brokers 1...N.
    public let brokerIDs: [Int32]

    /// Starts `brokers` mock brokers.
    public init(brokers: Int = 1) throws {
        guard brokers >= 1 else { throw KafkaError(reason: "a dev broker needs at least 1 broker, not \(brokers)") }
        cluster = try RDMockCluster(brokers: brokers)
        brokerIDs = Array(1...Int32(brokers))
    }

    /// `host:port,...` that clients bootstrap from.
    public var bootstrapServers: String { cluster.bootstraps }

    /// Creates a topic with `partitions` partitions.
    public func createTopic(_ name: String, partitions: Int, replicationFactor: Int = 1) throws {
        try cluster.createTopic(name, partitions: partitions, replicationFactor: replicationFactor)
    }

    /// Takes a broker down (`up: false`) or back up, to test failures. A broker that is down
    /// closes its connections and refuses new ones; the cluster's state (topics, offsets,
    /// groups) stays.
    public func setBroker(_ id: Int32, up: Bool) throws {
        try cluster.setBroker(id, up: up)
    }
}
