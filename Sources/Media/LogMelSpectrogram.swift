// LogMelSpectrogram: 2 s windows → log-mel images (periodic Hann, av_tx real FFT, HTK mel filters, linear time resize).
import CFFmpeg
import Foundation

final class LogMelSpectrogram {
    let config: AudioSpectrogramConfig
    private let window: [Float]
    /// Per mel filter: the first FFT bin with a non-zero weight and the weights from there.
    private let filters: [(first: Int, weights: [Double])]
    private var tx: OpaquePointer?
    private let fft: av_tx_fn
    private let fftIn: UnsafeMutablePointer<Float>
    private let fftOut: UnsafeMutablePointer<Float>

    init(_ config: AudioSpectrogramConfig) throws {
        self.config = config
        let n = config.nFFT
        window = (0..<n).map { Float(0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(n))) }
        filters = LogMelSpectrogram.melFilters(config)
        var fn: av_tx_fn?
        var scale: Float = 1
        let r = av_tx_init(&tx, &fn, AV_TX_FLOAT_RDFT, 0, Int32(n), &scale, 0)
        guard r >= 0, let fn, let inBuf = av_malloc((n + 64) * 4), let outBuf = av_malloc((n + 64) * 4) else {
            av_tx_uninit(&tx)
            throw MediaError(.outOfMemory, input: "spectrogram", reason: "cannot set up a \(n)-point FFT: \(ffErrorString(r))")
        }
        fft = fn
        fftIn = inBuf.bindMemory(to: Float.self, capacity: n + 64)
        fftOut = outBuf.bindMemory(to: Float.self, capacity: n + 64)
    }

    deinit {
        av_tx_uninit(&tx)
        av_free(fftIn)
        av_free(fftOut)
    }

    /// HTK mel: 2595·log10(1 + f/700).
    static func mel(_ f: Double) -> Double { 2595 * log10(1 + f / 700) }

    /// Triangular filters on the HTK scale with edges equally spaced in mel from mel(f_min) to mel(f_max).
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

    /// ln(max(E, 1e-10)) of one window: nMels rows × framesPerWindow columns (row = filter, lowest first).
    func logMel(_ samples: UnsafeBufferPointer<Float>) -> [Float] {
        let n = config.nFFT, hop = config.hopLength, frames = config.framesPerWindow, mels = config.nMels
        var out = [Float](repeating: 0, count: mels * frames)
        var power = [Double](repeating: 0, count: n / 2 + 1)
        for t in 0..<frames {
            let base = t * hop
            for k in 0..<n {
                let i = base + k
                fftIn[k] = i < samples.count ? samples[i] * window[k] : 0
            }
            fft(tx, fftOut, fftIn, MemoryLayout<Float>.stride)
            for k in 0...(n / 2) {
                let re = Double(fftOut[2 * k]), im = Double(fftOut[2 * k + 1])
                power[k] = re * re + im * im
            }
            for (i, filter) in filters.enumerated() {
                var e = 0.0
                for (j, w) in filter.weights.enumerated() { e += w * power[filter.first + j] }
                out[i * frames + t] = Float(log(max(e, 1e-10)))
            }
        }
        return out
    }

    /// The log-mel image of one window, resized along time to `imageSize` columns by linear
    /// interpolation (nMels × imageSize, before normalisation).
    func image(_ samples: UnsafeBufferPointer<Float>) -> [Float] {
        let x = logMel(samples)
        let frames = config.framesPerWindow, width = config.imageSize, mels = config.nMels
        var out = [Float](repeating: 0, count: mels * width)
        for j in 0..<width {
            let c = max(0, (Double(j) + 0.5) * Double(frames) / Double(width) - 0.5)
            let c0 = min(Int(c.rounded(.down)), frames - 1)
            let c1 = min(c0 + 1, frames - 1)
            let a = Float(c - Double(c0))
            for i in 0..<mels {
                out[i * width + j] = (1 - a) * x[i * frames + c0] + a * x[i * frames + c1]
            }
        }
        return out
    }

    /// Which windows of `total` to keep: all when ≤ maxWindows, else maxWindows regularly spaced
    /// ones, window k = floor((k + 0.5) · total / maxWindows).
    static func chosenWindows(total: Int, maxWindows: Int) -> [Int] {
        guard total > maxWindows else { return Array(0..<total) }
        return (0..<maxWindows).map { Int((Double($0) + 0.5) * Double(total) / Double(maxWindows)) }
    }

    /// Audio images for a waveform: [T_A, 3, nMels, imageSize] normalised with config mean/std,
    /// or unnormalised single-channel [T_A, nMels, imageSize] when `raw`.
    func images(for samples: [Float], raw: Bool = false) -> (values: [Float], count: Int) {
        let win = config.windowSamples
        let total = (samples.count + win - 1) / win
        let chosen = LogMelSpectrogram.chosenWindows(total: total, maxWindows: config.maxWindows)
        let plane = config.nMels * config.imageSize
        let channels = raw ? 1 : 3
        var out = [Float](repeating: 0, count: chosen.count * channels * plane)
        var buffer = [Float](repeating: 0, count: win)
        for (slot, w) in chosen.enumerated() {
            let from = w * win, to = min(samples.count, from + win)
            for i in 0..<win { buffer[i] = from + i < to ? samples[from + i] : 0 }
            let img = buffer.withUnsafeBufferPointer { image($0) }
            let base = slot * channels * plane
            if raw {
                out.replaceSubrange(base..<(base + plane), with: img)
            } else {
                let mean = config.mean, std = config.std
                for ch in 0..<3 {
                    let o = base + ch * plane
                    for i in 0..<plane { out[o + i] = (img[i] - mean) / std }
                }
            }
        }
        return (out, chosen.count)
    }
}
