// A float32 tensor: contiguous row-major [Float] storage and a shape.
public struct Tensor: Sendable, Equatable {
    public var shape: [Int]
    public var data: [Float]

    public init(shape: [Int], data: [Float]) {
        precondition(shape.reduce(1, *) == data.count,
                     "Tensor: shape \(shape) needs \(shape.reduce(1, *)) values, got \(data.count)")
        self.shape = shape
        self.data = data
    }

    public init(zeros shape: [Int]) {
        self.shape = shape
        self.data = [Float](repeating: 0, count: shape.reduce(1, *))
    }

    /// A scalar (shape []).
    public init(scalar: Float) { self.init(shape: [], data: [scalar]) }

    public var count: Int { data.count }
    public var rank: Int { shape.count }
    /// Size of dimension 0 (1 for a scalar).
    public var rows: Int { shape.first ?? 1 }
    /// Number of values per row along dimension 0.
    public var rowSize: Int { shape.count <= 1 ? 1 : shape.dropFirst().reduce(1, *) }

    public func reshaped(_ newShape: [Int]) -> Tensor { Tensor(shape: newShape, data: data) }

    /// Rows `range` along dimension 0.
    public func rows(_ range: Range<Int>) -> Tensor {
        let n = rowSize
        var s = shape
        s[0] = range.count
        return Tensor(shape: s, data: Array(data[(range.lowerBound * n)..<(range.upperBound * n)]))
    }

    /// Row `i` along dimension 0, as an array.
    public func row(_ i: Int) -> [Float] {
        let n = rowSize
        return Array(data[(i * n)..<((i + 1) * n)])
    }

    /// Concatenation along dimension 0; all parts must agree on the other dimensions.
    public static func concat(_ parts: [Tensor]) -> Tensor {
        guard let first = parts.first else { return Tensor(zeros: [0]) }
        var s = first.shape
        s[0] = 0
        var data: [Float] = []
        data.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        for p in parts {
            precondition(Array(p.shape.dropFirst()) == Array(first.shape.dropFirst()),
                         "Tensor.concat: shape \(p.shape) does not match \(first.shape)")
            s[0] += p.shape[0]
            data += p.data
        }
        return Tensor(shape: s, data: data)
    }

    /// The largest absolute value (0 for an empty tensor).
    public var maxAbs: Float { data.reduce(0) { max($0, abs($1)) } }
}
