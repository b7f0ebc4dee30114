#ifndef MERCLIP_CFFMPEG_SHIM_H
#define MERCLIP_CFFMPEG_SHIM_H
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavutil/avutil.h>
#include <libavutil/display.h>
#include <libavutil/error.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/tx.h>
#include <libavutil/channel_layout.h>
#include <libswscale/swscale.h>
#include <libswresample/swresample.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Macros that Swift cannot import, as inline functions. */
static inline int merclip_averror(int e) { return AVERROR(e); }
static inline int merclip_averror_eof(void) { return AVERROR_EOF; }
static inline int merclip_averror_eagain(void) { return AVERROR(EAGAIN); }
static inline int64_t merclip_av_nopts_value(void) { return AV_NOPTS_VALUE; }
static inline int merclip_av_time_base(void) { return AV_TIME_BASE; }
static inline const char *merclip_av_err2str(int errnum) {
    static __thread char buf[AV_ERROR_MAX_STRING_SIZE];
    av_strerror(errnum, buf, sizeof buf);
    return buf;
}

/* Error codes defined with FFERRTAG/MKTAG, which Swift cannot import. */
static inline int merclip_averror_exit(void) { return AVERROR_EXIT; }
static inline int merclip_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }
static inline int merclip_averror_decoder_not_found(void) { return AVERROR_DECODER_NOT_FOUND; }
static inline int merclip_averror_stream_not_found(void) { return AVERROR_STREAM_NOT_FOUND; }
static inline int merclip_averror_eio(void) { return AVERROR(EIO); }
static inline int merclip_averror_enomem(void) { return AVERROR(ENOMEM); }

/* Side data and layouts. */
static inline void merclip_channel_layout_mono(AVChannelLayout *l) { av_channel_layout_default(l, 1); }
static inline const int32_t *merclip_stream_display_matrix(const AVStream *st) {
    size_t size = 0;
    const uint8_t *sd = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, &size);
    return (sd && size >= 9 * sizeof(int32_t)) ? (const int32_t *)sd : NULL;
}
#endif
