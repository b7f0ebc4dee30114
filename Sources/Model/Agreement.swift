// How closely two runs of the engine on the same segments agree (a reduced-precision mode against fp32):
// the smallest cosine of image and text embeddings and the largest difference of head probabilities.
import Foundation
import Tensor

public struct Agreement: Sendable, CustomStringConvertible {
    /// Smallest cosine over all frame and spectrogram-window embeddings.
    public var imageCosine: Float = 1
    /// Smallest cosine over the transcripts' pooled (EOS) text embeddings.
    public var textCosine: Float = 1
    /// Largest |p − p_reference| over every label of every task.
    public var probabilityDifference: Float = 0

    public init(_ got: MERCLIPEngine.Output, reference: MERCLIPEngine.Output) {
        for (g, r) in zip(got.features, reference.features) {
            for mod in [Modality.vision, .audio] {
                if let a = g[mod], let b = r[mod] {
                    for i in 0..<a.rows { imageCosine = min(imageCosine, Self.cosine(a.row(i), b.row(i))) }
                }
            }
            if let a = g[.language], let b = r[.language] {
                textCosine = min(textCosine, Self.cosine(a.row(a.rows - 1), b.row(b.rows - 1)))
            }
        }
        for (g, r) in zip(got.scores, reference.scores) {
            for (tg, tr) in zip(g.tasks, r.tasks) {
                for (p, q) in zip(tg.probabilities, tr.probabilities) { probabilityDifference = max(probabilityDifference, abs(p - q)) }
            }
        }
    }

    public static func cosine(_ a: [Float], _ b: [Float]) -> Float {
        var ab: Float = 0, aa: Float = 0, bb: Float = 0
        for (x, y) in zip(a, b) { ab += x * y; aa += x * x; bb += y * y }
        return ab / max((aa * bb).squareRoot(), 1e-30)
    }

    public var description: String {
        String(format: "image cos ≥ %.5f, text cos ≥ %.5f, |Δp| ≤ %.4f", imageCosine, textCosine, probabilityDifference)
    }
}
