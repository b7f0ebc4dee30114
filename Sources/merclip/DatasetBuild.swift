// `merclip dataset build`: a JSON-lines manifest of labelled windows → frames, spectrograms and token ids per
// segment, decoded on --jobs lanes of their own, with a summary; a re-run skips the segments already built.
import ArgumentParser
import Foundation
import Media
import Model
import Tensor

struct DatasetBuild: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Decode every manifest segment with the worker's media front end into the training layout.",
        discussion: """
        Manifest: one JSON object per line: "media" (a path relative to the manifest's folder, or a file:// URI), \
        "start_ms", "duration_ms" (optional: to the end), optional "transcript" (else the media's subtitles or a \
        sidecar .srt/.vtt, as the worker reads them), optional "id" (default media@start+duration), "labels" \
        ({"<task>": ["label", ...]} for a multi_label task, {"<task>": "label"} for a single_label one) and \
        optional "split" (train, validation, test; default: 80/10/10 by a hash of the id, the same on every run).
        Tasks: --tasks tasks.json, a list of {"name", "kind": "multi_label"|"single_label", "labels", "query", \
        "threshold"}; else the --model's tasks; else emotion and sentiment.
        Output (what training/train.py and training/evaluate.py read): OUT/segments.json (one row per built \
        segment: id, split, frames/audio .npy paths, transcript, token_ids, labels, missing modalities), \
        OUT/tasks.json, OUT/summary.json, OUT/items/<key>/{frames,audio}.npy and item.json (the done marker: a \
        re-run rebuilds only segments whose media, window, transcript or front-end settings changed).
        --model gives the frame count, image sizes, audio mean/std and tokenizer of the model to be trained \
        (default: the merclip-model/1 defaults and the shipped CLIP vocabulary).
        Exit status 1 when a segment failed (the others are written; the summary lists the failures and why).
        Example: merclip dataset build --manifest mosei.jsonl --out data/mosei --tasks tasks.json --jobs 4
        """)

    @Option(help: "Manifest (JSON lines).")
    var manifest: String

    @Option(help: "Output directory (created).")
    var out: String

    @Option(help: "Tasks file (JSON list of tasks).")
    var tasks: String?

    @Option(help: "Model directory whose preprocessing and tokenizer the data is for.")
    var model: String?

    @Option(help: "Decoding lanes (threads), each decoding one segment at a time.")
    var jobs: Int = max(1, min(4, ProcessInfo.processInfo.activeProcessorCount))

    @Option(help: "Largest input in bytes.")
    var maxBytes: Int = MediaLimits.default.maxBytes

    @Option(help: "Decode time limit per segment in seconds.")
    var decodeTimeout: Double = MediaLimits.default.decodeTimeLimit

    func validate() throws {
        guard jobs >= 1 else { throw ValidationError("--jobs must be at least 1") }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: out, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw ValidationError("--out \(out) exists and is not a directory")
        }
    }

    func loadTasks(_ config: MERCLIPConfig?) throws -> [TaskConfig] {
        guard let tasks else { return config?.tasks ?? TaskConfig.known }
        guard let data = FileManager.default.contents(atPath: tasks) else {
            throw ValidationError("--tasks \(tasks): cannot read: \(whyUnreadable(tasks))")
        }
        let list: [TaskConfig]
        do { list = try JSONDecoder().decode([TaskConfig].self, from: data) } catch {
            throw ValidationError("--tasks \(tasks): expected a JSON list of {name, kind, labels, query, threshold}: \(error)")
        }
        var check = MERCLIPConfig()
        check.tasks = list
        guard !list.isEmpty else { throw ValidationError("--tasks \(tasks): no tasks") }
        do { try check.validate() } catch { throw ValidationError("--tasks \(tasks): \(error)") }
        return list
    }

    func run() throws {
        let config = try model.map { try MERCLIPConfig.load($0 + "/config.json") }
        let taskList = try loadTasks(config)
        let entries = try DatasetManifest.read(manifest, tasks: taskList)
        let tokenizer: CLIPTokenizer
        if let model {
            tokenizer = try EncoderDirectory.tokenizer(model)
        } else {
            guard let vocab = ModelFactory.findVocabulary() else {
                throw ValidationError("cannot find assets/clip-bpe (vocab.json, merges.txt): give --model or set MERCLIP_ASSETS")
            }
            tokenizer = try CLIPTokenizer(directory: vocab, maxTokens: MERCLIPConfig().preprocess.maxTextTokens)
        }
        let mediaConfig = MediaPreprocessConfig(model: config ?? MERCLIPConfig())
        var limits = MediaLimits.default
        limits.maxBytes = maxBytes
        limits.decodeTimeLimit = decodeTimeout
        let preprocessor = MediaPreprocessor(config: mediaConfig, limits: limits, decoderThreads: jobs > 1 ? 1 : 0)
        let root = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)

        let outcomes = DatasetLanes(entries: entries, jobs: jobs).run { e in
            let fingerprint = DatasetItem.fingerprint(e, config: mediaConfig)
            if let item = DatasetItem.done(e, root: root, fingerprint: fingerprint) { return .skipped(item) }
            do {
                let window = SegmentWindow(start: Double(e.startMs) / 1000, duration: e.durationMs.map { Double($0) / 1000 })
                let segment = try preprocessor.process(.file(e.path), window: window, transcript: e.transcript)
                return .built(try DatasetItem.write(segment, fingerprint: fingerprint, id: e.id, root: root))
            } catch let m as MediaError {
                return .failed(code: m.code.rawValue, reason: m.reason)
            } catch {
                return .failed(code: "write", reason: "\(FileError(error) ?? error)")
            }
        }
        let summary = try DatasetOutput(entries: entries, outcomes: outcomes, tasks: taskList, tokenizer: tokenizer)
            .write(to: root)
        print(summary.text(out: out))
        if summary.failed > 0 { throw ExitCode(1) }
    }
}
