/**
 * @file vg_dlq.c
 * @brief DeadLetter records (see vg_dlq.h).
 */
#include "vg_dlq.h"

#include <stdio.h>

vg_err_t vg_dlq_encode(vg_avro_registry_t *reg, const vg_dlq_src_t *src,
                       const char *error_class, const char *message,
                       const char *processor, int64_t now_ms, void **bufp,
                       size_t *lenp, char *errstr, size_t errstr_size)
{
        vg_avro_schema_t *sch = vg_avro_registry_by_name(reg, "DeadLetter");
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
        vg_avro_set_str(&val, "source_topic", src->topic ? src->topic : "");
        vg_avro_set_int(&val, "source_partition", src->partition);
        vg_avro_set_long(&val, "source_offset", src->offset);
        vg_avro_set_str(&val, "error_class", error_class);
        vg_avro_set_str(&val, "error_message", message);
        vg_avro_set_str(&val, "processor", processor);
        vg_avro_set_long(&val, "failed_at", now_ms);
        err = vg_avro_encode(sch, &val, bufp, lenp, errstr, errstr_size);
        avro_value_decref(&val);
        return err;
}
