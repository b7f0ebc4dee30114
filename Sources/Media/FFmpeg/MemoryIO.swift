// MemoryIO: an AVIOContext reading from bytes in memory (read and seek callbacks), freed in deinit.
import CFFmpeg
import Foundation

final class MemoryIO {
    private let bytes: [UInt8]
    private var position = 0
    private(set) var context: UnsafeMutablePointer<AVIOContext>?

    init(_ data: Data, input: String) throws {
        bytes = [UInt8](data)
        let bufferSize: Int32 = 1 << 16
        guard let buffer = av_malloc(Int(bufferSize)) else {
            throw MediaError(.outOfMemory, input: input, reason: "cannot allocate the I/O buffer")
        }
        context = avio_alloc_context(
            buffer.assumingMemoryBound(to: UInt8.self), bufferSize, 0,
            Unmanaged.passUnretained(self).toOpaque(),
            { opaque, buf, size in
                Unmanaged<MemoryIO>.fromOpaque(opaque!).takeUnretainedValue().read(buf!, Int(size))
            },
            nil,
            { opaque, offset, whence in
                Unmanaged<MemoryIO>.fromOpaque(opaque!).takeUnretainedValue().seek(offset, whence)
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

    private func read(_ buf: UnsafeMutablePointer<UInt8>, _ size: Int) -> Int32 {
        let n = min(size, bytes.count - position)
        if n <= 0 { return merclip_averror_eof() }
        bytes.withUnsafeBufferPointer { src in
            buf.update(from: src.baseAddress! + position, count: n)
        }
        position += n
        return Int32(n)
    }

    private func seek(_ offset: Int64, _ whence: Int32) -> Int64 {
        if whence & Int32(AVSEEK_SIZE) != 0 { return Int64(bytes.count) }
        let base: Int
        switch whence & ~Int32(AVSEEK_FORCE) {
        case SEEK_SET: base = 0
        case SEEK_CUR: base = position
        case SEEK_END: base = bytes.count
        default: return Int64(merclip_averror(EINVAL))
        }
        let target = Int64(base) + offset
        guard target >= 0, target <= Int64(bytes.count) else { return Int64(merclip_averror(EINVAL)) }
        position = Int(target)
        return target
    }
}
