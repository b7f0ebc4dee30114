// The modes `merclip bench --precision` names: a precision to resolve, or a backend and precision forced.
import ArgumentParser
import Foundation
import Tensor

struct BenchModes {
    let name: String
    let precision: Precision?
    let mode: ComputeMode?

    /// "fp32,int8", "all", ...; bf16 or int8 where this CPU lacks them is an error naming what is missing.
    static func parse(_ list: String) throws -> [BenchModes] {
        try list.split(separator: ",").flatMap { raw -> [BenchModes] in
            let name = raw.trimmingCharacters(in: .whitespaces).lowercased()
            switch name {
            case "all":
                return ComputeMode.available.map { BenchModes(name: "\($0.precision.rawValue)-\($0.backend.rawValue.lowercased())", precision: nil, mode: $0) }
            case "fp32-openblas": return [BenchModes(name: name, precision: nil, mode: .reference)]
            case "fp32-onednn": return [BenchModes(name: name, precision: nil, mode: ComputeMode(.fp32, .onednn))]
            default:
                guard let p = Precision(rawValue: name) else {
                    throw ValidationError("--precision: unknown mode '\(name)' (fp32, fp32-openblas, fp32-onednn, bf16, int8, auto, all)")
                }
                if p != .auto && p != .fp32 { _ = try ComputeMode.forced(p) }
                return [BenchModes(name: name, precision: p, mode: nil)]
            }
        }
    }
}
