// FileError: a Foundation file-system error (NSCocoaErrorDomain with a path) said in one plain line.
import Foundation

struct FileError: Error, CustomStringConvertible {
    let description: String

    /// nil when `error` is not a Foundation file error naming a path.
    init?(_ error: Error) {
        let e = error as NSError
        guard e.domain == NSCocoaErrorDomain,
              let path = e.userInfo[NSFilePathErrorKey] as? String ?? (e.userInfo[NSURLErrorKey] as? URL)?.path
        else { return nil }
        // Foundation's codes: 256–511 are reading errors, 512–767 writing errors.
        let verb = (256..<512).contains(e.code) ? "read" : (512..<768).contains(e.code) ? "write" : "access"
        let underlying = (e.userInfo[NSUnderlyingErrorKey] as? Error).map { $0 as NSError }
        let reason = underlying.map { $0.domain == NSPOSIXErrorDomain ? String(cString: strerror(Int32($0.code))) : $0.localizedDescription }
            ?? e.localizedDescription
        description = "cannot \(verb) \(path): \(reason)"
    }
}
