// The model and media commands run as a user runs them, checked against the committed fixtures.
import Foundation
import Tensor
import TestSupport
import Testing

@Suite("Model and media commands")
struct ModelCLITests {
    let fixtures = repoRoot.appendingPathComponent("Tests/Fixtures")
    let tmp: URL = {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }()

    func maxRelativeError(_ got: Tensor, _ want: Tensor) -> Float {
        let scale = want.data.map(abs).max() ?? 1
        return zip(got.data, want.data).map { abs($0 - $1) }.max()! / scale
    }

    @Test("embed: image and text embeddings equal the reference, from the HF CLIP dir and the MER-CLIP dir",
          arguments: ["clip", "merclip"])
    func embed(kind: String) throws {
        let model = fixtures.appendingPathComponent("models/tiny-a/\(kind)").path
        let parity = fixtures.appendingPathComponent("parity/tiny-a")
        let images = tmp.appendingPathComponent("img-\(kind).npy").path
        try run(merclipBinary(), ["embed", "--model", model, "--pixels", parity.appendingPathComponent("pixels.npy").path,
                                  "--output", images])
        let wantImages = try Npy.readFloat(parity.appendingPathComponent("image_embeds.npy").path)
        let gotImages = try Npy.readFloat(images)
        #expect(gotImages.shape == wantImages.shape)
        #expect(maxRelativeError(gotImages, wantImages) <= 1e-4)

        let texts = tmp.appendingPathComponent("txt-\(kind).npy").path
        try run(merclipBinary(), ["embed", "--model", model, "--token-ids-file",
                                  parity.appendingPathComponent("token_ids.txt").path, "--output", texts])
        let wantTexts = try Npy.readFloat(parity.appendingPathComponent("text_embeds.npy").path)
        let gotTexts = try Npy.readFloat(texts)
        #expect(gotTexts.shape == wantTexts.shape)
        #expect(maxRelativeError(gotTexts, wantTexts) <= 1e-4)
    }

    @Test("tokenize: one line of ids per line of text, as the reference tokenizer gives them")
    func tokenize() throws {
        let segments = try JSONSerialization.jsonObject(with: Data(contentsOf: fixtures.appendingPathComponent("parity/tiny-a/segments.json"))) as! [[String: Any]]
        let withText = segments.filter { $0["transcript"] is String }
        let file = tmp.appendingPathComponent("texts.txt")
        try withText.map { $0["transcript"] as! String }.joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
        let out = try run(merclipBinary(), ["tokenize", "--model", fixtures.appendingPathComponent("models/tiny-a/merclip").path,
                                            "--text-file", file.path])
        let lines = out.split(separator: "\n").map { $0.split(separator: " ").map { Int($0)! } }
        #expect(lines == withText.map { $0["token_ids"] as! [Int] })
    }

    @Test("model init (random and from CLIP), inspect says untrained; score prints a JSON line per input")
    func initInspectScore() throws {
        let random = tmp.appendingPathComponent("tiny").path
        try run(merclipBinary(), ["model", "init", "--random", "--preset", "tiny", "--out", random, "--name", "cli", "--version", "7"])
        let inspect = try run(merclipBinary(), ["model", "inspect", random])
        #expect(inspect.contains("UNTRAINED") && inspect.contains("emotion") && inspect.contains("sentiment"))

        let imported = tmp.appendingPathComponent("imported").path
        try run(merclipBinary(), ["model", "init", "--from-clip", fixtures.appendingPathComponent("models/tiny-a/clip").path,
                                  "--out", imported, "--tasks", "emotion"])
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: imported + "/config.json"))) as! [String: Any]
        #expect(config["trained"] as? Bool == false)
        #expect((config["tasks"] as? [[String: Any]])?.map { $0["name"] as? String } == ["emotion"])

        let wav = tmp.appendingPathComponent("tone.wav").path
        try run("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=3", wav])
        let r = try runProcess(merclipBinary(), ["score", "--model", random, "--transcript", "what a lovely day", wav,
                                                 tmp.appendingPathComponent("missing.mp4").path])
        #expect(r.status == 1, "a bad input makes the exit status 1")
        let lines = r.stdout.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(lines.count == 2)
        #expect(lines[0]["modalities"] as? [String] == ["language", "audio"])
        #expect((lines[0]["model"] as? [String: Any])?["version"] as? String == "7")
        let emotion = ((lines[0]["tasks"] as? [String: Any])?["emotion"] as? [String: Any])?["probabilities"] as? [String: Double]
        #expect(emotion?.count == 6 && emotion!.values.allSatisfy { $0 > 0 && $0 < 1 })
        #expect((lines[1]["error"] as? [String: Any])?["poison"] as? Bool == true)
        #expect(r.stdout.contains("missing.mp4"))
    }

    @Test("a path that cannot be read or written is named with the reason, not a Foundation error dump")
    func unusablePaths() throws {
        let file = tmp.appendingPathComponent("a-file")
        try "x".write(to: file, atomically: true, encoding: .utf8)
        let below = try runProcess(merclipBinary(), ["model", "init", "--random", "--preset", "tiny",
                                                     "--out", file.path + "/model"])
        #expect(below.status == 1)
        #expect(below.stderr.contains("cannot write \(file.path)/model: Not a directory"), "\(below.stderr)")
        let onFile = try runProcess(merclipBinary(), ["preprocess", repoRoot.appendingPathComponent("ops/demo.sh").path,
                                                      "--output", file.path])
        #expect(onFile.status != 0)
        #expect(onFile.stderr.contains("--output \(file.path) exists and is not a directory"), "\(onFile.stderr)")
        #expect(!below.stderr.contains("NSCocoaErrorDomain") && !onFile.stderr.contains("NSCocoaErrorDomain"))
        let noModel = try runProcess(merclipBinary(), ["model", "inspect", tmp.appendingPathComponent("none").path])
        #expect(noModel.status == 1)
        #expect(noModel.stderr.contains("none/config.json: cannot read: No such file or directory"), "\(noModel.stderr)")
        let dirModel = try runProcess(merclipBinary(), ["score", "--model", tmp.path, file.path])
        #expect(dirModel.stderr.contains("config.json: cannot read: No such file or directory"), "\(dirModel.stderr)")
    }
}
