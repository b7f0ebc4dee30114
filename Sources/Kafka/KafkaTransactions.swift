// Transactions of a KafkaProducer made with a transactional.id: records and consumed offsets committed as one.
// All calls block; run them on the thread that owns the producer's sends, never on Swift's cooperative pool.

extension KafkaProducer {
    /// Registers the transactional.id with the brokers (fencing an older producer of the same id) and
    /// aborts what such a producer left open. Once, before the first transaction.
    public func initTransactions(timeoutMs: Int32 = 30_000) throws {
        try client.initTransactions(timeoutMs: timeoutMs)
    }

    /// Opens a transaction: the records sent from now on are delivered only when it commits.
    public func beginTransaction() throws { try client.beginTransaction() }

    /// Adds `consumer`'s next offsets (the offset of the next record to read, per partition) to the open
    /// transaction: they are committed to its group only if the transaction commits.
    public func sendOffsetsToTransaction(_ nextOffsets: [TopicPartition: Int64], consumer: KafkaConsumer,
                                         timeoutMs: Int32 = 30_000) throws {
        try client.sendOffsets(nextOffsets, consumer: consumer.client, timeoutMs: timeoutMs)
    }

    /// Commits the open transaction: its records become visible to read_committed consumers and its
    /// offsets are committed, together. On an error with `requiresAbort`, abort and send again.
    public func commitTransaction(timeoutMs: Int32 = 30_000) throws {
        try client.commitTransaction(timeoutMs: timeoutMs)
    }

    /// Aborts the open transaction: its records are never shown to read_committed consumers.
    public func abortTransaction(timeoutMs: Int32 = 30_000) throws {
        try client.abortTransaction(timeoutMs: timeoutMs)
    }
}
