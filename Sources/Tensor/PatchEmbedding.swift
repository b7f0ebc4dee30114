// Patch embedding of a batch of images as one GEMM: im2col of all images, then the packed conv weight.
extension Kernels {
    /// Images [n, channels, size, size] → patch features [n · P, hidden], P = (size/patch)², patches in
    /// row-major order; `weight` is the conv kernel [hidden, channels · patch · patch] (stride = patch, no bias).
    /// `cols` must hold n · P · channels · patch² floats.
    /// `imageStride` (default channels · size²) is the distance between images: with a weight summed over the
    /// channels, `channels` 1 reads the first channel of each image.
    public static func patchEmbed(_ images: UnsafePointer<Float>, count n: Int, channels: Int, size: Int, patch: Int,
                                  imageStride: Int? = nil,
                                  weight: PackedWeight, cols: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>) {
        let g = size / patch, P = g * g, K = channels * patch * patch
        // im2col: row (image, py, px) = [c][ky][kx], matching the flattened kernel.
        Parallel.forRanges(n * g, cost: g * K) { r in
            for ig in r {
                let img = ig / g, py = ig % g
                let src = images + img * (imageStride ?? channels * size * size)
                for px in 0..<g {
                    var dst = cols + ((img * P) + py * g + px) * K
                    for c in 0..<channels {
                        for ky in 0..<patch {
                            let s = src + c * size * size + (py * patch + ky) * size + px * patch
                            dst.update(from: s, count: patch)
                            dst += patch
                        }
                    }
                }
            }
        }
        precondition(weight.inFeatures == K, "patchEmbed: weight takes \(weight.inFeatures) inputs, patches have \(K)")
        weight.apply(cols, rows: n * P, bias: nil, out: out)
    }
}
