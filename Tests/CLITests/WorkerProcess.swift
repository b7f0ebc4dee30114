// `merclip worker` against unreachable services, run until a log line shows up, then stopped with SIGTERM.
import Foundation
import TestSupport

/// What a short worker run wrote.
struct WorkerRun {
    let status: Int32
    let stderr: String
    var lines: [String] { stderr.split(separator: "\n").map(String.init) }
}

/// The tiny MER-CLIP model of the fixtures (untrained, so the worker warns about it).
let tinyModel = repoRoot.appendingPathComponent("Tests/Fixtures/models/tiny-a/merclip").path

/// Flags that let a worker start without Kafka or Postgres: nothing listens on port 1, so it logs
/// "consuming" and then that Postgres does not answer.
let unreachableServices = ["--brokers", "127.0.0.1:1", "--postgres", "postgresql://127.0.0.1:1/none",
                           "--model", tinyModel, "--metrics-port", "0"]

/// The same without --metrics-port, for runs that must fail before the worker starts.
let unreachableServicesAnyPort = Array(unreachableServices.dropLast(2))

/// Runs `merclip worker ARGS` until its stderr contains `marker`, then sends SIGTERM and waits for it.
func runWorker(_ args: [String], env: [String: String] = [:], until marker: String) throws -> WorkerRun {
    let log = FileManager.default.temporaryDirectory.appendingPathComponent("worker-\(UUID().uuidString).log")
    _ = FileManager.default.createFile(atPath: log.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: log) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: merclipBinary())
    process.arguments = ["worker"] + args
    process.environment = ProcessInfo.processInfo.environment.merging(env) { _, new in new }
    process.standardOutput = FileHandle.nullDevice
    process.standardError = try FileHandle(forWritingTo: log)
    try process.run()
    let text = { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
    do {
        try waitUntil("'\(marker)' in the worker's log", seconds: 60) { text().contains(marker) || !process.isRunning }
        process.terminate()
        try waitUntil("the worker to exit after SIGTERM", seconds: 60) { !process.isRunning }
    } catch {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        throw TestFailure("\(error); its log:\n\(text())")
    }
    process.waitUntilExit()
    return WorkerRun(status: process.terminationStatus, stderr: text())
}
