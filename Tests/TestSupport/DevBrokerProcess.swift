// `merclip dev-broker` in a process of its own, stopped with SIGTERM when released.
import Foundation

public final class DevBrokerProcess {
    let process = Process()
    /// The bootstrap servers it printed.
    public let bootstrap: String

    /// Starts it with `topics` given as NAME:PARTITIONS.
    public init(brokers: Int = 1, topics: [String]) throws {
        process.executableURL = URL(fileURLWithPath: merclipBinary())
        process.arguments = ["dev-broker", "--brokers", String(brokers)] + topics.flatMap { ["--topic", $0] }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while let byte = try out.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) {
            line.append(byte)
        }
        bootstrap = String(decoding: line, as: UTF8.self)
        guard !bootstrap.isEmpty else { throw TestFailure("dev-broker printed no bootstrap servers") }
    }

    /// SIGTERM, then its exit status.
    public func stop() -> Int32 {
        process.terminate()
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit { if process.isRunning { _ = stop() } }
}
