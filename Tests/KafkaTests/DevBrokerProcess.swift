// Test support: runs `merclip dev-broker` as a separate process and other helper processes.
import Foundation
import Testing

/// Path of the built `merclip` executable (MERCLIP_BIN, else .build/debug/merclip in the repo).
func merclipBinary() -> String {
    if let bin = ProcessInfo.processInfo.environment["MERCLIP_BIN"] { return bin }
    let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return repo.appendingPathComponent(".build/debug/merclip").path
}

/// A dev broker in its own process; stopped with SIGTERM when released.
final class DevBrokerProcess {
    let process = Process()
    let bootstrap: String

    init(brokers: Int = 1, topics: [String]) throws {
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

    func stop() -> Int32 {
        process.terminate()
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit { if process.isRunning { _ = stop() } }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// Runs a program to completion with `input` on stdin; returns stdout.
@discardableResult
func run(_ tool: String, _ args: [String], input: String? = nil, timeout: TimeInterval = 60) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = [tool] + args
    let out = Pipe(), inp = Pipe()
    p.standardOutput = out
    p.standardInput = inp
    p.standardError = FileHandle.nullDevice
    try p.run()
    if let input { inp.fileHandleForWriting.write(Data(input.utf8)) }
    try inp.fileHandleForWriting.close()
    let deadline = Date().addingTimeInterval(timeout)
    let data = out.fileHandleForReading.readDataToEndOfFile()
    while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
    if p.isRunning { p.terminate(); throw TestFailure("\(tool) \(args) timed out") }
    guard p.terminationStatus == 0 else { throw TestFailure("\(tool) \(args) exited \(p.terminationStatus)") }
    return String(decoding: data, as: UTF8.self)
}
