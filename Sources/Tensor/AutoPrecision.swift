// Precision auto: times the model's own GEMM shape in every mode this CPU runs and picks the fastest.
import Foundation

public struct AutoChoice: Sendable {
    public let mode: ComputeMode
    /// Seconds per product of the timed shape, per candidate mode, fastest first.
    public let timings: [(ComputeMode, Double)]
    /// "precision auto: int8 (oneDNN avx2), timing 600×3072×768: int8 (oneDNN avx2) 9.1 ms, ..."
    public let summary: String
}

public enum AutoPrecision {
    /// Resolves `p`: auto times `shape` (rows × out × in, e.g. an encoder's MLP input layer) in each available mode
    /// (a few products each, well under a second) and logs the choice; other precisions are forced.
    public static func resolve(_ p: Precision, shape: (rows: Int, out: Int, in: Int)) throws -> (ComputeMode, AutoChoice?) {
        guard p == .auto else {
            let mode = try ComputeMode.forced(p)
            if let why = slowerThanFP32(mode) { EngineLog.say(why, level: .warning) }
            return (mode, nil)
        }
        let choice = choose(shape: shape)
        EngineLog.say(choice.summary)
        return (choice.mode, choice)
    }

    /// Why a forced mode is known to run slower than fp32 on this CPU, or nil: bf16 without AMX (oneDNN 2.6's
    /// AVX512-BF16 kernels measured slower than its fp32 ones, docs/benchmarks.md).
    public static func slowerThanFP32(_ mode: ComputeMode) -> String? {
        guard mode.precision == .bf16, !OneDNN.isa.contains("amx") else { return nil }
        return "precision bf16 on this CPU (oneDNN \(OneDNN.isa), no AMX) runs slower than fp32; int8, fp32 or auto are faster here"
    }

    public static func choose(shape: (rows: Int, out: Int, in: Int), candidates: [ComputeMode] = ComputeMode.available) -> AutoChoice {
        let (m, n, k) = shape
        var rng = UInt32(12345)
        let w = (0..<(n * k)).map { _ -> Float in rng = rng &* 1_664_525 &+ 1_013_904_223; return Float(Int32(bitPattern: rng)) / 2e10 }
        let x = UnsafeMutablePointer<Float>.allocate(capacity: m * k), y = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
        defer { x.deallocate(); y.deallocate() }
        for i in 0..<(m * k) { x[i] = Float(i % 17) / 17 - 0.5 }
        let bias = [Float](repeating: 0.1, count: n)
        var timings: [(ComputeMode, Double)] = []
        for mode in candidates {
            guard let pw = try? PackedWeight(w, out: n, in: k, mode: mode) else { continue }
            var best = Double.infinity
            bias.withUnsafeBufferPointer { b in
                for i in 0..<3 {   // the first call creates the primitive
                    let s = DispatchTime.now().uptimeNanoseconds
                    pw.apply(x, rows: m, bias: b.baseAddress, out: y, activation: .quickGelu)
                    if i > 0 { best = min(best, Double(DispatchTime.now().uptimeNanoseconds - s) / 1e9) }
                }
            }
            timings.append((mode, best))
        }
        timings.sort { $0.1 < $1.1 }
        let list = timings.map { String(format: "%@ %.1f ms", $0.0.description, $0.1 * 1000) }.joined(separator: ", ")
        let missing = [Precision.bf16, .int8].filter { p in !timings.contains { $0.0.precision == p } }
            .map { p in (try? ComputeMode.forced(p)) == nil ? "; \(p.rawValue) unavailable" : "" }.joined()
        let mode = timings.first?.0 ?? .reference
        return AutoChoice(mode: mode, timings: timings,
                          summary: "precision auto: chose \(mode), timing \(m)×\(n)×\(k): \(list)\(missing)")
    }
}
