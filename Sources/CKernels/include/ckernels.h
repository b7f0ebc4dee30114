/* Small AVX2 + FMA kernels (attention blocks, the int8 product, activation range and quantisation) the Swift code cannot express at that width (the package builds for baseline
   x86-64): each is compiled for AVX2 alone and called only after ck_has_avx2_fma() said yes. */
#ifndef MERCLIP_CKERNELS_H
#define MERCLIP_CKERNELS_H

/* 1 when the CPU and the OS run AVX2 and FMA instructions (CPUID and XGETBV), else 0. */
int ck_has_avx2_fma(void);

/* Floats of scratch ck_attention needs for qLen queries, n keys and headDim values per row. */
long ck_attention_scratch(long qLen, long n, long headDim);

/* One (sequence, head) block of scaled dot-product attention, all of it in `scratch`:
   out[i, :] = softmax_j(scale * q[i, :] . k[j, :]) v[j, :] over keys j < n (and j <= i when causal).
   Rows of q, k, v and out are headDim floats apart by ldq, ldk, ldv, ldo; headDim is a multiple of 8; n >= 1.
   `next` (or NULL): the q, k and v of the block to run next (same leading dimensions, qLen queries, nextKeys keys),
   fetched into L2 while this one computes. */
void ck_attention(const float *q, long ldq, const float *k, long ldk, const float *v, long ldv, float *out, long ldo,
                  long qLen, long n, long headDim, float scale, int causal, float *scratch,
                  const float *const *next, long nextKeys);

/* Smallest and largest value of x [rows, cols] (leading dimension ld) into *lo and *hi (+inf / -inf when empty). */
void ck_range(const float *x, long rows, long cols, long ld, float *lo, float *hi);

/* out [rows, cols] (dense) = clamp(round(x * inv + zero), 0, 255) for x [rows, cols] (leading dimension ld),
   rounding to nearest even. */
void ck_quantize_u8(const float *x, long rows, long cols, long ld, float inv, float zero, unsigned char *out);

/* Per row i of x [rows, cols] (leading dimension ld): the row's range (with 0) in 127 steps, scale[i] and zero[i]
   (an integer), and out [rows, cols] (dense) = clamp(round(x / scale[i] + zero[i]), 0, 127). */
void ck_quantize_rows_u7(const float *x, long rows, long cols, long ld, unsigned char *out, float *scale, float *zero);

/* Per row i of x as ck_quantize_rows_u7, in 255 steps: out = clamp(round(x / scale[i] + zero[i]), 0, 255). */
void ck_quantize_rows_u8(const float *x, long rows, long cols, long ld, unsigned char *out, float *scale, float *zero);

/* Bytes ck_pack_s8 writes for a weight [n, k]. */
long ck_pack_s8_bytes(long n, long k);

/* Packs s8 weights w [n, k] (row-major, |w| <= 63; n a multiple of 16, k of 8) for ck_gemm_u8s8; `out` is
   64-byte aligned. */
void ck_pack_s8(const signed char *w, long n, long k, signed char *out);

/* c[i, j] = act(rowScale[i] * colScale[j] * (a[i, :] . w[j, :] - rowZero[i] * colSum[j]) + bias[j]), added to c
   when `accumulate`, for a [m, k] u8 (dense, values <= 127) and w packed by ck_pack_s8. bias may be NULL.
   activation: 0 none, 1 relu, 2 quick_gelu, 3 gelu (erf), 4 gelu (tanh). */
void ck_gemm_u8s8(const unsigned char *a, long m, const signed char *packed, long n, long k,
                  const float *rowScale, const float *rowZero, const float *colScale, const float *colSum,
                  const float *bias, int activation, int accumulate, float *c, long ldc);

/* 1 when the CPU and the OS run AVX-512 (F, BW, VL) with VNNI, and AVX2 and FMA, else 0. */
int ck_has_avx512_vnni(void);

/* Bytes ck_pack_s8_vnni writes for a weight [n, k]. */
long ck_pack_s8_vnni_bytes(long n, long k);

/* Packs s8 weights w [n, k] (row-major, |w| <= 127; n a multiple of 32, k of 4) for ck_gemm_u8s8_vnni; `out` is
   64-byte aligned. */
void ck_pack_s8_vnni(const signed char *w, long n, long k, signed char *out);

/* ck_gemm_u8s8 on AVX-512 VNNI: the same result for a [m, k] u8 (dense, any value) and w packed by ck_pack_s8_vnni. */
void ck_gemm_u8s8_vnni(const unsigned char *a, long m, const signed char *packed, long n, long k,
                       const float *rowScale, const float *rowZero, const float *colScale, const float *colSum,
                       const float *bias, int activation, int accumulate, float *c, long ldc);

#endif
