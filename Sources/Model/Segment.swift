// Engine inputs and outputs: a segment's modalities, and its per-task scores.
import Tensor

/// One segment to score. Any modality may be missing (nil or empty).
public struct Segment: Sendable {
    public var id: String
    /// Video frames [F, 3, H, W], CLIP-normalised (F = 12 by the design; any F ≥ 1 works).
    public var frames: Tensor?
    /// Spectrogram images [T_A, 3, H, W].
    public var audio: Tensor?
    /// Token ids SOS … EOS; when nil, `transcript` is tokenised by the engine.
    public var tokenIds: [Int]?
    /// Transcript text (used when tokenIds is nil; nil or blank means no language modality).
    public var transcript: String?
    /// The media window the inputs were cut from, in ms (the requested one clamped to the media's end).
    public var scoredStartMs: Int64?
    public var scoredDurationMs: Int64?

    public init(id: String, frames: Tensor? = nil, audio: Tensor? = nil, tokenIds: [Int]? = nil, transcript: String? = nil) {
        self.id = id; self.frames = frames; self.audio = audio; self.tokenIds = tokenIds; self.transcript = transcript
    }
}

public struct TaskScore: Sendable, Codable, Equatable {
    public var task: String
    public var kind: TaskKind
    public var labels: [String]
    /// One probability per label, in `labels` order.
    public var probabilities: [Float]
    public var predicted: [String]
}

public struct SegmentScore: Sendable, Codable, Equatable {
    public var id: String
    /// Modalities that took part, in fusion order.
    public var modalities: [Modality]
    public var tasks: [TaskScore]
    /// The media window that was scored, in ms (copied from the segment by the caller that knows it).
    public var scoredStartMs: Int64? = nil
    public var scoredDurationMs: Int64? = nil
    /// The segment's modality features [T, d] row-major, per modality it has, when the caller asked to keep
    /// them (a feature store); nil otherwise.
    public var features: [Modality: [Float]]? = nil

    public func task(_ name: String) -> TaskScore? { tasks.first { $0.task == name } }
}
