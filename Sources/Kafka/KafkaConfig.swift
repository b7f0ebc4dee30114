// Client configuration, lowered to librdkafka's key/value properties; secrets kept out of errors.
import Foundation

/// Settings shared by producers and consumers. Everything librdkafka knows
/// (SASL, SSL, timeouts) can be passed through `extra`, as with `-X key=value`.
public struct KafkaConfig: Sendable {
    /// Comma-separated `host:port` list (`bootstrap.servers`).
    public var bootstrapServers: String
    /// `client.id`, shown in broker logs.
    public var clientID: String = "merclip"
    /// Extra librdkafka properties; they override the fields above.
    public var extra: [String: String] = [:]

    public init(bootstrapServers: String, clientID: String = "merclip", extra: [String: String] = [:]) {
        self.bootstrapServers = bootstrapServers
        self.clientID = clientID
        self.extra = extra
    }

    /// Parses `key=value` strings (the CLI's `-X` options). The error never shows the text, which
    /// may be a secret given without its key.
    public static func parseExtra(_ pairs: [String]) throws -> [String: String] {
        var out: [String: String] = [:]
        for (i, pair) in pairs.enumerated() {
            guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else {
                throw KafkaError(reason: "librdkafka property #\(i + 1) (\(pair.count) characters, not shown) is not key=value")
            }
            out[String(pair[..<eq])] = String(pair[pair.index(after: eq)...])
        }
        return out
    }

    /// `-X` flags merged with MERCLIP_KAFKA_PROPERTIES from `environment` (key=value pairs separated
    /// by ';' or newlines); a flag wins over the same key from the environment.
    public static func extraProperties(flags: [String], environment: [String: String]) throws -> [String: String] {
        var extra = try parseExtra(flags)
        if let list = environment["MERCLIP_KAFKA_PROPERTIES"] {
            let pairs = list.split(whereSeparator: { $0 == ";" || $0 == "\n" })
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            extra.merge(try parseExtra(pairs)) { flag, _ in flag }
        }
        return extra
    }

    /// Whether the value of librdkafka property `key` is a secret (passwords, keys, tokens, JAAS).
    public static func isSecret(_ key: String) -> Bool {
        let k = key.lowercased()
        return ["password", "secret", "jaas", ".pem", "token", "credentials", "private"].contains { k.contains($0) }
    }

    /// `text` with the value of every secret property in `properties` replaced by ***.
    public static func redact(_ text: String, properties: [String: String]) -> String {
        var s = text
        for (k, v) in properties where isSecret(k) && !v.isEmpty { s = s.replacingOccurrences(of: v, with: "***") }
        return s
    }

    var properties: [String: String] {
        var p = ["bootstrap.servers": bootstrapServers, "client.id": clientID]
        p.merge(extra) { _, new in new }
        return p
    }
}

/// Consumer settings: a group member that commits offsets itself.
public struct KafkaConsumerConfig: Sendable {
    public var common: KafkaConfig
    /// `group.id`: one group per pool of workers.
    public var groupID: String
    /// Where to start when the group has no committed offset: "earliest" or "latest".
    public var autoOffsetReset: String = "earliest"
    /// `session.timeout.ms`: how long a silent member keeps its partitions.
    public var sessionTimeoutMs: Int = 10_000
    /// `isolation.level`: true reads only messages of committed transactions ("read_committed").
    public var readCommitted: Bool = true

    public init(common: KafkaConfig, groupID: String, autoOffsetReset: String = "earliest") {
        self.common = common
        self.groupID = groupID
        self.autoOffsetReset = autoOffsetReset
    }

    var properties: [String: String] {
        var p = ["group.id": groupID, "auto.offset.reset": autoOffsetReset,
                 "enable.auto.commit": "false", "enable.auto.offset.store": "false",
                 "session.timeout.ms": String(sessionTimeoutMs),
                 "heartbeat.interval.ms": String(max(100, sessionTimeoutMs / 5)),
                 "isolation.level": readCommitted ? "read_committed" : "read_uncommitted"]
        p.merge(common.properties) { _, new in new }
        return p
    }
}

/// Producer settings: idempotent by default, so retries never duplicate or reorder.
public struct KafkaProducerConfig: Sendable {
    public var common: KafkaConfig
    /// `enable.idempotence`.
    public var idempotent: Bool = true
    /// `linger.ms`: how long to wait to fill a batch.
    public var lingerMs: Int = 5
    /// `transactional.id`: set, the producer is transactional (see KafkaProducer's transaction calls); each
    /// producer that must not be fenced by another needs its own, stable across its restarts.
    public var transactionalID: String?

    public init(common: KafkaConfig, idempotent: Bool = true) {
        self.common = common
        self.idempotent = idempotent
    }

    var properties: [String: String] {
        var p = ["enable.idempotence": idempotent ? "true" : "false", "linger.ms": String(lingerMs),
                 "acks": "all"]
        if let transactionalID { p["transactional.id"] = transactionalID }
        p.merge(common.properties) { _, new in new }
        return p
    }
}
