// Creating MER-CLIP model directories: import an HF CLIP dir (encoders copied, heads fresh) or random presets;
// in-memory random models for the benchmark; finding the shipped CLIP vocabulary.
import Foundation
import Tensor

public enum ModelPreset: String, CaseIterable, Sendable {
    case vitB32 = "vit-b-32"
    case tiny

    /// The config of this preset (tasks: emotion and sentiment).
    public func config(name: String? = nil, version: String = "0.0.0") -> MERCLIPConfig {
        var c = MERCLIPConfig()
        c.name = name ?? "merclip-\(rawValue)"
        c.version = version
        if self == .tiny {
            var v = VisionConfig()
            v.hiddenSize = 64; v.intermediateSize = 256; v.numHiddenLayers = 2; v.numAttentionHeads = 2
            c.vision = v; c.audio = v
            c.text.hiddenSize = 64; c.text.intermediateSize = 256; c.text.numHiddenLayers = 2; c.text.numAttentionHeads = 2
            c.projectionDim = 64
            c.decoder.numAttentionHeads = 4; c.decoder.intermediateSize = 256
        }
        return c
    }
}

public enum ModelFactory {
    /// The CLIP BPE vocabulary directory (vocab.json + merges.txt): $MERCLIP_ASSETS (an assets dir holding
    /// clip-bpe/, or the vocabulary dir itself), then assets/clip-bpe under the working directory or any parent
    /// of the executable, then /usr/local/share/merclip and /usr/share/merclip.
    public static func findVocabulary() -> String? {
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["MERCLIP_ASSETS"] {
            candidates += [env + "/clip-bpe", env]
        }
        candidates.append(FileManager.default.currentDirectoryPath + "/assets/clip-bpe")
        var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            candidates.append(dir.path + "/assets/clip-bpe")
            dir = dir.deletingLastPathComponent()
        }
        candidates += ["/usr/local/share/merclip/assets/clip-bpe", "/usr/share/merclip/assets/clip-bpe"]
        return candidates.first { FileManager.default.fileExists(atPath: $0 + "/vocab.json") && FileManager.default.fileExists(atPath: $0 + "/merges.txt") }
    }

    /// A random model held in memory only (no files), e.g. for `merclip bench`.
    /// `precision`/`mode` as for MERCLIPModel.
    public static func randomModel(_ config: MERCLIPConfig, tokenizer: CLIPTokenizer, seed: UInt64 = 0,
                                   precision: Precision? = nil, mode: ComputeMode? = nil) throws -> MERCLIPModel {
        let tensors = RandomInit.tensors(MERCLIPModel.specs(config), seed: seed)
        let w = Weights(Dictionary(uniqueKeysWithValues: tensors), origin: "random \(config.name)")
        return try MERCLIPModel(config: config, weights: w, tokenizer: tokenizer, precision: precision, mode: mode)
    }

    /// Config and tensors of a MER-CLIP model imported from an HF CLIP directory: vision and audio from the
    /// image tower, language and label from the text tower; ctx, logit_scale and decoders fresh; trained false.
    /// SOS/EOS ids come from the vocabulary (old HF configs say eos_token_id 2).
    public static func importCLIP(from dir: String, vocabulary: String, tasks: [TaskConfig], name: String,
                                  version: String, seed: UInt64 = 0) throws -> (MERCLIPConfig, [(String, Tensor)]) {
        let hf = try HFCLIPConfig.load(dir + "/config.json")
        let tokenizer = try CLIPTokenizer(directory: vocabulary)
        var c = MERCLIPConfig()
        c.name = name; c.version = version; c.trained = false
        c.projectionDim = hf.projectionDim
        c.vision = hf.vision; c.audio = hf.vision; c.text = hf.text
        c.preprocess.audio.nMels = hf.vision.imageSize   // a spectrogram image is n_mels rows × image_size columns
        c.text.bosTokenId = tokenizer.sos; c.text.eosTokenId = tokenizer.eos
        c.tasks = tasks
        try c.validate()
        guard tokenizer.vocab.count == c.text.vocabSize else {
            throw ModelError.config("\(vocabulary)/vocab.json has \(tokenizer.vocab.count) tokens, \(dir)/config.json text vocab_size is \(c.text.vocabSize)")
        }
        let file = try SafetensorsFile(path: dir + "/model.safetensors")
        _ = try Weights.bind(CLIPModel.specs(hf), from: file, ignore: ["logit_scale"])   // strict check first
        var out: [(String, Tensor)] = []
        let visionNames = CLIPVisionEncoder.specs(hf.vision, projectionDim: hf.projectionDim).map(\.name)
        let textNames = CLIPTextEncoder.specs(hf.text, projectionDim: hf.projectionDim).map(\.name)
        for (prefix, names) in [("vision.", visionNames), ("audio.", visionNames), ("language.", textNames), ("label.", textNames)] {
            for n in names { out.append((prefix + n, try file.tensor(n))) }
        }
        let encoderNames = Set(out.map(\.0))
        let heads = MERCLIPModel.specs(c).filter { !encoderNames.contains($0.name) }
        out += RandomInit.tensors(heads, seed: seed)
        return (c, out)
    }

    /// Writes a model directory: config.json, model.safetensors, vocab.json and merges.txt (copied from `vocabulary`).
    public static func write(config: MERCLIPConfig, tensors: [(String, Tensor)], vocabulary: String, to out: String,
                             dtype: SafetensorsWriter.DType = .f32) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: out, withIntermediateDirectories: true)
        let expected = MERCLIPModel.specs(config)
        let have = Dictionary(uniqueKeysWithValues: tensors.map { ($0.0, $0.1.shape) })
        for s in expected where have[s.name] != s.shape {
            throw ModelError.shapeMismatch(name: s.name, expected: s.shape, found: have[s.name] ?? [], file: out + "/model.safetensors")
        }
        try SafetensorsWriter.write(tensors, dtype: dtype, metadata: ["format": "pt"], to: out + "/model.safetensors")
        try config.write(to: out + "/config.json")
        for f in ["vocab.json", "merges.txt"] {
            let src = URL(fileURLWithPath: vocabulary + "/" + f).standardized.path, dst = URL(fileURLWithPath: out + "/" + f).standardized.path
            if src == dst { continue }
            if fm.fileExists(atPath: dst) { try fm.removeItem(atPath: dst) }
            try fm.copyItem(atPath: src, toPath: dst)
        }
    }
}
