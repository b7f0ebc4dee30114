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
#endif
