/**
 * @file vg_avro_wire.c
 * @brief Confluent wire format: encode, decode, and the bounds-checked
 *        walk every untrusted body passes before avro-c reads it
 *        (see vg_avro.h).
 *
 * Layout of this file:
 *   1. binary validation of untrusted bodies
 *   2. wire-format encode/decode
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vg_avro.h"
#include "vg_avro_int.h"
#include "vg_log.h"
#include "vg_mem.h"
#include "vg_sr.h"
#include "vg_utf8.h"

/* ------------------------------------------------------------------ */
/* 1. Binary validation of untrusted bodies                           */
/* ------------------------------------------------------------------ */

/* avro-c trusts lengths and counts it reads (a 2^60-byte string length
 * is an allocation attempt). Every body is walked here first, with
 * bounds checks, so avro-c only ever reads a well-formed body. */

/* A failure is described where it happens (what, where, why) and the
 * path of the field holding it ("top_factors[2].name") is built while
 * the walk unwinds, right to left at the end of path[]: nothing is
 * spent on names while the body is fine. */
typedef struct {
        const uint8_t *start;
        const uint8_t *p;
        const uint8_t *end;
        const char *what;   /**< "truncated", "corrupt", or NULL when the
                             *   reason says it all (invalid UTF-8) */
        size_t at;          /**< body offset of the failure */
        char reason[160];
        char path[192];     /**< the field, in path[pstart..] */
        size_t pstart;
        int elided;         /**< path too long: starts with "..." */
} vg_bin_t;

static int vg_bin_fail(vg_bin_t *b, const char *what, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int vg_bin_fail(vg_bin_t *b, const char *what, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(b->reason, sizeof(b->reason), fmt, ap);
        va_end(ap);
        b->what = what;
        b->at   = (size_t)(b->p - b->start);
        return -1;
}

/** Prepends \p s (\p n bytes) to the failing field's path; "..." when it
 *  no longer fits. */
static void vg_bin_prepend(vg_bin_t *b, const char *s, size_t n)
{
        if (b->elided)
                return;
        if (n + 3 > b->pstart) { /* 3 bytes are always left for "..." */
                b->pstart -= 3;
                memcpy(b->path + b->pstart, "...", 3);
                b->elided = 1;
                return;
        }
        b->pstart -= n;
        memcpy(b->path + b->pstart, s, n);
}

/** Prepends a component of the path: a field name or an index, with a
 *  "." before what follows unless it is an index ("a[2].b"). */
static void vg_bin_prepend_part(vg_bin_t *b, const char *s, size_t n)
{
        if (b->path[b->pstart] && b->path[b->pstart] != '[')
                vg_bin_prepend(b, ".", 1);
        vg_bin_prepend(b, s, n);
}

/** The failure was in field \p name of a record. */
static void vg_bin_in_field(vg_bin_t *b, const char *name)
{
        vg_bin_prepend_part(b, name, strlen(name));
}

/** The failure was in item \p i of an array, or in the value of map key
 *  \p key (\p klen bytes; NULL for an array), named by the key when it is
 *  short, printable text, else by its index. */
static void vg_bin_in_item(vg_bin_t *b, int64_t i, const uint8_t *key,
                           size_t klen)
{
        char idx[48];
        size_t k;
        int n;

        for (k = 0; key && k < klen && klen <= 32; k++)
                if (key[k] < 0x20 || key[k] == '"' || key[k] == '\\')
                        break;
        if (key && k == klen && klen <= 32 && vg_utf8_valid(key, klen))
                n = snprintf(idx, sizeof(idx), "[\"%.*s\"]", (int)klen,
                             (const char *)key);
        else
                n = snprintf(idx, sizeof(idx), "[%" PRId64 "]", i);
        vg_bin_prepend_part(b, idx, (size_t)n);
}

/** Writes the failure into \p errstr. */
static void vg_bin_report(const vg_bin_t *b, char *errstr, size_t errstr_size)
{
        const char *path = b->path + b->pstart;

        if (!b->what && *path)
                snprintf(errstr, errstr_size, "field \"%s\": %s", path,
                         b->reason);
        else if (!b->what)
                snprintf(errstr, errstr_size, "%s", b->reason);
        else if (*path)
                snprintf(errstr, errstr_size,
                         "%s Avro body at offset %zu of %zu: %s "
                         "(field \"%s\")", b->what, b->at,
                         (size_t)(b->end - b->start), b->reason, path);
        else
                snprintf(errstr, errstr_size,
                         "%s Avro body at offset %zu of %zu: %s", b->what,
                         b->at, (size_t)(b->end - b->start), b->reason);
}

static size_t vg_bin_left(const vg_bin_t *b)
{
        return (size_t)(b->end - b->p);
}

/** Reads a zig-zag varint long. */
static int vg_bin_long(vg_bin_t *b, int64_t *vp)
{
        uint64_t u = 0;
        int i;

        for (i = 0; i < 10; i++) {
                uint8_t byte;
                if (b->p >= b->end)
                        return vg_bin_fail(b, "truncated", "varint cut short");
                byte = *b->p++;
                if (i == 9 && byte > 1)
                        return vg_bin_fail(b, "corrupt", "varint too long");
                u |= (uint64_t)(byte & 0x7f) << (7 * i);
                if (!(byte & 0x80)) {
                        *vp = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
                        return 0;
                }
        }
        return vg_bin_fail(b, "corrupt", "varint too long");
}

static int vg_bin_skip(vg_bin_t *b, size_t n, const char *what)
{
        if (n > vg_bin_left(b))
                return vg_bin_fail(b, "truncated", "%s of %zu bytes, %zu left",
                                   what, n, vg_bin_left(b));
        b->p += n;
        return 0;
}

/** A length-prefixed value: sets \p *sp and \p *lenp to its bytes. */
static int vg_bin_lenbytes(vg_bin_t *b, const char *what, const uint8_t **sp,
                           size_t *lenp)
{
        int64_t len;

        if (vg_bin_long(b, &len))
                return -1;
        if (len < 0)
                return vg_bin_fail(b, "corrupt", "negative %s length %" PRId64,
                                   what, len);
        *sp = b->p;
        if (vg_bin_skip(b, (size_t)len, what))
                return -1;
        *lenp = (size_t)len;
        return 0;
}

/** A string, or a map key if \p is_key: Avro strings are UTF-8, which
 *  avro-c does not check. The reason names the offending byte of the
 *  string (0-based), the callers the field. */
static int vg_bin_string(vg_bin_t *b, int is_key, const uint8_t **sp,
                         size_t *lenp)
{
        const uint8_t *s;
        size_t len, ok;

        if (vg_bin_lenbytes(b, is_key ? "map key" : "string", sp, lenp))
                return -1;
        s   = *sp;
        len = *lenp;
        if ((ok = vg_utf8_valid_prefix(s, len)) == len)
                return 0;
        vg_bin_fail(b, NULL, "invalid UTF-8%s at byte %zu (0x%02x) of %zu",
                    is_key ? " in a map key" : "", ok, s[ok],
                    len);
        b->at = (size_t)(s + ok - b->start);
        return -1;
}

/** @returns the fewest bytes a value of \p schema can take. */
static size_t vg_bin_minsize(avro_schema_t schema, int depth)
{
        size_t i, n = 0;

        if (depth > VG_AVRO_MAX_DEPTH)
                return 0;
        switch (avro_typeof(schema)) {
        case AVRO_NULL:
        case AVRO_LINK:
                return 0;
        case AVRO_FLOAT:
                return 4;
        case AVRO_DOUBLE:
                return 8;
        case AVRO_FIXED:
                return (size_t)avro_schema_fixed_size(schema);
        case AVRO_RECORD:
                for (i = 0; i < avro_schema_record_size(schema); i++)
                        n += vg_bin_minsize(
                            avro_schema_record_field_get_by_index(schema,
                                                                  (int)i),
                            depth + 1);
                return n;
        default:
                return 1;
        }
}

static int vg_bin_walk(vg_bin_t *b, avro_schema_t schema, int depth);

/** An array or a map: blocks of (count, [byte size,] items). */
static int vg_bin_blocks(vg_bin_t *b, avro_schema_t schema, int is_map,
                         int depth)
{
        avro_schema_t items = is_map ? avro_schema_map_values(schema)
                                     : avro_schema_array_items(schema);
        size_t minsz = vg_bin_minsize(items, depth + 1) + (is_map ? 1 : 0);
        uint64_t total = 0;
        int64_t count, bsize, i, index = 0;

        for (;;) {
                if (vg_bin_long(b, &count))
                        return -1;
                if (count == 0)
                        return 0;
                if (count < 0) {
                        if (count == INT64_MIN)
                                return vg_bin_fail(b, "corrupt",
                                                   "bad block count");
                        count = -count;
                        if (vg_bin_long(b, &bsize))
                                return -1;
                        if (bsize < 0 || (uint64_t)bsize > vg_bin_left(b))
                                return vg_bin_fail(b, "corrupt",
                                                   "bad block size %" PRId64,
                                                   bsize);
                }
                total += (uint64_t)count;
                if ((minsz > 0 && (uint64_t)count > vg_bin_left(b) / minsz) ||
                    total > (1u << 24))
                        return vg_bin_fail(b, "truncated",
                                           "block of %" PRId64 " items cannot "
                                           "fit in %zu bytes", count,
                                           vg_bin_left(b));
                for (i = 0; i < count; i++, index++) {
                        const uint8_t *key = NULL;
                        size_t klen        = 0;
                        if (is_map &&
                            vg_bin_string(b, 1, &key, &klen))
                                return -1;
                        if (vg_bin_walk(b, items, depth + 1)) {
                                vg_bin_in_item(b, index, key, klen);
                                return -1;
                        }
                }
        }
}

static int vg_bin_walk(vg_bin_t *b, avro_schema_t schema, int depth)
{
        const uint8_t *s;
        size_t i, len;
        int64_t v;

        if (depth > VG_AVRO_MAX_DEPTH)
                return vg_bin_fail(b, "corrupt", "nested too deep");
        switch (avro_typeof(schema)) {
        case AVRO_NULL:
                return 0;
        case AVRO_STRING:
                return vg_bin_string(b, 0, &s, &len);
        case AVRO_BYTES:
                return vg_bin_lenbytes(b, "bytes", &s, &len);
        case AVRO_INT32:
                if (vg_bin_long(b, &v))
                        return -1;
                if (v < INT32_MIN || v > INT32_MAX)
                        return vg_bin_fail(b, "corrupt", "int out of range");
                return 0;
        case AVRO_INT64:
                return vg_bin_long(b, &v);
        case AVRO_FLOAT:
                return vg_bin_skip(b, 4, "float");
        case AVRO_DOUBLE:
                return vg_bin_skip(b, 8, "double");
        case AVRO_BOOLEAN:
                if (vg_bin_skip(b, 1, "boolean"))
                        return -1;
                if (b->p[-1] > 1) {
                        b->p--;
                        return vg_bin_fail(b, "corrupt", "boolean byte 0x%02x",
                                           b->p[0]);
                }
                return 0;
        case AVRO_FIXED:
                return vg_bin_skip(b, (size_t)avro_schema_fixed_size(schema),
                                   "fixed");
        case AVRO_ENUM:
                if (vg_bin_long(b, &v))
                        return -1;
                if (v < 0 || v >= avro_schema_enum_number_of_symbols(schema))
                        return vg_bin_fail(b, "corrupt", "enum index %" PRId64
                                           " out of range", v);
                return 0;
        case AVRO_UNION:
                if (vg_bin_long(b, &v))
                        return -1;
                if (v < 0 || (uint64_t)v >= avro_schema_union_size(schema))
                        return vg_bin_fail(b, "corrupt", "union index %" PRId64
                                           " out of range", v);
                return vg_bin_walk(b, avro_schema_union_branch(schema, (int)v),
                                   depth + 1);
        case AVRO_RECORD:
                for (i = 0; i < avro_schema_record_size(schema); i++) {
                        if (vg_bin_walk(b,
                                        avro_schema_record_field_get_by_index(
                                            schema, (int)i),
                                        depth + 1)) {
                                vg_bin_in_field(
                                    b, avro_schema_record_field_name(schema,
                                                                     (int)i));
                                return -1;
                        }
                }
                return 0;
        case AVRO_ARRAY:
                return vg_bin_blocks(b, schema, 0, depth);
        case AVRO_MAP:
                return vg_bin_blocks(b, schema, 1, depth);
        case AVRO_LINK:
                return vg_bin_walk(b, avro_schema_link_target(schema),
                                   depth + 1);
        default:
                return vg_bin_fail(b, "corrupt", "unsupported schema type");
        }
}

/* ------------------------------------------------------------------ */
/* 2. Wire format                                                     */
/* ------------------------------------------------------------------ */

vg_err_t vg_avro_encode_into(const vg_avro_schema_t *sch, avro_value_t *val,
                             uint8_t **bufp, size_t *sizep, size_t *lenp,
                             char *errstr, size_t errstr_size)
{
        avro_schema_t vs = avro_value_get_schema(val);
        avro_writer_t w;
        size_t body;

        if (vs != sch->schema && !avro_schema_equal(vs, sch->schema)) {
                snprintf(errstr, errstr_size, "value of %s is not a %s",
                         avro_schema_name(vs), sch->name);
                return VG_ERR_SCHEMA;
        }
        /* Measured first: a write that does not fit would set avro-c's
         * error text, a global that threads encoding at once share. */
        if (avro_value_sizeof(val, &body))
                goto fail;
        if (*sizep < VG_AVRO_HEADER_LEN + body) {
                *sizep = VG_AVRO_HEADER_LEN + body;
                *bufp  = vg_realloc(*bufp, *sizep);
        }
        w = avro_writer_memory((char *)*bufp + VG_AVRO_HEADER_LEN,
                               (int64_t)body);
        int rc = avro_value_write(w, val);
        avro_writer_free(w);
        if (rc)
                goto fail;
        (*bufp)[0] = VG_AVRO_MAGIC;
        (*bufp)[1] = (uint8_t)((uint32_t)sch->id >> 24);
        (*bufp)[2] = (uint8_t)((uint32_t)sch->id >> 16);
        (*bufp)[3] = (uint8_t)((uint32_t)sch->id >> 8);
        (*bufp)[4] = (uint8_t)sch->id;
        *lenp      = VG_AVRO_HEADER_LEN + body;
        return VG_OK;
fail:
        snprintf(errstr, errstr_size, "cannot encode %s: %s", sch->name,
                 avro_strerror());
        return VG_ERR_INVALID;
}

vg_err_t vg_avro_encode(const vg_avro_schema_t *sch, avro_value_t *val,
                        void **bufp, size_t *lenp, char *errstr,
                        size_t errstr_size)
{
        uint8_t *buf = NULL;
        size_t size  = 0;
        vg_err_t err = vg_avro_encode_into(sch, val, &buf, &size, lenp,
                                           errstr, errstr_size);
        if (err) {
                vg_free(buf);
                return err;
        }
        *bufp = buf;
        return VG_OK;
}

/** Fetches unknown schema \p id from the Schema Registry. */
static vg_err_t vg_avro_fetch_id(vg_avro_registry_t *reg, int32_t id,
                                 vg_avro_schema_t **schp, char *errstr,
                                 size_t errstr_size)
{
        char *text, reason[512];
        vg_avro_schema_t *sch;
        vg_err_t err;

        err = vg_sr_get_schema(reg->sr, id, &text, reason, sizeof(reason));
        if (err) {
                snprintf(errstr, errstr_size, "unknown schema id %" PRId32
                         ": %s", id, reason);
                return err == VG_ERR_NOENT ? VG_ERR_SCHEMA : err;
        }
        sch = vg_avro_schema_load(text, strlen(text), 0, reason,
                                  sizeof(reason));
        vg_free(text);
        if (!sch) {
                snprintf(errstr, errstr_size, "schema id %" PRId32 ": %s", id,
                         reason);
                return VG_ERR_SCHEMA;
        }
        sch->id = id;
        vg_avro_registry_add(reg, sch);
        vg_info("avro", "fetched schema id %" PRId32 " (%s) from the Schema "
                "Registry", id, sch->name);
        *schp = sch;
        return VG_OK;
}

/** Checks the 5-byte header and finds the writer schema. */
static vg_err_t vg_avro_decode_header(vg_avro_registry_t *reg,
                                      const uint8_t *p, size_t len,
                                      vg_avro_schema_t **schp, char *errstr,
                                      size_t errstr_size)
{
        int32_t id;

        if (len == 0) {
                snprintf(errstr, errstr_size, "empty message (0 bytes)");
                return VG_ERR_DECODE;
        }
        if (p[0] != VG_AVRO_MAGIC) {
                snprintf(errstr, errstr_size,
                         "wrong magic byte 0x%02x at offset 0 (expected "
                         "0x00): not Confluent Avro wire format", p[0]);
                return VG_ERR_DECODE;
        }
        if (len < VG_AVRO_HEADER_LEN) {
                snprintf(errstr, errstr_size,
                         "message too short (%zu bytes) for the %d-byte "
                         "wire-format header", len, VG_AVRO_HEADER_LEN);
                return VG_ERR_DECODE;
        }
        id    = (int32_t)(((uint32_t)p[1] << 24) | ((uint32_t)p[2] << 16) |
                       ((uint32_t)p[3] << 8) | p[4]);
        *schp = vg_avro_registry_by_id(reg, id);
        if (*schp)
                return VG_OK;
        if (reg->sr && id > 0)
                return vg_avro_fetch_id(reg, id, schp, errstr, errstr_size);
        snprintf(errstr, errstr_size, "unknown schema id %" PRId32, id);
        return VG_ERR_SCHEMA;
}

vg_err_t vg_avro_decode_to(vg_avro_registry_t *reg, const void *buf,
                           size_t len, vg_avro_schema_t **schp,
                           avro_value_t *(*dst_for)(vg_avro_schema_t *sch,
                                                    void *opaque),
                           void *opaque, char *errstr, size_t errstr_size)
{
        const uint8_t *p = buf;
        vg_avro_schema_t *sch;
        avro_value_t *dst;
        vg_bin_t b;
        avro_reader_t r;
        vg_err_t err;
        int rr;

        err = vg_avro_decode_header(reg, p, len, &sch, errstr, errstr_size);
        if (err)
                return err;
        b.start = b.p = p + VG_AVRO_HEADER_LEN;
        b.end         = p + len;
        b.pstart      = sizeof(b.path) - 1;
        b.elided      = 0;
        b.path[b.pstart] = '\0';
        if (vg_bin_walk(&b, sch->schema, 0)) {
                vg_bin_report(&b, errstr, errstr_size);
                return VG_ERR_DECODE;
        }
        if (b.p != b.end) {
                snprintf(errstr, errstr_size,
                         "trailing garbage: %zu bytes after the %s record "
                         "(body of %zu bytes)", vg_bin_left(&b), sch->name,
                         len - VG_AVRO_HEADER_LEN);
                return VG_ERR_DECODE;
        }
        if (!(dst = dst_for(sch, opaque))) {
                snprintf(errstr, errstr_size, "cannot create value: %s",
                         avro_strerror());
                return VG_ERR_DECODE;
        }
        avro_value_reset(dst);
        r  = avro_reader_memory((const char *)b.start,
                                (int64_t)(len - VG_AVRO_HEADER_LEN));
        rr = avro_value_read(r, dst);
        avro_reader_free(r);
        if (rr) {
                snprintf(errstr, errstr_size, "corrupt Avro body: %s",
                         avro_strerror());
                return VG_ERR_DECODE;
        }
        if (schp)
                *schp = sch;
        return VG_OK;
}

/* The schema handle's own reusable value. */
static avro_value_t *vg_avro_dval(vg_avro_schema_t *sch, void *opaque)
{
        avro_value_t **valp = opaque;
        if (!sch->dval_init) {
                if (avro_generic_value_new(sch->iface, &sch->dval))
                        return NULL;
                sch->dval_init = 1;
        }
        *valp = &sch->dval;
        return &sch->dval;
}

vg_err_t vg_avro_decode(vg_avro_registry_t *reg, const void *buf, size_t len,
                        vg_avro_schema_t **schp, avro_value_t **valp,
                        char *errstr, size_t errstr_size)
{
        return vg_avro_decode_to(reg, buf, len, schp, vg_avro_dval, valp,
                                 errstr, errstr_size);
}
