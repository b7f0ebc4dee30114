// The production SegmentScorer: the media front end and the MER-CLIP engine of one model directory.
import Foundation
import Media
import Model
import Tensor

public final class MERCLIPScorer: SegmentScorer {
    public let engine: MERCLIPEngine
    public let preprocessor: MediaPreprocessor
    /// Label-set name → an engine whose tasks score those labels instead.
    private let labelSetEngines: [String: MERCLIPEngine]

    public var modelName: String { engine.config.name }
    public var modelVersion: String { engine.config.version }
    public var modelTrained: Bool { engine.config.trained }
    public var labelSets: Set<String> { Set(labelSetEngines.keys) }
    /// When set, each score carries its segment's modality features (for the feature store), and this is
    /// the digest of the encoders that computed them (weights and precision: EncoderDigest).
    public let featureDigest: String?
    public var featureWidth: Int { engine.config.projectionDim }

    /// Loads `modelDirectory`; `labelSets` maps a set name to task → labels (words, phrases or sentences).
    public init(modelDirectory: String, labelSets: [String: [String: [String]]] = [:],
                limits: MediaLimits = .default, keepFeatures: Bool = false, precision: Precision? = nil) throws {
        engine = try MERCLIPEngine(directory: modelDirectory, precision: precision)
        // Keyed by the precision the encoders run in: int8 or bf16 features are never matched as fp32 ones.
        featureDigest = keepFeatures ? try EncoderDigest.of(directory: modelDirectory, precision: engine.model.compute.precision) : nil
        preprocessor = MediaPreprocessor(config: try MediaPreprocessConfig(modelDirectory: modelDirectory), limits: limits,
                                         decoderThreads: 1)
        var sets: [String: MERCLIPEngine] = [:]
        for (name, tasks) in labelSets {
            var e = engine
            for (task, labels) in tasks.sorted(by: { $0.key < $1.key }) { e = try e.withLabels(task: task, labels: labels) }
            sets[name] = e
        }
        labelSetEngines = sets
    }

    public func prepare(media: MediaInput, window: SegmentWindow, transcript: String?) throws -> Segment {
        let p = try preprocessor.process(media, window: window, transcript: transcript)
        var s = Segment(id: p.input,
                        frames: p.frames.map { Tensor(shape: p.framesShape, data: $0) },
                        audio: p.audio.map { Tensor(shape: p.audioShape, data: $0) },
                        tokenIds: p.transcript.map { engine.tokenize($0.text) },
                        transcript: p.transcript?.text)
        s.scoredStartMs = Int64((p.window.start * 1000).rounded())
        s.scoredDurationMs = p.window.duration.map { Int64(($0 * 1000).rounded()) }
        return s
    }

    /// Scores a batch; segments with a label set run through that set's engine (one call per set).
    public func score(_ batch: [Segment], labelSets: [String?]) throws -> [SegmentScore] {
        var out = [SegmentScore?](repeating: nil, count: batch.count)
        let groups = Dictionary(grouping: batch.indices) { labelSets[$0] ?? "" }
        for (set, indices) in groups {
            let e = set.isEmpty ? engine : labelSetEngines[set]!
            let run = try e.run(indices.map { batch[$0] })
            for (k, s) in run.scores.enumerated() {
                var scored = s
                if featureDigest != nil { scored.features = run.features[k].mapValues(\.data) }
                scored.scoredStartMs = batch[indices[k]].scoredStartMs
                scored.scoredDurationMs = batch[indices[k]].scoredDurationMs
                out[indices[k]] = scored
            }
        }
        return out.map { $0! }
    }
}
