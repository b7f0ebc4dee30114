// Versions of the linked FFmpeg libraries and libsndfile.
import CFFmpeg
import CSndFile

public enum MediaLibraries {
    static func dotted(_ v: UInt32) -> String { "\(v >> 16).\((v >> 8) & 0xff).\(v & 0xff)" }

    /// (library, version) for each linked FFmpeg library.
    public static var ffmpeg: [(String, String)] {
        [("libavformat", dotted(avformat_version())),
         ("libavcodec", dotted(avcodec_version())),
         ("libavutil", dotted(avutil_version())),
         ("libswscale", dotted(swscale_version())),
         ("libswresample", dotted(swresample_version()))]
    }
    /// The FFmpeg release these libraries come from, e.g. "5.1.9-0+deb12u1".
    public static var ffmpegRelease: String { String(cString: av_version_info()) }
    /// libsndfile's own version string, e.g. "libsndfile-1.2.0".
    public static var sndfile: String { String(cString: sf_version_string()) }
}
