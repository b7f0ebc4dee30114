// Task heads: cosine similarity of the decoder output with the label embeddings; multi-label
// (standardised sigmoid, threshold) or single-label (softmax of exp(logit_scale)·s, argmax).
import Foundation
import Tensor

public struct TaskHead: Sendable {
    public let config: TaskConfig
    /// [L, d], L2-normalised.
    public let labelEmbeddings: Tensor
    /// Z^E [d].
    public let query: [Float]
    public let logitScale: Float

    /// Probabilities per label for one decoder output Z [d].
    public func probabilities(_ z: [Float]) -> [Float] {
        let d = z.count, l = config.labels.count
        let norm = max(z.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot(), 1e-12)
        var s = [Float](repeating: 0, count: l)
        for i in 0..<l {
            var dot: Float = 0
            for j in 0..<d { dot += z[j] * labelEmbeddings.data[i * d + j] }
            s[i] = dot / norm
        }
        switch config.kind {
        case .multiLabel:
            let mean = s.reduce(0, +) / Float(l)
            let variance = l > 1 ? s.reduce(Float(0)) { $0 + ($1 - mean) * ($1 - mean) } / Float(l - 1) : 0
            let std = variance.squareRoot()
            // a zero spread (all labels equally similar) gives 0.5 everywhere instead of NaN
            return s.map { std > 0 ? 1 / (1 + expf(-($0 - mean) / std)) : 0.5 }
        case .singleLabel:
            let scale = expf(logitScale)
            let logits = s.map { $0 * scale }
            let m = logits.max() ?? 0
            let e = logits.map { expf($0 - m) }
            let total = e.reduce(0, +)
            return e.map { $0 / total }
        }
    }

    /// multi_label: labels with p > threshold; single_label: the argmax label.
    public func predicted(_ p: [Float]) -> [String] {
        switch config.kind {
        case .multiLabel:
            let t = Float(config.threshold ?? 0.6)
            return zip(config.labels, p).filter { $0.1 > t }.map(\.0)
        case .singleLabel:
            var best = 0
            for i in p.indices where p[i] > p[best] { best = i }
            return [config.labels[best]]
        }
    }
}
