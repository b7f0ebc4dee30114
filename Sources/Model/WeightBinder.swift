// Strict weight loading: expected names and shapes checked against a safetensors file before any use.
import Tensor

/// A name and shape the model expects.
public struct TensorSpec: Sendable, Equatable {
    public let name: String
    public let shape: [Int]
    public init(_ name: String, _ shape: [Int]) { self.name = name; self.shape = shape }
}

/// Named weights, already validated: lookups cannot fail for names in the spec they were bound with.
public struct Weights: Sendable {
    public private(set) var tensors: [String: Tensor]
    public let origin: String

    public init(_ tensors: [String: Tensor], origin: String) { self.tensors = tensors; self.origin = origin }

    public subscript(_ name: String) -> Tensor {
        guard let t = tensors[name] else { preconditionFailure("\(origin): weight \(name) was not bound") }
        return t
    }

    /// Parameter count.
    public var parameterCount: Int { tensors.values.reduce(0) { $0 + $1.count } }

    /// Binds exactly `expected` from `file`: errors name the missing, mis-shaped or unexpected tensors and the
    /// file. Tensors named `*position_ids` (HF buffers) are ignored; `ignore` names more to skip (e.g. logit_scale).
    public static func bind(_ expected: [TensorSpec], from file: SafetensorsFile, ignore: Set<String> = [],
                            rename: (String) -> String = { $0 }) throws -> Weights {
        // names in the file → model names
        var byModelName: [String: String] = [:]
        for n in file.entries.keys where !n.hasSuffix("position_ids") && !ignore.contains(n) {
            byModelName[rename(n)] = n
        }
        let want = Set(expected.map(\.name))
        let missing = expected.map(\.name).filter { byModelName[$0] == nil }
        if !missing.isEmpty { throw ModelError.missingTensors(missing, file: file.path) }
        let unexpected = byModelName.filter { !want.contains($0.key) }.map(\.value).sorted()
        if !unexpected.isEmpty { throw ModelError.unexpectedTensors(unexpected, file: file.path) }
        var out: [String: Tensor] = [:]
        for spec in expected {
            let fileName = byModelName[spec.name]!
            let shape = file.entries[fileName]!.shape
            if shape != spec.shape {
                throw ModelError.shapeMismatch(name: fileName, expected: spec.shape, found: shape, file: file.path)
            }
            out[spec.name] = try file.tensor(fileName)
        }
        return Weights(out, origin: file.path)
    }
}
