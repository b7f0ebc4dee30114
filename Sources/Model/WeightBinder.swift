// Strict weight loading: expected names and shapes checked against a safetensors file before any use.
import Tensor

/// A name and shape the model expects.
public struct TensorSpec: Sendable, Equatable {
    public let name: String
    public let shape: [Int]
    public init(_ name: String, _ shape: [Int]) { self.name = name; self.shape = shape }
}

/// Validated named weights. Reading a weight hands it over: each is read once (from the mapped file, or
/// moved out of memory), so building a model never holds two copies of all weights.
public final class Weights {
    enum Source { case file(SafetensorsFile, [String: String]), memory([String: Tensor]) }
    private var source: Source
    public let origin: String

    /// True when a weight can be read again (from the mapped file); in-memory weights are handed over once.
    public var rereadable: Bool { if case .file = source { true } else { false } }

    /// In-memory weights (random initialisation, imports); not validated.
    public init(_ tensors: [String: Tensor], origin: String) { source = .memory(tensors); self.origin = origin }

    private init(file: SafetensorsFile, names: [String: String]) { source = .file(file, names); origin = file.path }

    public subscript(_ name: String) -> Tensor {
        switch source {
        case .file(let f, let names):
            guard let n = names[name], let t = try? f.tensor(n) else { preconditionFailure("\(origin): weight \(name) was not bound") }
            return t
        case .memory(var d):
            source = .memory([:])   // d is now the only reference: removing from it copies nothing
            let t = d.removeValue(forKey: name)
            source = .memory(d)
            guard let t else { preconditionFailure("\(origin): weight \(name) was not bound") }
            return t
        }
    }

    /// Binds exactly `expected` from `file`: errors name the missing, mis-shaped or unexpected tensors and the
    /// file. Tensors named `*position_ids` (HF buffers) are ignored; `ignore` names more to skip (e.g. logit_scale).
    /// Every tensor's dtype and byte size is checked too, so reading cannot fail later.
    public static func bind(_ expected: [TensorSpec], from file: SafetensorsFile, ignore: Set<String> = []) throws -> Weights {
        var present: [String: String] = [:]
        for n in file.entries.keys where !n.hasSuffix("position_ids") && !ignore.contains(n) { present[n] = n }
        let want = Set(expected.map(\.name))
        let missing = expected.map(\.name).filter { present[$0] == nil }
        if !missing.isEmpty { throw ModelError.missingTensors(missing, file: file.path) }
        let unexpected = present.keys.filter { !want.contains($0) }.sorted()
        if !unexpected.isEmpty { throw ModelError.unexpectedTensors(unexpected, file: file.path) }
        for spec in expected {
            let e = file.entries[spec.name]!
            if e.shape != spec.shape {
                throw ModelError.shapeMismatch(name: spec.name, expected: spec.shape, found: e.shape, file: file.path)
            }
            let size = ["F32": 4, "F16": 2, "BF16": 2][e.dtype]
            guard let size else {
                throw ModelError.format("\(file.path): tensor \(spec.name) has dtype \(e.dtype); supported: F32, F16, BF16")
            }
            guard e.end - e.begin == spec.shape.reduce(1, *) * size else {
                throw ModelError.format("\(file.path): tensor \(spec.name) has \(e.end - e.begin) bytes for shape \(e.shape) \(e.dtype)")
            }
        }
        return Weights(file: file, names: present)
    }
}
