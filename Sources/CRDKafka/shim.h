#ifndef MERCLIP_CRDKAFKA_SHIM_H
#define MERCLIP_CRDKAFKA_SHIM_H
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

/* Macros that Swift cannot import, as inline functions. */
static inline int64_t merclip_rd_kafka_offset_beginning(void) { return RD_KAFKA_OFFSET_BEGINNING; }
static inline int64_t merclip_rd_kafka_offset_end(void) { return RD_KAFKA_OFFSET_END; }
static inline int64_t merclip_rd_kafka_offset_stored(void) { return RD_KAFKA_OFFSET_STORED; }
static inline int64_t merclip_rd_kafka_offset_invalid(void) { return RD_KAFKA_OFFSET_INVALID; }
static inline int32_t merclip_rd_kafka_partition_ua(void) { return RD_KAFKA_PARTITION_UA; }
static inline int merclip_rd_kafka_msg_f_copy(void) { return RD_KAFKA_MSG_F_COPY; }

/* rd_kafka_producev is variadic; this covers the producer's needs. */
static inline rd_kafka_resp_err_t merclip_rd_kafka_produce(rd_kafka_t *rk, const char *topic,
        int32_t partition, const void *key, size_t key_len, const void *payload, size_t len,
        rd_kafka_headers_t *headers, void *opaque) {
    return rd_kafka_producev(rk,
        RD_KAFKA_V_TOPIC(topic),
        RD_KAFKA_V_PARTITION(partition),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_KEY(key, key_len),
        RD_KAFKA_V_VALUE((void *)payload, len),
        RD_KAFKA_V_HEADERS(headers),
        RD_KAFKA_V_OPAQUE(opaque),
        RD_KAFKA_V_END);
}
#endif
