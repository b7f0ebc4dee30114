// Owning wrappers for AVPacket and AVFrame (freed in deinit).
import CFFmpeg

final class Packet {
    let pointer: UnsafeMutablePointer<AVPacket>

    init(input: String) throws {
        guard let p = av_packet_alloc() else { throw MediaError(.outOfMemory, input: input, reason: "cannot allocate a packet") }
        pointer = p
    }

    deinit {
        var p: UnsafeMutablePointer<AVPacket>? = pointer
        av_packet_free(&p)
    }
}

final class Frame {
    let pointer: UnsafeMutablePointer<AVFrame>

    init(input: String) throws {
        guard let p = av_frame_alloc() else { throw MediaError(.outOfMemory, input: input, reason: "cannot allocate a frame") }
        pointer = p
    }

    deinit {
        var p: UnsafeMutablePointer<AVFrame>? = pointer
        av_frame_free(&p)
    }
}
