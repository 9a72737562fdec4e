/**
 * @file vg_dlq.h
 * @brief Dead letters: a record that cannot be decoded or validated is
 *        wrapped, with the reason, in a DeadLetter record (schema
 *        vigie.v1.DeadLetter) for the dead-letter topic.
 */
#ifndef VG_DLQ_H
#define VG_DLQ_H

#include "vg_avro.h"
#include "vg_err.h"

#include <stdint.h>

/** Error classes (DeadLetter.error_class). */
#define VG_DLQ_DECODE     "DECODE"     /**< not Avro / wrong framing */
#define VG_DLQ_SCHEMA     "SCHEMA"     /**< unknown or unexpected schema */
#define VG_DLQ_VALIDATION "VALIDATION" /**< decodes, but a field is bad */
#define VG_DLQ_JSON       "JSON"       /**< a JSON line that won't convert */

/** Longest error_message kept, in bytes (cut at a character boundary). */
#define VG_DLQ_MESSAGE_MAX 4096

/** Where the bad record came from. */
typedef struct vg_dlq_src_s {
        const void *value;
        size_t len;
        const void *key;
        size_t key_len;
        const char *topic;
        int32_t partition;
        int64_t offset;
} vg_dlq_src_t;

/**
 * @brief Encodes a DeadLetter for \p src (wire format, ready to produce).
 *
 * Its texts are Avro strings, so they are made valid UTF-8 (a dead letter
 * that vg_avro_decode() refused would be lost to its readers): the last
 * character of a text is dropped if it is incomplete (a message cut by
 * the caller's fixed-size buffer), any other ill-formed byte becomes
 * U+FFFD, and \p message is cut at a character boundary to
 * VG_DLQ_MESSAGE_MAX bytes. The original value and key are bytes, kept
 * as they are.
 *
 * @param now_ms the failed_at timestamp.
 * @returns VG_OK with \p *bufp (free with vg_free()) and \p *lenp.
 */
vg_err_t vg_dlq_encode(vg_avro_registry_t *reg, const vg_dlq_src_t *src,
                       const char *error_class, const char *message,
                       const char *processor, int64_t now_ms, void **bufp,
                       size_t *lenp, char *errstr, size_t errstr_size);

#endif /* VG_DLQ_H */
