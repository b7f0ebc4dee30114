// FrameConverter: decoded picture → rotated, shortest side resized (Pillow's bicubic), centre-cropped, CLIP-normalised RGB planes.
import CFFmpeg

final class FrameConverter {
    let size: Int
    /// Clockwise rotation (0, 90, 180, 270) that displays the picture upright.
    let rotation: Int
    private let mean: [Float], std: [Float]  // per channel, of v / 255
    /// Convert only the source columns the crop needs (false: the whole picture, to check they agree).
    var cropSource = true
    private let scalers = Scalers.take()
    private let input: String
    private let maxPixels: Int

    init(size: Int, mean: [Float], std: [Float], rotation: Int, maxPixels: Int, input: String) {
        self.size = size
        self.rotation = rotation
        self.input = input
        self.maxPixels = maxPixels
        self.mean = mean
        self.std = std
    }

    deinit { Scalers.give(scalers) }

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
        // frame already is RGB24), then Pillow's two resampling passes on the upright picture, along the
        // displayed horizontal into 8-bit RGB (rounded and clipped), then along the displayed vertical.
        let sideways = rotation == 90 || rotation == 270
        let isRGB = format == AV_PIX_FMT_RGB24
        // Only what the centre crop keeps is computed: the kept columns of the first pass on the rows the
        // kept rows of the second pass read, and the RGB conversion only for the source columns those read
        // (with a margin, so that every kept value is the same as from the whole picture).
        let kx = s.kernel(0, inSize: sideways ? height : width, outSize: g.dispW, keep: g.left..<(g.left + size))
        let ky = s.kernel(1, inSize: sideways ? width : height, outSize: g.dispH, keep: g.top..<(g.top + size))
        let resampler = FrameResampler(across: kx, down: ky)
        // Stored columns read: display columns (0°, 180°) or display rows (90°, 270°), mirrored at 180° and 270°.
        let storedSpan = sideways ? ky.span : kx.span
        let source = isRGB || !cropSource ? nil
            : FrameConverter.sourceColumns(span: storedSpan, flipped: rotation == 180 || rotation == 270, width: width, format: format)
        let sourceX = source?.columns.lowerBound ?? 0, sourceW = source?.columns.count ?? width
        let fullStride = (width + 31) & ~31
        let plane = fullStride * height  // `full` holds the G, B and R planes
        if !isRGB {
            // Chroma upsampling with swscale's default bicubic (B = 0, C = 0.6), as `ffmpeg -vf
            // scale=flags=bicubic+accurate_rnd+full_chroma_int -pix_fmt rgb24` makes an RGB frame. Written as
            // planar GBR: the same values (bit-identical), through swscale's ~4× faster planar output.
            let flags = SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT | SWS_FULL_CHR_H_INP
            s.toRGB = try context(s.toRGB, sourceW, height, format, sourceW, height, flags)
            // The picture's own colour matrix and range (swscale assumes BT.601 limited range otherwise).
            let space = f.colorspace == AVCOL_SPC_UNSPECIFIED || f.colorspace == AVCOL_SPC_RGB
                ? SWS_CS_DEFAULT : Int32(f.colorspace.rawValue)
            let srcFull: Int32 = f.color_range == AVCOL_RANGE_JPEG ? 1 : 0
            sws_setColorspaceDetails(s.toRGB, sws_getCoefficients(space), srcFull, sws_getCoefficients(SWS_CS_DEFAULT), 1,
                                     0, 1 << 16, 1 << 16)
            ensure(&s.full, 3 * plane)
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
        }
        if s.temp.count < resampler.rows.count * resampler.pitch { s.temp = [Int16](repeating: 0, count: resampler.rows.count * resampler.pitch) }
        if s.columns.count < 2 * kx.span.count + 8 { s.columns = [SIMD8<Float>](repeating: .zero, count: 2 * kx.span.count + 8) }
        let block = size * size
        try s.full.withUnsafeBufferPointer { full in
            try s.temp.withUnsafeMutableBufferPointer { temp in
                try s.columns.withUnsafeMutableBufferPointer { columns in
                    // Output planes R, G, B; `full` holds G, B, R; RGB24 interleaves R, G, B.
                    for (c, fromPlane) in [2, 0, 1].enumerated() {
                        let view: ChannelView
                        if isRGB {
                            guard let p = f.data.0 else { throw MediaError(.corrupt, input: input, reason: "a decoded picture has no data") }
                            view = ChannelView(stored: UnsafePointer(p + c), step: 3, stride: Int(f.linesize.0),
                                               width: width, height: height, rotation: rotation)
                        } else {
                            view = ChannelView(stored: full.baseAddress! + fromPlane * plane, step: 1, stride: fullStride,
                                               width: width, height: height, rotation: rotation)
                        }
                        let mean = SIMD8<Float>(repeating: self.mean[c]), std = SIMD8<Float>(repeating: self.std[c])
                        resampler.resample(view, temp: temp.baseAddress!, columns: columns.baseAddress!, into: out + c * block) {
                            ($0 / 255 - mean) / std
                        }
                    }
                }
            }
        }
    }

    /// A cached swscale context to planar GBR with swscale's own bicubic.
    private func context(_ old: OpaquePointer?, _ srcW: Int, _ srcH: Int, _ srcFormat: AVPixelFormat,
                         _ dstW: Int, _ dstH: Int, _ flags: Int32) throws -> OpaquePointer {
        guard let c = sws_getCachedContext(old, Int32(srcW), Int32(srcH), srcFormat, Int32(dstW), Int32(dstH),
                                           AV_PIX_FMT_GBRP, flags, nil, nil, nil) else {
            throw MediaError(.outOfMemory, input: input, reason: "cannot create the scaler")
        }
        return c
    }

    private func ensure(_ buffer: inout [UInt8], _ count: Int) {
        if buffer.count < count + 32 { buffer = [UInt8](repeating: 0, count: count + 32) }
    }

    /// The source columns the resize reads (`span`, counted from the right edge when `flipped`), widened by a
    /// 16-pixel margin for the chroma upsampling filter at the cut and to multiples of 32, with the byte
    /// offsets of their first column in each plane; nil when that is (nearly) all of them or the pixel
    /// format's planes cannot be cut at a column.
    static func sourceColumns(span: Range<Int>, flipped: Bool, width: Int,
                              format: AVPixelFormat) -> (columns: Range<Int>, offsets: [Int])? {
        let first = flipped ? width - span.upperBound : span.lowerBound
        let end = flipped ? width - span.lowerBound : span.upperBound
        let lo = max(0, (first - 16) & ~31)
        var hi = min(width, end + 16)
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
