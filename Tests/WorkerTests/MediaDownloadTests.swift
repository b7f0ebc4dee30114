// http(s) media: total deadline, size cap while streaming, redirects checked against the allow-list, https only by default.
import Foundation
import TestSupport
import Testing
import Worker

/// A small HTTP/1.1 server on 127.0.0.1 with routes that misbehave in the ways a media host can.
final class MisbehavingHTTPServer: @unchecked Sendable {
    let port: Int
    private let fd: Int32
    private let body: [UInt8]

    init(body: [UInt8]) throws {
        self.body = body
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr = in_addr(s_addr: UInt32(0x7f000001).bigEndian)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && listen(fd, 16) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard ok else { throw TestFailure("cannot listen on 127.0.0.1") }
        port = Int(UInt16(bigEndian: addr.sin_port))
        let t = Thread { [self] in acceptLoop() }
        t.start()
    }

    deinit { close(fd) }

    private func acceptLoop() {
        while true {
            let c = accept(fd, nil, nil)
            if c < 0 { return }
            Thread { [self] in serve(c) }.start()
        }
    }

    private func send(_ c: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { Foundation.send(c, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    private func serve(_ c: Int32) {
        defer { close(c) }
        var request = [UInt8](repeating: 0, count: 4096)
        let n = read(c, &request, request.count)
        guard n > 0 else { return }
        let line = String(decoding: request[0..<n], as: UTF8.self).split(separator: "\r\n").first ?? ""
        let path = line.split(separator: " ").dropFirst().first.map(String.init) ?? "/"
        func head(_ status: String, _ headers: [String]) -> [UInt8] {
            Array(("HTTP/1.1 \(status)\r\n" + (headers + ["Connection: close"]).map { $0 + "\r\n" }.joined() + "\r\n").utf8)
        }
        switch path {
        case "/clip.mp4":
            _ = send(c, head("200 OK", ["Content-Length: \(body.count)"]) + body)
        case "/redirect-in":
            _ = send(c, head("302 Found", ["Location: /clip.mp4", "Content-Length: 0"]))
        case "/redirect-out":
            _ = send(c, head("302 Found", ["Location: http://localhost:\(port)/clip.mp4", "Content-Length: 0"]))
        case "/announced":
            _ = send(c, head("200 OK", ["Content-Length: 1000000000"]))
            Thread.sleep(forTimeInterval: 3)
        case "/endless":   // no length: bytes until the client hangs up
            guard send(c, head("200 OK", [])) else { return }
            let chunk = [UInt8](repeating: 1, count: 16_384)
            while send(c, chunk) {}
        case "/slow":      // a byte every 200 ms: never idle long enough for an idle timeout
            guard send(c, head("200 OK", ["Content-Length: 50000"])) else { return }
            for _ in 0..<1000 { guard send(c, [0]) else { return }; Thread.sleep(forTimeInterval: 0.2) }
        default:
            _ = send(c, head("404 Not Found", ["Content-Length: 0"]))
        }
    }
}

@Suite("Media downloads")
struct MediaDownloadTests {
    static let body = [UInt8]((0..<50_000).map { UInt8(truncatingIfNeeded: $0 &* 7) })
    static let server = try! MisbehavingHTTPServer(body: body)

    func event(_ uri: String) -> SegmentEvent {
        SegmentEvent(segmentID: "d", streamID: "s", startMs: 0, durationMs: 1000, media: .uri(uri))
    }

    func source(http: Bool = true, maxBytes: Int = 100_000, timeout: Double = 2) -> MediaSource {
        MediaSource(roots: [], hosts: ["127.0.0.1"], maxBytes: maxBytes, allowHTTP: http, downloadTimeout: timeout)
    }

    /// (path, error class, words in the reason); nil class: the body is returned.
    static let cases: [(String, String?, String)] = [
        ("/clip.mp4", nil, ""),
        ("/redirect-in", nil, ""),
        ("/redirect-out", "media.not_allowed", "redirect to http://localhost"),
        ("/announced", "media.too_large", "announces 1000000000 bytes"),
        ("/endless", "media.too_large", "more than the limit of 100000 bytes"),
        ("/slow", "media.download_timeout", "did not finish within 2 s"),
        ("/missing", "media.unreadable", "HTTP 404"),
    ]

    @Test("each misbehaving host ends in its error class within the deadline", arguments: cases)
    func misbehaving(_ path: String, _ errorClass: String?, _ words: String) throws {
        let uri = "http://127.0.0.1:\(Self.server.port)\(path)"
        let start = Date()
        do {
            let input = try source().resolve(event(uri))
            #expect(errorClass == nil, "\(path): expected \(errorClass ?? "")")
            if case .bytes(let data, let name, _) = input {
                #expect([UInt8](data) == Self.body)
                #expect(name == uri)
            } else { Issue.record("expected bytes") }
        } catch let e as WorkerError {
            #expect(e.errorClass.rawValue == errorClass, "\(path): \(e)")
            #expect(e.reason.contains(words), "\(path): \(e.reason)")
        }
        #expect(Date().timeIntervalSince(start) < 2 + 5, "\(path) was bounded by the 2 s download deadline")
    }

    @Test("http:// needs allowHTTP; hosts and schemes outside the allow-list are refused before connecting")
    func schemesAndHosts() {
        let refused: [(MediaSource, String, String)] = [
            (source(http: false), "http://127.0.0.1:\(Self.server.port)/clip.mp4", "only https:// is fetched"),
            (source(), "https://example.com/a.mp4", "not in the allowed media hosts"),
            (source(), "https://user:hunter2@127.0.0.2/a.mp4", "not in the allowed media hosts"),
        ]
        for (s, uri, words) in refused {
            do {
                _ = try s.resolve(event(uri))
                Issue.record("\(uri): fetched")
            } catch let e as WorkerError {
                #expect(e.errorClass == .mediaNotAllowed, "\(e)")
                #expect(e.reason.contains(words), "\(e.reason)")
                #expect(!e.reason.contains("hunter2"), "the URL's password is not shown: \(e.reason)")
            } catch { Issue.record("\(error)") }
        }
    }
}
