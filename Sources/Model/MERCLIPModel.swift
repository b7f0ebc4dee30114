// A MER-CLIP model: four CLIP encoders (vision, audio, language, label), per-task context vectors, decoders
// and heads, loaded strictly from a model directory; label and query embeddings computed once at load (the label
// encoder's weights are not held afterwards when they can be read again from the file).
import Foundation
import Tensor

/// One task's decoder and head, with the context vectors kept for label-set overrides.
public struct MERCLIPTask: Sendable {
    public let config: TaskConfig
    public let ctx: Tensor
    public let decoder: CrossModalDecoder
    public let head: TaskHead
}

public struct MERCLIPModel: Sendable {
    public let config: MERCLIPConfig
    public let tokenizer: CLIPTokenizer
    public let vision: CLIPVisionEncoder
    public let audio: CLIPVisionEncoder
    public let language: CLIPTextEncoder
    /// The label encoder (fp32), built while label embeddings are computed.
    public let labelEncoder: LabelEncoderSource
    public let tasks: [MERCLIPTask]
    /// Total parameters (all tensors of the directory's safetensors).
    public let parameterCount: Int
    /// The backend and precision of the encoders' linear layers (label encoder and decoders run its fp32).
    public let compute: ComputeMode
    /// What precision auto measured, when it chose.
    public let autoChoice: AutoChoice?

    /// Every tensor name and shape of a model directory with this config.
    public static func specs(_ c: MERCLIPConfig) -> [TensorSpec] {
        var s = CLIPVisionEncoder.specs(c.vision, projectionDim: c.projectionDim, prefix: "vision.")
            + CLIPVisionEncoder.specs(c.audio, projectionDim: c.projectionDim, prefix: "audio.")
            + CLIPTextEncoder.specs(c.text, projectionDim: c.projectionDim, prefix: "language.")
            + CLIPTextEncoder.specs(c.text, projectionDim: c.projectionDim, prefix: "label.")
        for t in c.tasks {
            let p = "tasks.\(t.name)."
            s += [TensorSpec(p + "ctx", [c.contextLength, c.text.hiddenSize]), TensorSpec(p + "logit_scale", [])]
            s += CrossModalDecoder.specs(p + "cmd.", d: c.projectionDim, ffn: c.decoder.intermediateSize,
                                         layers: c.fusionOrder.count)
        }
        return s
    }

    /// Loads a model directory (config.json, model.safetensors, vocab.json, merges.txt).
    /// `precision` nil: MERCLIP_PRECISION, else fp32; `mode` (tests, benches) sets backend and precision directly.
    public init(directory dir: String, precision: Precision? = nil, mode: ComputeMode? = nil) throws {
        let config = try MERCLIPConfig.load(dir + "/config.json")
        let file = try SafetensorsFile(path: dir + "/model.safetensors")
        let weights = try Weights.bind(MERCLIPModel.specs(config), from: file)
        let tokenizer = try CLIPTokenizer(directory: dir, maxTokens: config.preprocess.maxTextTokens)
        try self.init(config: config, weights: weights, tokenizer: tokenizer, precision: precision, mode: mode)
    }

    /// Builds the model from bound (or in-memory) weights.
    public init(config c: MERCLIPConfig, weights w: Weights, tokenizer: CLIPTokenizer, precision: Precision? = nil,
                mode: ComputeMode? = nil) throws {
        try c.validate()
        guard tokenizer.sos == c.text.bosTokenId, tokenizer.eos == c.text.eosTokenId else {
            throw ModelError.config("vocab.json: SOS/EOS ids \(tokenizer.sos)/\(tokenizer.eos) differ from config text.bos_token_id/eos_token_id \(c.text.bosTokenId)/\(c.text.eosTokenId)")
        }
        config = c
        self.tokenizer = tokenizer
        parameterCount = MERCLIPModel.specs(c).reduce(0) { $0 + $1.shape.reduce(1, *) }
        if let mode {
            compute = mode; autoChoice = nil
        } else {
            // auto times the vision encoder's MLP input layer at one segment's frames
            (compute, autoChoice) = try AutoPrecision.resolve(try precision ?? Precision.fromEnvironment(),
                shape: (rows: 12 * c.vision.tokens, out: c.vision.intermediateSize, in: c.vision.hiddenSize))
        }
        let mode = compute
        Parallel.follow(mode)
        vision = try CLIPVisionEncoder(w, config: c.vision, projectionDim: c.projectionDim, prefix: "vision.", mode: mode)
        audio = try CLIPVisionEncoder(w, config: c.audio, projectionDim: c.projectionDim, prefix: "audio.", mode: mode,
                                      foldChannels: true)
        language = try CLIPTextEncoder(w, config: c.text, projectionDim: c.projectionDim, prefix: "language.", mode: mode)
        labelEncoder = LabelEncoderSource(w) { w in
            let label = try CLIPTextEncoder(w, config: c.text, projectionDim: c.projectionDim, prefix: "label.", mode: mode.fp32)
            return LabelEncoder(text: label, tokenizer: tokenizer, contextLength: c.contextLength)
        }
        var tasks: [MERCLIPTask] = []
        let contexts = c.tasks.map { w["tasks.\($0.name).ctx"] }
        let embeddings = try labelEncoder.use { encoder in
            try zip(c.tasks, contexts).map { t, ctx in try encoder.embed(ctx: ctx, labels: t.labels, query: t.query) }
        }
        for (i, t) in c.tasks.enumerated() {
            let p = "tasks.\(t.name)."
            let ctx = contexts[i]
            let decoder = try CrossModalDecoder(w, prefix: p + "cmd.", d: c.projectionDim, config: c.decoder,
                                                layers: c.fusionOrder.count, mode: mode.fp32)
            let (e, q) = embeddings[i]
            let head = TaskHead(config: t, labelEmbeddings: e, query: q, logitScale: w[p + "logit_scale"].data[0])
            tasks.append(MERCLIPTask(config: t, ctx: ctx, decoder: decoder, head: head))
        }
        self.tasks = tasks
    }

    private init(copying m: MERCLIPModel, config: MERCLIPConfig, tasks: [MERCLIPTask]) {
        self.config = config; tokenizer = m.tokenizer; vision = m.vision; audio = m.audio; language = m.language
        labelEncoder = m.labelEncoder; self.tasks = tasks; parameterCount = m.parameterCount
        compute = m.compute; autoChoice = m.autoChoice
    }

    /// The same model with task `task` scoring `labels` instead (label embeddings recomputed with the
    /// task's learned context; encoders and decoders shared, not copied).
    public func withLabels(task: String, labels: [String]) throws -> MERCLIPModel {
        guard let i = tasks.firstIndex(where: { $0.config.name == task }) else {
            throw ModelError.input("no task \"\(task)\" (tasks: \(tasks.map(\.config.name).joined(separator: ", ")))")
        }
        var tc = tasks[i].config
        guard !labels.isEmpty, tc.kind == .singleLabel || labels.count >= 2 else {
            throw ModelError.input("task \(task) (\(tc.kind.rawValue)) needs \(tc.kind == .singleLabel ? 1 : 2) or more labels")
        }
        tc.labels = labels
        let old = tasks[i]
        let (e, q) = try labelEncoder.use { try $0.embed(ctx: old.ctx, labels: labels, query: tc.query) }
        var newTasks = tasks
        newTasks[i] = MERCLIPTask(config: tc, ctx: old.ctx, decoder: old.decoder,
                                  head: TaskHead(config: tc, labelEmbeddings: e, query: q, logitScale: old.head.logitScale))
        var c = config
        c.tasks[i] = tc
        return MERCLIPModel(copying: self, config: c, tasks: newTasks)
    }
}
