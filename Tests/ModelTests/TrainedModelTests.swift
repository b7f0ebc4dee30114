// A model trained by training/train.py, served by the Swift engine: PyTorch's probabilities and predictions on
// its test segments (Tests/Fixtures/trained, written by training/make_trained_fixture.py).
import Foundation
import Model
import Tensor
import Testing

@Suite("Trained model served exactly")
struct TrainedModelTests {
    let dir = "\(Fixtures.root)/trained"

    func segment(_ row: [String: Any], modalities: [String]) throws -> Segment {
        func array(_ key: String) throws -> Tensor? {
            guard let file = row[key] as? String else { return nil }
            return try Npy.readFloat("\(dir)/\(file)")
        }
        let id = row["id"] as! String
        return Segment(id: id,
                       frames: modalities.contains("vision") ? try array("frames") : nil,
                       audio: modalities.contains("audio") ? try array("audio") : nil,
                       tokenIds: modalities.contains("language") ? (row["token_ids"] as? [Int] ?? []) : [])
    }

    @Test("probabilities within the fixture's tolerance and the same predictions, for all modalities and each alone")
    func parity() throws {
        let engine = try MERCLIPEngine(directory: "\(dir)/model")
        #expect(engine.config.trained, "the fixture model says \"trained\": true")
        let rows = try Fixtures.json("\(dir)/segments.json") as! [[String: Any]]
        let expected = try Fixtures.json("\(dir)/expected.json") as! [String: Any]
        let tolerance = Float(expected["tolerance"] as! Double)
        let cases = expected["cases"] as! [[String: Any]]
        #expect(cases.count == rows.count * 4)
        var agree = 0, total = 0
        var worst: Float = 0
        for c in cases {
            let row = rows.first { $0["id"] as? String == c["id"] as? String }!
            let mods = c["modalities"] as! [String]
            let score = try engine.score([try segment(row, modalities: mods)])[0]
            #expect(score.modalities.map(\.rawValue) == ["language", "vision", "audio"].filter { mods.contains($0) })
            for (task, want) in c["tasks"] as! [String: [String: Any]] {
                let got = try #require(score.task(task))
                let p = (want["probabilities"] as! [Double]).map { Float($0) }
                let err = zip(got.probabilities, p).map { abs($0 - $1) }.max()!
                worst = max(worst, err)
                #expect(err <= tolerance, "\(c["id"]!) \(mods) \(task): max |Δp| \(err)")
                let predicted = want["predicted"] as? [String] ?? [want["predicted"] as! String]
                total += 1
                if got.predicted == predicted { agree += 1 }
            }
        }
        #expect(agree == total, "predictions agree on \(agree) of \(total)")
        if ProcessInfo.processInfo.environment["SHOW_ERR"] != nil { print("trained parity: max |Δp| \(worst), agree \(agree)/\(total)") }
    }
}
