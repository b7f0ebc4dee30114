// The arithmetic the model's matrix products run in: fp32, bf16, int8, or auto (the fastest that works here).
import Foundation

public enum Precision: String, Sendable, Codable, CaseIterable {
    case fp32, bf16, int8, auto

    /// Parses a `--precision` value or `MERCLIP_PRECISION`; the error names where it came from.
    public init(parsing text: String, source: String = "--precision") throws {
        guard let p = Precision(rawValue: text.lowercased()) else {
            throw TensorError.unsupported("\(source) '\(text)' (choose one of: fp32, bf16, int8, auto)")
        }
        self = p
    }

    /// `explicit` when given, else `MERCLIP_PRECISION`, else fp32.
    public static func fromEnvironment(_ explicit: String? = nil) throws -> Precision {
        if let explicit { return try Precision(parsing: explicit) }
        if let env = ProcessInfo.processInfo.environment["MERCLIP_PRECISION"], !env.isEmpty {
            return try Precision(parsing: env, source: "MERCLIP_PRECISION")
        }
        return .fp32
    }
}
