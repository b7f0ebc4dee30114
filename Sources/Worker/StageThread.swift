// StageThread: starts a named thread of the worker's own, where its blocking C calls run (never the cooperative pool).
import Foundation

enum StageThread {
    /// Threads that run FFmpeg or the engine get 16 MiB of stack (deep decoder and BLAS frames).
    static let largeStack = 16 << 20

    /// Starts `body` on a new thread named `name` (shown by top -H, gdb and crash reports), `nice` steps
    /// below the caller's scheduling priority (Linux keeps a nice value per thread, and threads the body
    /// starts, such as a decoder's, inherit it).
    static func start(_ name: String, stackSize: Int? = nil, nice: Int = 0, log: Log? = nil,
                      _ body: @escaping @Sendable () -> Void) {
        let thread = Thread {
            errno = 0
            if nice > 0, Glibc.nice(Int32(nice)) == -1, errno != 0 {
                log?.warn("could not lower the thread's priority; it runs at the worker's",
                          ["thread": name, "nice": nice, "error": String(cString: strerror(errno))])
            }
            body()
        }
        thread.name = name
        if let stackSize { thread.stackSize = stackSize }
        thread.start()
    }
}
