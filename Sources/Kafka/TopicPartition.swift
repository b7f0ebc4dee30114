// A topic partition (librdkafka's lists of them: RDKafka/RDPartitionList.swift).

public struct TopicPartition: Hashable, Sendable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32
    public init(_ topic: String, _ partition: Int32) { self.topic = topic; self.partition = partition }
    public var description: String { "\(topic)[\(partition)]" }
}
