// Audio: log-mel parity with training/spectrogram_reference.py, windows, and every audio container.
import Foundation
import Media
import Tensor
import Testing

@Suite("Audio spectrograms")
struct AudioTests {
    static var unnormalised: MediaPreprocessConfig {
        var c = MediaPreprocessConfig()
        c.audio.mean = 0
        c.audio.std = 1
        return c
    }

    @Test("log-mel parity with the numpy reference (≤ 1e-3 within 20 of each window's max)",
          arguments: ["tone", "speech"], [true, false])
    func parity(name: String, sndfile: Bool) throws {
        let expected = try Npy.readFloat(TestMedia.fixture("\(name).logmel.npy"))
        let s = try MediaPreprocessor(config: Self.unnormalised, useSndfile: sndfile)
            .process(.file(TestMedia.fixture("\(name).wav")))
        #expect(s.info.audioReader == (sndfile ? "libsndfile" : "ffmpeg"))
        let audio = try #require(s.audio)
        let t = expected.shape[0]
        #expect(s.audioShape == [t, 3, 224, 224])
        let plane = 224 * 224
        var checked = 0, worst: Float = 0
        for w in 0..<t {
            let ref = Array(expected.data[(w * plane)..<((w + 1) * plane)])
            let got = Array(audio[(w * 3 * plane)..<(w * 3 * plane + plane)])
            let top = ref.max()!
            for i in 0..<plane where ref[i] >= top - 20 {
                worst = max(worst, abs(ref[i] - got[i]))
                checked += 1
            }
            // The 3 channels are the same image.
            #expect(Array(audio[(w * 3 * plane + plane)..<(w * 3 * plane + 2 * plane)]) == got)
        }
        #expect(checked > 10000)
        #expect(worst <= 1e-3, "largest difference \(worst) over \(checked) cells")
    }

    @Test("normalisation uses the config's mean and std")
    func normalisation() throws {
        var c = MediaPreprocessConfig()
        c.audio.mean = -4
        c.audio.std = 4
        let raw = try MediaPreprocessor(config: Self.unnormalised).process(.file(TestMedia.fixture("tone.wav")))
        let norm = try MediaPreprocessor(config: c).process(.file(TestMedia.fixture("tone.wav")))
        let a = try #require(raw.audio), b = try #require(norm.audio)
        #expect(zip(a, b).allSatisfy { abs(($0 + 4) / 4 - $1) < 1e-5 })
    }

    @Test("every audio container: 3 s at 440 Hz → 2 windows peaking in the 440 Hz filter",
          arguments: ["tone.wav", "tone.mp3", "tone.flac", "tone.ogg", "index.mp4", "index.webm", "index.mkv"])
    func containers(name: String) throws {
        let s = try MediaPreprocessor(config: Self.unnormalised).process(.file(try TestMedia.path(name)),
                                                                       window: SegmentWindow(start: 0, duration: 3))
        let audio = try #require(s.audio)
        #expect(s.audioShape == [2, 3, 224, 224])
        #expect(abs(s.audioSeconds - 3) < 0.03, "\(s.audioSeconds)")
        // Filter whose centre is nearest to 440 Hz.
        func mel(_ f: Double) -> Double { 2595 * log10(1 + f / 700) }
        let lo = mel(20), hi = mel(8000)
        let target = (0..<224).min { abs(lo + Double($0 + 1) * (hi - lo) / 225 - mel(440)) < abs(lo + Double($1 + 1) * (hi - lo) / 225 - mel(440)) }!
        let column = 112
        let peak = (0..<224).max { audio[$0 * 224 + column] < audio[$1 * 224 + column] }!
        #expect(abs(peak - target) <= 2, "\(name): peak filter \(peak), 440 Hz is filter \(target)")
    }

    @Test("long audio keeps 12 regularly spaced windows; a short clip one padded window")
    func windowCount() throws {
        let long = try MediaPreprocessor().process(.file(try TestMedia.path("bench720.mp4")))
        #expect(long.audioShape == [5, 3, 224, 224])
        var c = MediaPreprocessConfig()
        c.audio.maxWindows = 2
        let kept = try MediaPreprocessor(config: c).process(.file(try TestMedia.path("bench720.mp4")))
        #expect(kept.audioShape == [2, 3, 224, 224])
        let short = try MediaPreprocessor().process(.file(try TestMedia.path("tone.wav")), window: SegmentWindow(start: 1, duration: 0.5))
        #expect(short.audioShape == [1, 3, 224, 224])
        #expect(abs(short.audioSeconds - 0.5) < 1e-3)
    }
}
