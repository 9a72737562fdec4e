/**
 * @file vg_avro.c
 * @brief Avro contracts: registry, wire format, JSON, accessors
 *        (see vg_avro.h).
 *
 * Layout of this file:
 *   1. record metadata avro-c does not keep (logical types, defaults)
 *   2. schema lint
 *   3. schema handles and the registry
 *   4. binary validation of untrusted bodies
 *   5. wire-format encode/decode
 *   6. defaults and JSON -> Avro
 *   7. Avro -> JSON
 *   8. field accessors
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "vg_avro.h"
#include "vg_log.h"
#include "vg_mem.h"
#include "vg_sr.h"
#include "vg_time.h"

/** Deepest nesting accepted in schemas, JSON and binary bodies. */
#define VG_AVRO_MAX_DEPTH 64

/* ------------------------------------------------------------------ */
/* 1. Record metadata                                                   */
/* ------------------------------------------------------------------ */

/** What avro-c drops from a record field: logical type and default. */
typedef struct {
        char *name;
        int is_ts;     /**< a timestamp-millis long (possibly nullable) */
        json_t *def;   /**< the "default" JSON, or NULL */
} vg_avro_fmeta_t;

typedef struct vg_avro_rmeta_s {
        struct vg_avro_rmeta_s *next;
        char *name;    /**< short record name */
        size_t nfields;
        vg_avro_fmeta_t *fields;
} vg_avro_rmeta_t;

/* Append-only, process-wide: readers walk it without a lock. Entries are
 * never freed (a few per record type, reachable until exit). */
static _Atomic(vg_avro_rmeta_t *) vg_avro_rmeta_head;
static pthread_mutex_t vg_avro_rmeta_lock = PTHREAD_MUTEX_INITIALIZER;

/** @returns 1 if \p rm describes a record named \p name with the same
 *           field names as \p schema. */
static int vg_avro_rmeta_match(const vg_avro_rmeta_t *rm, const char *name,
                               avro_schema_t schema)
{
        size_t i, n = avro_schema_record_size(schema);

        if (rm->nfields != n || strcmp(rm->name, name))
                return 0;
        for (i = 0; i < n; i++)
                if (strcmp(rm->fields[i].name,
                           avro_schema_record_field_name(schema, (int)i)))
                        return 0;
        return 1;
}

/** @returns the metadata of record schema \p schema, or NULL. */
static const vg_avro_rmeta_t *vg_avro_rmeta_search(avro_schema_t schema)
{
        const char *name = avro_schema_name(schema);
        const vg_avro_rmeta_t *rm;

        for (rm = atomic_load(&vg_avro_rmeta_head); rm; rm = rm->next)
                if (vg_avro_rmeta_match(rm, name, schema))
                        return rm;
        return NULL;
}

/* Per thread, the last schemas looked up: every record written or reset
 * looks its schema up, and matching compares every field name. A cached
 * schema is referenced, so its address cannot be reused by another one
 * while cached. */
#define VG_AVRO_RMETA_CACHE 16
enum { VG_AVRO_DEF_NONE, VG_AVRO_DEF_SET, VG_AVRO_DEF_RECURSE };

typedef struct {
        avro_schema_t schema;
        const vg_avro_rmeta_t *rm;
        size_t nfields;
        unsigned char *plan; /**< by field: VG_AVRO_DEF_* (see defaults) */
} vg_avro_rcache_t;

static _Thread_local vg_avro_rcache_t vg_avro_rmeta_cache[VG_AVRO_RMETA_CACHE];
static _Thread_local unsigned vg_avro_rmeta_next;

/* What resetting a record of \p schema to its defaults takes, by field:
 * a default to set, a record to recurse into, or nothing. */
static void vg_avro_plan_make(vg_avro_rcache_t *e, avro_schema_t schema)
{
        e->nfields = avro_schema_record_size(schema);
        e->plan    = vg_calloc(e->nfields ? e->nfields : 1, 1);
        for (size_t i = 0; i < e->nfields; i++) {
                avro_type_t t = avro_typeof(
                        avro_schema_record_field_get_by_index(schema,
                                                              (int)i));
                if (e->rm && i < e->rm->nfields && e->rm->fields[i].def)
                        e->plan[i] = VG_AVRO_DEF_SET;
                else if (t == AVRO_RECORD || t == AVRO_LINK)
                        e->plan[i] = VG_AVRO_DEF_RECURSE;
        }
}

/** The thread's cache entry of record schema \p schema. */
static const vg_avro_rcache_t *vg_avro_rcache_get(avro_schema_t schema)
{
        unsigned i;
        vg_avro_rcache_t *e;

        for (i = 0; i < VG_AVRO_RMETA_CACHE; i++)
                if (vg_avro_rmeta_cache[i].schema == schema)
                        return &vg_avro_rmeta_cache[i];
        e = &vg_avro_rmeta_cache[vg_avro_rmeta_next++ % VG_AVRO_RMETA_CACHE];
        if (e->schema)
                avro_schema_decref(e->schema);
        vg_free(e->plan);
        e->schema = avro_schema_incref(schema);
        e->rm     = vg_avro_rmeta_search(schema);
        vg_avro_plan_make(e, schema);
        return e;
}

void vg_avro_thread_done(void)
{
        for (unsigned i = 0; i < VG_AVRO_RMETA_CACHE; i++) {
                vg_avro_rcache_t *e = &vg_avro_rmeta_cache[i];
                if (e->schema)
                        avro_schema_decref(e->schema);
                vg_free(e->plan);
                memset(e, 0, sizeof(*e));
        }
        vg_avro_rmeta_next = 0;
}

/** vg_avro_rmeta_search() through the thread's cache. */
static const vg_avro_rmeta_t *vg_avro_rmeta_find(avro_schema_t schema)
{
        return vg_avro_rcache_get(schema)->rm;
}

/** @returns 1 if schema JSON \p t is, or holds without crossing a record,
 *           a timestamp-millis long. */
static int vg_avro_json_is_ts(const json_t *t)
{
        size_t i;
        const char *type, *lt;

        if (json_is_array(t)) {
                for (i = 0; i < json_array_size(t); i++)
                        if (vg_avro_json_is_ts(json_array_get(t, i)))
                                return 1;
                return 0;
        }
        if (!json_is_object(t))
                return 0;
        type = json_string_value(json_object_get(t, "type"));
        if (!type)
                return vg_avro_json_is_ts(json_object_get(t, "type"));
        lt = json_string_value(json_object_get(t, "logicalType"));
        if (!strcmp(type, "long"))
                return lt && !strcmp(lt, "timestamp-millis");
        if (!strcmp(type, "array"))
                return vg_avro_json_is_ts(json_object_get(t, "items"));
        if (!strcmp(type, "map"))
                return vg_avro_json_is_ts(json_object_get(t, "values"));
        return 0;
}

/** Adds the metadata of record JSON \p rec unless already known. */
static void vg_avro_rmeta_add(const json_t *rec)
{
        const json_t *fields = json_object_get(rec, "fields");
        const char *name     = json_string_value(json_object_get(rec, "name"));
        const char *dot      = strrchr(name, '.');
        vg_avro_rmeta_t *rm, *it;
        size_t i;

        rm          = vg_calloc(1, sizeof(*rm));
        rm->name    = vg_strdup(dot ? dot + 1 : name);
        rm->nfields = json_array_size(fields);
        rm->fields  = vg_calloc(rm->nfields, sizeof(*rm->fields));
        for (i = 0; i < rm->nfields; i++) {
                const json_t *f   = json_array_get(fields, i);
                vg_avro_fmeta_t *fm = &rm->fields[i];
                fm->name  = vg_strdup(json_string_value(
                    json_object_get(f, "name")));
                fm->is_ts = vg_avro_json_is_ts(json_object_get(f, "type"));
                fm->def   = json_object_get(f, "default");
                if (fm->def)
                        fm->def = json_deep_copy(fm->def);
        }

        pthread_mutex_lock(&vg_avro_rmeta_lock);
        for (it = atomic_load(&vg_avro_rmeta_head); it; it = it->next) {
                size_t k;
                if (it->nfields != rm->nfields || strcmp(it->name, rm->name))
                        continue;
                for (k = 0; k < rm->nfields; k++)
                        if (strcmp(it->fields[k].name, rm->fields[k].name))
                                break;
                if (k == rm->nfields)
                        break;
        }
        if (!it) {
                rm->next = atomic_load(&vg_avro_rmeta_head);
                atomic_store(&vg_avro_rmeta_head, rm);
                rm = NULL;
        }
        pthread_mutex_unlock(&vg_avro_rmeta_lock);

        if (rm) { /* a twin was there first */
                for (i = 0; i < rm->nfields; i++) {
                        vg_free(rm->fields[i].name);
                        json_decref(rm->fields[i].def);
                }
                vg_free(rm->fields);
                vg_free(rm->name);
                vg_free(rm);
        }
}

/** Collects the metadata of every record in schema JSON \p t. */
static void vg_avro_rmeta_collect(const json_t *t, int depth)
{
        const char *type;
        size_t i;

        if (depth > VG_AVRO_MAX_DEPTH)
                return;
        if (json_is_array(t)) {
                for (i = 0; i < json_array_size(t); i++)
                        vg_avro_rmeta_collect(json_array_get(t, i),
                                              depth + 1);
                return;
        }
        if (!json_is_object(t))
                return;
        type = json_string_value(json_object_get(t, "type"));
        if (!type) {
                vg_avro_rmeta_collect(json_object_get(t, "type"), depth + 1);
        } else if (!strcmp(type, "record") || !strcmp(type, "error")) {
                const json_t *fields = json_object_get(t, "fields");
                if (!json_is_string(json_object_get(t, "name")) ||
                    !json_is_array(fields))
                        return;
                vg_avro_rmeta_add(t);
                for (i = 0; i < json_array_size(fields); i++)
                        vg_avro_rmeta_collect(
                            json_object_get(json_array_get(fields, i),
                                            "type"),
                            depth + 1);
        } else if (!strcmp(type, "array")) {
                vg_avro_rmeta_collect(json_object_get(t, "items"), depth + 1);
        } else if (!strcmp(type, "map")) {
                vg_avro_rmeta_collect(json_object_get(t, "values"),
                                      depth + 1);
        }
}

/* ------------------------------------------------------------------ */
/* 2. Schema lint                                                       */
/* ------------------------------------------------------------------ */

static int vg_avro_has_doc(const json_t *obj)
{
        const char *doc = json_string_value(json_object_get(obj, "doc"));
        return doc && *doc;
}

static int vg_avro_lint_type(const json_t *t, const char *where, int depth,
                             char *errstr, size_t errstr_size);

static int vg_avro_lint_record(const json_t *t, int depth, char *errstr,
                               size_t errstr_size)
{
        const char *name = json_string_value(json_object_get(t, "name"));
        const json_t *fields = json_object_get(t, "fields");
        char where[256];
        size_t i;

        if (!name || !json_is_array(fields)) {
                snprintf(errstr, errstr_size,
                         "record without \"name\" or \"fields\"");
                return -1;
        }
        if (!vg_avro_has_doc(t)) {
                snprintf(errstr, errstr_size, "%s: record has no doc", name);
                return -1;
        }
        for (i = 0; i < json_array_size(fields); i++) {
                const json_t *f     = json_array_get(fields, i);
                const char *fname   = json_string_value(
                    json_object_get(f, "name"));
                const json_t *ftype = json_object_get(f, "type");
                const json_t *b0    = json_array_get(ftype, 0);

                snprintf(where, sizeof(where), "%s.%s", name,
                         fname ? fname : "?");
                if (!fname) {
                        snprintf(errstr, errstr_size, "%s: field %zu has "
                                 "no name", name, i);
                        return -1;
                }
                if (!vg_avro_has_doc(f)) {
                        snprintf(errstr, errstr_size,
                                 "%.200s: field has no doc", where);
                        return -1;
                }
                if (json_is_string(b0) &&
                    !strcmp(json_string_value(b0), "null") &&
                    !json_is_null(json_object_get(f, "default"))) {
                        snprintf(errstr, errstr_size,
                                 "%.200s: nullable field needs "
                                 "\"default\": null", where);
                        return -1;
                }
                if (vg_avro_lint_type(ftype, where, depth + 1, errstr,
                                      errstr_size))
                        return -1;
        }
        return 0;
}

static int vg_avro_lint_type(const json_t *t, const char *where, int depth,
                             char *errstr, size_t errstr_size)
{
        const char *type;
        size_t i;

        if (depth > VG_AVRO_MAX_DEPTH) {
                snprintf(errstr, errstr_size, "%s: nested too deep", where);
                return -1;
        }
        if (json_is_array(t)) {
                for (i = 0; i < json_array_size(t); i++)
                        if (vg_avro_lint_type(json_array_get(t, i), where,
                                              depth + 1, errstr,
                                              errstr_size))
                                return -1;
                return 0;
        }
        if (!json_is_object(t))
                return 0;
        type = json_string_value(json_object_get(t, "type"));
        if (!type)
                return vg_avro_lint_type(json_object_get(t, "type"), where,
                                         depth + 1, errstr, errstr_size);
        if (!strcmp(type, "record"))
                return vg_avro_lint_record(t, depth, errstr, errstr_size);
        if (!strcmp(type, "enum") && !vg_avro_has_doc(t)) {
                snprintf(errstr, errstr_size, "%s: enum has no doc", where);
                return -1;
        }
        if (!strcmp(type, "array"))
                return vg_avro_lint_type(json_object_get(t, "items"), where,
                                         depth + 1, errstr, errstr_size);
        if (!strcmp(type, "map"))
                return vg_avro_lint_type(json_object_get(t, "values"), where,
                                         depth + 1, errstr, errstr_size);
        return 0;
}

vg_err_t vg_avro_schema_lint(const char *json, size_t len, char *errstr,
                             size_t errstr_size)
{
        json_error_t jerr;
        json_t *root;
        avro_schema_t schema;
        char reason[256];
        int r;

        root = json_loadb(json, len, 0, &jerr);
        if (!root) {
                snprintf(errstr, errstr_size,
                         "invalid JSON at line %d column %d: %s", jerr.line,
                         jerr.column, jerr.text);
                return VG_ERR_SCHEMA;
        }
        if (!json_is_object(root) ||
            !json_is_string(json_object_get(root, "type")) ||
            strcmp(json_string_value(json_object_get(root, "type")),
                   "record")) {
                json_decref(root);
                snprintf(errstr, errstr_size, "top-level schema is not a "
                         "record");
                return VG_ERR_SCHEMA;
        }
        r = vg_avro_lint_record(root, 0, reason, sizeof(reason));
        json_decref(root);
        if (r) {
                snprintf(errstr, errstr_size, "%s", reason);
                return VG_ERR_SCHEMA;
        }
        if (avro_schema_from_json_length(json, len, &schema)) {
                snprintf(errstr, errstr_size, "invalid Avro schema: %s",
                         avro_strerror());
                return VG_ERR_SCHEMA;
        }
        avro_schema_decref(schema);
        return VG_OK;
}

/* ------------------------------------------------------------------ */
/* 3. Schema handles and the registry                                   */
/* ------------------------------------------------------------------ */

struct vg_avro_schema_s {
        int32_t id;
        char *name;               /**< full record name */
        char *topic;              /**< NULL if fetched by id */
        char *subject;            /**< NULL if fetched by id */
        char *json;               /**< schema text as loaded */
        avro_schema_t schema;
        avro_value_iface_t *iface;
        avro_value_t dval;        /**< reusable decode target */
        int dval_init;
};

struct vg_avro_registry_s {
        vg_sr_t *sr;              /**< NULL: local ids */
        vg_avro_schema_t **schemas;
        size_t cnt;
        size_t size;
};

static void vg_avro_schema_destroy(vg_avro_schema_t *sch)
{
        if (!sch)
                return;
        if (sch->dval_init)
                avro_value_decref(&sch->dval);
        if (sch->iface)
                avro_value_iface_decref(sch->iface);
        if (sch->schema)
                avro_schema_decref(sch->schema);
        vg_free(sch->name);
        vg_free(sch->topic);
        vg_free(sch->subject);
        vg_free(sch->json);
        vg_free(sch);
}

/**
 * @brief Parses schema text into a handle (lint first if \p lint).
 * @returns the handle, or NULL with errstr.
 */
static vg_avro_schema_t *vg_avro_schema_load(const char *json, size_t len,
                                             int lint, char *errstr,
                                             size_t errstr_size)
{
        vg_avro_schema_t *sch;
        json_t *root;
        const char *ns;

        if (lint && vg_avro_schema_lint(json, len, errstr, errstr_size))
                return NULL;
        sch       = vg_calloc(1, sizeof(*sch));
        sch->json = vg_strndup(json, len);
        if (avro_schema_from_json_length(json, len, &sch->schema)) {
                snprintf(errstr, errstr_size, "invalid Avro schema: %s",
                         avro_strerror());
                goto fail;
        }
        if (avro_typeof(sch->schema) != AVRO_RECORD) {
                snprintf(errstr, errstr_size, "schema is not a record");
                goto fail;
        }
        sch->iface = avro_generic_class_from_schema(sch->schema);
        if (!sch->iface) {
                snprintf(errstr, errstr_size, "cannot create value class: "
                         "%s", avro_strerror());
                goto fail;
        }
        ns = avro_schema_namespace(sch->schema);
        if (ns && *ns) {
                size_t n  = strlen(ns) + strlen(avro_schema_name(sch->schema))
                            + 2;
                sch->name = vg_malloc(n);
                snprintf(sch->name, n, "%s.%s", ns,
                         avro_schema_name(sch->schema));
        } else {
                sch->name = vg_strdup(avro_schema_name(sch->schema));
        }
        root = json_loadb(json, len, 0, NULL);
        vg_avro_rmeta_collect(root, 0);
        json_decref(root);
        return sch;
fail:
        vg_avro_schema_destroy(sch);
        return NULL;
}

static void vg_avro_registry_add(vg_avro_registry_t *reg,
                                 vg_avro_schema_t *sch)
{
        if (reg->cnt == reg->size) {
                reg->size    = reg->size ? reg->size * 2 : 8;
                reg->schemas = vg_realloc(reg->schemas,
                                          reg->size * sizeof(*reg->schemas));
        }
        reg->schemas[reg->cnt++] = sch;
}

/** @returns the malloc'd content of \p path, or NULL with errstr. */
static char *vg_avro_read_file(const char *path, size_t *lenp, char *errstr,
                               size_t errstr_size)
{
        FILE *fp = fopen(path, "rb");
        char *buf = NULL;
        size_t len = 0, size = 0, n;

        if (!fp) {
                snprintf(errstr, errstr_size, "%s: %s", path,
                         strerror(errno));
                return NULL;
        }
        do {
                if (len + 4096 + 1 > size) {
                        size = (len + 4096 + 1) * 2;
                        buf  = vg_realloc(buf, size);
                }
                n = fread(buf + len, 1, size - len - 1, fp);
                len += n;
        } while (n > 0);
        if (ferror(fp)) {
                snprintf(errstr, errstr_size, "%s: read error", path);
                fclose(fp);
                vg_free(buf);
                return NULL;
        }
        fclose(fp);
        buf[len] = '\0';
        *lenp    = len;
        return buf;
}

/** Loads one registry.json entry: \p subject -> {"id": N, "file": F}. */
static int vg_avro_registry_load_one(vg_avro_registry_t *reg,
                                     const char *dir, const char *subject,
                                     const json_t *ent, char *errstr,
                                     size_t errstr_size)
{
        const char *file = json_string_value(json_object_get(ent, "file"));
        json_int_t id    = json_integer_value(json_object_get(ent, "id"));
        size_t slen      = strlen(subject), len;
        char path[1024], reason[512], *text;
        vg_avro_schema_t *sch;

        if (slen <= 6 || strcmp(subject + slen - 6, "-value") || !file ||
            id <= 0 || id > INT32_MAX) {
                snprintf(errstr, errstr_size,
                         "registry.json: %s: expected \"<topic>-value\": "
                         "{\"id\": 1.., \"file\": \"...\"}", subject);
                return -1;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, file);
        text = vg_avro_read_file(path, &len, errstr, errstr_size);
        if (!text)
                return -1;
        sch = vg_avro_schema_load(text, len, 1, reason, sizeof(reason));
        vg_free(text);
        if (!sch) {
                snprintf(errstr, errstr_size, "%s: %s", path, reason);
                return -1;
        }
        sch->id      = (int32_t)id;
        sch->subject = vg_strdup(subject);
        sch->topic   = vg_strndup(subject, slen - 6);
        if (reg->sr && vg_sr_register(reg->sr, subject, sch->json, &sch->id,
                                      errstr, errstr_size)) {
                vg_avro_schema_destroy(sch);
                return -1;
        }
        if (vg_avro_registry_by_id(reg, sch->id)) {
                snprintf(errstr, errstr_size, "registry.json: %s: schema id "
                         "%" PRId32 " used twice", subject, sch->id);
                vg_avro_schema_destroy(sch);
                return -1;
        }
        vg_avro_registry_add(reg, sch);
        vg_dbg("avro", "schema %s: subject %s id %" PRId32, sch->name,
               subject, sch->id);
        return 0;
}

vg_avro_registry_t *vg_avro_registry_new(const char *schema_dir,
                                         const char *sr_url, char *errstr,
                                         size_t errstr_size)
{
        vg_avro_registry_t *reg = vg_calloc(1, sizeof(*reg));
        json_error_t jerr;
        json_t *root = NULL, *ent;
        const char *subject;
        char path[1024];

        if (sr_url && *sr_url) {
                reg->sr = vg_sr_new(sr_url, 0, errstr, errstr_size);
                if (!reg->sr)
                        goto fail;
        }
        snprintf(path, sizeof(path), "%s/registry.json", schema_dir);
        root = json_load_file(path, 0, &jerr);
        if (!json_is_object(root)) {
                snprintf(errstr, errstr_size, "%s:%d: %s", path, jerr.line,
                         root ? "not a JSON object" : jerr.text);
                goto fail;
        }
        json_object_foreach(root, subject, ent) {
                if (vg_avro_registry_load_one(reg, schema_dir, subject, ent,
                                              errstr, errstr_size))
                        goto fail;
        }
        json_decref(root);
        return reg;
fail:
        json_decref(root);
        vg_avro_registry_destroy(reg);
        return NULL;
}

void vg_avro_registry_destroy(vg_avro_registry_t *reg)
{
        size_t i;

        if (!reg)
                return;
        for (i = 0; i < reg->cnt; i++)
                vg_avro_schema_destroy(reg->schemas[i]);
        vg_free(reg->schemas);
        vg_sr_destroy(reg->sr);
        vg_free(reg);
}

vg_avro_schema_t *vg_avro_registry_by_topic(const vg_avro_registry_t *reg,
                                            const char *topic)
{
        size_t i;

        for (i = 0; i < reg->cnt; i++)
                if (reg->schemas[i]->topic &&
                    !strcmp(reg->schemas[i]->topic, topic))
                        return reg->schemas[i];
        return NULL;
}

vg_avro_schema_t *vg_avro_registry_by_id(const vg_avro_registry_t *reg,
                                         int32_t id)
{
        size_t i;

        for (i = 0; i < reg->cnt; i++)
                if (reg->schemas[i]->id == id)
                        return reg->schemas[i];
        return NULL;
}

vg_avro_schema_t *vg_avro_registry_by_name(const vg_avro_registry_t *reg,
                                           const char *name)
{
        size_t i;

        for (i = 0; i < reg->cnt; i++) {
                const vg_avro_schema_t *sch = reg->schemas[i];
                if (!sch->topic) /* by-id fetches shadow nothing */
                        continue;
                if (!strcmp(sch->name, name) ||
                    !strcmp(avro_schema_name(sch->schema), name))
                        return reg->schemas[i];
        }
        return NULL;
}

size_t vg_avro_registry_count(const vg_avro_registry_t *reg)
{
        return reg->cnt;
}

vg_avro_schema_t *vg_avro_registry_at(const vg_avro_registry_t *reg,
                                      size_t i)
{
        return i < reg->cnt ? reg->schemas[i] : NULL;
}

int32_t vg_avro_schema_id(const vg_avro_schema_t *sch)
{
        return sch->id;
}

const char *vg_avro_schema_name(const vg_avro_schema_t *sch)
{
        return sch->name;
}

const char *vg_avro_schema_topic(const vg_avro_schema_t *sch)
{
        return sch->topic;
}

const char *vg_avro_schema_subject(const vg_avro_schema_t *sch)
{
        return sch->subject;
}

const char *vg_avro_schema_json(const vg_avro_schema_t *sch)
{
        return sch->json;
}

avro_schema_t vg_avro_schema_avro(const vg_avro_schema_t *sch)
{
        return sch->schema;
}

avro_value_iface_t *vg_avro_schema_iface(const vg_avro_schema_t *sch)
{
        return sch->iface;
}

vg_err_t vg_avro_schema_value_new(const vg_avro_schema_t *sch,
                                  avro_value_t *val)
{
        if (avro_generic_value_new(sch->iface, val))
                return VG_ERR_INVALID;
        return vg_avro_value_reset(val);
}

/* ------------------------------------------------------------------ */
/* 4. Binary validation of untrusted bodies                             */
/* ------------------------------------------------------------------ */

/* avro-c trusts lengths and counts it reads (a 2^60-byte string length
 * is an allocation attempt). Every body is walked here first, with
 * bounds checks, so avro-c only ever reads a well-formed body. */

typedef struct {
        const uint8_t *start;
        const uint8_t *p;
        const uint8_t *end;
        char *errstr;
        size_t errstr_size;
} vg_bin_t;

static int vg_bin_fail(vg_bin_t *b, const char *what, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static int vg_bin_fail(vg_bin_t *b, const char *what, const char *fmt, ...)
{
        char reason[256];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(reason, sizeof(reason), fmt, ap);
        va_end(ap);
        snprintf(b->errstr, b->errstr_size,
                 "%s Avro body at offset %zu of %zu: %s", what,
                 (size_t)(b->p - b->start), (size_t)(b->end - b->start),
                 reason);
        return -1;
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

static int vg_bin_lenbytes(vg_bin_t *b, const char *what)
{
        int64_t len;

        if (vg_bin_long(b, &len))
                return -1;
        if (len < 0)
                return vg_bin_fail(b, "corrupt", "negative %s length %" PRId64,
                                   what, len);
        return vg_bin_skip(b, (size_t)len, what);
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
        int64_t count, bsize, i;

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
                for (i = 0; i < count; i++) {
                        if (is_map && vg_bin_lenbytes(b, "map key"))
                                return -1;
                        if (vg_bin_walk(b, items, depth + 1))
                                return -1;
                }
        }
}

static int vg_bin_walk(vg_bin_t *b, avro_schema_t schema, int depth)
{
        int64_t v;
        size_t i;

        if (depth > VG_AVRO_MAX_DEPTH)
                return vg_bin_fail(b, "corrupt", "nested too deep");
        switch (avro_typeof(schema)) {
        case AVRO_NULL:
                return 0;
        case AVRO_STRING:
                return vg_bin_lenbytes(b, "string");
        case AVRO_BYTES:
                return vg_bin_lenbytes(b, "bytes");
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
                for (i = 0; i < avro_schema_record_size(schema); i++)
                        if (vg_bin_walk(b,
                                        avro_schema_record_field_get_by_index(
                                            schema, (int)i),
                                        depth + 1))
                                return -1;
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
/* 5. Wire format                                                       */
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
        b.errstr      = errstr;
        b.errstr_size = errstr_size;
        if (vg_bin_walk(&b, sch->schema, 0))
                return VG_ERR_DECODE;
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

/* ------------------------------------------------------------------ */
/* 6. Defaults and JSON -> Avro                                         */
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
static int vg_avro_union_null(avro_schema_t schema)
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
static void vg_avro_defaults(avro_value_t *val, int depth)
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
/* 7. Avro -> JSON                                                      */
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

/* ------------------------------------------------------------------ */
/* 8. Field accessors                                                   */
/* ------------------------------------------------------------------ */

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
