// FrameConverter: decoded picture → rotated, shortest side resized (bicubic), centre-cropped, CLIP-normalised RGB planes.
import CFFmpeg

final class FrameConverter {
    let size: Int
    /// Clockwise rotation (0, 90, 180, 270) that displays the picture upright.
    let rotation: Int
    private let lut: [[Float]]  // per channel: byte value → normalised float
    private let scalers = Scalers.take()
    private let input: String
    private let maxPixels: Int

    init(size: Int, mean: [Float], std: [Float], rotation: Int, maxPixels: Int, input: String) {
        self.size = size
        self.rotation = rotation
        self.input = input
        self.maxPixels = maxPixels
        lut = (0..<3).map { c in (0..<256).map { (Float($0) / 255 - mean[c]) / std[c] } }
    }

    deinit { Scalers.give(scalers) }

    /// swscale's bicubic (B, C) = (0, 0.5): Keys' cubic convolution with a = -0.5, as PIL's BICUBIC (and so
    /// CLIP's torchvision Resize) uses; swscale's own default is C = 0.6, which rings more at edges.
    static let bicubic: [Double] = [0, 0.5]

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
        let s = scalers
        guard sws_isSupportedInput(format) != 0 else {
            throw MediaError(.unsupportedCodec, input: input, reason: "pixel format \(f.format) cannot be converted")
        }
        // As CLIP's Python preprocessing sees a video frame: first the full-resolution RGB picture (unless the
        // frame already is RGB24), then PIL's two resampling passes, along the displayed horizontal into 8-bit
        // RGB (rounded and clipped), then along the displayed vertical.
        let sideways = rotation == 90 || rotation == 270
        let midW = sideways ? width : g.scaledW, midH = sideways ? g.scaledH : height
        let flags = SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT | SWS_FULL_CHR_H_INP
        let isRGB = format == AV_PIX_FMT_RGB24
        // Only what the centre crop keeps is computed: when the first pass runs along stored rows and the
        // second one really resizes, the second pass only for the kept columns, and the RGB conversion only
        // for the source columns those depend on (with a margin, so every kept value is the same as from
        // the whole picture).
        let keep: Range<Int> = sideways || midH == g.scaledH ? 0..<midW
            : { let lo = rotation == 180 ? g.scaledW - g.left - size : g.left; return lo..<(lo + size) }()
        let source = sideways || isRGB ? nil : FrameConverter.sourceColumns(for: keep, width: width, scaledWidth: midW, format: format)
        let sourceX = source?.columns.lowerBound ?? 0, sourceW = source?.columns.count ?? width
        if !isRGB {
            // Chroma upsampling with swscale's default bicubic (B = 0, C = 0.6), as `ffmpeg -vf
            // scale=flags=bicubic+accurate_rnd+full_chroma_int -pix_fmt rgb24` makes an RGB frame. Written as
            // planar GBR: the same values (bit-identical), through swscale's ~4× faster planar output.
            s.toRGB = try context(s.toRGB, sourceW, height, format, sourceW, height, flags, to: AV_PIX_FMT_GBRP, pil: false)
            // The picture's own colour matrix and range (swscale assumes BT.601 limited range otherwise).
            let space = f.colorspace == AVCOL_SPC_UNSPECIFIED || f.colorspace == AVCOL_SPC_RGB
                ? SWS_CS_DEFAULT : Int32(f.colorspace.rawValue)
            let srcFull: Int32 = f.color_range == AVCOL_RANGE_JPEG ? 1 : 0
            sws_setColorspaceDetails(s.toRGB, sws_getCoefficients(space), srcFull, sws_getCoefficients(SWS_CS_DEFAULT), 1,
                                     0, 1 << 16, 1 << 16)
        }
        s.across = try context(s.across, width, height, isRGB ? AV_PIX_FMT_RGB24 : AV_PIX_FMT_GBRP, midW, midH, flags)
        s.along = try context(s.along, keep.count, midH, AV_PIX_FMT_RGB24, sideways ? g.scaledW : keep.count, g.scaledH, flags)
        let fullStride = (width + 31) & ~31, midStride = (midW * 3 + 31) & ~31, stride = (g.scaledW * 3 + 31) & ~31
        let plane = fullStride * height  // `full` holds the G, B and R planes
        if !isRGB { ensure(&s.full, 3 * plane) }
        ensure(&s.mid, midStride * midH)
        ensure(&s.rgb, stride * g.scaledH)
        if isRGB {
            try scale(s.across, [f.data.0], [f.linesize.0], height, into: &s.mid, 0, midStride)
        } else {
            let offsets = source?.offsets ?? [0, 0, 0, 0]
            let converted: Int32 = s.full.withUnsafeMutableBufferPointer { dst in
                var dstData: [UnsafeMutablePointer<UInt8>?] = (0..<3).map { dst.baseAddress! + $0 * plane + sourceX } + [nil]
                var dstStride: [Int32] = [Int32](repeating: Int32(fullStride), count: 3) + [0]
                var src: [UnsafePointer<UInt8>?] = [f.data.0, f.data.1, f.data.2, f.data.3].enumerated().map { i, p in
                    p.map { UnsafePointer($0 + offsets[i]) }
                }
                var srcStride: [Int32] = [f.linesize.0, f.linesize.1, f.linesize.2, f.linesize.3]
                return sws_scale(s.toRGB, &src, &srcStride, 0, Int32(height), &dstData, &dstStride)
            }
            guard converted > 0 else { throw MediaError(.corrupt, input: input, reason: "cannot convert a picture to RGB") }
            try s.full.withUnsafeMutableBufferPointer { full in
                try scale(s.across, (0..<3).map { full.baseAddress! + $0 * plane }, [Int32](repeating: Int32(fullStride), count: 3),
                          height, into: &s.mid, 0, midStride)
            }
        }
        try s.mid.withUnsafeMutableBufferPointer {
            try scale(s.along, [$0.baseAddress! + keep.lowerBound * 3], [Int32(midStride)], midH, into: &s.rgb, keep.lowerBound * 3, stride)
        }
        crop(g, stride: stride, into: out)
    }

    /// A cached swscale context (to RGB24 unless `to` says otherwise): bicubic with PIL's coefficients, or
    /// swscale's own (`pil` false).
    private func context(_ old: OpaquePointer?, _ srcW: Int, _ srcH: Int, _ srcFormat: AVPixelFormat,
                         _ dstW: Int, _ dstH: Int, _ flags: Int32, to dstFormat: AVPixelFormat = AV_PIX_FMT_RGB24,
                         pil: Bool = true) throws -> OpaquePointer {
        let c = FrameConverter.bicubic.withUnsafeBufferPointer { param in
            sws_getCachedContext(old, Int32(srcW), Int32(srcH), srcFormat, Int32(dstW), Int32(dstH),
                                 dstFormat, flags, nil, nil, pil ? param.baseAddress : nil)
        }
        guard let c else { throw MediaError(.outOfMemory, input: input, reason: "cannot create the scaler") }
        return c
    }

    private func ensure(_ buffer: inout [UInt8], _ count: Int) {
        if buffer.count < count + 32 { buffer = [UInt8](repeating: 0, count: count + 32) }
    }

    /// One resampling pass into RGB24, from RGB24 (one plane) or GBRP (three).
    private func scale(_ c: OpaquePointer?, _ src: [UnsafeMutablePointer<UInt8>?], _ srcStride: [Int32], _ srcH: Int,
                       into dst: inout [UInt8], _ dstOffset: Int, _ dstStride: Int) throws {
        // swscale reads four plane pointers and strides whatever the format.
        var srcData = (src + [nil, nil, nil]).prefix(4).map { $0.map { UnsafePointer($0) } }
        var srcLine = Array((srcStride + [0, 0, 0]).prefix(4))
        let done: Int32 = dst.withUnsafeMutableBufferPointer { d in
            var dstData: [UnsafeMutablePointer<UInt8>?] = [d.baseAddress! + dstOffset, nil, nil, nil]
            var dstLine: [Int32] = [Int32(dstStride), 0, 0, 0]
            return sws_scale(c, &srcData, &srcLine, 0, Int32(srcH), &dstData, &dstLine)
        }
        guard done > 0 else { throw MediaError(.corrupt, input: input, reason: "cannot resize a picture") }
    }

    /// The source columns (a multiple of 32 wide margin included) that a horizontal bicubic resize of
    /// `width` → `scaledWidth` reads to make the output columns `keep`, with the byte offsets of their
    /// first column in each plane; nil when that is (nearly) all of them or the pixel format's planes
    /// cannot be cut at a column.
    static func sourceColumns(for keep: Range<Int>, width: Int, scaledWidth: Int,
                              format: AVPixelFormat) -> (columns: Range<Int>, offsets: [Int])? {
        let ratio = Double(width) / Double(scaledWidth)
        // Bicubic support is 2 output-pixel widths each side (times the ratio when shrinking), plus
        // room for the chroma upsampling filter at the cut.
        let reach = 2 * max(1, ratio) + 16
        let lo = max(0, (Int((Double(keep.lowerBound) + 0.5) * ratio - 0.5 - reach) & ~31))
        var hi = min(width, Int(((Double(keep.upperBound) - 0.5) * ratio - 0.5 + reach).rounded(.up)))
        if hi < width { hi = min(width, lo + ((hi - lo + 31) & ~31)) }
        guard hi - lo < width * 7 / 8, let offsets = planeOffsets(format, x: lo) else { return nil }
        return (lo..<hi, offsets)
    }

    /// Byte offsets into each plane of the pixel at column `x` (a multiple of 32), for planar and
    /// semi-planar formats; nil for packed, palette, bitstream or hardware formats.
    static func planeOffsets(_ format: AVPixelFormat, x: Int) -> [Int]? {
        guard let d = av_pix_fmt_desc_get(format)?.pointee,
              d.flags & UInt64(AV_PIX_FMT_FLAG_PLANAR | AV_PIX_FMT_FLAG_BITSTREAM | AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_HWACCEL)
                == UInt64(AV_PIX_FMT_FLAG_PLANAR) else { return nil }
        var offsets: [Int?] = [0, 0, 0, 0].map { _ in nil }
        let comps = [d.comp.0, d.comp.1, d.comp.2, d.comp.3]
        for c in 0..<Int(d.nb_components) {
            let shift = c == 1 || c == 2 ? Int(d.log2_chroma_w) : 0
            let offset = (x >> shift) * Int(comps[c].step)
            let p = Int(comps[c].plane)
            if let o = offsets[p], o != offset { return nil }
            offsets[p] = offset
        }
        return offsets.map { $0 ?? 0 }
    }

    /// Centre crop in display space, undoing the rotation, through the normalisation tables.
    private func crop(_ g: (scaledW: Int, scaledH: Int, dispW: Int, dispH: Int, left: Int, top: Int),
                      stride: Int, into out: UnsafeMutablePointer<Float>) {
        let s = size, plane = s * s
        let sw = g.scaledW, sh = g.scaledH
        scalers.rgb.withUnsafeBufferPointer { src in
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
