// KafkaError from librdkafka's rd_kafka_resp_err_t, and the table of whose fault each code is.
import CRDKafka

extension KafkaError {
    init(_ err: rd_kafka_resp_err_t, _ context: String) {
        let name = String(cString: rd_kafka_err2str(err))
        self.init(code: err.rawValue, reason: "\(context): \(name)", fault: KafkaError.fault(err))
    }

    /// The fault of `err`; a code the table does not list is a usage error (not retried, reported).
    static func fault(_ err: rd_kafka_resp_err_t) -> KafkaFault {
        faults[err.rawValue] ?? .usage
    }

    /// The fault of librdkafka's code `code` (rd_kafka_resp_err_t's raw value).
    public static func fault(code: Int32) -> KafkaFault { faults[code] ?? .usage }

    /// librdkafka's name of `code`, e.g. "Broker: Message size too large".
    public static func name(code: Int32) -> String { String(cString: rd_kafka_err2str(rd_kafka_resp_err_t(rawValue: code))) }

    /// librdkafka codes (negative: raised by librdkafka itself; positive: sent by a broker) → fault.
    static let faults: [Int32: KafkaFault] = {
        var t: [Int32: KafkaFault] = [:]
        let message: [rd_kafka_resp_err_t] = [
            RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE, RD_KAFKA_RESP_ERR_INVALID_MSG,
            RD_KAFKA_RESP_ERR_INVALID_RECORD, RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE, RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP,
            RD_KAFKA_RESP_ERR__BAD_MSG,
        ]
        let system: [rd_kafka_resp_err_t] = [
            // Transport and brokers.
            RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, RD_KAFKA_RESP_ERR__RESOLVE,
            RD_KAFKA_RESP_ERR__SSL, RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION, RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE,
            RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR, RD_KAFKA_RESP_ERR__WAIT_COORD,
            // Timeouts and queues.
            RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
            RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE, RD_KAFKA_RESP_ERR__QUEUE_FULL,
            // Leadership, replicas, coordinators, topics being created.
            RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
            RD_KAFKA_RESP_ERR_REPLICA_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_PREFERRED_LEADER_NOT_AVAILABLE,
            RD_KAFKA_RESP_ERR_FENCED_LEADER_EPOCH, RD_KAFKA_RESP_ERR_UNKNOWN_LEADER_EPOCH,
            RD_KAFKA_RESP_ERR_OFFSET_NOT_AVAILABLE,
            RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND,
            RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE, RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
            RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS, RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS,
            RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC,
            // Authorisation and quotas: fixed by an operator, not by the message.
            RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED,
            RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
            RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED, RD_KAFKA_RESP_ERR__AUTHENTICATION,
            RD_KAFKA_RESP_ERR_POLICY_VIOLATION, RD_KAFKA_RESP_ERR_THROTTLING_QUOTA_EXCEEDED,
        ]
        let group: [rd_kafka_resp_err_t] = [
            RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID, RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION,
            RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID, RD_KAFKA_RESP_ERR__STATE, RD_KAFKA_RESP_ERR__NO_OFFSET,
            RD_KAFKA_RESP_ERR__ASSIGNMENT_LOST,
        ]
        for (codes, f) in [(message, KafkaFault.message), (system, .system), (group, .group)] {
            for c in codes { t[c.rawValue] = f }
        }
        return t
    }()
}
