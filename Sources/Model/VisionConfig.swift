// The image and spectrogram encoder's configuration (HF CLIPVisionConfig keys); missing keys take ViT-B/32's values.
import Foundation
import Tensor

/// The checks both encoder configs share: heads divide the width, and the activation is known.
func validateTransformer(_ what: String, hiddenSize: Int, heads: Int, act: String) throws {
    guard hiddenSize > 0, heads > 0, hiddenSize % heads == 0 else {
        throw ModelError.config("\(what): hidden_size \(hiddenSize) is not a multiple of num_attention_heads \(heads)")
    }
    _ = try Activation(name: act)
}

/// Image (and spectrogram) encoder: HF `CLIPVisionConfig`. Missing keys take the ViT-B/32 values.
public struct VisionConfig: DefaultedConfig, Sendable, Equatable {
    /// Token width, and the MLP's inner width.
    public var hiddenSize = 768, intermediateSize = 3072
    /// Transformer layers, and attention heads (they divide the width).
    public var numHiddenLayers = 12, numAttentionHeads = 12
    /// The input's side and the patch side in pixels; a spectrogram image is fed at the same size.
    public var imageSize = 224, patchSize = 32, numChannels = 3
    /// The MLP's activation (quick_gelu or gelu) and the LayerNorm epsilon.
    public var hiddenAct = "quick_gelu", layerNormEps = 1e-5

    enum CodingKeys: String, CodingKey {
        case hiddenSize = "hidden_size", intermediateSize = "intermediate_size", numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads", imageSize = "image_size", patchSize = "patch_size"
        case numChannels = "num_channels", hiddenAct = "hidden_act", layerNormEps = "layer_norm_eps"
    }

    public init() {}

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
