// KafkaFault: whose fault a Kafka error is (the table of librdkafka codes is in RDKafka/RDKafkaError.swift).

public enum KafkaFault: String, Sendable, CaseIterable {
    /// A property of the message itself (too large, an invalid record): sending it again fails the
    /// same way, so the worker resolves it by its documented rule instead of retrying.
    case message
    /// The brokers, the network, authorisation, quotas or timeouts: retried with backoff; nothing
    /// goes to the DLQ for it.
    case system
    /// The consumer group moved on (a rebalance made this member's generation stale): not retried;
    /// the partitions' next owner reads from the last commit.
    case group
    /// A call or setting this layer got wrong (an invalid argument, an unknown property): not retried.
    case usage
}
