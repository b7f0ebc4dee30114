// `merclip model init|inspect`: create MER-CLIP model directories and describe them.
import ArgumentParser
import Foundation
import Model

struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Create (init) and describe (inspect) MER-CLIP model directories.",
        subcommands: [ModelInit.self, ModelInspect.self])
}

struct ModelInit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create an UNTRAINED MER-CLIP model directory from an HF CLIP checkpoint or a random preset.",
        discussion: """
        --from-clip HF_DIR: the image tower becomes the vision and audio encoders, the text tower the language and \
        label encoders; context vectors (N(0, 0.02)), logit_scale (ln(1/0.07)) and the cross-modal decoders are \
        freshly initialised. --random --preset vit-b-32|tiny: every weight random (tiny: 224×224 images, patch 32, \
        width 64, 2 layers; for tests and demos).
        Either way config.json says "trained": false: scores of such a model are meaningless until it is trained \
        (training/train.py). vocab.json/merges.txt are copied from HF_DIR when present, else from the shipped \
        assets/clip-bpe (found next to the executable, in the working directory, or via MERCLIP_ASSETS).
        Examples:
          merclip model init --from-clip clip-vit-base-patch32 --out models/merclip-b32 --version 0.1.0
          merclip model init --random --preset tiny --out /tmp/tiny
        """)

    @Option(help: "HF CLIP checkpoint directory to import.")
    var fromClip: String?

    @Flag(help: "Random weights (with --preset).")
    var random = false

    @Option(help: "Preset for --random: \(ModelPreset.allCases.map(\.rawValue).joined(separator: ", ")).")
    var preset: String = "tiny"

    @Option(help: "Output directory.")
    var out: String

    @Option(help: "Tasks, comma separated (known: \(TaskConfig.known.map(\.name).joined(separator: ", "))).")
    var tasks: String = "emotion,sentiment"

    @Option(help: "Model name (default merclip-<preset> or merclip).")
    var name: String?

    @Option(help: "Model version.")
    var version: String = "0.0.0"

    @Option(help: "Tensor dtype: f32 or f16.")
    var dtype: String = "f32"

    @Option(help: "Seed of the fresh weights.")
    var seed: UInt64 = 0

    func validate() throws {
        if (fromClip != nil) == random { throw ValidationError("give either --from-clip HF_DIR or --random") }
        if random && ModelPreset(rawValue: preset) == nil {
            throw ValidationError("unknown --preset \(preset) (known: \(ModelPreset.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        if !["f32", "f16"].contains(dtype.lowercased()) { throw ValidationError("--dtype must be f32 or f16") }
    }

    func run() throws {
        let taskList = try tasks.split(separator: ",").map { n -> TaskConfig in
            let n = n.trimmingCharacters(in: .whitespaces)
            guard let t = TaskConfig.known.first(where: { $0.name == n }) else {
                throw ValidationError("unknown task \(n) (known: \(TaskConfig.known.map(\.name).joined(separator: ", ")))")
            }
            return t
        }
        let dt: SafetensorsWriter.DType = dtype.lowercased() == "f16" ? .f16 : .f32
        if let fromClip {
            let vocab = FileManager.default.fileExists(atPath: fromClip + "/vocab.json") ? fromClip : try assets()
            let (config, tensors) = try ModelFactory.importCLIP(from: fromClip, vocabulary: vocab, tasks: taskList,
                                                                 name: name ?? "merclip", version: version, seed: seed)
            try ModelFactory.write(config: config, tensors: tensors, vocabulary: vocab, to: out, dtype: dt)
        } else {
            var config = ModelPreset(rawValue: preset)!.config(name: name, version: version)
            config.tasks = taskList
            let vocab = try assets()
            let tensors = RandomInit.tensors(MERCLIPModel.specs(config), seed: seed)
            try ModelFactory.write(config: config, tensors: tensors, vocabulary: vocab, to: out, dtype: dt)
        }
        print("\(out): MER-CLIP model written, UNTRAINED (config.json \"trained\": false)")
    }

    func assets() throws -> String {
        guard let v = ModelFactory.findVocabulary() else {
            throw ValidationError("cannot find assets/clip-bpe (vocab.json, merges.txt): set MERCLIP_ASSETS to the assets directory")
        }
        return v
    }
}

struct ModelInspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Print a model directory's encoders, tasks, labels, parameter count and whether it is trained.",
        discussion: "Reads config.json and the safetensors header (and checks every tensor's name and shape).")

    @Argument(help: "Model directory (MER-CLIP or HF CLIP).")
    var dir: String

    @Flag(help: "Also list every tensor with its shape and dtype.")
    var tensors = false

    func listTensors(_ file: SafetensorsFile) {
        guard tensors else { return }
        print("  tensors:")
        for n in file.names {
            let e = file.entries[n]!
            print("    \(n) \(e.shape) \(e.dtype)")
        }
    }

    func run() throws {
        if CLIPModel.isCLIPDirectory(dir) {
            let c = try HFCLIPConfig.load(dir + "/config.json")
            let file = try SafetensorsFile(path: dir + "/model.safetensors")
            let specs = CLIPModel.specs(c)
            _ = try Weights.bind(specs, from: file, ignore: ["logit_scale"])
            print("\(dir): HF CLIP checkpoint (import with `merclip model init --from-clip`)")
            print("  vision: \(describe(c.vision))")
            print("  text:   \(describe(c.text))")
            print("  projection_dim: \(c.projectionDim)")
            print("  parameters: \(count(specs.reduce(0) { $0 + $1.shape.reduce(1, *) })) (dtypes \(Set(file.entries.values.map(\.dtype)).sorted().joined(separator: ", ")))")
            listTensors(file)
            return
        }
        let c = try MERCLIPConfig.load(dir + "/config.json")
        let file = try SafetensorsFile(path: dir + "/model.safetensors")
        let specs = MERCLIPModel.specs(c)
        _ = try Weights.bind(specs, from: file)
        print("\(dir): MER-CLIP \(c.name) \(c.version) — \(c.trained ? "trained" : "UNTRAINED (scores are meaningless until trained)")")
        print("  vision:   \(describe(c.vision))")
        print("  audio:    \(describe(c.audio))")
        print("  language: \(describe(c.text))")
        print("  label:    same as language (frozen), context_length \(c.contextLength)")
        print("  decoder:  width \(c.projectionDim), \(c.decoder.numAttentionHeads) heads, FFN \(c.decoder.intermediateSize), fusion \(c.fusionOrder.map(\.rawValue).joined(separator: " → "))")
        print("  tasks:")
        for t in c.tasks {
            let extra = t.kind == .multiLabel ? ", threshold \(t.threshold ?? 0.6)" : ""
            print("    \(t.name) (\(t.kind.rawValue), query \"\(t.query)\"\(extra)): \(t.labels.joined(separator: ", "))")
        }
        print("  parameters: \(count(specs.reduce(0) { $0 + $1.shape.reduce(1, *) })) (dtypes \(Set(file.entries.values.map(\.dtype)).sorted().joined(separator: ", ")))")
        print("  trained: \(c.trained)")
        printMetrics(dir + "/config.json")
        listTensors(file)
    }

    /// The "metrics" training/train.py records in config.json: per split, each task's headline figures.
    func printMetrics(_ path: String) {
        guard let data = FileManager.default.contents(atPath: path),
              let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              let metrics = root["metrics"] as? [String: Any], !metrics.isEmpty else { return }
        print("  metrics:")
        for split in ["validation", "test"] + metrics.keys.sorted().filter({ $0 != "validation" && $0 != "test" }) {
            guard let m = metrics[split] as? [String: Any], let tasks = m["tasks"] as? [String: [String: Any]] else { continue }
            let n = (m["segments"] as? NSNumber).map { " (\($0) segments)" } ?? ""
            print("    \(split)\(n):")
            for (task, t) in tasks.sorted(by: { $0.key < $1.key }) {
                func f(_ k: String) -> String { (t[k] as? NSNumber).map { String(format: "%.4f", $0.doubleValue) } ?? "?" }
                if t["kind"] as? String == "multi_label" {
                    print("      \(task): weighted accuracy \(f("mean_weighted_accuracy")), F1 \(f("mean_f1")), subset accuracy \(f("subset_accuracy"))")
                } else {
                    print("      \(task): accuracy \(f("accuracy")), F1 \(f("f1"))")
                }
            }
        }
    }

    func describe(_ v: VisionConfig) -> String {
        "ViT \(v.imageSize)px patch \(v.patchSize), width \(v.hiddenSize), \(v.numHiddenLayers) layers, \(v.numAttentionHeads) heads, MLP \(v.intermediateSize), \(v.hiddenAct)"
    }

    func describe(_ t: TextConfig) -> String {
        "text width \(t.hiddenSize), \(t.numHiddenLayers) layers, \(t.numAttentionHeads) heads, MLP \(t.intermediateSize), vocab \(t.vocabSize), \(t.maxPositionEmbeddings) positions, \(t.hiddenAct)"
    }

    func count(_ n: Int) -> String { n >= 1_000_000 ? String(format: "%.2fM (%d)", Double(n) / 1e6, n) : "\(n)" }
}
