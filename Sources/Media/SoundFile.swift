// SoundFile: an audio-only file (WAV, FLAC, OGG, AIFF) read with libsndfile, from a path or from memory.
import CSndFile
import Foundation

final class SoundFile {
    private var handle: OpaquePointer?
    private let memory: VirtualFile?
    /// The checked regular file libsndfile reads (closed after sf_close).
    private let file: FileHandle?
    let frames: Int
    let sampleRate: Int
    let channels: Int
    let formatName: String

    /// Formats libsndfile is used for, recognised by their first bytes.
    static func looksLikeSoundFile(_ head: [UInt8]) -> Bool {
        guard head.count >= 12 else { return false }
        let tag = String(decoding: head[0..<4], as: UTF8.self)
        let sub = String(decoding: head[8..<12], as: UTF8.self)
        return (tag == "RIFF" || tag == "RF64") && sub == "WAVE" || tag == "fLaC" || tag == "OggS"
            || tag == "FORM" && (sub == "AIFF" || sub == "AIFC")
    }

    /// Opens `input` with libsndfile; nil when libsndfile cannot read it (then FFmpeg is used).
    init?(_ input: MediaInput) {
        var info = SF_INFO()
        switch input {
        case .file(let path):
            memory = nil
            guard let opened = try? RegularFile.open(path).handle else { return nil }
            file = opened
            handle = sf_open_fd(opened.fileDescriptor, Int32(SFM_READ), &info, 0)
        case .bytes(let data, _, _):
            let virtual = VirtualFile([UInt8](data))
            memory = virtual
            file = nil
            var io = SF_VIRTUAL_IO(
                get_filelen: { user in Unmanaged<VirtualFile>.fromOpaque(user!).takeUnretainedValue().length },
                seek: { offset, whence, user in Unmanaged<VirtualFile>.fromOpaque(user!).takeUnretainedValue().seek(offset, whence) },
                read: { ptr, count, user in Unmanaged<VirtualFile>.fromOpaque(user!).takeUnretainedValue().read(ptr!, count) },
                write: nil,
                tell: { user in Unmanaged<VirtualFile>.fromOpaque(user!).takeUnretainedValue().tell })
            handle = sf_open_virtual(&io, Int32(SFM_READ), &info, Unmanaged.passUnretained(virtual).toOpaque())
        }
        guard handle != nil, info.channels > 0, info.samplerate > 0 else {
            if handle != nil { sf_close(handle) }
            return nil
        }
        frames = Int(info.frames)
        sampleRate = Int(info.samplerate)
        channels = Int(info.channels)
        var format = SF_FORMAT_INFO()
        format.format = info.format & Int32(SF_FORMAT_TYPEMASK)
        if sf_command(handle, Int32(SFC_GET_FORMAT_MAJOR), &format, Int32(MemoryLayout<SF_FORMAT_INFO>.size)) == 0,
           let name = format.extension {
            formatName = String(cString: name)
        } else {
            formatName = "sndfile"
        }
    }

    deinit {
        if handle != nil { sf_close(handle) }
        try? file?.close()
    }

    var duration: Double { Double(frames) / Double(sampleRate) }

    /// Interleaved float frames [first, first + count), fewer at the end of the file.
    func read(first: Int, count: Int, deadline: Deadline) throws -> [Float] {
        guard count > 0, first < frames else { return [] }
        if sf_seek(handle, sf_count_t(first), SEEK_SET) < 0 {
            throw MediaError(.corrupt, input: deadline.input, reason: "cannot seek: \(String(cString: sf_strerror(handle)))")
        }
        var out = [Float](repeating: 0, count: count * channels)
        var done = 0
        let chunk = 1 << 16
        while done < count {
            try deadline.check()
            let want = min(chunk, count - done)
            let got = out.withUnsafeMutableBufferPointer {
                Int(sf_readf_float(handle, $0.baseAddress! + done * channels, sf_count_t(want)))
            }
            if got <= 0 { break }
            done += got
        }
        out.removeSubrange((done * channels)...)
        return out
    }
}

/// Bytes in memory behind libsndfile's virtual I/O.
private final class VirtualFile {
    let bytes: [UInt8]
    var position: Int64 = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var length: sf_count_t { sf_count_t(bytes.count) }
    var tell: sf_count_t { position }

    func seek(_ offset: sf_count_t, _ whence: Int32) -> sf_count_t {
        let base: Int64 = whence == SEEK_CUR ? position : whence == SEEK_END ? Int64(bytes.count) : 0
        let target = base + offset
        guard target >= 0, target <= Int64(bytes.count) else { return -1 }
        position = target
        return position
    }

    func read(_ ptr: UnsafeMutableRawPointer, _ count: sf_count_t) -> sf_count_t {
        let n = Int(max(0, min(count, Int64(bytes.count) - position)))
        if n > 0 {
            bytes.withUnsafeBytes { src in
                ptr.copyMemory(from: src.baseAddress! + Int(position), byteCount: n)
            }
            position += Int64(n)
        }
        return sf_count_t(n)
    }
}

extension MediaInfo {
    /// What a file read with libsndfile holds.
    init(sound: SoundFile) {
        self.init()
        container = sound.formatName
        duration = sound.duration
        audioCodec = sound.formatName
        audioSampleRate = sound.sampleRate
        audioChannels = sound.channels
        audioReader = "libsndfile"
    }
}
