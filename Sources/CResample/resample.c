// Pillow's 8-bit bicubic passes (ImagingResampleHorizontal_8bpc, ImagingResampleVertical_8bpc) in its own
// integer arithmetic: no rounding of ours to check. Baseline SSE2: the sums of pixel pairs times 16-bit
// halves of the 22-bit weights (pmaddwd), recombined exactly in 32 bits.
#include "CResample.h"

#include <string.h>

#if (defined(__x86_64__) || defined(__i386__)) && !defined(MERCLIP_RESAMPLE_SCALAR)
#include <immintrin.h>

#define AVX2 __attribute__((target("avx2")))

static int use_avx2 = -1;

void merclip_resample_use_avx2(int on) { use_avx2 = on && __builtin_cpu_supports("avx2"); }

int merclip_resample_avx2(void) {
    if (use_avx2 < 0) use_avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
    return use_avx2;
}

/// The 8×16 bytes of rows r[0…7] from column x, as 16 vectors of 8 int16 (one per column, row l in lane l).
static inline void columns16(const uint8_t *const r[8], int x, __m128i *out) {
    __m128i a0 = _mm_loadu_si128((const __m128i *)(r[0] + x)), a1 = _mm_loadu_si128((const __m128i *)(r[1] + x));
    __m128i a2 = _mm_loadu_si128((const __m128i *)(r[2] + x)), a3 = _mm_loadu_si128((const __m128i *)(r[3] + x));
    __m128i a4 = _mm_loadu_si128((const __m128i *)(r[4] + x)), a5 = _mm_loadu_si128((const __m128i *)(r[5] + x));
    __m128i a6 = _mm_loadu_si128((const __m128i *)(r[6] + x)), a7 = _mm_loadu_si128((const __m128i *)(r[7] + x));
    // Bytes of row pairs, then 16-bit units of row quads, then 32-bit units of all eight rows.
    __m128i b0 = _mm_unpacklo_epi8(a0, a1), b1 = _mm_unpackhi_epi8(a0, a1);
    __m128i b2 = _mm_unpacklo_epi8(a2, a3), b3 = _mm_unpackhi_epi8(a2, a3);
    __m128i b4 = _mm_unpacklo_epi8(a4, a5), b5 = _mm_unpackhi_epi8(a4, a5);
    __m128i b6 = _mm_unpacklo_epi8(a6, a7), b7 = _mm_unpackhi_epi8(a6, a7);
    __m128i c0 = _mm_unpacklo_epi16(b0, b2), c1 = _mm_unpackhi_epi16(b0, b2);
    __m128i c2 = _mm_unpacklo_epi16(b1, b3), c3 = _mm_unpackhi_epi16(b1, b3);
    __m128i c4 = _mm_unpacklo_epi16(b4, b6), c5 = _mm_unpackhi_epi16(b4, b6);
    __m128i c6 = _mm_unpacklo_epi16(b5, b7), c7 = _mm_unpackhi_epi16(b5, b7);
    // c0 holds columns 0–3 of rows 0–3 (4 bytes per column), c4 the same of rows 4–7; so on.
    __m128i quads[4][2] = {{c0, c4}, {c1, c5}, {c2, c6}, {c3, c7}};
    const __m128i zero = _mm_setzero_si128();
    for (int q = 0; q < 4; q++) {
        __m128i lo = _mm_unpacklo_epi32(quads[q][0], quads[q][1]);   // columns 4q, 4q+1: 8 bytes each
        __m128i hi = _mm_unpackhi_epi32(quads[q][0], quads[q][1]);   // columns 4q+2, 4q+3
        out[4 * q + 0] = _mm_unpacklo_epi8(lo, zero);
        out[4 * q + 1] = _mm_unpackhi_epi8(lo, zero);
        out[4 * q + 2] = _mm_unpacklo_epi8(hi, zero);
        out[4 * q + 3] = _mm_unpackhi_epi8(hi, zero);
    }
}

/// Pillow's (1 << 21) + Σ shifted down by 22, from the sums (hi part, lo part) of four lanes; not yet clipped.
static inline __m128i shifted(__m128i h, __m128i l) {
    __m128i s = _mm_add_epi32(_mm_add_epi32(_mm_slli_epi32(h, 11), l), _mm_set1_epi32(1 << 21));
    return _mm_srai_epi32(s, 22);
}

/// … clipped to 0…255, as floats.
static inline __m128 clipped(__m128i h, __m128i l) {
    __m128 v = _mm_cvtepi32_ps(shifted(h, l));
    return _mm_min_ps(_mm_max_ps(v, _mm_setzero_ps()), _mm_set1_ps(255));
}

/// The sums of one output for rows 0–7 with 256-bit pmaddwd: a pixel pair's rows 0–3 and 4–7 lie side by side.
AVX2 static void sums8_avx2(const __m128i *p, const __m128i *w, int pairs, __m128i *ha, __m128i *la, __m128i *hb, __m128i *lb) {
    __m256i h = _mm256_setzero_si256(), l = h;
    for (int m = 0; m < pairs; m++) {
        __m256i a = _mm256_loadu_si256((const __m256i *)(p + 4 * m));
        h = _mm256_add_epi32(h, _mm256_madd_epi16(a, _mm256_broadcastsi128_si256(w[2 * m])));
        l = _mm256_add_epi32(l, _mm256_madd_epi16(a, _mm256_broadcastsi128_si256(w[2 * m + 1])));
    }
    *ha = _mm256_castsi256_si128(h);
    *hb = _mm256_extracti128_si256(h, 1);
    *la = _mm256_castsi256_si128(l);
    *lb = _mm256_extracti128_si256(l, 1);
}

void merclip_resample_rows8(const uint8_t *src, ptrdiff_t stride, int rows, int span_lo, int span,
                            int outs, const int32_t *first, const int32_t *pairs, const int16_t *weights,
                            int max_pairs, void *scratch, int16_t *dst, ptrdiff_t pitch) {
    const uint8_t *r[8];
    for (int l = 0; l < 8; l++) r[l] = src + (ptrdiff_t)(l < rows ? l : rows - 1) * stride + span_lo;
    // The columns (span + 1, the last one repeated), then two pair vectors per column.
    __m128i *col = (__m128i *)(((uintptr_t)scratch + 15) & ~(uintptr_t)15);
    __m128i *pair = col + span + 1;
    int x = 0;
    for (; x + 16 <= span; x += 16) columns16(r, x, col + x);
    for (; x < span; x++) {
        int16_t v[8];
        for (int l = 0; l < 8; l++) v[l] = r[l][x];
        memcpy(&col[x], v, sizeof v);
    }
    col[span] = col[span - 1];
    // Pixel pairs (x, x + 1) of rows 0–3 and of rows 4–7, for pmaddwd.
    for (x = 0; x < span; x++) {
        pair[2 * x] = _mm_unpacklo_epi16(col[x], col[x + 1]);
        pair[2 * x + 1] = _mm_unpackhi_epi16(col[x], col[x + 1]);
    }
    const __m128i *w = (const __m128i *)weights;
    const __m128i low = _mm_setzero_si128(), high = _mm_set1_epi16(255);
    const int avx2 = merclip_resample_avx2();
    for (int j = 0; j < outs; j += 4) {
        __m128 top[4], bottom[4];
        int n = outs - j < 4 ? outs - j : 4;
        for (int t = 0; t < 4; t++) {
            int jj = j + (t < n ? t : n - 1);
            const __m128i *p = pair + 2 * (first[jj] - span_lo);
            const __m128i *wj = w + (ptrdiff_t)jj * max_pairs * 2;
            __m128i ha, la, hb, lb;
            if (avx2) {
                sums8_avx2(p, wj, pairs[jj], &ha, &la, &hb, &lb);
            } else {
                ha = _mm_setzero_si128(), la = ha, hb = ha, lb = ha;
                for (int m = 0; m < pairs[jj]; m++) {
                    __m128i a = p[4 * m], b = p[4 * m + 1], wh = wj[2 * m], wl = wj[2 * m + 1];
                    ha = _mm_add_epi32(ha, _mm_madd_epi16(a, wh));
                    la = _mm_add_epi32(la, _mm_madd_epi16(a, wl));
                    hb = _mm_add_epi32(hb, _mm_madd_epi16(b, wh));
                    lb = _mm_add_epi32(lb, _mm_madd_epi16(b, wl));
                }
            }
            top[t] = _mm_castsi128_ps(shifted(ha, la));
            bottom[t] = _mm_castsi128_ps(shifted(hb, lb));
        }
        // Four outputs of four rows each, turned into four rows of four outputs (32-bit lanes moved as floats).
        _MM_TRANSPOSE4_PS(top[0], top[1], top[2], top[3]);
        _MM_TRANSPOSE4_PS(bottom[0], bottom[1], bottom[2], bottom[3]);
        for (int l = 0; l < rows; l++) {
            __m128i v = _mm_castps_si128(l < 4 ? top[l] : bottom[l - 4]);
            v = _mm_packs_epi32(v, v);
            v = _mm_min_epi16(_mm_max_epi16(v, low), high);
            int16_t *o = dst + (ptrdiff_t)l * pitch + j;
            if (n == 4) {
                _mm_storel_epi64((__m128i *)o, v);
            } else {
                int16_t tmp[8];
                _mm_storeu_si128((__m128i *)tmp, v);
                memcpy(o, tmp, (size_t)n * sizeof(int16_t));
            }
        }
    }
}

/// `clipped` for eight lanes.
AVX2 static inline __m256 clipped256(__m256i h, __m256i l) {
    __m256i s = _mm256_add_epi32(_mm256_add_epi32(_mm256_slli_epi32(h, 11), l), _mm256_set1_epi32(1 << 21));
    __m256 v = _mm256_cvtepi32_ps(_mm256_srai_epi32(s, 22));
    return _mm256_min_ps(_mm256_max_ps(v, _mm256_setzero_ps()), _mm256_set1_ps(255));
}

/// The vertical pass 16 columns at a time with 256-bit pmaddwd, from column 0; returns the first column left.
AVX2 static int columns16_avx2(const int16_t *temp, ptrdiff_t pitch, int rows, int first, int pairs,
                               const __m128i *w, int width, float *out) {
    int x = 0;
    for (; x + 16 <= width; x += 16) {
        __m256i h0 = _mm256_setzero_si256(), l0 = h0, h1 = h0, l1 = h0;
        for (int m = 0; m < pairs; m++) {
            int r0 = first + 2 * m, r1 = r0 + 1 < rows ? r0 + 1 : r0;
            __m256i a = _mm256_loadu_si256((const __m256i *)(temp + (ptrdiff_t)r0 * pitch + x));
            __m256i b = _mm256_loadu_si256((const __m256i *)(temp + (ptrdiff_t)r1 * pitch + x));
            // Within each 128-bit half: columns 0–3 (+8) in lo, 4–7 (+8) in hi.
            __m256i lo = _mm256_unpacklo_epi16(a, b), hi = _mm256_unpackhi_epi16(a, b);
            __m256i wh = _mm256_broadcastsi128_si256(w[2 * m]), wl = _mm256_broadcastsi128_si256(w[2 * m + 1]);
            h0 = _mm256_add_epi32(h0, _mm256_madd_epi16(lo, wh));
            l0 = _mm256_add_epi32(l0, _mm256_madd_epi16(lo, wl));
            h1 = _mm256_add_epi32(h1, _mm256_madd_epi16(hi, wh));
            l1 = _mm256_add_epi32(l1, _mm256_madd_epi16(hi, wl));
        }
        __m256 v0 = clipped256(h0, l0), v1 = clipped256(h1, l1);
        _mm256_storeu_ps(out + x, _mm256_permute2f128_ps(v0, v1, 0x20));
        _mm256_storeu_ps(out + x + 8, _mm256_permute2f128_ps(v0, v1, 0x31));
    }
    return x;
}

void merclip_resample_columns(const int16_t *temp, ptrdiff_t pitch, int rows, int first, int pairs,
                              const int16_t *weights, int width, float *out) {
    const __m128i *w = (const __m128i *)weights;
    int x0 = merclip_resample_avx2() ? columns16_avx2(temp, pitch, rows, first, pairs, w, width, out) : 0;
    for (int x = x0; x < width; x += 8) {
        __m128i ha = _mm_setzero_si128(), la = ha, hb = ha, lb = ha;
        for (int m = 0; m < pairs; m++) {
            // The second row of a last pair may lie past the rows: its weight is zero.
            int r0 = first + 2 * m, r1 = r0 + 1 < rows ? r0 + 1 : r0;
            __m128i a = _mm_loadu_si128((const __m128i *)(temp + (ptrdiff_t)r0 * pitch + x));
            __m128i b = _mm_loadu_si128((const __m128i *)(temp + (ptrdiff_t)r1 * pitch + x));
            __m128i lo = _mm_unpacklo_epi16(a, b), hi = _mm_unpackhi_epi16(a, b), wh = w[2 * m], wl = w[2 * m + 1];
            ha = _mm_add_epi32(ha, _mm_madd_epi16(lo, wh));
            la = _mm_add_epi32(la, _mm_madd_epi16(lo, wl));
            hb = _mm_add_epi32(hb, _mm_madd_epi16(hi, wh));
            lb = _mm_add_epi32(lb, _mm_madd_epi16(hi, wl));
        }
        __m128 v0 = clipped(ha, la), v1 = clipped(hb, lb);
        if (x + 8 <= width) {
            _mm_storeu_ps(out + x, v0);
            _mm_storeu_ps(out + x + 4, v1);
        } else {
            float tmp[8];
            _mm_storeu_ps(tmp, v0);
            _mm_storeu_ps(tmp + 4, v1);
            memcpy(out + x, tmp, (size_t)(width - x) * sizeof(float));
        }
    }
}

#else

// Other CPUs: the same integer arithmetic one value at a time.

int merclip_resample_avx2(void) { return 0; }

void merclip_resample_use_avx2(int on) { (void)on; }

/// Pillow's clip8 of (1 << 21) + Σ over the pairs of `weights` (hi·2048 + lo) times value(i) for i from `first`.
static inline int16_t pillow(const int16_t *w, int pairs, const uint8_t *row, int first, int last,
                             const int16_t *column, ptrdiff_t pitch, int rows) {
    int32_t ss = 1 << 21;
    for (int m = 0; m < pairs; m++) {
        for (int t = 0; t < 2; t++) {
            int i = first + 2 * m + t;
            int32_t weight = (int32_t)w[m * 16 + t] * 2048 + w[m * 16 + 8 + t];
            int32_t v = row ? row[i <= last ? i : last] : column[(ptrdiff_t)(i < rows ? i : rows - 1) * pitch];
            ss += v * weight;
        }
    }
    ss >>= 22;
    return (int16_t)(ss < 0 ? 0 : ss > 255 ? 255 : ss);
}

void merclip_resample_rows8(const uint8_t *src, ptrdiff_t stride, int rows, int span_lo, int span,
                            int outs, const int32_t *first, const int32_t *pairs, const int16_t *weights,
                            int max_pairs, void *scratch, int16_t *dst, ptrdiff_t pitch) {
    (void)scratch;
    for (int l = 0; l < rows; l++)
        for (int j = 0; j < outs; j++)
            dst[l * pitch + j] = pillow(weights + (ptrdiff_t)j * max_pairs * 16, pairs[j], src + (ptrdiff_t)l * stride,
                                        first[j], span_lo + span - 1, NULL, 0, 0);
}

void merclip_resample_columns(const int16_t *temp, ptrdiff_t pitch, int rows, int first, int pairs,
                              const int16_t *weights, int width, float *out) {
    for (int x = 0; x < width; x++) out[x] = pillow(weights, pairs, NULL, first, 0, temp + x, pitch, rows);
}

#endif
