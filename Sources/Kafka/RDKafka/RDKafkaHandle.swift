// The owning wrapper of one rd_kafka_t; the only place that creates and destroys it.
import CRDKafka

final class RDKafkaHandle: @unchecked Sendable {
    let pointer: OpaquePointer

    /// Creates a client of `type` from librdkafka properties; `configure` may add callbacks.
    init(type: rd_kafka_type_t, properties: [String: String],
         configure: (OpaquePointer) -> Void = { _ in }) throws {
        guard let conf = rd_kafka_conf_new() else { throw KafkaError(reason: "rd_kafka_conf_new failed") }
        var errbuf = [CChar](repeating: 0, count: 512)
        for (key, value) in properties.sorted(by: { $0.key < $1.key }) {
            if rd_kafka_conf_set(conf, key, value, &errbuf, errbuf.count) != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                let shown = KafkaConfig.isSecret(key) ? "***" : value
                throw KafkaError(reason: "librdkafka property \(key)=\(shown): "
                                 + KafkaConfig.redact(cString(errbuf), properties: properties), fault: .usage)
            }
        }
        // librdkafka's log lines go to KafkaLogHandler (its own stderr format otherwise).
        rd_kafka_conf_set_log_cb(conf) { rk, level, facility, message in
            KafkaLogHandler.emit(level, rk.map { String(cString: rd_kafka_name($0)) } ?? "rdkafka",
                                 facility.map { String(cString: $0) } ?? "", message.map { String(cString: $0) } ?? "")
        }
        configure(conf)
        // rd_kafka_new takes ownership of conf on success only.
        guard let rk = rd_kafka_new(type, conf, &errbuf, errbuf.count) else {
            rd_kafka_conf_destroy(conf)
            throw KafkaError(reason: "cannot create Kafka client: " + KafkaConfig.redact(cString(errbuf), properties: properties),
                             fault: .usage)
        }
        pointer = rk
    }

    deinit { rd_kafka_destroy(pointer) }
}

/// The text of a NUL-terminated C buffer.
func cString(_ buf: [CChar]) -> String {
    String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
