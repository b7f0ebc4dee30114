// FormatInput: an opened AVFormatContext (from a path or from memory), its streams and its errors.
import CFFmpeg
import Foundation

final class FormatInput {
    let context: UnsafeMutablePointer<AVFormatContext>
    let name: String
    let deadline: Deadline
    private let io: CustomIO

    /// Opens `input` with one of `demuxers` only (FFmpeg's `format_whitelist`).
    init(_ input: MediaInput, deadline: Deadline, demuxers: [String] = MediaLimits.supportedDemuxers) throws {
        FFmpegLog.begin()
        name = input.name
        self.deadline = deadline
        var opened: (UnsafeMutablePointer<AVFormatContext>, CustomIO)
        let allowed = demuxers.joined(separator: ",")
        do {
            opened = try FormatInput.open(input, format: nil, demuxers: allowed, deadline: deadline)
        } catch let e as MediaError {
            // Probing failed: the caller's format hint (container name or extension) gets a try.
            guard e.code == .corrupt, case .bytes(_, _, let hint?) = input,
                  let format = av_find_input_format(hint) ?? av_find_input_format(FormatInput.demuxerName(hint)) else { throw e }
            opened = try FormatInput.open(input, format: format, demuxers: allowed, deadline: deadline)
        }
        (context, io) = opened
        let s = avformat_find_stream_info(context, nil)
        if s < 0 {
            throw FormatInput.openError(s, input: input.name, deadline: deadline)
        }
    }

    /// Demuxer names for extensions that are not demuxer names themselves.
    private static func demuxerName(_ ext: String) -> String {
        switch ext.lowercased() {
        case "mkv", "mka", "webm": return "matroska"
        case "m4a", "mov", "3gp": return "mp4"
        case "oga", "opus": return "ogg"
        case "ts", "m2ts": return "mpegts"
        default: return ext.lowercased()
        }
    }

    private static func open(_ input: MediaInput, format: UnsafePointer<AVInputFormat>?, demuxers: String,
                             deadline: Deadline) throws -> (UnsafeMutablePointer<AVFormatContext>, CustomIO) {
        // A path is opened here, checked to be a regular file on the opened descriptor (never blocking), and
        // FFmpeg reads that descriptor: swapping the file after the check changes nothing. The path is still
        // given as the URL, for FFmpeg's probing by extension.
        let source: CustomIO.Source
        switch input {
        case .file(let path):
            let (handle, size) = try RegularFile.open(path)
            source = .file(handle, size: size)
        case .bytes(let data, _, _):
            source = .bytes([UInt8](data))
        }
        let io = try CustomIO(source, input: input.name)
        guard let ctx = avformat_alloc_context() else {
            throw MediaError(.outOfMemory, input: input.name, reason: "cannot allocate a format context")
        }
        ctx.pointee.interrupt_callback = deadline.interruptCallback
        ctx.pointee.pb = io.context
        ctx.pointee.flags |= AVFMT_FLAG_CUSTOM_IO
        var options: OpaquePointer?
        defer { av_dict_free(&options) }
        // Only the product's containers: a playlist or concat list would open other files.
        av_dict_set(&options, "format_whitelist", demuxers, 0)
        // Nested opens (playlists, references) must not reach any protocol: not a file, not the network.
        av_dict_set(&options, "protocol_whitelist", "none", 0)
        var url = ""
        if case .file(let path) = input { url = path }
        var p: UnsafeMutablePointer<AVFormatContext>? = ctx
        let r = avformat_open_input(&p, url, format, &options)
        guard r >= 0, let opened = p else {
            // avformat_open_input freed the context.
            if r == merclip_averror(EINVAL), let probed = probedFormat(input, format: format),
               Set(probed.split(separator: ",")).isDisjoint(with: demuxers.split(separator: ",")) {
                throw MediaError(.unsupportedContainer, input: input.name, reason:
                    "the container is '\(probed)', which is not opened for media (supported: \(demuxers.replacingOccurrences(of: ",", with: ", ")))")
            }
            throw FormatInput.openError(r, input: input.name, deadline: deadline)
        }
        return (opened, io)
    }

    /// The demuxer FFmpeg would choose for `input` (from its first 64 KiB), for the error that names it.
    private static func probedFormat(_ input: MediaInput, format: UnsafePointer<AVInputFormat>?) -> String? {
        if let format { return String(cString: format.pointee.name) }
        var head: [UInt8]
        switch input {
        case .file(let path): head = (try? RegularFile.head(path, count: 1 << 16).bytes) ?? []
        case .bytes(let data, _, _): head = [UInt8](data.prefix(1 << 16))
        }
        let size = Int32(head.count)
        head += [UInt8](repeating: 0, count: Int(AVPROBE_PADDING_SIZE))
        return input.name.withCString { filename in
            head.withUnsafeMutableBufferPointer { buf in
                var pd = AVProbeData(filename: filename, buf: buf.baseAddress, buf_size: size, mime_type: nil)
                return av_probe_input_format(&pd, 1).map { String(cString: $0.pointee.name) }
            }
        }
    }

    deinit {
        var p: UnsafeMutablePointer<AVFormatContext>? = context
        avformat_close_input(&p)
    }

    private static func openError(_ r: Int32, input: String, deadline: Deadline) -> MediaError {
        if deadline.expired || r == merclip_averror_exit() { return deadline.error }
        let detail = ffDetail(r)
        switch r {
        case merclip_averror(ENOENT), merclip_averror(EACCES), merclip_averror(EISDIR), merclip_averror_eio():
            return MediaError(.unreadable, input: input, reason: "cannot open: \(detail)")
        case merclip_averror_enomem():
            return MediaError(.outOfMemory, input: input, reason: detail)
        case merclip_averror_eof():
            return MediaError(.truncated, input: input, reason: "the data ends before the headers do: \(detail)")
        default:
            return MediaError(.corrupt, input: input, reason: "not a media file FFmpeg can read: \(detail)")
        }
    }

    // MARK: streams

    var streamCount: Int { Int(context.pointee.nb_streams) }

    func stream(_ i: Int) -> UnsafeMutablePointer<AVStream> { context.pointee.streams[i]! }

    func parameters(_ i: Int) -> UnsafeMutablePointer<AVCodecParameters> { stream(i).pointee.codecpar! }

    func mediaType(_ i: Int) -> AVMediaType { parameters(i).pointee.codec_type }

    func timeBase(_ i: Int) -> Double { av_q2d(stream(i).pointee.time_base) }

    /// Seconds per frame of video stream i: from its average frame rate, else its base rate, else 1/25.
    func frameDuration(_ i: Int) -> Double {
        let st = stream(i).pointee
        let rate = st.avg_frame_rate.num > 0 ? st.avg_frame_rate : st.r_frame_rate
        return rate.num > 0 && rate.den > 0 ? 1 / av_q2d(rate) : 0.04
    }

    /// Container format name, e.g. "mov,mp4,m4a,3gp,3g2,mj2".
    var formatName: String { String(cString: context.pointee.iformat.pointee.name) }

    /// Start of the media in seconds (0 when unknown).
    var startTime: Double {
        let s = context.pointee.start_time
        return s == merclip_av_nopts_value() ? 0 : Double(s) / Double(merclip_av_time_base())
    }

    /// Duration in seconds, nil when unknown.
    var duration: Double? {
        let d = context.pointee.duration
        return d == merclip_av_nopts_value() || d <= 0 ? nil : Double(d) / Double(merclip_av_time_base())
    }

    /// Duration of stream i in seconds when the container records it.
    func streamDuration(_ i: Int) -> Double? {
        let d = stream(i).pointee.duration
        return d == merclip_av_nopts_value() || d <= 0 ? nil : Double(d) * timeBase(i)
    }

    /// Where stream i should end (seconds, media time): its start plus its duration, from the
    /// stream header or a Matroska DURATION tag; nil when the container does not say.
    func expectedEnd(_ i: Int) -> Double? {
        let st = stream(i)
        let start = st.pointee.start_time == merclip_av_nopts_value() ? startTime : Double(st.pointee.start_time) * timeBase(i)
        if let d = streamDuration(i) { return start + d }
        if let tag = av_dict_get(st.pointee.metadata, "DURATION", nil, 0),
           let d = SubtitleText.parseTime(String(cString: tag.pointee.value)), d > 0 {
            return startTime + d
        }
        return nil
    }

    /// Throws `.truncated` when the data of stream i stopped (at `reached` seconds) well before
    /// both `wanted` and where the container says the stream ends.
    func checkNotCutShort(_ i: Int, reached: Double?, wanted: Double) throws {
        guard let end = expectedEnd(i) else { return }
        let limit = min(end, wanted)
        let got = reached ?? startTime
        if got < limit - 0.5 {
            throw MediaError(.truncated, input: name, reason: String(
                format: "the data of stream %d stops at %.3f s, the container says it runs to %.3f s", i, got, end))
        }
    }

    /// Lets only `streams` through the demuxer (the others are not even read where the format allows).
    func select(_ streams: [Int]) {
        for i in 0..<streamCount {
            stream(i).pointee.discard = streams.contains(i) ? AVDISCARD_DEFAULT : AVDISCARD_ALL
        }
    }

    /// Seeks to the keyframe at or before `seconds` (media time) in stream `index`, or in all
    /// streams with index -1. Returns false when the format cannot seek there.
    @discardableResult
    func seek(to seconds: Double, stream index: Int) -> Bool {
        let ts: Int64
        if index < 0 {
            ts = Int64((seconds * Double(merclip_av_time_base())).rounded(.down))
        } else {
            ts = Int64((seconds / timeBase(index)).rounded(.down))
        }
        if av_seek_frame(context, Int32(index), ts, AVSEEK_FLAG_BACKWARD) >= 0 { return true }
        // Some formats only seek with a time range.
        return avformat_seek_file(context, Int32(index), Int64.min, ts, ts, 0) >= 0
    }

    /// Reads the next packet of the selected streams. Returns false at the end of the data;
    /// throws a MediaError for a read error (truncated when the data simply stopped).
    func read(_ packet: Packet) throws -> Bool {
        try deadline.check()
        let r = av_read_frame(context, packet.pointer)
        if r >= 0 { return true }
        if r == merclip_averror_eof() { return false }
        throw readError(r)
    }

    func readError(_ r: Int32) -> MediaError {
        if deadline.expired || r == merclip_averror_exit() { return deadline.error }
        if r == merclip_averror_enomem() { return MediaError(.outOfMemory, input: name, reason: ffDetail(r)) }
        let atEnd = context.pointee.pb.map { avio_feof($0) != 0 } ?? false
        if atEnd {
            return MediaError(.truncated, input: name, reason: "the data ends early: \(ffDetail(r))")
        }
        return MediaError(.corrupt, input: name, reason: "cannot read a packet: \(ffDetail(r))")
    }

    /// The last keyframe whose index timestamp is at or before `seconds` in stream i, when the
    /// demuxer has an index: its timestamp (stream time base) and seconds.
    func indexedKeyframe(atOrBefore seconds: Double, stream i: Int) -> (timestamp: Int64, seconds: Double)? {
        let st = stream(i)
        let ts = Int64((seconds / timeBase(i)).rounded(.down))
        let k = av_index_search_timestamp(st, ts, AVSEEK_FLAG_BACKWARD)
        guard k >= 0, let entry = avformat_index_get_entry(st, k) else { return nil }
        return (entry.pointee.timestamp, Double(entry.pointee.timestamp) * timeBase(i))
    }

    /// Back to the first byte of the data (for formats without time seeking).
    func rewindToStart() {
        av_seek_frame(context, -1, 0, AVSEEK_FLAG_BYTE)
    }
}
