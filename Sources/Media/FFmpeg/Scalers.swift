// Scalers: the swscale contexts and pixel buffers one frame converter works with, pooled between
// segments: setting up the bicubic contexts costs about as much as converting a picture (~4 ms each
// at 720p), and a stream's segments mostly share one picture size.
import CFFmpeg
import Foundation

final class Scalers: @unchecked Sendable {  // used by one converter at a time; the pool hands it over under its lock
    var toRGB: OpaquePointer?   // source → full-resolution RGB
    var across: OpaquePointer?  // RGB → RGB resized along the displayed horizontal
    var along: OpaquePointer?   // RGB → RGB resized along the displayed vertical
    var full: [UInt8] = []
    var mid: [UInt8] = []
    var rgb: [UInt8] = []

    deinit {
        sws_freeContext(toRGB)
        sws_freeContext(across)
        sws_freeContext(along)
    }

    private static let pool = Pool()

    /// An idle set from the pool, or a new one.
    static func take() -> Scalers { pool.take() ?? Scalers() }

    /// Back to the pool, unless the pool is full or the buffers are over 16 MB (pictures above 1080p).
    static func give(_ s: Scalers) {
        guard s.full.count + s.mid.count + s.rgb.count <= 16 << 20 else { return }
        pool.give(s)
    }

    private final class Pool: @unchecked Sendable {  // `idle` is only touched under `lock`
        private let lock = NSLock()
        private var idle: [Scalers] = []
        private let capacity = 2 * ProcessInfo.processInfo.activeProcessorCount

        func take() -> Scalers? { lock.withLock { idle.popLast() } }
        func give(_ s: Scalers) { lock.withLock { if idle.count < capacity { idle.append(s) } } }
    }
}
