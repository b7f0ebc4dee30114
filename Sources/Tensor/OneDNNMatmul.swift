// One weight matrix prepared for oneDNN's matmul: reordered once into the layout oneDNN picks (fp32, bf16, or
// int8 with per-output-channel scales), and one primitive per input shape with bias, activation and residual
// sum fused as post-ops; each plan keeps its memory objects and conversion buffers for reuse.
import CDNNL
import Foundation

final class OneDNNMatmul: @unchecked Sendable {
    let mode: ComputeMode
    let n: Int, k: Int
    private var weightsMD: dnnl_memory_desc_t
    private let weights: dnnl_memory_t
    /// int8: per output channel, w ≈ scale[n] · q[n, k], and Σ_k q[n, k] (the zero-point correction).
    private let weightScale: [Float], columnSum: [Float]
    private var plans: [PlanKey: Plan] = [:]
    private var planOrder: [PlanKey] = []
    private let lock = NSLock()
    private static let conversions = BufferPool(), scratchpads = BufferPool(), staging = BufferPool()
    /// Plans kept per weight (text batches vary in length, lanes keep their own; the oldest is dropped beyond this).
    static let planLimit = 64

    /// `w` is [n, k] row-major (PyTorch's [out, in]); it is read, not kept.
    init(_ w: UnsafePointer<Float>, n: Int, k: Int, mode: ComputeMode) throws {
        self.mode = mode; self.n = n; self.k = k
        guard let probe = Self.descriptor(mode, rows: 256, n: n, k: k, lda: k, ldc: n, weights: nil, bias: true,
                                          accumulate: false, activation: .identity) else {
            throw TensorError.unsupported(Self.missing(mode))
        }
        weightsMD = dnnl_primitive_desc_query_md(probe, dnnl_query_weights_md, 0)!.pointee
        dnnl_primitive_desc_destroy(probe)
        var packed: dnnl_memory_t?
        OneDNN.check(dnnl_memory_create(&packed, &weightsMD, OneDNN.engine, UnsafeMutableRawPointer(bitPattern: -1)), "weight memory")
        weights = packed!
        if mode.precision == .int8 {
            let q = Quantize.weightsS8(w, n: n, k: k, levels: OneDNN.hasVNNI ? 127 : 63)
            weightScale = q.scale; columnSum = q.columnSum
            q.values.withUnsafeBufferPointer { Self.reorder(from: $0.baseAddress!, dnnl_s8, n: n, k: k, into: packed!, weightsMD) }
        } else {
            weightScale = []; columnSum = []
            Self.reorder(from: w, dnnl_f32, n: n, k: k, into: packed!, weightsMD)
        }
    }

    deinit {
        plans = [:]
        dnnl_memory_destroy(weights)
    }

    /// Call shapes made so far whose primitive is oneDNN's reference loop (none, unless oneDNN lacks a kernel).
    var referencePlans: Int { lock.withLock { plans.values.filter(\.reference).count } }

    /// Bytes of the packed weights.
    var bytes: Int { withUnsafePointer(to: &weightsMD) { dnnl_memory_desc_get_size($0) } }

    /// y[rows, n] (leading dimension ldc) = act(x · Wᵀ + bias), or y += x · Wᵀ + bias when accumulating.
    func run(_ x: UnsafePointer<Float>, rows: Int, lda: Int, bias: UnsafePointer<Float>?, out y: UnsafeMutablePointer<Float>,
             ldc: Int, accumulate: Bool, activation: Activation) {
        let key = PlanKey(rows: rows, lda: lda, ldc: ldc, bias: bias != nil || mode.precision == .int8,
                          accumulate: accumulate, activation: activation, lane: Parallel.lane)
        let plan = plan(key)
        plan.lock.lock()
        defer { plan.lock.unlock() }
        if plan.staged {
            runStaged(plan, x, rows: rows, lda: lda, bias: bias, out: y, ldc: ldc, accumulate: accumulate)
            return
        }
        execute(plan, x, rows: rows, lda: lda, bias: bias, out: y)
    }

    /// A plan whose own shape only oneDNN's reference loop takes (e.g. the class-token rows of the image encoders'
    /// last layer: a few rows written into the residual stream with a stride and summed) writes a dense product into
    /// a buffer, whose rows are then copied or added into place.
    private func runStaged(_ plan: Plan, _ x: UnsafePointer<Float>, rows: Int, lda: Int, bias: UnsafePointer<Float>?,
                           out y: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        let result = Self.staging.take(rows * n * 4)
        defer { Self.staging.give(result) }
        let r = result.pointer.assumingMemoryBound(to: Float.self)
        execute(plan, x, rows: rows, lda: lda, bias: bias, out: r)
        for i in 0..<rows {
            let dst = y + i * ldc, src = r + i * n
            if accumulate { Kernels.add(dst, src, into: dst, count: n) } else { dst.update(from: src, count: n) }
        }
    }

    private func execute(_ plan: Plan, _ x: UnsafePointer<Float>, rows: Int, lda: Int, bias: UnsafePointer<Float>?,
                         out y: UnsafeMutablePointer<Float>) {
        // the converted input lives in a buffer shared by all plans, one per call in flight
        let source = mode.precision == .fp32 ? nil : Self.conversions.take(rows * k * (mode.precision == .int8 ? 1 : 2))
        defer { if let source { Self.conversions.give(source) } }
        if let source { dnnl_memory_set_data_handle(plan.src, source.pointer) }
        // so is oneDNN's scratchpad (the user scratchpad mode: no buffer per primitive)
        let scratch = plan.scratchpad.map { _ in Self.scratchpads.take(plan.scratchpadBytes) }
        defer { if let scratch { Self.scratchpads.give(scratch) } }
        if let scratch { dnnl_memory_set_data_handle(plan.scratchpad, scratch.pointer) }
        switch mode.precision {
        case .int8:
            let (scale, zero) = Quantize.activationsU8(x, rows: rows, cols: k, ld: lda, out: source!.pointer.assumingMemoryBound(to: UInt8.self))
            let s = plan.scales!, b = plan.biasBuffer!
            for j in 0..<n {
                s[j] = scale * weightScale[j]
                b[j] = (bias?[j] ?? 0) / s[j] - Float(zero) * columnSum[j]
            }
        case .bf16:
            Quantize.toBF16(x, rows: rows, cols: k, ld: lda, out: source!.pointer.assumingMemoryBound(to: UInt16.self))
        default:
            dnnl_memory_set_data_handle(plan.src, UnsafeMutableRawPointer(mutating: x))
            if let bias { dnnl_memory_set_data_handle(plan.bias, UnsafeMutableRawPointer(mutating: bias)) }
        }
        if mode.precision == .bf16, let bias { dnnl_memory_set_data_handle(plan.bias, UnsafeMutableRawPointer(mutating: bias)) }
        dnnl_memory_set_data_handle(plan.dst, UnsafeMutableRawPointer(y))
        OneDNN.withStream { stream in
            OneDNN.check(dnnl_primitive_execute(plan.primitive, stream, Int32(plan.argCount), plan.args), "matmul \(rows)×\(n)×\(k)")
            OneDNN.check(dnnl_stream_wait(stream), "stream wait")
        }
    }

    private func plan(_ key: PlanKey) -> Plan {
        lock.lock()
        defer { lock.unlock() }
        if let p = plans[key] { return p }
        guard var pd = Self.descriptor(mode, rows: key.rows, n: n, k: k, lda: key.lda, ldc: key.ldc, weights: weightsMD,
                                       bias: key.bias, accumulate: key.accumulate, activation: key.activation) else {
            preconditionFailure("oneDNN: no \(mode.precision) matmul \(key.rows)×\(n)×\(k) for the packed weight layout")
        }
        // oneDNN 2.6's reference loop is orders of magnitude slower than its JIT kernels: a strided or summed output
        // it would take there is written dense instead (runStaged)
        var reference = Self.isReference(pd), staged = false
        if reference && (key.ldc != n || key.accumulate),
           let alt = Self.descriptor(mode, rows: key.rows, n: n, k: k, lda: key.lda, ldc: n, weights: weightsMD, bias: key.bias,
                                     accumulate: false, activation: key.activation), !Self.isReference(alt) {
            dnnl_primitive_desc_destroy(pd)
            pd = alt
            reference = false
            staged = true
        }
        if reference {
            EngineLog.once("oneDNN runs \(mode.precision) products of \(key.rows)×\(n)×\(k) in its reference loop (slow)", level: .warning)
        }
        let p = Plan(pd, key: key, mode: mode, n: n, k: k, weights: weights, staged: staged, reference: reference)
        plans[key] = p
        planOrder.append(key)
        if planOrder.count > Self.planLimit {
            let old = planOrder.removeFirst()
            plans.removeValue(forKey: old)   // freed when the last call using it returns
        }
        return p
    }

    /// The oneDNN matmul descriptor for one call shape; `weights` nil lets oneDNN pick the layout. Nil when
    /// oneDNN has no implementation (e.g. bf16 without AVX-512).
    static func descriptor(_ mode: ComputeMode, rows: Int, n: Int, k: Int, lda: Int, ldc: Int, weights: dnnl_memory_desc_t?,
                           bias: Bool, accumulate: Bool, activation: Activation) -> dnnl_primitive_desc_t? {
        let (srcType, weightType): (dnnl_data_type_t, dnnl_data_type_t) =
            switch mode.precision { case .int8: (dnnl_u8, dnnl_s8); case .bf16: (dnnl_bf16, dnnl_bf16); default: (dnnl_f32, dnnl_f32) }
        var src = memoryDesc([rows, k], srcType, strides: [mode.precision == .fp32 ? lda : k, 1])
        var wmd = weights ?? memoryDesc([k, n], weightType, tag: dnnl_format_tag_any)
        var bmd = memoryDesc([1, n], dnnl_f32, strides: [n, 1])
        var dst = memoryDesc([rows, n], dnnl_f32, strides: [ldc, 1])
        var desc = dnnl_matmul_desc_t()
        let status = bias ? dnnl_matmul_desc_init(&desc, &src, &wmd, &bmd, &dst) : dnnl_matmul_desc_init(&desc, &src, &wmd, nil, &dst)
        guard status == dnnl_success else { return nil }
        var attr: dnnl_primitive_attr_t?, ops: dnnl_post_ops_t?
        dnnl_primitive_attr_create(&attr); dnnl_post_ops_create(&ops)
        dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user)
        defer { dnnl_post_ops_destroy(ops); dnnl_primitive_attr_destroy(attr) }
        if mode.precision == .int8 { dnnl_primitive_attr_set_output_scales(attr, 1, 1 << 1, cdnnl_runtime_f32()) }
        if accumulate { dnnl_post_ops_append_sum(ops, 1) }
        if let (alg, alpha) = eltwise(activation) { dnnl_post_ops_append_eltwise(ops, 1, alg, alpha, 0) }
        dnnl_primitive_attr_set_post_ops(attr, ops)
        var pd: dnnl_primitive_desc_t?
        guard dnnl_primitive_desc_create(&pd, &desc, attr, OneDNN.engine, nil) == dnnl_success else { return nil }
        return pd
    }

    /// True when oneDNN picked its reference implementation ("ref:any") for `pd`.
    static func isReference(_ pd: dnnl_primitive_desc_t) -> Bool {
        var name: UnsafePointer<CChar>?
        guard dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name) == dnnl_success, let name else { return false }
        return String(cString: name).hasPrefix("ref")
    }

    /// oneDNN's post-op for an activation, when it computes exactly the same function.
    static func eltwise(_ a: Activation) -> (dnnl_alg_kind_t, Float)? {
        switch a {
        case .identity: return nil
        case .quickGelu: return (dnnl_eltwise_swish, 1.702)   // x · sigmoid(1.702 x)
        case .gelu: return (dnnl_eltwise_gelu_erf, 0)
        case .geluTanh: return (dnnl_eltwise_gelu_tanh, 0)
        case .relu: return (dnnl_eltwise_relu, 0)
        }
    }

    /// Nil when `mode` runs on this CPU, else what is missing.
    static func unsupported(_ mode: ComputeMode) -> String? {
        guard let pd = descriptor(mode, rows: 16, n: 64, k: 64, lda: 64, ldc: 64, weights: nil, bias: true,
                                  accumulate: false, activation: .identity) else { return missing(mode) }
        dnnl_primitive_desc_destroy(pd)
        return nil
    }

    static func missing(_ mode: ComputeMode) -> String {
        switch mode.precision {
        case .bf16:
            return "precision bf16 needs a CPU with AVX-512 (and AMX to be faster than fp32); oneDNN \(OneDNN.version) finds \(OneDNN.isa) on this CPU"
        case .int8:
            return "precision int8 has no oneDNN \(OneDNN.version) kernel on this CPU (\(OneDNN.isa)); it needs at least SSE4.1"
        default:
            return "oneDNN \(OneDNN.version) has no fp32 matmul on this CPU (\(OneDNN.isa))"
        }
    }

    static func memoryDesc(_ dims: [Int], _ type: dnnl_data_type_t, strides: [Int]) -> dnnl_memory_desc_t {
        var md = dnnl_memory_desc_t()
        OneDNN.check(dnnl_memory_desc_init_by_strides(&md, Int32(dims.count), dims.map(Int64.init), type, strides.map(Int64.init)), "memory desc")
        return md
    }

    static func memoryDesc(_ dims: [Int], _ type: dnnl_data_type_t, tag: dnnl_format_tag_t) -> dnnl_memory_desc_t {
        var md = dnnl_memory_desc_t()
        OneDNN.check(dnnl_memory_desc_init_by_tag(&md, Int32(dims.count), dims.map(Int64.init), type, tag), "memory desc")
        return md
    }

    /// Copies [n, k] row-major values (PyTorch layout, seen by oneDNN as [k, n] with strides (1, k)) into `dst`.
    private static func reorder(from w: UnsafeRawPointer, _ type: dnnl_data_type_t, n: Int, k: Int, into dst: dnnl_memory_t,
                                _ dstMD: dnnl_memory_desc_t) {
        var srcMD = memoryDesc([k, n], type, strides: [1, k]), dmd = dstMD
        var src: dnnl_memory_t?, pd: dnnl_primitive_desc_t?, prim: dnnl_primitive_t?
        OneDNN.check(dnnl_memory_create(&src, &srcMD, OneDNN.engine, UnsafeMutableRawPointer(mutating: w)), "weight source")
        OneDNN.check(dnnl_reorder_primitive_desc_create(&pd, &srcMD, OneDNN.engine, &dmd, OneDNN.engine, nil), "weight reorder")
        OneDNN.check(dnnl_primitive_create(&prim, pd), "weight reorder")
        var args = [dnnl_exec_arg_t(arg: DNNL_ARG_FROM, memory: src), dnnl_exec_arg_t(arg: DNNL_ARG_TO, memory: dst)]
        OneDNN.withStream { s in
            OneDNN.check(dnnl_primitive_execute(prim, s, 2, &args), "weight reorder")
            OneDNN.check(dnnl_stream_wait(s), "stream wait")
        }
        dnnl_primitive_destroy(prim); dnnl_primitive_desc_destroy(pd); dnnl_memory_destroy(src)
    }
}

struct PlanKey: Hashable {
    let rows, lda, ldc: Int
    let bias, accumulate: Bool
    let activation: Activation
    /// The engine lane calling (lanes running the same shape at once each get a plan of their own).
    let lane: Int
}

/// A primitive for one call shape with its memory objects, argument list and conversion buffers.
final class Plan: @unchecked Sendable {
    let lock = NSLock()
    let primitive: dnnl_primitive_t
    let src, dst: dnnl_memory_t
    let bias: dnnl_memory_t?
    private var scaleMemory: dnnl_memory_t?
    /// int8: the runtime output scales and the corrected bias.
    let scales, biasBuffer: UnsafeMutablePointer<Float>?
    /// oneDNN's working memory for a call, when it needs any (the buffer comes from a pool per call).
    let scratchpad: dnnl_memory_t?
    let scratchpadBytes: Int
    let args: UnsafeMutablePointer<dnnl_exec_arg_t>
    let argCount: Int
    /// The primitive is the dense product of the call shape, without the sum (OneDNNMatmul.runStaged).
    let staged: Bool
    /// The primitive is oneDNN's reference loop.
    let reference: Bool

    init(_ pd: dnnl_primitive_desc_t, key: PlanKey, mode: ComputeMode, n: Int, k: Int, weights: dnnl_memory_t, staged: Bool,
         reference: Bool) {
        self.staged = staged; self.reference = reference
        var p: dnnl_primitive_t?
        OneDNN.check(dnnl_primitive_create(&p, pd), "matmul primitive")
        primitive = p!
        func memory(_ q: dnnl_query_t, _ index: Int32 = 0, _ handle: UnsafeMutableRawPointer?) -> dnnl_memory_t {
            var m: dnnl_memory_t?
            OneDNN.check(dnnl_memory_create(&m, dnnl_primitive_desc_query_md(pd, q, index), OneDNN.engine, handle), "memory")
            return m!
        }
        src = memory(dnnl_query_src_md, 0, nil)
        dst = memory(dnnl_query_dst_md, 0, nil)
        var list = [dnnl_exec_arg_t(arg: DNNL_ARG_SRC, memory: src), dnnl_exec_arg_t(arg: DNNL_ARG_WEIGHTS, memory: weights),
                    dnnl_exec_arg_t(arg: DNNL_ARG_DST, memory: dst)]
        if mode.precision == .int8 {
            scales = .allocate(capacity: n); biasBuffer = .allocate(capacity: n)
            var smd = OneDNNMatmul.memoryDesc([n], dnnl_f32, tag: dnnl_a)
            OneDNN.check(dnnl_memory_create(&scaleMemory, &smd, OneDNN.engine, scales), "scale memory")
            list.append(dnnl_exec_arg_t(arg: DNNL_ARG_ATTR_OUTPUT_SCALES, memory: scaleMemory))
        } else { scales = nil; biasBuffer = nil }
        bias = key.bias ? memory(dnnl_query_weights_md, 1, biasBuffer.map { UnsafeMutableRawPointer($0) }) : nil
        if let b = bias { list.append(dnnl_exec_arg_t(arg: DNNL_ARG_BIAS, memory: b)) }
        scratchpadBytes = dnnl_memory_desc_get_size(dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0))
        scratchpad = scratchpadBytes > 0 ? memory(dnnl_query_scratchpad_md, 0, nil) : nil
        if let sp = scratchpad { list.append(dnnl_exec_arg_t(arg: DNNL_ARG_SCRATCHPAD, memory: sp)) }
        args = .allocate(capacity: list.count)
        args.initialize(from: list, count: list.count)
        argCount = list.count
        dnnl_primitive_desc_destroy(pd)
    }

    deinit {
        dnnl_primitive_destroy(primitive)
        dnnl_memory_destroy(src); dnnl_memory_destroy(dst)
        if let bias { dnnl_memory_destroy(bias) }
        if let scaleMemory { dnnl_memory_destroy(scaleMemory) }
        if let scratchpad { dnnl_memory_destroy(scratchpad) }
        scales?.deallocate(); biasBuffer?.deallocate()
        args.deallocate()
    }
}

/// Growable byte buffers handed to one call at a time (the int8 / bf16 copies of a product's input).
final class BufferPool: @unchecked Sendable {
    final class Buffer {
        private(set) var pointer: UnsafeMutableRawPointer
        private(set) var capacity: Int
        init(_ n: Int) { capacity = n; pointer = .allocate(byteCount: n, alignment: 64) }
        func reserve(_ n: Int) {
            if n > capacity { pointer.deallocate(); capacity = n; pointer = .allocate(byteCount: n, alignment: 64) }
        }
        deinit { pointer.deallocate() }
    }
    private var free: [Buffer] = []
    private let lock = NSLock()

    func take(_ bytes: Int) -> Buffer {
        lock.lock()
        let b = free.popLast()
        lock.unlock()
        let buffer = b ?? Buffer(max(bytes, 64))
        buffer.reserve(bytes)
        return buffer
    }

    func give(_ b: Buffer) { lock.lock(); free.append(b); lock.unlock() }
}
