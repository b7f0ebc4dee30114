// FFmpeg's log routed through swift-log (label merclip.ffmpeg): silent unless MERCLIP_FFMPEG_LOG is set; the last
// error kept per thread for the error messages.
import CFFmpeg
import Foundation
import Logging

enum FFmpegLog {
    /// -1: log nothing; else the highest FFmpeg level logged.
    fileprivate static let printLevel: Int32 = {
        guard let v = ProcessInfo.processInfo.environment["MERCLIP_FFMPEG_LOG"] else { return -1 }
        return v.hasPrefix("d") ? AV_LOG_DEBUG : AV_LOG_WARNING
    }()

    /// Per-thread 512-byte buffer holding the thread's last error-level line.
    fileprivate static let key: pthread_key_t = {
        var k = pthread_key_t()
        pthread_key_create(&k) { free($0) }
        return k
    }()

    /// The text of a NUL-terminated C buffer.
    fileprivate static func string(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    fileprivate static func buffer() -> UnsafeMutablePointer<CChar> {
        if let p = pthread_getspecific(key) { return p.assumingMemoryBound(to: CChar.self) }
        let p = calloc(512, 1)!.assumingMemoryBound(to: CChar.self)
        pthread_setspecific(key, p)
        return p
    }

    fileprivate static let logger: Logger = {
        var logger = Logger(label: "merclip.ffmpeg")
        logger.logLevel = .debug
        return logger
    }()

    private static let installed: Bool = {
        _ = printLevel
        _ = key
        _ = logger
        av_log_set_callback { avcl, level, fmt, args in
            guard level <= AV_LOG_ERROR || level <= FFmpegLog.printLevel, let fmt, let args else { return }
            var line = [CChar](repeating: 0, count: 1024)
            var prefix: Int32 = 1
            av_log_format_line2(avcl, level, fmt, args, &line, Int32(line.count), &prefix)
            if level <= AV_LOG_ERROR {
                var text = FFmpegLog.string(line)
                // Drop the "[demuxer @ 0x...] " prefix and the newline.
                if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
                    text = String(text[text.index(after: close)...])
                }
                text = text.trimmingCharacters(in: .whitespacesAndNewlines)
                let buf = FFmpegLog.buffer()
                _ = text.withCString { strncpy(buf, $0, 511) }
                buf[511] = 0
            }
            if level <= FFmpegLog.printLevel {
                let text = FFmpegLog.string(line).trimmingCharacters(in: .whitespacesAndNewlines)
                FFmpegLog.logger.log(level: level <= AV_LOG_ERROR ? .error : level <= AV_LOG_WARNING ? .warning : .debug,
                                     "\(text)")
            }
        }
        return true
    }()

    /// Installs the callback once and forgets the calling thread's last message.
    static func begin() {
        _ = installed
        buffer()[0] = 0
    }

    /// The calling thread's last error-level FFmpeg message, or "".
    static var lastError: String { String(cString: buffer()) }
}

/// FFmpeg's text for an error code, e.g. "Invalid data found when processing input".
func ffErrorString(_ code: Int32) -> String { String(cString: merclip_av_err2str(code)) }

/// "<FFmpeg's text> (<FFmpeg's last log line>)" when there is a log line.
func ffDetail(_ code: Int32) -> String {
    let log = FFmpegLog.lastError
    let text = ffErrorString(code)
    return log.isEmpty || log.contains(text) ? text : "\(text) (\(log))"
}
