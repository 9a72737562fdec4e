/**
 * @file vg_avro_json.c
 * @brief JSON <-> Avro: field defaults, JSON -> Avro conversion (integer
 *        and timestamp strings, tagged unions) and Avro -> JSON rendering
 *        (see vg_avro.h).
 *
 * Layout of this file:
 *   1. defaults and JSON -> Avro
 *   2. Avro -> JSON
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vg_avro.h"
#include "vg_avro_int.h"
#include "vg_mem.h"
#include "vg_time.h"

/* ------------------------------------------------------------------ */
/* 1. Defaults and JSON -> Avro                                       */
/* ------------------------------------------------------------------ */

/** Conversion state: the path of the value being converted. */
typedef struct {
        char path[512];
        size_t plen;
        char *errstr;
        size_t errstr_size;
        int depth;
} vg_j2a_t;

static int vg_j2a_fail(vg_j2a_t *c, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static int vg_j2a_fail(vg_j2a_t *c, const char *fmt, ...)
{
        char reason[384];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(reason, sizeof(reason), fmt, ap);
        va_end(ap);
        snprintf(c->errstr, c->errstr_size, "%s: %s", c->path, reason);
        return -1;
}

/** Appends ".name" (or "name" at the top) to the path. @returns the
 *  previous length, for vg_j2a_pop(). */
static size_t vg_j2a_push(vg_j2a_t *c, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static size_t vg_j2a_push(vg_j2a_t *c, const char *fmt, ...)
{
        size_t old = c->plen;
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(c->path + c->plen, sizeof(c->path) - c->plen, fmt, ap);
        va_end(ap);
        if (n > 0)
                c->plen += (size_t)n;
        if (c->plen >= sizeof(c->path))
                c->plen = sizeof(c->path) - 1;
        return old;
}

static void vg_j2a_pop(vg_j2a_t *c, size_t old)
{
        c->plen          = old;
        c->path[c->plen] = '\0';
}

/** @returns a short description of \p j for messages. */
static const char *vg_json_kind(const json_t *j)
{
        switch (json_typeof(j)) {
        case JSON_OBJECT:  return "object";
        case JSON_ARRAY:   return "array";
        case JSON_STRING:  return "string";
        case JSON_INTEGER: return "integer";
        case JSON_REAL:    return "real";
        case JSON_TRUE:
        case JSON_FALSE:   return "boolean";
        default:           return "null";
        }
}

static int vg_j2a_type_fail(vg_j2a_t *c, const char *want, const json_t *j)
{
        if (json_is_string(j))
                return vg_j2a_fail(c, "expected %s, got string \"%.64s\"",
                                   want, json_string_value(j));
        return vg_j2a_fail(c, "expected %s, got %s", want, vg_json_kind(j));
}

/** Parses a whole string as a decimal integer. @returns 0 or -1. */
static int vg_str_to_ll(const char *s, long long *vp)
{
        char *end;

        if (!*s || !(isdigit((unsigned char)*s) || *s == '-' || *s == '+'))
                return -1;
        errno = 0;
        *vp   = strtoll(s, &end, 10);
        return (errno || *end) ? -1 : 0;
}

/** An integer from a JSON integer or an integer string. */
static int vg_j2a_integer(vg_j2a_t *c, const json_t *j, const char *want,
                          int64_t min, int64_t max, int64_t *vp)
{
        long long v;

        if (json_is_integer(j))
                v = json_integer_value(j);
        else if (!json_is_string(j) ||
                 vg_str_to_ll(json_string_value(j), &v))
                return vg_j2a_type_fail(c, want, j);
        if (v < min || v > max)
                return vg_j2a_fail(c, "%lld out of range for %s", v, want);
        *vp = v;
        return 0;
}

static int vg_j2a_long(vg_j2a_t *c, const json_t *j, avro_value_t *val,
                       int is_ts)
{
        int64_t v;
        char reason[256];

        if (is_ts && json_is_string(j)) {
                if (vg_time_parsen(json_string_value(j), json_string_length(j),
                                   &v, reason, sizeof(reason)))
                        return vg_j2a_fail(c, "%s", reason);
        } else if (vg_j2a_integer(c, j, is_ts ? "timestamp" : "long",
                                  INT64_MIN, INT64_MAX, &v)) {
                return -1;
        }
        avro_value_set_long(val, v);
        return 0;
}

static int vg_j2a_double(vg_j2a_t *c, const json_t *j, avro_value_t *val,
                         avro_type_t type)
{
        double d;
        char *end;

        if (json_is_number(j)) {
                d = json_number_value(j);
        } else if (json_is_string(j) && json_string_length(j) > 0) {
                errno = 0;
                d     = strtod(json_string_value(j), &end);
                if (errno || *end || !isfinite(d))
                        return vg_j2a_type_fail(c, "number", j);
        } else {
                return vg_j2a_type_fail(c, type == AVRO_FLOAT ? "float"
                                                               : "double", j);
        }
        if (type == AVRO_FLOAT)
                avro_value_set_float(val, (float)d);
        else
                avro_value_set_double(val, d);
        return 0;
}

static int vg_j2a_bool(vg_j2a_t *c, const json_t *j, avro_value_t *val)
{
        const char *s = json_string_value(j);

        if (json_is_boolean(j))
                avro_value_set_boolean(val, json_is_true(j));
        else if (s && (!strcmp(s, "true") || !strcmp(s, "false")))
                avro_value_set_boolean(val, *s == 't');
        else
                return vg_j2a_type_fail(c, "boolean", j);
        return 0;
}

/** Decodes a latin-1 JSON string (code points <= U+00FF) to bytes. */
static int vg_j2a_latin1(vg_j2a_t *c, const json_t *j, uint8_t **outp,
                         size_t *lenp)
{
        const uint8_t *s = (const uint8_t *)json_string_value(j);
        size_t len       = json_string_length(j), i, o = 0;
        uint8_t *out;

        if (!s)
                return vg_j2a_type_fail(c, "bytes as a latin-1 string", j);
        out = vg_malloc(len + 1);
        for (i = 0; i < len; i++) {
                if (s[i] < 0x80) {
                        out[o++] = s[i];
                } else if ((s[i] & 0xe0) == 0xc0 && s[i] <= 0xc3 &&
                           i + 1 < len) {
                        out[o++] = (uint8_t)(((s[i] & 0x1f) << 6) |
                                             (s[i + 1] & 0x3f));
                        i++;
                } else {
                        vg_free(out);
                        return vg_j2a_fail(c, "character at byte %zu is not "
                                           "latin-1 (bytes are one "
                                           "character U+0000..U+00FF each)",
                                           i);
                }
        }
        *outp = out;
        *lenp = o;
        return 0;
}

static int vg_j2a_bytes(vg_j2a_t *c, const json_t *j, avro_value_t *val,
                        avro_type_t type)
{
        avro_schema_t schema = avro_value_get_schema(val);
        uint8_t *buf = NULL;
        size_t len   = 0;

        if (vg_j2a_latin1(c, j, &buf, &len))
                return -1;
        if (type == AVRO_FIXED &&
            (int64_t)len != avro_schema_fixed_size(schema)) {
                vg_free(buf);
                return vg_j2a_fail(c, "expected %" PRId64 " bytes, got %zu",
                                   avro_schema_fixed_size(schema), len);
        }
        if (type == AVRO_FIXED)
                avro_value_set_fixed(val, buf, len);
        else
                avro_value_set_bytes(val, buf, len);
        vg_free(buf);
        return 0;
}

static int vg_j2a_enum(vg_j2a_t *c, const json_t *j, avro_value_t *val)
{
        avro_schema_t schema = avro_value_get_schema(val);
        const char *sym      = json_string_value(j);
        char list[256]       = "";
        int i, n, idx;

        if (!sym)
                return vg_j2a_type_fail(c, "enum symbol", j);
        idx = avro_schema_enum_get_by_name(schema, sym);
        if (idx >= 0) {
                avro_value_set_enum(val, idx);
                return 0;
        }
        n = avro_schema_enum_number_of_symbols(schema);
        for (i = 0; i < n; i++) {
                size_t l = strlen(list);
                snprintf(list + l, sizeof(list) - l, "%s%s", i ? ", " : "",
                         avro_schema_enum_get(schema, i));
        }
        return vg_j2a_fail(c, "unknown enum symbol \"%.64s\" (expected one "
                           "of %s)", sym, list);
}

static int vg_j2a(vg_j2a_t *c, const json_t *j, avro_value_t *val,
                  int is_ts);

static int vg_j2a_array(vg_j2a_t *c, const json_t *j, avro_value_t *val,
                        int is_ts)
{
        avro_value_t child;
        size_t i, old;

        if (!json_is_array(j))
                return vg_j2a_type_fail(c, "array", j);
        for (i = 0; i < json_array_size(j); i++) {
                avro_value_append(val, &child, NULL);
                old = vg_j2a_push(c, "[%zu]", i);
                if (vg_j2a(c, json_array_get(j, i), &child, is_ts))
                        return -1;
                vg_j2a_pop(c, old);
        }
        return 0;
}

static int vg_j2a_map(vg_j2a_t *c, const json_t *j, avro_value_t *val,
                      int is_ts)
{
        avro_value_t child;
        const char *key;
        json_t *jv;
        size_t old;

        if (!json_is_object(j))
                return vg_j2a_type_fail(c, "object (map)", j);
        json_object_foreach((json_t *)j, key, jv) {
                avro_value_add(val, key, &child, NULL, NULL);
                old = vg_j2a_push(c, "%s%s", c->plen ? "." : "", key);
                if (vg_j2a(c, jv, &child, is_ts))
                        return -1;
                vg_j2a_pop(c, old);
        }
        return 0;
}

/** @returns the index of \p schema's null branch, or -1. */
int vg_avro_union_null(avro_schema_t schema)
{
        size_t i;

        for (i = 0; i < avro_schema_union_size(schema); i++)
                if (avro_typeof(avro_schema_union_branch(schema, (int)i)) ==
                    AVRO_NULL)
                        return (int)i;
        return -1;
}

/** Writes the JSON-encoding name of \p schema ("string", "vigie.v1.X"). */
static const char *vg_avro_type_name(avro_schema_t schema, char *buf,
                                     size_t size)
{
        const char *ns;

        switch (avro_typeof(schema)) {
        case AVRO_STRING:  return "string";
        case AVRO_BYTES:   return "bytes";
        case AVRO_INT32:   return "int";
        case AVRO_INT64:   return "long";
        case AVRO_FLOAT:   return "float";
        case AVRO_DOUBLE:  return "double";
        case AVRO_BOOLEAN: return "boolean";
        case AVRO_NULL:    return "null";
        case AVRO_ARRAY:   return "array";
        case AVRO_MAP:     return "map";
        case AVRO_LINK:
                return vg_avro_type_name(avro_schema_link_target(schema),
                                         buf, size);
        default:
                ns = avro_schema_namespace(schema);
                if (ns && *ns)
                        snprintf(buf, size, "%s.%s", ns,
                                 avro_schema_name(schema));
                else
                        snprintf(buf, size, "%s", avro_schema_name(schema));
                return buf;
        }
}

/** @returns the branch of \p schema named \p name (Avro's tagged union
 *           JSON, full or short name), or -1. */
static int vg_avro_union_by_name(avro_schema_t schema, const char *name)
{
        char buf[256];
        size_t i;

        for (i = 0; i < avro_schema_union_size(schema); i++) {
                avro_schema_t br = avro_schema_union_branch(schema, (int)i);
                const char *bn   = vg_avro_type_name(br, buf, sizeof(buf));
                if (!strcmp(bn, name) ||
                    (is_avro_named_type(br) &&
                     !strcmp(avro_schema_name(br), name)))
                        return (int)i;
        }
        return -1;
}

static int vg_j2a_union(vg_j2a_t *c, const json_t *j, avro_value_t *val,
                        int is_ts)
{
        avro_schema_t schema = avro_value_get_schema(val);
        int nidx             = vg_avro_union_null(schema);
        size_t i, n          = avro_schema_union_size(schema);
        avro_value_t branch;
        int idx, r = -1;

        if (json_is_null(j) ||
            (nidx >= 0 && json_is_string(j) && json_string_length(j) == 0)) {
                if (nidx < 0)
                        return vg_j2a_fail(c, "null not allowed");
                avro_value_set_branch(val, nidx, &branch);
                return 0;
        }
        if (json_is_object(j) && json_object_size(j) == 1) {
                const char *key = json_object_iter_key(
                    json_object_iter((json_t *)j));
                idx = vg_avro_union_by_name(schema, key);
                if (idx >= 0) {
                        avro_value_set_branch(val, idx, &branch);
                        return vg_j2a(c, json_object_get(j, key), &branch,
                                      is_ts);
                }
        }
        for (i = 0; i < n; i++) {
                if ((int)i == nidx)
                        continue;
                avro_value_set_branch(val, (int)i, &branch);
                r = vg_j2a(c, j, &branch, is_ts);
                if (r == 0)
                        return 0;
        }
        return r == 0 ? 0 : -1;
}

/** @returns 1 if \p val is a union with a null branch. */
static int vg_avro_is_nullable(const avro_value_t *val)
{
        return avro_value_get_type(val) == AVRO_UNION &&
               vg_avro_union_null(avro_value_get_schema(val)) >= 0;
}

static int vg_j2a_record(vg_j2a_t *c, const json_t *j, avro_value_t *val)
{
        avro_schema_t schema = avro_value_get_schema(val);
        const vg_avro_rmeta_t *rm = vg_avro_rmeta_find(schema);
        size_t i, n = avro_schema_record_size(schema), old;
        avro_value_t child;
        const char *name;
        const json_t *jv;

        if (!json_is_object(j))
                return vg_j2a_type_fail(c, "object", j);
        for (i = 0; i < n; i++) {
                const vg_avro_fmeta_t *fm = rm ? &rm->fields[i] : NULL;
                int r;

                avro_value_get_by_index(val, i, &child, &name);
                jv  = json_object_get(j, name);
                old = vg_j2a_push(c, "%s%s", c->plen ? "." : "", name);
                if (!jv || (json_is_null(jv) && !vg_avro_is_nullable(&child))) {
                        if (!fm || !fm->def)
                                return vg_j2a_fail(c, "required field "
                                                   "missing");
                        jv = fm->def;
                }
                r = vg_j2a(c, jv, &child, fm && fm->is_ts);
                if (r)
                        return -1;
                vg_j2a_pop(c, old);
        }
        return 0;
}

/** Converts \p j into \p val (of any type). @returns 0 or -1 + errstr. */
static int vg_j2a(vg_j2a_t *c, const json_t *j, avro_value_t *val,
                  int is_ts)
{
        avro_type_t type = avro_value_get_type(val);
        int64_t v;
        int r;

        if (++c->depth > VG_AVRO_MAX_DEPTH)
                return vg_j2a_fail(c, "nested too deep");
        switch (type) {
        case AVRO_STRING:
                if (!json_is_string(j))
                        r = vg_j2a_type_fail(c, "string", j);
                else
                        r = avro_value_set_string_len(
                                val, json_string_value(j),
                                json_string_length(j) + 1) ? -1 : 0;
                break;
        case AVRO_BYTES:
        case AVRO_FIXED:
                r = vg_j2a_bytes(c, j, val, type);
                break;
        case AVRO_INT32:
                r = vg_j2a_integer(c, j, "integer", INT32_MIN, INT32_MAX, &v);
                if (!r)
                        avro_value_set_int(val, (int32_t)v);
                break;
        case AVRO_INT64:
                r = vg_j2a_long(c, j, val, is_ts);
                break;
        case AVRO_FLOAT:
        case AVRO_DOUBLE:
                r = vg_j2a_double(c, j, val, type);
                break;
        case AVRO_BOOLEAN:
                r = vg_j2a_bool(c, j, val);
                break;
        case AVRO_NULL:
                r = json_is_null(j) ? 0 : vg_j2a_type_fail(c, "null", j);
                break;
        case AVRO_ENUM:
                r = vg_j2a_enum(c, j, val);
                break;
        case AVRO_ARRAY:
                r = vg_j2a_array(c, j, val, is_ts);
                break;
        case AVRO_MAP:
                r = vg_j2a_map(c, j, val, is_ts);
                break;
        case AVRO_UNION:
                r = vg_j2a_union(c, j, val, is_ts);
                break;
        case AVRO_RECORD:
                r = vg_j2a_record(c, j, val);
                break;
        default:
                r = vg_j2a_fail(c, "unsupported Avro type");
                break;
        }
        c->depth--;
        return r;
}

/** Applies field defaults to record \p val, recursing into records. */
void vg_avro_defaults(avro_value_t *val, int depth)
{
        const vg_avro_rcache_t *e;
        avro_schema_t schema;
        avro_value_t child;
        char ignore[64];

        if (avro_value_get_type(val) != AVRO_RECORD ||
            depth > VG_AVRO_MAX_DEPTH)
                return;
        schema = avro_value_get_schema(val);
        e      = vg_avro_rcache_get(schema);
        for (size_t i = 0; i < e->nfields; i++) {
                if (e->plan[i] == VG_AVRO_DEF_NONE ||
                    avro_value_get_by_index(val, i, &child, NULL))
                        continue;
                if (e->plan[i] == VG_AVRO_DEF_SET) {
                        vg_j2a_t c = {.errstr      = ignore,
                                      .errstr_size = sizeof(ignore)};
                        vg_j2a(&c, e->rm->fields[i].def, &child,
                               e->rm->fields[i].is_ts);
                } else {
                        vg_avro_defaults(&child, depth + 1);
                }
                /* a nested record may have taken our cache slot */
                e = vg_avro_rcache_get(schema);
        }
}

vg_err_t vg_avro_value_reset(avro_value_t *val)
{
        if (avro_value_reset(val))
                return VG_ERR_INVALID;
        vg_avro_defaults(val, 0);
        return VG_OK;
}

vg_err_t vg_avro_from_json(const vg_avro_schema_t *sch, const char *json,
                           size_t len, avro_value_t *val, char *errstr,
                           size_t errstr_size)
{
        vg_j2a_t c = {.errstr = errstr, .errstr_size = errstr_size};
        json_error_t jerr;
        json_t *root;
        int r;

        if (avro_value_get_schema(val) != sch->schema &&
            !avro_schema_equal(avro_value_get_schema(val), sch->schema)) {
                snprintf(errstr, errstr_size, ": value is not a %s",
                         sch->name);
                return VG_ERR_SCHEMA;
        }
        root = json_loadb(json, len, JSON_ALLOW_NUL, &jerr);
        if (!root) {
                snprintf(errstr, errstr_size,
                         ": invalid JSON at line %d column %d: %s", jerr.line,
                         jerr.column, jerr.text);
                return VG_ERR_INVALID;
        }
        avro_value_reset(val);
        r = vg_j2a(&c, root, val, 0);
        json_decref(root);
        return r ? VG_ERR_INVALID : VG_OK;
}

/* ------------------------------------------------------------------ */
/* 2. Avro -> JSON                                                    */
/* ------------------------------------------------------------------ */

typedef struct {
        char *d;
        size_t len;
        size_t size;
} vg_jbuf_t;

static void vg_jbuf_put(vg_jbuf_t *b, const char *s, size_t n)
{
        if (b->len + n + 1 > b->size) {
                b->size = (b->len + n + 1) * 2;
                b->d    = vg_realloc(b->d, b->size);
        }
        memcpy(b->d + b->len, s, n);
        b->len += n;
        b->d[b->len] = '\0';
}

static void vg_jbuf_puts(vg_jbuf_t *b, const char *s)
{
        vg_jbuf_put(b, s, strlen(s));
}

/** @returns the length of the valid UTF-8 sequence at \p s, or 0. */
static size_t vg_utf8_len(const uint8_t *s, size_t left)
{
        size_t n, i;
        uint8_t lo = 0x80, hi = 0xbf;

        if (s[0] >= 0xc2 && s[0] <= 0xdf)
                n = 2;
        else if (s[0] >= 0xe0 && s[0] <= 0xef)
                n = 3;
        else if (s[0] >= 0xf0 && s[0] <= 0xf4)
                n = 4;
        else
                return 0;
        if (n > left)
                return 0;
        if (s[0] == 0xe0)
                lo = 0xa0;
        else if (s[0] == 0xed)
                hi = 0x9f;
        else if (s[0] == 0xf0)
                lo = 0x90;
        else if (s[0] == 0xf4)
                hi = 0x8f;
        if (s[1] < lo || s[1] > hi)
                return 0;
        for (i = 2; i < n; i++)
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
        return n;
}

/** Writes one ASCII byte, escaped for JSON. */
static void vg_jbuf_ascii(vg_jbuf_t *b, uint8_t ch)
{
        char esc[8];

        switch (ch) {
        case '"':  vg_jbuf_put(b, "\\\"", 2); return;
        case '\\': vg_jbuf_put(b, "\\\\", 2); return;
        case '\n': vg_jbuf_put(b, "\\n", 2); return;
        case '\r': vg_jbuf_put(b, "\\r", 2); return;
        case '\t': vg_jbuf_put(b, "\\t", 2); return;
        default:
                if (ch < 0x20) {
                        snprintf(esc, sizeof(esc), "\\u%04x", ch);
                        vg_jbuf_put(b, esc, 6);
                } else {
                        vg_jbuf_put(b, (const char *)&ch, 1);
                }
        }
}

/** A JSON string from UTF-8 text (bad sequences become U+FFFD), or from
 *  bytes, one latin-1 character per byte. */
static void vg_jbuf_str(vg_jbuf_t *b, const uint8_t *s, size_t len,
                        int latin1)
{
        size_t i, n;
        char two[2];

        vg_jbuf_put(b, "\"", 1);
        for (i = 0; i < len; i++) {
                if (s[i] < 0x80) {
                        vg_jbuf_ascii(b, s[i]);
                } else if (latin1) {
                        two[0] = (char)(0xc0 | (s[i] >> 6));
                        two[1] = (char)(0x80 | (s[i] & 0x3f));
                        vg_jbuf_put(b, two, 2);
                } else if ((n = vg_utf8_len(s + i, len - i)) > 0) {
                        vg_jbuf_put(b, (const char *)s + i, n);
                        i += n - 1;
                } else {
                        vg_jbuf_put(b, "\xef\xbf\xbd", 3);
                }
        }
        vg_jbuf_put(b, "\"", 1);
}

/** The shortest of %.15g/%.17g that reads back as \p d; null if not
 *  finite. Independent of LC_NUMERIC's decimal point. */
static void vg_jbuf_double(vg_jbuf_t *b, double d)
{
        char num[40], *p;

        if (!isfinite(d)) {
                vg_jbuf_puts(b, "null");
                return;
        }
        snprintf(num, sizeof(num), "%.15g", d);
        if (strtod(num, NULL) != d)
                snprintf(num, sizeof(num), "%.17g", d);
        if ((p = strchr(num, ',')))
                *p = '.';
        vg_jbuf_puts(b, num);
}

static int vg_a2j(vg_jbuf_t *b, const avro_value_t *val, int flags,
                  int is_ts, int depth);

static int vg_a2j_record(vg_jbuf_t *b, const avro_value_t *val, int flags,
                         int depth)
{
        avro_schema_t schema      = avro_value_get_schema(val);
        const vg_avro_rmeta_t *rm = vg_avro_rmeta_find(schema);
        size_t i, n = avro_schema_record_size(schema);
        avro_value_t child;
        const char *name;

        vg_jbuf_put(b, "{", 1);
        for (i = 0; i < n; i++) {
                if (avro_value_get_by_index(val, i, &child, &name))
                        return -1;
                if (i)
                        vg_jbuf_put(b, ",", 1);
                vg_jbuf_str(b, (const uint8_t *)name, strlen(name), 0);
                vg_jbuf_put(b, ":", 1);
                if (vg_a2j(b, &child, flags, rm && rm->fields[i].is_ts,
                           depth + 1))
                        return -1;
        }
        vg_jbuf_put(b, "}", 1);
        return 0;
}

static int vg_a2j_list(vg_jbuf_t *b, const avro_value_t *val, int flags,
                       int is_ts, int is_map, int depth)
{
        avro_value_t child;
        size_t i, n = 0;
        const char *key;

        avro_value_get_size(val, &n);
        vg_jbuf_put(b, is_map ? "{" : "[", 1);
        for (i = 0; i < n; i++) {
                if (avro_value_get_by_index(val, i, &child, &key))
                        return -1;
                if (i)
                        vg_jbuf_put(b, ",", 1);
                if (is_map) {
                        vg_jbuf_str(b, (const uint8_t *)key, strlen(key), 0);
                        vg_jbuf_put(b, ":", 1);
                }
                if (vg_a2j(b, &child, flags, is_ts, depth + 1))
                        return -1;
        }
        vg_jbuf_put(b, is_map ? "}" : "]", 1);
        return 0;
}

static int vg_a2j_union(vg_jbuf_t *b, const avro_value_t *val, int flags,
                        int is_ts, int depth)
{
        avro_value_t branch;
        char buf[256];
        const char *name;
        int disc = -1;

        if (avro_value_get_discriminant(val, &disc) || disc < 0 ||
            avro_value_get_current_branch(val, &branch))
                return -1;
        if (avro_value_get_type(&branch) == AVRO_NULL ||
            (flags & VG_AVRO_JSON_F_PLAIN))
                return vg_a2j(b, &branch, flags, is_ts, depth + 1);
        vg_jbuf_put(b, "{", 1);
        name = vg_avro_type_name(avro_value_get_schema(&branch), buf,
                                 sizeof(buf));
        vg_jbuf_str(b, (const uint8_t *)name, strlen(name), 0);
        vg_jbuf_put(b, ":", 1);
        if (vg_a2j(b, &branch, flags, is_ts, depth + 1))
                return -1;
        vg_jbuf_put(b, "}", 1);
        return 0;
}

static int vg_a2j_scalar(vg_jbuf_t *b, const avro_value_t *val, int flags,
                         int is_ts)
{
        char num[VG_TIME_ISO_SIZE + 2];
        const void *buf;
        const char *s;
        size_t size;
        int32_t i32;
        int64_t i64;
        float f;
        double d;
        int bv;

        switch (avro_value_get_type(val)) {
        case AVRO_NULL:
                vg_jbuf_puts(b, "null");
                return 0;
        case AVRO_BOOLEAN:
                avro_value_get_boolean(val, &bv);
                vg_jbuf_puts(b, bv ? "true" : "false");
                return 0;
        case AVRO_INT32:
                avro_value_get_int(val, &i32);
                snprintf(num, sizeof(num), "%" PRId32, i32);
                vg_jbuf_puts(b, num);
                return 0;
        case AVRO_INT64:
                avro_value_get_long(val, &i64);
                if (is_ts && (flags & VG_AVRO_JSON_F_ISO_TIME)) {
                        num[0] = '"';
                        vg_time_format(i64, num + 1, sizeof(num) - 2);
                        strcat(num, "\"");
                } else {
                        snprintf(num, sizeof(num), "%" PRId64, i64);
                }
                vg_jbuf_puts(b, num);
                return 0;
        case AVRO_FLOAT:
                avro_value_get_float(val, &f);
                vg_jbuf_double(b, f);
                return 0;
        case AVRO_DOUBLE:
                avro_value_get_double(val, &d);
                vg_jbuf_double(b, d);
                return 0;
        case AVRO_STRING:
                if (avro_value_get_string(val, &s, &size))
                        return -1;
                vg_jbuf_str(b, (const uint8_t *)s, size ? size - 1 : 0, 0);
                return 0;
        case AVRO_BYTES:
                if (avro_value_get_bytes(val, &buf, &size))
                        return -1;
                vg_jbuf_str(b, buf, size, 1);
                return 0;
        case AVRO_FIXED:
                if (avro_value_get_fixed(val, &buf, &size))
                        return -1;
                vg_jbuf_str(b, buf, size, 1);
                return 0;
        case AVRO_ENUM:
                avro_value_get_enum(val, &bv);
                s = avro_schema_enum_get(avro_value_get_schema(val), bv);
                if (!s)
                        return -1;
                vg_jbuf_str(b, (const uint8_t *)s, strlen(s), 0);
                return 0;
        default:
                return -1;
        }
}

static int vg_a2j(vg_jbuf_t *b, const avro_value_t *val, int flags,
                  int is_ts, int depth)
{
        if (depth > VG_AVRO_MAX_DEPTH)
                return -1;
        switch (avro_value_get_type(val)) {
        case AVRO_RECORD:
                return vg_a2j_record(b, val, flags, depth);
        case AVRO_ARRAY:
                return vg_a2j_list(b, val, flags, is_ts, 0, depth);
        case AVRO_MAP:
                return vg_a2j_list(b, val, flags, is_ts, 1, depth);
        case AVRO_UNION:
                return vg_a2j_union(b, val, flags, is_ts, depth);
        default:
                return vg_a2j_scalar(b, val, flags, is_ts);
        }
}

char *vg_avro_to_json(const avro_value_t *val, int flags)
{
        vg_jbuf_t b = {0};

        if (vg_a2j(&b, val, flags, 0, 0)) {
                vg_free(b.d);
                return NULL;
        }
        return b.d;
}
