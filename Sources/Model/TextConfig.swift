// The text encoder's configuration (HF CLIPTextConfig keys); missing keys take the ViT-B/32 text tower's values.
import Foundation

/// Text encoder: HF `CLIPTextConfig`. Missing keys take the ViT-B/32 text tower's values.
public struct TextConfig: DefaultedConfig, Sendable, Equatable {
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

    public func validate(_ what: String) throws {
        try validateTransformer(what, hiddenSize: hiddenSize, heads: numAttentionHeads, act: hiddenAct)
    }
}
