// The FFmpeg and libsndfile versions the media front end links.
import Media
import Testing

@Suite("Media libraries")
struct MediaLibrariesTests {
    @Test("FFmpeg 5 or newer and libsndfile are linked")
    func versions() throws {
        let libs = Dictionary(uniqueKeysWithValues: MediaLibraries.ffmpeg)
        #expect(libs.keys.sorted() == ["libavcodec", "libavformat", "libavutil", "libswresample", "libswscale"])
        let major = Int(libs["libavformat"]!.split(separator: ".")[0])!
        #expect(major >= 59, "av_tx and AVChannelLayout need FFmpeg 5 (libavformat 59)")
        #expect(MediaLibraries.sndfile.hasPrefix("libsndfile-"))
    }
}
