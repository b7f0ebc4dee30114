// The librdkafka transaction calls behind KafkaProducer's transactions, and KafkaError from rd_kafka_error_t.
import CRDKafka

extension RDKafkaProducer {
    func initTransactions(timeoutMs: Int32) throws {
        try KafkaError.check(rd_kafka_init_transactions(handle.pointer, timeoutMs), "init transactions")
    }

    func beginTransaction() throws {
        try KafkaError.check(rd_kafka_begin_transaction(handle.pointer), "begin transaction")
    }

    /// Adds the consumer's next offsets to the open transaction, under the consumer's group generation.
    func sendOffsets(_ nextOffsets: [TopicPartition: Int64], consumer: RDKafkaConsumer, timeoutMs: Int32) throws {
        guard let group = rd_kafka_consumer_group_metadata(consumer.handle.pointer) else {
            throw KafkaError(reason: "send offsets to transaction: the consumer has no group metadata")
        }
        defer { rd_kafka_consumer_group_metadata_destroy(group) }
        let list = RDPartitionList(nextOffsets.map { ($0.key, $0.value) })
        try KafkaError.check(rd_kafka_send_offsets_to_transaction(handle.pointer, list.pointer, group, timeoutMs),
                             "send offsets to transaction")
    }

    func commitTransaction(timeoutMs: Int32) throws {
        try KafkaError.check(rd_kafka_commit_transaction(handle.pointer, timeoutMs), "commit transaction")
    }

    func abortTransaction(timeoutMs: Int32) throws {
        try KafkaError.check(rd_kafka_abort_transaction(handle.pointer, timeoutMs), "abort transaction")
    }
}

extension KafkaError {
    /// Throws (and frees) a transaction call's error object; nil is success.
    static func check(_ error: OpaquePointer?, _ context: String) throws {
        guard let error else { return }
        defer { rd_kafka_error_destroy(error) }
        let code = rd_kafka_error_code(error)
        let fault: KafkaFault = rd_kafka_error_is_fatal(error) != 0 ? .usage
            : rd_kafka_error_is_retriable(error) != 0 ? .system : KafkaError.fault(code)
        var e = KafkaError(code: code.rawValue, reason: "\(context): \(String(cString: rd_kafka_error_string(error)))", fault: fault)
        e.requiresAbort = rd_kafka_error_txn_requires_abort(error) != 0
        e.isFatal = e.isFatal || rd_kafka_error_is_fatal(error) != 0
        throw e
    }
}
