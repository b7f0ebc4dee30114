// CLIP image encoder (HF CLIPVisionModelWithProjection): patch embedding as one GEMM, class token and
// positions, pre-LN, transformer, post-LN of the class token, visual projection. Images whose channels are
// all equal (spectrograms) go through the patch weight summed over the channels: the same result, a third of the work.
import Foundation
import Tensor

public struct CLIPVisionEncoder: Sendable {
    public let config: VisionConfig
    public let projectionDim: Int
    /// Images encoded together; bounds the activation memory (about 0.6 MB per image per 1000 of width).
    public var imageChunk = 64
    let classEmbedding, positions, preW, preB, postW, postB: Param
    let patchWeight, projection: PackedWeight
    /// The patch weight summed over the input channels (for images with identical channels).
    let foldedPatchWeight: PackedWeight?
    let transformer: CLIPTransformer

    /// Tensor names and shapes under `prefix` (e.g. "" for an HF CLIP dir, "vision." in a MER-CLIP dir).
    public static func specs(_ c: VisionConfig, projectionDim: Int, prefix: String = "") -> [TensorSpec] {
        let p = prefix + "vision_model.", d = c.hiddenSize
        return [TensorSpec(p + "embeddings.class_embedding", [d]),
                TensorSpec(p + "embeddings.patch_embedding.weight", [d, c.numChannels, c.patchSize, c.patchSize]),
                TensorSpec(p + "embeddings.position_embedding.weight", [c.tokens, d]),
                TensorSpec(p + "pre_layrnorm.weight", [d]), TensorSpec(p + "pre_layrnorm.bias", [d])]
            + CLIPTransformer.specs(p + "encoder.", width: d, ffn: c.intermediateSize, layers: c.numHiddenLayers)
            + [TensorSpec(p + "post_layernorm.weight", [d]), TensorSpec(p + "post_layernorm.bias", [d]),
               TensorSpec(prefix + "visual_projection.weight", [projectionDim, d])]
    }

    /// `mode`: the GEMM backend and precision of the linear layers; `foldChannels`: also keep the channel-summed
    /// patch weight (for inputs whose channels repeat one image).
    public init(_ w: Weights, config c: VisionConfig, projectionDim: Int, prefix: String = "",
                mode: ComputeMode = .defaultFP32, foldChannels: Bool = false) throws {
        try c.validate("vision config")
        config = c
        self.projectionDim = projectionDim
        let p = prefix + "vision_model."
        let patch = w[p + "embeddings.patch_embedding.weight"], k = c.patchSize * c.patchSize
        patchWeight = try PackedWeight(patch.reshaped([c.hiddenSize, c.numChannels * k]), mode: mode)
        if foldChannels && c.numChannels > 1 {
            var folded = Tensor(zeros: [c.hiddenSize, k])
            for o in 0..<c.hiddenSize {
                for ch in 0..<c.numChannels {
                    for j in 0..<k { folded.data[o * k + j] += patch.data[(o * c.numChannels + ch) * k + j] }
                }
            }
            foldedPatchWeight = try PackedWeight(folded, mode: mode)
        } else {
            foldedPatchWeight = nil
        }
        classEmbedding = Param(w[p + "embeddings.class_embedding"])
        positions = Param(w[p + "embeddings.position_embedding.weight"])
        preW = Param(w[p + "pre_layrnorm.weight"]); preB = Param(w[p + "pre_layrnorm.bias"])
        postW = Param(w[p + "post_layernorm.weight"]); postB = Param(w[p + "post_layernorm.bias"])
        projection = try PackedWeight(w[prefix + "visual_projection.weight"], mode: mode)
        transformer = try CLIPTransformer(w, prefix: p + "encoder.", width: c.hiddenSize, heads: c.numAttentionHeads,
                                          ffn: c.intermediateSize, layers: c.numHiddenLayers, act: c.hiddenAct,
                                          eps: c.layerNormEps, mode: mode)
    }

    /// Image features [N, projectionDim] = projection(post_layernorm(CLS)) of pixels [N, C, S, S]; not normalised.
    public func embed(_ pixels: Tensor) throws -> Tensor {
        let c = config
        guard pixels.rank == 4, pixels.shape[1] == c.numChannels, pixels.shape[2] == c.imageSize, pixels.shape[3] == c.imageSize else {
            throw ModelError.input("images have shape \(pixels.shape), the encoder expects [N, \(c.numChannels), \(c.imageSize), \(c.imageSize)]")
        }
        var out = Tensor(zeros: [pixels.shape[0], projectionDim])
        pixels.data.withUnsafeBufferPointer { px in
            out.data.withUnsafeMutableBufferPointer { o in embed(px.baseAddress!, count: pixels.shape[0], out: o.baseAddress!) }
        }
        return out
    }

    /// Raw form of `embed`: `count` images, `out` holds count × projectionDim floats.
    public func embed(_ pixels: UnsafePointer<Float>, count n: Int, out: UnsafeMutablePointer<Float>) {
        embed(pixels, count: n, out: out, ws: EncoderWorkspace())
    }

    /// `embed` with the buffers of `ws` (one workspace per engine lane).
    func embed(_ pixels: UnsafePointer<Float>, count n: Int, out: UnsafeMutablePointer<Float>, ws: EncoderWorkspace) {
        let c = config, d = c.hiddenSize, t = c.tokens, np = t - 1
        let k = c.numChannels * c.patchSize * c.patchSize, imageSize = c.numChannels * c.imageSize * c.imageSize
        var start = 0
        while start < n {
            let m = min(imageChunk, n - start)
            let cols = ws.cols.reserve(m * np * k), patches = ws.patches.reserve(m * np * d), x = ws.x.reserve(m * t * d)
            let chunk = pixels + start * imageSize
            if let folded = foldedPatchWeight, Self.channelsRepeat(chunk, count: m, channels: c.numChannels, size: c.imageSize) {
                Kernels.patchEmbed(chunk, count: m, channels: 1, size: c.imageSize, patch: c.patchSize, imageStride: imageSize,
                               weight: folded, cols: cols, out: patches)
            } else {
                Kernels.patchEmbed(chunk, count: m, channels: c.numChannels, size: c.imageSize, patch: c.patchSize,
                               weight: patchWeight, cols: cols, out: patches)
            }
            let cls = classEmbedding.pointer, pos = positions.pointer
            Parallel.forRanges(m, cost: t * d) { r in
                for i in r {
                    let xi = x + i * t * d
                    Kernels.add(cls, pos, into: xi, count: d)
                    for q in 0..<np { Kernels.add(patches + (i * np + q) * d, pos + (q + 1) * d, into: xi + (q + 1) * d, count: d) }
                }
            }
            Kernels.layerNorm(x, rows: m * t, width: d, gamma: preW.pointer, beta: preB.pointer, eps: transformer.eps, out: x)
            transformer.forward(x, seqs: m, len: t, causal: false, ws: ws, pooledFirstToken: true)
            let pooled = ws.pooled.reserve(m * d)
            Kernels.layerNorm(x, rows: m, width: d, gamma: postW.pointer, beta: postB.pointer, eps: transformer.eps, out: pooled, ldx: t * d)
            projection.apply(pooled, rows: m, bias: nil, out: out + start * projectionDim)
            start += m
        }
    }

    /// True when every image's channels hold the same values.
    static func channelsRepeat(_ images: UnsafePointer<Float>, count n: Int, channels: Int, size: Int) -> Bool {
        let plane = size * size
        for i in 0..<n {
            let img = images + i * channels * plane
            for ch in 1..<channels where memcmp(img, img + ch * plane, plane * 4) != 0 { return false }
        }
        return true
    }
}
