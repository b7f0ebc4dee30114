/* Small AVX2 + FMA kernels (attention blocks, the int8 activation range and quantisation) the Swift code cannot express at that width (the package builds for baseline
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

#endif
