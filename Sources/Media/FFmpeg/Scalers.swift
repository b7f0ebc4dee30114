// Scalers: the swscale context, resampling coefficients and buffers one frame converter works with, pooled
// between segments: setting up a swscale context costs about as much as converting a picture (~4 ms at
// 720p), and a stream's segments mostly share one picture size.
import CFFmpeg
import Foundation

final class Scalers: @unchecked Sendable {  // used by one converter at a time; the pool hands it over under its lock
    var toRGB: OpaquePointer?           // source → full-resolution planar GBR
    var full: [UInt8] = []              // its G, B and R planes
    var temp: [Int16] = []              // the horizontal pass's rows (8-bit values)
    var columns: [SIMD8<Float>] = []    // source columns of 8 rows
    private var kernels: [BicubicKernel?] = [nil, nil]  // across, down

    deinit { sws_freeContext(toRGB) }

    /// Pillow's coefficients for axis `axis` (0 across, 1 down), reused while the geometry stays.
    func kernel(_ axis: Int, inSize: Int, outSize: Int, keep: Range<Int>) -> BicubicKernel {
        if let k = kernels[axis], k.inSize == inSize, k.outSize == outSize, k.keep == keep { return k }
        let k = BicubicKernel(inSize: inSize, outSize: outSize, keep: keep)
        kernels[axis] = k
        return k
    }

    private static let pool = Pool()

    /// An idle set from the pool, or a new one.
    static func take() -> Scalers { pool.take() ?? Scalers() }

    /// Back to the pool, unless the pool is full or the buffers are over 16 MB (pictures above 1080p).
    static func give(_ s: Scalers) {
        guard s.full.count + 4 * s.temp.count <= 16 << 20 else { return }
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
