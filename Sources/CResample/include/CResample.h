// CResample: Pillow's two 8-bit bicubic passes in its own integer arithmetic (SSE2, AVX2 where the CPU has it).
#ifndef MERCLIP_CRESAMPLE_H
#define MERCLIP_CRESAMPLE_H

#include <stddef.h>
#include <stdint.h>

/// Whether the passes use AVX2 (where the CPU has it; the same values as with SSE2).
int merclip_resample_avx2(void);
/// Turns AVX2 off (0) or back on where the CPU has it (1).
void merclip_resample_use_avx2(int on);

/// Weights: per output, pairs of inputs, each as 8 int16 of (hi₀, hi₁) repeated, then 8 of (lo₀, lo₁),
/// where Pillow's 22-bit weight is hi·2048 + lo, 0 ≤ lo < 2048 (a pair's second weight is zero past the
/// inputs the output reads). Results are Pillow's clip8((1 << 21) + Σ input·weight).

/// The horizontal pass for one block of up to 8 rows: row l is `src + min(l, rows − 1) * stride`, its pixel x
/// at byte x (one channel, left to right). Output j reads pixels from `first[j]` in `pairs[j]` pairs with
/// the weights at `weights + j * max_pairs * 16`, all inside `span_lo … span_lo + span − 1` except the
/// second of a last pair. Results go to `dst[l * pitch + j]` for l < rows, j < outs. `scratch` holds at
/// least 48 · span + 32 bytes.
void merclip_resample_rows8(const uint8_t *src, ptrdiff_t stride, int rows, int span_lo, int span,
                            int outs, const int32_t *first, const int32_t *pairs, const int16_t *weights,
                            int max_pairs, void *scratch, int16_t *dst, ptrdiff_t pitch);

/// The vertical pass for one output row: `out[x]` (x < width, as floats) from the `rows` rows of `temp`
/// (`pitch` values apart, pitch a multiple of 8 ≥ width) starting at row `first`, in `pairs` pairs with `weights`.
void merclip_resample_columns(const int16_t *temp, ptrdiff_t pitch, int rows, int first, int pairs,
                              const int16_t *weights, int width, float *out);

#endif
