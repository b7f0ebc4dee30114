// DatasetLanes: runs a blocking job per manifest entry on N threads of their own (never Swift's cooperative
// pool: FFmpeg decoding blocks), with a progress line on stderr when it is a terminal.
import Foundation

enum DatasetOutcome: Sendable {
    case built(DatasetItem)
    case skipped(DatasetItem)
    case failed(code: String, reason: String)
}

final class DatasetLanes: @unchecked Sendable {
    private let entries: [ManifestEntry]
    private let jobs: Int
    private let lock = NSLock()
    private var next = 0
    private var outcomes: [DatasetOutcome?]
    private var counts = (built: 0, skipped: 0, failed: 0)
    private let showProgress = isatty(STDERR_FILENO) != 0
    private var lastProgress = Date.distantPast

    init(entries: [ManifestEntry], jobs: Int) {
        self.entries = entries
        self.jobs = jobs
        outcomes = Array(repeating: nil, count: entries.count)
    }

    /// Runs `job` once per entry; returns the outcomes in entry order.
    func run(_ job: @escaping @Sendable (ManifestEntry) -> DatasetOutcome) -> [DatasetOutcome] {
        let done = DispatchGroup()
        for lane in 0..<min(jobs, entries.count) {
            done.enter()
            let thread = Thread { [self] in
                while let i = take() { finish(i, job(entries[i])) }
                done.leave()
            }
            thread.name = "merclip.dataset.\(lane)"
            thread.start()
        }
        done.wait()
        if showProgress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        return outcomes.map { $0! }
    }

    private func take() -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard next < entries.count else { return nil }
        next += 1
        return next - 1
    }

    private func finish(_ i: Int, _ outcome: DatasetOutcome) {
        lock.lock(); defer { lock.unlock() }
        outcomes[i] = outcome
        switch outcome {
        case .built: counts.built += 1
        case .skipped: counts.skipped += 1
        case .failed: counts.failed += 1
        }
        guard showProgress else { return }
        let total = counts.built + counts.skipped + counts.failed
        if total == entries.count || Date().timeIntervalSince(lastProgress) > 0.2 {
            lastProgress = Date()
            let line = "\rdataset: \(total)/\(entries.count) (built \(counts.built), already done \(counts.skipped), failed \(counts.failed))\u{1B}[K"
            FileHandle.standardError.write(Data(line.utf8))
        }
    }
}
