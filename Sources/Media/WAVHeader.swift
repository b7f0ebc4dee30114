// WAVHeader: what a RIFF/WAVE header promises (frames in its data chunk), to catch a file cut short.

/// The `fmt ` and `data` chunks of a WAV file's first bytes.
struct WAVHeader {
    let sampleRate: Int
    let blockAlign: Int
    /// Where the sample data starts, in bytes from the file's beginning.
    let dataOffset: Int
    /// The data chunk's size as the header states it.
    let declaredDataBytes: Int

    /// Parses `head` (the first bytes of the file); nil when it is not a plain RIFF/WAVE header with a
    /// known data size (RF64, or a streaming writer's 0 / 0xFFFFFFFF placeholder).
    init?(_ head: [UInt8]) {
        func u32(_ i: Int) -> Int { Int(head[i]) | Int(head[i + 1]) << 8 | Int(head[i + 2]) << 16 | Int(head[i + 3]) << 24 }
        func u16(_ i: Int) -> Int { Int(head[i]) | Int(head[i + 1]) << 8 }
        guard head.count >= 12, head[0..<4] == [0x52, 0x49, 0x46, 0x46], head[8..<12] == [0x57, 0x41, 0x56, 0x45] else { return nil }
        var at = 12, rate = 0, align = 0
        while at + 8 <= head.count {
            let id = String(decoding: head[at..<at + 4], as: UTF8.self), size = u32(at + 4)
            if id == "fmt ", at + 8 + 16 <= head.count {
                rate = u32(at + 12)
                align = u16(at + 20)
            } else if id == "data" {
                guard rate > 0, align > 0, size > 0, size != 0xFFFF_FFFF else { return nil }
                sampleRate = rate
                blockAlign = align
                dataOffset = at + 8
                declaredDataBytes = size
                return
            }
            at += 8 + size + (size & 1)
        }
        return nil
    }

    /// Seconds of audio the header declares.
    var declaredSeconds: Double { Double(declaredDataBytes / blockAlign) / Double(sampleRate) }

    /// Seconds of audio a file of `fileSize` bytes really holds.
    func presentSeconds(fileSize: Int) -> Double {
        Double(max(0, min(declaredDataBytes, fileSize - dataOffset)) / blockAlign) / Double(sampleRate)
    }

    /// Throws `.truncated` when the data stops more than 0.5 s before both the end of `window` and
    /// the end the header declares (the rule the FFmpeg path applies to its streams).
    func checkNotCutShort(fileSize: Int, window: SegmentWindow, input: String) throws {
        let present = presentSeconds(fileSize: fileSize), declared = declaredSeconds
        let wanted = window.duration.map { window.start + $0 } ?? declared
        if present < min(declared, wanted) - 0.5 {
            throw MediaError(.truncated, input: input, reason: String(
                format: "the WAV data stops at %.3f s, its header says it runs to %.3f s", present, declared))
        }
    }
}
