// Running programs from tests: output through files, the exit through waitpid, so daemons a program
// starts (pg_ctl) cannot hold the caller up by keeping a pipe open.
import Foundation

public struct RunResult: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
}

/// Runs `exe` (a path, or a name looked up on PATH) to completion with `input` on stdin.
public func runProcess(_ exe: String, _ args: [String], env: [String: String] = [:], input: String? = nil) throws -> RunResult {
    let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("run-\(UUID().uuidString)").path
    defer { for ext in [".in", ".out", ".err"] { try? FileManager.default.removeItem(atPath: tmp + ext) } }
    try (input ?? "").write(toFile: tmp + ".in", atomically: false, encoding: .utf8)
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, tmp + ".in", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, tmp + ".out", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, tmp + ".err", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    let argv = ([exe] + args).map { strdup($0) } + [nil]
    let environment = ProcessInfo.processInfo.environment.merging(env) { _, b in b }.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { argv.forEach { free($0) }; environment.forEach { free($0) } }
    var pid: pid_t = 0
    let rc = posix_spawnp(&pid, exe, &actions, nil, argv, environment)
    guard rc == 0 else { throw TestFailure("cannot start \(exe): errno \(rc)") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let out = (try? String(contentsOfFile: tmp + ".out", encoding: .utf8)) ?? ""
    let err = (try? String(contentsOfFile: tmp + ".err", encoding: .utf8)) ?? ""
    let exited = (status & 0x7f) == 0
    return RunResult(status: exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), stdout: out, stderr: err)
}

/// Runs a program to completion; returns stdout, throws with its stderr on a non-zero exit.
@discardableResult
public func run(_ exe: String, _ args: [String], env: [String: String] = [:], input: String? = nil) throws -> String {
    let r = try runProcess(exe, args, env: env, input: input)
    guard r.status == 0 else {
        throw TestFailure("\(exe) \(args.joined(separator: " ")) exited \(r.status): \(r.stderr.suffix(2000))")
    }
    return r.stdout
}

/// Waits until `condition` holds, polling; throws naming `what` after `seconds`.
public func waitUntil(_ what: String, seconds: Double, _ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return }
        Thread.sleep(forTimeInterval: 0.25)
    }
    throw TestFailure("timed out after \(seconds) s waiting for \(what)")
}
