/* Scaled dot-product attention for one (sequence, head) block on AVX2 + FMA: kᵀ packed once (8 × 8
   transposes), the scores of 6 queries × 16 keys per register block, the masked softmax on the scores while
   they are in L1, then probabilities · v in 6 × 16 blocks; the next block's rows are prefetched meanwhile. */
#include "ckernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include "vector.h"

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

/* c[mr rows, 8 or 16 columns] = scale · a[mr rows, 0..<depth] · b[0..<depth, columns]: a's values broadcast, b's rows
   loaded 8 or 16 at a time (the scores with a = q, b = kᵀ; the values with a = probabilities, b = v) */
AVX2 INLINE void product_block(const float *a, long lda, const float *b, long ldb, long depth, float scale,
                               float *c, long ldc, int mr, int wide) {
    __m256 acc[6][2];
    for (int r = 0; r < mr; r++) { acc[r][0] = _mm256_setzero_ps(); acc[r][1] = _mm256_setzero_ps(); }
    for (long t = 0; t < depth; t++) {
        __m256 b0 = _mm256_loadu_ps(b + t * ldb), b1 = wide ? _mm256_loadu_ps(b + t * ldb + 8) : b0;
        for (int r = 0; r < mr; r++) {
            __m256 x = _mm256_broadcast_ss(a + r * lda + t);
            acc[r][0] = _mm256_fmadd_ps(x, b0, acc[r][0]);
            if (wide) acc[r][1] = _mm256_fmadd_ps(x, b1, acc[r][1]);
        }
    }
    __m256 sc = _mm256_set1_ps(scale);
    for (int r = 0; r < mr; r++) {
        _mm256_storeu_ps(c + r * ldc, _mm256_mul_ps(acc[r][0], sc));
        if (wide) _mm256_storeu_ps(c + r * ldc + 8, _mm256_mul_ps(acc[r][1], sc));
    }
}

/* columns 0..<cols (a multiple of 8) of mr rows of the product */
AVX2 INLINE void product_rows(const float *a, long lda, const float *b, long ldb, long depth, long cols, float scale,
                              float *c, long ldc, int mr) {
    long j = 0;
    for (; j + 16 <= cols; j += 16) product_block(a, lda, b + j, ldb, depth, scale, c + j, ldc, mr, 1);
    if (j < cols) product_block(a, lda, b + j, ldb, depth, scale, c + j, ldc, mr, 0);
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
    product_rows(q + i * ldq, ldq, kt, lds, hd, cols, scale, s, lds, mr);
    for (int r = 0; r < mr; r++) softmax_row(s + r * lds, causal && i + r + 1 < used ? i + r + 1 : used, cols);
    product_rows(s, lds, v, ldv, used, hd, 1.0f, out + i * ldo, ldo, mr);
}

/* dst[r, 0..<8] = src[0..<8, r] for r < 8, where src has `rows` rows (the missing ones read as zero) */
AVX2 INLINE void transpose8(const float *src, long lds, long rows, float *dst, long ldd) {
    __m256 r[8];
    for (int i = 0; i < 8; i++) r[i] = i < rows ? _mm256_loadu_ps(src + i * lds) : _mm256_setzero_ps();
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    _mm256_storeu_ps(dst + 0 * ldd, _mm256_permute2f128_ps(u0, u4, 0x20));
    _mm256_storeu_ps(dst + 1 * ldd, _mm256_permute2f128_ps(u1, u5, 0x20));
    _mm256_storeu_ps(dst + 2 * ldd, _mm256_permute2f128_ps(u2, u6, 0x20));
    _mm256_storeu_ps(dst + 3 * ldd, _mm256_permute2f128_ps(u3, u7, 0x20));
    _mm256_storeu_ps(dst + 4 * ldd, _mm256_permute2f128_ps(u0, u4, 0x31));
    _mm256_storeu_ps(dst + 5 * ldd, _mm256_permute2f128_ps(u1, u5, 0x31));
    _mm256_storeu_ps(dst + 6 * ldd, _mm256_permute2f128_ps(u2, u6, 0x31));
    _mm256_storeu_ps(dst + 7 * ldd, _mm256_permute2f128_ps(u3, u7, 0x31));
}

/* part `part` of `parts` of the rows of the next block's q, k and v into L2 (every 64 bytes of each row) */
static inline void prefetch_part(const float *const *next, const long *ld, const long *rows, long hd, long part, long parts) {
    for (int t = 0; t < 3; t++) {
        for (long i = rows[t] * part / parts; i < rows[t] * (part + 1) / parts; i++) {
            const char *row = (const char *)(next[t] + i * ld[t]);
            for (long b = 0; b < hd * 4; b += 64) __builtin_prefetch(row + b, 0, 2);
        }
    }
}

AVX2 void ck_attention(const float *q, long ldq, const float *k, long ldk, const float *v, long ldv, float *out, long ldo,
                       long qLen, long n, long hd, float scale, int causal, float *scratch,
                       const float *const *next, long nextKeys) {
    long lds = round8(n), blocks = (qLen + 5) / 6, ld[3] = {ldq, ldk, ldv}, rows[3] = {qLen, nextKeys, nextKeys};
    float *kt = scratch, *s = scratch + hd * lds;
    /* kt [hd, lds]: k transposed 8 × 8 at a time, the padding columns zero */
    for (long j = 0; j < lds; j += 8)
        for (long c = 0; c < hd; c += 8) transpose8(k + j * ldk + c, ldk, n - j < 8 ? n - j : 8, kt + c * lds + j, lds);
    long i = 0;
    for (; i + 6 <= qLen; i += 6) {
        if (next) prefetch_part(next, ld, rows, hd, i / 6, blocks);
        attend_rows(q, ldq, kt, lds, v, ldv, out, ldo, i, n, hd, scale, causal, s, 6);
    }
    if (next && i < qLen) prefetch_part(next, ld, rows, hd, blocks - 1, blocks);
    switch (qLen - i) {
    case 5: attend_rows(q, ldq, kt, lds, v, ldv, out, ldo, i, n, hd, scale, causal, s, 5); break;
    case 4: attend_rows(q, ldq, kt, lds, v, ldv, out, ldo, i, n, hd, scale, causal, s, 4); break;
    case 3: attend_rows(q, ldq, kt, lds, v, ldv, out, ldo, i, n, hd, scale, causal, s, 3); break;
    case 2: attend_rows(q, ldq, kt, lds, v, ldv, out, ldo, i, n, hd, scale, causal, s, 2); break;
    case 1: attend_rows(q, ldq, kt, lds, v, ldv, out, ldo, i, n, hd, scale, causal, s, 1); break;
    }
}

#else
/* not x86: ck_has_avx2_fma() says no, and the kernels are never called */
int ck_has_avx2_fma(void) { return 0; }
long ck_attention_scratch(long qLen, long n, long headDim) { (void)qLen; (void)n; (void)headDim; return 1; }
void ck_attention(const float *q, long ldq, const float *k, long ldk, const float *v, long ldv, float *out, long ldo,
                  long qLen, long n, long hd, float scale, int causal, float *scratch,
                  const float *const *next, long nextKeys) {
    (void)q; (void)ldq; (void)k; (void)ldk; (void)v; (void)ldv; (void)out; (void)ldo; (void)qLen; (void)n; (void)hd;
    (void)scale; (void)causal; (void)scratch; (void)next; (void)nextKeys;
}
#endif
