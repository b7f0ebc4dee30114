// The one error type of the Kafka layer.
import CRDKafka

/// An error from librdkafka or from this layer, with librdkafka's code when there is one.
public struct KafkaError: Error, CustomStringConvertible, Sendable {
    /// librdkafka's `rd_kafka_resp_err_t` value, or -1 for errors of this layer.
    public let code: Int32
    /// What went wrong, in words.
    public let reason: String
    /// Whether trying again later may succeed (broker down, timeouts, leader changes).
    public let isRetriable: Bool

    public init(code: Int32 = -1, reason: String, isRetriable: Bool = false) {
        self.code = code
        self.reason = reason
        self.isRetriable = isRetriable
    }

    init(_ err: rd_kafka_resp_err_t, _ context: String) {
        let name = String(cString: rd_kafka_err2str(err))
        self.init(code: err.rawValue, reason: "\(context): \(name)", isRetriable: KafkaError.retriable(err))
    }

    static func retriable(_ err: rd_kafka_resp_err_t) -> Bool {
        switch err {
        case RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR__TIMED_OUT,
             RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
             RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
             RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND,
             RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
             RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS, RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS,
             RD_KAFKA_RESP_ERR__QUEUE_FULL, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
            return true
        default:
            return false
        }
    }

    public var description: String { "kafka error \(code): \(reason)" }
}
