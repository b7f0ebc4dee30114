// Locating and reading the committed fixtures (Tests/Fixtures), and the comparison rule.
import Foundation
import Testing
import Tensor

enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures").standardized.path
    static let assets = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../assets/clip-bpe").standardized.path
    static let shapes = ["tiny-a", "tiny-b"]
    /// fp32 on each GEMM backend: both keep parity with PyTorch.
    static let backends = ComputeMode.Backend.allCases
    static func fp32(_ b: ComputeMode.Backend) -> ComputeMode { ComputeMode(.fp32, b) }

    static func model(_ shape: String, _ kind: String) -> String { "\(root)/models/\(shape)/\(kind)" }
    static func parity(_ shape: String) -> String { "\(root)/parity/\(shape)" }

    static func npy(_ shape: String, _ name: String) throws -> Tensor { try Npy.readFloat("\(parity(shape))/\(name)") }

    static func json(_ path: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    static func tokenLines(_ shape: String) throws -> [[Int]] {
        try String(contentsOfFile: "\(parity(shape))/token_ids.txt", encoding: .utf8)
            .split(separator: "\n").map { $0.split(separator: " ").map { Int($0)! } }
    }
}

/// max |got − expected| ≤ 1e-4 · max |expected|, shapes equal.
func expectClose(_ got: Tensor, _ expected: Tensor, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(got.shape == expected.shape, "\(what): shape \(got.shape) != \(expected.shape)", sourceLocation: sourceLocation)
    guard got.shape == expected.shape else { return }
    let err = zip(got.data, expected.data).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
    let tol = 1e-4 * expected.maxAbs
    if ProcessInfo.processInfo.environment["SHOW_ERR"] != nil { print("\(what): err \(err) tol \(tol)") }
    #expect(err <= tol, "\(what): max error \(err) > \(tol)", sourceLocation: sourceLocation)
}
