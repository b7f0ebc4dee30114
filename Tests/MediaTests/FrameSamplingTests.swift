// The 12 sampled frames are the source frames shown at start + (j + 0.5)·duration/12, in every container.
import Foundation
import Media
import Testing

@Suite("Frame sampling")
struct FrameSamplingTests {
    /// Frame number shown at each sample time of a 25 fps video (times relative to the container's
    /// start; WebM and MKV shift the video a little for the audio codec's priming).
    static func expected(_ s: PreparedSegment) -> [Int] {
        let start = s.info.startTime + s.window.start, d = s.window.duration!
        let first = s.info.videoStartTime ?? 0
        return (0..<12).map { (j: Int) -> Int in
            let t: Double = start + (Double(j) + 0.5) * d / 12 - first
            return Int((t * 25 + 1e-9).rounded(.down))
        }
    }

    @Test("index videos: the frame whose interval holds each time", arguments: ["index.mp4", "index.webm", "index.mkv"])
    func wholeFile(name: String) throws {
        let s = try MediaPreprocessor().process(.file(try TestMedia.path(name)))
        #expect(s.framesShape == [12, 3, 224, 224])
        let frames = try #require(s.frames)
        let got = (0..<12).map { TestMedia.decodeIndex(frames, frame: $0) }
        #expect(got == Self.expected(s), "\(name)")
        #expect(got.first! >= 3 && got.last! <= 99)
    }

    @Test("a window inside the file", arguments: [(1.0, 2.0), (2.3, 0.5), (0.0, 0.3)])
    func window(start: Double, duration: Double) throws {
        let s = try MediaPreprocessor().process(.file(try TestMedia.path("index.mp4")),
                                                window: SegmentWindow(start: start, duration: duration))
        let frames = try #require(s.frames)
        let got = (0..<12).map { TestMedia.decodeIndex(frames, frame: $0) }
        #expect(got == Self.expected(s))
        #expect(s.window == SegmentWindow(start: start, duration: duration))
    }

    @Test("a window past the end of the video repeats its last frame")
    func pastTheEnd() throws {
        let s = try MediaPreprocessor().process(.file(try TestMedia.path("index.mp4")),
                                                window: SegmentWindow(start: 3.5, duration: 10))
        #expect(abs(s.window.duration! - 0.5) < 0.05, "clamped to the media's end")
        let frames = try #require(s.frames)
        let got = (0..<12).map { TestMedia.decodeIndex(frames, frame: $0) }
        #expect(got == Self.expected(s).map { min($0, 99) })
    }

    @Test("sparse and single-frame videos repeat the nearest frame")
    func sparse() throws {
        let s = try MediaPreprocessor().process(.file(try TestMedia.path("sparse.mp4")))
        let frames = try #require(s.frames)
        #expect((0..<12).map { TestMedia.decodeIndex(frames, frame: $0) } == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3])
        let one = try MediaPreprocessor().process(.file(try TestMedia.path("oneframe.mp4")), window: SegmentWindow(start: 0, duration: 0.04))
        let f1 = try #require(one.frames)
        #expect((0..<12).map { TestMedia.decodeIndex(f1, frame: $0) } == Array(repeating: 0, count: 12))
        #expect(one.audio == nil && one.missing["audio"] != nil)
    }

    @Test("image size from the model config")
    func imageSize() throws {
        var c = MediaPreprocessConfig()
        c.imageSize = 112
        c.frames = 4
        let s = try MediaPreprocessor(config: c).process(.file(try TestMedia.path("index.mp4")))
        #expect(s.framesShape == [4, 3, 112, 112])
        let frames = try #require(s.frames)
        let got = (0..<4).map { TestMedia.decodeIndex(frames, frame: $0, size: 112) }
        #expect(got == [12, 37, 62, 87])
        // Keyframes every second: it seeks forward instead of decoding all 100 frames.
        #expect(s.info.videoFramesDecoded < 70, "\(s.info.videoFramesDecoded) frames decoded")
    }

    @Test("rotation metadata is honoured (display matrix)")
    func rotation() throws {
        let plain = try MediaPreprocessor().process(.file(try TestMedia.path(".unrotated.mp4")))
        let rotated = try MediaPreprocessor().process(.file(try TestMedia.path("rotated.mp4")))
        #expect(plain.info.rotation == 0)
        #expect(rotated.info.rotation == 270, "FFmpeg shows this file turned 90° counter-clockwise")
        func mean(_ f: [Float], x: Range<Int>, y: Range<Int>) -> Float {
            var s: Float = 0
            for yy in y { for xx in x { s += f[yy * 224 + xx] } }
            return s / Float(x.count * y.count) * 0.26862954 + 0.48145466
        }
        let p = try #require(plain.frames), r = try #require(rotated.frames)
        // Unrotated: white top, black bottom. Rotated: white left, black right (as ffmpeg/ffplay show it).
        #expect(mean(p, x: 0..<224, y: 0..<100) > 0.85 && mean(p, x: 0..<224, y: 124..<224) < 0.15)
        #expect(mean(r, x: 0..<100, y: 0..<224) > 0.85 && mean(r, x: 124..<224, y: 0..<224) < 0.15)
    }

    @Test("bytes in memory give exactly what the file gives", arguments: ["index.mp4", "index.webm", "tone.mp3", "tone.flac"])
    func memoryEqualsFile(name: String) throws {
        let path = try TestMedia.path(name)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let window = SegmentWindow(start: 0.5, duration: 2.2)
        let a = try MediaPreprocessor().process(.file(path), window: window)
        let b = try MediaPreprocessor().process(.bytes(data, name: name), window: window)
        #expect(a.frames == b.frames)
        #expect(a.audio == b.audio)
        #expect(a.audioShape == b.audioShape)
        #expect(b.input == name)
    }

    @Test("two GOP-parallel decoders give what one decoder gives", arguments: ["index.mp4", "index.mkv", "bench720.mp4"])
    func parallelEqualsSerial(name: String) throws {
        let path = try TestMedia.path(name)
        let parallel = try MediaPreprocessor(decoderThreads: 0).process(.file(path))
        let serial = try MediaPreprocessor(decoderThreads: 1).process(.file(path))
        #expect(parallel.frames == serial.frames)
    }

    @Test("the async API runs off the cooperative pool and matches the sync one")
    func async() async throws {
        let path = try TestMedia.path("index.webm")
        let p = MediaPreprocessor()
        let a = try await p.process(.file(path))
        let b = try Self.syncProcess(p, path)
        #expect(a.frames == b.frames)
    }

    static func syncProcess(_ p: MediaPreprocessor, _ path: String) throws -> PreparedSegment {
        try p.process(.file(path))
    }
}
