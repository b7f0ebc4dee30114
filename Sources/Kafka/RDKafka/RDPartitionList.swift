// RDPartitionList: an owned rd_kafka_topic_partition_list_t, built from and read back to TopicPartitions.
import CRDKafka

final class RDPartitionList {
    let pointer: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>

    init(_ entries: [(TopicPartition, Int64?)]) {
        pointer = rd_kafka_topic_partition_list_new(Int32(max(1, entries.count)))
        for (tp, offset) in entries {
            let e = rd_kafka_topic_partition_list_add(pointer, tp.topic, tp.partition)!
            if let offset { e.pointee.offset = offset }
        }
    }

    deinit { rd_kafka_topic_partition_list_destroy(pointer) }

    static func read(_ list: UnsafePointer<rd_kafka_topic_partition_list_t>) -> [(TopicPartition, Int64, rd_kafka_resp_err_t)] {
        (0..<Int(list.pointee.cnt)).map { i in
            let e = list.pointee.elems[i]
            return (TopicPartition(String(cString: e.topic), e.partition), e.offset, e.err)
        }
    }
}
