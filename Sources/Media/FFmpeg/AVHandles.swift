// Owning wrappers for AVPacket and AVFrame: one class owning the pointer, freed with its own free function in deinit.
import CFFmpeg

final class AVObject<T> {
    typealias Free = (UnsafeMutablePointer<UnsafeMutablePointer<T>?>?) -> Void
    let pointer: UnsafeMutablePointer<T>
    private let free: Free

    /// Takes what an FFmpeg allocator returned; nil is the out-of-memory error naming the input and the object.
    init(_ pointer: UnsafeMutablePointer<T>?, _ what: String, input: String, free: @escaping Free) throws {
        guard let pointer else { throw MediaError(.outOfMemory, input: input, reason: "cannot allocate \(what)") }
        self.pointer = pointer
        self.free = free
    }

    deinit {
        var p: UnsafeMutablePointer<T>? = pointer
        free(&p)
    }
}

typealias Packet = AVObject<AVPacket>
typealias Frame = AVObject<AVFrame>

extension AVObject where T == AVPacket {
    convenience init(input: String) throws { try self.init(av_packet_alloc(), "a packet", input: input) { av_packet_free($0) } }
}

extension AVObject where T == AVFrame {
    convenience init(input: String) throws { try self.init(av_frame_alloc(), "a frame", input: input) { av_frame_free($0) } }
}
