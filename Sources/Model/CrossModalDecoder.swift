// The cross-modal decoder (CMD) of one task: one pre-norm PyTorch TransformerDecoderLayer per modality in
// fusion order (self-attention, cross-attention to the modality's features with key padding masked, GELU FFN),
// a segment without that modality skipping the layer; then a final LayerNorm.
import Foundation
import Tensor

struct CMDLayer: Sendable {
    let n1w, n1b, n2w, n2b, n3w, n3b: Param
    let saB, saOutB, caB, caOutB, l1b, l2b: Param   // in_proj biases [3d] (q, k, v), out_proj, FFN
    /// Self-attention needs only the value rows of in_proj (one query token); cross-attention splits it into
    /// the query rows and the key + value rows (one GEMM over the memory for both).
    let saV, saOut, caQ, caKV, caOut, l1, l2: PackedWeight

    init(_ w: Weights, _ p: String, d: Int, mode: ComputeMode) throws {
        func t(_ n: String) -> Param { Param(w[p + n]) }
        func packed(_ n: String, rows: Range<Int>? = nil) throws -> PackedWeight {
            let full = w[p + n]
            return try PackedWeight(rows.map { full.rows($0) } ?? full, mode: mode)
        }
        n1w = t("norm1.weight"); n1b = t("norm1.bias"); n2w = t("norm2.weight"); n2b = t("norm2.bias")
        n3w = t("norm3.weight"); n3b = t("norm3.bias")
        saB = t("self_attn.in_proj_bias"); saOutB = t("self_attn.out_proj.bias")
        caB = t("multihead_attn.in_proj_bias"); caOutB = t("multihead_attn.out_proj.bias")
        l1b = t("linear1.bias"); l2b = t("linear2.bias")
        saV = try packed("self_attn.in_proj_weight", rows: (2 * d)..<(3 * d)); saOut = try packed("self_attn.out_proj.weight")
        let ca = w[p + "multihead_attn.in_proj_weight"]
        caQ = try PackedWeight(ca.rows(0..<d), mode: mode); caKV = try PackedWeight(ca.rows(d..<(3 * d)), mode: mode)
        caOut = try packed("multihead_attn.out_proj.weight")
        l1 = try packed("linear1.weight"); l2 = try packed("linear2.weight")
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

    init(_ w: Weights, prefix p: String, d: Int, config c: DecoderConfig, layers: Int, mode: ComputeMode) throws {
        self.layers = try (0..<layers).map { try CMDLayer(w, p + "layers.\($0).", d: d, mode: mode) }
        normW = Param(w[p + "norm.weight"]); normB = Param(w[p + "norm.bias"])
        self.d = d; ffn = c.intermediateSize; heads = c.numAttentionHeads; eps = Float(c.layerNormEps)
    }

    /// Buffers one forward pass reuses for every layer.
    private final class Workspace {
        let z = Scratch(), zb = Scratch(), x = Scratch(), y = Scratch(), v = Scratch(), q = Scratch(), att = Scratch()
        let kv = Scratch(), h = Scratch(), scores = Scratch()
    }

    /// Z [B, d] (after the final LayerNorm) for queries z0 [d] and, per layer (fusion order), each segment's
    /// features [T_s, d] or nil when the segment lacks that modality.
    func forward(query: [Float], batch: Int, memories: [[Tensor?]]) -> Tensor {
        let ws = Workspace(), d = self.d
        let z = ws.z.reserve(batch * d)
        for i in 0..<batch { for j in 0..<d { z[i * d + j] = query[j] } }
        for (layer, mem) in zip(layers, memories) {
            let idx = (0..<batch).filter { (mem[$0]?.rows ?? 0) > 0 }
            if idx.isEmpty { continue }
            let zb = ws.zb.reserve(idx.count * d)   // the rows of segments that have this modality
            for (k, i) in idx.enumerated() { (zb + k * d).update(from: z + i * d, count: d) }
            apply(layer, zb, idx.map { mem[$0]! }, ws)
            for (k, i) in idx.enumerated() { (z + i * d).update(from: zb + k * d, count: d) }
        }
        var out = Tensor(zeros: [batch, d])
        out.data.withUnsafeMutableBufferPointer { o in
            Kernels.layerNorm(z, rows: batch, width: d, gamma: normW.pointer, beta: normB.pointer, eps: eps, out: o.baseAddress!)
        }
        return out
    }

    /// One decoder layer on n query rows `z` [n, d] attending to `mem` (n sequences of features).
    private func apply(_ l: CMDLayer, _ z: UnsafeMutablePointer<Float>, _ mem: [Tensor], _ ws: Workspace) {
        let n = mem.count, d = self.d, hd = d / heads
        let lengths = mem.map(\.rows), tmax = lengths.max()!
        let x = ws.x.reserve(n * tmax * d)          // memory, zero-padded
        x.initialize(repeating: 0, count: n * tmax * d)
        for (i, m) in mem.enumerated() { m.data.withUnsafeBufferPointer { (x + i * tmax * d).update(from: $0.baseAddress!, count: m.count) } }
        let y = ws.y.reserve(n * d), v = ws.v.reserve(n * d), q = ws.q.reserve(n * d), att = ws.att.reserve(n * d)
        let kv = ws.kv.reserve(n * tmax * 2 * d), h = ws.h.reserve(n * ffn)
        // self-attention over the single query token: softmax of one score is 1, so SA(y) = out(v(y)).
        Kernels.layerNorm(z, rows: n, width: d, gamma: l.n1w.pointer, beta: l.n1b.pointer, eps: eps, out: y)
        l.saV.apply(y, rows: n, bias: l.saB.pointer + 2 * d, out: v)
        l.saOut.apply(v, rows: n, bias: l.saOutB.pointer, out: z, accumulate: true)
        // cross-attention: q from LN2(z), keys and values from the modality features
        Kernels.layerNorm(z, rows: n, width: d, gamma: l.n2w.pointer, beta: l.n2b.pointer, eps: eps, out: y)
        l.caQ.apply(y, rows: n, bias: l.caB.pointer, out: q)
        l.caKV.apply(x, rows: n * tmax, bias: l.caB.pointer + d, out: kv)
        Kernels.attention(q: q, ldq: d, k: kv, ldk: 2 * d, v: kv + d, ldv: 2 * d, out: att, ldo: d, batch: n, qLen: 1,
                      kvLen: tmax, heads: heads, headDim: hd, scale: 1 / Float(hd).squareRoot(), keyLengths: lengths,
                      scratch: ws.scores)
        l.caOut.apply(att, rows: n, bias: l.caOutB.pointer, out: z, accumulate: true)
        // feed-forward
        Kernels.layerNorm(z, rows: n, width: d, gamma: l.n3w.pointer, beta: l.n3b.pointer, eps: eps, out: y)
        l.l1.apply(y, rows: n, bias: l.l1b.pointer, out: h, activation: .gelu)
        l.l2.apply(h, rows: n, bias: l.l2b.pointer, out: z, accumulate: true)
    }
}
