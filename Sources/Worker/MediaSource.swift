// Resolves an event's media reference to bytes or a file, within the allow-lists, size and time limits.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Media
import Sinks

public struct MediaSource: Sendable {
    /// Folders whose files events may name with file:// URIs (resolved, symlinks followed).
    public let roots: [String]
    /// Hosts that http(s):// URIs may name, the first URL and every redirect.
    public let hosts: Set<String>
    public let maxBytes: Int
    /// Whether plain http:// media is fetched (else https:// only).
    public let allowHTTP: Bool
    /// Wall-clock seconds a whole download may take (connect, redirects, every byte).
    public let downloadTimeout: Double

    public init(roots: [String], hosts: [String] = [], maxBytes: Int = MediaLimits.default.maxBytes,
                allowHTTP: Bool = false, downloadTimeout: Double = 30) {
        self.roots = roots.map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path }
        self.hosts = Set(hosts.map { $0.lowercased() })
        self.maxBytes = maxBytes
        self.allowHTTP = allowHTTP
        self.downloadTimeout = downloadTimeout
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
            let shown = SecretRedaction.url(uri)
            guard let url = URL(string: uri), let scheme = url.scheme?.lowercased() else {
                throw WorkerError(.schema, "media uri is not a URL: \(shown.debugDescription)")
            }
            return scheme == "file" ? try file(url, shown) : try download(url, shown)
        }
    }

    private func file(_ url: URL, _ uri: String) throws -> MediaInput {
        if let host = url.host, !host.isEmpty, host != "localhost" {
            throw WorkerError(.mediaNotAllowed, "\(uri): a file:// URI names no host (not \(host))")
        }
        let path = url.resolvingSymlinksInPath().path
        guard roots.contains(where: { path.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }) else {
            throw WorkerError(.mediaNotAllowed, "\(uri) is outside the media roots \(roots)")
        }
        let size: Int
        do { size = try RegularFile.check(path) } catch let e as MediaError {
            throw WorkerError(e.code == .notAFile ? .mediaNotAFile : .mediaUnreadable, "\(uri): \(e.reason)")
        }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw WorkerError(.mediaUnreadable, "\(uri): no such readable file")
        }
        guard size <= maxBytes else { throw WorkerError(.mediaTooLarge, "\(uri) has \(size) bytes, limit \(maxBytes)") }
        return .file(path)
    }

    /// Whether `url` may be fetched: https (or http when allowed) from an allowed host.
    func check(_ url: URL?, _ uri: String, what: String) -> WorkerError? {
        guard let url, let scheme = url.scheme?.lowercased(), let host = url.host?.lowercased() else {
            return WorkerError(.mediaNotAllowed, "\(uri): \(what) is not an http(s) URL")
        }
        if scheme != "https" && !(scheme == "http" && allowHTTP) {
            return WorkerError(.mediaNotAllowed, "\(uri): \(what) uses \(scheme)://; only https:// is fetched (http:// needs the worker's --allow-http-media)")
        }
        if !hosts.contains(host) {
            return WorkerError(.mediaNotAllowed, "\(uri): \(what) names host \(host), not in the allowed media hosts \(hosts.sorted())")
        }
        return nil
    }

    /// Streams the body into memory: the size cap holds while bytes arrive, every redirect is checked
    /// like the first URL, and the whole transfer must end within `downloadTimeout`.
    private func download(_ url: URL, _ uri: String) throws -> MediaInput {
        if let refused = check(url, uri, what: "the URL") { throw refused }
        let transfer = Download(source: self, uri: uri)
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = downloadTimeout
        configuration.timeoutIntervalForResource = downloadTimeout
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        let session = URLSession(configuration: configuration, delegate: transfer, delegateQueue: nil)
        var request = URLRequest(url: url, timeoutInterval: downloadTimeout)
        request.httpMethod = "GET"
        let task = session.dataTask(with: request)
        task.resume()
        // Ends at the deadline, at a refusal (redirect, size) or when the transfer completes.
        if transfer.done.wait(timeout: .now() + downloadTimeout) == .timedOut {
            transfer.end(WorkerError(.mediaTimeout, String(format: "%@: the download did not finish within %.3g s (%d bytes received)",
                                                           uri, downloadTimeout, transfer.received)))
        }
        task.cancel()
        session.invalidateAndCancel()
        if let failure = transfer.failure { throw failure }
        return .bytes(transfer.data, name: uri, formatHint: url.pathExtension.isEmpty ? nil : url.pathExtension)
    }
}

/// One transfer's state, filled by URLSession's delegate callbacks.
private final class Download: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    let source: MediaSource
    let uri: String
    let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var body = Data()
    private var refusal: WorkerError?
    private var ended = false

    init(source: MediaSource, uri: String) {
        self.source = source
        self.uri = uri
    }

    var received: Int { lock.withLock { body.count } }
    var data: Data { lock.withLock { body } }
    var failure: WorkerError? { lock.withLock { refusal } }

    /// Records the first failure (nil: a normal end) and wakes the waiting download once. The task is
    /// cancelled by the waiting side, never from inside a delegate callback.
    func end(_ e: WorkerError?) {
        let first = lock.withLock { () -> Bool in
            if refusal == nil { refusal = e }
            defer { ended = true }
            return !ended
        }
        if first { done.signal() }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        if let refused = source.check(request.url, uri, what: "a redirect to \(SecretRedaction.url(request.url?.absoluteString ?? "?"))") {
            // Recorded only: not following makes the redirect response the final one, which ends the
            // transfer in didReceive (waking the download from here races FoundationNetworking's
            // redirect state machine).
            lock.withLock { if refusal == nil { refusal = refused } }
            completionHandler(nil)
        } else {
            completionHandler(request)
        }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        if !(200..<300).contains(status) {
            end(WorkerError(.mediaUnreadable, "\(uri): HTTP \(status)"))
            completionHandler(.cancel)
        } else if response.expectedContentLength > Int64(source.maxBytes) {
            end(WorkerError(.mediaTooLarge, "\(uri) announces \(response.expectedContentLength) bytes, limit \(source.maxBytes)"))
            completionHandler(.cancel)
        } else {
            completionHandler(.allow)
        }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive chunk: Data) {
        let over = lock.withLock { () -> Bool in
            if body.count <= source.maxBytes { body.append(chunk) }
            return body.count > source.maxBytes
        }
        if over { end(WorkerError(.mediaTooLarge, "\(uri) sent more than the limit of \(source.maxBytes) bytes")) }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        end(error.map { WorkerError(.mediaUnreadable, "\(uri): \(SecretRedaction.url($0.localizedDescription))") })
    }
}
