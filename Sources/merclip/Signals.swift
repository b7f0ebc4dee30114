// Reacting to SIGTERM/SIGINT from any thread of the process.
import Dispatch
import Foundation

/// Calls `handler` (on a dispatch thread) for each SIGTERM or SIGINT while it is alive.
final class SignalWatcher: @unchecked Sendable {
    private let sources: [DispatchSourceSignal]

    init(_ handler: @escaping @Sendable (Int32) -> Void) {
        sources = [SIGTERM, SIGINT].map { sig in
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            // Signals that arrive before the handler runs are coalesced: `data` counts them.
            s.setEventHandler { [s] in
                for _ in 0..<max(1, s.data) { handler(sig) }
            }
            s.resume()
            return s
        }
    }

    deinit { sources.forEach { $0.cancel() } }
}

enum Signals {
    /// Calls `first` on the first SIGTERM or SIGINT; a second one ends the process at once with
    /// status 128 + the signal, without running anything more (nothing is committed).
    static func onTermination(_ first: @escaping @Sendable (Int32) -> Void) -> SignalWatcher {
        let count = SignalBox()
        return SignalWatcher { sig in
            if count.increment() == 1 {
                first(sig)
            } else {
                FileHandle.standardError.write(Data("second signal \(sig): exiting now, without committing\n".utf8))
                _exit(128 + sig)
            }
        }
    }

    /// Blocks the calling thread until SIGTERM or SIGINT arrives; returns the signal number.
    static func waitForTermination() -> Int32 {
        let got = DispatchSemaphore(value: 0)
        let box = SignalBox()
        let watcher = SignalWatcher { sig in
            box.set(sig)
            got.signal()
        }
        got.wait()
        withExtendedLifetime(watcher) {}
        return box.get()
    }
}

private final class SignalBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int32 = 0
    func set(_ v: Int32) { lock.withLock { value = v } }
    func get() -> Int32 { lock.withLock { value } }
    /// Adds one and returns the new value (a count of signals).
    func increment() -> Int32 { lock.withLock { value += 1; return value } }
}
