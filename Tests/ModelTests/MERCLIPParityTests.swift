// MER-CLIP model directories against the PyTorch reference outputs (Tests/Fixtures/parity/<shape>).
import Foundation
import Testing
@testable import Model
import Tensor

@Suite struct MERCLIPParityTests {
    static let engines: [String: MERCLIPEngine] = Dictionary(uniqueKeysWithValues: Fixtures.shapes.flatMap { shape in
        Fixtures.backends.map { b in
            ("\(shape) \(b)", MERCLIPEngine(model: try! MERCLIPModel(directory: Fixtures.model(shape, "merclip"), mode: Fixtures.fp32(b))))
        }
    })

    static func segments(_ shape: String) throws -> [Segment] {
        let list = try Fixtures.json(Fixtures.parity(shape) + "/segments.json") as! [[String: Any]]
        return try list.map { s in
            Segment(id: s["id"] as! String,
                    frames: try (s["frames"] as? String).map { try Fixtures.npy(shape, $0) },
                    audio: try (s["audio"] as? String).map { try Fixtures.npy(shape, $0) },
                    tokenIds: s["token_ids"] as? [Int])
        }
    }

    @Test(arguments: Fixtures.shapes, Fixtures.backends)
    func encodersMatchCLIPEmbeddings(shape: String, backend: ComputeMode.Backend) throws {
        let m = Self.engines["\(shape) \(backend)"]!.model
        expectClose(try m.vision.embed(try Fixtures.npy(shape, "pixels.npy")), try Fixtures.npy(shape, "image_embeds.npy"),
                    "\(shape) merclip vision")
        expectClose(try m.audio.embed(try Fixtures.npy(shape, "pixels.npy")), try Fixtures.npy(shape, "image_embeds.npy"),
                    "\(shape) merclip audio (imported from the image tower)")
        expectClose(try m.language.embed(try Fixtures.tokenLines(shape)), try Fixtures.npy(shape, "text_embeds.npy"),
                    "\(shape) merclip language")
    }

    @Test(arguments: Fixtures.shapes, Fixtures.backends)
    func labelEmbeddingsAndQueries(shape: String, backend: ComputeMode.Backend) throws {
        for t in Self.engines["\(shape) \(backend)"]!.model.tasks {
            expectClose(t.head.labelEmbeddings, try Fixtures.npy(shape, "label_embeds_\(t.config.name).npy"), "\(shape) \(t.config.name) E")
            let q = try Fixtures.npy(shape, "query_\(t.config.name).npy")
            expectClose(Tensor(shape: q.shape, data: t.head.query), q, "\(shape) \(t.config.name) query")
        }
    }

    @Test(arguments: Fixtures.shapes, Fixtures.backends)
    func segmentsFeaturesDecoderAndHeads(shape: String, backend: ComputeMode.Backend) throws {
        let engine = Self.engines["\(shape) \(backend)"]!
        let segs = try Self.segments(shape)
        let out = try engine.run(segs)
        let expected = try Fixtures.json(Fixtures.parity(shape) + "/expected.json") as! [String: Any]

        for (i, s) in segs.enumerated() {
            for mod in Modality.allCases {
                let path = Fixtures.parity(shape) + "/features_\(s.id)_\(mod.rawValue).npy"
                if FileManager.default.fileExists(atPath: path) {
                    guard let got = out.features[i][mod] else { Issue.record("\(shape) \(s.id): no \(mod) features"); continue }
                    expectClose(got, try Npy.readFloat(path), "\(shape) \(s.id) \(mod) features")
                } else {
                    #expect(out.features[i][mod] == nil, "\(shape) \(s.id): unexpected \(mod) features")
                }
            }
        }
        let segInfo = expected["segments"] as! [[String: Any]]
        for (i, info) in segInfo.enumerated() {
            #expect(out.scores[i].modalities.map(\.rawValue) == info["modalities"] as! [String], "\(shape) \(info["id"]!) modalities")
        }
        let tasks = expected["tasks"] as! [[String: Any]]
        #expect(tasks.count == engine.model.tasks.count)
        for t in tasks {
            let name = t["name"] as! String
            expectClose(out.decoderOutputs[name]!, try Fixtures.npy(shape, "cmd_\(name).npy"), "\(shape) \(name) CMD output")
            let probs = Tensor(shape: [segs.count, (t["labels"] as! [String]).count],
                               data: out.scores.flatMap { $0.task(name)!.probabilities })
            expectClose(probs, try Fixtures.npy(shape, "probs_\(name).npy"), "\(shape) \(name) probabilities")
            let predicted = t["predicted"] as! [Any]
            for (i, p) in predicted.enumerated() {
                let want = (p as? [String]) ?? [p as! String]
                #expect(out.scores[i].task(name)!.predicted == want, "\(shape) \(name) segment \(i) predicted")
            }
        }
    }

    @Test func batchCompositionDoesNotChangeResults() throws {
        // each segment alone gives the same scores as in the mixed batch (padding is masked)
        let engine = Self.engines["tiny-a openblas"]!
        let segs = try Self.segments("tiny-a")
        let together = try engine.score(segs)
        for (i, s) in segs.enumerated() {
            let alone = try engine.score([s])[0]
            for (a, b) in zip(alone.tasks, together[i].tasks) {
                let err = zip(a.probabilities, b.probabilities).map { abs($0 - $1) }.max()!
                #expect(err < 1e-5, "\(s.id) \(a.task): \(err)")
            }
        }
    }

    @Test func transcriptIsTokenisedLikeTokenIds() throws {
        let engine = Self.engines["tiny-a openblas"]!
        let list = try Fixtures.json(Fixtures.parity("tiny-a") + "/segments.json") as! [[String: Any]]
        let s = list.first { $0["transcript"] is String }!
        let byText = try engine.score([Segment(id: "t", transcript: s["transcript"] as? String)])
        let byIds = try engine.score([Segment(id: "t", tokenIds: s["token_ids"] as? [Int])])
        #expect(byText == byIds)
        #expect(byText[0].modalities == [.language])
    }

    @Test func labelOverrideRecomputesEmbeddings() throws {
        let engine = Self.engines["tiny-a openblas"]!
        let emotion = engine.model.tasks.first { $0.config.name == "emotion" }!
        // same labels, reordered: embeddings follow the labels
        let reordered = Array(emotion.config.labels.reversed())
        let e2 = try engine.withLabels(task: "emotion", labels: reordered)
        let t2 = e2.model.tasks.first { $0.config.name == "emotion" }!
        let d = emotion.head.labelEmbeddings.shape[1], l = reordered.count
        for i in 0..<l {
            let a = emotion.head.labelEmbeddings.row(i), b = t2.head.labelEmbeddings.row(l - 1 - i)
            #expect(zip(a, b).map { abs($0 - $1) }.max()! < 1e-5)
        }
        #expect(t2.head.query == emotion.head.query)
        // new labels: the scores carry them, one probability each
        let e3 = try engine.withLabels(task: "emotion", labels: ["calm", "excited", "bored"])
        let segs = try Self.segments("tiny-a")
        let scores = try e3.score(segs)
        #expect(scores[0].task("emotion")!.labels == ["calm", "excited", "bored"])
        #expect(scores[0].task("emotion")!.probabilities.count == 3)
        #expect(e3.model.tasks.first { $0.config.name == "emotion" }!.head.labelEmbeddings.shape == [3, d])
        // the original engine is unchanged, other tasks too
        #expect(try engine.score(segs)[0].task("emotion")!.labels == emotion.config.labels)
        #expect(scores[0].task("sentiment") == (try engine.score(segs))[0].task("sentiment"))
        #expect(throws: ModelError.self) { try engine.withLabels(task: "nope", labels: ["a", "b"]) }
        #expect(throws: ModelError.self) { try engine.withLabels(task: "emotion", labels: ["only-one"]) }
    }
}
