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
    /// The producer can no longer be used (fenced by a newer producer with its transactional.id, or
    /// another fatal error): it must be closed, and the work it held is done again by a new one.
    public var isFatal = false

    public init(code: Int32 = -1, reason: String, fault: KafkaFault) {
        self.code = code
        self.reason = reason
        self.fault = fault
        isFatal = KafkaError.fatalCodes.contains(code)
    }

    /// librdkafka's _FATAL and _FENCED and the broker's PRODUCER_FENCED: the producer is done for.
    static let fatalCodes: Set<Int32> = [-150, -144, 90]

    /// An error of this layer: a retriable one is the system's fault, else a usage error.
    public init(code: Int32 = -1, reason: String, isRetriable: Bool = false) {
        self.init(code: code, reason: reason, fault: isRetriable ? .system : .usage)
    }

    /// A system fault: trying again later may succeed (broker down, timeouts, leader changes, authorisation).
    public var isRetriable: Bool { fault == .system }

    public var description: String { "kafka error \(code): \(reason)" }
}
