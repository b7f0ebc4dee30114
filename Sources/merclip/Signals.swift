// Waiting for SIGTERM/SIGINT from any thread of the process.
import Dispatch
import Foundation

enum Signals {
    /// Blocks the calling thread until SIGTERM or SIGINT arrives; returns the signal number.
    static func waitForTermination() -> Int32 {
        let got = DispatchSemaphore(value: 0)
        let lock = NSLock()
        nonisolated(unsafe) var which: Int32 = 0
        let sources = [SIGTERM, SIGINT].map { sig -> DispatchSourceSignal in
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler {
                lock.withLock { which = sig }
                got.signal()
            }
            s.resume()
            return s
        }
        got.wait()
        sources.forEach { $0.cancel() }
        return lock.withLock { which }
    }
}
