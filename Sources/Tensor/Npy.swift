// NumPy .npy files: read float/int arrays (any common dtype, little-endian, C order), write float32 and int64.
import Foundation

public enum Npy {
    /// Reads an .npy file as float32 (ints and float64 are converted).
    public static func readFloat(_ path: String) throws -> Tensor {
        let (shape, values) = try read(path)
        switch values {
        case .float(let f): return Tensor(shape: shape, data: f)
        case .int(let i): return Tensor(shape: shape, data: i.map(Float.init))
        }
    }

    /// Reads an .npy file of integers (floats are an error).
    public static func readInt(_ path: String) throws -> (shape: [Int], values: [Int]) {
        let (shape, values) = try read(path)
        guard case .int(let i) = values else { throw TensorError.io("\(path): expected an integer .npy array, got float") }
        return (shape, i)
    }

    public enum Values { case float([Float]), int([Int]) }

    public static func read(_ path: String) throws -> (shape: [Int], values: Values) {
        guard let data = FileManager.default.contents(atPath: path) else { throw TensorError.io("\(path): cannot read: \(whyUnreadable(path))") }
        return try parse(data, name: path)
    }

    public static func parse(_ data: Data, name: String = "npy") throws -> (shape: [Int], values: Values) {
        let bytes = [UInt8](data)
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1...5]) == Array("NUMPY".utf8) else {
            throw TensorError.io("\(name): not an .npy file (bad magic)")
        }
        let major = bytes[6]
        let headerLen: Int, start: Int
        if major == 1 {
            headerLen = Int(bytes[8]) | Int(bytes[9]) << 8; start = 10
        } else {
            guard bytes.count >= 12 else { throw TensorError.io("\(name): truncated header") }
            headerLen = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24; start = 12
        }
        guard start + headerLen <= bytes.count,
              let header = String(bytes: bytes[start..<(start + headerLen)], encoding: .utf8) else {
            throw TensorError.io("\(name): truncated or non-UTF-8 header")
        }
        guard let descr = field(header, "descr") else { throw TensorError.io("\(name): header has no descr: \(header)") }
        if header.contains("'fortran_order': True") { throw TensorError.io("\(name): Fortran order is not supported") }
        guard let shapeText = header.range(of: "'shape':").map({ header[$0.upperBound...] }),
              let open = shapeText.firstIndex(of: "("), let close = shapeText.firstIndex(of: ")") else {
            throw TensorError.io("\(name): header has no shape: \(header)")
        }
        let shape = shapeText[shapeText.index(after: open)..<close].split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.compactMap { Int($0) }
        let count = shape.reduce(1, *)
        let body = start + headerLen
        let cleaned = descr.replacingOccurrences(of: "'", with: "")
        if cleaned.hasPrefix(">") { throw TensorError.io("\(name): big-endian data (\(cleaned)) is not supported") }
        let kind = cleaned.drop { $0 == "<" || $0 == "|" || $0 == "=" }
        guard let size = Int(kind.dropFirst()), let code = kind.first else {
            throw TensorError.io("\(name): unsupported dtype \(descr)")
        }
        guard bytes.count >= body + count * size else {
            throw TensorError.io("\(name): \(bytes.count - body) data bytes, need \(count * size) for shape \(shape) \(descr)")
        }
        return try bytes.withUnsafeBytes { raw -> ([Int], Values) in
            let p = raw.baseAddress! + body
            func load<T>(_: T.Type) -> [T] {
                (0..<count).map { p.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self) }
            }
            switch (code, size) {
            case ("f", 4): return (shape, .float(load(Float.self)))
            case ("f", 8): return (shape, .float(load(Double.self).map { Float($0) }))
            case ("f", 2): return (shape, .float(load(UInt16.self).map(halfToFloat)))
            case ("i", 8): return (shape, .int(load(Int64.self).map { Int($0) }))
            case ("i", 4): return (shape, .int(load(Int32.self).map { Int($0) }))
            case ("i", 2): return (shape, .int(load(Int16.self).map { Int($0) }))
            case ("i", 1): return (shape, .int(load(Int8.self).map { Int($0) }))
            case ("u", 8): return (shape, .int(load(UInt64.self).map { Int($0) }))
            case ("u", 4): return (shape, .int(load(UInt32.self).map { Int($0) }))
            case ("u", 2): return (shape, .int(load(UInt16.self).map { Int($0) }))
            case ("u", 1), ("b", 1): return (shape, .int(load(UInt8.self).map { Int($0) }))
            default: throw TensorError.io("\(name): unsupported dtype \(descr)")
            }
        }
    }

    /// Writes a float32 array.
    public static func write(_ t: Tensor, to path: String) throws {
        var body = Data(capacity: t.count * 4)
        t.data.withUnsafeBufferPointer { body.append(UnsafeBufferPointer(start: UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: UInt8.self), count: t.count * 4)) }
        try save(descr: "<f4", shape: t.shape, body: body, path: path)
    }

    /// Writes an int64 array.
    public static func writeInt(_ values: [Int], shape: [Int], to path: String) throws {
        precondition(shape.reduce(1, *) == values.count, "Npy.writeInt: shape \(shape) vs \(values.count) values")
        let v = values.map { Int64($0).littleEndian }
        let body = v.withUnsafeBufferPointer { Data(buffer: $0) }
        try save(descr: "<i8", shape: shape, body: body, path: path)
    }

    private static func save(descr: String, shape: [Int], body: Data, path: String) throws {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var out = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let n = header.utf8.count
        out.append(contentsOf: [UInt8(n & 0xff), UInt8(n >> 8)])
        out.append(contentsOf: Array(header.utf8))
        out.append(body)
        guard FileManager.default.createFile(atPath: path, contents: out) else { throw TensorError.io("\(path): cannot write") }
    }

    private static func field(_ header: String, _ key: String) -> String? {
        guard let r = header.range(of: "'\(key)':") else { return nil }
        let rest = header[r.upperBound...].drop { $0 == " " }
        guard let q = rest.first, q == "'" || q == "\"" else { return nil }
        let inner = rest.dropFirst()
        guard let end = inner.firstIndex(of: q) else { return nil }
        return String(inner[..<end])
    }
}

/// IEEE 754 half (binary16) bits → Float.
@inline(__always)
public func halfToFloat(_ h: UInt16) -> Float {
    let sign = UInt32(h >> 15) << 31
    let exp = Int(h >> 10) & 0x1f
    let mant = UInt32(h & 0x3ff)
    if exp == 0 {
        if mant == 0 { return Float(bitPattern: sign) }
        let v = Float(mant) * Float(sign: .plus, exponent: -24, significand: 1)
        return sign != 0 ? -v : v
    }
    if exp == 31 { return Float(bitPattern: sign | 0x7f80_0000 | (mant << 13)) }
    return Float(bitPattern: sign | UInt32(exp - 15 + 127) << 23 | (mant << 13))
}

/// Float → IEEE 754 half bits, round to nearest even (overflow → ±inf).
@inline(__always)
public func floatToHalf(_ f: Float) -> UInt16 {
    let bits = f.bitPattern
    let sign = UInt16((bits >> 16) & 0x8000)
    let exp = Int((bits >> 23) & 0xff)
    var mant = bits & 0x7f_ffff
    if exp == 255 { return sign | 0x7c00 | (mant != 0 ? 0x200 : 0) }
    var e = exp - 127 + 15
    if e >= 31 { return sign | 0x7c00 }
    if e <= 0 {
        if e < -10 { return sign }
        mant |= 0x80_0000
        let shift = UInt32(14 - e)
        var h = mant >> shift
        let rem = mant & ((1 << shift) - 1), half = UInt32(1) << (shift - 1)
        if rem > half || (rem == half && (h & 1) != 0) { h += 1 }
        return sign | UInt16(h)
    }
    var h = mant >> 13
    let rem = mant & 0x1fff
    if rem > 0x1000 || (rem == 0x1000 && (h & 1) != 0) {
        h += 1
        if h == 0x400 { h = 0; e += 1; if e >= 31 { return sign | 0x7c00 } }
    }
    return sign | UInt16(e) << 10 | UInt16(h)
}
