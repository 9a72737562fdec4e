/**
 * @file vg_avro_access.c
 * @brief Field accessors: get and set record fields by name, through
 *        nullable unions, with a per-thread field-order hint
 *        (see vg_avro.h).
 */
#include <string.h>

#include "vg_avro.h"
#include "vg_avro_int.h"
#include "vg_mem.h"

/* Where the last field lookup of this thread matched: records are mostly
 * read and written in field order, so the next name is tried there first
 * (one strcmp) before avro-c's lookup by name. */
static _Thread_local size_t vg_avro_field_hint;

/** avro_value_get_by_name(), through the field order hint. */
static int vg_avro_field_by_name(const avro_value_t *rec, const char *name,
                                 avro_value_t *f)
{
        const vg_avro_rcache_t *e =
                vg_avro_rcache_get(avro_value_get_schema(rec));
        const vg_avro_rmeta_t *rm = e->rm;

        if (rm && rm->nfields > 0) { /* matched: same fields, same order */
                for (size_t k = 0; k < 2; k++) {
                        size_t i = (vg_avro_field_hint + k) % rm->nfields;
                        if (!strcmp(rm->fields[i].name, name)) {
                                vg_avro_field_hint = i + 1;
                                return avro_value_get_by_index(rec, i, f,
                                                               NULL);
                        }
                }
        }
        return avro_value_get_by_name(rec, name, f, NULL);
}

vg_err_t vg_avro_get_field(const avro_value_t *rec, const char *name,
                           avro_value_t *out)
{
        avro_value_t f;
        int disc;

        if (avro_value_get_type(rec) != AVRO_RECORD)
                return VG_ERR_INVALID;
        if (vg_avro_field_by_name(rec, name, &f))
                return VG_ERR_NOENT;
        if (avro_value_get_type(&f) == AVRO_UNION) {
                if (avro_value_get_discriminant(&f, &disc) || disc < 0 ||
                    avro_value_get_current_branch(&f, out))
                        return VG_ERR_NOENT;
        } else {
                *out = f;
        }
        return avro_value_get_type(out) == AVRO_NULL ? VG_ERR_NOENT : VG_OK;
}

vg_err_t vg_avro_get_str(const avro_value_t *rec, const char *name,
                         const char **sp, size_t *lenp)
{
        avro_value_t f;
        size_t size;
        vg_err_t err = vg_avro_get_field(rec, name, &f);

        if (err)
                return err;
        if (avro_value_get_type(&f) != AVRO_STRING ||
            avro_value_get_string(&f, sp, &size))
                return VG_ERR_INVALID;
        if (lenp)
                *lenp = size ? size - 1 : 0;
        return VG_OK;
}

vg_err_t vg_avro_get_bytes(const avro_value_t *rec, const char *name,
                           const void **bufp, size_t *lenp)
{
        avro_value_t f;
        vg_err_t err = vg_avro_get_field(rec, name, &f);

        if (err)
                return err;
        if (avro_value_get_type(&f) != AVRO_BYTES ||
            avro_value_get_bytes(&f, bufp, lenp))
                return VG_ERR_INVALID;
        return VG_OK;
}

vg_err_t vg_avro_get_long(const avro_value_t *rec, const char *name,
                          int64_t *vp)
{
        avro_value_t f;
        int32_t i;
        vg_err_t err = vg_avro_get_field(rec, name, &f);

        if (err)
                return err;
        switch (avro_value_get_type(&f)) {
        case AVRO_INT64:
                avro_value_get_long(&f, vp);
                return VG_OK;
        case AVRO_INT32:
                avro_value_get_int(&f, &i);
                *vp = i;
                return VG_OK;
        default:
                return VG_ERR_INVALID;
        }
}

vg_err_t vg_avro_get_int(const avro_value_t *rec, const char *name,
                         int32_t *vp)
{
        avro_value_t f;
        vg_err_t err = vg_avro_get_field(rec, name, &f);

        if (err)
                return err;
        if (avro_value_get_type(&f) != AVRO_INT32)
                return VG_ERR_INVALID;
        avro_value_get_int(&f, vp);
        return VG_OK;
}

vg_err_t vg_avro_get_double(const avro_value_t *rec, const char *name,
                            double *vp)
{
        avro_value_t f;
        float fl;
        int32_t i;
        int64_t l;
        vg_err_t err = vg_avro_get_field(rec, name, &f);

        if (err)
                return err;
        switch (avro_value_get_type(&f)) {
        case AVRO_DOUBLE:
                avro_value_get_double(&f, vp);
                return VG_OK;
        case AVRO_FLOAT:
                avro_value_get_float(&f, &fl);
                *vp = fl;
                return VG_OK;
        case AVRO_INT32:
                avro_value_get_int(&f, &i);
                *vp = i;
                return VG_OK;
        case AVRO_INT64:
                avro_value_get_long(&f, &l);
                *vp = (double)l;
                return VG_OK;
        default:
                return VG_ERR_INVALID;
        }
}

vg_err_t vg_avro_get_bool(const avro_value_t *rec, const char *name, int *vp)
{
        avro_value_t f;
        vg_err_t err = vg_avro_get_field(rec, name, &f);

        if (err)
                return err;
        if (avro_value_get_type(&f) != AVRO_BOOLEAN)
                return VG_ERR_INVALID;
        avro_value_get_boolean(&f, vp);
        return VG_OK;
}

vg_err_t vg_avro_get_enum(const avro_value_t *rec, const char *name,
                          const char **symbolp)
{
        avro_value_t f;
        int idx;
        vg_err_t err = vg_avro_get_field(rec, name, &f);

        if (err)
                return err;
        if (avro_value_get_type(&f) != AVRO_ENUM ||
            avro_value_get_enum(&f, &idx))
                return VG_ERR_INVALID;
        *symbolp = avro_schema_enum_get(avro_value_get_schema(&f), idx);
        return *symbolp ? VG_OK : VG_ERR_INVALID;
}

/**
 * @brief Resolves field \p name of \p rec for writing: a nullable union
 *        gets its branch of type \p want selected (else its first
 *        non-null branch).
 */
static vg_err_t vg_avro_field_for_set(avro_value_t *rec, const char *name,
                                      avro_type_t want, avro_value_t *out)
{
        avro_value_t f;
        avro_schema_t us;
        size_t i, n;
        int pick = -1;

        if (avro_value_get_type(rec) != AVRO_RECORD)
                return VG_ERR_INVALID;
        if (vg_avro_field_by_name(rec, name, &f))
                return VG_ERR_NOENT;
        if (avro_value_get_type(&f) != AVRO_UNION) {
                *out = f;
                return VG_OK;
        }
        us = avro_value_get_schema(&f);
        n  = avro_schema_union_size(us);
        for (i = 0; i < n && pick < 0; i++)
                if (avro_typeof(avro_schema_union_branch(us, (int)i)) == want)
                        pick = (int)i;
        for (i = 0; i < n && pick < 0; i++)
                if (avro_typeof(avro_schema_union_branch(us, (int)i)) !=
                    AVRO_NULL)
                        pick = (int)i;
        if (pick < 0 || avro_value_set_branch(&f, pick, out))
                return VG_ERR_INVALID;
        return VG_OK;
}

/* \p zterm: s[len] is a NUL (set as is, no copy). */
static vg_err_t vg_avro_set_chars(avro_value_t *rec, const char *name,
                                  const char *s, size_t len, int zterm)
{
        avro_value_t f;
        char *tmp;
        int r;
        vg_err_t err = vg_avro_field_for_set(rec, name, AVRO_STRING, &f);

        if (err)
                return err;
        if (zterm && avro_value_get_type(&f) == AVRO_STRING)
                return avro_value_set_string_len(&f, s, len + 1)
                               ? VG_ERR_INVALID
                               : VG_OK;
        tmp = vg_strndup(s, len);
        if (avro_value_get_type(&f) == AVRO_STRING) {
                r = avro_value_set_string_len(&f, tmp, len + 1);
        } else if (avro_value_get_type(&f) == AVRO_ENUM) {
                int idx = avro_schema_enum_get_by_name(
                    avro_value_get_schema(&f), tmp);
                r = idx < 0 ? -1 : avro_value_set_enum(&f, idx);
        } else {
                r = -1;
        }
        vg_free(tmp);
        return r ? VG_ERR_INVALID : VG_OK;
}

vg_err_t vg_avro_set_strn(avro_value_t *rec, const char *name, const char *s,
                          size_t len)
{
        return vg_avro_set_chars(rec, name, s, len, 0);
}

vg_err_t vg_avro_set_str(avro_value_t *rec, const char *name, const char *s)
{
        return vg_avro_set_chars(rec, name, s, strlen(s), 1);
}

vg_err_t vg_avro_set_enum(avro_value_t *rec, const char *name,
                          const char *symbol)
{
        return vg_avro_set_strn(rec, name, symbol, strlen(symbol));
}

vg_err_t vg_avro_set_bytes(avro_value_t *rec, const char *name,
                           const void *buf, size_t len)
{
        avro_value_t f;
        vg_err_t err = vg_avro_field_for_set(rec, name, AVRO_BYTES, &f);

        if (err)
                return err;
        if (avro_value_get_type(&f) != AVRO_BYTES ||
            avro_value_set_bytes(&f, (void *)buf, len))
                return VG_ERR_INVALID;
        return VG_OK;
}

/** Stores \p v in numeric value \p f, converting to its type. */
static vg_err_t vg_avro_set_number(avro_value_t *f, int64_t v, double d,
                                   int is_double)
{
        switch (avro_value_get_type(f)) {
        case AVRO_INT64:
                if (is_double)
                        return VG_ERR_INVALID;
                return avro_value_set_long(f, v) ? VG_ERR_INVALID : VG_OK;
        case AVRO_INT32:
                if (is_double || v < INT32_MIN || v > INT32_MAX)
                        return VG_ERR_INVALID;
                return avro_value_set_int(f, (int32_t)v) ? VG_ERR_INVALID
                                                         : VG_OK;
        case AVRO_DOUBLE:
                return avro_value_set_double(f, is_double ? d : (double)v)
                           ? VG_ERR_INVALID : VG_OK;
        case AVRO_FLOAT:
                return avro_value_set_float(f, (float)(is_double ? d
                                                                 : (double)v))
                           ? VG_ERR_INVALID : VG_OK;
        default:
                return VG_ERR_INVALID;
        }
}

vg_err_t vg_avro_set_long(avro_value_t *rec, const char *name, int64_t v)
{
        avro_value_t f;
        vg_err_t err = vg_avro_field_for_set(rec, name, AVRO_INT64, &f);

        return err ? err : vg_avro_set_number(&f, v, 0, 0);
}

vg_err_t vg_avro_set_int(avro_value_t *rec, const char *name, int32_t v)
{
        avro_value_t f;
        vg_err_t err = vg_avro_field_for_set(rec, name, AVRO_INT32, &f);

        return err ? err : vg_avro_set_number(&f, v, 0, 0);
}

vg_err_t vg_avro_set_double(avro_value_t *rec, const char *name, double v)
{
        avro_value_t f;
        vg_err_t err = vg_avro_field_for_set(rec, name, AVRO_DOUBLE, &f);

        return err ? err : vg_avro_set_number(&f, 0, v, 1);
}

vg_err_t vg_avro_set_bool(avro_value_t *rec, const char *name, int v)
{
        avro_value_t f;
        vg_err_t err = vg_avro_field_for_set(rec, name, AVRO_BOOLEAN, &f);

        if (err)
                return err;
        if (avro_value_get_type(&f) != AVRO_BOOLEAN ||
            avro_value_set_boolean(&f, !!v))
                return VG_ERR_INVALID;
        return VG_OK;
}

vg_err_t vg_avro_set_null(avro_value_t *rec, const char *name)
{
        avro_value_t f, branch;
        int nidx;

        if (avro_value_get_type(rec) != AVRO_RECORD)
                return VG_ERR_INVALID;
        if (vg_avro_field_by_name(rec, name, &f))
                return VG_ERR_NOENT;
        if (avro_value_get_type(&f) != AVRO_UNION ||
            (nidx = vg_avro_union_null(avro_value_get_schema(&f))) < 0)
                return VG_ERR_INVALID;
        return avro_value_set_branch(&f, nidx, &branch) ? VG_ERR_INVALID
                                                        : VG_OK;
}

vg_err_t vg_avro_append(avro_value_t *rec, const char *name,
                        avro_value_t *elem)
{
        avro_value_t f;
        vg_err_t err = vg_avro_field_for_set(rec, name, AVRO_ARRAY, &f);

        if (err)
                return err;
        if (avro_value_get_type(&f) != AVRO_ARRAY ||
            avro_value_append(&f, elem, NULL))
                return VG_ERR_INVALID;
        vg_avro_defaults(elem, 0);
        return VG_OK;
}

vg_err_t vg_avro_append_str(avro_value_t *rec, const char *name,
                            const char *s)
{
        avro_value_t f, elem;
        vg_err_t err = vg_avro_field_for_set(rec, name, AVRO_ARRAY, &f);

        if (err)
                return err;
        if (avro_value_get_type(&f) != AVRO_ARRAY ||
            avro_typeof(avro_schema_array_items(avro_value_get_schema(&f))) !=
                AVRO_STRING)
                return VG_ERR_INVALID;
        if (avro_value_append(&f, &elem, NULL))
                return VG_ERR_INVALID;
        return avro_value_set_string(&elem, s) ? VG_ERR_INVALID : VG_OK;
}

vg_err_t vg_avro_map_set_str(avro_value_t *rec, const char *name,
                             const char *key, const char *s)
{
        avro_value_t f, child;
        vg_err_t err = vg_avro_field_for_set(rec, name, AVRO_MAP, &f);

        if (err)
                return err;
        if (avro_value_get_type(&f) != AVRO_MAP ||
            avro_typeof(avro_schema_map_values(avro_value_get_schema(&f))) !=
                AVRO_STRING)
                return VG_ERR_INVALID;
        if (avro_value_add(&f, key, &child, NULL, NULL))
                return VG_ERR_INVALID;
        return avro_value_set_string(&child, s) ? VG_ERR_INVALID : VG_OK;
}

const char *vg_avro_str_or(const avro_value_t *rec, const char *name,
                           const char *dflt)
{
        const char *s = NULL;
        return vg_avro_get_str(rec, name, &s, NULL) == VG_OK && s ? s : dflt;
}

int64_t vg_avro_long_or(const avro_value_t *rec, const char *name,
                        int64_t dflt)
{
        int64_t v;
        return vg_avro_get_long(rec, name, &v) == VG_OK ? v : dflt;
}

int32_t vg_avro_int_or(const avro_value_t *rec, const char *name,
                       int32_t dflt)
{
        int32_t v;
        return vg_avro_get_int(rec, name, &v) == VG_OK ? v : dflt;
}
