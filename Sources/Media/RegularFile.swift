// RegularFile: opens a path only when it is a regular file, without ever blocking in open().
import Foundation

/// A FIFO's open() waits for a writer and a device's read may never end: both would hold a decode
/// lane outside every deadline. Media and sidecar paths are checked with stat, opened with
/// O_NONBLOCK and checked again with fstat on the opened descriptor.
public enum RegularFile {
    /// The file's size, or a MediaError (`unreadable`, `not_a_file`) naming `path` and what it is.
    public static func check(_ path: String) throws -> Int {
        var st = stat()
        guard stat(path, &st) == 0 else { throw MediaError(.unreadable, input: path, reason: why(errno, path)) }
        try requireRegular(st, path)
        return Int(st.st_size)
    }

    /// Opens `path` for reading after `check`; the handle closes its descriptor when released.
    static func open(_ path: String) throws -> (handle: FileHandle, size: Int) {
        _ = try check(path)
        let fd = Foundation.open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw MediaError(.unreadable, input: path, reason: why(errno, path)) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let e = errno
            close(fd)
            throw MediaError(.unreadable, input: path, reason: why(e, path))
        }
        do { try requireRegular(st, path) } catch { close(fd); throw error }
        return (FileHandle(fileDescriptor: fd, closeOnDealloc: true), Int(st.st_size))
    }

    /// Up to `count` bytes from the start of the regular file `path`, and its size.
    static func head(_ path: String, count: Int) throws -> (bytes: [UInt8], size: Int) {
        let (handle, size) = try open(path)
        defer { try? handle.close() }
        return ([UInt8]((try? handle.read(upToCount: count)) ?? Data()), size)
    }

    private static func requireRegular(_ st: stat, _ path: String) throws {
        let type = st.st_mode & S_IFMT
        guard type != S_IFREG else { return }
        let what: String
        switch type {
        case S_IFDIR: what = "a directory"
        case S_IFIFO: what = "a FIFO (named pipe)"
        case S_IFCHR: what = "a character device"
        case S_IFBLK: what = "a block device"
        case S_IFSOCK: what = "a socket"
        default: what = "not a regular file"
        }
        throw MediaError(.notAFile, input: path, reason: "\(what), not a regular media file")
    }

    private static func why(_ e: Int32, _ path: String) -> String {
        switch e {
        case ENOENT: return path.contains("://") ? "no such file (a local path is expected here, not a URL)" : "no such file"
        case EACCES: return "permission denied"
        case ELOOP: return "too many levels of symbolic links"
        default: return String(cString: strerror(e))
        }
    }
}
