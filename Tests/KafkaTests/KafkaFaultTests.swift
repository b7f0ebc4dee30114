// Kafka errors are classified by their cause; librdkafka property values that are secrets never show.
import Foundation
import Kafka
import TestSupport
import Testing

@Suite("Kafka error classes")
struct KafkaFaultTests {
    /// librdkafka code (rd_kafka_resp_err_t) → whose fault.
    static let table: [(Int32, KafkaFault)] = [
        (10, .message),    // MSG_SIZE_TOO_LARGE
        (87, .message),    // INVALID_RECORD
        (2, .message),     // INVALID_MSG (corrupt message)
        (18, .message),    // RECORD_LIST_TOO_LARGE
        (4, .message),     // INVALID_MSG_SIZE
        (32, .message),    // INVALID_TIMESTAMP
        (-195, .system),   // _TRANSPORT
        (-187, .system),   // _ALL_BROKERS_DOWN
        (-185, .system),   // _TIMED_OUT
        (-192, .system),   // _MSG_TIMED_OUT
        (7, .system),      // REQUEST_TIMED_OUT
        (6, .system),      // NOT_LEADER_FOR_PARTITION
        (29, .system),     // TOPIC_AUTHORIZATION_FAILED
        (30, .system),     // GROUP_AUTHORIZATION_FAILED
        (31, .system),     // CLUSTER_AUTHORIZATION_FAILED
        (58, .system),     // SASL_AUTHENTICATION_FAILED
        (-169, .system),   // _AUTHENTICATION
        (-181, .system),   // _SSL
        (-184, .system),   // _QUEUE_FULL
        (3, .system),      // UNKNOWN_TOPIC_OR_PART
        (19, .system),     // NOT_ENOUGH_REPLICAS
        (56, .system),     // KAFKA_STORAGE_ERROR
        (89, .system),     // THROTTLING_QUOTA_EXCEEDED
        (25, .group),      // UNKNOWN_MEMBER_ID
        (22, .group),      // ILLEGAL_GENERATION
        (-186, .usage),    // _INVALID_ARG
        (-190, .usage),    // _UNKNOWN_PARTITION
    ]

    @Test("every librdkafka code of the table has its fault", arguments: table)
    func classified(_ code: Int32, _ fault: KafkaFault) {
        #expect(KafkaError.fault(code: code) == fault, "\(code) \(KafkaError.name(code: code))")
    }

    @Test("isRetriable means a system fault")
    func retriableIsSystem() {
        for f in KafkaFault.allCases {
            #expect(KafkaError(reason: "x", fault: f).isRetriable == (f == .system))
        }
    }

    @Test("a message over the producer's size limit fails as the message's fault, not the system's")
    func tooLarge() async throws {
        let broker = try DevBrokerProcess(topics: ["big:1"])
        let producer = try KafkaProducer(config: KafkaProducerConfig(
            common: KafkaConfig(bootstrapServers: broker.bootstrap, extra: ["message.max.bytes": "100000"])))
        do {
            try producer.sendAndWait([KafkaRecord(topic: "big", key: nil, value: [UInt8](repeating: 7, count: 200_000))])
            Issue.record("expected Message size too large")
        } catch let e as KafkaError {
            #expect(e.fault == .message, "\(e)")
            #expect(!e.isRetriable)
            #expect(e.reason.lowercased().contains("too large"), "\(e)")
        }
    }

    @Test("secret property values never appear in errors")
    func secretsRedacted() {
        do {
            _ = try KafkaConfig.parseExtra(["acks=all", "hunter2"])
            Issue.record("expected a parse error")
        } catch {
            #expect(!"\(error)".contains("hunter2"), "\(error)")
            #expect("\(error)".contains("#2"))
        }
        do {
            _ = try KafkaProducer(config: KafkaProducerConfig(common: KafkaConfig(
                bootstrapServers: "127.0.0.1:1", extra: ["sasl.password.typo": "hunter2"])))
            Issue.record("expected an unknown property error")
        } catch {
            #expect(!"\(error)".contains("hunter2"), "\(error)")
            #expect("\(error)".contains("sasl.password.typo=***"), "\(error)")
        }
        #expect(KafkaConfig.isSecret("sasl.password") && KafkaConfig.isSecret("ssl.key.password")
                && KafkaConfig.isSecret("sasl.oauthbearer.client.secret") && KafkaConfig.isSecret("sasl.jaas.config"))
        #expect(!KafkaConfig.isSecret("bootstrap.servers") && !KafkaConfig.isSecret("acks"))
        #expect(KafkaConfig.redact("auth with hunter2 failed", properties: ["sasl.password": "hunter2", "acks": "all"])
                == "auth with *** failed")
    }

    @Test("MERCLIP_KAFKA_PROPERTIES is merged under the -X flags")
    func environmentProperties() throws {
        let extra = try KafkaConfig.extraProperties(
            flags: ["acks=1"], environment: ["MERCLIP_KAFKA_PROPERTIES": "acks=all; security.protocol=plaintext\nlinger.ms=7"])
        #expect(extra == ["acks": "1", "security.protocol": "plaintext", "linger.ms": "7"])
    }
}
