// DatasetManifest: the JSON-lines manifest `merclip dataset build` reads, checked against the tasks line by line.
import ArgumentParser
import Foundation
import Model
import Tensor

/// One manifest line: a window of a media file and its labels.
struct ManifestEntry: Sendable {
    /// 1-based line number in the manifest.
    var line: Int
    var id: String
    /// The media path as resolved (absolute, or relative to the working directory).
    var path: String
    /// The `media` field as written.
    var media: String
    /// The window in the media, in ms; a nil duration runs to the end.
    var startMs: Int, durationMs: Int?
    var transcript: String?
    /// task → labels (one element for a single-label task).
    var labels: [String: [String]]
    /// train, validation or test: as written, else by a hash of the id (80/10/10).
    var split: String
}

enum DatasetManifest {
    static let splits = ["train", "validation", "test"]

    /// FNV-1a 64 of the UTF-8 bytes: the split hash and the item folder name (stable across runs and machines).
    static func fnv1a(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }

    /// 80/10/10 by the id's hash: train, validation, test.
    static func split(for id: String) -> String {
        switch fnv1a(id) % 10 {
        case 8: return "validation"
        case 9: return "test"
        default: return "train"
        }
    }

    /// Reads and checks every line; throws one error listing the first problems (file:line: reason).
    static func read(_ path: String, tasks: [TaskConfig]) throws -> [ManifestEntry] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("--manifest \(path): cannot read: \(whyUnreadable(path))")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw ValidationError("\(path): not UTF-8 text") }
        let base = URL(fileURLWithPath: path).deletingLastPathComponent()
        var entries: [ManifestEntry] = [], problems: [String] = [], seen: [String: Int] = [:]
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            do {
                let e = try entry(line, number: i + 1, base: base, tasks: tasks)
                if let first = seen[e.id] { throw ValidationError("id \"\(e.id)\" repeats line \(first)") }
                seen[e.id] = i + 1
                entries.append(e)
            } catch {
                problems.append("\(path):\(i + 1): \(error)")
            }
        }
        if !problems.isEmpty {
            let more = problems.count > 20 ? "\n(and \(problems.count - 20) more)" : ""
            throw ValidationError("the manifest has \(problems.count) bad line(s):\n" + problems.prefix(20).joined(separator: "\n") + more)
        }
        if entries.isEmpty { throw ValidationError("\(path): no segments (one JSON object per line expected)") }
        return entries
    }

    /// A manifest line as JSON gives it (type errors are the decoder's, naming the key).
    struct Line: Decodable {
        enum Labels: Decodable {
            case one(String), many([String])
            init(from decoder: Decoder) throws {
                let c = try decoder.singleValueContainer()
                if let s = try? c.decode(String.self) { self = .one(s) } else { self = .many(try c.decode([String].self)) }
            }
        }
        struct ID: Decodable {
            var text: String
            init(from decoder: Decoder) throws {
                let c = try decoder.singleValueContainer()
                if let s = try? c.decode(String.self) { text = s } else { text = "\(try c.decode(Int.self))" }
            }
        }
        var media: String?
        var start_ms: Double?
        var duration_ms: Double?
        var transcript: String?
        var id: ID?
        var labels: [String: Labels]?
        var split: String?
    }

    static func entry(_ line: String, number: Int, base: URL, tasks: [TaskConfig]) throws -> ManifestEntry {
        let obj: Line
        do { obj = try JSONDecoder().decode(Line.self, from: Data(line.utf8)) } catch DecodingError.typeMismatch(_, let c) {
            throw ValidationError("\"\(c.codingPath.map(\.stringValue).joined(separator: "."))\" has the wrong type: \(c.debugDescription)")
        } catch DecodingError.dataCorrupted {
            throw ValidationError("not a JSON object")
        }
        guard let media = obj.media, !media.isEmpty else { throw ValidationError("\"media\" (a path or file:// URI) is missing") }
        let path: String
        if media.hasPrefix("file://") {
            guard let url = URL(string: media), url.isFileURL else { throw ValidationError("media \(media): not a valid file:// URI") }
            path = url.path
        } else if media.contains("://") {
            throw ValidationError("media \(media): only local paths and file:// URIs are read")
        } else {
            path = media.hasPrefix("/") ? media : base.appendingPathComponent(media).path
        }
        for (key, v) in [("start_ms", obj.start_ms), ("duration_ms", obj.duration_ms)] {
            if let v, !(v.isFinite && v >= 0) { throw ValidationError("\"\(key)\" must be a number ≥ 0") }
        }
        let start = Int((obj.start_ms ?? 0).rounded())
        let duration = obj.duration_ms.map { Int($0.rounded()) }
        if duration == 0 { throw ValidationError("\"duration_ms\" must be > 0") }
        var id = "\(media)@\(start)" + (duration.map { "+\($0)" } ?? "")
        if let v = obj.id {
            guard !v.text.isEmpty else { throw ValidationError("\"id\" must not be empty") }
            id = v.text
        }
        var split = DatasetManifest.split(for: id)
        if let s = obj.split {
            guard splits.contains(s) else { throw ValidationError("\"split\" must be one of \(splits.joined(separator: ", ")), not \"\(s)\"") }
            split = s
        }
        guard let rawLabels = obj.labels else { throw ValidationError("\"labels\" (an object: task → label or labels) is missing") }
        var labels: [String: [String]] = [:]
        for (task, value) in rawLabels {
            guard let t = tasks.first(where: { $0.name == task }) else {
                throw ValidationError("labels: unknown task \"\(task)\" (tasks: \(tasks.map(\.name).joined(separator: ", ")))")
            }
            let list: [String]
            switch (t.kind, value) {
            case (.multiLabel, .many(let v)): list = v
            case (.singleLabel, .one(let v)): list = [v]
            case (.multiLabel, _): throw ValidationError("labels.\(task): a multi_label task takes a list of labels")
            case (.singleLabel, _): throw ValidationError("labels.\(task): a single_label task takes one label (a string)")
            }
            if let bad = list.first(where: { !t.labels.contains($0) }) {
                throw ValidationError("labels.\(task): \"\(bad)\" is not one of \(t.labels.joined(separator: ", "))")
            }
            labels[task] = list
        }
        return ManifestEntry(line: number, id: id, path: path, media: media, startMs: start, durationMs: duration,
                             transcript: obj.transcript, labels: labels, split: split)
    }
}
