// `merclip score`: media files → one JSON line each with per-task probabilities and predicted labels.
import ArgumentParser
import Foundation
import Media
import Model
import Tensor

struct Score: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Score media files with a MER-CLIP model: one JSON line per input.",
        discussion: """
        Each line: segment_id, input, window, modalities used, transcript source, per-task labels, \
        probabilities and predicted labels, the model's name and version, and timings (media, model, total ms). \
        A bad input prints {"segment_id", "input", "error": {"code", "reason", "poison"}} and the command \
        goes on with the next one; the exit status is then 1.
        --labels overrides a task's labels: "emotion=joy,anger,calm" (repeatable), or plain labels \
        for the model's first task.
        Example: merclip score --model models/merclip talk.mp4 call.wav --transcript "I can't believe it"
        """)

    @Option(help: "MER-CLIP model directory.")
    var model: String

    @Option(help: "Transcript for every input (overrides subtitles and sidecar files).")
    var transcript: String?

    @Option(parsing: .upToNextOption, help: "Label override: TASK=L1,L2,... or plain labels for the first task.")
    var labels: [String] = []

    @OptionGroup var window: WindowOptions

    @OptionGroup var engineOptions: EngineOptions

    @Argument(help: "Media files.")
    var media: [String]

    func validate() throws {
        guard !media.isEmpty else { throw ValidationError("give at least one media file") }
    }

    /// task → labels from the --labels values.
    static func labelOverrides(_ values: [String], firstTask: String?) throws -> [String: [String]] {
        var out: [String: [String]] = [:]
        var plain: [String] = []
        for v in values {
            if let eq = v.firstIndex(of: "=") {
                let task = String(v[..<eq])
                let list = v[v.index(after: eq)...].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                    .filter { !$0.isEmpty }
                guard !task.isEmpty, !list.isEmpty else { throw ValidationError("--labels \(v): need TASK=L1,L2,...") }
                out[task, default: []] += list
            } else {
                plain += v.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            }
        }
        if !plain.isEmpty {
            guard let firstTask else { throw ValidationError("--labels: the model has no task") }
            out[firstTask, default: []] += plain
        }
        return out
    }

    func run() throws {
        var engine = try MERCLIPEngine(directory: model, precision: try engineOptions.apply())
        for (task, list) in try Self.labelOverrides(labels, firstTask: engine.config.tasks.first?.name)
            .sorted(by: { $0.key < $1.key }) {
            engine = try engine.withLabels(task: task, labels: list)
        }
        let preprocessor = MediaPreprocessor(config: MediaPreprocessConfig(model: engine.config))
        let (start, duration) = (window.start, window.duration)
        var failed = false
        for path in media {
            let id = URL(fileURLWithPath: path).lastPathComponent
                + (start != 0 || duration != nil ? String(format: "@%.3f+%@", start, duration.map { String(format: "%.3f", $0) } ?? "end") : "")
            let t0 = Date()
            let line: [String: Any]
            do {
                let p = try preprocessor.process(.file(path), window: window.window, transcript: transcript)
                let t1 = Date()
                let segment = Segment(id: id, frames: p.frames.map { Tensor(shape: p.framesShape, data: $0) },
                                      audio: p.audio.map { Tensor(shape: p.audioShape, data: $0) },
                                      tokenIds: nil, transcript: p.transcript?.text)
                let score = try engine.score([segment])[0]
                let t2 = Date()
                var tasks: [String: Any] = [:]
                for t in score.tasks {
                    tasks[t.task] = [
                        "kind": t.kind.rawValue,
                        "labels": t.labels,
                        "probabilities": Dictionary(uniqueKeysWithValues: zip(t.labels, t.probabilities.map { Double($0) })),
                        "predicted": t.predicted,
                    ]
                }
                line = [
                    "segment_id": id, "input": path,
                    "window": ["start": p.window.start, "duration": p.window.duration ?? 0],
                    "modalities": score.modalities.map(\.rawValue),
                    "missing": p.missing,
                    "transcript_source": p.transcript.map { "\($0.source)" } ?? NSNull(),
                    "tasks": tasks,
                    "model": ["name": engine.config.name, "version": engine.config.version, "trained": engine.config.trained],
                    "timings_ms": ["media": ms(t1.timeIntervalSince(t0)), "model": ms(t2.timeIntervalSince(t1)),
                                   "total": ms(t2.timeIntervalSince(t0))],
                ]
            } catch let e as MediaError {
                failed = true
                line = ["segment_id": id, "input": path,
                        "error": ["code": e.code.rawValue, "reason": e.reason, "poison": e.isPoison]]
            }
            let data = try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
        }
        if failed { throw ExitCode(1) }
    }

    private func ms(_ s: TimeInterval) -> Double { (s * 10_000).rounded() / 10 }
}
