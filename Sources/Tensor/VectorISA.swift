// Whether this CPU runs CKernels' AVX2 + FMA code, and its AVX-512 VNNI code (CPUID and XGETBV, asked once for every
// kernel).
import CKernels

enum VectorISA {
    static let avx2FMA = ck_has_avx2_fma() != 0
    static let avx512VNNI = ck_has_avx512_vnni() != 0
}
