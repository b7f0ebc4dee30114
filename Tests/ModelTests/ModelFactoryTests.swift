// `model init` paths: HF CLIP import and random presets write directories the engine loads strictly.
import Foundation
import Testing
@testable import Model
import Tensor

@Suite struct ModelFactoryTests {
    func tempDir() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("merclip-init-\(UUID().uuidString)").path
    }

    @Test func importedCLIPKeepsEncodersAndIsUntrained() throws {
        let out = tempDir()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let clip = Fixtures.model("tiny-a", "clip")
        let (config, tensors) = try ModelFactory.importCLIP(from: clip, vocabulary: clip, tasks: [.sentiment],
                                                            name: "imported", version: "1.2.3", seed: 7)
        try ModelFactory.write(config: config, tensors: tensors, vocabulary: clip, to: out, dtype: .f32)
        let engine = try MERCLIPEngine(directory: out)
        #expect(engine.config.trained == false)
        #expect(engine.config.name == "imported" && engine.config.version == "1.2.3")
        #expect(engine.model.tasks.map(\.config.name) == ["sentiment"])
        let pixels = try Fixtures.npy("tiny-a", "pixels.npy")
        expectClose(try engine.model.vision.embed(pixels), try Fixtures.npy("tiny-a", "image_embeds.npy"), "imported vision")
        expectClose(try engine.model.audio.embed(pixels), try Fixtures.npy("tiny-a", "image_embeds.npy"), "imported audio")
        expectClose(try engine.model.language.embed(try Fixtures.tokenLines("tiny-a")), try Fixtures.npy("tiny-a", "text_embeds.npy"), "imported language")
        let file = try SafetensorsFile(path: out + "/model.safetensors")
        #expect(try file.tensor("tasks.sentiment.logit_scale").data[0] == Float(log(1 / 0.07)))
        let ctx = try file.tensor("tasks.sentiment.ctx")
        let std = (ctx.data.map { $0 * $0 }.reduce(0, +) / Float(ctx.count)).squareRoot()
        #expect(std > 0.015 && std < 0.025, "ctx ~ N(0, 0.02), got std \(std)")
    }

    @Test func randomTinyPresetScoresAllModalities() throws {
        let out = tempDir()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let config = ModelPreset.tiny.config(name: "t", version: "0.0.1")
        try ModelFactory.write(config: config, tensors: RandomInit.tensors(MERCLIPModel.specs(config), seed: 3),
                               vocabulary: Fixtures.assets, to: out, dtype: .f16)
        let engine = try MERCLIPEngine(directory: out)
        var rng = SeededRandom(seed: 5)
        func images(_ n: Int) -> Tensor {
            Tensor(shape: [n, 3, 224, 224], data: (0..<(n * 3 * 224 * 224)).map { _ in rng.symmetric() })
        }
        let scores = try engine.score([
            Segment(id: "all", frames: images(12), audio: images(3), transcript: "What a great day!"),
            Segment(id: "none"),
            Segment(id: "audio", audio: images(1)),
        ])
        #expect(scores.map(\.modalities) == [[.language, .vision, .audio], [], [.audio]])
        for s in scores {
            let e = s.task("emotion")!, p = s.task("sentiment")!
            #expect(e.probabilities.count == 6 && e.probabilities.allSatisfy { $0 > 0 && $0 < 1 })
            #expect(abs(p.probabilities.reduce(0, +) - 1) < 1e-5 && p.predicted.count == 1)
        }
    }

    @Test func wrongImageSizeIsAnInputError() throws {
        let engine = MERCLIPParityTests.engines["tiny-a openblas"]!
        #expect(throws: ModelError.self) {
            try engine.score([Segment(id: "x", frames: Tensor(zeros: [2, 3, 16, 16]))])
        }
        do {
            _ = try engine.score([Segment(id: "ok", tokenIds: [1512, 1513]), Segment(id: "y", tokenIds: [1512, 99999, 1513])])
            Issue.record("an out-of-vocabulary id must be an error")
        } catch {
            #expect("\(error)".contains("segment y: token ids has id 99999 outside the vocabulary"), "\(error)")
        }
    }

    @Test func flopCountMatchesReference() {
        // training/bench_reference.py: 8.818 GFLOP per ViT-B/32 image, 214.88 GFLOP per segment
        let c = ModelPreset.vitB32.config()
        #expect(abs(2 * FlopCount.vitMACs(c.vision, projectionDim: 512) / 1e9 - 8.818) < 0.001)
        #expect(abs(FlopCount.segment(c, frames: 12, windows: 12, tokens: 40) / 1e9 - 214.88) < 0.01)
    }
}
