// LayerNorm over the last dimension, rows in parallel; out may alias x.
extension Ops {
    /// y[i,:] = (x[i,:] − mean) / sqrt(var + eps) · gamma + beta (biased variance, as PyTorch).
    public static func layerNorm(_ x: UnsafePointer<Float>, rows: Int, width: Int,
                                 gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, eps: Float,
                                 out y: UnsafeMutablePointer<Float>, ldx: Int? = nil, ldy: Int? = nil) {
        let ldx = ldx ?? width, ldy = ldy ?? width
        Parallel.forRanges(rows, cost: width * 6) { r in
            for i in r {
                let xr = x + i * ldx, yr = y + i * ldy
                var sum: Float = 0
                for j in 0..<width { sum += xr[j] }
                let mean = sum / Float(width)
                var sq: Float = 0
                for j in 0..<width { let d = xr[j] - mean; sq += d * d }
                let inv = 1 / (sq / Float(width) + eps).squareRoot()
                for j in 0..<width { yr[j] = (xr[j] - mean) * inv * gamma[j] + beta[j] }
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
}
