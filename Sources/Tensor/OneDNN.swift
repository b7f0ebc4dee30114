// oneDNN facts (version, ISA) and the shared CPU engine and streams; every call checks its status.
import CDNNL
import Foundation

public enum OneDNN {
    /// "2.6.3".
    public static var version: String {
        let v = dnnl_version()!.pointee
        return "\(v.major).\(v.minor).\(v.patch)"
    }

    /// The instruction set oneDNN's kernels use on this CPU, in its own words (e.g. "avx2", "avx512_core_amx").
    public static var isa: String {
        let isa = dnnl_get_effective_cpu_isa()
        let names: [(dnnl_cpu_isa_t, String)] = [
            (dnnl_cpu_isa_sse41, "sse41"), (dnnl_cpu_isa_avx, "avx"), (dnnl_cpu_isa_avx2, "avx2"),
            (dnnl_cpu_isa_avx2_vnni, "avx2_vnni"), (dnnl_cpu_isa_avx512_mic, "avx512_mic"),
            (dnnl_cpu_isa_avx512_mic_4ops, "avx512_mic_4ops"), (dnnl_cpu_isa_avx512_core, "avx512_core"),
            (dnnl_cpu_isa_avx512_core_vnni, "avx512_core_vnni"), (dnnl_cpu_isa_avx512_core_bf16, "avx512_core_bf16"),
            (dnnl_cpu_isa_avx512_core_amx, "avx512_core_amx")]
        return names.first { $0.0 == isa }?.1 ?? "isa 0x\(String(isa.rawValue, radix: 16))"
    }

    /// True when the int8 kernels have a VNNI dot product (no 16-bit intermediate sums that can saturate).
    static var hasVNNI: Bool {
        let raw = dnnl_get_effective_cpu_isa().rawValue
        return raw & dnnl_cpu_isa_avx512_core_vnni.rawValue == dnnl_cpu_isa_avx512_core_vnni.rawValue
            || raw & dnnl_cpu_isa_avx2_vnni.rawValue == dnnl_cpu_isa_avx2_vnni.rawValue
    }

    /// "oneDNN 2.6.3 (ISA avx2)".
    public static var summary: String { "oneDNN \(version) (ISA \(isa))" }

    nonisolated(unsafe) static let engine: dnnl_engine_t = {
        var e: dnnl_engine_t?
        check(dnnl_engine_create(&e, dnnl_cpu, 0), "engine")
        return e!
    }()

    /// Streams are not shared between threads at once: callers borrow one for a call.
    private static let streams = StreamPool()

    static func withStream<R>(_ body: (dnnl_stream_t) -> R) -> R {
        let s = streams.take()
        defer { streams.give(s) }
        cdnnl_set_threads(Int32(Parallel.width))
        return body(s)
    }

    static func check(_ status: dnnl_status_t, _ what: String) {
        precondition(status == dnnl_success, "oneDNN \(what) failed (status \(status.rawValue))")
    }
}

private final class StreamPool: @unchecked Sendable {
    private var free: [dnnl_stream_t] = []
    private let lock = NSLock()

    func take() -> dnnl_stream_t {
        lock.lock()
        if let s = free.popLast() { lock.unlock(); return s }
        lock.unlock()
        var s: dnnl_stream_t?
        OneDNN.check(dnnl_stream_create(&s, OneDNN.engine, dnnl_stream_default_flags.rawValue), "stream")
        return s!
    }

    func give(_ s: dnnl_stream_t) { lock.lock(); free.append(s); lock.unlock() }
}
