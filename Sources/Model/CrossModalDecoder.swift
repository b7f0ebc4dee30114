// The cross-modal decoder (CMD) of one task: one pre-norm PyTorch TransformerDecoderLayer per modality in
// fusion order (self-attention, cross-attention to the modality's features with key padding masked, GELU FFN),
// a segment without that modality skipping the layer; then a final LayerNorm.
import Foundation
import Tensor

struct CMDLayer: Sendable {
    let n1w, n1b, n2w, n2b, n3w, n3b: Param
    let saW, saB, saOutW, saOutB: Param       // in_proj [3d, d], [3d]; out_proj
    let caW, caB, caOutW, caOutB: Param
    let l1w, l1b, l2w, l2b: Param

    init(_ w: Weights, _ p: String) {
        func t(_ n: String) -> Param { Param(w[p + n]) }
        n1w = t("norm1.weight"); n1b = t("norm1.bias"); n2w = t("norm2.weight"); n2b = t("norm2.bias")
        n3w = t("norm3.weight"); n3b = t("norm3.bias")
        saW = t("self_attn.in_proj_weight"); saB = t("self_attn.in_proj_bias")
        saOutW = t("self_attn.out_proj.weight"); saOutB = t("self_attn.out_proj.bias")
        caW = t("multihead_attn.in_proj_weight"); caB = t("multihead_attn.in_proj_bias")
        caOutW = t("multihead_attn.out_proj.weight"); caOutB = t("multihead_attn.out_proj.bias")
        l1w = t("linear1.weight"); l1b = t("linear1.bias"); l2w = t("linear2.weight"); l2b = t("linear2.bias")
    }

    static func specs(_ p: String, d: Int, ffn: Int) -> [TensorSpec] {
        var s: [TensorSpec] = []
        for a in ["self_attn", "multihead_attn"] {
            s += [TensorSpec(p + a + ".in_proj_weight", [3 * d, d]), TensorSpec(p + a + ".in_proj_bias", [3 * d]),
                  TensorSpec(p + a + ".out_proj.weight", [d, d]), TensorSpec(p + a + ".out_proj.bias", [d])]
        }
        s += [TensorSpec(p + "linear1.weight", [ffn, d]), TensorSpec(p + "linear1.bias", [ffn]),
              TensorSpec(p + "linear2.weight", [d, ffn]), TensorSpec(p + "linear2.bias", [d])]
        for n in ["norm1", "norm2", "norm3"] { s += [TensorSpec(p + n + ".weight", [d]), TensorSpec(p + n + ".bias", [d])] }
        return s
    }
}

public struct CrossModalDecoder: Sendable {
    let layers: [CMDLayer]
    let normW, normB: Param
    let d, ffn, heads: Int
    let eps: Float

    static func specs(_ p: String, d: Int, ffn: Int, layers: Int) -> [TensorSpec] {
        (0..<layers).flatMap { CMDLayer.specs(p + "layers.\($0).", d: d, ffn: ffn) }
            + [TensorSpec(p + "norm.weight", [d]), TensorSpec(p + "norm.bias", [d])]
    }

    init(_ w: Weights, prefix p: String, d: Int, config c: DecoderConfig, layers: Int) {
        self.layers = (0..<layers).map { CMDLayer(w, p + "layers.\($0).") }
        normW = Param(w[p + "norm.weight"]); normB = Param(w[p + "norm.bias"])
        self.d = d; ffn = c.intermediateSize; heads = c.numAttentionHeads; eps = Float(c.layerNormEps)
    }

    /// Z [B, d] (after the final LayerNorm) for queries z0 [d] and, per layer (fusion order), each segment's
    /// features [T_s, d] or nil when the segment lacks that modality.
    func forward(query: [Float], batch: Int, memories: [[Tensor?]]) -> Tensor {
        var z = Tensor(shape: [batch, d], data: (0..<batch).flatMap { _ in query })
        for (layer, mem) in zip(layers, memories) {
            let idx = (0..<batch).filter { (mem[$0]?.rows ?? 0) > 0 }
            if idx.isEmpty { continue }
            var zb = Tensor(shape: [idx.count, d], data: idx.flatMap { z.row($0) })
            apply(layer, &zb, idx.map { mem[$0]! })
            for (k, i) in idx.enumerated() {
                for j in 0..<d { z.data[i * d + j] = zb.data[k * d + j] }
            }
        }
        var out = z
        z.data.withUnsafeBufferPointer { zp in
            out.data.withUnsafeMutableBufferPointer { o in
                Ops.layerNorm(zp.baseAddress!, rows: batch, width: d, gamma: normW.p, beta: normB.p, eps: eps, out: o.baseAddress!)
            }
        }
        return out
    }

    /// One decoder layer on n query rows `z` [n, d] attending to `mem` (n sequences of features).
    private func apply(_ l: CMDLayer, _ z: inout Tensor, _ mem: [Tensor]) {
        let n = z.rows, d = self.d
        let tmax = mem.map(\.rows).max()!
        let lengths = mem.map(\.rows)
        var x = [Float](repeating: 0, count: n * tmax * d)          // memory, zero-padded
        for (i, m) in mem.enumerated() { for (k, v) in m.data.enumerated() { x[i * tmax * d + k] = v } }
        var y = [Float](repeating: 0, count: n * d), v = [Float](repeating: 0, count: n * d)
        var q = [Float](repeating: 0, count: n * d), att = [Float](repeating: 0, count: n * d)
        var kv = [Float](repeating: 0, count: n * tmax * 2 * d), h = [Float](repeating: 0, count: n * ffn)
        let hd = d / heads
        z.data.withUnsafeMutableBufferPointer { zb in
            let zp = zb.baseAddress!
            y.withUnsafeMutableBufferPointer { yb in v.withUnsafeMutableBufferPointer { vb in
            q.withUnsafeMutableBufferPointer { qb in att.withUnsafeMutableBufferPointer { ab in
            kv.withUnsafeMutableBufferPointer { kvb in h.withUnsafeMutableBufferPointer { hb in
            x.withUnsafeBufferPointer { xb in
                let yp = yb.baseAddress!, vp = vb.baseAddress!, qp = qb.baseAddress!, ap = ab.baseAddress!
                let kvp = kvb.baseAddress!, hp = hb.baseAddress!, xp = xb.baseAddress!
                // self-attention over the single query token: softmax of one score is 1, so SA(y) = out(v(y)).
                Ops.layerNorm(zp, rows: n, width: d, gamma: l.n1w.p, beta: l.n1b.p, eps: eps, out: yp)
                Ops.linear(yp, rows: n, inFeatures: d, weight: l.saW.p + 2 * d * d, outFeatures: d, bias: l.saB.p + 2 * d, out: vp)
                Ops.linear(vp, rows: n, inFeatures: d, weight: l.saOutW.p, outFeatures: d, bias: l.saOutB.p, out: zp, accumulate: true)
                // cross-attention: q from LN2(z), keys and values from the modality features (one GEMM for both)
                Ops.layerNorm(zp, rows: n, width: d, gamma: l.n2w.p, beta: l.n2b.p, eps: eps, out: yp)
                Ops.linear(yp, rows: n, inFeatures: d, weight: l.caW.p, outFeatures: d, bias: l.caB.p, out: qp)
                Ops.linear(xp, rows: n * tmax, inFeatures: d, weight: l.caW.p + d * d, outFeatures: 2 * d, bias: l.caB.p + d, out: kvp)
                Ops.attention(q: qp, ldq: d, k: kvp, ldk: 2 * d, v: kvp + d, ldv: 2 * d, out: ap, ldo: d, batch: n, qLen: 1,
                              kvLen: tmax, heads: heads, headDim: hd, scale: 1 / Float(hd).squareRoot(), keyLengths: lengths)
                Ops.linear(ap, rows: n, inFeatures: d, weight: l.caOutW.p, outFeatures: d, bias: l.caOutB.p, out: zp, accumulate: true)
                // feed-forward
                Ops.layerNorm(zp, rows: n, width: d, gamma: l.n3w.p, beta: l.n3b.p, eps: eps, out: yp)
                Ops.linear(yp, rows: n, inFeatures: d, weight: l.l1w.p, outFeatures: ffn, bias: l.l1b.p, out: hp, activation: .gelu)
                Ops.linear(hp, rows: n, inFeatures: ffn, weight: l.l2w.p, outFeatures: d, bias: l.l2b.p, out: zp, accumulate: true)
            }
            } }
            } }
            } }
        }
    }
}
