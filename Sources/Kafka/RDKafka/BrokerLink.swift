// BrokerLink: whether a client can reach any broker, from librdkafka's error callback and a metadata probe.
import CRDKafka
import Foundation

/// librdkafka reports "all brokers down" through the error callback but never says when one is back,
/// so while down the owner's poll thread probes with a metadata request every `probeInterval`
/// seconds; a probe that answers, or a delivered message, marks the link up again.
final class BrokerLink: @unchecked Sendable {
    private let lock = NSLock()
    private var up = true
    private var lastProbe = Date.distantPast
    private let probeInterval: TimeInterval
    private let onChange: (@Sendable (Bool, String) -> Void)?

    init(probeInterval: TimeInterval = 2, onChange: (@Sendable (Bool, String) -> Void)?) {
        self.probeInterval = probeInterval
        self.onChange = onChange
    }

    var isUp: Bool { lock.withLock { up } }

    /// Installs the error callback on `conf`; the link must outlive the client made from it.
    func install(on conf: OpaquePointer) {
        rd_kafka_conf_set_opaque(conf, Unmanaged.passUnretained(self).toOpaque())
        rd_kafka_conf_set_error_cb(conf) { _, err, reason, opaque in
            guard let opaque, err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN.rawValue else { return }
            Unmanaged<BrokerLink>.fromOpaque(opaque).takeUnretainedValue()
                .set(false, reason.map { String(cString: $0) } ?? "all brokers are down")
        }
    }

    /// The link of a client whose conf opaque is this link (in librdkafka callbacks).
    static func from(_ opaque: UnsafeMutableRawPointer?) -> BrokerLink? {
        opaque.map { Unmanaged<BrokerLink>.fromOpaque($0).takeUnretainedValue() }
    }

    func set(_ value: Bool, _ why: String) {
        let changed = lock.withLock { () -> Bool in
            defer { up = value }
            return up != value
        }
        if changed { onChange?(value, why) }
    }

    /// On the client's poll thread: while down, a metadata request at most every `probeInterval`.
    func probeIfDown(_ rk: OpaquePointer, timeoutMs: Int32 = 1000) {
        let due = lock.withLock { () -> Bool in
            guard !up, Date().timeIntervalSince(lastProbe) >= probeInterval else { return false }
            lastProbe = Date()
            return true
        }
        guard due else { return }
        var md: UnsafePointer<rd_kafka_metadata>?
        if rd_kafka_metadata(rk, 0, nil, &md, timeoutMs) == RD_KAFKA_RESP_ERR_NO_ERROR {
            set(true, "a metadata request was answered")
        }
        if let md { rd_kafka_metadata_destroy(md) }
    }
}
