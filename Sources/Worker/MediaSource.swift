// Resolves an event's media reference to bytes or a file, within the allow-lists and size limit.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Media

public struct MediaSource: Sendable {
    /// Folders whose files events may name with file:// URIs (resolved, symlinks followed).
    public let roots: [String]
    /// Hosts that http(s):// URIs may name.
    public let hosts: Set<String>
    public let maxBytes: Int

    public init(roots: [String], hosts: [String] = [], maxBytes: Int = MediaLimits.default.maxBytes) {
        self.roots = roots.map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path }
        self.hosts = Set(hosts.map { $0.lowercased() })
        self.maxBytes = maxBytes
    }

    /// The media input for `event`, or a poison error naming the URI and the reason.
    public func resolve(_ event: SegmentEvent) throws -> MediaInput {
        switch event.media {
        case .inline(let data, let hint):
            guard data.count <= maxBytes else {
                throw WorkerError(.mediaTooLarge, "inline media of \(event.segmentID) has \(data.count) bytes, limit \(maxBytes)")
            }
            return .bytes(data, name: "inline:\(event.segmentID)", formatHint: hint)
        case .uri(let uri):
            guard let url = URL(string: uri), let scheme = url.scheme?.lowercased() else {
                throw WorkerError(.schema, "media uri is not a URL: \(uri)")
            }
            return scheme == "file" ? try file(url, uri) : try download(url, uri)
        }
    }

    private func file(_ url: URL, _ uri: String) throws -> MediaInput {
        let path = url.resolvingSymlinksInPath().path
        guard roots.contains(where: { path.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }) else {
            throw WorkerError(.mediaNotAllowed, "\(uri) is outside the media roots \(roots)")
        }
        guard let attrs = try? FileManager.default.attributesOfItem(atPath: path),
              FileManager.default.isReadableFile(atPath: path) else {
            throw WorkerError(.mediaUnreadable, "\(uri): no such readable file")
        }
        let size = (attrs[.size] as? NSNumber)?.intValue ?? 0
        guard size <= maxBytes else { throw WorkerError(.mediaTooLarge, "\(uri) has \(size) bytes, limit \(maxBytes)") }
        return .file(path)
    }

    private func download(_ url: URL, _ uri: String) throws -> MediaInput {
        guard let host = url.host?.lowercased(), hosts.contains(host) else {
            throw WorkerError(.mediaNotAllowed, "\(uri): host is not in the allowed media hosts \(hosts.sorted())")
        }
        let box = DownloadBox()
        let done = DispatchSemaphore(value: 0)
        var request = URLRequest(url: url, timeoutInterval: 30)
        request.httpMethod = "GET"
        URLSession.shared.dataTask(with: request) { data, response, error in
            box.set(data, response, error)
            done.signal()
        }.resume()
        done.wait()
        let (data, response, error) = box.get()
        if let error { throw WorkerError(.mediaUnreadable, "\(uri): \(error.localizedDescription)") }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status), let data else { throw WorkerError(.mediaUnreadable, "\(uri): HTTP \(status)") }
        guard data.count <= maxBytes else { throw WorkerError(.mediaTooLarge, "\(uri) has \(data.count) bytes, limit \(maxBytes)") }
        return .bytes(data, name: uri, formatHint: url.pathExtension.isEmpty ? nil : url.pathExtension)
    }
}

private final class DownloadBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value: (Data?, URLResponse?, Error?) = (nil, nil, nil)
    func set(_ d: Data?, _ r: URLResponse?, _ e: Error?) { lock.withLock { value = (d, r, e) } }
    func get() -> (Data?, URLResponse?, Error?) { lock.withLock { value } }
}
