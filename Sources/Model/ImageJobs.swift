// The batch's images split into jobs for the engine lanes: each encoder's images in near-equal chunks, sized so
// that the lanes (each on its share of the cores) get about the same work, handed out one at a time.
import Foundation

final class ImageJobs: @unchecked Sendable {
    struct Job: Equatable { let encoder: Int; let start: Int; let count: Int }
    let jobs: [Job]
    private var next = 0
    private let lock = NSLock()

    /// `counts[e]`: images of encoder e. Chunks hold at most `chunk / lanes` images (the lanes' workspaces
    /// together then hold no more than one chunk's), and no more than a lane's share of all images; where there are
    /// enough images the number of jobs is a multiple of the lanes.
    init(counts: [Int], lanes: Int, chunk: Int) {
        let total = counts.reduce(0, +), lanes = max(1, lanes)
        let size = max(1, min(max(1, chunk / lanes), (total + lanes - 1) / lanes))
        var parts = counts.map { ($0 + size - 1) / size }
        // a job count that is not a multiple of the lanes leaves a lane idle at the end (96 audio images of a batch
        // of calls in chunks of 32: three jobs on two lanes): split the largest chunks further until it is
        while parts.reduce(0, +) % lanes != 0,
              let e = counts.indices.filter({ parts[$0] < counts[$0] }).max(by: { counts[$0] * parts[$1] < counts[$1] * parts[$0] }) {
            parts[e] += 1
        }
        var jobs: [Job] = []
        for (e, n) in counts.enumerated() where n > 0 {
            let parts = parts[e]
            for p in 0..<parts { jobs.append(Job(encoder: e, start: n * p / parts, count: n * (p + 1) / parts - n * p / parts)) }
        }
        self.jobs = jobs.sorted { $0.count > $1.count }
    }

    /// The next job not yet taken, largest first; nil when all are taken.
    func take() -> Job? {
        lock.lock()
        defer { lock.unlock() }
        guard next < jobs.count else { return nil }
        next += 1
        return jobs[next - 1]
    }
}
