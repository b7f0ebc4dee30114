// `merclip rescore`: score stored segments again from their modality features (decoders and heads only).
import ArgumentParser
import Foundation
import Model
import Sinks
import Tensor

struct RescoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rescore",
        abstract: "Re-score stored segments from their modality features, without media or encoders.",
        discussion: """
        Workers started with --store-features keep each segment's modality features in Postgres \
        (table segment_features) under the digest of the encoders that computed them. When --model's \
        encoders (weights, configs and preprocessing) have that digest, its decoders and heads score the \
        stored features of the time range or streams, and the results land beside the old ones in Postgres \
        (key: segment, model version, task, label set). A model with other encoders cannot reuse them: \
        the command says so, and `merclip replay` re-scores from media instead. The digest includes the \
        precision the encoders ran in: features stored by workers with --precision int8 or bf16 are \
        reused only with --features-precision int8 or bf16 (their scores then carry that precision's \
        rounding, as the workers' did).
        Examples:
          merclip rescore --model models/v2 --since 2026-11-01T00:00:00Z
          merclip rescore --model models/v1 --stream-id call-42 --label-set support \\
              --labels "emotion=calm,annoyed,grateful"
        """)

    @Option(help: "Model directory whose decoders and heads score (its encoders must match the stored features').")
    var model: String
    @Option(help: "Segments produced at or after this time: RFC 3339, or seconds since the epoch.") var since: String?
    @Option(help: "Segments produced before this time.") var until: String?
    @Option(name: .customLong("stream-id"), help: "Only these streams (repeatable).") var streamIDs: [String] = []
    @Option(help: "Name of the label set the new scores are stored under (with --labels).") var labelSet: String?
    @Option(help: "TASK=label,label,... : the labels of that task in the label set (repeatable).") var labels: [String] = []
    @Option(help: "Segments decoded per engine call.") var batchSize: Int = 64
    @Option(help: "Postgres URL (MERCLIP_POSTGRES_URL).") var postgres: String?
    @Option(help: "BLAS threads of the decoders (MERCLIP_THREADS; default: all cores).") var threads: Int?
    @Option(help: "Reuse features the encoders computed at this precision, the storing workers' --precision: fp32, bf16 or int8 (MERCLIP_FEATURES_PRECISION, default fp32).")
    var featuresPrecision: String?

    func validate() throws {
        if since == nil && streamIDs.isEmpty { throw ValidationError("give --since TIME (optionally --until) or --stream-id S") }
        if (labelSet == nil) != labels.isEmpty { throw ValidationError("--label-set and --labels go together") }
        if batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
    }

    func run() throws {
        let env = Setting()
        let postgres = try env.required(self.postgres, "MERCLIP_POSTGRES_URL", option: "--postgres")
        try env.applyBLASThreads(threads)
        let precision = try env.choice(featuresPrecision, "MERCLIP_FEATURES_PRECISION", option: "--features-precision",
                                       default: Precision.fp32, names: ["fp32", "bf16", "int8"]) {
            Precision(rawValue: $0.lowercased()).flatMap { $0 == .auto ? nil : $0 }
        }
        let started = Date(), cpu0 = processCPUSeconds()
        var engine = try MERCLIPEngine(directory: model)
        for spec in labels {
            guard let eq = spec.firstIndex(of: "="), eq != spec.startIndex else {
                throw ValidationError("--labels \(spec): expected TASK=label,label,...")
            }
            let names = spec[spec.index(after: eq)...].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            engine = try engine.withLabels(task: String(spec[..<eq]), labels: names.filter { !$0.isEmpty })
        }
        let digest = try EncoderDigest.of(directory: model, precision: precision)
        let selection = FeatureStore.Selection(since: try since.map { try parseTime($0, "--since") },
                                               until: try until.map { try parseTime($0, "--until") },
                                               streamIDs: streamIDs, encoderDigest: digest)
        let store = FeatureStore(url: postgres)
        let stored = try store.read(selection)
        if stored.isEmpty { throw RescoreError(try explainNothing(store, selection, precision: precision)) }
        let writer = ResultWriter(url: postgres)
        let set = labelSet ?? ResultRow.defaultLabelSet
        let c = engine.config
        var written = 0
        for start in stride(from: 0, to: stored.count, by: batchSize) {
            let batch = Array(stored[start..<min(start + batchSize, stored.count)])
            let features = try batch.map { try tensors($0, width: c.projectionDim) }
            let t0 = Date()
            let scores = engine.decode(ids: batch.map(\.segmentID), features: features).scores
            let modelMs = Date().timeIntervalSince(t0) * 1000 / Double(batch.count)
            var rows: [ResultRow] = []
            for (f, s) in zip(batch, scores) {
                for t in s.tasks {
                    rows.append(ResultRow(segmentID: f.segmentID, modelVersion: c.version, task: t.task, modelName: c.name,
                                          streamID: f.streamID, startMs: f.startMs, durationMs: f.durationMs,
                                          kind: t.kind.rawValue, scores: Array(zip(t.labels, t.probabilities)),
                                          predicted: t.predicted, modalities: s.modalities.map(\.rawValue),
                                          modelTrained: c.trained, modelMs: modelMs, source: f.source,
                                          producedAt: f.producedAt, metadataJSON: f.metadataJSON, labelSet: set))
                }
            }
            try writer.write(results: rows, failures: [])
            written += batch.count
        }
        print(String(format: "rescore: %d segments from stored features (encoders %@) scored by %@@%@, label set %@, "
                     + "in %.2f s (CPU %.2f s)", written, digest, c.name, c.version, set,
                     Date().timeIntervalSince(started), processCPUSeconds() - cpu0))
    }

    /// A stored row as the engine's features, checking its width.
    private func tensors(_ f: SegmentFeatures, width d: Int) throws -> [Modality: Tensor] {
        guard f.dim == d else {
            throw RescoreError("stored features of segment \(f.segmentID) are \(f.dim) wide, the model's decoders take \(d)")
        }
        var out: [Modality: Tensor] = [:]
        for (name, data) in f.modalities {
            guard let m = Modality(rawValue: name) else { continue }
            out[m] = Tensor(shape: [data.count / d, d], data: data)
        }
        return out
    }

    private func explainNothing(_ store: FeatureStore, _ selection: FeatureStore.Selection, precision: Precision) throws -> String {
        let others = try store.digests(selection)
        if others.isEmpty {
            return "no stored features in the range (workers keep them with --store-features); re-score from media with `merclip replay`"
        }
        // The same weights at another precision: say which, and how to reuse them.
        for p in [Precision.fp32, .bf16, .int8] where p != precision {
            let d = try EncoderDigest.of(directory: model, precision: p)
            if let n = others.first(where: { $0.digest == d })?.segments {
                return "the stored features of the range (\(n) segments) were computed by these encoders at \(p.rawValue), "
                    + "not \(precision.rawValue): give --features-precision \(p.rawValue) to reuse them (scores then carry "
                    + "\(p.rawValue)'s rounding), or re-score from media with `merclip replay`"
            }
        }
        let list = others.map { "\($0.digest): \($0.segments)" }.joined(separator: ", ")
        return "the stored features of the range were computed by other encoders (\(list)); this model's encoders at "
            + "\(precision.rawValue) are \(selection.encoderDigest), so their features cannot be reused: re-score from media "
            + "with `merclip replay`"
    }
}

struct RescoreError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = "rescore: " + d }
}
