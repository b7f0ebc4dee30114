// Hostile media for HostileInputTests: special files, playlists, links, damaged and lying files in a media root.
import Foundation
import TestSupport

enum HostileMedia {
    static let lock = NSLock()
    /// Folder inside the media root holding the hostile files.
    static var dir: URL { Assets.mediaRoot.appendingPathComponent("hostile") }
    /// A folder outside every media root.
    static var outside: URL { Assets.dir.appendingPathComponent("outside") }

    static func uri(_ name: String) -> String { dir.appendingPathComponent(name).absoluteString }

    /// Makes the files once per process.
    static func make() throws {
        try Assets.makeMedia()
        lock.lock()
        defer { lock.unlock() }
        let fm = FileManager.default
        if fm.fileExists(atPath: dir.appendingPathComponent("done").path) { return }
        try? fm.removeItem(at: dir)
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        try fm.createDirectory(at: outside, withIntermediateDirectories: true)
        let clip = Assets.mediaRoot.appendingPathComponent("clip.mp4").path
        func path(_ n: String) -> String { dir.appendingPathComponent(n).path }
        func ff(_ args: [String]) throws { _ = try run("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y"] + args) }
        func write(_ n: String, _ text: String) throws { try Data(text.utf8).write(to: dir.appendingPathComponent(n)) }

        // Special files and links.
        guard mkfifo(path("pipe.mp4"), 0o644) == 0 else { throw TestFailure("mkfifo failed") }
        try fm.createDirectory(atPath: path("folder.mp4"), withIntermediateDirectories: true)
        try fm.createSymbolicLink(atPath: path("zero.mp4"), withDestinationPath: "/dev/zero")
        try Data("secret".utf8).write(to: outside.appendingPathComponent("secret.mp4"))
        try fm.createSymbolicLink(atPath: path("escape.mp4"), withDestinationPath: outside.appendingPathComponent("secret.mp4").path)
        try bindSocket(path("socket.mp4"))
        try Data().write(to: dir.appendingPathComponent("empty.mp4"))

        // Containers that open other files, or are not media.
        try write("list.m3u8", "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\n\(clip)\n#EXT-X-ENDLIST\n")
        try write("list.ffconcat", "ffconcat version 1.0\nfile '\(clip)'\n")
        try write("cues.srt", "1\n00:00:00,000 --> 00:00:02,000\nhello\n\n")

        // Damaged, lying and unusual media.
        try ff(["-i", clip, "-c", "copy", "-movflags", "+faststart", path("fast.mp4")])
        let fast = try Data(contentsOf: dir.appendingPathComponent("fast.mp4"))
        try fast.prefix(fast.count * 4 / 10).write(to: dir.appendingPathComponent("truncated.mp4"))
        try ff(["-f", "lavfi", "-i", "testsrc=s=64x48:r=5:d=1", "-c:v", "mpeg4", "-vtag", "ABCD", "-strict", "unofficial",
                "-f", "avi", path("unsupported.avi")])
        try ff(["-i", path("cues.srt"), "-c:s", "srt", "-f", "matroska", path("nostreams.mkv")])
        try ff(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=16000:duration=1", "-c:a", "pcm_s16le", "-f", "wav", path("liar.wav")])
        try lie(path("liar.wav"), claimsSeconds: 3 * 3600)
        try ff(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=16000:duration=3", "-c:a", "libvorbis", "-f", "webm", path("tone.webm")])

        // Sidecars: one in the folder (used), one a link leading outside (ignored).
        try fm.copyItem(atPath: clip, toPath: path("withsub.mp4"))
        try write("withsub.srt", "1\n00:00:00,000 --> 00:00:04,000\nwhat a wonderful day\n\n")
        try fm.copyItem(atPath: clip, toPath: path("leak.mp4"))
        try Data("1\n00:00:00,000 --> 00:00:04,000\nleaked secret words\n\n".utf8).write(to: outside.appendingPathComponent("leak.srt"))
        try fm.createSymbolicLink(atPath: path("leak.srt"), withDestinationPath: outside.appendingPathComponent("leak.srt").path)
        try Data().write(to: dir.appendingPathComponent("done"))
    }

    /// Rewrites the data chunk size of a PCM WAV so its header claims `claimsSeconds`.
    static func lie(_ path: String, claimsSeconds: Double) throws {
        var b = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        func u32(_ i: Int) -> Int { Int(b[i]) | Int(b[i + 1]) << 8 | Int(b[i + 2]) << 16 | Int(b[i + 3]) << 24 }
        var at = 12, rate = 0, align = 0
        while at + 8 <= b.count {
            let id = String(decoding: b[at..<at + 4], as: UTF8.self), size = u32(at + 4)
            if id == "fmt " { rate = u32(at + 12); align = Int(b[at + 20]) | Int(b[at + 21]) << 8 }
            if id == "data" {
                let claimed = UInt32(claimsSeconds * Double(rate)) * UInt32(align)
                for k in 0..<4 { b[at + 4 + k] = UInt8(truncatingIfNeeded: claimed >> (8 * UInt32(k))) }
                try Data(b).write(to: URL(fileURLWithPath: path))
                return
            }
            at += 8 + size + (size & 1)
        }
        throw TestFailure("\(path): no data chunk")
    }

    /// Leaves a bound Unix socket at `path` (its descriptor stays open for the process).
    static func bindSocket(_ path: String) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { buf in
            for (i, c) in path.utf8.prefix(buf.count - 1).enumerated() { buf[i] = c }
        }
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if r != 0 { throw TestFailure("cannot bind a socket at \(path) (path too long?)") }
    }
}
