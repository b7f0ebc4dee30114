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
            #expect(e.code == .unreadable && e.input == "/nonexistent/x.mp4")
        }
        try expectError(.invalidWindow, "index.mp4", window: SegmentWindow(start: 9, duration: 1))
        try expectError(.invalidWindow, "index.mp4", window: SegmentWindow(start: -1, duration: 1))
        try expectError(.corrupt, "corrupt.mp4", window: SegmentWindow(start: 0, duration: 1), bytes: true)
    }
}
