// Safetensors reader: JSON header plus memory-mapped data; F32/F16/BF16 tensors read as Float.
import Foundation
import Tensor

public final class SafetensorsFile: @unchecked Sendable {
    public struct Entry: Sendable {
        public let dtype: String
        public let shape: [Int]
        public let begin: Int
        public let end: Int
    }

    public let path: String
    public let entries: [String: Entry]
    public let metadata: [String: String]
    private let base: UnsafeMutableRawPointer?
    private let length: Int
    private let dataStart: Int

    /// Maps `path` read-only and parses its header. The data stays mapped while the object lives.
    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw ModelError.io("\(path): cannot open (\(String(cString: strerror(errno))))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw ModelError.io("\(path): cannot stat") }
        length = Int(st.st_size)
        guard length >= 8 else { throw ModelError.format("\(path): \(length) bytes, too short for a safetensors file") }
        guard let m = mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, 0), m != MAP_FAILED else {
            throw ModelError.io("\(path): mmap failed (\(String(cString: strerror(errno))))")
        }
        base = m
        let headerLen = Int(m.loadUnaligned(as: UInt64.self).littleEndian)
        guard headerLen > 0, 8 + headerLen <= length else {
            munmap(m, length)
            throw ModelError.format("\(path): header length \(headerLen) does not fit in \(length) bytes")
        }
        dataStart = 8 + headerLen
        let header = Data(bytes: m + 8, count: headerLen)
        guard let json = try? JSONSerialization.jsonObject(with: header) as? [String: Any] else {
            munmap(m, length)
            throw ModelError.format("\(path): the header is not a JSON object")
        }
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in json {
            if name == "__metadata__" {
                for (k, v) in (value as? [String: Any]) ?? [:] { metadata[k] = "\(v)" }
                continue
            }
            guard let d = value as? [String: Any], let dtype = d["dtype"] as? String,
                  let shape = (d["shape"] as? [NSNumber])?.map({ $0.intValue }),
                  let off = (d["data_offsets"] as? [NSNumber])?.map({ $0.intValue }), off.count == 2 else {
                munmap(m, length)
                throw ModelError.format("\(path): tensor \(name) has a malformed header entry")
            }
            guard off[0] <= off[1], dataStart + off[1] <= length else {
                munmap(m, length)
                throw ModelError.format("\(path): tensor \(name) data \(off) lies outside the file")
            }
            entries[name] = Entry(dtype: dtype, shape: shape, begin: off[0], end: off[1])
        }
        self.entries = entries
        self.metadata = metadata
    }

    deinit { if let base { munmap(base, length) } }

    public var names: [String] { entries.keys.sorted() }

    /// The tensor `name` converted to Float.
    public func tensor(_ name: String) throws -> Tensor {
        guard let e = entries[name] else { throw ModelError.missingTensors([name], file: path) }
        let n = e.shape.reduce(1, *)
        let size: Int
        switch e.dtype {
        case "F32": size = 4
        case "F16", "BF16": size = 2
        default: throw ModelError.format("\(path): tensor \(name) has dtype \(e.dtype); supported: F32, F16, BF16")
        }
        guard e.end - e.begin == n * size else {
            throw ModelError.format("\(path): tensor \(name) has \(e.end - e.begin) bytes, shape \(e.shape) \(e.dtype) needs \(n * size)")
        }
        let src = UnsafeRawPointer(base!) + dataStart + e.begin
        var out = [Float](repeating: 0, count: n)
        out.withUnsafeMutableBufferPointer { dst in
            let d = dst.baseAddress!
            switch e.dtype {
            case "F32":
                UnsafeMutableRawPointer(d).copyMemory(from: src, byteCount: n * 4)
                #if _endian(big)
                for i in 0..<n { d[i] = Float(bitPattern: d[i].bitPattern.byteSwapped) }
                #endif
            case "F16":
                for i in 0..<n { d[i] = halfToFloat(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
            default:
                for i in 0..<n { d[i] = Float(bitPattern: UInt32(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16) }
            }
        }
        dropPages(src, byteCount: n * size)
        return Tensor(shape: e.shape, data: out)
    }

    /// Tells the kernel the mapped pages of a tensor just read are not needed, so loading a model keeps one
    /// copy of its weights resident, not two (a later read maps them in again from the file).
    private func dropPages(_ p: UnsafeRawPointer, byteCount: Int) {
        #if os(Linux)
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = Int(bitPattern: p) / page * page, end = (Int(bitPattern: p) + byteCount + page - 1) / page * page
        madvise(UnsafeMutableRawPointer(bitPattern: start), end - start, MADV_DONTNEED)
        #endif
    }
}
