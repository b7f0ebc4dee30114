/* The int8 product for AVX2 CPUs without VNNI: u8 activations in 0..127 times s8 weights in -63..63, so two
   pmaddubsw results add in 16 bits without overflow (|sum| <= 4 * 127 * 63 < 32768) before one pmaddwd widens
   them: 3 multiplies per 64 products where the usual sequence needs 4. Weights are packed once into 16-column
   blocks; a register block is 3 rows x 16 columns over the whole depth; the epilogue applies the row and column
   scales, the zero-point correction, bias, activation and the residual sum. */
#include "ckernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include "vector.h"

long ck_pack_s8_bytes(long n, long k) { return n * k; }

/* per 16-column block, per 8 of depth: 4 vectors of 32 bytes (columns 0-7 at depth 0-3, columns 0-7 at depth
   4-7, columns 8-15 at depth 0-3, columns 8-15 at depth 4-7), 4 bytes per column */
void ck_pack_s8(const signed char *w, long n, long k, signed char *out) {
    for (long nb = 0; nb < n / 16; nb++)
        for (long kk = 0; kk < k / 8; kk++) {
            signed char *o = out + (nb * (k / 8) + kk) * 128;
            for (int v = 0; v < 4; v++)
                for (int c = 0; c < 8; c++)
                    for (int t = 0; t < 4; t++)
                        o[v * 32 + c * 4 + t] = w[(nb * 16 + (v / 2) * 8 + c) * k + kk * 8 + (v % 2) * 4 + t];
        }
}

/* one row's 16 columns over 8 of depth: the two halves of depth multiplied apart, added in 16 bits, widened */
#define ROW(p, c0, c1) { \
    __m256i al = _mm256_set1_epi32(*(const int *)(p)), ah = _mm256_set1_epi32(*(const int *)((p) + 4)); \
    __m256i t0 = _mm256_add_epi16(_mm256_maddubs_epi16(al, b0l), _mm256_maddubs_epi16(ah, b0h)); \
    __m256i t1 = _mm256_add_epi16(_mm256_maddubs_epi16(al, b1l), _mm256_maddubs_epi16(ah, b1h)); \
    c0 = _mm256_add_epi32(c0, _mm256_madd_epi16(t0, ones)); \
    c1 = _mm256_add_epi32(c1, _mm256_madd_epi16(t1, ones)); }

/* acc[r * 2 + q] = row r . columns q * 8 ... q * 8 + 7 of the 16-column block b, for the rows a0, a1, a2 (a row
   given twice is computed twice: the tail of a product) */
AVX2 static void block3(const unsigned char *a0, const unsigned char *a1, const unsigned char *a2,
                        const signed char *b, long k8, __m256i *acc) {
    __m256i c00 = _mm256_setzero_si256(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
    const __m256i ones = _mm256_set1_epi16(1);
    for (long kk = 0; kk < k8; kk++, b += 128) {
        __m256i b0l = _mm256_load_si256((const __m256i *)b), b0h = _mm256_load_si256((const __m256i *)(b + 32));
        __m256i b1l = _mm256_load_si256((const __m256i *)(b + 64)), b1h = _mm256_load_si256((const __m256i *)(b + 96));
        ROW(a0 + kk * 8, c00, c01)
        ROW(a1 + kk * 8, c10, c11)
        ROW(a2 + kk * 8, c20, c21)
    }
    acc[0] = c00; acc[1] = c01; acc[2] = c10; acc[3] = c11; acc[4] = c20; acc[5] = c21;
}

/* erf(x), Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7) */
AVX2 INLINE __m256 erf8(__m256 x) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 s = _mm256_and_ps(x, sign), ax = _mm256_andnot_ps(sign, x);
    __m256 t = _mm256_div_ps(_mm256_set1_ps(1), _mm256_fmadd_ps(ax, _mm256_set1_ps(0.3275911f), _mm256_set1_ps(1)));
    __m256 p = _mm256_set1_ps(1.061405429f);
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-1.453152027f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.421413741f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-0.284496736f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.254829592f));
    p = _mm256_mul_ps(p, t);
    __m256 e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), _mm256_mul_ps(ax, ax)));
    return _mm256_or_ps(_mm256_fnmadd_ps(p, e, _mm256_set1_ps(1)), s);
}

/* 1 / d to 23 bits: the 12-bit estimate and one Newton step */
AVX2 INLINE __m256 reciprocal8(__m256 d) {
    __m256 r = _mm256_rcp_ps(d);
    return _mm256_mul_ps(r, _mm256_fnmadd_ps(d, r, _mm256_set1_ps(2)));
}

AVX2 INLINE __m256 identity8(__m256 y) { return y; }
AVX2 INLINE __m256 relu8(__m256 y) { return _mm256_max_ps(y, _mm256_setzero_ps()); }

/* y * sigmoid(1.702 y) */
AVX2 INLINE __m256 quick_gelu8(__m256 y) {
    return _mm256_mul_ps(y, reciprocal8(_mm256_add_ps(_mm256_set1_ps(1), exp8(_mm256_mul_ps(y, _mm256_set1_ps(-1.702f))))));
}

/* 0.5 y (1 + erf(y / sqrt 2)) */
AVX2 INLINE __m256 gelu8(__m256 y) {
    __m256 e = erf8(_mm256_mul_ps(y, _mm256_set1_ps(0.70710678f)));
    return _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), y), _mm256_add_ps(_mm256_set1_ps(1), e));
}

/* 0.5 y (1 + tanh(u)) = y - y / (e^2u + 1) */
AVX2 INLINE __m256 gelu_tanh8(__m256 y) {
    __m256 u = _mm256_mul_ps(_mm256_set1_ps(0.7978845608f),
                             _mm256_fmadd_ps(_mm256_mul_ps(_mm256_set1_ps(0.044715f), y), _mm256_mul_ps(y, y), y));
    return _mm256_sub_ps(y, _mm256_mul_ps(y, reciprocal8(_mm256_add_ps(exp8(_mm256_add_ps(u, u)), _mm256_set1_ps(1)))));
}

/* the mr x 16 block at c: scales, zero-point correction, bias, ACT, residual */
#define EPILOGUE(ACT) \
    for (int r = 0; r < mr; r++) { \
        __m256 s = _mm256_set1_ps(rowScale[r]), z = _mm256_set1_ps(rowZero[r]); \
        for (int q = 0; q < 2; q++) { \
            __m256 f = _mm256_fnmadd_ps(z, _mm256_loadu_ps(colSum + q * 8), _mm256_cvtepi32_ps(acc[r * 2 + q])); \
            __m256 y = ACT(_mm256_fmadd_ps(_mm256_mul_ps(f, s), _mm256_loadu_ps(colScale + q * 8), _mm256_loadu_ps(bias + q * 8))); \
            if (accumulate) y = _mm256_add_ps(y, _mm256_loadu_ps(c + r * ldc + q * 8)); \
            _mm256_storeu_ps(c + r * ldc + q * 8, y); \
        } \
    }

AVX2 static void finish(const __m256i *acc, int mr, const float *rowScale, const float *rowZero, const float *colScale,
                        const float *colSum, const float *bias, int activation, int accumulate, float *c, long ldc) {
    switch (activation) {
    case 1: EPILOGUE(relu8) break;
    case 2: EPILOGUE(quick_gelu8) break;
    case 3: EPILOGUE(gelu8) break;
    case 4: EPILOGUE(gelu_tanh8) break;
    default: EPILOGUE(identity8) break;
    }
}

AVX2 void ck_gemm_u8s8(const unsigned char *a, long m, const signed char *packed, long n, long k,
                       const float *rowScale, const float *rowZero, const float *colScale, const float *colSum,
                       const float *bias, int activation, int accumulate, float *c, long ldc) {
    static const float zeros[16];
    /* the columns whose packed weights fill about 256 KB of L2 are run over all rows before the next */
    long nc = (262144 / k) & ~15L;
    if (nc < 16) nc = 16;
    __m256i acc[6];
    for (long jc = 0; jc < n; jc += nc) {
        long je = jc + nc < n ? jc + nc : n;
        for (long i = 0; i < m; i += 3) {
            int mr = m - i >= 3 ? 3 : (int)(m - i);
            const unsigned char *ai = a + i * k;
            for (long j = jc; j < je; j += 16) {
                const signed char *b = packed + j * k;
                block3(ai, mr > 1 ? ai + k : ai, mr > 2 ? ai + 2 * k : ai, b, k / 8, acc);
                finish(acc, mr, rowScale + i, rowZero + i, colScale + j, colSum + j, bias ? bias + j : zeros,
                       activation, accumulate, c + i * ldc + j, ldc);
            }
        }
    }
}

#else
/* not x86: ck_has_avx2_fma() says no, and these are never called */
long ck_pack_s8_bytes(long n, long k) { return n * k; }
void ck_pack_s8(const signed char *w, long n, long k, signed char *out) { (void)w; (void)n; (void)k; (void)out; }
void ck_gemm_u8s8(const unsigned char *a, long m, const signed char *packed, long n, long k,
                  const float *rowScale, const float *rowZero, const float *colScale, const float *colSum,
                  const float *bias, int activation, int accumulate, float *c, long ldc) {
    (void)a; (void)m; (void)packed; (void)n; (void)k; (void)rowScale; (void)rowZero; (void)colScale; (void)colSum;
    (void)bias; (void)activation; (void)accumulate; (void)c; (void)ldc;
}
#endif
