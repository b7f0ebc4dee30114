/* Scaled dot-product attention for one (sequence, head) block on AVX2 + FMA: kᵀ packed once, the scores of
   6 queries × 16 keys per register block, the masked softmax on the scores while they are in L1, then
   probabilities · v in 6 × 16 blocks. */
#include "ckernels.h"
#include <cpuid.h>
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2,fma")))
#define INLINE static inline __attribute__((always_inline))

int ck_has_avx2_fma(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int fma = (c >> 12) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1;
    if (!fma || !osxsave || !avx) return 0;
    unsigned lo, hi;
    __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 6) != 6) return 0;                      /* the OS saves the XMM and YMM state */
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    return (b >> 5) & 1;                               /* AVX2 */
}

static long round8(long n) { return (n + 7) & ~7L; }

long ck_attention_scratch(long qLen, long n, long headDim) { (void)qLen; return (headDim + 6) * round8(n); }

/* s[mr rows, 8 or 16 columns] = scale · q[mr rows] · kt[:, columns] */
AVX2 INLINE void scores_block(const float *q, long ldq, const float *kt, long ldkt, long hd, float scale,
                              float *s, long lds, int mr, int wide) {
    __m256 acc[6][2];
    for (int r = 0; r < mr; r++) { acc[r][0] = _mm256_setzero_ps(); acc[r][1] = _mm256_setzero_ps(); }
    for (long c = 0; c < hd; c++) {
        __m256 b0 = _mm256_loadu_ps(kt + c * ldkt), b1 = wide ? _mm256_loadu_ps(kt + c * ldkt + 8) : b0;
        for (int r = 0; r < mr; r++) {
            __m256 a = _mm256_broadcast_ss(q + r * ldq + c);
            acc[r][0] = _mm256_fmadd_ps(a, b0, acc[r][0]);
            if (wide) acc[r][1] = _mm256_fmadd_ps(a, b1, acc[r][1]);
        }
    }
    __m256 sc = _mm256_set1_ps(scale);
    for (int r = 0; r < mr; r++) {
        _mm256_storeu_ps(s + r * lds, _mm256_mul_ps(acc[r][0], sc));
        if (wide) _mm256_storeu_ps(s + r * lds + 8, _mm256_mul_ps(acc[r][1], sc));
    }
}

/* columns 0..<cols (a multiple of 8) of mr score rows */
AVX2 INLINE void scores_rows(const float *q, long ldq, const float *kt, long lds, long cols, long hd, float scale,
                             float *s, int mr) {
    long j = 0;
    for (; j + 16 <= cols; j += 16) scores_block(q, ldq, kt + j, lds, hd, scale, s + j, lds, mr, 1);
    if (j < cols) scores_block(q, ldq, kt + j, lds, hd, scale, s + j, lds, mr, 0);
}

/* out[mr rows, 8 or 16 columns] = p[mr rows, 0..<n] · v[0..<n, columns] */
AVX2 INLINE void values_block(const float *p, long ldp, const float *v, long ldv, long n, float *out, long ldo,
                              int mr, int wide) {
    __m256 acc[6][2];
    for (int r = 0; r < mr; r++) { acc[r][0] = _mm256_setzero_ps(); acc[r][1] = _mm256_setzero_ps(); }
    for (long j = 0; j < n; j++) {
        __m256 b0 = _mm256_loadu_ps(v + j * ldv), b1 = wide ? _mm256_loadu_ps(v + j * ldv + 8) : b0;
        for (int r = 0; r < mr; r++) {
            __m256 a = _mm256_broadcast_ss(p + r * ldp + j);
            acc[r][0] = _mm256_fmadd_ps(a, b0, acc[r][0]);
            if (wide) acc[r][1] = _mm256_fmadd_ps(a, b1, acc[r][1]);
        }
    }
    for (int r = 0; r < mr; r++) {
        _mm256_storeu_ps(out + r * ldo, acc[r][0]);
        if (wide) _mm256_storeu_ps(out + r * ldo + 8, acc[r][1]);
    }
}

AVX2 INLINE void values_rows(const float *p, long ldp, const float *v, long ldv, long n, long hd, float *out, long ldo,
                             int mr) {
    long c = 0;
    for (; c + 16 <= hd; c += 16) values_block(p, ldp, v + c, ldv, n, out + c, ldo, mr, 1);
    if (c < hd) values_block(p, ldp, v + c, ldv, n, out + c, ldo, mr, 0);
}

/* e^x, Cephes expf as the Swift kernels' vexp (range reduction by ln 2, degree-5 polynomial) */
AVX2 INLINE __m256 exp8(__m256 x) {
    x = _mm256_max_ps(_mm256_min_ps(x, _mm256_set1_ps(88.3f)), _mm256_set1_ps(-87.3f));
    const __m256 magic = _mm256_set1_ps(12582912.0f);
    __m256 shifted = _mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), magic);
    __m256 n = _mm256_sub_ps(shifted, magic);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fmadd_ps(n, _mm256_set1_ps(2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    __m256 y = _mm256_add_ps(_mm256_fmadd_ps(_mm256_mul_ps(p, r), r, r), _mm256_set1_ps(1.0f));
    __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_castps_si256(shifted), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(y, _mm256_castsi256_ps(bits));
}

AVX2 INLINE float hmax8(__m256 v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
}

AVX2 INLINE float hsum8(__m256 v) {
    __m128 m = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_add_ps(m, _mm_movehl_ps(m, m));
    m = _mm_add_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
}

/* softmax of row[0..<valid] in place; row[valid..<cols] set to 0 (cols a multiple of 8, valid >= 1) */
AVX2 INLINE void softmax_row(float *row, long valid, long cols) {
    long body = valid & ~7L, j;
    __m256 mv = _mm256_set1_ps(-__builtin_inff());
    for (j = 0; j < body; j += 8) mv = _mm256_max_ps(mv, _mm256_loadu_ps(row + j));
    float m = hmax8(mv);
    for (j = body; j < valid; j++) m = row[j] > m ? row[j] : m;
    __m256 mm = _mm256_set1_ps(m), sv = _mm256_setzero_ps();
    /* the partial vector at `body` is exponentiated whole, its masked lanes then zeroed */
    for (j = 0; j < cols; j += 8) {
        __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(row + j), mm));
        if (j + 8 > valid) {
            long keep = valid - j;
            if (keep < 0) keep = 0;
            __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
            e = _mm256_and_ps(e, _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32((int)keep), lane)));
        }
        _mm256_storeu_ps(row + j, e);
        sv = _mm256_add_ps(sv, e);
    }
    __m256 inv = _mm256_set1_ps(1.0f / hsum8(sv));
    for (j = 0; j < cols; j += 8) _mm256_storeu_ps(row + j, _mm256_mul_ps(_mm256_loadu_ps(row + j), inv));
}

/* rows i..<i+mr: scores, softmax, values; a causal block needs keys up to its last row only */
AVX2 INLINE void attend_rows(const float *q, long ldq, const float *kt, long lds, const float *v, long ldv, float *out,
                             long ldo, long i, long n, long hd, float scale, int causal, float *s, int mr) {
    long used = causal && i + mr < n ? i + mr : n, cols = round8(used);
    scores_rows(q + i * ldq, ldq, kt, lds, cols, hd, scale, s, mr);
    for (int r = 0; r < mr; r++) softmax_row(s + r * lds, causal && i + r + 1 < used ? i + r + 1 : used, cols);
    values_rows(s, lds, v, ldv, used, hd, out + i * ldo, ldo, mr);
}

AVX2 void ck_attention(const float *q, long ldq, const float *k, long ldk, const float *v, long ldv, float *out, long ldo,
                       long qLen, long n, long hd, float scale, int causal, float *scratch) {
    long lds = round8(n);
    float *kt = scratch, *s = scratch + hd * lds;
    /* kt [hd, lds]: k transposed, the padding columns zero */
    for (long c = 0; c < hd; c++) {
        float *row = kt + c * lds;
        for (long j = 0; j < n; j++) row[j] = k[j * ldk + c];
        for (long j = n; j < lds; j++) row[j] = 0;
    }
    long i = 0;
    for (; i + 6 <= qLen; i += 6) attend_rows(q, ldq, kt, lds, v, ldv, out, ldo, i, n, hd, scale, causal, s, 6);
    switch (qLen - i) {
    case 5: attend_rows(q, ldq, kt, lds, v, ldv, out, ldo, i, n, hd, scale, causal, s, 5); break;
    case 4: attend_rows(q, ldq, kt, lds, v, ldv, out, ldo, i, n, hd, scale, causal, s, 4); break;
    case 3: attend_rows(q, ldq, kt, lds, v, ldv, out, ldo, i, n, hd, scale, causal, s, 3); break;
    case 2: attend_rows(q, ldq, kt, lds, v, ldv, out, ldo, i, n, hd, scale, causal, s, 2); break;
    case 1: attend_rows(q, ldq, kt, lds, v, ldv, out, ldo, i, n, hd, scale, causal, s, 1); break;
    }
}
