// An immutable weight array in its own allocation, so hot loops take raw pointers without copies.
import Tensor

/// Written once at init, read-only afterwards (hence safe to share between threads).
public final class Param: @unchecked Sendable {
    public let shape: [Int]
    public let count: Int
    public let pointer: UnsafeMutablePointer<Float>

    public init(_ t: Tensor) {
        shape = t.shape
        count = t.count
        pointer = .allocate(capacity: max(count, 1))
        t.data.withUnsafeBufferPointer { pointer.initialize(from: $0.baseAddress!, count: count) }
    }

    /// Rows of several tensors stacked along dimension 0 (e.g. q, k, v weights into one [3D, D]).
    public convenience init(stacking parts: [Tensor]) {
        self.init(Tensor.concat(parts))
    }

    deinit { pointer.deallocate() }

    public var tensor: Tensor { Tensor(shape: shape, data: Array(UnsafeBufferPointer(start: pointer, count: count))) }
}
