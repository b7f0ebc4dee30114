// The integer passes (CResample, rows left to right in memory; AVX2 and SSE2) against the Float horizontal
// pass with its exact fallback (pixels a byte apart: every other byte) and Pillow's arithmetic done naively.
import CResample
@testable import Media
import Testing

@Suite("Resize kernels")
struct ResamplerKernelTests {
    /// Pillow's two passes, one value at a time, in its integers (`BicubicKernel.exact`).
    static func naive(_ px: [UInt8], width: Int, height: Int, _ r: FrameResampler) -> [Float] {
        let rows = r.rows
        var mid = [[Int32]](repeating: [], count: rows.count)
        for y in rows {
            mid[y - rows.lowerBound] = (0..<r.across.keep.count).map { j in Int32(r.across.exact(j) { Int32(px[y * width + $0]) }) }
        }
        var out: [Float] = []
        for j in 0..<r.down.keep.count {
            for x in 0..<r.across.keep.count { out.append(r.down.exact(j) { mid[$0 - rows.lowerBound][x] }) }
        }
        return out
    }

    @Test("same values as Pillow's arithmetic, upright and a byte apart",
          arguments: [(301, 37, 96, 24, 0..<96, 0..<24), (640, 360, 398, 224, 87..<311, 0..<224),
                      (50, 70, 120, 168, 10..<110, 20..<140), (77, 77, 77, 40, 0..<77, 3..<37), (33, 20, 17, 9, 5..<12, 0..<9)])
    func kernels(w: Int, h: Int, ow: Int, oh: Int, keepX: Range<Int>, keepY: Range<Int>) throws {
        var g = SystemRandomNumberGenerator()
        // Random pixels with flat and saturated patches, where sums fall on rounding boundaries and clip.
        let px: [UInt8] = (0..<(w * h)).map { i in
            switch (i / 7) % 4 { case 0: return 255; case 1: return 0; default: return UInt8.random(in: 0...255, using: &g) }
        }
        let r = FrameResampler(across: BicubicKernel(inSize: w, outSize: ow, keep: keepX),
                               down: BicubicKernel(inSize: h, outSize: oh, keep: keepY))
        func run(_ view: ChannelView) -> [Float] {
            var temp = [Int16](repeating: 0, count: r.rows.count * r.pitch)
            var columns = [SIMD8<Float>](repeating: .zero, count: 2 * r.across.span.count + 8)
            var out = [Float](repeating: -1, count: keepX.count * keepY.count)
            temp.withUnsafeMutableBufferPointer { t in columns.withUnsafeMutableBufferPointer { c in out.withUnsafeMutableBufferPointer { o in
                r.resample(view, temp: t.baseAddress!, columns: c.baseAddress!, into: o.baseAddress!) { $0 }
            } } }
            return out
        }
        let spaced: [UInt8] = px.flatMap { p -> [UInt8] in [p, 7] }
        let upright = px.withUnsafeBufferPointer {
            run(ChannelView(stored: $0.baseAddress!, step: 1, stride: w, width: w, height: h, rotation: 0))
        }
        // The SSE2 kernels where AVX2 was used (the same values either way, so other tests running meanwhile
        // are not disturbed).
        let avx2 = merclip_resample_avx2() != 0
        merclip_resample_use_avx2(0)
        let sse2 = px.withUnsafeBufferPointer {
            run(ChannelView(stored: $0.baseAddress!, step: 1, stride: w, width: w, height: h, rotation: 0))
        }
        merclip_resample_use_avx2(1)
        let apart = spaced.withUnsafeBufferPointer {
            run(ChannelView(stored: $0.baseAddress!, step: 2, stride: 2 * w, width: w, height: h, rotation: 0))
        }
        let reference = Self.naive(px, width: w, height: h, r)
        func differences(_ a: [Float]) -> String {
            let bad = a.indices.filter { a[$0] != reference[$0] }
            return bad.first.map { "\(bad.count) values differ, first at \($0): \(a[$0]) for \(reference[$0])" } ?? ""
        }
        #expect(upright.count == reference.count && differences(upright).isEmpty, "\(w)×\(h) → \(ow)×\(oh), integer kernel: \(differences(upright))")
        #expect(apart.count == reference.count && differences(apart).isEmpty, "\(w)×\(h) → \(ow)×\(oh), Float path: \(differences(apart))")
        #expect(sse2.count == reference.count && differences(sse2).isEmpty,
                "\(w)×\(h) → \(ow)×\(oh), integer kernel on SSE2 (AVX2 otherwise: \(avx2)): \(differences(sse2))")
    }
}
