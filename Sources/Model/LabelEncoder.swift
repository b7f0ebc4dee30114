// The label encoder: a frozen CLIP text encoder with prompt learning — "X … X {word}." whose X embeddings are
// replaced by a task's learned context vectors; label embeddings (L2-normalised) and the task query at EOS.
import Foundation
import Tensor

public struct LabelEncoder: Sendable {
    public let text: CLIPTextEncoder
    public let tokenizer: CLIPTokenizer
    public let contextLength: Int

    /// The prompt text for one label (or query word; "" gives "X … X .").
    public func prompt(_ word: String) -> String {
        Array(repeating: "X", count: contextLength).joined(separator: " ") + " \(word)."
    }

    /// Label embeddings [L, d] (L2-normalised) and the query Z^E [d] (not normalised) for context `ctx` [k, width].
    public func embed(ctx: Tensor, labels: [String], query: String) throws -> (labels: Tensor, query: [Float]) {
        let seqs = (labels + [query]).map { tokenizer(prompt($0)) }
        let pooled = try text.encode(seqs, context: ctx).pooled
        let d = pooled.shape[1]
        var e = pooled.rows(0..<labels.count)
        for i in 0..<labels.count {
            var n: Float = 0
            for j in 0..<d { n += e.data[i * d + j] * e.data[i * d + j] }
            let inv = 1 / max(n.squareRoot(), 1e-12)
            for j in 0..<d { e.data[i * d + j] *= inv }
        }
        return (e, pooled.row(labels.count))
    }
}
