// Where the repository, the built `merclip` and the test services are.
import Foundation

/// The repository root (this file is Tests/TestSupport/Paths.swift).
public let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// The repository's schemas/migrations folder.
public let migrationsDirectory = repoRoot.appendingPathComponent("schemas/migrations")

/// Path of the built `merclip` executable (MERCLIP_BIN, else .build/debug/merclip).
public func merclipBinary() -> String {
    ProcessInfo.processInfo.environment["MERCLIP_BIN"] ?? repoRoot.appendingPathComponent(".build/debug/merclip").path
}

/// A failure of the test machinery itself, with what happened.
public struct TestFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}
