// Every bad input gives a typed, poison MediaError naming the input; nothing crashes or hangs.
import Foundation
import Media
import Testing

@Suite("Bad inputs")
struct BadInputTests {
    func expectError(_ code: MediaError.Code, _ file: String, limits: MediaLimits = .default,
                     window: SegmentWindow = .whole, bytes: Bool = false) throws {
        let path = try TestMedia.path(file)
        let input: MediaInput = bytes ? .bytes(try Data(contentsOf: URL(fileURLWithPath: path)), name: "mem:\(file)") : .file(path)
        do {
            let s = try MediaPreprocessor(limits: limits).process(input, window: window)
            Issue.record("\(file): expected \(code), got a segment with \(s.modalities)")
        } catch let e as MediaError {
            #expect(e.code == code, "\(file): \(e)")
            #expect(e.input == input.name)
            #expect(e.isPoison)
            #expect(!e.reason.isEmpty)
        }
    }

    @Test("more bytes than maxBytes") func oversize() throws {
        try expectError(.tooLarge, "index.mp4", limits: MediaLimits(maxBytes: 10_000))
        try expectError(.tooLarge, "index.mp4", limits: MediaLimits(maxBytes: 10_000), bytes: true)
    }

    @Test("longer than maxDuration") func tooLong() throws {
        try expectError(.tooLong, "index.mp4", limits: MediaLimits(maxDuration: 2))
        try expectError(.tooLong, "tone.wav", limits: MediaLimits(maxDuration: 2))
        try expectError(.tooLong, "index.mp4", limits: MediaLimits(maxDuration: 2), window: SegmentWindow(start: 0, duration: 3))
    }

    @Test("more pixels than maxPixels") func resolution() throws {
        try expectError(.resolutionTooHigh, "big.mp4")
        try expectError(.resolutionTooHigh, "index.mp4", limits: MediaLimits(maxPixels: 320 * 240 - 1))
    }

    @Test("over the decode time limit") func timeout() throws {
        try expectError(.decodeTimeout, "bench720.mp4", limits: MediaLimits(decodeTimeLimit: 0.02))
        try expectError(.decodeTimeout, "bench720.mp4", limits: MediaLimits(decodeTimeLimit: 0.02), bytes: true)
    }

    @Test("corrupt and truncated files") func damaged() throws {
        try expectError(.corrupt, "corrupt.mp4")
        try expectError(.corrupt, "corrupt.mp4", bytes: true)
        try expectError(.truncated, "truncated.mp4")
        try expectError(.truncated, "truncated.mp4", bytes: true)
    }

    @Test("reasons carry FFmpeg's own message and name the streams") func reasons() throws {
        func reason(_ file: String) throws -> String {
            do { _ = try MediaPreprocessor().process(.file(try TestMedia.path(file))) } catch let e as MediaError { return e.reason }
            return ""
        }
        #expect(try reason("corrupt.mp4").contains("moov atom not found"))
        #expect(try reason("nostreams.mkv").contains("subtitle (subrip)"))
        #expect(try reason("unsupported.avi").contains("'ABCD'"))
    }

    @Test("no usable stream, unsupported codec") func streams() throws {
        try expectError(.noUsableStream, "nostreams.mkv")
        try expectError(.unsupportedCodec, "unsupported.avi")
    }

    @Test("missing file, window outside the media") func other() throws {
        do {
            _ = try MediaPreprocessor().process(.file("/nonexistent/x.mp4"))
            Issue.record("no error")
        } catch let e as MediaError {
            #expect(e.code == .unreadable && e.input == "/nonexistent/x.mp4" && e.reason == "no such file")
        }
        do {
            _ = try MediaPreprocessor().process(.file(TestMedia.directory.path))
            Issue.record("no error")
        } catch let e as MediaError {
            #expect(e.code == .notAFile && e.reason == "a directory, not a regular media file")
        }
        do {
            _ = try MediaPreprocessor().process(.file("https://example.com/x.mp4"))
            Issue.record("no error")
        } catch let e as MediaError {
            #expect(e.code == .unreadable && e.reason.contains("not a URL"))
        }
        try expectError(.invalidWindow, "index.mp4", window: SegmentWindow(start: 9, duration: 1))
        try expectError(.invalidWindow, "index.mp4", window: SegmentWindow(start: -1, duration: 1))
        try expectError(.corrupt, "corrupt.mp4", window: SegmentWindow(start: 0, duration: 1), bytes: true)
    }
}

@Suite("Damaged inputs")
struct DamagedInputTests {
    /// A small deterministic generator (xorshift) so the damaged copies are the same on every run.
    struct Rng {
        var s: UInt64
        mutating func next(_ n: Int) -> Int {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17
            return Int(s % UInt64(n))
        }
    }

    @Test("truncated and byte-damaged copies give a segment or a MediaError, from files and from memory",
          arguments: ["index.mp4", "index.webm", "index.mkv", "tone.flac", "tone.mp3", "tone.ogg"])
    func damaged(name: String) throws {
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: try TestMedia.path(name))))
        var rng = Rng(s: 0x9E37_79B9_7F4A_7C15 ^ UInt64(original.count))
        let limits = MediaLimits(decodeTimeLimit: 10)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("merclip-damaged-\(getpid())-\(name)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var outcomes: [String: Int] = [:]
        for k in 0..<12 {
            var bytes = original
            if k % 2 == 0 {
                bytes.removeSubrange((1 + rng.next(bytes.count - 1))...)
            } else {
                for _ in 0..<(1 + rng.next(40)) { bytes[rng.next(bytes.count)] = UInt8(rng.next(256)) }
            }
            let file = dir.appendingPathComponent("\(k)-\(name)")
            try Data(bytes).write(to: file)
            for input in [MediaInput.file(file.path), .bytes(Data(bytes), name: file.lastPathComponent)] {
                do {
                    let s = try MediaPreprocessor(limits: limits).process(input)
                    #expect(s.frames != nil || s.audio != nil)
                    outcomes["ok", default: 0] += 1
                } catch let e as MediaError {
                    #expect(e.input == input.name)
                    outcomes[e.code.rawValue, default: 0] += 1
                }
            }
        }
        #expect(outcomes.values.reduce(0, +) == 24)
    }
}
