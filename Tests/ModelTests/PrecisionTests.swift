// Reduced-precision modes on the committed fixtures against fp32, the mode auto logs being the mode used,
// and forced modes that this CPU lacks failing with what is missing.
import Foundation
import Testing
@testable import Model
import Tensor

@Suite struct PrecisionTests {
    static func run(_ shape: String, _ mode: ComputeMode) throws -> MERCLIPEngine.Output {
        let engine = MERCLIPEngine(model: try MERCLIPModel(directory: Fixtures.model(shape, "merclip"), mode: mode))
        return try engine.run(try MERCLIPParityTests.segments(shape))
    }

    @Test(arguments: Fixtures.shapes)
    func int8AgreesWithFP32(shape: String) throws {
        let a = Agreement(try Self.run(shape, try ComputeMode.forced(.int8)), reference: try Self.run(shape, .reference))
        #expect(a.imageCosine >= 0.995 && a.textCosine >= 0.995, "\(shape): \(a)")
        #expect(a.probabilityDifference <= 0.03, "\(shape): \(a)")
    }

    @Test(arguments: Fixtures.shapes)
    func bf16AgreesWithFP32OrSaysWhatIsMissing(shape: String) throws {
        guard let mode = try? ComputeMode.forced(.bf16) else {
            let e = #expect(throws: TensorError.self) { _ = try MERCLIPModel(directory: Fixtures.model(shape, "merclip"), precision: .bf16) }
            #expect(e.map { "\($0)".contains("bf16 needs") && "\($0)".contains(OneDNN.isa) } == true)
            return
        }
        let a = Agreement(try Self.run(shape, mode), reference: try Self.run(shape, .reference))
        #expect(a.imageCosine >= 0.999 && a.textCosine >= 0.999, "\(shape): \(a)")
        #expect(a.probabilityDifference <= 0.01, "\(shape): \(a)")
    }

    @Test func autoUsesTheModeItLogs() throws {
        final class Lines: @unchecked Sendable { var all: [String] = []; let lock = NSLock() }
        let lines = Lines()
        try EngineLog.$taskSink.withValue({ _, l in lines.lock.lock(); lines.all.append(l); lines.lock.unlock() }) {
            let m = try MERCLIPModel(directory: Fixtures.model("tiny-a", "merclip"), precision: .auto)
            let choice = try #require(m.autoChoice)
            #expect(choice.mode == m.compute)
            #expect(lines.all.filter { $0.hasPrefix("precision auto") } == [choice.summary], "logged once, what was chosen")
            #expect(lines.all.contains { $0.contains("chose \(m.compute)") })
            // the encoders' weights are packed in that mode; the label encoder and decoders in its fp32
            #expect(m.vision.patchWeight.mode == m.compute && m.language.projection.mode == m.compute)
            #expect(m.vision.transformer.layers[0].w1.mode == m.compute)
            #expect(try m.labelEncoder.use { $0.text.projection.mode } == m.compute.fp32)
            #expect(m.tasks[0].decoder.layers[0].l1.mode == m.compute.fp32)
        }
    }

    @Test func forcedModesLoadOrNameWhatIsMissing() throws {
        for p in [Precision.fp32, .bf16, .int8] {
            do {
                let m = try MERCLIPModel(directory: Fixtures.model("tiny-b", "merclip"), precision: p)
                #expect(m.compute.precision == p)
            } catch let e as TensorError {
                #expect(p != .fp32 && "\(e)".contains("\(p.rawValue)") && "\(e)".contains(OneDNN.isa), "\(e)")
            }
        }
    }

    @Test func audioFoldedOverChannelsMatchesTheFullWeight() throws {
        let m = try MERCLIPModel(directory: Fixtures.model("tiny-a", "merclip"), mode: .reference)
        #expect(m.audio.foldedPatchWeight != nil && m.vision.foldedPatchWeight == nil)
        let spectrograms = try Fixtures.npy("tiny-a", "seg0_audio.npy")   // three equal channels
        var differing = spectrograms
        differing.data[0] += 1e-3                                          // not equal: the full weight is used
        let folded = try m.audio.embed(spectrograms), full = try m.vision.embed(spectrograms)
        expectClose(folded, full, "audio tower (folded) vs image tower (full weight), same imported weights")
        expectClose(try m.audio.embed(differing), try m.vision.embed(differing), "unequal channels take the full weight")
    }
}
