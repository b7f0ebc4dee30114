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
            s.setEventHandler { handler(sig) }
            s.resume()
            return s
        }
    }

    deinit { sources.forEach { $0.cancel() } }
}

enum Signals {
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
}
