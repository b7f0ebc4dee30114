// `merclip bench`: throughput of the MER-CLIP engine on random full-size weights (no files), with the
// FLOP rate reached, a raw OpenBLAS sgemm rate measured in the same run, and peak RSS.
import ArgumentParser
import Foundation
import Model
import Tensor

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure segments/s of the MER-CLIP engine (random weights held in memory).",
        discussion: """
        One segment = 12 frames + 12 spectrogram images (3×S×S) + a 40-token transcript, scored for the \
        emotion and sentiment tasks. A warm-up batch, then --iters timed batches of --batch segments.
        GFLOP/s uses the FLOP count of training/bench_reference.py (2 × multiply-adds of linear layers, patch \
        embedding and attention products), so the figure compares with the PyTorch reference directly. \
        "sgemm GFLOP/s" is a plain OpenBLAS 768×3072×(B·12·tokens) product timed in the same run: \
        the ceiling the engine can approach.
        --precision runs one or more modes one after the other (comma-separated): fp32 (this CPU's fp32 \
        backend), fp32-openblas, fp32-onednn, bf16, int8, auto, or all (every mode this CPU runs). Each \
        reduced-precision mode is compared with fp32 on the same segments (embedding cosines, head \
        probabilities). Peak RSS is the process's: measure one mode per run for a mode's memory. \
        On oneDNN the batch's images are encoded on 2 lanes side by side, each with half the cores \
        (MERCLIP_LANES=N sets the count, 1 splits every product over all cores instead).
        Example: merclip bench --preset vit-b-32 --batch 4 --iters 3 --precision all
        """)

    @Option(help: "Modes to measure, comma-separated: fp32, fp32-openblas, fp32-onednn, bf16, int8, auto, all (pipeline: one of fp32, bf16, int8, auto).")
    var precision: String = "fp32"

    @Flag(help: "Skip the comparison of reduced-precision modes with fp32 (which holds an fp32 model too): for a mode's own memory.")
    var noCompare = false

    @Option(help: "Model size: \(ModelPreset.allCases.map(\.rawValue).joined(separator: ", ")).")
    var preset: String = "vit-b-32"

    @Option(help: "Segments per batch.")
    var batch: Int = 4

    @Option(help: "Timed batches.")
    var iters: Int = 3

    @Option(help: "BLAS threads (default: MERCLIP_THREADS or all cores).")
    var threads: Int?

    @Option(help: "What to measure: model (the engine on ready tensors), media (decode + preprocess of a file, by default a 10 s 720p segment, next to the model time for it), pipeline (Kafka → worker → Postgres + Kafka next to the engine alone; needs --model, --media, --postgres).")
    var stage: String = "model"

    @Option(help: "model: a model directory to load instead of random weights (its memory is then the loaded model's); pipeline: the model directory (both measurements use it).")
    var model: String?

    @Option(help: "media: the file to decode and preprocess (default: MERCLIP_BENCH_MEDIA, else .build-test-media/bench720.mp4); pipeline: the file every segment event points to.")
    var media: String?

    @OptionGroup(title: "Pipeline (--stage pipeline)")
    var pipeline: PipelineOptions

    static let frames = 12, windows = 12, tokens = 40

    func validate() throws {
        guard ModelPreset(rawValue: preset) != nil else { throw ValidationError("unknown --preset \(preset)") }
        guard batch > 0, iters > 0 else { throw ValidationError("--batch and --iters must be positive") }
    }

    func run() throws {
        try Setting().applyBLASThreads(threads)
        switch stage {
        case "model": try runModel()
        case "media": try runMedia()
        case "pipeline": try runPipeline()
        default: throw ValidationError("unknown --stage \(stage) (available: model, media, pipeline)")
        }
    }

    func runModel() throws {
        guard let vocab = ModelFactory.findVocabulary() else {
            throw ValidationError("cannot find assets/clip-bpe: set MERCLIP_ASSETS to the assets directory")
        }
        let config = try model.map { try MERCLIPConfig.load($0 + "/config.json") } ?? ModelPreset(rawValue: preset)!.config()
        let tokenizer = try CLIPTokenizer(directory: vocab)
        let modes = try BenchModes.parse(precision)

        var rng = SeededRandom(seed: 2)
        func images(_ n: Int, _ v: VisionConfig) -> Tensor {
            let shape = [n, v.numChannels, v.imageSize, v.imageSize]
            var d = [Float](repeating: 0, count: shape.reduce(1, *))
            for i in d.indices { d[i] = rng.symmetric() * 1.7 }
            return Tensor(shape: shape, data: d)
        }
        let segments = (0..<batch).map { i -> Segment in
            let ids = [config.text.bosTokenId] + (0..<(Self.tokens - 2)).map { _ in Int(rng.next() % UInt64(config.text.vocabSize - 2)) }
                + [config.text.eosTokenId]
            return Segment(id: "bench-\(i)", frames: images(Self.frames, config.vision), audio: images(Self.windows, config.audio), tokenIds: ids)
        }

        print("merclip bench: preset \(preset), batch \(batch), iters \(iters), threads \(BLAS.threads)")
        print("backends: OpenBLAS core \(BLAS.coreName); \(OneDNN.summary)")
        if BLAS.isGenericCore {
            print("warning: OpenBLAS runs its generic \(BLAS.coreName) kernels on this CPU: fp32-openblas runs at SSE speed "
                  + "(fp32 uses oneDNN; set OPENBLAS_CORETYPE, e.g. Haswell or SkylakeX, for OpenBLAS's fast kernels)")
        }
        let flop = FlopCount.segment(config, frames: Self.frames, windows: Self.windows, tokens: Self.tokens)
        print(String(format: "GFLOP/segment: %.2f", flop / 1e9))
        var reference: MERCLIPEngine.Output?
        for mode in modes {
            let t0 = Date()
            let engine = MERCLIPEngine(model: try model.map { try MERCLIPModel(directory: $0, precision: mode.precision, mode: mode.mode) }
                ?? ModelFactory.randomModel(config, tokenizer: tokenizer, seed: 1, precision: mode.precision, mode: mode.mode))
            print(String(format: "mode %@: %@, loops on %@, %d image lane%@ (setup %.2f s)", mode.name, engine.model.compute.description,
                         Parallel.pool.rawValue, engine.laneCount, engine.laneCount == 1 ? "" : "s", Date().timeIntervalSince(t0)))
            let out = try engine.run(segments)   // warm-up
            var times: [Double] = []
            for _ in 0..<iters {
                let s = Date()
                _ = try engine.score(segments)
                times.append(Date().timeIntervalSince(s))
            }
            let mean = times.reduce(0, +) / Double(times.count)
            print(String(format: "  seconds/batch: %.3f (mean of %d; min %.3f, max %.3f)", mean, iters, times.min()!, times.max()!))
            print(String(format: "  segments/s: %.3f", Double(batch) / mean))
            print(String(format: "  GFLOP/s: %.1f", flop * Double(batch) / mean / 1e9))
            if engine.model.compute.precision == .fp32, reference == nil { reference = out }
            if engine.model.compute.precision != .fp32 && !noCompare {
                if reference == nil {
                    let fp32 = try model.map { try MERCLIPModel(directory: $0, mode: .defaultFP32) }
                        ?? ModelFactory.randomModel(config, tokenizer: tokenizer, seed: 1, mode: .defaultFP32)
                    reference = try MERCLIPEngine(model: fp32).run(segments)
                }
                print("  against fp32: \(Agreement(out, reference: reference!))")
            }
        }
        let gemm = sgemmRate(m: batch * Self.frames * config.vision.tokens, n: config.vision.intermediateSize, k: config.vision.hiddenSize)
        print(String(format: "OpenBLAS sgemm GFLOP/s: %.1f (%d×%d×%d, best of 3 after a warm-up)", gemm,
                     config.vision.hiddenSize, config.vision.intermediateSize, batch * Self.frames * config.vision.tokens))
        print(String(format: "peak RSS: %.0f MiB", peakRSSMiB()))
    }

    /// Best of 3 runs (after a warm-up run) of C[m,n] = A[m,k] · B[n,k]ᵀ, the shape of the encoders' MLP input layer.
    func sgemmRate(m: Int, n: Int, k: Int) -> Double {
        let a = UnsafeMutablePointer<Float>.allocate(capacity: m * k), b = UnsafeMutablePointer<Float>.allocate(capacity: n * k)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
        defer { a.deallocate(); b.deallocate(); c.deallocate() }
        a.initialize(repeating: 0.5, count: m * k); b.initialize(repeating: 0.25, count: n * k)
        Kernels.sgemm(transB: true, m: m, n: n, k: k, a: a, lda: k, b: b, ldb: k, c: c, ldc: n)   // warm-up
        var best = Double.infinity
        for _ in 0..<3 {
            let s = Date()
            Kernels.sgemm(transB: true, m: m, n: n, k: k, a: a, lda: k, b: b, ldb: k, c: c, ldc: n)
            best = min(best, Date().timeIntervalSince(s))
        }
        return 2 * Double(m) * Double(n) * Double(k) / best / 1e9
    }
}

/// Peak resident set size of this process: VmHWM of /proc/self/status on Linux (getrusage's ru_maxrss there
/// carries the parent's peak across fork and exec), else getrusage (ru_maxrss in bytes on macOS).
func peakRSSMiB() -> Double {
    #if os(Linux)
    if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
       let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
       let kib = Double(line.split(separator: " ").dropFirst().first ?? "") {
        return kib / 1024
    }
    #endif
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    #if os(macOS)
    return Double(u.ru_maxrss) / 1_048_576
    #else
    return Double(u.ru_maxrss) / 1024
    #endif
}
