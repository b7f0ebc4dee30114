// Why a file could not be read, in words, for error messages that name the file.
import Foundation

/// "No such file or directory", "a directory, not a file", "Permission denied", ...: the reason
/// `FileManager.contents(atPath:)` gave nil for `path`.
public func whyUnreadable(_ path: String) -> String {
    var info = stat()
    if stat(path, &info) != 0 { return String(cString: strerror(errno)) }
    if info.st_mode & S_IFMT == S_IFDIR { return "a directory, not a file" }
    if access(path, R_OK) != 0 { return String(cString: strerror(errno)) }
    return "read failed"
}
