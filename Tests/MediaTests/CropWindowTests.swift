// FrameConverter computes only the source columns the centre crop needs: which columns, and which formats.
import CFFmpeg
@testable import Media
import Testing

@Suite("Crop window")
struct CropWindowTests {
    @Test("1280 → 398 wide, crop 87..<311: the columns Pillow's kernel reads, a 16-pixel margin, cut at multiples of 32")
    func landscape720p() throws {
        let k = BicubicKernel(inSize: 1280, outSize: 398, keep: 87..<311)
        let span = k.span
        // Support 2 · 1280/398 each side of the kept outputs' centres.
        #expect(span.lowerBound == Int((87.5 * 1280 / 398) - 2 * 1280.0 / 398 + 0.5))
        #expect(span.upperBound == Int((310.5 * 1280 / 398) + 2 * 1280.0 / 398 + 0.5))
        let window = try #require(FrameConverter.sourceColumns(span: span, flipped: false, width: 1280, format: AV_PIX_FMT_YUV420P))
        let r = window.columns
        #expect(window.offsets == FrameConverter.planeOffsets(AV_PIX_FMT_YUV420P, x: r.lowerBound))
        #expect(r.lowerBound % 32 == 0 && (r.count % 32 == 0 || r.upperBound == 1280))
        #expect(r.lowerBound <= span.lowerBound - 16 && r.upperBound >= span.upperBound + 16)
        #expect(r.count < 1280 * 7 / 8)
        // Mirrored (pictures shown turned 180° or 270°): the same columns counted from the right edge.
        let flipped = try #require(FrameConverter.sourceColumns(span: span, flipped: true, width: 1280, format: AV_PIX_FMT_YUV420P))
        #expect(flipped.columns.lowerBound <= 1280 - span.upperBound - 16 && flipped.columns.upperBound >= 1280 - span.lowerBound + 16)
    }

    @Test("nearly the whole width, or a format whose planes cannot be cut: no window")
    func noWindow() {
        #expect(FrameConverter.sourceColumns(span: 20..<280, flipped: false, width: 300, format: AV_PIX_FMT_YUV420P)?.columns == nil)
        #expect(FrameConverter.sourceColumns(span: 275..<1005, flipped: false, width: 1280, format: AV_PIX_FMT_YUYV422)?.columns == nil)
        #expect(FrameConverter.sourceColumns(span: 275..<1005, flipped: false, width: 1280, format: AV_PIX_FMT_PAL8)?.columns == nil)
    }

    @Test("plane byte offsets of column 64", arguments: [
        (AV_PIX_FMT_YUV420P, [64, 32, 32, 0]), (AV_PIX_FMT_YUV444P, [64, 64, 64, 0]),
        (AV_PIX_FMT_NV12, [64, 64, 0, 0]), (AV_PIX_FMT_YUV420P10LE, [128, 64, 64, 0]),
    ])
    func offsets(format: AVPixelFormat, expected: [Int]) {
        #expect(FrameConverter.planeOffsets(format, x: 64) == expected)
    }

    @Test("Pillow's coefficients: each output's weights sum to 1 in 22-bit fixed point, a same-size axis is the identity")
    func kernel() {
        let k = BicubicKernel(inSize: 720, outSize: 224, keep: 0..<224)
        for j in 0..<224 {
            let sum = (0..<k.count[j]).reduce(0) { $0 + Int(k.fixed[j * k.taps + $1]) }
            #expect(abs(sum - (1 << 22)) <= k.count[j], "output \(j): \(sum)")
        }
        #expect(k.taps == 15)
        let same = BicubicKernel(inSize: 224, outSize: 224, keep: 10..<20)
        #expect(same.first == Array(10..<20) && same.count.allSatisfy { $0 == 1 } && same.fixed.allSatisfy { $0 == 1 << 22 })
    }
}
