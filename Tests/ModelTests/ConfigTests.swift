// config.json decoding: missing or null keys take the documented defaults at any depth; errors name the key.
import Foundation
import Testing
@testable import Model

@Suite struct ConfigTests {
    func write(_ json: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("merclip-config-\(UUID().uuidString).json").path
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func missingKeysTakeDefaultsAtEveryDepth() throws {
        let path = try write("""
            {"format": "merclip-model/1", "name": "m", "vision": {"hidden_size": 64, "num_attention_heads": 4},
             "preprocess": {"audio": {"hop_length": 256, "std": null}}, "decoder": {}}
            """)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let c = try MERCLIPConfig.load(path)
        let d = MERCLIPConfig()
        #expect(c.name == "m" && c.version == d.version && c.trained == false)
        #expect(c.vision.hiddenSize == 64 && c.vision.numAttentionHeads == 4)
        #expect(c.vision.intermediateSize == 3072 && c.vision.patchSize == 32 && c.vision.hiddenAct == "quick_gelu")
        #expect(c.audio == d.audio && c.text == d.text && c.decoder == d.decoder)
        #expect(c.preprocess.audio.hopLength == 256 && c.preprocess.audio.std == 4.0 && c.preprocess.audio.nMels == 224)
        #expect(c.preprocess.frames == 12 && c.preprocess.imageMean == d.preprocess.imageMean)
        #expect(c.tasks == TaskConfig.known)
    }

    @Test func writtenConfigReadsBackEqual() throws {
        var c = MERCLIPConfig()
        c.name = "round-trip"; c.vision.hiddenSize = 96; c.preprocess.audio.fMax = 4000
        c.tasks = [TaskConfig(name: "tone", kind: .singleLabel, labels: ["calm", "tense"])]
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("merclip-config-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try c.write(to: path)
        #expect(try MERCLIPConfig.load(path) == c)
    }

    @Test func badValuesAndMissingFormatAreNamed() throws {
        let wrongType = try write(#"{"format": "merclip-model/1", "vision": {"hidden_size": "wide"}}"#)
        let noFormat = try write(#"{"name": "m"}"#)
        let notObject = try write("[1, 2]")
        defer { for p in [wrongType, noFormat, notObject] { try? FileManager.default.removeItem(atPath: p) } }
        func message(_ path: String) -> String {
            do { _ = try MERCLIPConfig.load(path); return "no error" } catch { return "\(error)" }
        }
        #expect(message(wrongType).contains("hidden_size") && message(wrongType).contains(wrongType))
        #expect(message(noFormat).contains("format is missing"))
        #expect(message(notObject).contains("not a JSON object"))
    }

    @Test func spectrogramRowsMustMatchTheAudioEncoder() throws {
        var c = MERCLIPConfig()
        c.audio.imageSize = 32; c.audio.patchSize = 8
        #expect(throws: ModelError.self) { try c.validate() }
        do { try c.validate() } catch { #expect("\(error)".contains("n_mels 224 must equal audio.image_size 32")) }
        c.preprocess.audio.nMels = 32
        try c.validate()
    }

    @Test func hfConfigNeedsBothTowersAndFillsTheRest() throws {
        let good = try write(#"{"projection_dim": 256, "vision_config": {"image_size": 64}, "text_config": {"vocab_size": 1000}}"#)
        let half = try write(#"{"vision_config": {}}"#)
        defer { for p in [good, half] { try? FileManager.default.removeItem(atPath: p) } }
        let c = try HFCLIPConfig.load(good)
        #expect(c.projectionDim == 256 && c.vision.imageSize == 64 && c.vision.hiddenSize == 768)
        #expect(c.text.vocabSize == 1000 && c.text.maxPositionEmbeddings == 77 && c.text.eosTokenId == 49407)
        #expect(throws: ModelError.self) { try HFCLIPConfig.load(half) }
    }
}
