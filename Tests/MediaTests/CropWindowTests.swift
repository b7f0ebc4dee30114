// FrameConverter computes only the source columns the centre crop needs: which columns, and which formats.
import CFFmpeg
@testable import Media
import Testing

@Suite("Crop window")
struct CropWindowTests {
    @Test("1280 → 398 wide, crop 87..<311: source columns cover the bicubic reach plus a margin, cut at multiples of 32")
    func landscape720p() throws {
        let window = try #require(FrameConverter.sourceColumns(for: 87..<311, width: 1280, scaledWidth: 398, format: AV_PIX_FMT_YUV420P))
        let r = window.columns
        #expect(window.offsets == FrameConverter.planeOffsets(AV_PIX_FMT_YUV420P, x: r.lowerBound))
        let ratio = 1280.0 / 398
        #expect(r.lowerBound % 32 == 0 && (r.count % 32 == 0 || r.upperBound == 1280))
        // Every source pixel within 2 output pixels (bicubic support) of a kept column, plus 16 for chroma.
        #expect(Double(r.lowerBound) <= 87.5 * ratio - 0.5 - 2 * ratio - 16)
        #expect(Double(r.upperBound) >= 310.5 * ratio - 0.5 + 2 * ratio + 16)
        #expect(r.count < 1280 * 7 / 8)
    }

    @Test("nearly the whole width, or a format whose planes cannot be cut: no window")
    func noWindow() {
        #expect(FrameConverter.sourceColumns(for: 38..<262, width: 300, scaledWidth: 300, format: AV_PIX_FMT_YUV420P)?.columns == nil)
        #expect(FrameConverter.sourceColumns(for: 87..<311, width: 1280, scaledWidth: 398, format: AV_PIX_FMT_YUYV422)?.columns == nil)
        #expect(FrameConverter.sourceColumns(for: 87..<311, width: 1280, scaledWidth: 398, format: AV_PIX_FMT_PAL8)?.columns == nil)
    }

    @Test("plane byte offsets of column 64", arguments: [
        (AV_PIX_FMT_YUV420P, [64, 32, 32, 0]), (AV_PIX_FMT_YUV444P, [64, 64, 64, 0]),
        (AV_PIX_FMT_NV12, [64, 64, 0, 0]), (AV_PIX_FMT_YUV420P10LE, [128, 64, 64, 0]),
    ])
    func offsets(format: AVPixelFormat, expected: [Int]) {
        #expect(FrameConverter.planeOffsets(format, x: 64) == expected)
    }
}
