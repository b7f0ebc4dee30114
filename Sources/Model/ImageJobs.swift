// The batch's images split into jobs for the engine lanes: each encoder's images in near-equal chunks, sized so
// that the lanes (each on its share of the cores) get about the same work, handed out one at a time.
import Foundation

final class ImageJobs: @unchecked Sendable {
    struct Job: Equatable { let encoder: Int; let start: Int; let count: Int }
    let jobs: [Job]
    private var next = 0
    private let lock = NSLock()

    /// `counts[e]`: images of encoder e. Chunks hold at most `chunk / lanes` images (the lanes' workspaces
    /// together then hold no more than one chunk's), and no more than a lane's share of all images.
    init(counts: [Int], lanes: Int, chunk: Int) {
        let total = counts.reduce(0, +), lanes = max(1, lanes)
        let size = max(1, min(max(1, chunk / lanes), (total + lanes - 1) / lanes))
        var jobs: [Job] = []
        for (e, n) in counts.enumerated() where n > 0 {
            let parts = (n + size - 1) / size
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
