// LayerNorm over the last dimension, 8 lanes at a time, rows in parallel; out may alias x.
extension Kernels {
    /// y[i,:] = (x[i,:] − mean) / sqrt(var + eps) · gamma + beta (biased variance, as PyTorch).
    public static func layerNorm(_ x: UnsafePointer<Float>, rows: Int, width: Int,
                                 gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, eps: Float,
                                 out y: UnsafeMutablePointer<Float>, ldx: Int? = nil, ldy: Int? = nil) {
        let ldx = ldx ?? width, ldy = ldy ?? width
        Parallel.forRanges(rows, cost: width * 6) { r in
            for i in r {
                layerNormRow(x + i * ldx, width: width, gamma: gamma, beta: beta, eps: eps, out: y + i * ldy)
            }
        }
    }

    public static func layerNorm(_ x: Tensor, gamma: Tensor, beta: Tensor, eps: Float) -> Tensor {
        let w = x.shape.last ?? 1
        precondition(gamma.count == w && beta.count == w, "layerNorm: width \(w), gamma \(gamma.shape), beta \(beta.shape)")
        var out = x
        x.data.withUnsafeBufferPointer { xp in
            gamma.data.withUnsafeBufferPointer { g in
                beta.data.withUnsafeBufferPointer { b in
                    out.data.withUnsafeMutableBufferPointer { o in
                        layerNorm(xp.baseAddress!, rows: x.count / w, width: w, gamma: g.baseAddress!, beta: b.baseAddress!,
                                  eps: eps, out: o.baseAddress!)
                    }
                }
            }
        }
        return out
    }

    @inline(__always)
    static func layerNormRow(_ xr: UnsafePointer<Float>, width: Int, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
                             eps: Float, out yr: UnsafeMutablePointer<Float>) {
        let xv = UnsafeRawPointer(xr), yv = UnsafeMutableRawPointer(yr), gv = UnsafeRawPointer(gamma), bv = UnsafeRawPointer(beta)
        let body = width & ~7
        var acc = SIMD8<Float>()
        var j = 0
        while j < body { acc += xv.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self); j += 8 }
        var sum = acc.sum()
        while j < width { sum += xr[j]; j += 1 }
        let mean = sum / Float(width)
        let m = SIMD8<Float>(repeating: mean)
        var sqv = SIMD8<Float>()
        j = 0
        while j < body { let d = xv.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self) - m; sqv += d * d; j += 8 }
        var sq = sqv.sum()
        while j < width { let d = xr[j] - mean; sq += d * d; j += 1 }
        let inv = 1 / (sq / Float(width) + eps).squareRoot()
        let iv = SIMD8<Float>(repeating: inv)
        j = 0
        while j < body {
            let v = (xv.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self) - m) * iv
                * gv.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self) + bv.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
            yv.storeBytes(of: v, toByteOffset: j * 4, as: SIMD8<Float>.self)
            j += 8
        }
        while j < width { yr[j] = (xr[j] - mean) * inv * gamma[j] + beta[j]; j += 1 }
    }
}
