// Safetensors writer: named Float tensors saved as F32 or F16 with an 8-byte aligned JSON header.
import Foundation
import Tensor

public enum SafetensorsWriter {
    public enum DType: String, Sendable { case f32 = "F32", f16 = "F16" }

    /// Writes `tensors` (name, value) to `path` in the given dtype.
    public static func write(_ tensors: [(String, Tensor)], dtype: DType = .f32, metadata: [String: String] = [:],
                             to path: String) throws {
        let size = dtype == .f32 ? 4 : 2
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        for (name, t) in tensors {
            header[name] = ["dtype": dtype.rawValue, "shape": t.shape, "data_offsets": [offset, offset + t.count * size]]
            offset += t.count * size
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        json.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - json.count % 8) % 8))
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let fh = FileHandle(forWritingAtPath: path) else { throw ModelError.io("\(path): cannot create") }
        defer { try? fh.close() }
        var len = UInt64(json.count).littleEndian
        try fh.write(contentsOf: Data(bytes: &len, count: 8))
        try fh.write(contentsOf: json)
        for (_, t) in tensors {
            let body: Data
            if dtype == .f32 {
                body = t.data.withUnsafeBufferPointer { Data(buffer: $0) }
            } else {
                body = t.data.map { floatToHalf($0).littleEndian }.withUnsafeBufferPointer { Data(buffer: $0) }
            }
            try fh.write(contentsOf: body)
        }
    }
}
