// Row-parallel loops for the non-GEMM work, as wide as BLAS.threads.
import Dispatch

public enum Parallel {
    /// Calls `body(range)` over chunks of `0..<count`, in parallel when the work is large enough.
    /// `cost` is a rough number of flops per item used to skip threading for tiny jobs.
    @inline(__always)
    public static func forRanges(_ count: Int, cost: Int = 1, _ body: (Range<Int>) -> Void) {
        let threads = BLAS.threads
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

    /// DispatchQueue.concurrentPerform for a body that touches raw buffers: each iteration must only
    /// write its own part of them (the caller's guarantee, hence the unchecked box).
    public static func run(_ iterations: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { b in
            let box = UncheckedBox(value: b)
            DispatchQueue.concurrentPerform(iterations: iterations) { box.value($0) }
        }
    }
}

private struct UncheckedBox<T>: @unchecked Sendable { let value: T }
