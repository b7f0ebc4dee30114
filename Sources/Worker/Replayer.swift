// Copies the events of a time range (and optionally some streams) from a source topic to a
// replay topic, tagged with a replay id, so a worker group can re-score them with another model.
import Foundation
import Kafka

public struct ReplayRequest: Sendable {
    public var sourceTopic: String
    public var replayTopic: String
    public var since: Date
    public var until: Date?
    public var streamIDs: Set<String>
    public var replayID: String

    public init(sourceTopic: String, replayTopic: String, since: Date, until: Date?, streamIDs: Set<String>, replayID: String) {
        self.sourceTopic = sourceTopic; self.replayTopic = replayTopic; self.since = since; self.until = until
        self.streamIDs = streamIDs; self.replayID = replayID
    }
}

public struct ReplayTotals: Sendable, Equatable {
    /// Source messages read in the offset range.
    public var scanned = 0
    /// Of those, in the time range and stream filter.
    public var matched = 0
    /// Copied by this run.
    public var copied = 0
    /// Matched but already on the replay topic with this replay id (an earlier run).
    public var alreadyCopied = 0
    public init() {}
}

public enum ReplayHeader {
    public static let replayID = "merclip.replay_id"
    public static let sourceTopic = "merclip.source_topic"
    public static let sourcePartition = "merclip.source_partition"
    public static let sourceOffset = "merclip.source_offset"
    public static let sourceTimestamp = "merclip.source_timestamp"
}

public final class Replayer {
    let kafka: KafkaConfig
    let log = Log("replay")

    public init(kafka: KafkaConfig) { self.kafka = kafka }

    /// Runs the replay (blocking). Re-running with the same replay id copies only what an
    /// earlier run did not, so downstream sees each event once per replay id.
    public func run(_ r: ReplayRequest, progress: (ReplayTotals) -> Void = { _ in }) throws -> ReplayTotals {
        let partitions = try KafkaMetadata.partitionCount(kafka, topic: r.sourceTopic, timeoutMs: 10_000)
        let done = try alreadyCopied(r)
        let reader = try KafkaConsumer(config: KafkaConsumerConfig(common: kafka, groupID: "merclip-replay-\(r.replayID)"))
        defer { reader.close() }
        let tps = (0..<Int32(partitions)).map { TopicPartition(r.sourceTopic, $0) }
        let sinceMs = Int64(r.since.timeIntervalSince1970 * 1000)
        let untilMs = r.until.map { Int64($0.timeIntervalSince1970 * 1000) }
        var start: [TopicPartition: Int64] = [:], end: [TopicPartition: Int64] = [:]
        let fromTime = try reader.offsetsForTimes(tps, timestampMs: sinceMs)
        let toTime = try untilMs.map { try reader.offsetsForTimes(tps, timestampMs: $0) }
        for tp in tps {
            let (low, high) = try reader.watermarks(tp)
            end[tp] = toTime?[tp] ?? high
            start[tp] = fromTime[tp] ?? high
            // A broker that cannot look timestamps up (librdkafka's mock cluster) answers "no
            // offset" even when newer messages exist: then scan from the start, filtering by time.
            if start[tp] == high, high > low, try (lastTimestamp(tp, high: high) ?? Int64.max) >= sinceMs {
                start[tp] = low
                end[tp] = high
            }
        }
        var remaining = Set(tps.filter { start[$0]! < end[$0]! })
        log.info("range", ["topic": r.sourceTopic, "partitions": partitions,
                           "offsets": tps.map { "\($0.partition):\(start[$0]!)-\(end[$0]!)" }.joined(separator: ","),
                           "already_copied": done.count])
        var totals = ReplayTotals()
        if remaining.isEmpty { return totals }
        try reader.assign(Dictionary(uniqueKeysWithValues: remaining.map { ($0, start[$0]!) }))
        let producer = try KafkaProducer(config: KafkaProducerConfig(common: kafka))
        var pending: [KafkaRecord] = []
        var idle = Date()
        while !remaining.isEmpty {
            guard let m = try reader.pollBlocking(timeoutMs: 500) else {
                if Date().timeIntervalSince(idle) > 30 {
                    throw KafkaError(reason: "replay stalled: no message for 30 s with partitions \(remaining.sorted { $0.partition < $1.partition }) unfinished", isRetriable: true)
                }
                continue
            }
            idle = Date()
            let tp = TopicPartition(m.topic, m.partition)
            guard let stop = end[tp], m.offset < stop else { continue }
            if m.offset + 1 >= stop { remaining.remove(tp) }
            totals.scanned += 1
            let ts = m.timestampMs ?? sinceMs
            if ts < sinceMs || (untilMs.map { ts >= $0 } ?? false) { continue }
            if !r.streamIDs.isEmpty && !r.streamIDs.contains(streamID(of: m)) { continue }
            totals.matched += 1
            if done.contains(SourceRef(partition: m.partition, offset: m.offset)) {
                totals.alreadyCopied += 1
                continue
            }
            let headers = m.headers.filter { !$0.key.hasPrefix("merclip.") } + [
                KafkaHeader(key: ReplayHeader.replayID, string: r.replayID),
                KafkaHeader(key: ReplayHeader.sourceTopic, string: m.topic),
                KafkaHeader(key: ReplayHeader.sourcePartition, string: String(m.partition)),
                KafkaHeader(key: ReplayHeader.sourceOffset, string: String(m.offset)),
                KafkaHeader(key: ReplayHeader.sourceTimestamp, string: String(ts)),
            ]
            pending.append(KafkaRecord(topic: r.replayTopic, key: m.key, value: m.value, headers: headers))
            if pending.count >= 500 {
                totals.copied += try producer.sendAndWait(pending).count
                pending = []
                progress(totals)
            }
        }
        totals.copied += try producer.sendAndWait(pending).count
        progress(totals)
        return totals
    }

    /// The timestamp of a partition's last message (nil when it cannot be read within 10 s).
    func lastTimestamp(_ tp: TopicPartition, high: Int64) throws -> Int64? {
        let c = try KafkaConsumer(config: KafkaConsumerConfig(common: kafka, groupID: "merclip-replay-probe"))
        defer { c.close() }
        try c.assign([tp: high - 1])
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if let m = try c.pollBlocking(timeoutMs: 200), m.partition == tp.partition { return m.timestampMs }
        }
        return nil
    }

    struct SourceRef: Hashable { let partition: Int32; let offset: Int64 }

    /// (source partition, offset) of every message this replay id already put on the replay topic.
    func alreadyCopied(_ r: ReplayRequest) throws -> Set<SourceRef> {
        guard let partitions = try? KafkaMetadata.partitionCount(kafka, topic: r.replayTopic, timeoutMs: 10_000) else { return [] }
        let reader = try KafkaConsumer(config: KafkaConsumerConfig(common: kafka, groupID: "merclip-replay-scan-\(r.replayID)"))
        defer { reader.close() }
        var end: [TopicPartition: Int64] = [:]
        var begin: [TopicPartition: Int64] = [:]
        for p in 0..<Int32(partitions) {
            let tp = TopicPartition(r.replayTopic, p)
            let (low, high) = try reader.watermarks(tp)
            if high > low { begin[tp] = low; end[tp] = high }
        }
        if begin.isEmpty { return [] }
        try reader.assign(begin)
        var remaining = Set(begin.keys)
        var out: Set<SourceRef> = []
        var idle = Date()
        while !remaining.isEmpty {
            guard let m = try reader.pollBlocking(timeoutMs: 500) else {
                if Date().timeIntervalSince(idle) > 30 { throw KafkaError(reason: "scan of \(r.replayTopic) stalled", isRetriable: true) }
                continue
            }
            idle = Date()
            let tp = TopicPartition(m.topic, m.partition)
            if m.offset + 1 >= end[tp] ?? 0 { remaining.remove(tp) }
            guard m.header(ReplayHeader.replayID).map({ String(decoding: $0, as: UTF8.self) }) == r.replayID,
                  m.header(ReplayHeader.sourceTopic).map({ String(decoding: $0, as: UTF8.self) }) == r.sourceTopic,
                  let p = m.header(ReplayHeader.sourcePartition).flatMap({ Int32(String(decoding: $0, as: UTF8.self)) }),
                  let o = m.header(ReplayHeader.sourceOffset).flatMap({ Int64(String(decoding: $0, as: UTF8.self)) })
            else { continue }
            out.insert(SourceRef(partition: p, offset: o))
        }
        return out
    }

    /// The stream id: the record key (what producers use), else the event's stream_id field.
    func streamID(of m: KafkaMessage) -> String {
        if let k = m.key, !k.isEmpty { return String(decoding: k, as: UTF8.self) }
        return ((try? JSONSerialization.jsonObject(with: Data(m.value))) as? [String: Any])?["stream_id"] as? String ?? ""
    }
}
