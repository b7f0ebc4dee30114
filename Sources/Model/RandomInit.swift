// Fresh weights for `model init` and the benchmark: a seeded generator and PyTorch/HF-like initialisation by name.
import Foundation
import Tensor

/// xorshift64* generator: fast, seeded, reproducible.
public struct SeededRandom: Sendable {
    var state: UInt64
    public init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }

    @inline(__always) public mutating func next() -> UInt64 {
        state ^= state >> 12; state ^= state << 25; state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }

    /// Uniform in [-1, 1).
    @inline(__always) public mutating func symmetric() -> Float { Float(next() >> 40) / Float(1 << 23) - 1 }

    /// Standard normal (Box–Muller).
    public mutating func normal() -> Float {
        let u1 = max(Double(next() >> 11) / Double(1 << 53), 1e-300), u2 = Double(next() >> 11) / Double(1 << 53)
        return Float((-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2))
    }
}

public enum RandomInit {
    public static let logitScale = Float(log(1 / 0.07))

    /// A tensor initialised by its name's role:
    /// LayerNorm weight 1 / bias 0; `ctx` N(0, 0.02); `logit_scale` ln(1/0.07);
    /// decoder (`.cmd.`): in_proj Xavier-uniform, in_proj/out_proj biases 0, other Linear weights and biases
    /// U(±1/√fan_in) (PyTorch defaults); CLIP encoders: biases 0, class embedding std width^-½,
    /// other weights std 0.02 (uniform with that std: the fast path for full-size models).
    public static func tensor(_ spec: TensorSpec, rng: inout SeededRandom) -> Tensor {
        let n = spec.name, shape = spec.shape, count = shape.reduce(1, *)
        func filled(_ v: Float) -> Tensor { Tensor(shape: shape, data: [Float](repeating: v, count: count)) }
        func uniform(_ bound: Float) -> Tensor {
            var d = [Float](repeating: 0, count: count)
            for i in 0..<count { d[i] = rng.symmetric() * bound }
            return Tensor(shape: shape, data: d)
        }
        let isNorm = n.contains("norm") || n.contains("layrnorm")
        if isNorm && n.hasSuffix(".weight") { return filled(1) }
        if isNorm && n.hasSuffix(".bias") { return filled(0) }
        if n.hasSuffix(".ctx") {
            var d = [Float](repeating: 0, count: count)
            for i in 0..<count { d[i] = rng.normal() * 0.02 }
            return Tensor(shape: shape, data: d)
        }
        if n.hasSuffix("logit_scale") { return Tensor(shape: shape, data: [logitScale]) }
        if n.contains(".cmd.") {
            if n.hasSuffix("in_proj_weight") { return uniform((6.0 / Float(shape[0] + shape[1])).squareRoot()) }
            if n.hasSuffix("in_proj_bias") || n.hasSuffix("out_proj.bias") { return filled(0) }
            if n.hasSuffix(".weight") { return uniform(1 / Float(shape[1]).squareRoot()) }
            return filled(0)   // Linear biases: `tensors` fills them with the fan-in bound of their weight
        }
        if n.hasSuffix(".bias") { return filled(0) }
        let std: Float = n.hasSuffix("class_embedding") ? 1 / Float(shape[0]).squareRoot() : 0.02
        return uniform(std * Float(3).squareRoot())
    }

    /// All tensors of `specs`, initialised by name (decoder Linear biases get PyTorch's U(±1/√fan_in)).
    public static func tensors(_ specs: [TensorSpec], seed: UInt64) -> [(String, Tensor)] {
        var rng = SeededRandom(seed: seed)
        let shapes = Dictionary(uniqueKeysWithValues: specs.map { ($0.name, $0.shape) })
        return specs.map { s in
            var t = tensor(s, rng: &rng)
            if s.name.contains(".cmd."), s.name.hasSuffix(".bias"), s.name.contains("linear"),
               let w = shapes[String(s.name.dropLast(4)) + "weight"] {
                let bound = 1 / Float(w[1]).squareRoot()
                for i in 0..<t.count { t.data[i] = rng.symmetric() * bound }
            }
            return (s.name, t)
        }
    }
}
