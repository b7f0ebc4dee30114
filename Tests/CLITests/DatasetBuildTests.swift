// `merclip dataset build` as a user runs it: the worker's preprocessing per segment, splits, summary, re-runs.
import Foundation
import Tensor
import TestSupport
import Testing

@Suite("dataset build")
struct DatasetBuildTests {
    let tmp: URL = {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("dataset-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }()

    func json(_ path: String) throws -> Any { try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) }

    /// FNV-1a 64, written out again here: the split rule the command documents (0–7 train, 8 validation, 9 test).
    func hashSplit(_ id: String) -> String {
        var h: UInt64 = 14_695_981_039_346_656_037
        for b in id.utf8 { h = (h ^ UInt64(b)) &* 1_099_511_628_211 }
        return h % 10 == 8 ? "validation" : h % 10 == 9 ? "test" : "train"
    }

    /// clip.mp4 (video + audio, 3 s) with a sidecar clip.srt, tone.wav (audio only), broken.mp4 (not media),
    /// and a random tiny model.
    func makeInputs() throws -> (media: URL, model: String) {
        let media = tmp.appendingPathComponent("media")
        try FileManager.default.createDirectory(at: media, withIntermediateDirectories: true)
        try run("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=96x64:rate=10:duration=3",
                           "-f", "lavfi", "-i", "sine=frequency=300:duration=3", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                           "-c:a", "aac", "-shortest", media.appendingPathComponent("clip.mp4").path])
        try "1\n00:00:00,000 --> 00:00:02,500\nwhat a lovely day\n".write(to: media.appendingPathComponent("clip.srt"), atomically: true, encoding: .utf8)
        try run("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=500:duration=3",
                           media.appendingPathComponent("tone.wav").path])
        try "not a media file".write(to: media.appendingPathComponent("broken.mp4"), atomically: true, encoding: .utf8)
        let model = tmp.appendingPathComponent("model").path
        try run(merclipBinary(), ["model", "init", "--random", "--preset", "tiny", "--out", model])
        return (media, model)
    }

    @Test("each segment gets exactly what `preprocess` and `tokenize` give; splits, summary and failures; a re-run skips done items")
    func build() throws {
        let (media, model) = try makeInputs()
        let manifest = media.appendingPathComponent("manifest.jsonl")
        let wav = media.appendingPathComponent("tone.wav").path
        func write(_ lines: [String]) throws { try (lines.joined(separator: "\n") + "\n").write(to: manifest, atomically: true, encoding: .utf8) }
        let lineB = #"{"id": "b", "media": "file://\#(wav)", "start_ms": 500, "duration_ms": 1500, "transcript": "I cannot believe it", "labels": {"sentiment": "negative"}}"#
        try write([
            #"{"id": "a", "media": "clip.mp4", "start_ms": 250, "duration_ms": 2000, "labels": {"emotion": ["happy", "sad"], "sentiment": "positive"}, "split": "test"}"#,
            "",
            lineB,
            #"{"id": "c", "media": "broken.mp4", "labels": {"emotion": []}}"#,
        ])
        let out = tmp.appendingPathComponent("data").path
        let r = try runProcess(merclipBinary(), ["dataset", "build", "--manifest", manifest.path, "--out", out, "--model", model, "--jobs", "2"])
        #expect(r.status == 1, "a failed segment makes the exit status 1: \(r.stderr)")
        #expect(r.stdout.contains("3 segments (2 built, 0 already done), 1 failed"), "\(r.stdout)")
        #expect(r.stdout.contains("c (broken.mp4, line 4): corrupt:"), "\(r.stdout)")
        #expect(r.stdout.contains("missing vision in 1:"), "\(r.stdout)")

        let rows = try json(out + "/segments.json") as! [[String: Any]]
        #expect(rows.map { $0["id"] as? String } == ["a", "b"])
        let (a, b) = (rows[0], rows[1])
        #expect(a["split"] as? String == "test")
        #expect(b["split"] as? String == hashSplit("b"))
        #expect((a["labels"] as? [String: Any])?["emotion"] as? [String] == ["happy", "sad"])
        #expect((b["labels"] as? [String: Any])?["sentiment"] as? String == "negative")
        #expect(a["transcript"] as? String == "what a lovely day", "the sidecar .srt is read as the worker reads it")
        #expect(b["frames"] is NSNull && b["audio"] is String)

        // The same windows through `merclip preprocess`: identical arrays.
        for (row, input, start, duration, transcript) in [(a, media.appendingPathComponent("clip.mp4").path, "0.25", "2", nil),
                                                          (b, wav, "0.5", "1.5", "I cannot believe it")] {
            let pre = tmp.appendingPathComponent("pre-\(row["id"]!)").path
            try run(merclipBinary(), ["preprocess", input, "--model", model, "--start", start, "--duration", duration, "--output", pre]
                    + (transcript.map { ["--transcript", $0] } ?? []))
            for key in ["frames", "audio"] {
                guard let file = row[key] as? String else {
                    #expect(!FileManager.default.fileExists(atPath: "\(pre)/\(key).npy"))
                    continue
                }
                let got = try Data(contentsOf: URL(fileURLWithPath: "\(out)/\(file)"))
                let want = try Data(contentsOf: URL(fileURLWithPath: "\(pre)/\(key).npy"))
                #expect(got == want, "\(row["id"]!) \(key).npy differs from `merclip preprocess`")
            }
        }
        let texts = tmp.appendingPathComponent("texts.txt")
        try "what a lovely day\nI cannot believe it\n".write(to: texts, atomically: true, encoding: .utf8)
        let ids = try run(merclipBinary(), ["tokenize", "--model", model, "--text-file", texts.path])
            .split(separator: "\n").map { $0.split(separator: " ").map { Int($0)! } }
        #expect(rows.map { $0["token_ids"] as? [Int] } == ids)

        let summary = try json(out + "/summary.json") as! [String: Any]
        #expect(summary["failed"] as? Int == 1 && summary["built"] as? Int == 2)
        let tasks = try json(out + "/tasks.json") as! [[String: Any]]
        #expect(tasks.map { $0["name"] as? String } == ["emotion", "sentiment"])

        // Re-run: nothing rebuilt; then a changed window rebuilds that segment only.
        let again = try runProcess(merclipBinary(), ["dataset", "build", "--manifest", manifest.path, "--out", out, "--model", model])
        #expect(again.stdout.contains("3 segments (0 built, 2 already done), 1 failed"), "\(again.stdout)")
        try write([
            #"{"id": "a", "media": "clip.mp4", "start_ms": 250, "duration_ms": 2000, "labels": {"emotion": ["happy"], "sentiment": "positive"}, "split": "test"}"#,
            lineB.replacingOccurrences(of: "\"duration_ms\": 1500", with: "\"duration_ms\": 1000"),
        ])
        let changed = try runProcess(merclipBinary(), ["dataset", "build", "--manifest", manifest.path, "--out", out, "--model", model])
        #expect(changed.status == 0)
        #expect(changed.stdout.contains("2 segments (1 built, 1 already done), 0 failed"), "\(changed.stdout)")
        let relabelled = try json(out + "/segments.json") as! [[String: Any]]
        #expect((relabelled[0]["labels"] as? [String: Any])?["emotion"] as? [String] == ["happy"], "labels come from the current manifest")
    }

    @Test("a bad manifest is refused before decoding, naming each bad line and why")
    func badManifest() throws {
        let manifest = tmp.appendingPathComponent("bad.jsonl")
        try [#"{"media": "x.mp4", "labels": {"emotion": ["joy"]}}"#,
             #"{"media": "x.mp4", "labels": {"sentiment": ["positive"]}}"#,
             #"{"media": "x.mp4", "labels": {"arousal": "high"}}"#,
             #"{"media": "x.mp4", "start_ms": -5, "labels": {}}"#,
             #"{"media": "x.mp4", "labels": {}, "split": "dev"}"#,
             #"{"id": "same", "media": "x.mp4", "labels": {}}"#,
             #"{"id": "same", "media": "y.mp4", "labels": {}}"#,
             "not json"].joined(separator: "\n").write(to: manifest, atomically: true, encoding: .utf8)
        let r = try runProcess(merclipBinary(), ["dataset", "build", "--manifest", manifest.path, "--out", tmp.appendingPathComponent("o").path])
        #expect(r.status != 0)
        for expected in [":1: labels.emotion: \"joy\" is not one of happy, sad, angry, surprise, disgust, fear",
                         ":2: labels.sentiment: a single_label task takes one label",
                         ":3: labels: unknown task \"arousal\"", ":4: \"start_ms\" must be a number ≥ 0",
                         ":5: \"split\" must be one of train, validation, test", ":7: id \"same\" repeats line 6",
                         ":8: not a JSON object"] {
            #expect(r.stderr.contains(expected), "\(expected) in \(r.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: tmp.appendingPathComponent("o/segments.json").path))
    }

    @Test("model inspect shows a trained model's validation and test metrics")
    func inspectTrained() throws {
        let out = try run(merclipBinary(), ["model", "inspect", repoRoot.appendingPathComponent("Tests/Fixtures/trained/model").path])
        #expect(out.contains("— trained") && !out.contains("UNTRAINED"), "\(out)")
        #expect(out.contains("metrics:") && out.contains("validation (") && out.contains("test ("), "\(out)")
        #expect(out.contains("emotion: weighted accuracy") && out.contains("sentiment: accuracy"), "\(out)")
    }
}
