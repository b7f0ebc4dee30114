// AudioSubtitlePass: one demux pass over a window decoding the audio (to 16 kHz mono) and the subtitle cues.
import CFFmpeg

struct AudioSubtitlePass {
    let format: FormatInput
    let audioStream: Int?
    let subtitleStream: Int?
    let threads: Int
    let sampleRate: Int

    struct Result {
        /// Mono samples at `sampleRate` covering [start, end) of the window, shorter when the audio
        /// ends early, zeros where it starts late; nil without an audio stream.
        var samples: [Float]?
        var cues: [SubtitleCue] = []
        var audioFramesDecoded = 0
    }

    func run(start: Double, end: Double) throws -> Result {
        let name = format.name
        var result = Result()
        format.select([audioStream, subtitleStream].compactMap { $0 })
        // Subtitle cues may start well before the window and still overlap it.
        let rewind = subtitleStream != nil ? 10.0 : 1.0
        if !format.seek(to: max(start - rewind, format.startTime), stream: -1) {
            // No time seek in this format: read from the first byte again.
            format.rewindToStart()
        }

        let audioDecoder = try audioStream.map { try Decoder(stream: format.stream($0), threads: threads, input: name) }
        let subtitleDecoder: Decoder? = subtitleStream.flatMap { try? Decoder(stream: format.stream($0), threads: 1, input: name) }
        let resampler = Resampler(outRate: sampleRate, input: name)
        let packet = try Packet(input: name), frame = try Frame(input: name)
        var samples: [Float] = []
        var firstTime: Double?
        var audioDone = audioStream == nil
        var packets = 0, errors = 0
        var lastAudioEnd: Double?
        var lastError: Int32 = 0
        let atb = audioStream.map { format.timeBase($0) } ?? 1

        func receive(_ dec: UnsafeMutablePointer<AVCodecContext>) throws {
            while true {
                let r = avcodec_receive_frame(dec, frame.pointer)
                if r == merclip_averror_eagain() || r == merclip_averror_eof() { return }
                if r < 0 {
                    errors += 1
                    lastError = r
                    return
                }
                defer { av_frame_unref(frame.pointer) }
                let f = frame.pointer.pointee
                let ts = f.best_effort_timestamp
                let t = ts == merclip_av_nopts_value() ? nil : Double(ts) * atb
                if firstTime == nil { firstTime = t ?? start }
                result.audioFramesDecoded += 1
                let data = UnsafeMutableRawPointer(frame.pointer.pointee.extended_data)?
                    .assumingMemoryBound(to: UnsafePointer<UInt8>?.self)
                try resampler.convert(data, count: Int(f.nb_samples), layout: f.ch_layout,
                                      format: AVSampleFormat(rawValue: f.format), rate: f.sample_rate, into: &samples)
                if let t, t > end + 0.1 { audioDone = true }
            }
        }

        while true {
            guard try format.read(packet) else {
                if let a = audioStream, !audioDone {
                    try format.checkNotCutShort(a, reached: lastAudioEnd, wanted: end)
                }
                if let dec = audioDecoder?.context, !audioDone {
                    avcodec_send_packet(dec, nil)
                    try receive(dec)
                }
                break
            }
            defer { av_packet_unref(packet.pointer) }
            let p = packet.pointer.pointee
            let index = Int(p.stream_index)
            let tb = format.timeBase(index)
            let time: Double? = p.pts != merclip_av_nopts_value() ? Double(p.pts) * tb
                : p.dts != merclip_av_nopts_value() ? Double(p.dts) * tb : nil
            if index == audioStream, let dec = audioDecoder?.context, !audioDone {
                // Decode from a little before the window (codec pre-roll), skip what lies before that.
                if let time {
                    let packetEnd = time + Double(max(p.duration, 0)) * tb
                    lastAudioEnd = max(lastAudioEnd ?? packetEnd, packetEnd)
                    if packetEnd < start - 0.2 { continue }
                }
                packets += 1
                let r = avcodec_send_packet(dec, packet.pointer)
                if r < 0, r != merclip_averror_eagain() {
                    errors += 1
                    lastError = r
                    continue
                }
                try receive(dec)
            } else if index == subtitleStream, let dec = subtitleDecoder?.context {
                if let cue = decodeSubtitle(dec, packet: packet.pointer, time: time, timeBase: tb) {
                    result.cues.append(cue)
                }
            }
            if audioDone, subtitleStream == nil || (time.map { $0 > end + 1 } ?? false) { break }
        }
        try format.deadline.check()
        guard audioStream != nil else { return result }
        resampler.flush(into: &samples)
        if result.audioFramesDecoded == 0 && packets > 0 {
            throw MediaError(.corrupt, input: name,
                             reason: "\(packets) audio packets, nothing decoded" + (errors > 0 ? ": \(ffDetail(lastError))" : ""))
        }
        result.samples = AudioSubtitlePass.window(samples, firstTime: firstTime ?? start,
                                                  start: start, end: end, rate: sampleRate)
        return result
    }

    /// The samples of [start, end) from a run that begins at `firstTime`: zeros before the audio, cut at its end.
    static func window(_ samples: [Float], firstTime: Double, start: Double, end: Double, rate: Int) -> [Float] {
        let wanted = Int(((end - start) * Double(rate)).rounded())
        let offset = Int(((start - firstTime) * Double(rate)).rounded())
        var out: [Float] = []
        out.reserveCapacity(wanted)
        if offset < 0 { out.append(contentsOf: repeatElement(0, count: min(-offset, wanted))) }
        let from = max(offset, 0)
        if from < samples.count, out.count < wanted {
            out.append(contentsOf: samples[from..<min(samples.count, from + wanted - out.count)])
        }
        // Only zeros: the audio lies entirely outside the window.
        return out.count > max(-offset, 0) ? out : []
    }

    private func decodeSubtitle(_ dec: UnsafeMutablePointer<AVCodecContext>, packet: UnsafeMutablePointer<AVPacket>,
                                time: Double?, timeBase tb: Double) -> SubtitleCue? {
        var sub = AVSubtitle()
        var got: Int32 = 0
        let r = avcodec_decode_subtitle2(dec, &sub, &got, packet)
        guard r >= 0, got != 0 else { return nil }
        defer { avsubtitle_free(&sub) }
        var parts: [String] = []
        for i in 0..<Int(sub.num_rects) {
            guard let rect = sub.rects[i]?.pointee else { continue }
            if rect.type == SUBTITLE_ASS, let ass = rect.ass {
                parts.append(SubtitleText.plainFromASSEvent(String(cString: ass)))
            } else if rect.type == SUBTITLE_TEXT, let text = rect.text {
                parts.append(SubtitleText.plain(String(cString: text)))
            }
        }
        let text = parts.filter { !$0.isEmpty }.joined(separator: " ")
        guard !text.isEmpty, let time else { return nil }
        let begin = time + Double(sub.start_display_time) / 1000
        var finish: Double?
        if packet.pointee.duration > 0 {
            finish = time + Double(packet.pointee.duration) * tb
        } else if sub.end_display_time > sub.start_display_time, sub.end_display_time != UInt32.max {
            finish = time + Double(sub.end_display_time) / 1000
        }
        return SubtitleCue(start: begin, end: finish, text: text)
    }
}
