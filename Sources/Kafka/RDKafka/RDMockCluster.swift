// RDMockCluster: librdkafka's in-memory mock cluster and the client that owns it (behind DevBroker).
import CRDKafka

final class RDMockCluster: @unchecked Sendable {
    private let owner: RDKafkaHandle
    private let cluster: OpaquePointer

    /// Starts `brokers` mock brokers, numbered 1...brokers by librdkafka.
    init(brokers: Int) throws {
        owner = try RDKafkaHandle(type: RD_KAFKA_PRODUCER, properties: ["log_level": "3"])
        guard let c = rd_kafka_mock_cluster_new(owner.pointer, Int32(brokers)) else {
            throw KafkaError(reason: "cannot start the mock cluster")
        }
        cluster = c
    }

    var bootstraps: String { String(cString: rd_kafka_mock_cluster_bootstraps(cluster)) }

    func createTopic(_ name: String, partitions: Int, replicationFactor: Int) throws {
        let err = rd_kafka_mock_topic_create(cluster, name, Int32(partitions), Int32(replicationFactor))
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, "create topic \(name)") }
    }

    func setBroker(_ id: Int32, up: Bool) throws {
        let err = up ? rd_kafka_mock_broker_set_up(cluster, id) : rd_kafka_mock_broker_set_down(cluster, id)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, "set broker \(id) \(up ? "up" : "down")") }
    }

    deinit { rd_kafka_mock_cluster_destroy(cluster) }
}
