/**
 * @file vg_avro_meta.c
 * @brief Record metadata avro-c does not keep (timestamp-millis fields,
 *        defaults), read from the schema JSON into a process-wide table,
 *        and each thread's cache of it (see vg_avro_int.h).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include <jansson.h>

#include "vg_avro.h"
#include "vg_avro_int.h"
#include "vg_mem.h"

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
const vg_avro_rcache_t *vg_avro_rcache_get(avro_schema_t schema)
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
const vg_avro_rmeta_t *vg_avro_rmeta_find(avro_schema_t schema)
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
void vg_avro_rmeta_collect(const json_t *t, int depth)
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
