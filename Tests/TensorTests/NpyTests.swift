// .npy round trips and half-precision conversion.
import Foundation
import Testing
@testable import Tensor

@Suite struct NpyTests {
    @Test func floatAndIntRoundTrip() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("npy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let t = randomTensor([2, 3, 5], seed: 21)
        try Npy.write(t, to: dir.appendingPathComponent("f.npy").path)
        #expect(try Npy.readFloat(dir.appendingPathComponent("f.npy").path) == t)
        try Npy.writeInt([1, -2, 49407], shape: [3], to: dir.appendingPathComponent("i.npy").path)
        let (shape, values) = try Npy.readInt(dir.appendingPathComponent("i.npy").path)
        #expect(shape == [3] && values == [1, -2, 49407])
        #expect(throws: TensorError.self) { try Npy.readInt(dir.appendingPathComponent("f.npy").path) }
    }

    @Test func parsesNumpyHeaderWithScalarAndDouble() throws {
        // np.save of np.float64 array [[1.5, -2.0]] as written by NumPy (v1 header).
        var header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }"
        header += String(repeating: " ", count: 64 - (10 + header.count + 1) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count), 0] + Array(header.utf8))
        for v in [1.5, -2.0] { withUnsafeBytes(of: v) { data.append(contentsOf: $0) } }
        let (shape, values) = try Npy.parse(data)
        #expect(shape == [1, 2])
        guard case .float(let f) = values else { Issue.record("expected floats"); return }
        #expect(f == [1.5, -2.0])
    }

    @Test func halfConversion() {
        for v: Float in [0, 1, -2.5, 65504, 6.1035156e-05, 5.9604645e-08, 0.1, -1000.25] {
            #expect(halfToFloat(floatToHalf(v)) == Float(Float16(v)), "value \(v)")
        }
        #expect(halfToFloat(floatToHalf(1e6)) == .infinity)
        #expect(floatToHalf(1) == 0x3c00)
        #expect(halfToFloat(0xc000) == -2)
    }
}
