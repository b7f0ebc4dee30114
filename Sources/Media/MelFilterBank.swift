// MelFilterBank: what a log-mel spectrogram's settings fix once — the periodic Hann window, the HTK mel filters
// and the linear time resize — built when the preprocessor is made and shared by every segment it prepares.
import Foundation

struct MelFilterBank: Sendable {
    let config: AudioSpectrogramConfig
    /// Periodic Hann window of nFFT samples.
    let window: [Float]
    /// Filter i weighs the power bins first[i]... with weights[offset[i]..<offset[i + 1]].
    let first: [Int], offset: [Int], weights: [Float]
    /// Image column j is (1 − a[j]) · frame c0[j] + a[j] · frame c1[j].
    let c0: [Int], c1: [Int], a: [Float]

    init(_ config: AudioSpectrogramConfig) {
        self.config = config
        let n = config.nFFT
        window = (0..<n).map { Float(0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(n))) }
        var first: [Int] = [], offset = [0], weights: [Float] = []
        for filter in Self.melFilters(config) {
            first.append(filter.first)
            weights += filter.weights.map { Float($0) }
            offset.append(weights.count)
        }
        (self.first, self.offset, self.weights) = (first, offset, weights)
        let frames = config.framesPerWindow, width = config.imageSize
        var c0: [Int] = [], c1: [Int] = [], a: [Float] = []
        for j in 0..<width {
            let c = max(0, (Double(j) + 0.5) * Double(frames) / Double(width) - 0.5)
            let lower = min(Int(c.rounded(.down)), frames - 1)
            c0.append(lower)
            c1.append(min(lower + 1, frames - 1))
            a.append(Float(c - Double(lower)))
        }
        (self.c0, self.c1, self.a) = (c0, c1, a)
    }

    /// HTK mel: 2595·log10(1 + f/700).
    static func mel(_ f: Double) -> Double { 2595 * log10(1 + f / 700) }

    /// Triangular filters on the HTK scale with edges equally spaced in mel from mel(f_min) to mel(f_max): per
    /// filter, the first FFT bin with a non-zero weight and the weights from there.
    static func melFilters(_ c: AudioSpectrogramConfig) -> [(first: Int, weights: [Double])] {
        let bins = c.nFFT / 2 + 1
        let lo = mel(c.fMin), hi = mel(c.fMax)
        let edges = (0...(c.nMels + 1)).map { lo + Double($0) * (hi - lo) / Double(c.nMels + 1) }
        let binMel = (0..<bins).map { mel(Double(c.sampleRate) * Double($0) / Double(c.nFFT)) }
        return (0..<c.nMels).map { i in
            let w = binMel.map { m in
                max(0, min((m - edges[i]) / (edges[i + 1] - edges[i]), (edges[i + 2] - m) / (edges[i + 2] - edges[i + 1])))
            }
            guard let first = w.firstIndex(where: { $0 > 0 }), let last = w.lastIndex(where: { $0 > 0 }) else { return (0, []) }
            return (first, Array(w[first...last]))
        }
    }
}
