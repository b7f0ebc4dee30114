// Where a model gets its label encoder: an fp32 CLIP text encoder needed only while label embeddings are computed
// (at load, and when a label set is swapped). Weights read from a model directory are read again from the mapped
// file each time, so the encoder's fp32 weights (about a quarter of a ViT-B/32 model) are not held while scoring;
// weights given in memory can be read once only, so that encoder is kept.
import Foundation
import Tensor

public final class LabelEncoderSource: @unchecked Sendable {
    private let lock = NSLock()
    private var kept: LabelEncoder?
    private let weights: Weights
    private let build: (Weights) throws -> LabelEncoder

    /// `build` makes the encoder from `weights`; it runs again on each use when the weights are in a file.
    init(_ weights: Weights, build: @escaping (Weights) throws -> LabelEncoder) {
        self.weights = weights
        self.build = build
    }

    /// True when the encoder stays in memory between uses (weights that were given in memory).
    public var isKept: Bool { lock.withLock { kept != nil } }

    /// Runs `body` with the label encoder (one use at a time).
    public func use<R>(_ body: (LabelEncoder) throws -> R) throws -> R {
        lock.lock()
        defer { lock.unlock() }
        if let kept { return try body(kept) }
        let encoder = try build(weights)
        if !weights.rereadable { kept = encoder }
        return try body(encoder)
    }
}
