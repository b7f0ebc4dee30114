// DatasetItem: what `dataset build` keeps per segment (items/<key>/item.json, the done marker of a re-run).
import Foundation
import Media
import Tensor

struct DatasetItem: Codable, Sendable {
    /// Media path, window, caller transcript, file size and mtime, front-end settings: a change rebuilds the item.
    var fingerprint: String
    var frames: String?
    var audio: String?
    var transcript: String?
    var transcriptSource: String?
    var missing: [String: String]

    enum CodingKeys: String, CodingKey {
        case fingerprint, frames, audio, transcript, transcriptSource = "transcript_source", missing
    }

    /// Folder of the item with this id, relative to the dataset directory.
    static func folder(id: String) -> String {
        String(format: "items/%016llx", DatasetManifest.fnv1a(id))
    }

    static func fingerprint(_ e: ManifestEntry, config: MediaPreprocessConfig) -> String {
        let attributes = try? FileManager.default.attributesOfItem(atPath: e.path)
        let size = (attributes?[.size] as? NSNumber)?.int64Value ?? -1
        let mtime = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        return "\(e.path)|\(size)|\(mtime)|\(e.startMs)|\(e.durationMs.map(String.init) ?? "end")|\(e.transcript ?? "")|\(config)"
    }

    /// The finished item of `e` under `root`, if a previous run built it with the same fingerprint.
    static func done(_ e: ManifestEntry, root: URL, fingerprint: String) -> DatasetItem? {
        let url = root.appendingPathComponent(folder(id: e.id)).appendingPathComponent("item.json")
        guard let data = try? Data(contentsOf: url), let item = try? JSONDecoder().decode(DatasetItem.self, from: data),
              item.fingerprint == fingerprint else { return nil }
        return item
    }

    /// Writes the segment's arrays, then item.json last (so an interrupted item is rebuilt).
    static func write(_ s: PreparedSegment, fingerprint: String, id: String, root: URL) throws -> DatasetItem {
        let folder = folder(id: id)
        let dir = root.appendingPathComponent(folder)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try? FileManager.default.removeItem(at: dir.appendingPathComponent("item.json"))
        var item = DatasetItem(fingerprint: fingerprint, transcript: s.transcript?.text,
                               transcriptSource: s.transcript.map { "\($0.source)" }, missing: s.missing)
        for (name, values, shape) in [("frames", s.frames, s.framesShape), ("audio", s.audio, s.audioShape)] {
            let file = dir.appendingPathComponent("\(name).npy")
            guard let values else { try? FileManager.default.removeItem(at: file); continue }
            try Npy.write(Tensor(shape: shape, data: values), to: file.path)
            if name == "frames" { item.frames = "\(folder)/frames.npy" } else { item.audio = "\(folder)/audio.npy" }
        }
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        try e.encode(item).write(to: dir.appendingPathComponent("item.json"), options: .atomic)
        return item
    }
}
