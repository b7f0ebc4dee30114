// RebalanceState: librdkafka's rebalance callback (assign/revoke) and the partitions owned after it.
import CRDKafka
import Foundation

/// Rebalance bookkeeping shared with librdkafka's callback (which runs inside poll).
final class RebalanceState: @unchecked Sendable {
    private let lock = NSLock()
    private var owned: [TopicPartition] = []
    let onAssign: (@Sendable ([TopicPartition]) -> Void)?
    let onRevoke: (@Sendable ([TopicPartition]) -> Void)?

    init(onAssign: (@Sendable ([TopicPartition]) -> Void)?, onRevoke: (@Sendable ([TopicPartition]) -> Void)?) {
        self.onAssign = onAssign
        self.onRevoke = onRevoke
    }

    var assigned: [TopicPartition] { lock.withLock { owned } }

    /// Installs the rebalance callback on `conf`; the state must outlive the client made from it.
    func install(on conf: OpaquePointer) {
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(self).toOpaque())
        rd_kafka_conf_set_rebalance_cb(conf) { rk, err, partitions, opaque in
            guard let rk, let opaque, let partitions else { return }
            Unmanaged<RebalanceState>.fromOpaque(opaque).takeUnretainedValue()
                .handle(rk, err, partitions)
        }
    }

    func handle(_ rk: OpaquePointer, _ err: rd_kafka_resp_err_t,
                _ partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) {
        let tps = RDPartitionList.read(partitions).map(\.0)
        if err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS {
            rd_kafka_assign(rk, partitions)
            lock.withLock { owned = tps }
            onAssign?(tps)
        } else {
            onRevoke?(tps)
            rd_kafka_assign(rk, nil)
            lock.withLock { owned = [] }
        }
    }
}
