// The GEMM backends behind PackedWeight: fp32 on OpenBLAS and oneDNN against a naive product (bias,
// activations, residual accumulate, strided views), int8 and bf16 against fp32, and the choice of auto.
import Foundation
import Testing
@testable import Tensor

/// y = act(x · Wᵀ + b) (+ y0 when accumulating), in Double.
private func naiveLinear(_ x: [Float], rows: Int, _ w: Tensor, _ b: [Float], _ act: Activation, onto y0: [Float]?) -> [Float] {
    let n = w.shape[0], k = w.shape[1]
    var out = [Float](repeating: 0, count: rows * n)
    for i in 0..<rows { for o in 0..<n {
        var s = Double(b[o])
        for j in 0..<k { s += Double(x[i * k + j]) * Double(w.data[o * k + j]) }
        out[i * n + o] = y0.map { $0[i * n + o] + Float(s) } ?? act.apply(Float(s))
    } }
    return out
}

private func cosine(_ a: [Float], _ b: [Float]) -> Float {
    var ab: Double = 0, aa: Double = 0, bb: Double = 0
    for (x, y) in zip(a, b) { ab += Double(x * y); aa += Double(x * x); bb += Double(y * y) }
    return Float(ab / (aa * bb).squareRoot())
}

/// Runs `w` packed in `mode` on x [rows, k]; `onto` gives the residual y0.
private func run(_ mode: ComputeMode, _ x: [Float], rows: Int, _ w: Tensor, _ b: [Float], _ act: Activation,
                 onto y0: [Float]? = nil) throws -> [Float] {
    let pw = try PackedWeight(w, mode: mode)
    var y = y0 ?? [Float](repeating: .nan, count: rows * w.shape[0])
    x.withUnsafeBufferPointer { xp in b.withUnsafeBufferPointer { bp in y.withUnsafeMutableBufferPointer { yp in
        pw.apply(xp.baseAddress!, rows: rows, bias: bp.baseAddress!, out: yp.baseAddress!, accumulate: y0 != nil, activation: act)
    } } }
    return y
}

@Suite struct BackendTests {
    static let activations: [Activation] = [.identity, .quickGelu, .gelu, .geluTanh, .relu]

    @Test(arguments: ComputeMode.Backend.allCases, activations)
    func fp32MatchesNaive(backend: ComputeMode.Backend, act: Activation) throws {
        let rows = 37, k = 48, n = 40
        let x = randomTensor([rows, k], seed: 1).data, w = randomTensor([n, k], seed: 2), b = randomTensor([n], seed: 3).data
        let got = try run(ComputeMode(.fp32, backend), x, rows: rows, w, b, act)
        #expect(maxDiff(got, naiveLinear(x, rows: rows, w, b, act, onto: nil)) < 1e-5)
    }

    @Test(arguments: ComputeMode.Backend.allCases)
    func fp32AccumulatesIntoStridedRows(backend: ComputeMode.Backend) throws {
        // x rows read with lda 10 (8 used), results added into every other 12-wide block of y (ldc 24)
        let rows = 5, k = 8, n = 12, lda = 10, ldc = 24
        let xs = randomTensor([rows, lda], seed: 4).data, w = randomTensor([n, k], seed: 5), b = randomTensor([n], seed: 6).data
        var y = randomTensor([rows, ldc], seed: 7).data
        let before = y
        let pw = try PackedWeight(w, mode: ComputeMode(.fp32, backend))
        xs.withUnsafeBufferPointer { xp in b.withUnsafeBufferPointer { bp in y.withUnsafeMutableBufferPointer { yp in
            pw.apply(xp.baseAddress!, rows: rows, bias: bp.baseAddress!, out: yp.baseAddress!, accumulate: true, lda: lda, ldc: ldc)
        } } }
        let x = (0..<rows).flatMap { i in xs[(i * lda)..<(i * lda + k)] }
        let y0 = (0..<rows).flatMap { i in before[(i * ldc)..<(i * ldc + n)] }
        let want = naiveLinear(x, rows: rows, w, b, .identity, onto: y0)
        #expect(maxDiff((0..<rows).flatMap { i in y[(i * ldc)..<(i * ldc + n)] }, want) < 1e-5)
        #expect((0..<rows).allSatisfy { i in Array(y[(i * ldc + n)..<((i + 1) * ldc)]) == Array(before[(i * ldc + n)..<((i + 1) * ldc)]) },
                "columns past the block are untouched")
    }

    /// The image encoders' last layer: one class-token row per image added into the residual stream (ldc = tokens ·
    /// width) with its bias. oneDNN 2.6's AVX-512 kernels do not take that output, and its reference loop took a
    /// second per call; such calls run dense and are added into place.
    @Test(arguments: [Precision.fp32, .bf16, .int8])
    func classTokenRowsAccumulateWithoutTheReferenceLoop(precision: Precision) throws {
        guard let mode = precision == .fp32 ? ComputeMode(.fp32, .onednn) : try? ComputeMode.forced(precision) else { return }
        let rows = 12, k = 768, n = 768, ldc = 50 * 768
        let x = randomTensor([rows, k], seed: 21).data, w = randomTensor([n, k], seed: 22), b = randomTensor([n], seed: 23).data
        var y = randomTensor([rows, ldc], seed: 24).data
        let before = y
        let pw = try PackedWeight(w, mode: mode)
        x.withUnsafeBufferPointer { xp in b.withUnsafeBufferPointer { bp in y.withUnsafeMutableBufferPointer { yp in
            pw.apply(xp.baseAddress!, rows: rows, bias: bp.baseAddress!, out: yp.baseAddress!, accumulate: true, ldc: ldc)
        } } }
        let y0 = (0..<rows).flatMap { i in before[(i * ldc)..<(i * ldc + n)] }
        let want = naiveLinear(x, rows: rows, w, b, .identity, onto: y0)
        let got = (0..<rows).flatMap { i in y[(i * ldc)..<(i * ldc + n)] }
        if precision == .fp32 { #expect(maxDiff(got, want) < 1e-3) } else { #expect(cosine(got, want) > 0.999) }
        #expect((0..<rows).allSatisfy { i in Array(y[(i * ldc + n)..<((i + 1) * ldc)]) == Array(before[(i * ldc + n)..<((i + 1) * ldc)]) },
                "the other tokens' rows are untouched")
        if let onednn = pw.onednn { #expect(onednn.referencePlans == 0, "\(mode): a plan runs oneDNN's reference loop") }
    }

    @Test func int8IsCloseToFP32() throws {
        let rows = 64, k = 256, n = 96
        let x = randomTensor([rows, k], seed: 8).data, w = randomTensor([n, k], seed: 9), b = randomTensor([n], seed: 10).data
        let mode = try ComputeMode.forced(.int8)
        let ref = naiveLinear(x, rows: rows, w, b, .quickGelu, onto: nil)
        #expect(cosine(try run(mode, x, rows: rows, w, b, .quickGelu), ref) > 0.999)
        let y0 = randomTensor([rows, n], seed: 11).data
        let acc = try run(mode, x, rows: rows, w, b, .identity, onto: y0)
        #expect(cosine(acc, naiveLinear(x, rows: rows, w, b, .identity, onto: y0)) > 0.999)
        #expect(try PackedWeight(w, mode: mode).bytes == n * k, "int8 keeps one byte per weight, no fp32 copy")
    }

    @Test("forcing bf16 without AMX says it runs slower than fp32 here; with AMX, or forcing int8, says nothing of the kind")
    func forcedBF16WithoutAMXWarns() throws {
        final class Lines: @unchecked Sendable { var all: [(EngineLog.Level, String)] = []; let lock = NSLock() }
        let lines = Lines()
        try EngineLog.$taskSink.withValue({ level, l in lines.lock.lock(); lines.all.append((level, l)); lines.lock.unlock() }) {
            _ = try AutoPrecision.resolve(.int8, shape: (rows: 8, out: 16, in: 16))
            #expect(!lines.all.contains { $0.1.contains("slower than fp32") })
            guard (try? ComputeMode.forced(.bf16)) != nil else { return }   // no bf16 here: bf16RunsOrNamesTheMissingISA
            _ = try AutoPrecision.resolve(.bf16, shape: (rows: 8, out: 16, in: 16))
            let warned = lines.all.filter { $0.0 == .warning && $0.1.contains("bf16") && $0.1.contains("slower than fp32") }
            #expect(warned.count == (OneDNN.isa.contains("amx") ? 0 : 1), "\(lines.all)")
        }
    }

    @Test func bf16RunsOrNamesTheMissingISA() throws {
        do {
            let mode = try ComputeMode.forced(.bf16)
            let rows = 16, k = 64, n = 32
            let x = randomTensor([rows, k], seed: 12).data, w = randomTensor([n, k], seed: 13), b = randomTensor([n], seed: 14).data
            #expect(cosine(try run(mode, x, rows: rows, w, b, .gelu), naiveLinear(x, rows: rows, w, b, .gelu, onto: nil)) > 0.999)
        } catch let e as TensorError {
            #expect("\(e)".contains("AVX-512") && "\(e)".contains(OneDNN.isa), "\(e)")
            #expect(!ComputeMode.available.contains { $0.precision == .bf16 })
        }
    }

    @Test func autoPicksTheFastestTimedModeAndSaysSo() throws {
        final class Lines: @unchecked Sendable { var all: [String] = []; let lock = NSLock() }
        let lines = Lines()
        try EngineLog.$taskSink.withValue({ _, l in lines.lock.lock(); lines.all.append(l); lines.lock.unlock() }) {
            let (mode, choice) = try AutoPrecision.resolve(.auto, shape: (rows: 64, out: 128, in: 96))
            let c = try #require(choice)
            #expect(c.mode == mode)
            #expect(c.timings.first?.0 == mode, "the fastest timing is the mode chosen")
            #expect(Set(c.timings.map(\.0)) == Set(ComputeMode.available), "every available mode was timed")
            #expect(lines.all.contains { $0 == c.summary && $0.contains("chose \(mode)") })
            let (forced, none) = try AutoPrecision.resolve(.fp32, shape: (rows: 1, out: 1, in: 1))
            #expect(none == nil && forced.precision == .fp32)
        }
    }

    @Test func precisionNamesTheBadValueAndItsSource() {
        #expect(throws: TensorError.self) { try Precision(parsing: "fp16") }
        do { _ = try Precision(parsing: "int4", source: "MERCLIP_PRECISION") } catch {
            #expect("\(error)".contains("MERCLIP_PRECISION 'int4'") && "\(error)".contains("fp32, bf16, int8, auto"))
        }
        #expect((try? Precision(parsing: "INT8")) == .int8)
    }
}
