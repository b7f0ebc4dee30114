// CLIP text encoder (HF CLIPTextModelWithProjection): token + position embeddings, causal transformer,
// final LayerNorm, text projection; pooled output at the first EOS.
import Foundation
import Tensor

public struct CLIPTextEncoder: Sendable {
    public let config: TextConfig
    public let projectionDim: Int
    let tokenEmbedding, positions, finalW, finalB: Param
    let projection: PackedWeight
    let transformer: CLIPTransformer

    public static func specs(_ c: TextConfig, projectionDim: Int, prefix: String = "") -> [TensorSpec] {
        let p = prefix + "text_model.", d = c.hiddenSize
        return [TensorSpec(p + "embeddings.token_embedding.weight", [c.vocabSize, d]),
                TensorSpec(p + "embeddings.position_embedding.weight", [c.maxPositionEmbeddings, d])]
            + CLIPTransformer.specs(p + "encoder.", width: d, ffn: c.intermediateSize, layers: c.numHiddenLayers)
            + [TensorSpec(p + "final_layer_norm.weight", [d]), TensorSpec(p + "final_layer_norm.bias", [d]),
               TensorSpec(prefix + "text_projection.weight", [projectionDim, d])]
    }

    /// `mode`: the GEMM backend and precision of the linear layers.
    public init(_ w: Weights, config c: TextConfig, projectionDim: Int, prefix: String = "", mode: ComputeMode = .defaultFP32) throws {
        try c.validate("text config")
        config = c
        self.projectionDim = projectionDim
        let p = prefix + "text_model."
        tokenEmbedding = Param(w[p + "embeddings.token_embedding.weight"])
        positions = Param(w[p + "embeddings.position_embedding.weight"])
        finalW = Param(w[p + "final_layer_norm.weight"]); finalB = Param(w[p + "final_layer_norm.bias"])
        projection = try PackedWeight(w[prefix + "text_projection.weight"], mode: mode)
        transformer = try CLIPTransformer(w, prefix: p + "encoder.", width: c.hiddenSize, heads: c.numAttentionHeads,
                                          ffn: c.intermediateSize, layers: c.numHiddenLayers, act: c.hiddenAct,
                                          eps: c.layerNormEps, mode: mode)
    }

    /// Output of `encode`: projections at every position (padded to the longest sequence) and the pooled row.
    public struct Output: Sendable {
        /// [N, T, projectionDim]: text_projection(final_layer_norm(h)) at each position.
        public var projected: Tensor
        /// Pooling position per sequence (the first EOS).
        public var eos: [Int]
        public var lengths: [Int]

        /// [N, projectionDim]: the projection at each sequence's pooling position.
        public var pooled: Tensor {
            let n = projected.shape[0], t = projected.shape[1], d = projected.shape[2]
            var out = [Float](); out.reserveCapacity(n * d)
            for i in 0..<n { out += projected.data[((i * t + eos[i]) * d)..<((i * t + eos[i] + 1) * d)] }
            return Tensor(shape: [n, d], data: out)
        }

        /// Rows 0…eos of sequence i: [eos + 1, projectionDim].
        public func upToEOS(_ i: Int) -> Tensor {
            let t = projected.shape[1], d = projected.shape[2]
            return Tensor(shape: [eos[i] + 1, d], data: Array(projected.data[(i * t * d)..<((i * t + eos[i] + 1) * d)]))
        }
    }

    /// Pooling position: the first `eos_token_id` (HF's rule; with the legacy eos_token_id 2 the highest id),
    /// the last token when there is none.
    public func poolingIndex(_ ids: [Int]) -> Int {
        if config.eosTokenId == 2 {
            var best = 0
            for (i, v) in ids.enumerated() where v > ids[best] { best = i }
            return best
        }
        return ids.firstIndex(of: config.eosTokenId) ?? max(ids.count - 1, 0)
    }

    public func checkIds(_ seqs: [[Int]]) throws {
        for (i, s) in seqs.enumerated() {
            guard !s.isEmpty else { throw ModelError.input("token sequence \(i) is empty") }
            guard s.count <= config.maxPositionEmbeddings else {
                throw ModelError.input("token sequence \(i) has \(s.count) tokens, at most \(config.maxPositionEmbeddings) allowed")
            }
            if let bad = s.first(where: { $0 < 0 || $0 >= config.vocabSize }) {
                throw ModelError.input("token sequence \(i) has id \(bad) outside the vocabulary (0..<\(config.vocabSize))")
            }
        }
    }

    /// Encodes token sequences (padded with EOS to the longest; the causal mask keeps padding from
    /// reaching earlier positions). `context` [k, width], when given, replaces the embeddings at
    /// positions 1…k of every sequence (prompt learning).
    public func encode(_ seqs: [[Int]], context: Tensor? = nil) throws -> Output {
        try checkIds(seqs)
        let n = seqs.count, d = config.hiddenSize
        let t = seqs.map(\.count).max() ?? 0
        var out = Output(projected: Tensor(zeros: [n, t, projectionDim]), eos: seqs.map(poolingIndex), lengths: seqs.map(\.count))
        if n == 0 { return out }
        if let context {
            guard context.rank == 2, context.shape[1] == d, context.shape[0] + 1 < t else {
                throw ModelError.input("context \(context.shape) does not fit width \(d) and \(t) tokens")
            }
        }
        let ws = EncoderWorkspace()
        let x = ws.x.reserve(n * t * d)
        let tok = tokenEmbedding.pointer, pos = positions.pointer, eos = config.eosTokenId, k = context?.shape[0] ?? 0
        let ctx = context?.data ?? []
        ctx.withUnsafeBufferPointer { cp in
            Parallel.forRanges(n * t, cost: d) { r in
                for row in r {
                    let i = row / t, j = row % t
                    let src: UnsafePointer<Float>
                    if k > 0 && j >= 1 && j <= k {
                        src = cp.baseAddress! + (j - 1) * d
                    } else {
                        let id = j < seqs[i].count ? seqs[i][j] : eos
                        src = UnsafePointer(tok + id * d)
                    }
                    Kernels.add(src, pos + j * d, into: x + row * d, count: d)
                }
            }
        }
        transformer.forward(x, seqs: n, len: t, causal: true, ws: ws)
        Kernels.layerNorm(x, rows: n * t, width: d, gamma: finalW.pointer, beta: finalB.pointer, eps: transformer.eps, out: x)
        out.projected.data.withUnsafeMutableBufferPointer { o in
            projection.apply(x, rows: n * t, bias: nil, out: o.baseAddress!)
        }
        return out
    }

    /// Text features [N, projectionDim] at the pooling position; not normalised.
    public func embed(_ seqs: [[Int]]) throws -> Tensor { try encode(seqs).pooled }
}
