/**
 * @file vg_avro_registry.c
 * @brief Loading schemas: the lint every schema passes, schema handles
 *        and the registry (schemas/registry.json, Schema Registry
 *        registration) (see vg_avro.h).
 *
 * Layout of this file:
 *   1. schema lint
 *   2. schema handles and the registry
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "vg_avro.h"
#include "vg_avro_int.h"
#include "vg_log.h"
#include "vg_mem.h"
#include "vg_sr.h"

/* ------------------------------------------------------------------ */
/* 1. Schema lint                                                     */
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
/* 2. Schema handles and the registry                                 */
/* ------------------------------------------------------------------ */

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
vg_avro_schema_t *vg_avro_schema_load(const char *json, size_t len,
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

void vg_avro_registry_add(vg_avro_registry_t *reg, vg_avro_schema_t *sch)
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
