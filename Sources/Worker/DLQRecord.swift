// DLQRecord: the dead-letter copy of a failed event: its bytes, its headers made safe, the worker's headers, cut to fit.
import Foundation
import Kafka

/// The DLQ copy keeps the event's key, value and headers, except that incoming `merclip.*` headers
/// are renamed `orig.merclip.*`, so the worker's own `merclip.*` headers are the only ones a reader
/// finds under those names. A copy larger than the producer's message size limit gets its value cut
/// to fit and a `merclip.truncated` header; the failures row then holds the whole event.
struct DLQRecord {
    static let renamedPrefix = "orig."
    /// Bytes a record costs on the wire beyond its key, value and headers (batch and record framing),
    /// and per header; kept generous so an estimate that fits is accepted by librdkafka.
    static let recordOverhead = 512
    static let headerOverhead = 16

    let record: KafkaRecord
    /// The value's length before it was cut, when it was.
    let truncatedFrom: Int?

    /// The copy of `m` for `failure`; `valueLimit` cuts the value further (a broker that refused the first copy).
    init(_ m: KafkaMessage, topic: String, stage: String, errorClass: String, reason: String, replayID: String?,
         maxBytes: Int, valueLimit: Int? = nil) {
        var own = [
            KafkaHeader(key: "merclip.stage", string: stage),
            KafkaHeader(key: "merclip.error_class", string: errorClass),
            KafkaHeader(key: "merclip.reason", string: String(reason.prefix(1000))),
            KafkaHeader(key: "merclip.source_topic", string: m.topic),
            KafkaHeader(key: "merclip.source_partition", string: String(m.partition)),
            KafkaHeader(key: "merclip.source_offset", string: String(m.offset)),
        ]
        if let replayID { own.append(KafkaHeader(key: ReplayHeader.replayID, string: replayID)) }
        var incoming = m.headers.map { h in
            h.key.hasPrefix("merclip.") ? KafkaHeader(key: DLQRecord.renamedPrefix + h.key, value: h.value) : h
        }
        var key = m.key
        let limit = min(valueLimit ?? m.value.count, m.value.count)
        var full = KafkaRecord(topic: topic, key: key, value: Array(m.value.prefix(limit)), headers: incoming + own)
        guard limit < m.value.count || DLQRecord.wireSize(full) > maxBytes else {
            record = full
            truncatedFrom = nil
            return
        }
        // What is left for the value once the key and headers are counted; incoming headers, then the
        // key, go too when even an empty value does not fit.
        let marker = KafkaHeader(key: "merclip.truncated", string: "value cut from \(m.value.count) bytes to 0000000000")
        func room() -> Int {
            maxBytes - DLQRecord.wireSize(KafkaRecord(topic: topic, key: key, value: [], headers: incoming + own + [marker]))
        }
        if room() < 0 { incoming = [] }
        if room() < 0 { key = nil }
        let kept = max(0, min(limit, room()))
        own.append(KafkaHeader(key: "merclip.truncated", string: "value cut from \(m.value.count) bytes to \(kept)"))
        full = KafkaRecord(topic: topic, key: key, value: Array(m.value.prefix(kept)), headers: incoming + own)
        record = full
        truncatedFrom = m.value.count
    }

    /// An upper estimate of the bytes librdkafka counts against `message.max.bytes` for `r`.
    static func wireSize(_ r: KafkaRecord) -> Int {
        (r.key?.count ?? 0) + r.value.count + recordOverhead
            + r.headers.reduce(0) { $0 + $1.key.utf8.count + $1.value.count + headerOverhead }
    }
}
