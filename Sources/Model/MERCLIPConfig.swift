// The MER-CLIP model directory's config.json (format "merclip-model/1"), with the documented defaults.
import Foundation
import Tensor

/// The whole config.json: encoders, decoder, fusion order, preprocessing and tasks. Missing keys take defaults.
public struct MERCLIPConfig: DefaultedConfig, Sendable, Equatable {
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

    /// Checks what the engine relies on; errors name the key.
    public func validate() throws {
        guard format == MERCLIPConfig.formatName else {
            throw ModelError.config("format is \"\(format)\", expected \"\(MERCLIPConfig.formatName)\"")
        }
        try vision.validate("vision"); try audio.validate("audio"); try text.validate("text")
        guard preprocess.audio.nMels == audio.imageSize else {
            throw ModelError.config("preprocess.audio.n_mels \(preprocess.audio.nMels) must equal audio.image_size "
                                    + "\(audio.imageSize): a spectrogram image has one row per mel band")
        }
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
        var c: MERCLIPConfig
        do {
            let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            guard let object else { throw ModelError.config("the file is not a JSON object") }
            guard object["format"] is String else {
                throw ModelError.config("format is missing: a model directory's config.json says \"format\": \"\(formatName)\"")
            }
            c = try MERCLIPConfig.decode(withDefaults: object)
        } catch let e as ModelError { throw ModelError.config("\(path): \(e)") } catch {
            throw ModelError.config("\(path): \(error)")
        }
        if c.tasks.isEmpty { c.tasks = TaskConfig.known }
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
