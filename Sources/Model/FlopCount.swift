// The FLOP count shared with training/bench_reference.py: 2 × multiply-adds of linear layers, the patch
// embedding and the two attention products (full square); LayerNorm, softmax, activations, biases not counted.
public enum FlopCount {
    /// Multiply-adds of one image through a ViT (with the projection of the class token).
    public static func vitMACs(_ v: VisionConfig, projectionDim d: Int) -> Double {
        let g = Double(v.patchesPerSide), n = g * g + 1, w = Double(v.hiddenSize), i = Double(v.intermediateSize)
        let layer = 4 * n * w * w + 2 * n * w * i + 2 * n * n * w
        return g * g * w * Double(v.numChannels * v.patchSize * v.patchSize) + Double(v.numHiddenLayers) * layer + w * Double(d)
    }

    /// Multiply-adds of one token sequence of length t (projection at every position).
    public static func textMACs(_ c: TextConfig, tokens t: Int, projectionDim d: Int) -> Double {
        let t = Double(t), w = Double(c.hiddenSize), i = Double(c.intermediateSize)
        return Double(c.numHiddenLayers) * (4 * t * w * w + 2 * t * w * i + 2 * t * t * w) + t * w * Double(d)
    }

    /// Multiply-adds of one task's decoder over modalities with the given key counts, plus its head.
    public static func decoderMACs(d: Int, ffn: Int, keys: [Int], labels: Int) -> Double {
        let d = Double(d), f = Double(ffn)
        return Double(labels) * d + keys.reduce(0) { total, t in
            let t = Double(t)
            return total + 4 * d * d + 2 * d + 2 * d * d + 2 * t * d * d + 2 * t * d + 2 * d * f
        }
    }

    /// FLOP of one segment with `frames` frames, `windows` audio windows and a `tokens`-token transcript.
    public static func segment(_ c: MERCLIPConfig, frames: Int, windows: Int, tokens: Int) -> Double {
        let d = c.projectionDim
        var macs = Double(frames) * vitMACs(c.vision, projectionDim: d) + Double(windows) * vitMACs(c.audio, projectionDim: d)
            + textMACs(c.text, tokens: tokens, projectionDim: d)
        let keys = c.fusionOrder.map { $0 == .language ? tokens : ($0 == .vision ? frames : windows) }
        for t in c.tasks {
            macs += decoderMACs(d: d, ffn: c.decoder.intermediateSize, keys: keys, labels: t.labels.count)
        }
        return 2 * macs
    }
}
