// One consumed record and its headers (read from librdkafka in RDKafka/RDKafkaMessage.swift).

public struct KafkaMessage: Sendable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var key: [UInt8]?
    public var value: [UInt8]
    public var headers: [KafkaHeader]
    /// Broker or producer timestamp in milliseconds since the epoch, when known.
    public var timestampMs: Int64?

    public func header(_ name: String) -> [UInt8]? { headers.first { $0.key == name }?.value }
}

/// A record header: a name and raw bytes.
public struct KafkaHeader: Sendable, Equatable {
    public var key: String
    public var value: [UInt8]
    public init(key: String, value: [UInt8]) { self.key = key; self.value = value }
    public init(key: String, string: String) { self.init(key: key, value: Array(string.utf8)) }
}
