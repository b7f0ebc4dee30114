// The cross-modal decoder's configuration (config.json `decoder`): heads, MLP width, activation, LayerNorm epsilon.
import Foundation

/// Missing keys take the paper's values: 8 heads, a 2048-wide MLP, GELU.
public struct DecoderConfig: DefaultedConfig, Sendable, Equatable {
    public var numAttentionHeads = 8
    public var intermediateSize = 2048
    public var hiddenAct = "gelu"
    public var layerNormEps = 1e-5

    enum CodingKeys: String, CodingKey {
        case numAttentionHeads = "num_attention_heads", intermediateSize = "intermediate_size"
        case hiddenAct = "hidden_act", layerNormEps = "layer_norm_eps"
    }

    public init() {}
}
