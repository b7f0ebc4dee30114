// CLIP encoder configurations (HF CLIPVisionConfig / CLIPTextConfig keys), Codable with HF's defaults.
import Foundation
import Tensor

extension KeyedDecodingContainer {
    func value<T: Decodable>(_ key: Key, _ fallback: T) throws -> T {
        try decodeIfPresent(T.self, forKey: key) ?? fallback
    }
}

/// The checks both encoder configs share: heads divide the width, and the activation is known.
func validateTransformer(_ what: String, hiddenSize: Int, heads: Int, act: String) throws {
    guard hiddenSize > 0, heads > 0, hiddenSize % heads == 0 else {
        throw ModelError.config("\(what): hidden_size \(hiddenSize) is not a multiple of num_attention_heads \(heads)")
    }
    _ = try Activation(name: act)
}

/// Image (and spectrogram) encoder: HF `CLIPVisionConfig`. Missing keys take the ViT-B/32 values.
public struct VisionConfig: Codable, Sendable, Equatable {
    public var hiddenSize = 768
    public var intermediateSize = 3072
    public var numHiddenLayers = 12
    public var numAttentionHeads = 12
    public var imageSize = 224
    public var patchSize = 32
    public var numChannels = 3
    public var hiddenAct = "quick_gelu"
    public var layerNormEps = 1e-5

    enum CodingKeys: String, CodingKey {
        case hiddenSize = "hidden_size", intermediateSize = "intermediate_size", numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads", imageSize = "image_size", patchSize = "patch_size"
        case numChannels = "num_channels", hiddenAct = "hidden_act", layerNormEps = "layer_norm_eps"
    }

    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = VisionConfig()
        hiddenSize = try c.value(.hiddenSize, d.hiddenSize)
        intermediateSize = try c.value(.intermediateSize, d.intermediateSize)
        numHiddenLayers = try c.value(.numHiddenLayers, d.numHiddenLayers)
        numAttentionHeads = try c.value(.numAttentionHeads, d.numAttentionHeads)
        imageSize = try c.value(.imageSize, d.imageSize)
        patchSize = try c.value(.patchSize, d.patchSize)
        numChannels = try c.value(.numChannels, d.numChannels)
        hiddenAct = try c.value(.hiddenAct, d.hiddenAct)
        layerNormEps = try c.value(.layerNormEps, d.layerNormEps)
    }

    public var patchesPerSide: Int { imageSize / patchSize }
    /// Tokens per image: patches plus the class token.
    public var tokens: Int { patchesPerSide * patchesPerSide + 1 }

    public func validate(_ what: String) throws {
        try validateTransformer(what, hiddenSize: hiddenSize, heads: numAttentionHeads, act: hiddenAct)
        guard patchSize > 0, imageSize % patchSize == 0 else {
            throw ModelError.config("\(what): image_size \(imageSize) is not a multiple of patch_size \(patchSize)")
        }
    }
}

/// Text encoder: HF `CLIPTextConfig`. Missing keys take the ViT-B/32 text tower's values.
public struct TextConfig: Codable, Sendable, Equatable {
    public var vocabSize = 49408
    public var hiddenSize = 512
    public var intermediateSize = 2048
    public var numHiddenLayers = 12
    public var numAttentionHeads = 8
    public var maxPositionEmbeddings = 77
    public var hiddenAct = "quick_gelu"
    public var layerNormEps = 1e-5
    public var bosTokenId = 49406
    public var eosTokenId = 49407

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size", hiddenSize = "hidden_size", intermediateSize = "intermediate_size"
        case numHiddenLayers = "num_hidden_layers", numAttentionHeads = "num_attention_heads"
        case maxPositionEmbeddings = "max_position_embeddings", hiddenAct = "hidden_act"
        case layerNormEps = "layer_norm_eps", bosTokenId = "bos_token_id", eosTokenId = "eos_token_id"
    }

    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = TextConfig()
        vocabSize = try c.value(.vocabSize, d.vocabSize)
        hiddenSize = try c.value(.hiddenSize, d.hiddenSize)
        intermediateSize = try c.value(.intermediateSize, d.intermediateSize)
        numHiddenLayers = try c.value(.numHiddenLayers, d.numHiddenLayers)
        numAttentionHeads = try c.value(.numAttentionHeads, d.numAttentionHeads)
        maxPositionEmbeddings = try c.value(.maxPositionEmbeddings, d.maxPositionEmbeddings)
        hiddenAct = try c.value(.hiddenAct, d.hiddenAct)
        layerNormEps = try c.value(.layerNormEps, d.layerNormEps)
        bosTokenId = try c.value(.bosTokenId, d.bosTokenId)
        eosTokenId = try c.value(.eosTokenId, d.eosTokenId)
    }

    public func validate(_ what: String) throws {
        try validateTransformer(what, hiddenSize: hiddenSize, heads: numAttentionHeads, act: hiddenAct)
    }
}

/// An HF `CLIPModel` config.json: `projection_dim`, `vision_config`, `text_config`.
public struct HFCLIPConfig: Codable, Sendable {
    public var projectionDim = 512
    public var vision = VisionConfig()
    public var text = TextConfig()

    enum CodingKeys: String, CodingKey {
        case projectionDim = "projection_dim", vision = "vision_config", text = "text_config"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        guard c.contains(.vision), c.contains(.text) else {
            throw ModelError.config("not a CLIP config: vision_config and text_config are required")
        }
        projectionDim = try c.value(.projectionDim, 512)
        vision = try c.decode(VisionConfig.self, forKey: .vision)
        text = try c.decode(TextConfig.self, forKey: .text)
    }

    public static func load(_ path: String) throws -> HFCLIPConfig {
        guard let data = FileManager.default.contents(atPath: path) else { throw ModelError.io("\(path): cannot read: \(whyUnreadable(path))") }
        do { return try JSONDecoder().decode(HFCLIPConfig.self, from: data) } catch let e as ModelError {
            throw ModelError.config("\(path): \(e)")
        } catch { throw ModelError.config("\(path): \(error)") }
    }
}
