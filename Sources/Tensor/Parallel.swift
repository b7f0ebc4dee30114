// Row-parallel loops for the non-GEMM work, as wide as the calling thread's share of the cores: on Dispatch, or
// on oneDNN's OpenMP team when the products run on oneDNN (one pool of threads instead of two competing).
import CDNNL
import Dispatch
import Foundation

public enum Parallel {
    /// The threads the loops run on.
    public enum Pool: String, Sendable { case dispatch, openMP = "OpenMP" }

    nonisolated(unsafe) private static var current = Pool.dispatch

    /// The pool in use: OpenMP after `follow` saw a oneDNN mode (and libgomp is loaded), else Dispatch.
    public static var pool: Pool { current }

    /// Runs the loops on the pool that suits `mode`'s products: oneDNN's OpenMP team for oneDNN (its threads
    /// wait spinning between products, so a second pool would share the cores with them), Dispatch for OpenBLAS.
    /// Called when a model is built; the last model built decides for the process. `MERCLIP_PARALLEL=dispatch`
    /// in the environment keeps Dispatch (to compare the two).
    public static func follow(_ mode: ComputeMode) { current = poolFor(mode) }

    static func poolFor(_ mode: ComputeMode) -> Pool {
        let forced = ProcessInfo.processInfo.environment["MERCLIP_PARALLEL"]?.lowercased() == "dispatch"
        return mode.backend == .onednn && !forced && cdnnl_gomp_parallel() != nil ? .openMP : .dispatch
    }

    /// Threads the calling thread's loops and oneDNN products use: its engine lane's share, else BLAS.threads.
    @inline(__always)
    public static var width: Int {
        let v = Int(bitPattern: pthread_getspecific(laneKey))
        return v > 0 ? v & 0xffff : BLAS.threads
    }

    /// The calling thread's engine lane (0 outside lanes): products keep one primitive per lane.
    @inline(__always)
    public static var lane: Int { Int(bitPattern: pthread_getspecific(laneKey)) >> 16 }

    /// Runs `body` with the calling thread's width and lane set (restored afterwards).
    static func within(lane: Int, width: Int, _ body: () -> Void) {
        let old = pthread_getspecific(laneKey)
        pthread_setspecific(laneKey, UnsafeRawPointer(bitPattern: lane << 16 | max(1, min(width, 0xffff))))
        defer { pthread_setspecific(laneKey, old) }
        body()
    }

    private static let laneKey: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k, nil)
        return k
    }()

    /// Calls `body(range)` over chunks of `0..<count`, in parallel when the work is large enough.
    /// `cost` is a rough number of flops per item used to skip threading for tiny jobs.
    @inline(__always)
    public static func forRanges(_ count: Int, cost: Int = 1, _ body: (Range<Int>) -> Void) {
        let threads = width
        if threads <= 1 || count < 2 || count * max(cost, 1) < 32_768 {
            body(0..<count)
            return
        }
        let chunks = min(count, threads * 4)
        run(chunks) { c in
            let lo = count * c / chunks, hi = count * (c + 1) / chunks
            if lo < hi { body(lo..<hi) }
        }
    }

    /// Runs `body(i)` for every i in 0..<iterations in parallel; each iteration must only write its own part of
    /// the raw buffers it touches (the caller's guarantee, hence the unchecked box).
    public static func run(_ iterations: Int, _ body: (Int) -> Void) { run(iterations, on: current, body) }

    /// `run` on a given pool (OpenMP falls back to Dispatch when libgomp is not loaded).
    static func run(_ iterations: Int, on pool: Pool, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { b in
            let box = UncheckedBox(value: b)
            if pool == .openMP {
                let threads = Int32(min(iterations, width))
                let ran = withUnsafePointer(to: box) { p in
                    cdnnl_parallel(iterations, threads, { context, i in
                        context!.assumingMemoryBound(to: UncheckedBox<(Int) -> Void>.self).pointee.value(i)
                    }, UnsafeMutableRawPointer(mutating: p))
                }
                if ran != 0 { return }
            }
            DispatchQueue.concurrentPerform(iterations: iterations) { box.value($0) }
        }
    }
}

private struct UncheckedBox<T>: @unchecked Sendable { let value: T }
