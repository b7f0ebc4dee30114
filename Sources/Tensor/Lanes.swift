// Lane-wise min and max of SIMD8<Float> that compile to single vector instructions (the standard library's
// generic pointwiseMin/pointwiseMax are calls into an unspecialised helper in the hot loops).
extension SIMD8 where Scalar == Float {
    /// Lane-wise minimum (minps); a NaN lane of self stays NaN.
    @inline(__always) func lanesMin(_ b: SIMD8<Float>) -> SIMD8<Float> { replacing(with: b, where: b .< self) }
    /// Lane-wise maximum (maxps); a NaN lane of self stays NaN.
    @inline(__always) func lanesMax(_ b: SIMD8<Float>) -> SIMD8<Float> { replacing(with: b, where: b .> self) }
}
