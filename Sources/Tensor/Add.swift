// Elementwise sum of two float runs, 8 lanes at a time (embedding + position rows).
extension Kernels {
    /// out[j] = a[j] + b[j] for j < count; out may alias a or b.
    @inline(__always)
    public static func add(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int) {
        let av = UnsafeRawPointer(a), bv = UnsafeRawPointer(b), ov = UnsafeMutableRawPointer(out)
        var j = 0
        while j + 8 <= count {
            let v = av.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self) + bv.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
            ov.storeBytes(of: v, toByteOffset: j * 4, as: SIMD8<Float>.self)
            j += 8
        }
        while j < count { out[j] = a[j] + b[j]; j += 1 }
    }
}
