// FFmpeg's log routed through merclip: silent unless MERCLIP_FFMPEG_LOG is set; the last error kept per thread.
import CFFmpeg

enum FFmpegLog {
    private static let installed: Bool = {
        merclip_log_install()
        return true
    }()

    /// Installs the callback once and forgets the calling thread's last message.
    static func begin() {
        _ = installed
        merclip_log_clear()
    }

    /// The calling thread's last error-level FFmpeg message, or "".
    static var lastError: String { String(cString: merclip_log_last()) }
}

/// FFmpeg's text for an error code, e.g. "Invalid data found when processing input".
func ffErrorString(_ code: Int32) -> String { String(cString: merclip_av_err2str(code)) }

/// "<FFmpeg's text> (<FFmpeg's last log line>)" when there is a log line.
func ffDetail(_ code: Int32) -> String {
    let log = FFmpegLog.lastError
    let text = ffErrorString(code)
    return log.isEmpty || log.contains(text) ? text : "\(text) (\(log))"
}
