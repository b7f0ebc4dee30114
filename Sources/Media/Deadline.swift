// Deadline: the decode time limit, checked in the decode loops and by FFmpeg's interrupt callback.
import CFFmpeg
import Foundation

final class Deadline {
    let limit: Double
    let input: String
    private let startNanos = DispatchTime.now().uptimeNanoseconds
    private let limitNanos: UInt64

    init(limit: Double, input: String) {
        self.limit = limit
        self.input = input
        limitNanos = limit <= 0 ? 0 : (limit >= 1e9 ? UInt64.max : UInt64(limit * 1e9))
    }

    var elapsed: Double { Double(DispatchTime.now().uptimeNanoseconds - startNanos) / 1e9 }
    var expired: Bool { DispatchTime.now().uptimeNanoseconds - startNanos >= limitNanos }

    var error: MediaError {
        MediaError(.decodeTimeout, input: input,
                   reason: String(format: "decoding took longer than the limit of %.3g s", limit))
    }

    func check() throws {
        if expired { throw error }
    }

    /// An AVIOInterruptCB that makes blocking FFmpeg calls return AVERROR_EXIT once expired.
    var interruptCallback: AVIOInterruptCB {
        AVIOInterruptCB(callback: { opaque in
            guard let opaque else { return 0 }
            return Unmanaged<Deadline>.fromOpaque(opaque).takeUnretainedValue().expired ? 1 : 0
        }, opaque: Unmanaged.passUnretained(self).toOpaque())
    }
}
