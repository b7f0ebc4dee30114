// The MER-CLIP model directory's config.json (format "merclip-model/1"), Codable with the documented defaults.
import Foundation
import Tensor

public enum Modality: String, Codable, Sendable, CaseIterable {
    case language, vision, audio
}

public enum TaskKind: String, Codable, Sendable {
    case multiLabel = "multi_label"
    case singleLabel = "single_label"
}

public struct TaskConfig: Codable, Sendable, Equatable {
    public var name: String
    public var kind: TaskKind
    /// The query word ("Emotion"); "" for none.
    public var query: String
    /// Decision threshold of a multi_label task (default 0.6); nil for single_label.
    public var threshold: Double?
    public var labels: [String]

    public init(name: String, kind: TaskKind, query: String = "", threshold: Double? = nil, labels: [String]) {
        self.name = name; self.kind = kind; self.query = query; self.labels = labels
        self.threshold = kind == .multiLabel ? (threshold ?? 0.6) : nil
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(name: try c.decode(String.self, forKey: .name), kind: try c.decode(TaskKind.self, forKey: .kind),
                  query: try c.value(.query, ""), threshold: try c.decodeIfPresent(Double.self, forKey: .threshold),
                  labels: try c.decode([String].self, forKey: .labels))
    }

    public static let emotion = TaskConfig(name: "emotion", kind: .multiLabel, query: "Emotion", threshold: 0.6,
                                           labels: ["happy", "sad", "angry", "surprise", "disgust", "fear"])
    public static let sentiment = TaskConfig(name: "sentiment", kind: .singleLabel, query: "Sentiment",
                                             labels: ["positive", "negative"])
    public static let known = [emotion, sentiment]
}

public struct DecoderConfig: Codable, Sendable, Equatable {
    public var numAttentionHeads = 8
    public var intermediateSize = 2048
    public var hiddenAct = "gelu"
    public var layerNormEps = 1e-5

    enum CodingKeys: String, CodingKey {
        case numAttentionHeads = "num_attention_heads", intermediateSize = "intermediate_size"
        case hiddenAct = "hidden_act", layerNormEps = "layer_norm_eps"
    }

    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        numAttentionHeads = try c.value(.numAttentionHeads, 8)
        intermediateSize = try c.value(.intermediateSize, 2048)
        hiddenAct = try c.value(.hiddenAct, "gelu")
        layerNormEps = try c.value(.layerNormEps, 1e-5)
    }
}

public struct AudioPreprocessConfig: Codable, Sendable, Equatable {
    public var sampleRate = 16000
    public var windowSeconds = 2.0
    public var maxWindows = 12
    public var nFft = 1024
    public var hopLength = 512
    public var nMels = 224
    public var fMin = 20.0
    public var fMax = 8000.0
    public var mean = -4.0
    public var std = 4.0

    enum CodingKeys: String, CodingKey {
        case sampleRate = "sample_rate", windowSeconds = "window_seconds", maxWindows = "max_windows", nFft = "n_fft"
        case hopLength = "hop_length", nMels = "n_mels", fMin = "f_min", fMax = "f_max", mean, std
    }

    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = AudioPreprocessConfig()
        sampleRate = try c.value(.sampleRate, d.sampleRate); windowSeconds = try c.value(.windowSeconds, d.windowSeconds)
        maxWindows = try c.value(.maxWindows, d.maxWindows); nFft = try c.value(.nFft, d.nFft)
        hopLength = try c.value(.hopLength, d.hopLength); nMels = try c.value(.nMels, d.nMels)
        fMin = try c.value(.fMin, d.fMin); fMax = try c.value(.fMax, d.fMax)
        mean = try c.value(.mean, d.mean); std = try c.value(.std, d.std)
    }
}

public struct PreprocessConfig: Codable, Sendable, Equatable {
    public var frames = 12
    public var imageMean = [0.48145466, 0.4578275, 0.40821073]
    public var imageStd = [0.26862954, 0.26130258, 0.27577711]
    public var audio = AudioPreprocessConfig()
    public var maxTextTokens = 77

    enum CodingKeys: String, CodingKey {
        case frames, imageMean = "image_mean", imageStd = "image_std", audio, maxTextTokens = "max_text_tokens"
    }

    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = PreprocessConfig()
        frames = try c.value(.frames, d.frames); imageMean = try c.value(.imageMean, d.imageMean)
        imageStd = try c.value(.imageStd, d.imageStd); audio = try c.value(.audio, d.audio)
        maxTextTokens = try c.value(.maxTextTokens, d.maxTextTokens)
    }
}

public struct MERCLIPConfig: Codable, Sendable, Equatable {
    public static let formatName = "merclip-model/1"
    public var format = MERCLIPConfig.formatName
    public var name = "merclip"
    public var version = "0.0.0"
    public var trained = false
    public var projectionDim = 512
    public var vision = VisionConfig()
    public var audio = VisionConfig()
    public var text = TextConfig()
    public var decoder = DecoderConfig()
    public var fusionOrder: [Modality] = [.language, .vision, .audio]
    public var contextLength = 8
    public var preprocess = PreprocessConfig()
    public var tasks: [TaskConfig] = TaskConfig.known

    enum CodingKeys: String, CodingKey {
        case format, name, version, trained, projectionDim = "projection_dim", vision, audio, text, decoder
        case fusionOrder = "fusion_order", contextLength = "context_length", preprocess, tasks
    }

    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = MERCLIPConfig()
        format = try c.decode(String.self, forKey: .format)
        name = try c.value(.name, d.name); version = try c.value(.version, d.version)
        trained = try c.value(.trained, false); projectionDim = try c.value(.projectionDim, 512)
        vision = try c.value(.vision, d.vision); audio = try c.value(.audio, d.audio); text = try c.value(.text, d.text)
        self.decoder = try c.value(.decoder, d.decoder)
        fusionOrder = try c.value(.fusionOrder, d.fusionOrder); contextLength = try c.value(.contextLength, 8)
        preprocess = try c.value(.preprocess, d.preprocess)
        tasks = try c.decodeIfPresent([TaskConfig].self, forKey: .tasks) ?? d.tasks
        if tasks.isEmpty { tasks = d.tasks }
    }

    /// Checks what the engine relies on; errors name the key.
    public func validate() throws {
        guard format == MERCLIPConfig.formatName else {
            throw ModelError.config("format is \"\(format)\", expected \"\(MERCLIPConfig.formatName)\"")
        }
        try vision.validate("vision"); try audio.validate("audio"); try text.validate("text")
        guard Set(fusionOrder) == Set(Modality.allCases), fusionOrder.count == 3 else {
            throw ModelError.config("fusion_order \(fusionOrder.map(\.rawValue)) is not a permutation of language, vision, audio")
        }
        guard decoder.hiddenAct == "gelu" else { throw ModelError.config("decoder.hidden_act must be \"gelu\", got \"\(decoder.hiddenAct)\"") }
        guard decoder.numAttentionHeads > 0, projectionDim % decoder.numAttentionHeads == 0 else {
            throw ModelError.config("projection_dim \(projectionDim) is not a multiple of decoder.num_attention_heads \(decoder.numAttentionHeads)")
        }
        guard contextLength > 0, contextLength + 3 <= text.maxPositionEmbeddings else {
            throw ModelError.config("context_length \(contextLength) does not fit max_position_embeddings \(text.maxPositionEmbeddings)")
        }
        var seen = Set<String>()
        for t in tasks {
            guard !t.name.isEmpty, !t.name.contains("."), seen.insert(t.name).inserted else {
                throw ModelError.config("task name \"\(t.name)\" is empty, has a dot or repeats")
            }
            guard !t.labels.isEmpty else { throw ModelError.config("task \(t.name) has no labels") }
            if t.kind == .multiLabel && t.labels.count < 2 {
                throw ModelError.config("multi_label task \(t.name) needs at least 2 labels")
            }
        }
    }

    public static func load(_ path: String) throws -> MERCLIPConfig {
        guard let data = FileManager.default.contents(atPath: path) else { throw ModelError.io("\(path): cannot read: \(whyUnreadable(path))") }
        let c: MERCLIPConfig
        do { c = try JSONDecoder().decode(MERCLIPConfig.self, from: data) } catch {
            throw ModelError.config("\(path): \(error)")
        }
        do { try c.validate() } catch let e as ModelError { throw ModelError.config("\(path): \(e)") }
        return c
    }

    public func write(to path: String) throws {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try e.encode(self)
        data.append(0x0A)
        guard FileManager.default.createFile(atPath: path, contents: data) else { throw ModelError.io("\(path): cannot write") }
    }
}
