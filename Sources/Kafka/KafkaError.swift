// The one error type of the Kafka layer (made from librdkafka's codes in RDKafka/RDKafkaError.swift).

/// An error from librdkafka or from this layer, with librdkafka's code when there is one.
public struct KafkaError: Error, CustomStringConvertible, Sendable {
    /// librdkafka's response error code, or -1 for errors of this layer.
    public let code: Int32
    /// What went wrong, in words (property values and passwords never appear in it).
    public let reason: String
    /// Whose fault it is.
    public let fault: KafkaFault
    /// A transaction call failed in a way that leaves the transaction unusable: abort it, then begin again.
    public var requiresAbort = false

    public init(code: Int32 = -1, reason: String, fault: KafkaFault) {
        self.code = code
        self.reason = reason
        self.fault = fault
    }

    /// An error of this layer: a retriable one is the system's fault, else a usage error.
    public init(code: Int32 = -1, reason: String, isRetriable: Bool = false) {
        self.init(code: code, reason: reason, fault: isRetriable ? .system : .usage)
    }

    /// A system fault: trying again later may succeed (broker down, timeouts, leader changes, authorisation).
    public var isRetriable: Bool { fault == .system }

    public var description: String { "kafka error \(code): \(reason)" }
}
