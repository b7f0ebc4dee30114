// Skipped pictures and cropped conversions change nothing: frames equal those of decoding and converting everything.
import CFFmpeg
import Foundation
@testable import Media
import Testing

@Suite("Frame skipping")
struct FrameSkipTests {
    /// The sampled frames of `name` at the 12 times of `window` (seconds from the start), decoded by one
    /// single-threaded decoder, with the sampler's skipping or `exhaustive`ly, and the pictures decoded.
    static func sample(_ name: String, window: (start: Double, duration: Double), exhaustive: Bool = false, readAhead: Bool = true,
                       cropSource: Bool = true, size: Int = 224) throws -> (frames: [Float], decoded: Int, sent: Int, jumps: Int) {
        let path = try TestMedia.path(name)
        let format = try FormatInput(.file(path), deadline: Deadline(limit: 30, input: path))
        let v = try #require((0..<format.streamCount).first { format.mediaType($0) == AVMEDIA_TYPE_VIDEO })
        let c = MediaPreprocessConfig()
        let converter = FrameConverter(size: size, mean: c.imageMean, std: c.imageStd,
                                       rotation: FrameConverter.rotation(of: format.stream(v)), maxPixels: 1 << 26, input: path)
        converter.cropSource = cropSource
        var sampler = VideoSampler(format: format, streamIndex: v, threads: 1, converter: converter)
        sampler.exhaustive = exhaustive
        sampler.readAhead = readAhead
        let start = format.startTime + window.start
        let times = (0..<12).map { start + (Double($0) + 0.5) * window.duration / 12 }
        var frames = [Float](repeating: .nan, count: 12 * 3 * size * size)
        let n = try frames.withUnsafeMutableBufferPointer { try sampler.sample(times: times, into: $0.baseAddress!) }
        return (frames, n.decoded, n.sent, n.jumps)
    }

    /// HEVC only where this FFmpeg has the decoder and the test media could be made (libx265).
    static var media: [String] {
        var names = ["index.mp4", "index.webm", "index.mkv", "bpyramid.mp4", "bench720.mp4"]
        if avcodec_find_decoder(AV_CODEC_ID_HEVC) != nil, (try? TestMedia.path("hevc.mp4")).map({ FileManager.default.fileExists(atPath: $0) }) == true {
            names.append("hevc.mp4")
        }
        return names
    }

    @Test("skipping non-reference pictures and seeking ahead gives the frames of decoding every picture",
          arguments: media, [(0.0, 4.0), (0.3, 2.9), (1.1, 0.9)])
    func skippingIsExact(name: String, window: (Double, Double)) throws {
        let skipped = try Self.sample(name, window: window)
        let all = try Self.sample(name, window: window, exhaustive: true)
        #expect(skipped.frames == all.frames, "\(name) \(window)")
        #expect(!skipped.frames.contains { $0.isNaN })
        #expect(skipped.decoded <= all.decoded, "\(name) \(window): \(skipped.decoded) vs \(all.decoded) pictures")
    }

    /// Files with non-reference pictures (B-frames, HEVC sub-layer non-reference pictures): fewer decoded.
    @Test("pictures no time shows are not decoded", arguments: ["bpyramid.mp4", "bench720.mp4"]
          + (media.contains("hevc.mp4") ? ["hevc.mp4"] : []))
    func fewerPictures(name: String) throws {
        let window = name == "bench720.mp4" ? (0.0, 10.0) : (0.0, 4.0)
        let skipped = try Self.sample(name, window: window)
        let all = try Self.sample(name, window: window, exhaustive: true)
        #expect(skipped.frames == all.frames)
        #expect(Double(skipped.decoded) < 0.75 * Double(all.decoded), "\(name): \(skipped.decoded) of \(all.decoded) pictures decoded")
    }

    /// bench720.mp4 has a keyframe every 2 s and B-frames; its MP4 index holds decoding times, which lie a
    /// B-frame delay before the keyframes' presentation. Over 10 s the 12 times fall in the groups of the
    /// keyframes at 0, 2, 4, 6 and 8 s; the last time before 8 s is so close to it that its keyframe is read
    /// by then, so the sampler jumps to the keyframes at 2, 4 and 6 s, without decoding the pictures between.
    @Test("seeking ahead to every keyframe not read yet, whatever its index time")
    func jumpsToEveryKeyframeAhead() throws {
        let skipped = try Self.sample("bench720.mp4", window: (0.0, 10.0))
        let all = try Self.sample("bench720.mp4", window: (0.0, 10.0), exhaustive: true)
        #expect(skipped.frames == all.frames)
        #expect(skipped.jumps == 3 && all.jumps == 0, "\(skipped.jumps) jumps")
    }

    /// After the last time, and after the last time before each jump to a later keyframe, the pictures a
    /// decoder needs before it outputs the one shown are read, not sent to it: the same frames, and fewer
    /// packets sent where some follow such a time in decoding order. (The decoder then puts out the frames
    /// it holds when drained, where a jump would have dropped them: the frames it puts out are no measure.)
    @Test("reading ahead instead of decoding on after the last time and before jumps", arguments: media)
    func readAhead(name: String) throws {
        let windows = name == "bench720.mp4" ? [(0.0, 10.0), (1.3, 7.0)] : [(0.0, 4.0), (0.3, 2.9), (1.1, 0.9)]
        for window in windows {
            let ahead = try Self.sample(name, window: window)
            let decodingOn = try Self.sample(name, window: window, readAhead: false)
            #expect(ahead.frames == decodingOn.frames, "\(name) \(window)")
            #expect(ahead.sent <= decodingOn.sent, "\(name) \(window): \(ahead.sent) vs \(decodingOn.sent) packets sent")
            if name == "bench720.mp4" || (name == "index.mp4" && window == (0.0, 4.0)) {
                #expect(ahead.sent < decodingOn.sent, "\(name) \(window): \(ahead.sent) vs \(decodingOn.sent) packets sent")
            }
        }
    }

    @Test("the frame shown at each time, with B-pyramid H.264 and HEVC", arguments: ["bpyramid.mp4"] + (media.contains("hevc.mp4") ? ["hevc.mp4"] : []))
    func indexFrames(name: String) throws {
        let s = try MediaPreprocessor().process(.file(try TestMedia.path(name)))
        let frames = try #require(s.frames)
        #expect((0..<12).map { TestMedia.decodeIndex(frames, frame: $0) } == FrameSamplingTests.expected(s), "\(name)")
    }

    @Test("converting only the source columns the crop reads gives the frames of converting the whole picture",
          arguments: ["bench720.mp4", "rotated720.mp4", "rotated720_180.mp4", "index.mp4", "index.webm"])
    func cropIsExact(name: String) throws {
        let window = name == "bench720.mp4" ? (0.0, 10.0) : (0.0, 4.0)
        let cropped = try Self.sample(name, window: window)
        let whole = try Self.sample(name, window: window, cropSource: false)
        #expect(cropped.frames == whole.frames, "\(name)")
        let small = try Self.sample(name, window: window, size: 96)
        let smallWhole = try Self.sample(name, window: window, cropSource: false, size: 96)
        #expect(small.frames == smallWhole.frames, "\(name) at 96 pixels")
    }
}
