// Cluster metadata look-ups (reachability, partition counts); the requests are in RDKafka/RDMetadata.swift.

public enum KafkaMetadata {
    /// Connects and returns how many brokers the cluster reports. Throws when unreachable.
    public static func brokerCount(_ config: KafkaConfig, timeoutMs: Int32) throws -> Int {
        try RDMetadata.brokerCount(config, timeoutMs: timeoutMs)
    }

    /// Number of partitions of `topic`, or an error when the topic does not exist.
    public static func partitionCount(_ config: KafkaConfig, topic: String, timeoutMs: Int32) throws -> Int {
        try RDMetadata.partitionCount(config, topic: topic, timeoutMs: timeoutMs)
    }
}
