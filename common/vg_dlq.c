/**
 * @file vg_dlq.c
 * @brief DeadLetter records (see vg_dlq.h).
 */
#include "vg_dlq.h"
#include "vg_utf8.h"

#include <stdio.h>
#include <string.h>

/** @returns \p s as valid UTF-8 of at most \p size - 1 bytes: \p s
 *           itself, or its sanitised copy in \p buf (see vg_dlq.h). */
static const char *vg_dlq_text(char *buf, size_t size, const char *s)
{
        size_t len = strlen(s), n = vg_utf8_trim_partial(s, len);

        if (n == len && n < size && vg_utf8_valid(s, n))
                return s;
        vg_utf8_sanitize(buf, size, s, n);
        return buf;
}

vg_err_t vg_dlq_encode(vg_avro_registry_t *reg, const vg_dlq_src_t *src,
                       const char *error_class, const char *message,
                       const char *processor, int64_t now_ms, void **bufp,
                       size_t *lenp, char *errstr, size_t errstr_size)
{
        vg_avro_schema_t *sch = vg_avro_registry_by_name(reg, "DeadLetter");
        char msg[VG_DLQ_MESSAGE_MAX + 1], cls[64], topic[256], proc[256];
        avro_value_t val;
        vg_err_t err;

        if (!sch) {
                snprintf(errstr, errstr_size,
                         "no DeadLetter schema in the registry");
                return VG_ERR_SCHEMA;
        }
        if ((err = vg_avro_schema_value_new(sch, &val)))
                return err;
        vg_avro_set_bytes(&val, "original", src->value ? src->value : "",
                          src->value ? src->len : 0);
        if (src->key)
                vg_avro_set_bytes(&val, "original_key", src->key,
                                  src->key_len);
        else
                vg_avro_set_null(&val, "original_key");
        vg_avro_set_str(&val, "source_topic",
                        vg_dlq_text(topic, sizeof(topic),
                                    src->topic ? src->topic : ""));
        vg_avro_set_int(&val, "source_partition", src->partition);
        vg_avro_set_long(&val, "source_offset", src->offset);
        vg_avro_set_str(&val, "error_class",
                        vg_dlq_text(cls, sizeof(cls), error_class));
        vg_avro_set_str(&val, "error_message",
                        vg_dlq_text(msg, sizeof(msg), message));
        vg_avro_set_str(&val, "processor",
                        vg_dlq_text(proc, sizeof(proc), processor));
        vg_avro_set_long(&val, "failed_at", now_ms);
        err = vg_avro_encode(sch, &val, bufp, lenp, errstr, errstr_size);
        avro_value_decref(&val);
        return err;
}
