// Inputs that must be refused before they can block or escape: special files, playlists, sidecars, lying headers.
import Foundation
import Media
import Testing

@Suite("Containment")
struct ContainmentTests {
    /// A scratch folder with media.mp4: index.mp4 without its subtitle stream.
    func scratch() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("contain-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: try TestMedia.path("sidecar_srt.mp4"), toPath: dir.appendingPathComponent("media.mp4").path)
        return dir
    }

    func expect(_ code: MediaError.Code, _ input: MediaInput, _ reason: String, window: SegmentWindow = .whole) {
        do {
            let s = try MediaPreprocessor().process(input, window: window)
            Issue.record("\(input.name): expected \(code), got \(s.modalities)")
        } catch let e as MediaError {
            #expect(e.code == code, "\(e)")
            #expect(e.reason.contains(reason), "\(e)")
            #expect(e.input == input.name)
        } catch { Issue.record("\(error)") }
    }

    @Test("a FIFO is refused at once, without waiting for a writer")
    func fifo() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("pipe.mp4").path
        #expect(mkfifo(path, 0o644) == 0)
        expect(.notAFile, .file(path), "FIFO")
        #expect(throws: MediaError.self) { try MediaProbe.duration(of: .file(path)) }
    }

    @Test("devices, sockets and directories are not media files")
    func specialFiles() throws {
        expect(.notAFile, .file("/dev/zero"), "character device")
        expect(.notAFile, .file("/dev/null"), "character device")
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        expect(.notAFile, .file(dir.path), "directory")
        let sock = dir.appendingPathComponent("s.sock").path
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { buf in
            for (i, b) in sock.utf8.prefix(buf.count - 1).enumerated() { buf[i] = b }
        }
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0)
        expect(.notAFile, .file(sock), "socket")
        // A link to a FIFO is followed and refused too.
        let fifo = dir.appendingPathComponent("p").path
        #expect(mkfifo(fifo, 0o644) == 0)
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("link.mp4").path, withDestinationPath: fifo)
        expect(.notAFile, .file(dir.appendingPathComponent("link.mp4").path), "FIFO")
    }

    /// Containers that open other files or are not media: refused by the demuxer whitelist.
    static func playlists(_ dir: URL) -> [(String, String, String)] {
        let target = dir.appendingPathComponent("media.mp4").path
        return [
            ("list.m3u8", "#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\nfile://\(target)\n#EXT-X-ENDLIST\n", "hls"),
            ("list.ffconcat", "ffconcat version 1.0\nfile '\(target)'\n", "concat"),
            ("cues.srt", "1\n00:00:00,000 --> 00:00:02,000\nhello\n\n", "srt"),
            ("meta.txt", ";FFMETADATA1\ntitle=x\n", "ffmetadata"),
        ]
    }

    @Test("playlists, concat lists and subtitle files are refused as containers, naming the demuxer")
    func demuxerWhitelist() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        for (name, text, demuxer) in Self.playlists(dir) {
            let path = dir.appendingPathComponent(name).path
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            expect(.unsupportedContainer, .file(path), "'\(demuxer)'")
            expect(.unsupportedContainer, .bytes(Data(text.utf8), name: "mem:\(name)"), "'\(demuxer)'")
        }
        // The product's containers still open.
        for name in ["index.mp4", "index.webm", "index.mkv", "tone.mp3", "tone.flac", "tone.ogg"] {
            #expect(try MediaPreprocessor().process(.file(try TestMedia.path(name)), window: SegmentWindow(start: 0, duration: 1)).modalities.isEmpty == false)
        }
    }

    @Test("a sidecar is read only from the media file's folder, as a regular file within the size cap")
    func sidecars() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let media = dir.appendingPathComponent("media.mp4").path
        let cue = "1\n00:00:00,000 --> 00:00:04,000\nhello from the sidecar\n\n"
        let window = SegmentWindow(start: 0, duration: 2)
        func transcript(limits: MediaLimits = .default) throws -> (String?, String?) {
            let s = try MediaPreprocessor(limits: limits).process(.file(media), window: window)
            return (s.transcript?.text, s.missing["language"])
        }
        // In the folder: used.
        try Data(cue.utf8).write(to: dir.appendingPathComponent("media.srt"))
        #expect(try transcript().0 == "hello from the sidecar")
        // Over the cap: ignored, and said.
        let (text, why) = try transcript(limits: MediaLimits(maxSubtitleBytes: 10))
        #expect(text == nil && why?.contains("over the limit of 10") == true, "\(String(describing: why))")
        // A link leading out of the folder: ignored, and said.
        let outside = FileManager.default.temporaryDirectory.appendingPathComponent("outside-\(UUID().uuidString.prefix(6)).srt")
        try Data(cue.utf8).write(to: outside)
        defer { try? FileManager.default.removeItem(at: outside) }
        try FileManager.default.removeItem(atPath: dir.appendingPathComponent("media.srt").path)
        try FileManager.default.createSymbolicLink(at: dir.appendingPathComponent("media.srt"), withDestinationURL: outside)
        let (t2, why2) = try transcript()
        #expect(t2 == nil && why2?.contains("outside the media file's folder") == true, "\(String(describing: why2))")
        // A FIFO sidecar: ignored without blocking.
        try FileManager.default.removeItem(atPath: dir.appendingPathComponent("media.srt").path)
        #expect(mkfifo(dir.appendingPathComponent("media.srt").path, 0o644) == 0)
        let (t3, why3) = try transcript()
        #expect(t3 == nil && why3?.contains("FIFO") == true, "\(String(describing: why3))")
    }

    /// tone.wav (3 s) with its data chunk size claiming `seconds`, cut to its first `keep` bytes.
    func lyingWAV(claims seconds: Double, keep: Int? = nil) throws -> Data {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: try TestMedia.path("tone.wav"))))
        var at = 12
        while at + 8 <= bytes.count {
            let id = String(decoding: bytes[at..<at + 4], as: UTF8.self)
            let size = Int(bytes[at + 4]) | Int(bytes[at + 5]) << 8 | Int(bytes[at + 6]) << 16 | Int(bytes[at + 7]) << 24
            if id == "data" {
                let rate = Int(bytes[24]) | Int(bytes[25]) << 8 | Int(bytes[26]) << 16 | Int(bytes[27]) << 24
                let align = Int(bytes[32]) | Int(bytes[33]) << 8
                let claimed = UInt32(seconds * Double(rate)) * UInt32(align)
                for k in 0..<4 { bytes[at + 4 + k] = UInt8(truncatingIfNeeded: claimed >> (8 * UInt32(k))) }
                break
            }
            at += 8 + size + (size & 1)
        }
        return Data(keep.map { Array(bytes.prefix($0)) } ?? bytes)
    }

    @Test("a WAV whose header claims 3 hours but holds 1 s is truncated, like the MP4 path")
    func truncatedWAV() throws {
        let oneSecond = 44 + 2 * 2 * 44_100   // tone.wav: 16-bit stereo at 44.1 kHz
        let data = try lyingWAV(claims: 3 * 3600, keep: oneSecond)
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("liar.wav").path
        try data.write(to: URL(fileURLWithPath: path))
        for input in [MediaInput.file(path), .bytes(data, name: "mem:liar.wav")] {
            expect(.truncated, input, "header says it runs to 10800.000 s", window: SegmentWindow(start: 0, duration: 2))
        }
        // A window inside the data that is there is scored.
        let s = try MediaPreprocessor().process(.file(path), window: SegmentWindow(start: 0, duration: 0.5))
        #expect(s.audio != nil)
    }
}
