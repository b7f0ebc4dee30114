// FrameConverter: decoded picture → rotated, shortest side resized (bicubic), centre-cropped, CLIP-normalised RGB planes.
import CFFmpeg

final class FrameConverter {
    let size: Int
    /// Clockwise rotation (0, 90, 180, 270) that displays the picture upright.
    let rotation: Int
    private let lut: [[Float]]  // per channel: byte value → normalised float
    private var sws: OpaquePointer?
    private var rgb: [UInt8] = []
    private let input: String
    private let maxPixels: Int

    init(size: Int, mean: [Float], std: [Float], rotation: Int, maxPixels: Int, input: String) {
        self.size = size
        self.rotation = rotation
        self.input = input
        self.maxPixels = maxPixels
        lut = (0..<3).map { c in (0..<256).map { (Float($0) / 255 - mean[c]) / std[c] } }
    }

    deinit { sws_freeContext(sws) }

    /// The picture size after resizing so that the shortest displayed side is `size`:
    /// (width, height) of the unrotated scaled picture, and the crop offsets in display space.
    static func geometry(width: Int, height: Int, sar: Double, rotation: Int, size: Int)
        -> (scaledW: Int, scaledH: Int, dispW: Int, dispH: Int, left: Int, top: Int) {
        let w = Double(width) * (sar > 0 ? sar : 1), h = Double(height)
        let sideways = rotation == 90 || rotation == 270
        let (dw, dh) = sideways ? (h, w) : (w, h)
        // torchvision Resize(size): the short side becomes size, the long side int(size * long / short).
        let (dispW, dispH): (Int, Int) = dw <= dh
            ? (size, max(size, Int(Double(size) * dh / dw)))
            : (max(size, Int(Double(size) * dw / dh)), size)
        // torchvision CenterCrop: offset int(round((side - size) / 2)).
        let left = Int((Double(dispW - size) / 2).rounded(.toNearestOrEven))
        let top = Int((Double(dispH - size) / 2).rounded(.toNearestOrEven))
        return sideways ? (dispH, dispW, dispW, dispH, left, top) : (dispW, dispH, dispW, dispH, left, top)
    }

    /// Writes 3 × size × size floats (R, G, B planes) for `frame` into `out`.
    func convert(_ frame: UnsafeMutablePointer<AVFrame>, into out: UnsafeMutablePointer<Float>) throws {
        let f = frame.pointee
        let width = Int(f.width), height = Int(f.height)
        guard width > 0, height > 0 else { throw MediaError(.corrupt, input: input, reason: "a decoded picture has no size") }
        if width * height > maxPixels {
            throw MediaError(.resolutionTooHigh, input: input,
                             reason: "a picture is \(width)x\(height) = \(width * height) pixels, over the limit of \(maxPixels)")
        }
        let sar = f.sample_aspect_ratio.num > 0 && f.sample_aspect_ratio.den > 0 ? av_q2d(f.sample_aspect_ratio) : 1
        let g = FrameConverter.geometry(width: width, height: height, sar: sar, rotation: rotation, size: size)
        let format = AVPixelFormat(rawValue: f.format)
        guard sws_isSupportedInput(format) != 0 else {
            throw MediaError(.unsupportedCodec, input: input, reason: "pixel format \(f.format) cannot be converted")
        }
        sws = sws_getCachedContext(sws, Int32(width), Int32(height), format, Int32(g.scaledW), Int32(g.scaledH),
                                   AV_PIX_FMT_RGB24, SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, nil, nil, nil)
        guard let sws else { throw MediaError(.outOfMemory, input: input, reason: "cannot create the scaler") }
        // The picture's own colour matrix and range (swscale assumes BT.601 limited range otherwise).
        let space = f.colorspace == AVCOL_SPC_UNSPECIFIED || f.colorspace == AVCOL_SPC_RGB
            ? SWS_CS_DEFAULT : Int32(f.colorspace.rawValue)
        let srcFull: Int32 = f.color_range == AVCOL_RANGE_JPEG ? 1 : 0
        sws_setColorspaceDetails(sws, sws_getCoefficients(space), srcFull, sws_getCoefficients(SWS_CS_DEFAULT), 1,
                                 0, 1 << 16, 1 << 16)
        let stride = (g.scaledW * 3 + 31) & ~31
        if rgb.count < stride * g.scaledH + 32 { rgb = [UInt8](repeating: 0, count: stride * g.scaledH + 32) }
        let scaled: Int32 = rgb.withUnsafeMutableBufferPointer { dst in
            var dstData: UnsafeMutablePointer<UInt8>? = dst.baseAddress
            var dstStride = Int32(stride)
            return withUnsafePointer(to: frame.pointee.data) { data in
                withUnsafePointer(to: frame.pointee.linesize) { lines in
                    data.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 8) { src in
                        lines.withMemoryRebound(to: Int32.self, capacity: 8) { srcStride in
                            sws_scale(sws, src, srcStride, 0, Int32(height), &dstData, &dstStride)
                        }
                    }
                }
            }
        }
        guard scaled > 0 else { throw MediaError(.corrupt, input: input, reason: "cannot convert a picture") }
        crop(g, stride: stride, into: out)
    }

    /// Centre crop in display space, undoing the rotation, through the normalisation tables.
    private func crop(_ g: (scaledW: Int, scaledH: Int, dispW: Int, dispH: Int, left: Int, top: Int),
                      stride: Int, into out: UnsafeMutablePointer<Float>) {
        let s = size, plane = s * s
        let sw = g.scaledW, sh = g.scaledH
        rgb.withUnsafeBufferPointer { src in
            lut[0].withUnsafeBufferPointer { r in
            lut[1].withUnsafeBufferPointer { gl in
            lut[2].withUnsafeBufferPointer { b in
                for y in 0..<s {
                    let Y = y + g.top
                    for x in 0..<s {
                        let X = x + g.left
                        let u: Int, v: Int  // column, row in the unrotated scaled picture
                        switch rotation {
                        case 90: u = Y; v = sh - 1 - X
                        case 180: u = sw - 1 - X; v = sh - 1 - Y
                        case 270: u = sw - 1 - Y; v = X
                        default: u = X; v = Y
                        }
                        let p = v * stride + u * 3
                        let o = y * s + x
                        out[o] = r[Int(src[p])]
                        out[plane + o] = gl[Int(src[p + 1])]
                        out[2 * plane + o] = b[Int(src[p + 2])]
                    }
                }
            }
            }
            }
        }
    }

    /// Clockwise display rotation of a stream: from its display matrix, else its "rotate" tag.
    static func rotation(of stream: UnsafeMutablePointer<AVStream>) -> Int {
        var degrees: Double = 0
        if let matrix = merclip_stream_display_matrix(stream) {
            // FFmpeg's own rule (fftools): the matrix rotates counter-clockwise.
            degrees = -av_display_rotation_get(matrix)
        } else if let tag = av_dict_get(stream.pointee.metadata, "rotate", nil, 0),
                  let value = Double(String(cString: tag.pointee.value)) {
            degrees = value
        }
        guard degrees.isFinite else { return 0 }
        let quarter = Int((degrees / 90).rounded()) % 4
        return ((quarter + 4) % 4) * 90
    }
}
