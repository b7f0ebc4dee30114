// MediaPreprocessConfig from a model's config.json: the keys the front end reads, defaults, and errors.
import Foundation
import Media
import Testing

@Suite("Preprocess config")
struct ConfigTests {
    @Test("reads preprocess, vision.image_size and audio.image_size; missing keys keep defaults")
    func parse() throws {
        let json = """
        {"format": "merclip-model/1", "vision": {"image_size": 160}, "audio": {"image_size": 192},
         "preprocess": {"frames": 8, "image_mean": [0.5, 0.5, 0.5],
                        "audio": {"mean": -3.5, "std": 2.5, "n_mels": 128, "max_windows": 6}}}
        """
        let c = try MediaPreprocessConfig(configJSON: Data(json.utf8))
        #expect(c.frames == 8 && c.imageSize == 160 && c.audio.imageSize == 192)
        #expect(c.imageMean == [0.5, 0.5, 0.5])
        #expect(c.imageStd == MediaPreprocessConfig().imageStd)
        #expect(c.audio.mean == -3.5 && c.audio.std == 2.5 && c.audio.nMels == 128 && c.audio.maxWindows == 6)
        #expect(c.audio.nFFT == 1024 && c.audio.hopLength == 512 && c.audio.framesPerWindow == 61)
        let d = try MediaPreprocessConfig(configJSON: Data("{}".utf8))
        #expect(d == MediaPreprocessConfig())
        #expect(d.audio.mean == -4 && d.audio.std == 4)
    }

    @Test("bad values are errors naming the file")
    func errors() {
        for bad in [#"{"preprocess": {"audio": {"std": 0}}}"#, #"{"preprocess": {"image_mean": [1, 2]}}"#,
                    #"{"preprocess": {"audio": {"n_fft": 1000}}}"#, #"{"preprocess": {"frames": "12"}}"#, "[1]"] {
            #expect(throws: MediaConfigError.self) { try MediaPreprocessConfig(configJSON: Data(bad.utf8), name: "m/config.json") }
        }
        #expect(throws: MediaConfigError.self) { try MediaPreprocessConfig(modelDirectory: "/nonexistent") }
    }

    @Test("the model's image size and frame count shape the output")
    func shapes() throws {
        var c = MediaPreprocessConfig()
        c.frames = 3
        c.imageSize = 64
        c.audio.imageSize = 100
        let s = try MediaPreprocessor(config: c).process(.file(try TestMedia.path("index.mkv")))
        #expect(s.framesShape == [3, 3, 64, 64])
        #expect(s.audioShape == [3, 3, 224, 100])
        #expect(s.frames?.count == 3 * 3 * 64 * 64 && s.audio?.count == 3 * 3 * 224 * 100)
    }
}
