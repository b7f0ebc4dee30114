// Strict loading: errors name the missing, unexpected or mis-shaped tensor and the file; safetensors round trips.
import Foundation
import Testing
@testable import Model
import Tensor

@Suite struct LoadingTests {
    /// A copy of a fixture model directory whose safetensors is rewritten by `edit`.
    func copyModel(_ src: String, edit: (inout [(String, Tensor)]) -> Void) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("merclip-load-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for f in ["config.json", "vocab.json", "merges.txt"] {
            try FileManager.default.copyItem(atPath: src + "/" + f, toPath: dir + "/" + f)
        }
        let file = try SafetensorsFile(path: src + "/model.safetensors")
        var tensors = try file.names.map { ($0, try file.tensor($0)) }
        edit(&tensors)
        try SafetensorsWriter.write(tensors, to: dir + "/model.safetensors")
        return dir
    }

    func loadError(_ body: () throws -> Void) -> String {
        do { try body(); return "no error" } catch { return "\(error)" }
    }

    @Test func missingTensorIsNamed() throws {
        let name = "tasks.emotion.cmd.layers.1.linear1.weight"
        let dir = try copyModel(Fixtures.model("tiny-a", "merclip")) { $0.removeAll { $0.0 == name } }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let message = loadError { _ = try MERCLIPModel(directory: dir) }
        #expect(message.contains("missing tensor \(name)"), "\(message)")
        #expect(message.contains(dir + "/model.safetensors"))
    }

    @Test func misShapedTensorIsNamed() throws {
        let name = "vision_model.encoder.layers.0.mlp.fc1.weight"
        let dir = try copyModel(Fixtures.model("tiny-a", "clip")) { list in
            let i = list.firstIndex { $0.0 == name }!
            list[i].1 = Tensor(zeros: [3, 5])
        }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let message = loadError { _ = try CLIPModel(directory: dir) }
        #expect(message.contains("tensor \(name) has shape [3, 5], expected [64, 32]"), "\(message)")
        #expect(message.contains(dir + "/model.safetensors"))
    }

    @Test func unexpectedTensorIsNamedAndPositionIdsIgnored() throws {
        let dir = try copyModel(Fixtures.model("tiny-a", "clip")) { list in
            list.append(("text_model.embeddings.position_ids", Tensor(zeros: [1, 77])))
            list.append(("extra.weight", Tensor(zeros: [2])))
        }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let message = loadError { _ = try CLIPModel(directory: dir) }
        #expect(message.contains("unexpected tensor extra.weight"), "\(message)")
        #expect(!message.contains("position_ids"))
    }

    @Test func safetensorsRoundTripF32AndF16() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rt-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let a = Tensor(shape: [2, 3], data: [1, -2, 0.5, 3.25, 1e-3, 65504]), s = Tensor(scalar: 2.6592)
        try SafetensorsWriter.write([("a", a), ("s", s)], to: path)
        let f = try SafetensorsFile(path: path)
        #expect(try f.tensor("a") == a)
        #expect(try f.tensor("s").shape == [] && f.tensor("s").data == [2.6592])
        try SafetensorsWriter.write([("a", a)], dtype: .f16, to: path)
        let h = try SafetensorsFile(path: path)
        #expect(h.entries["a"]!.dtype == "F16")
        #expect(zip(try h.tensor("a").data, a.data).allSatisfy { abs($0 - $1) <= abs($1) * 1e-3 })
    }

    @Test func bf16CheckpointLoads() throws {
        let f = try SafetensorsFile(path: Fixtures.model("tiny-b", "clip") + "/model.safetensors")
        #expect(f.entries.values.contains { $0.dtype == "BF16" })
    }

    @Test("a model read from a directory does not hold its label encoder; swapping the labels reads it again and gives the same embeddings")
    func labelEncoderIsReadAgainFromTheFile() throws {
        let m = try MERCLIPModel(directory: Fixtures.model("tiny-a", "merclip"), mode: .reference)
        #expect(!m.labelEncoder.isKept)
        let task = m.tasks[0]
        let same = try m.withLabels(task: task.config.name, labels: task.config.labels)
        #expect(same.tasks[0].head.labelEmbeddings.data == task.head.labelEmbeddings.data)
        #expect(!same.labelEncoder.isKept)
    }
}
