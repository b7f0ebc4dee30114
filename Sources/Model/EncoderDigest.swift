// A digest of what a segment's modality features depend on: the three encoders' weights and configs, the
// preprocessing and the precision of their matrix products. Two models with the same digest compute the
// same features from the same media.
import Foundation
import Tensor

public enum EncoderDigest {
    /// The digest of the model directory `dir` with its encoders run at `precision` (a resolved one:
    /// fp32, bf16 or int8): 32 hex digits. bf16 and int8 round the encoders' products differently, so their
    /// features are kept (and matched) apart from fp32's; the fp32 digest is the weights' alone. Reads every
    /// encoder tensor once (blocking).
    public static func of(directory dir: String, precision: Precision = .fp32) throws -> String {
        guard precision != .auto else {
            throw ModelError.input("encoder digest of \(dir): precision auto must be resolved to fp32, bf16 or int8 first")
        }
        let config = try MERCLIPConfig.load(dir + "/config.json")
        let file = try SafetensorsFile(path: dir + "/model.safetensors")
        var h = Hash128()
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        for part in [try encoder.encode(config.vision), try encoder.encode(config.audio), try encoder.encode(config.text),
                     try encoder.encode(config.preprocess), Data(String(config.projectionDim).utf8)] {
            h.add(bytes: Array(part))
        }
        let names = file.names.filter { $0.hasPrefix("vision.") || $0.hasPrefix("audio.") || $0.hasPrefix("language.") }
        for name in names {
            h.add(bytes: Array(name.utf8))
            let t = try file.tensor(name)
            t.data.withUnsafeBufferPointer { p in
                p.withMemoryRebound(to: UInt32.self) { w in for x in w { h.add(UInt64(x)) } }
            }
        }
        if precision != .fp32 { h.add(bytes: Array("precision=\(precision.rawValue)".utf8)) }
        return h.hex
    }
}

/// Two independent 64-bit multiply-xorshift lanes (not cryptographic: it tells apart weights, it does not
/// defend against forgery).
struct Hash128 {
    private var a: UInt64 = 0x9E37_79B9_7F4A_7C15, b: UInt64 = 0xC2B2_AE3D_27D4_EB4F

    mutating func add(_ x: UInt64) {
        a = (a ^ x) &* 0xFF51_AFD7_ED55_8CCD
        a ^= a >> 33
        b = (b ^ (x &+ 0x1656_67B1_9E37_79F9)) &* 0xC4CE_B9FE_1A85_EC53
        b ^= b >> 29
    }

    mutating func add(bytes: [UInt8]) {
        add(UInt64(bytes.count))
        for byte in bytes { add(UInt64(byte)) }
    }

    var hex: String { String(format: "%016llx%016llx", a, b) }
}
