// Test media: generated once per checkout by ops/make-test-media.sh into .build-test-media/, plus fixture paths.
import Foundation
import Media

enum TestMedia {
    static let repo: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let directory = repo.appendingPathComponent(".build-test-media")
    static let fixtures = repo.appendingPathComponent("Tests/Fixtures/media")

    private static let made: Result<Void, Error> = Result {
        let check = ["index.mp4", "bench720.mp4", "unsupported.avi", "speech.wav", "sparse.mp4", "oneframe.mp4", "bpyramid.mp4", "rotated720.mp4"]
        if check.allSatisfy({ FileManager.default.fileExists(atPath: directory.appendingPathComponent($0).path) }) { return }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [repo.appendingPathComponent("ops/make-test-media.sh").path, directory.path]
        try p.run()
        p.waitUntilExit()
        if p.terminationStatus != 0 {
            throw NSError(domain: "TestMedia", code: Int(p.terminationStatus),
                          userInfo: [NSLocalizedDescriptionKey: "ops/make-test-media.sh failed (needs ffmpeg and espeak-ng)"])
        }
    }

    /// Path of a generated test file (generating them all on first use).
    static func path(_ name: String) throws -> String {
        try made.get()
        return directory.appendingPathComponent(name).path
    }

    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

    /// The frame number encoded in a normalised [3, S, S] frame of an index video (320x240 source):
    /// 8 blocks 50x50 at x = 60 + 50·col, y = 70 + 50·row, bit row*4+col, white = 1.
    static func decodeIndex(_ frames: [Float], frame j: Int, size: Int = 224, config: MediaPreprocessConfig = MediaPreprocessConfig()) -> Int {
        let plane = size * size
        let base = j * 3 * plane
        // Source → output: scale 224/240 (short side), crop left = round((298 - 224) / 2) = 37.
        let scale = Double(size) / 240, left = Double((Int(320 * scale) - size + 1) / 2)
        var n = 0
        for bit in 0..<8 {
            let (row, col) = (bit / 4, bit % 4)
            let cx = Int((60 + 50 * Double(col) + 25) * scale - left), cy = Int((70 + 50 * Double(row) + 25) * scale)
            var sum: Float = 0
            for dy in -4...4 { for dx in -4...4 { sum += frames[base + (cy + dy) * size + cx + dx] } }
            let value = sum / 81 * config.imageStd[0] + config.imageMean[0]
            if value > 0.5 { n |= 1 << bit }
        }
        return n
    }
}
