// The one error type of the Kafka layer (made from librdkafka's codes in RDKafka/RDKafkaError.swift).

/// An error from librdkafka or from this layer, with librdkafka's code when there is one.
public struct KafkaError: Error, CustomStringConvertible, Sendable {
    /// librdkafka's response error code, or -1 for errors of this layer.
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

    public var description: String { "kafka error \(code): \(reason)" }
}
