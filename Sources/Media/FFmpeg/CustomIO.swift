// CustomIO: an AVIOContext reading bytes in memory, or a file through the descriptor that was checked to be a
// regular file (so the file cannot be swapped between the check and FFmpeg's open); freed in deinit.
import CFFmpeg
import Foundation

final class CustomIO {
    enum Source {
        case bytes([UInt8])
        /// An open descriptor of a regular file (owned by the handle) and the file's size.
        case file(FileHandle, size: Int)
    }

    private let source: Source
    private let size: Int
    private var position = 0
    private(set) var context: UnsafeMutablePointer<AVIOContext>?

    init(_ source: Source, input: String) throws {
        self.source = source
        switch source {
        case .bytes(let bytes): size = bytes.count
        case .file(_, let size): self.size = size
        }
        let bufferSize: Int32 = 1 << 16
        guard let buffer = av_malloc(Int(bufferSize)) else {
            throw MediaError(.outOfMemory, input: input, reason: "cannot allocate the I/O buffer")
        }
        context = avio_alloc_context(
            buffer.assumingMemoryBound(to: UInt8.self), bufferSize, 0,
            Unmanaged.passUnretained(self).toOpaque(),
            { opaque, buf, size in
                Unmanaged<CustomIO>.fromOpaque(opaque!).takeUnretainedValue().read(buf!, Int(size))
            },
            nil,
            { opaque, offset, whence in
                Unmanaged<CustomIO>.fromOpaque(opaque!).takeUnretainedValue().seek(offset, whence)
            })
        if context == nil {
            av_free(buffer)
            throw MediaError(.outOfMemory, input: input, reason: "cannot allocate the I/O context")
        }
    }

    deinit {
        if let context {
            av_freep(&context.pointee.buffer)
        }
        avio_context_free(&context)
    }

    private func read(_ buf: UnsafeMutablePointer<UInt8>, _ count: Int) -> Int32 {
        let n = min(count, size - position)
        if n <= 0 { return merclip_averror_eof() }
        switch source {
        case .bytes(let bytes):
            bytes.withUnsafeBufferPointer { src in buf.update(from: src.baseAddress! + position, count: n) }
            position += n
            return Int32(n)
        case .file(let handle, _):
            var got = -1
            repeat { got = pread(handle.fileDescriptor, buf, n, off_t(position)) } while got < 0 && errno == EINTR
            if got < 0 { return merclip_averror_eio() }
            if got == 0 { return merclip_averror_eof() }
            position += got
            return Int32(got)
        }
    }

    private func seek(_ offset: Int64, _ whence: Int32) -> Int64 {
        if whence & Int32(AVSEEK_SIZE) != 0 { return Int64(size) }
        let base: Int
        switch whence & ~Int32(AVSEEK_FORCE) {
        case SEEK_SET: base = 0
        case SEEK_CUR: base = position
        case SEEK_END: base = size
        default: return Int64(merclip_averror(EINVAL))
        }
        let target = Int64(base) + offset
        guard target >= 0, target <= Int64(size) else { return Int64(merclip_averror(EINVAL)) }
        position = Int(target)
        return target
    }
}
