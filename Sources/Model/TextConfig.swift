// The text encoder's configuration (HF CLIPTextConfig keys); missing keys take the ViT-B/32 text tower's values.
import Foundation

/// Text encoder: HF `CLIPTextConfig`. Missing keys take the ViT-B/32 text tower's values.
public struct TextConfig: DefaultedConfig, Sendable, Equatable {
    /// Token ids run from 0 to vocabSize − 1; the start and end tokens mark every sequence.
    public var vocabSize = 49408, bosTokenId = 49406, eosTokenId = 49407
    /// Token width, and the MLP's inner width.
    public var hiddenSize = 512, intermediateSize = 2048
    /// Transformer layers, and attention heads (they divide the width).
    public var numHiddenLayers = 12, numAttentionHeads = 8
    /// The longest sequence, start and end tokens included (the position table's length).
    public var maxPositionEmbeddings = 77
    /// The MLP's activation (quick_gelu or gelu) and the LayerNorm epsilon.
    public var hiddenAct = "quick_gelu", layerNormEps = 1e-5

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
