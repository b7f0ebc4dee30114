// Frame resize parity: our 224×224 CLIP crops against PIL's (training/resize_reference.py fixtures).
import Foundation
import Media
import Testing

@Suite("Frame resize parity with PIL")
struct ResizeParityTests {
    /// A uint8 .npy file: its bytes (C order) and shape.
    static func readUInt8Npy(_ path: String) throws -> (data: [UInt8], shape: [Int]) {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        guard bytes.count > 10, bytes[0] == 0x93, String(decoding: bytes[1..<6], as: UTF8.self) == "NUMPY" else {
            throw NpyError(path: path, reason: "not a .npy file")
        }
        let major = bytes[6]
        let headerStart = major == 1 ? 10 : 12
        let headerLength = major == 1 ? Int(bytes[8]) | Int(bytes[9]) << 8
            : Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        let header = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)
        guard header.contains("'descr': '|u1'"), header.contains("'fortran_order': False"),
              let open = header.range(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")") else {
            throw NpyError(path: path, reason: "not a C-order uint8 array: \(header)")
        }
        let shape = header[open.upperBound..<close].split(separator: ",").compactMap {
            Int($0.trimmingCharacters(in: .whitespaces))
        }
        let data = Array(bytes[(headerStart + headerLength)...])
        guard data.count == shape.reduce(1, *) else {
            throw NpyError(path: path, reason: "\(data.count) bytes for shape \(shape)")
        }
        return (data, shape)
    }

    struct NpyError: Error, CustomStringConvertible {
        let path: String, reason: String
        var description: String { "\(path): \(reason)" }
    }

    /// Differences in 8-bit levels (1 level = 1/255 before normalisation) between frame `j` of `frames`
    /// and the [224, 224, 3] uint8 reference, over all channels and pixels: the largest, the mean, and the
    /// share of values more than 1 level off.
    static func levels(_ frames: [Float], frame j: Int, reference: [UInt8],
                       config: MediaPreprocessConfig = MediaPreprocessConfig()) -> (max: Int, mean: Double, over1: Double) {
        let s = config.imageSize, plane = s * s
        var worst = 0, sum = 0, over = 0
        for c in 0..<3 {
            let std = Double(config.imageStd[c]), mean = Double(config.imageMean[c])
            for i in 0..<plane {
                // Our values are byte / 255 normalised: undo that to the byte.
                let got = Int(((Double(frames[(j * 3 + c) * plane + i]) * std + mean) * 255).rounded())
                let d = abs(got - Int(reference[i * 3 + c]))
                worst = max(worst, d)
                sum += d
                if d > 1 { over += 1 }
            }
        }
        return (worst, Double(sum) / Double(3 * plane), Double(over) / Double(3 * plane))
    }

    /// The resize is Pillow's own arithmetic (`BicubicKernel`, `FrameResampler`), so on the lossless frames and
    /// on the H.264 frames (whose reference is Pillow on ffmpeg's rgb24 conversion, which ours equals) every
    /// value is Pillow's. The rotated fixture's reference converts the picture after ffmpeg turned it upright
    /// (chroma upsampled along the other axis), so a few values are 1 level off (measured 0.35%, mean 0.0035).
    /// Before the resize followed Pillow's arithmetic (two swscale passes with its coefficients) values were
    /// up to 2 levels off; with one swscale pass (its default bicubic C = 0.6), up to 20.
    @Test("12 sampled frames of a single-frame video match PIL's resize and centre crop",
          arguments: [
              ("resize-landscape.mkv", "resize-landscape.npy", 0),
              ("resize-portrait.mkv", "resize-portrait.npy", 0),
              ("resize-landscape-h264.mp4", "resize-landscape-h264.npy", 0),
              ("resize-portrait-h264.mp4", "resize-portrait-h264.npy", 0),
              ("resize-rotated-h264.mp4", "resize-rotated-h264.npy", 1),
          ])
    func parity(video: String, reference: String, maxLevels: Int) throws {
        let ref = try Self.readUInt8Npy(TestMedia.fixture(reference))
        #expect(ref.shape == [224, 224, 3])
        let s = try MediaPreprocessor().process(.file(TestMedia.fixture(video)),
                                                window: SegmentWindow(start: 0, duration: 0.04))
        #expect(s.framesShape == [12, 3, 224, 224])
        let frames = try #require(s.frames)
        let plane = 3 * 224 * 224
        for j in 1..<12 {
            #expect(frames[(j * plane)..<((j + 1) * plane)] == frames[0..<plane], "\(video): frame \(j) is not frame 0")
        }
        let d = Self.levels(frames, frame: 0, reference: ref.data)
        print(String(format: "resize parity %@: max %d levels, mean %.4f, more than 1 level off %.4f %%",
                     video, d.max, d.mean, 100 * d.over1))
        #expect(d.max <= maxLevels, "\(video): largest difference \(d.max) levels")
        #expect(d.mean <= 0.01, "\(video): mean difference \(d.mean) levels")
    }
}

