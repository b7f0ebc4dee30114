// Decoder: an opened AVCodecContext for one stream (freed in deinit).
import CFFmpeg

final class Decoder {
    let context: UnsafeMutablePointer<AVCodecContext>

    /// Opens the decoder for `stream`. `threads` 0 lets FFmpeg choose.
    init(stream: UnsafeMutablePointer<AVStream>, threads: Int, input: String) throws {
        let par = stream.pointee.codecpar!
        guard let codec = avcodec_find_decoder(par.pointee.codec_id) else {
            throw MediaError(.unsupportedCodec, input: input,
                             reason: "no decoder for stream \(stream.pointee.index) (\(Decoder.describe(par)))")
        }
        guard let c = avcodec_alloc_context3(codec) else {
            throw MediaError(.outOfMemory, input: input, reason: "cannot allocate a decoder")
        }
        context = c
        var r = avcodec_parameters_to_context(c, par)
        if r >= 0 {
            c.pointee.pkt_timebase = stream.pointee.time_base
            c.pointee.thread_count = Int32(threads)
            r = avcodec_open2(c, codec, nil)
        }
        if r < 0 {
            let detail = ffDetail(r)
            throw MediaError(r == merclip_averror_enomem() ? .outOfMemory : .unsupportedCodec, input: input,
                             reason: "cannot open the \(String(cString: codec.pointee.name)) decoder for stream \(stream.pointee.index): \(detail)")
        }
    }

    deinit {
        var p: UnsafeMutablePointer<AVCodecContext>? = context
        avcodec_free_context(&p)
    }

    /// "h264" or, for a codec FFmpeg does not know, "unknown codec tag 'ABCD'".
    static func describe(_ par: UnsafeMutablePointer<AVCodecParameters>) -> String {
        let id = par.pointee.codec_id
        if id != AV_CODEC_ID_NONE { return String(cString: avcodec_get_name(id)) }
        let tag = par.pointee.codec_tag
        let chars = (0..<4).map { UInt8(truncatingIfNeeded: tag >> (8 * $0)) }
        let text = chars.allSatisfy { $0 >= 32 && $0 < 127 } ? String(decoding: chars, as: UTF8.self) : String(tag, radix: 16)
        return "unknown codec tag '\(text)'"
    }
}
