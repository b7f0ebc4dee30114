// The CLIP transformer encoder stack (HF CLIPEncoderLayer): pre-LN self-attention and MLP blocks,
// fused QKV projection, weights packed by the GEMM backend, residuals accumulated into x, buffers reused across layers.
import Foundation
import Tensor

/// Buffers one encoder pass reuses for every layer.
final class EncoderWorkspace {
    let h = Scratch(), qkv = Scratch(), f = Scratch(), scores = Scratch()
    let x = Scratch(), cols = Scratch(), patches = Scratch(), pooled = Scratch()
}

struct CLIPEncoderLayer: Sendable {
    let ln1w, ln1b, bqkv, bo, ln2w, ln2b, b1, b2: Param
    let wqkv, wo, w1, w2: PackedWeight

    /// `p` ends with "layers.{i}.".
    init(_ w: Weights, _ p: String, mode: ComputeMode) throws {
        ln1w = Param(w[p + "layer_norm1.weight"]); ln1b = Param(w[p + "layer_norm1.bias"])
        wqkv = try PackedWeight(Tensor.concat(["q", "k", "v"].map { w[p + "self_attn.\($0)_proj.weight"] }), mode: mode)
        bqkv = Param(stacking: ["q", "k", "v"].map { w[p + "self_attn.\($0)_proj.bias"] })
        wo = try PackedWeight(w[p + "self_attn.out_proj.weight"], mode: mode); bo = Param(w[p + "self_attn.out_proj.bias"])
        ln2w = Param(w[p + "layer_norm2.weight"]); ln2b = Param(w[p + "layer_norm2.bias"])
        w1 = try PackedWeight(w[p + "mlp.fc1.weight"], mode: mode); b1 = Param(w[p + "mlp.fc1.bias"])
        w2 = try PackedWeight(w[p + "mlp.fc2.weight"], mode: mode); b2 = Param(w[p + "mlp.fc2.bias"])
    }

    static func specs(_ p: String, width d: Int, ffn: Int) -> [TensorSpec] {
        var s: [TensorSpec] = []
        for n in ["q", "k", "v", "out"] {
            s += [TensorSpec(p + "self_attn.\(n)_proj.weight", [d, d]), TensorSpec(p + "self_attn.\(n)_proj.bias", [d])]
        }
        for n in ["layer_norm1", "layer_norm2"] { s += [TensorSpec(p + n + ".weight", [d]), TensorSpec(p + n + ".bias", [d])] }
        s += [TensorSpec(p + "mlp.fc1.weight", [ffn, d]), TensorSpec(p + "mlp.fc1.bias", [ffn]),
              TensorSpec(p + "mlp.fc2.weight", [d, ffn]), TensorSpec(p + "mlp.fc2.bias", [d])]
        return s
    }
}

struct CLIPTransformer: Sendable {
    let layers: [CLIPEncoderLayer]
    let width, heads, ffn: Int
    let act: Activation
    let eps: Float

    /// `prefix` ends with "encoder." (layers are "{prefix}layers.{i}.").
    init(_ w: Weights, prefix: String, width: Int, heads: Int, ffn: Int, layers n: Int, act: String, eps: Double,
         mode: ComputeMode) throws {
        layers = try (0..<n).map { try CLIPEncoderLayer(w, prefix + "layers.\($0).", mode: mode) }
        self.width = width; self.heads = heads; self.ffn = ffn
        self.act = try Activation(name: act)
        self.eps = Float(eps)
    }

    static func specs(_ prefix: String, width: Int, ffn: Int, layers n: Int) -> [TensorSpec] {
        (0..<n).flatMap { CLIPEncoderLayer.specs(prefix + "layers.\($0).", width: width, ffn: ffn) }
    }

    /// Runs all layers in place on x [seqs · len, width].
    /// `pooledFirstToken`: only each sequence's first row (CLS) is used afterwards, so the last layer computes
    /// attention, output projection and MLP for that row alone (the other rows are left stale).
    func forward(_ x: UnsafeMutablePointer<Float>, seqs: Int, len: Int, causal: Bool, ws: EncoderWorkspace,
                 pooledFirstToken: Bool = false) {
        let m = seqs * len, d = width
        let h = ws.h.reserve(m * d), qkv = ws.qkv.reserve(m * 3 * d), f = ws.f.reserve(m * ffn)
        let hd = d / heads, scale = 1 / Float(hd).squareRoot()
        for (i, l) in layers.enumerated() {
            Kernels.layerNorm(x, rows: m, width: d, gamma: l.ln1w.pointer, beta: l.ln1b.pointer, eps: eps, out: h)
            l.wqkv.apply(h, rows: m, bias: l.bqkv.pointer, out: qkv)
            if pooledFirstToken && i == layers.count - 1 && !causal {
                // CLS rows only: query row 0 of each sequence (stride len·3d), compact [seqs, d] results
                let ld = len * d
                Kernels.attention(q: qkv, ldq: len * 3 * d, k: qkv + d, ldk: 3 * d, v: qkv + 2 * d, ldv: 3 * d, out: h, ldo: d,
                              batch: seqs, qLen: 1, kvLen: len, heads: heads, headDim: hd, scale: scale,
                              kvStride: len * 3 * d, scratch: ws.scores)
                l.wo.apply(h, rows: seqs, bias: l.bo.pointer, out: x,
                           accumulate: true, ldc: ld)
                Kernels.layerNorm(x, rows: seqs, width: d, gamma: l.ln2w.pointer, beta: l.ln2b.pointer, eps: eps, out: h, ldx: ld)
                l.w1.apply(h, rows: seqs, bias: l.b1.pointer, out: f, activation: act)
                l.w2.apply(f, rows: seqs, bias: l.b2.pointer, out: x,
                           accumulate: true, ldc: ld)
                break
            }
            Kernels.attention(q: qkv, ldq: 3 * d, k: qkv + d, ldk: 3 * d, v: qkv + 2 * d, ldv: 3 * d, out: h, ldo: d,
                          batch: seqs, qLen: len, kvLen: len, heads: heads, headDim: hd, scale: scale, causal: causal,
                          scratch: ws.scores)
            l.wo.apply(h, rows: m, bias: l.bo.pointer, out: x, accumulate: true)
            Kernels.layerNorm(x, rows: m, width: d, gamma: l.ln2w.pointer, beta: l.ln2b.pointer, eps: eps, out: h)
            l.w1.apply(h, rows: m, bias: l.b1.pointer, out: f, activation: act)
            l.w2.apply(f, rows: m, bias: l.b2.pointer, out: x, accumulate: true)
        }
    }
}
