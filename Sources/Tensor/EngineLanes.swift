// Engine lanes: long-lived threads that each run whole jobs (chunks of an encoder's images) on a share of the
// cores, so independent products run side by side instead of every product being split over all cores.
import Foundation

/// `run` blocks the calling thread (it is lane 0) until every lane has finished; the other lanes are threads
/// of their own, never Swift's cooperative pool. Inside a lane, `Parallel.width` is the lane's share of the
/// cores (its loops and oneDNN products use that many threads) and `Parallel.lane` its index.
public final class EngineLanes: @unchecked Sendable {
    public let count: Int
    private let state: LaneState

    /// `count` lanes (at least 1); lane 0 is the caller of `run`, the others start now and wait.
    public init(count: Int) {
        self.count = max(1, count)
        state = LaneState(lanes: self.count)
        for lane in 1..<self.count {
            let t = Thread { [state] in state.serve(lane) }
            t.name = "merclip-lane-\(lane)"
            t.start()
        }
    }

    deinit { state.stop() }

    /// Lanes a run with `threads` threads uses: no more lanes than threads, so a thread budget lowered after
    /// the lanes were made (a worker's engine threads) is kept.
    public func active(threads: Int = BLAS.threads) -> Int { min(count, max(1, threads)) }

    /// Threads each lane's loops and products use: the threads shared out over the active lanes, at least 1.
    public func width(threads: Int = BLAS.threads) -> Int { max(1, threads / active(threads: threads)) }

    /// Runs `body(lane)` for each active lane at once (lane 0 on this thread), each with `width` threads;
    /// returns when all have returned. One run at a time (concurrent callers wait their turn).
    public func run(threads: Int = BLAS.threads, _ body: (Int) -> Void) {
        let lanes = active(threads: threads)
        if lanes == 1 { return body(0) }
        withoutActuallyEscaping(body) { b in state.run(lanes: lanes, width: width(threads: threads), UnsafeJob(body: b)) }
    }
}

/// What a lane runs; the caller of `run` keeps it alive until every lane is done.
struct UnsafeJob: @unchecked Sendable { let body: (Int) -> Void }

/// The lanes' shared state: the job, a start signal per lane and one finished signal.
final class LaneState: @unchecked Sendable {
    private let starts: [DispatchSemaphore]
    private let finished = DispatchSemaphore(value: 0)
    private let turn = NSLock()
    private var job: UnsafeJob?
    private var laneWidth = 1
    private var stopping = false

    init(lanes: Int) { starts = (0..<lanes).map { _ in DispatchSemaphore(value: 0) } }

    /// Runs the job on lanes 0..<lanes (the rest stay waiting).
    func run(lanes: Int, width: Int, _ j: UnsafeJob) {
        turn.lock()
        defer { turn.unlock() }
        job = j; laneWidth = width
        for s in starts[1..<lanes] { s.signal() }
        Parallel.within(lane: 0, width: width) { j.body(0) }
        for _ in 1..<lanes { finished.wait() }
        job = nil
    }

    func serve(_ lane: Int) {
        while true {
            starts[lane].wait()
            if stopping { return }
            do {
                let j = job!
                Parallel.within(lane: lane, width: laneWidth) { j.body(lane) }
            }
            finished.signal()
        }
    }

    func stop() {
        stopping = true
        for s in starts.dropFirst() { s.signal() }
    }
}
