/* The int8 product for CPUs with AVX-512 VNNI: u8 activations (each row over its own range, 0..255) times s8
   weights in -127..127, four products summed into 32 bits by one vpdpbusd. Weights are packed once into 32-column
   blocks, 4 of depth per 32-bit lane; a register block is up to 12 rows x 32 columns (24 accumulators) over the
   whole depth, while the block's packed weights stay in L1 or L2 for all the rows. The epilogue applies the row
   and column scales, the zero-point correction, bias, activation and the residual sum, as ck_gemm_u8s8's does;
   its exponentials are kept clear of subnormal results, which cost a microcode assist each. */
#include "ckernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <string.h>

#include "vector.h"

#define AVX512 __attribute__((target("avx2,fma,avx512f,avx512bw,avx512vl,avx512vnni")))
#define NOINLINE __attribute__((noinline))

int ck_has_avx512_vnni(void) {
    unsigned a, b, c, d;
    if (!ck_has_avx2_fma() || !__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    int f = (b >> 16) & 1, bw = (b >> 30) & 1, vl = (b >> 31) & 1, vnni = (c >> 11) & 1;
    if (!f || !bw || !vl || !vnni) return 0;
    unsigned lo, hi;
    __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (lo & 0xe6) == 0xe6;                         /* the OS saves the opmask and ZMM state too */
}

long ck_pack_s8_vnni_bytes(long n, long k) { return n * k; }

/* per 32-column block, per 4 of depth: 128 bytes, the 4 depth values of columns 0, 1, ..., 31 */
void ck_pack_s8_vnni(const signed char *w, long n, long k, signed char *out) {
    long k4 = k / 4;
    for (long nb = 0; nb < n / 32; nb++)
        for (long g = 0; g < k4; g++) {
            signed char *o = out + (nb * k4 + g) * 128;
            for (int c = 0; c < 32; c++)
                for (int t = 0; t < 4; t++) o[c * 4 + t] = w[(nb * 32 + c) * k + g * 4 + t];
        }
}

static inline int load4(const unsigned char *p) { int v; memcpy(&v, p, 4); return v; }

/* A tile of ROWS rows (mr of them real: the last real row stands in for the others) x 32 columns: acc[r * 32 + j] =
   a[r, :] . w[j, :] over depth k. */
#define ROW_POINTER(r) const unsigned char *a##r = a + (r < mr ? r : mr - 1) * lda;
#define ZERO(r) __m512i c##r##0 = _mm512_setzero_si512(), c##r##1 = c##r##0;
#define DOT(r) { __m512i x = _mm512_set1_epi32(load4(a##r + g)); \
    c##r##0 = _mm512_dpbusd_epi32(c##r##0, x, b0); c##r##1 = _mm512_dpbusd_epi32(c##r##1, x, b1); }
#define STORE(r) _mm512_store_si512((void *)(acc + r * 32), c##r##0); _mm512_store_si512((void *)(acc + r * 32 + 16), c##r##1);
#define ROWS4(M) M(0) M(1) M(2) M(3)
#define ROWS8(M) ROWS4(M) M(4) M(5) M(6) M(7)
#define ROWS12(M) ROWS8(M) M(8) M(9) M(10) M(11)
#define TILE(NAME, ROWS) \
    NOINLINE AVX512 static void NAME(const unsigned char *a, long lda, int mr, const signed char *b, long k, int *acc) { \
        ROWS(ROW_POINTER) ROWS(ZERO) \
        for (long g = 0; g < k; g += 4, b += 128) { \
            __m512i b0 = _mm512_load_si512((const void *)b), b1 = _mm512_load_si512((const void *)(b + 64)); \
            ROWS(DOT) \
        } \
        ROWS(STORE) \
    }
TILE(tile4, ROWS4)
TILE(tile8, ROWS8)
TILE(tile12, ROWS12)

/* e^x, the same range reduction and polynomial as exp8 */
AVX512 INLINE __m512 exp16(__m512 x) {
    x = _mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(88.3f)), _mm512_set1_ps(-87.3f));
    const __m512 magic = _mm512_set1_ps(12582912.0f);
    __m512 shifted = _mm512_fmadd_ps(x, _mm512_set1_ps(1.44269504088896341f), magic);
    __m512 n = _mm512_sub_ps(shifted, magic);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fmadd_ps(n, _mm512_set1_ps(2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    __m512 y = _mm512_add_ps(_mm512_fmadd_ps(_mm512_mul_ps(p, r), r, r), _mm512_set1_ps(1.0f));
    __m512i bits = _mm512_slli_epi32(_mm512_add_epi32(_mm512_castps_si512(shifted), _mm512_set1_epi32(127)), 23);
    return _mm512_mul_ps(y, _mm512_castsi512_ps(bits));
}

/* 1 / d to 23 bits for d up to e^80 + 1 (the callers' bound: a smaller reciprocal would be subnormal) */
AVX512 INLINE __m512 reciprocal16(__m512 d) {
    __m512 r = _mm512_rcp14_ps(d);
    return _mm512_mul_ps(r, _mm512_fnmadd_ps(d, r, _mm512_set1_ps(2)));
}

AVX512 INLINE __m512 identity16(__m512 y) { return y; }
AVX512 INLINE __m512 relu16(__m512 y) { return _mm512_max_ps(y, _mm512_setzero_ps()); }

/* y * sigmoid(1.702 y), e^(-1.702 y) capped at e^80 (below y = -47 the result is about -1e-33 y instead of 0) */
AVX512 INLINE __m512 quick_gelu16(__m512 y) {
    __m512 e = exp16(_mm512_min_ps(_mm512_mul_ps(y, _mm512_set1_ps(-1.702f)), _mm512_set1_ps(80)));
    return _mm512_mul_ps(y, reciprocal16(_mm512_add_ps(_mm512_set1_ps(1), e)));
}

/* 0.5 y (1 + erf(y / sqrt 2)), erf by Abramowitz and Stegun 7.1.26 as erf8, e^(-x^2) kept above e^-80 */
AVX512 INLINE __m512 gelu16(__m512 y) {
    const __m512i sign = _mm512_set1_epi32((int)0x80000000u);
    __m512i x = _mm512_castps_si512(_mm512_mul_ps(y, _mm512_set1_ps(0.70710678f)));
    __m512i s = _mm512_and_si512(x, sign);
    __m512 ax = _mm512_castsi512_ps(_mm512_andnot_si512(sign, x));
    __m512 t = _mm512_div_ps(_mm512_set1_ps(1), _mm512_fmadd_ps(ax, _mm512_set1_ps(0.3275911f), _mm512_set1_ps(1)));
    __m512 p = _mm512_set1_ps(1.061405429f);
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-1.453152027f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(1.421413741f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(-0.284496736f));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(0.254829592f));
    p = _mm512_mul_ps(p, t);
    __m512 e = exp16(_mm512_max_ps(_mm512_sub_ps(_mm512_setzero_ps(), _mm512_mul_ps(ax, ax)), _mm512_set1_ps(-80)));
    __m512 erf = _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(_mm512_fnmadd_ps(p, e, _mm512_set1_ps(1))), s));
    return _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(0.5f), y), _mm512_add_ps(_mm512_set1_ps(1), erf));
}

/* 0.5 y (1 + tanh(u)) = y - y / (e^2u + 1), e^2u capped at e^80 */
AVX512 INLINE __m512 gelu_tanh16(__m512 y) {
    __m512 u = _mm512_mul_ps(_mm512_set1_ps(0.7978845608f),
                             _mm512_fmadd_ps(_mm512_mul_ps(_mm512_set1_ps(0.044715f), y), _mm512_mul_ps(y, y), y));
    __m512 e = exp16(_mm512_min_ps(_mm512_add_ps(u, u), _mm512_set1_ps(80)));
    return _mm512_sub_ps(y, _mm512_mul_ps(y, reciprocal16(_mm512_add_ps(e, _mm512_set1_ps(1)))));
}

/* the mr x 32 block at c from acc: scales, zero-point correction, bias, ACT, residual */
#define EPILOGUE(ACT) \
    for (int r = 0; r < mr; r++) { \
        __m512 s = _mm512_set1_ps(rowScale[r]), z = _mm512_set1_ps(rowZero[r]); \
        for (int q = 0; q < 2; q++) { \
            __m512 sums = _mm512_cvtepi32_ps(_mm512_load_si512((const void *)(acc + r * 32 + q * 16))); \
            __m512 f = _mm512_fnmadd_ps(z, _mm512_loadu_ps(colSum + q * 16), sums); \
            __m512 y = ACT(_mm512_fmadd_ps(_mm512_mul_ps(f, s), _mm512_loadu_ps(colScale + q * 16), _mm512_loadu_ps(bias + q * 16))); \
            if (accumulate) y = _mm512_add_ps(y, _mm512_loadu_ps(c + r * ldc + q * 16)); \
            _mm512_storeu_ps(c + r * ldc + q * 16, y); \
        } \
    }

AVX512 static void finish(const int *acc, int mr, const float *rowScale, const float *rowZero, const float *colScale,
                          const float *colSum, const float *bias, int activation, int accumulate, float *c, long ldc) {
    switch (activation) {
    case 1: EPILOGUE(relu16) break;
    case 2: EPILOGUE(quick_gelu16) break;
    case 3: EPILOGUE(gelu16) break;
    case 4: EPILOGUE(gelu_tanh16) break;
    default: EPILOGUE(identity16) break;
    }
}

AVX512 void ck_gemm_u8s8_vnni(const unsigned char *a, long m, const signed char *packed, long n, long k,
                              const float *rowScale, const float *rowZero, const float *colScale, const float *colSum,
                              const float *bias, int activation, int accumulate, float *c, long ldc) {
    static const float zeros[32];
    int acc[12 * 32] __attribute__((aligned(64)));
    for (long j = 0; j < n; j += 32) {
        const signed char *b = packed + j * k;
        for (long i = 0; i < m; i += 12) {
            int mr = m - i >= 12 ? 12 : (int)(m - i);
            const unsigned char *ai = a + i * k;
            if (mr > 8) tile12(ai, k, mr, b, k, acc);
            else if (mr > 4) tile8(ai, k, mr, b, k, acc);
            else tile4(ai, k, mr, b, k, acc);
            finish(acc, mr, rowScale + i, rowZero + i, colScale + j, colSum + j, bias ? bias + j : zeros,
                   activation, accumulate, c + i * ldc + j, ldc);
        }
    }
}

#else
/* not x86: ck_has_avx512_vnni() says no, and these are never called */
int ck_has_avx512_vnni(void) { return 0; }
long ck_pack_s8_vnni_bytes(long n, long k) { return n * k; }
void ck_pack_s8_vnni(const signed char *w, long n, long k, signed char *out) { (void)w; (void)n; (void)k; (void)out; }
void ck_gemm_u8s8_vnni(const unsigned char *a, long m, const signed char *packed, long n, long k,
                       const float *rowScale, const float *rowZero, const float *colScale, const float *colSum,
                       const float *bias, int activation, int accumulate, float *c, long ldc) {
    (void)a; (void)m; (void)packed; (void)n; (void)k; (void)rowScale; (void)rowZero; (void)colScale; (void)colSum;
    (void)bias; (void)activation; (void)accumulate; (void)c; (void)ldc;
}
#endif
