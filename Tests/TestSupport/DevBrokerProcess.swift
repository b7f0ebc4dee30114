// `merclip dev-broker` in a process of its own, stopped with SIGTERM when released.
import Foundation

public final class DevBrokerProcess {
    let process = Process()
    /// The bootstrap servers it printed.
    public let bootstrap: String
    /// Its stdin (commands) and stdout (the bootstrap line, then one answer per command).
    private let commands = Pipe()
    private let answers = Pipe()

    /// Starts it with `topics` given as NAME:PARTITIONS.
    public init(brokers: Int = 1, topics: [String]) throws {
        process.executableURL = URL(fileURLWithPath: merclipBinary())
        process.arguments = ["dev-broker", "--brokers", String(brokers)] + topics.flatMap { ["--topic", $0] }
        process.standardInput = commands
        process.standardOutput = answers
        process.standardError = FileHandle.nullDevice
        try process.run()
        bootstrap = try Self.readLine(answers)
        guard !bootstrap.isEmpty else { throw TestFailure("dev-broker printed no bootstrap servers") }
    }

    /// Sends one control command (`down [ID|all]`, `up [ID|all]`) and returns its answer line;
    /// throws when the answer is not `ok ...`.
    @discardableResult
    public func control(_ command: String) throws -> String {
        guard process.isRunning else { throw TestFailure("dev-broker `\(command)`: the broker process has exited") }
        commands.fileHandleForWriting.write(Data((command + "\n").utf8))
        let answer = try Self.readLine(answers)
        guard answer.hasPrefix("ok") else { throw TestFailure("dev-broker `\(command)`: \(answer.isEmpty ? "no answer" : answer)") }
        return answer
    }

    /// Takes every broker down (`up: false`) or brings them all back.
    public func setBrokers(up: Bool) throws {
        try control(up ? "up all" : "down all")
    }

    /// SIGTERM, then its exit status.
    public func stop() -> Int32 {
        process.terminate()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// One line of `pipe`, without its newline ("" at end of file).
    private static func readLine(_ pipe: Pipe) throws -> String {
        var line = Data()
        while let byte = try pipe.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) {
            line.append(byte)
        }
        return String(decoding: line, as: UTF8.self)
    }

    deinit { if process.isRunning { _ = stop() } }
}
