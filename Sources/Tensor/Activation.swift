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

extension Ops {
    /// Applies `act` in place to a [rows, cols] block with leading dimension `ld`.
    public static func activate(_ p: UnsafeMutablePointer<Float>, rows: Int, cols: Int, ld: Int, _ act: Activation) {
        if act == .identity { return }
        Parallel.forRanges(rows, cost: cols * 8) { r in
            for i in r {
                let row = p + i * ld
                switch act {
                case .quickGelu: for j in 0..<cols { let x = row[j]; row[j] = x / (1 + expf(-1.702 * x)) }
                case .gelu: for j in 0..<cols { let x = row[j]; row[j] = 0.5 * x * (1 + erff(x * 0.70710678118654752)) }
                default: for j in 0..<cols { row[j] = act.apply(row[j]) }
                }
            }
        }
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
