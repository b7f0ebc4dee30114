// The segment event (schemas/segment-event.schema.json): decoding and validation.
import Foundation
import Sinks

public struct SegmentEvent: Sendable, Equatable {
    public enum Media: Sendable, Equatable {
        case uri(String)
        case inline(Data, formatHint: String?)
    }

    public var segmentID: String
    public var streamID: String
    public var startMs: Int64
    public var durationMs: Int64
    public var media: Media
    public var transcript: String?
    public var labelSet: String?
    public var producedAt: Date
    /// Free-form metadata as JSON text ("{}" when absent).
    public var metadataJSON: String

    public init(segmentID: String, streamID: String, startMs: Int64, durationMs: Int64, media: Media,
                transcript: String? = nil, labelSet: String? = nil, producedAt: Date = Date(), metadataJSON: String = "{}") {
        self.segmentID = segmentID
        self.streamID = streamID
        self.startMs = startMs
        self.durationMs = durationMs
        self.media = media
        self.transcript = transcript
        self.labelSet = labelSet
        self.producedAt = producedAt
        self.metadataJSON = metadataJSON
    }

    /// Decodes and validates one event; the error names the field and the reason.
    public static func decode(_ bytes: [UInt8]) throws -> SegmentEvent {
        let any: Any
        do {
            any = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        } catch {
            throw WorkerError(.badJSON, "event is not valid JSON (\(bytes.count) bytes)")
        }
        guard let obj = any as? [String: Any] else { throw WorkerError(.schema, "event is not a JSON object") }
        let known: Set = ["segment_id", "stream_id", "start_ms", "duration_ms", "media", "transcript",
                          "label_set", "produced_at", "metadata"]
        if let extra = obj.keys.sorted().first(where: { !known.contains($0) }) {
            throw WorkerError(.schema, "unknown field '\(extra)'")
        }
        func string(_ key: String, required: Bool = true, maxLength: Int = 200) throws -> String? {
            guard let v = obj[key], !(v is NSNull) else {
                if required { throw WorkerError(.schema, "missing field '\(key)'") }
                return nil
            }
            guard let s = v as? String else { throw WorkerError(.schema, "'\(key)' must be a string") }
            if required && s.isEmpty { throw WorkerError(.schema, "'\(key)' must not be empty") }
            if s.count > maxLength || s.utf8.count > 4 * maxLength {
                throw WorkerError(.schema, "'\(key)' is longer than \(maxLength) characters (or \(4 * maxLength) UTF-8 bytes)")
            }
            return s
        }
        /// An identifier (segment_id, stream_id, label_set): NFC, without control or separator characters,
        /// so Postgres and the results topic carry the same key and no log line can be forged with it.
        func identifier(_ key: String, required: Bool = true) throws -> String? {
            guard let s = try string(key, required: required) else { return nil }
            if let bad = s.unicodeScalars.first(where: SegmentEvent.isRefusedInIdentifier) {
                throw WorkerError(.schema, String(format: "'%@' contains the control character U+%04X", key, bad.value))
            }
            if s.trimmingCharacters(in: .whitespaces).isEmpty { throw WorkerError(.schema, "'\(key)' is blank") }
            return s.precomposedStringWithCanonicalMapping
        }
        func integer(_ key: String, min: Int64) throws -> Int64 {
            guard let v = obj[key] else { throw WorkerError(.schema, "missing field '\(key)'") }
            guard let n = v as? NSNumber, String(cString: n.objCType) != "c",
                  n.doubleValue == n.doubleValue.rounded(), abs(n.doubleValue) < 9e15 else {
                throw WorkerError(.schema, "'\(key)' must be an integer")
            }
            guard n.int64Value >= min else { throw WorkerError(.schema, "'\(key)' must be ≥ \(min), not \(n.int64Value)") }
            return n.int64Value
        }

        let producedText = try string("produced_at")!
        guard let produced = RFC3339.parse(producedText) else {
            throw WorkerError(.schema, "'produced_at' is not an RFC 3339 date-time: \(String(producedText.prefix(60)).debugDescription)")
        }
        guard SegmentEvent.producedRange(now: Date()).contains(produced) else {
            throw WorkerError(.schema, "'produced_at' \(producedText.debugDescription) is outside the accepted range "
                              + "(2000-01-01T00:00:00Z to one day after the worker's clock): the producer's clock is wrong")
        }
        guard let m = obj["media"] as? [String: Any] else { throw WorkerError(.schema, "'media' must be an object") }
        let media: Media
        if let uri = m["uri"] {
            guard m.count == 1, let u = uri as? String else {
                throw WorkerError(.schema, "'media' must be {\"uri\": string} or {\"inline_base64\": string}")
            }
            guard u.hasPrefix("file://") || u.hasPrefix("http://") || u.hasPrefix("https://") else {
                throw WorkerError(.schema, "media uri must be file://, http:// or https://, not \(String(SecretRedaction.url(u).prefix(60)).debugDescription)")
            }
            media = .uri(u)
        } else if let b64 = m["inline_base64"] as? String {
            guard Set(m.keys).isSubset(of: ["inline_base64", "format_hint"]) else {
                throw WorkerError(.schema, "'media' has unknown fields \(m.keys.sorted())")
            }
            guard let data = Data(base64Encoded: b64, options: .ignoreUnknownCharacters) else {
                throw WorkerError(.schema, "media inline_base64 is not valid base64")
            }
            media = .inline(data, formatHint: m["format_hint"] as? String)
        } else {
            throw WorkerError(.schema, "'media' must be {\"uri\": string} or {\"inline_base64\": string}")
        }
        var metadata = "{}"
        if let md = obj["metadata"] {
            guard md is [String: Any] else { throw WorkerError(.schema, "'metadata' must be an object") }
            metadata = String(decoding: try JSONSerialization.data(withJSONObject: md, options: [.sortedKeys]), as: UTF8.self)
            // Postgres' jsonb cannot hold U+0000: refused here so both sinks carry the same metadata.
            if metadata.contains("\\u0000") { throw WorkerError(.schema, "'metadata' contains the character U+0000") }
        }
        return SegmentEvent(
            segmentID: try identifier("segment_id")!, streamID: try identifier("stream_id")!,
            startMs: try integer("start_ms", min: 0), durationMs: try integer("duration_ms", min: 1),
            media: media, transcript: try string("transcript", required: false, maxLength: 100_000),
            labelSet: try identifier("label_set", required: false), producedAt: produced, metadataJSON: metadata)
    }

    /// C0 and C1 controls, DEL, line and paragraph separators, bidirectional overrides, U+FFFD and noncharacters.
    static func isRefusedInIdentifier(_ u: Unicode.Scalar) -> Bool {
        switch u.value {
        case 0x00...0x1F, 0x7F...0x9F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069, 0xFFFD, 0xFDD0...0xFDEF: return true
        default: return u.value & 0xFFFE == 0xFFFE
        }
    }

    /// The `produced_at` values accepted at `now`: from 2000-01-01 to one day ahead (a clock off by
    /// more is refused, so its latency never reaches the end-to-end histogram).
    static func producedRange(now: Date) -> ClosedRange<Date> {
        Date(timeIntervalSince1970: 946_684_800)...now.addingTimeInterval(86_400)
    }

    /// The JSON of this event (what `merclip ingest` publishes).
    public func encoded() -> [UInt8] {
        var obj: [String: Any] = [
            "segment_id": segmentID, "stream_id": streamID, "start_ms": startMs, "duration_ms": durationMs,
            "produced_at": RFC3339.format(producedAt),
        ]
        switch media {
        case .uri(let u): obj["media"] = ["uri": u]
        case .inline(let d, let hint):
            var m: [String: Any] = ["inline_base64": d.base64EncodedString()]
            if let hint { m["format_hint"] = hint }
            obj["media"] = m
        }
        if let transcript { obj["transcript"] = transcript }
        if let labelSet { obj["label_set"] = labelSet }
        if let md = try? JSONSerialization.jsonObject(with: Data(metadataJSON.utf8)) { obj["metadata"] = md }
        return Array((try? JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])) ?? Data())
    }
}
