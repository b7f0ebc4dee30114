/* The int8 path's activation passes on AVX2: the tensor's range, then u8 = round(x / scale + zero), 32 values
   a time (Swift's SIMD code runs them at SSE width and converts lanes one by one). */
#include "ckernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <math.h>

#include "vector.h"

AVX2 void ck_range(const float *x, long rows, long cols, long ld, float *lo, float *hi) {
    __m256 l0 = _mm256_set1_ps(__builtin_inff()), l1 = l0, h0 = _mm256_set1_ps(-__builtin_inff()), h1 = h0;
    float l = __builtin_inff(), h = -__builtin_inff();
    for (long i = 0; i < rows; i++) {
        const float *r = x + i * ld;
        long j = 0;
        for (; j + 16 <= cols; j += 16) {
            __m256 a = _mm256_loadu_ps(r + j), b = _mm256_loadu_ps(r + j + 8);
            l0 = _mm256_min_ps(l0, a); h0 = _mm256_max_ps(h0, a);
            l1 = _mm256_min_ps(l1, b); h1 = _mm256_max_ps(h1, b);
        }
        for (; j < cols; j++) { l = r[j] < l ? r[j] : l; h = r[j] > h ? r[j] : h; }
    }
    float lv[8], hv[8];
    _mm256_storeu_ps(lv, _mm256_min_ps(l0, l1));
    _mm256_storeu_ps(hv, _mm256_max_ps(h0, h1));
    for (int k = 0; k < 8; k++) { l = lv[k] < l ? lv[k] : l; h = hv[k] > h ? hv[k] : h; }
    *lo = l; *hi = h;
}

AVX2 static inline __m256i quantize8(const float *p, __m256 inv, __m256 zero) {
    /* the clamp to [0, 255] happens in the saturating packs below */
    return _mm256_cvtps_epi32(_mm256_fmadd_ps(_mm256_loadu_ps(p), inv, zero));
}

/* o[j] = clamp(round(r[j] * inv + zero), 0, top) for j < cols, rounding to nearest even */
AVX2 static inline void quantize_row(const float *r, long cols, float inv, float zero, unsigned char top, unsigned char *o) {
    const __m256 vinv = _mm256_set1_ps(inv), vzero = _mm256_set1_ps(zero);
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7), vtop = _mm256_set1_epi8((char)top);
    long j = 0;
    for (; j + 32 <= cols; j += 32) {
        __m256i a = quantize8(r + j, vinv, vzero), b = quantize8(r + j + 8, vinv, vzero);
        __m256i c = quantize8(r + j + 16, vinv, vzero), d = quantize8(r + j + 24, vinv, vzero);
        /* packs work per 128-bit half: the permute puts the 32 bytes back in order */
        __m256i ab = _mm256_packs_epi32(a, b), cd = _mm256_packs_epi32(c, d);
        __m256i bytes = _mm256_min_epu8(_mm256_packus_epi16(ab, cd), vtop);
        _mm256_storeu_si256((__m256i *)(o + j), _mm256_permutevar8x32_epi32(bytes, order));
    }
    for (; j < cols; j++) {
        float v = nearbyintf(r[j] * inv + zero);
        o[j] = (unsigned char)(v < 0 ? 0 : v > top ? top : v);
    }
}

AVX2 void ck_quantize_u8(const float *x, long rows, long cols, long ld, float inv, float zero, unsigned char *out) {
    for (long i = 0; i < rows; i++) quantize_row(x + i * ld, cols, inv, zero, 255, out + i * cols);
}

/* each row over its own range (with 0) in `top` steps */
AVX2 static void quantize_rows(const float *x, long rows, long cols, long ld, unsigned char top, unsigned char *out,
                               float *scale, float *zero) {
    for (long i = 0; i < rows; i++) {
        float lo, hi;
        ck_range(x + i * ld, 1, cols, ld, &lo, &hi);
        lo = lo < 0 ? lo : 0; hi = hi > 0 ? hi : 0;
        float s = hi > lo ? (hi - lo) / top : 1, z = nearbyintf(-lo / s);
        z = z < 0 ? 0 : z > top ? top : z;
        scale[i] = s; zero[i] = z;
        quantize_row(x + i * ld, cols, 1 / s, z, top, out + i * cols);
    }
}

AVX2 void ck_quantize_rows_u7(const float *x, long rows, long cols, long ld, unsigned char *out, float *scale, float *zero) {
    quantize_rows(x, rows, cols, ld, 127, out, scale, zero);
}

AVX2 void ck_quantize_rows_u8(const float *x, long rows, long cols, long ld, unsigned char *out, float *scale, float *zero) {
    quantize_rows(x, rows, cols, ld, 255, out, scale, zero);
}

#else
/* not x86: ck_has_avx2_fma() says no, and these are never called */
void ck_range(const float *x, long rows, long cols, long ld, float *lo, float *hi) {
    (void)x; (void)rows; (void)cols; (void)ld; *lo = 0; *hi = 0;
}
void ck_quantize_u8(const float *x, long rows, long cols, long ld, float inv, float zero, unsigned char *out) {
    (void)x; (void)rows; (void)cols; (void)ld; (void)inv; (void)zero; (void)out;
}
void ck_quantize_rows_u7(const float *x, long rows, long cols, long ld, unsigned char *out, float *scale, float *zero) {
    (void)x; (void)rows; (void)cols; (void)ld; (void)out; (void)scale; (void)zero;
}
void ck_quantize_rows_u8(const float *x, long rows, long cols, long ld, unsigned char *out, float *scale, float *zero) {
    (void)x; (void)rows; (void)cols; (void)ld; (void)out; (void)scale; (void)zero;
}
#endif
