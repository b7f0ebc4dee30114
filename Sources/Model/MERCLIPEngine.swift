// The MER-CLIP engine: scores a batch of segments with any mix of modalities, running each encoder once over
// all of the batch's images / token sequences, then each task's decoder and head.
import Foundation
import Tensor

/// Thread-safe (immutable after init). `score` BLOCKS the calling thread for the whole computation and uses
/// BLAS.threads cores: call it from a thread or DispatchQueue of your own, not from Swift's cooperative pool.
/// The images run on the engine's lanes (its own threads; the caller is lane 0). Concurrent calls are safe but
/// compete for the same cores (their image stages take turns).
public final class MERCLIPEngine: Sendable {
    public let model: MERCLIPModel
    /// Lanes encoding chunks of the batch's images side by side, each on its share of the cores.
    let lanes: EngineLanes

    /// `lanes`: image-encoder lanes (at most BLAS.threads); nil: `MERCLIP_LANES`, else `defaultLanes(model.compute)`.
    public init(model: MERCLIPModel, lanes: Int? = nil) {
        self.model = model
        self.lanes = EngineLanes(count: min(lanes ?? Self.environmentLanes ?? Self.defaultLanes(model.compute), BLAS.threads))
    }

    /// `MERCLIP_LANES` when set to a positive integer; another value is logged and left out.
    static var environmentLanes: Int? { lanes(fromEnvironment: ProcessInfo.processInfo.environment["MERCLIP_LANES"]) }

    static func lanes(fromEnvironment raw: String?) -> Int? {
        guard let raw else { return nil }
        guard let n = Int(raw), n > 0 else {
            EngineLog.once("MERCLIP_LANES=\(raw) is not a positive integer: the engine uses its default image lanes", level: .warning)
            return nil
        }
        return n
    }

    /// 2 lanes of half the cores each where the products run on oneDNN (its primitives take a thread count per
    /// call; OpenBLAS has one process-wide count), else 1.
    public static func defaultLanes(_ mode: ComputeMode) -> Int {
        mode.backend == .onednn && BLAS.threads >= 2 ? 2 : 1
    }

    /// Image-encoder lanes in use (no more than BLAS.threads at the time of the call).
    public var laneCount: Int { lanes.active() }

    /// Loads a MER-CLIP model directory; `precision` nil: MERCLIP_PRECISION, else fp32.
    public convenience init(directory: String, precision: Precision? = nil) throws {
        self.init(model: try MERCLIPModel(directory: directory, precision: precision))
    }

    public var config: MERCLIPConfig { model.config }

    /// A new engine whose task `task` scores `labels` (label embeddings recomputed once, now).
    public func withLabels(task: String, labels: [String]) throws -> MERCLIPEngine {
        MERCLIPEngine(model: try model.withLabels(task: task, labels: labels), lanes: lanes.count)
    }

    /// Token ids SOS … EOS of a transcript (CLIP tokenizer, at most max_text_tokens).
    public func tokenize(_ text: String) -> [Int] { model.tokenizer(text) }

    /// Scores of each segment, in input order. Blocks (see the type's comment).
    public func score(_ segments: [Segment]) throws -> [SegmentScore] { try run(segments).scores }

    /// Everything one batch computes (features and decoder outputs are for tests and debugging).
    public struct Output: Sendable {
        public var scores: [SegmentScore]
        /// Per segment, per modality: features [T, d] (absent when the segment lacks the modality).
        public var features: [[Modality: Tensor]]
        /// Per task: decoder outputs Z [B, d] after the final LayerNorm.
        public var decoderOutputs: [String: Tensor]
    }

    public func run(_ segments: [Segment]) throws -> Output {
        let m = model
        let b = segments.count
        var features = [[Modality: Tensor]](repeating: [:], count: b)

        // images: vision frames and audio windows, the batch's images of each encoder together
        let mods = [Modality.vision, .audio], encoders = [m.vision, m.audio]
        var owners: [[(Int, Int)]] = [[], []]   // per encoder: (segment, image count)
        var pixels: [[Float]] = [[], []]
        for (e, mod) in mods.enumerated() {
            let vc = encoders[e].config
            for (i, s) in segments.enumerated() {
                guard let t = mod == .vision ? s.frames : s.audio, t.count > 0 else { continue }
                guard t.rank == 4, t.shape[1] == vc.numChannels, t.shape[2] == vc.imageSize, t.shape[3] == vc.imageSize else {
                    throw ModelError.input("segment \(s.id): \(mod == .vision ? "frames" : "audio") have shape \(t.shape), expected [N, \(vc.numChannels), \(vc.imageSize), \(vc.imageSize)]")
                }
                owners[e].append((i, t.shape[0]))
                if pixels[e].isEmpty { pixels[e].reserveCapacity(t.count * b) }
                pixels[e] += t.data
            }
        }
        let embedded = embedImages(encoders, pixels: pixels, counts: owners.map { $0.reduce(0) { $0 + $1.1 } })
        for e in mods.indices {
            var row = 0
            for (i, k) in owners[e] {
                features[i][mods[e]] = embedded[e].rows(row..<(row + k))
                row += k
            }
        }

        // language: all transcripts in one padded batch
        var textOwners: [Int] = [], seqs: [[Int]] = []
        for (i, s) in segments.enumerated() {
            if let ids = s.tokenIds {
                if ids.isEmpty { continue }
                seqs.append(ids)
            } else if let text = s.transcript, !text.allSatisfy({ $0.isWhitespace }) {
                seqs.append(m.tokenizer(text))
            } else { continue }
            textOwners.append(i)
        }
        for (k, i) in textOwners.enumerated() {
            do { try m.language.checkIds([seqs[k]]) } catch let e as ModelError {
                throw ModelError.input("segment \(segments[i].id): \(e)".replacingOccurrences(of: "token sequence 0", with: "token ids"))
            }
        }
        if !seqs.isEmpty {
            let out = try m.language.encode(seqs)
            for (k, i) in textOwners.enumerated() { features[i][.language] = out.upToEOS(k) }
        }

        let (scores, decoderOutputs) = decode(ids: segments.map(\.id), features: features)
        return Output(scores: scores, features: features, decoderOutputs: decoderOutputs)
    }

    /// Features [counts[e], projectionDim] of each encoder's images (`pixels[e]`, one after the other): chunks
    /// of them on the lanes side by side, each lane with a workspace of its own.
    func embedImages(_ encoders: [CLIPVisionEncoder], pixels: [[Float]], counts: [Int]) -> [Tensor] {
        let d = model.config.projectionDim
        let targets = counts.map { UnsafeMutablePointer<Float>.allocate(capacity: max($0 * d, 1)) }
        defer { for t in targets { t.deallocate() } }
        let threads = BLAS.threads
        let jobs = ImageJobs(counts: counts, lanes: lanes.active(threads: threads), chunk: encoders[0].imageChunk)
        lanes.run(threads: threads) { _ in
            let ws = EncoderWorkspace()
            while let job = jobs.take() {
                let c = encoders[job.encoder].config, size = c.numChannels * c.imageSize * c.imageSize
                pixels[job.encoder].withUnsafeBufferPointer { px in
                    encoders[job.encoder].embed(px.baseAddress! + job.start * size, count: job.count,
                                                out: targets[job.encoder] + job.start * d, ws: ws)
                }
            }
        }
        return counts.indices.map { Tensor(shape: [counts[$0], d], data: Array(UnsafeBufferPointer(start: targets[$0], count: counts[$0] * d))) }
    }

    /// Scores from modality features alone: each task's decoder and head, no encoder. `features[i]` holds
    /// segment i's features [T, d] per modality it has. Blocks (see the type's comment).
    public func decode(ids: [String], features: [[Modality: Tensor]]) -> (scores: [SegmentScore], decoderOutputs: [String: Tensor]) {
        let m = model, c = m.config, b = ids.count
        var decoderOutputs: [String: Tensor] = [:]
        var scores = ids.enumerated().map { i, id in
            SegmentScore(id: id, modalities: c.fusionOrder.filter { features[i][$0] != nil }, tasks: [])
        }
        for t in m.tasks {
            let memories = c.fusionOrder.map { mod in features.map { $0[mod] } }
            let z = t.decoder.forward(query: t.head.query, batch: b, memories: memories)
            decoderOutputs[t.config.name] = z
            for i in 0..<b {
                let p = t.head.probabilities(z.row(i))
                scores[i].tasks.append(TaskScore(task: t.config.name, kind: t.config.kind, labels: t.config.labels,
                                                 probabilities: p, predicted: t.head.predicted(p)))
            }
        }
        return (scores, decoderOutputs)
    }
}
