// Elementwise activations: quick_gelu, exact (erf) gelu, gelu_new (tanh), relu; parallel over rows.
import Foundation

public enum Activation: String, Sendable, Codable {
    case identity
    case quickGelu = "quick_gelu"
    case gelu
    case geluTanh = "gelu_new"
    case relu

    /// Parses an HF/PyTorch `hidden_act` / `activation` name.
    public init(name: String) throws {
        switch name.lowercased() {
        case "quick_gelu": self = .quickGelu
        case "gelu", "gelu_python": self = .gelu
        case "gelu_new", "gelu_pytorch_tanh", "gelu_fast": self = .geluTanh
        case "relu": self = .relu
        case "identity", "linear": self = .identity
        default: throw TensorError.unsupported("activation '\(name)' (supported: quick_gelu, gelu, gelu_new, relu)")
        }
    }

    @inline(__always)
    public func apply(_ x: Float) -> Float {
        switch self {
        case .identity: return x
        case .quickGelu: return x / (1 + expf(-1.702 * x))
        case .gelu: return 0.5 * x * (1 + erff(x * 0.70710678118654752))
        case .geluTanh: return 0.5 * x * (1 + tanhf(0.7978845608028654 * (x + 0.044715 * x * x * x)))
        case .relu: return max(0, x)
        }
    }
}

extension Kernels {
    /// Applies `act` in place to a [rows, cols] block with leading dimension `ld`, after adding `bias` [cols]
    /// when given (bias and activation fused into one pass).
    public static func activate(_ p: UnsafeMutablePointer<Float>, rows: Int, cols: Int, ld: Int, _ act: Activation,
                                bias: UnsafePointer<Float>? = nil) {
        if act == .identity && bias == nil { return }
        Parallel.forRanges(rows, cost: cols * 8) { r in
            for i in r {
                let row = p + i * ld
                if let bias { for j in 0..<cols { row[j] += bias[j] } }
                switch act {
                case .identity: break
                case .quickGelu: quickGeluRow(row, cols)
                case .gelu: geluRow(row, cols)
                default: for j in 0..<cols { row[j] = act.apply(row[j]) }
                }
            }
        }
    }

    /// row[j] = f(row[j]), 8 lanes at a time with `vector`, the tail with `scalar`.
    @inline(__always)
    static func mapRow(_ row: UnsafeMutablePointer<Float>, _ n: Int, _ vector: (SIMD8<Float>) -> SIMD8<Float>,
                       _ scalar: (Float) -> Float) {
        var j = 0
        let raw = UnsafeMutableRawPointer(row)
        while j + 8 <= n {
            raw.storeBytes(of: vector(raw.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)), toByteOffset: j * 4, as: SIMD8<Float>.self)
            j += 8
        }
        while j < n { row[j] = scalar(row[j]); j += 1 }
    }

    /// x · sigmoid(1.702 x) over a row, 8 lanes at a time with a vector exp.
    @inline(__always)
    static func quickGeluRow(_ row: UnsafeMutablePointer<Float>, _ n: Int) {
        mapRow(row, n, { x in x / (1 + vexp(-1.702 * x)) }, { x in x / (1 + expf(-1.702 * x)) })
    }

    /// 0.5 x (1 + erf(x / √2)) over a row, 8 lanes at a time (erf by Abramowitz–Stegun 7.1.26, |error| < 1.5e-7).
    @inline(__always)
    static func geluRow(_ row: UnsafeMutablePointer<Float>, _ n: Int) {
        mapRow(row, n, { x in
            let z = x * 0.70710678118654752
            let a = z.lanesMax(-z)
            let t = 1 / (1 + 0.3275911 * a)
            var p = SIMD8<Float>(repeating: 1.061405429)
            p = p * t - 1.453152027
            p = p * t + 1.421413741
            p = p * t - 0.284496736
            p = p * t + 0.254829592
            let e = 1 - p * t * vexp(-(a * a))               // erf(|z|)
            return 0.5 * x * (1 + e.replacing(with: -e, where: z .< 0))
        }, { x in 0.5 * x * (1 + erff(x * 0.70710678118654752)) })
    }

    /// e^x for 8 lanes (Cephes expf: range reduction by ln 2 and a degree-5 polynomial; ~1 ulp).
    /// Rounding and 2^n use the 1.5·2²³ trick: Swift's generic SIMD conversions are slow.
    @inline(__always)
    public static func vexp(_ v: SIMD8<Float>) -> SIMD8<Float> {
        let x = v.lanesMin(SIMD8(repeating: 88.3)).lanesMax(SIMD8(repeating: -87.3))
        let magic = SIMD8<Float>(repeating: 12_582_912)   // 1.5 · 2^23
        let shifted = x * 1.44269504088896341 + magic      // round(x·log2 e) in the low mantissa bits
        let n = shifted - magic
        let r = x - n * 0.693359375 + n * 2.12194440e-4
        var p = SIMD8<Float>(repeating: 1.9875691500e-4)
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        let y = p * r * r + r + 1
        let bits = (unsafeBitCast(shifted, to: SIMD8<UInt32>.self) &+ 127) &<< 23   // 2^n as a float
        return y * unsafeBitCast(bits, to: SIMD8<Float>.self)
    }

    public static func activate(_ x: Tensor, _ act: Activation) -> Tensor {
        var out = x
        let cols = x.shape.last ?? 1
        out.data.withUnsafeMutableBufferPointer { p in
            activate(p.baseAddress!, rows: x.count / max(cols, 1), cols: cols, ld: cols, act)
        }
        return out
    }
}

public enum TensorError: Error, CustomStringConvertible {
    case unsupported(String)
    case shape(String)
    case io(String)

    public var description: String {
        switch self {
        case .unsupported(let s): return "unsupported: \(s)"
        case .shape(let s): return "shape error: \(s)"
        case .io(let s): return s
        }
    }
}
