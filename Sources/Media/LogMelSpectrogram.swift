// LogMelSpectrogram: 2 s windows → log-mel images (periodic Hann, av_tx real FFT, HTK mel filters, linear time resize).
// One per segment (it owns the FFT's state); the window, filters and resize come from a shared MelFilterBank.
import CFFmpeg
import Foundation

final class LogMelSpectrogram {
    let bank: MelFilterBank
    var config: AudioSpectrogramConfig { bank.config }
    private var tx: OpaquePointer?
    private let fft: av_tx_fn
    private let fftIn: UnsafeMutablePointer<Float>
    private let fftOut: UnsafeMutablePointer<Float>

    init(_ bank: MelFilterBank) throws {
        self.bank = bank
        let n = bank.config.nFFT
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

    /// ln(max(E, 1e-10)) of one window into `out`: nMels rows × framesPerWindow columns (row = filter, lowest
    /// first); `power` holds nFFT / 2 + 1 floats.
    func logMel(_ samples: UnsafeBufferPointer<Float>, power: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        let n = config.nFFT, hop = config.hopLength, frames = config.framesPerWindow, mels = config.nMels
        bank.window.withUnsafeBufferPointer { window in
            bank.weights.withUnsafeBufferPointer { weights in
                bank.first.withUnsafeBufferPointer { first in
                    bank.offset.withUnsafeBufferPointer { offset in
                        for t in 0..<frames {
                            let base = t * hop
                            let valid = max(0, min(n, samples.count - base))
                            for k in 0..<valid { fftIn[k] = samples[base + k] * window[k] }
                            for k in valid..<n { fftIn[k] = 0 }
                            fft(tx, fftOut, fftIn, MemoryLayout<Float>.stride)
                            for k in 0...(n / 2) {
                                let re = fftOut[2 * k], im = fftOut[2 * k + 1]
                                power[k] = re * re + im * im
                            }
                            for i in 0..<mels {
                                var e: Float = 0
                                let p = power + first[i]
                                for j in offset[i]..<offset[i + 1] { e += weights[j] * p[j - offset[i]] }
                                out[i * frames + t] = e
                            }
                        }
                    }
                }
            }
        }
        for i in 0..<(mels * frames) { out[i] = log(max(out[i], 1e-10)) }
    }

    /// The log-mel image of one window, resized along time to `imageSize` columns by linear interpolation
    /// (nMels × imageSize, before normalisation); `scratch` holds nMels × framesPerWindow + nFFT / 2 + 1 floats.
    func image(_ samples: UnsafeBufferPointer<Float>, scratch: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        let frames = config.framesPerWindow, width = config.imageSize, mels = config.nMels
        let x = scratch
        logMel(samples, power: scratch + mels * frames, into: x)
        bank.c0.withUnsafeBufferPointer { c0 in
            bank.c1.withUnsafeBufferPointer { c1 in
                bank.a.withUnsafeBufferPointer { a in
                    for i in 0..<mels {
                        let row = x + i * frames, o = out + i * width
                        for j in 0..<width { o[j] = (1 - a[j]) * row[c0[j]] + a[j] * row[c1[j]] }
                    }
                }
            }
        }
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
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: win + config.nMels * config.framesPerWindow + config.nFFT / 2 + 1)
        defer { scratch.deallocate() }
        let buffer = scratch, work = scratch + win
        let mean = config.mean, std = config.std
        let out = [Float](unsafeUninitializedCapacity: chosen.count * channels * plane) { out, initialized in
            for (slot, w) in chosen.enumerated() {
                let from = w * win, to = min(samples.count, from + win)
                samples.withUnsafeBufferPointer { s in
                    for i in 0..<(to - from) { buffer[i] = s[from + i] }
                }
                for i in max(0, to - from)..<win { buffer[i] = 0 }
                let img = out.baseAddress! + slot * channels * plane
                image(UnsafeBufferPointer(start: buffer, count: win), scratch: work, into: img)
                if !raw {
                    for i in 0..<plane { img[i] = (img[i] - mean) / std }
                    (img + plane).initialize(from: img, count: plane)
                    (img + 2 * plane).initialize(from: img, count: plane)
                }
            }
            initialized = chosen.count * channels * plane
        }
        return (out, chosen.count)
    }
}
