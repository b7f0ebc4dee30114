// A dedicated OS thread that runs a blocking librdkafka poll in a loop, off Swift's cooperative pool.
import Foundation

final class PollThread: @unchecked Sendable {
    private let lock = NSLock()
    private var running = true
    private let done = DispatchSemaphore(value: 0)

    init(name: String, body: @escaping @Sendable () -> Void) {
        let thread = Thread { [self] in
            while isRunning { body() }
            done.signal()
        }
        thread.name = name
        thread.start()
    }

    private var isRunning: Bool { lock.withLock { running } }

    /// Stops the loop and waits for the current poll to return.
    func stop() {
        let wasRunning = lock.withLock { () -> Bool in defer { running = false }; return running }
        if wasRunning { done.wait() }
    }
}
