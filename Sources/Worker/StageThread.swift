// StageThread: starts a named thread of the worker's own, where its blocking C calls run (never the cooperative pool).
import Foundation

enum StageThread {
    /// Threads that run FFmpeg or the engine get 16 MiB of stack (deep decoder and BLAS frames).
    static let largeStack = 16 << 20

    /// Starts `body` on a new thread named `name` (shown by top -H, gdb and crash reports).
    static func start(_ name: String, stackSize: Int? = nil, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.name = name
        if let stackSize { thread.stackSize = stackSize }
        thread.start()
    }
}
