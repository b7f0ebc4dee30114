// Resampler: any decoded audio → mono float at the model's rate (swresample; channels averaged).
import CFFmpeg

final class Resampler {
    let outRate: Int
    private let input: String
    private var swr: OpaquePointer?
    private var key: (rate: Int32, format: Int32, channels: Int32, mask: UInt64) = (0, -1, 0, 0)
    private var scratch: [Float] = []

    init(outRate: Int, input: String) {
        self.outRate = outRate
        self.input = input
    }

    deinit { swr_free(&swr) }

    /// Appends `count` input samples (FFmpeg data planes) converted to mono float at `outRate`.
    func convert(_ data: UnsafePointer<UnsafePointer<UInt8>?>?, count: Int, layout: AVChannelLayout,
                 format: AVSampleFormat, rate: Int32, into out: inout [Float]) throws {
        let mask = layout.order == AV_CHANNEL_ORDER_NATIVE ? layout.u.mask : 0
        if swr == nil || key != (rate, format.rawValue, layout.nb_channels, mask) {
            if swr != nil { flush(into: &out) }
            try configure(layout: layout, format: format, rate: rate)
            key = (rate, format.rawValue, layout.nb_channels, mask)
        }
        try run(data, count: count, into: &out)
    }

    /// Appends what the resampler still holds.
    func flush(into out: inout [Float]) {
        guard swr != nil else { return }
        try? run(nil, count: 0, into: &out)
    }

    private func configure(layout: AVChannelLayout, format: AVSampleFormat, rate: Int32) throws {
        swr_free(&swr)
        var inLayout = AVChannelLayout()
        if layout.order == AV_CHANNEL_ORDER_NATIVE {
            inLayout = layout
        } else {
            av_channel_layout_default(&inLayout, layout.nb_channels)
        }
        var outLayout = AVChannelLayout()
        merclip_channel_layout_mono(&outLayout)
        let channels = Int(inLayout.nb_channels)
        guard channels > 0, rate > 0 else {
            throw MediaError(.corrupt, input: input, reason: "audio with \(channels) channels at \(rate) Hz")
        }
        var r = swr_alloc_set_opts2(&swr, &outLayout, AV_SAMPLE_FMT_FLT, Int32(outRate),
                                    &inLayout, format, rate, 0, nil)
        if r >= 0 {
            // Mono = the plain average of all channels.
            var matrix = [Double](repeating: 1 / Double(channels), count: channels)
            r = swr_set_matrix(swr, &matrix, Int32(channels))
        }
        if r >= 0 { r = swr_init(swr) }
        if r < 0 {
            throw MediaError(.unsupportedCodec, input: input,
                             reason: "cannot resample \(channels)-channel audio at \(rate) Hz: \(ffDetail(r))")
        }
    }

    private func run(_ data: UnsafePointer<UnsafePointer<UInt8>?>?, count: Int, into out: inout [Float]) throws {
        let capacity = Int(swr_get_out_samples(swr, Int32(count))) + 16
        if scratch.count < capacity { scratch = [Float](repeating: 0, count: capacity) }
        let n: Int32 = scratch.withUnsafeMutableBytes { buf in
            var dst: UnsafeMutablePointer<UInt8>? = buf.baseAddress!.assumingMemoryBound(to: UInt8.self)
            return swr_convert(swr, &dst, Int32(capacity), UnsafeMutablePointer(mutating: data), Int32(count))
        }
        if n < 0 { throw MediaError(.corrupt, input: input, reason: "resampling failed: \(ffDetail(n))") }
        out.append(contentsOf: scratch[0..<Int(n)])
    }
}
