// CResample: Pillow's horizontal 8-bit bicubic pass in its own integer arithmetic, eight rows at a time (SSE2).
#ifndef MERCLIP_CRESAMPLE_H
#define MERCLIP_CRESAMPLE_H

#include <stddef.h>
#include <stdint.h>

/// Bytes of scratch `merclip_resample_rows8` needs for `span` source columns (16-byte aligned).
size_t merclip_resample_scratch_bytes(int span);

/// One block of up to 8 rows: row l is `src + min(l, rows - 1) * stride`, its pixel x at byte x (one
/// channel, left to right). Output j of the row reads pixels `first[j] … first[j] + 2·pairs[j] − 1`, all
/// inside `span_lo … span_lo + span − 1` except a last one whose weight is zero, with the weights of
/// `weights + j * max_pairs * 16`: per pair of pixels 8 int16 of (hi₀, hi₁) repeated, then 8 of (lo₀, lo₁),
/// where Pillow's 22-bit weight is hi·2048 + lo, 0 ≤ lo < 2048. Each result is Pillow's
/// clip8((1 << 21) + Σ pixel·weight) as a float, stored at `dst[l * dst_stride + j]` for l < rows.
void merclip_resample_rows8(const uint8_t *src, ptrdiff_t stride, int rows, int span_lo, int span,
                            int outs, const int32_t *first, const int32_t *pairs, const int16_t *weights,
                            int max_pairs, void *scratch, float *dst, ptrdiff_t dst_stride);

#endif
