// An in-memory Kafka-protocol cluster (librdkafka's mock cluster) for development and tests.
import CRDKafka

/// A mock Kafka cluster listening on localhost. It speaks the real wire protocol (so
/// other processes, kcat and real clients can use it) but keeps everything in memory:
/// it is not durable and not for production.
public final class DevBroker: @unchecked Sendable {
    private let owner: RDKafkaHandle
    private let cluster: OpaquePointer
    /// The brokers' ids: librdkafka numbers a mock cluster's brokers 1...N.
    public let brokerIDs: [Int32]

    /// Starts `brokers` mock brokers.
    public init(brokers: Int = 1) throws {
        guard brokers >= 1 else { throw KafkaError(reason: "a dev broker needs at least 1 broker, not \(brokers)") }
        owner = try RDKafkaHandle(type: RD_KAFKA_PRODUCER, properties: ["log_level": "3"])
        guard let c = rd_kafka_mock_cluster_new(owner.pointer, Int32(brokers)) else {
            throw KafkaError(reason: "cannot start the mock cluster")
        }
        cluster = c
        brokerIDs = Array(1...Int32(brokers))
    }

    /// `host:port,...` that clients bootstrap from.
    public var bootstrapServers: String { String(cString: rd_kafka_mock_cluster_bootstraps(cluster)) }

    /// Creates a topic with `partitions` partitions.
    public func createTopic(_ name: String, partitions: Int, replicationFactor: Int = 1) throws {
        let err = rd_kafka_mock_topic_create(cluster, name, Int32(partitions), Int32(replicationFactor))
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, "create topic \(name)") }
    }

    /// Takes a broker down (`up: false`) or back up, to test failures. A broker that is down
    /// closes its connections and refuses new ones; the cluster's state (topics, offsets,
    /// groups) stays.
    public func setBroker(_ id: Int32, up: Bool) throws {
        let err = up ? rd_kafka_mock_broker_set_up(cluster, id) : rd_kafka_mock_broker_set_down(cluster, id)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, "set broker \(id) \(up ? "up" : "down")") }
    }

    deinit { rd_kafka_mock_cluster_destroy(cluster) }
}
