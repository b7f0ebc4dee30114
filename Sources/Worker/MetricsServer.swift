// A minimal HTTP/1.1 server for /metrics, /healthz and /readyz, on a thread of its own.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public final class MetricsServer: @unchecked Sendable {
    private let fd: Int32
    public let port: Int
    private let metrics: Metrics
    private let ready: @Sendable () -> Bool
    private let live: @Sendable () -> String?

    /// Listens on `address`:`port` (an IPv4 address, 0.0.0.0 for all interfaces; port 0 picks a free
    /// one). `live` says why the process is not live (nil while it is): `/healthz` answers 503 then.
    public init(address: String = "0.0.0.0", port: Int, metrics: Metrics, live: @escaping @Sendable () -> String? = { nil },
                ready: @escaping @Sendable () -> Bool) throws {
        self.metrics = metrics
        self.ready = ready
        self.live = live
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        guard (0...65535).contains(port) else { throw MetricsServerError(reason: "metrics port \(port) is not in 0...65535", errno: 0) }
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, address, &addr.sin_addr) == 1 else {
            throw MetricsServerError(reason: "metrics address '\(address)' is not an IPv4 address", errno: 0)
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw MetricsServerError(reason: "metrics socket: \(String(cString: strerror(errno)))", errno: errno) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            let code = errno
            close(fd)
            let why = code == EADDRINUSE ? "address already in use (another process listens there)" : String(cString: strerror(code))
            throw MetricsServerError(reason: "cannot listen on \(address):\(port) for metrics: \(why)", errno: code)
        }
        var actual = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        self.fd = fd
        self.port = Int(UInt16(bigEndian: actual.sin_port))
        StageThread.start("merclip-metrics") { [self] in serve() }
    }

    private func serve() {
        while true {
            let client = accept(fd, nil, nil)
            if client < 0 { if errno == EINTR { continue } else { return } }
            handle(client)
            close(client)
        }
    }

    private func handle(_ client: Int32) {
        var tv = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = read(client, &buf, buf.count)
        guard n > 0 else { return }
        let request = String(decoding: buf[0..<n], as: UTF8.self)
        let path = request.split(separator: " ").dropFirst().first.map(String.init) ?? "/"
        let (status, type, body): (String, String, String)
        switch path.split(separator: "?").first.map(String.init) ?? path {
        case "/metrics":
            // merclip_ready is what /readyz says at this scrape: one source for both.
            metrics.set("merclip_ready", ready() ? 1 : 0)
            (status, type, body) = ("200 OK", "text/plain; version=0.0.4", metrics.render())
        case "/healthz":
            if let problem = live() {
                (status, type, body) = ("503 Service Unavailable", "text/plain", "not live: \(problem)\n")
            } else {
                (status, type, body) = ("200 OK", "text/plain", "ok\n")
            }
        case "/readyz":
            (status, type, body) = ready() ? ("200 OK", "text/plain", "ready\n")
                                           : ("503 Service Unavailable", "text/plain", "not ready\n")
        default: (status, type, body) = ("404 Not Found", "text/plain", "not found\n")
        }
        let payload = Array(body.utf8)
        let head = "HTTP/1.1 \(status)\r\nContent-Type: \(type)\r\nContent-Length: \(payload.count)\r\nConnection: close\r\n\r\n"
        let all = Array(head.utf8) + payload
        var sent = 0
        while sent < all.count {
            let w = all[sent...].withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
            if w <= 0 { return }
            sent += w
        }
    }

    deinit { close(fd) }
}

public struct MetricsServerError: Error, CustomStringConvertible {
    public let reason: String
    /// The system's error number (EADDRINUSE: the port is taken), 0 for a bad address or port.
    public let errno: Int32
    public var description: String { reason }
}
