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
            if s.count > maxLength { throw WorkerError(.schema, "'\(key)' is longer than \(maxLength) characters") }
            return s
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
            throw WorkerError(.schema, "'produced_at' is not an RFC 3339 date-time: \(producedText)")
        }
        guard let m = obj["media"] as? [String: Any] else { throw WorkerError(.schema, "'media' must be an object") }
        let media: Media
        if let uri = m["uri"] {
            guard m.count == 1, let u = uri as? String else {
                throw WorkerError(.schema, "'media' must be {\"uri\": string} or {\"inline_base64\": string}")
            }
            guard u.hasPrefix("file://") || u.hasPrefix("http://") || u.hasPrefix("https://") else {
                throw WorkerError(.schema, "media uri must be file://, http:// or https://, not \(u.prefix(60))")
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
        }
        return SegmentEvent(
            segmentID: try string("segment_id")!, streamID: try string("stream_id")!,
            startMs: try integer("start_ms", min: 0), durationMs: try integer("duration_ms", min: 1),
            media: media, transcript: try string("transcript", required: false, maxLength: 100_000),
            labelSet: try string("label_set", required: false), producedAt: produced, metadataJSON: metadata)
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
