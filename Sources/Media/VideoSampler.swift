// VideoSampler: the frames shown at given times (seek to the keyframe before, decode forward, convert).
import CFFmpeg
import Foundation

struct VideoSampler {
    let format: FormatInput
    let streamIndex: Int
    let threads: Int
    let converter: FrameConverter
    /// Decode every picture from the first seek on, with no skipping and no forward seeks (the reference
    /// the skipping is checked against: both give the same frames).
    var exhaustive = false
    /// Read ahead instead of decoding on after the last time: see `sample`.
    var readAhead = true

    /// For each time (media seconds, ascending), the frame whose presentation interval contains it,
    /// converted to 3 × size × size floats in `out` (one block per time). Times before the first or
    /// after the last decodable frame get the nearest frame. Returns the frames the decoder put out, the
    /// packets sent to it (some of them non-reference pictures it skipped; packets read ahead and
    /// dropped are not sent), the seeks forward to a later keyframe and the CPU seconds this thread spent
    /// converting frames.
    ///
    /// After the last time, and after the last time before a jump to a later keyframe, packets presented
    /// after it are read ahead instead of decoded. A packet presented at or before it sends them (they
    /// may be its references) and itself; once more of them are queued than the decoder's reordering
    /// depth (`has_b_frames`) plus one, no later packet can be presented at or before that time, so they
    /// are dropped and the decoder is drained: the frame shown then comes out without the pictures a
    /// decoder needs before it outputs one, and the sampler jumps on (the jump resets the decoder
    /// anyway). A keyframe packet or one without a timestamp sends the queue as usual. H.264 and HEVC
    /// only: their reordering is what makes a decoder wait for pictures presented after the one it outputs.
    func sample(times: [Double], into out: UnsafeMutablePointer<Float>) throws -> (decoded: Int, sent: Int, jumps: Int, convertSeconds: Double) {
        let name = format.name
        let st = format.stream(streamIndex)
        let tb = format.timeBase(streamIndex)
        let decoder = try Decoder(stream: st, threads: threads, input: name)
        let dec = decoder.context
        let packet = try Packet(input: name), frame = try Frame(input: name), held = try Frame(input: name)
        let block = 3 * converter.size * converter.size
        // A non-reference frame that starts this long before the next time cannot be the frame shown
        // then (for a constant frame rate), so the decoder may skip it.
        let frameDuration = format.frameDuration(streamIndex)
        let skipMargin = 1.5 * max(frameDuration, 0.001)
        // How far a keyframe's presentation time may lie after its index (decode) timestamp.
        let reorderMargin = 4 * max(frameDuration, 0.001)

        format.select([streamIndex])
        var next = 0
        var havePrevious = false
        var previousTime = -Double.infinity
        var lastConverted = -1            // index in `times` whose block holds the latest conversion
        var lastConvertedTime = Double.nan
        var decoded = 0, packets = 0, sent = 0, errors = 0
        var convertNanoseconds: UInt64 = 0
        var lastPacketEnd: Double?
        // Presentation time of the latest keyframe packet read (+∞ once one came without a timestamp).
        var lastKeyRead = -Double.infinity
        var lastError: Int32 = 0
        var seekTarget = times[0]
        var seekChecks = 0
        var justSeeked = true
        var firstAfterSeek = Double.nan
        var forwardSeeks = 0, jumps = 0
        var atEnd = false
        var readBeforeSeek = -Double.infinity
        // Read-ahead state: the queued packets and the earliest presentation time sent since the last seek.
        let codec = st.pointee.codecpar.pointee.codec_id
        let mayReadAhead = readAhead && !exhaustive
            && [AV_CODEC_ID_H264, AV_CODEC_ID_HEVC].contains(codec)
        var ahead: [Packet] = []
        // Presentation times of the last packets read (a non-reference picture followed on screen by one of
        // them before the next time is not shown then).
        var recentPTS: [Double] = []
        var firstSent = Double.infinity
        format.seek(to: times[0], stream: streamIndex)

        func pick(_ index: Int, _ f: UnsafeMutablePointer<AVFrame>, time: Double) throws {
            let dst = out + index * block
            if lastConverted >= 0, time == lastConvertedTime {
                dst.update(from: out + lastConverted * block, count: block)
            } else {
                let t0 = threadCPUNanoseconds()
                try converter.convert(f, into: dst)
                convertNanoseconds += threadCPUNanoseconds() - t0
            }
            lastConverted = index
            lastConvertedTime = time
        }

        /// Whether the sampler seeks forward for `times[k]`: the index has a keyframe (by presentation time,
        /// `reorderMargin` before it) that was not read yet: one past every packet read so far, or one after the
        /// latest keyframe read (an index time is the keyframe's presentation or decoding time, never after its
        /// presentation; so in MP4, whose index holds decoding times, a keyframe whose B-frame delay puts its
        /// index time before the end of what was read is still found ahead).
        func keyframeAhead(of k: Int) -> Bool {
            guard k < times.count, !atEnd, !exhaustive, forwardSeeks < times.count, let read = lastPacketEnd,
                  let key = format.indexedKeyframe(atOrBefore: times[k] - reorderMargin, stream: streamIndex) else { return false }
            return key.seconds > read || key.seconds > lastKeyRead
        }

        /// Handles one decoded frame; returns true to restart after a seek.
        func handle(_ f: UnsafeMutablePointer<AVFrame>) throws -> Bool {
            decoded += 1
            let ts = f.pointee.best_effort_timestamp
            let t = ts == merclip_av_nopts_value() ? previousTime + frameDuration : Double(ts) * tb
            if justSeeked, !atEnd {
                justSeeked = false
                // The keyframe we landed on starts after the time wanted: seek further back.
                let landedAgain = t == firstAfterSeek
                firstAfterSeek = t
                // A forward seek that went backwards: the index cannot be trusted, stop seeking forward.
                if t < readBeforeSeek { forwardSeeks = times.count }
                readBeforeSeek = -Double.infinity
                if t > seekTarget, seekChecks < 4, !landedAgain, seekTarget > format.startTime + 1e-6,
                   format.seek(to: max(seekTarget - Double(1 << (seekChecks + 1)), format.startTime), stream: streamIndex) {
                    // (A failed seek leaves the position alone: decoding simply goes on.)
                    seekChecks += 1
                    avcodec_flush_buffers(dec)
                    justSeeked = true
                    havePrevious = false
                    firstSent = .infinity
                    return true
                }
            }
            while next < times.count, t > times[next] {
                if havePrevious {
                    try pick(next, held.pointer, time: previousTime)
                } else {
                    try pick(next, f, time: t)
                }
                next += 1
            }
            av_frame_unref(held.pointer)
            av_frame_move_ref(held.pointer, f)
            havePrevious = true
            previousTime = t
            // Jump ahead when the index has a keyframe between what was read and the next time:
            // decoding from there is never more work than decoding on.
            if keyframeAhead(of: next), let read = lastPacketEnd {
                // A failed seek leaves the position alone: go on decoding, and stop trying.
                guard jump(read: read) else {
                    forwardSeeks = times.count
                    return false
                }
                return true
            }
            return false
        }

        /// Seeks to the keyframe before the next time (by presentation time: index timestamps may be decode
        /// times, as in MP4) and resets the decoder.
        func jump(read: Double?) -> Bool {
            forwardSeeks += 1
            guard format.seek(to: times[next], stream: streamIndex) else { return false }
            jumps += 1
            readBeforeSeek = read ?? -Double.infinity
            avcodec_flush_buffers(dec)
            havePrevious = false
            justSeeked = true
            seekTarget = times[next]
            seekChecks = 0
            firstSent = .infinity
            return true
        }

        /// Whether the next time is the last one, or the last before a jump (the one `handle` makes once the
        /// frame shown then comes out).
        func lastBeforeJump() -> Bool { next + 1 == times.count || keyframeAhead(of: next + 1) }

        /// Whether a picture presented at `t` is shown at none of the remaining times: it starts more than
        /// `skipMargin` before the first remaining time at or after it (so, at a constant frame rate, a later
        /// picture is on screen by then), or a packet already read is presented after it and no later than
        /// that time (whatever the frame rate). Pictures after the time being looked for count only once a
        /// picture has been decoded (before that the first picture decoded stands in for earlier times).
        func unshown(_ t: Double) -> Bool {
            var k = next
            while k < times.count, times[k] < t { k += 1 }
            guard k < times.count, k == next || (havePrevious && !justSeeked) else { return false }
            return t + skipMargin < times[k] || recentPTS.contains { $0 > t && $0 <= times[k] }
        }

        func drain() throws -> Bool {
            while true {
                let r = avcodec_receive_frame(dec, frame.pointer)
                if r == merclip_averror_eagain() || r == merclip_averror_eof() { return false }
                if r < 0 {
                    errors += 1
                    lastError = r
                    return false
                }
                if try handle(frame.pointer) { return true }
                if next == times.count { return false }
            }
        }

        /// Sends one packet (not decoding it when no remaining time shows it); returns true to restart after a seek.
        func send(_ p: UnsafeMutablePointer<AVPacket>) throws -> Bool {
            let pts = p.pointee.pts
            // Non-reference pictures that no remaining time shows are not decoded.
            let skip = !exhaustive && pts != merclip_av_nopts_value() && unshown(Double(pts) * tb)
            dec.pointee.skip_frame = skip ? AVDISCARD_NONREF : AVDISCARD_DEFAULT
            if pts != merclip_av_nopts_value() { firstSent = min(firstSent, Double(pts) * tb) }
            let r = avcodec_send_packet(dec, p)
            sent += 1
            if r < 0, r != merclip_averror_eagain() {
                if r == merclip_averror_enomem() { throw MediaError(.outOfMemory, input: name, reason: ffDetail(r)) }
                errors += 1
                lastError = r
                return false
            }
            return try drain()
        }

        /// The queued packets are not needed: drain the decoder, take its last frame for the time waited for,
        /// and jump to the keyframe before the next time, if one is left.
        func dropAhead() throws {
            ahead.removeAll()
            let waited = times[next]
            avcodec_send_packet(dec, nil)
            // A frame presented after the time waited for can come out and make `handle` jump already.
            if try drain() { return }
            guard havePrevious else {
                throw MediaError(.corrupt, input: name, reason: "no picture decoded before \(String(format: "%.3f", waited)) s" + (errors > 0 ? ": \(ffDetail(lastError))" : ""))
            }
            while next < times.count, times[next] <= waited {
                try pick(next, held.pointer, time: previousTime)
                next += 1
            }
            // The drained decoder takes no more packets until it is reset. A failed seek leaves the position
            // alone: reset, go on reading (the next time lies after a keyframe ahead), stop seeking forward.
            if next == times.count || jump(read: lastPacketEnd) { return }
            avcodec_flush_buffers(dec)
            havePrevious = false
            forwardSeeks = times.count
        }

        reading: while next < times.count {
            let more = try format.read(packet)
            if !more {
                atEnd = true  // no more seeking: drain what the decoder holds
                // At the end nothing presented at or before the last time can follow what was read ahead.
                ahead.removeAll()
                try format.checkNotCutShort(streamIndex, reached: lastPacketEnd, wanted: times[next])
                avcodec_send_packet(dec, nil)
                _ = try drain()
                break reading
            }
            defer { av_packet_unref(packet.pointer) }
            guard Int(packet.pointer.pointee.stream_index) == streamIndex else { continue }
            packets += 1
            let pts = packet.pointer.pointee.pts
            if pts != merclip_av_nopts_value() {
                let end = Double(pts + max(packet.pointer.pointee.duration, 0)) * tb
                lastPacketEnd = max(lastPacketEnd ?? end, end)
                if recentPTS.count == 32 { recentPTS.removeFirst() }
                recentPTS.append(Double(pts) * tb)
            }
            if packet.pointer.pointee.flags & AV_PKT_FLAG_KEY != 0 {
                lastKeyRead = pts == merclip_av_nopts_value() ? .infinity : Double(pts) * tb
            }
            if mayReadAhead, !atEnd, pts != merclip_av_nopts_value(), packet.pointer.pointee.flags & AV_PKT_FLAG_KEY == 0,
               Double(pts) * tb > times[next], firstSent <= times[next], lastBeforeJump() {
                let q = try Packet(input: name)
                av_packet_move_ref(q.pointer, packet.pointer)
                ahead.append(q)
                if ahead.count > Int(dec.pointee.has_b_frames) + 1 { try dropAhead() }
                continue
            }
            if !ahead.isEmpty {
                let queued = ahead
                ahead.removeAll()
                for q in queued { if try send(q.pointer) { continue reading } }
            }
            if try send(packet.pointer) { continue reading }
        }
        try format.deadline.check()
        if next < times.count {
            guard havePrevious else {
                if packets > 0 {
                    throw MediaError(.corrupt, input: name,
                                     reason: "\(packets) video packets, no picture decoded" + (errors > 0 ? ": \(ffDetail(lastError))" : ""))
                }
                throw MediaError(.truncated, input: name, reason: "no video data in the segment window")
            }
            // After the last frame: it stays on screen.
            while next < times.count {
                try pick(next, held.pointer, time: previousTime)
                next += 1
            }
        }
        return (decoded, sent, jumps, Double(convertNanoseconds) / 1e9)
    }
}

/// CPU time of the calling thread (CLOCK_THREAD_CPUTIME_ID), in nanoseconds.
func threadCPUNanoseconds() -> UInt64 {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
}
