/**
 * @file vg_avro_int.h
 * @brief Internals shared by the files of the Avro module: vg_avro_meta.c,
 *        vg_avro_registry.c, vg_avro_wire.c, vg_avro_json.c and
 *        vg_avro_access.c. Not part of the API (that is vg_avro.h): include
 *        it from those files only.
 */
#ifndef VG_AVRO_INT_H
#define VG_AVRO_INT_H

#include <stddef.h>
#include <stdint.h>

#include <avro.h>
#include <jansson.h>

#include "vg_avro.h"
#include "vg_sr.h"

/** Deepest nesting accepted in schemas, JSON and binary bodies. */
#define VG_AVRO_MAX_DEPTH 64

/**
 * @name Record metadata (vg_avro_meta.c)
 * @{
 */

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

/** What resetting a record to its defaults takes, by field. */
enum { VG_AVRO_DEF_NONE, VG_AVRO_DEF_SET, VG_AVRO_DEF_RECURSE };

/** A thread's cache entry: a record schema, its metadata and reset plan. */
typedef struct {
        avro_schema_t schema;
        const vg_avro_rmeta_t *rm;
        size_t nfields;
        unsigned char *plan; /**< by field: VG_AVRO_DEF_* (see defaults) */
} vg_avro_rcache_t;

/**
 * @brief The calling thread's cache entry of record schema \p schema
 *        (made on a miss, evicting the oldest entry).
 * @remark A lookup of another schema on this thread may evict the entry:
 *         look it up again after one.
 */
const vg_avro_rcache_t *vg_avro_rcache_get(avro_schema_t schema);

/** @returns the metadata of record schema \p schema, or NULL
 *           (through the thread's cache). */
const vg_avro_rmeta_t *vg_avro_rmeta_find(avro_schema_t schema);

/** @brief Adds the metadata of every record in schema JSON \p t to the
 *         process-wide table. */
void vg_avro_rmeta_collect(const json_t *t, int depth);

/** @} */

/**
 * @name Schema handles and the registry (vg_avro_registry.c)
 * @{
 */

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

/**
 * @brief Parses schema text into a handle (lint first if \p lint); the
 *        metadata of its records is collected.
 * @returns the handle (id 0, no topic), or NULL with errstr.
 */
vg_avro_schema_t *vg_avro_schema_load(const char *json, size_t len,
                                      int lint, char *errstr,
                                      size_t errstr_size);

/** @brief Appends \p sch to \p reg, which takes ownership of it. */
void vg_avro_registry_add(vg_avro_registry_t *reg, vg_avro_schema_t *sch);

/** @} */

/**
 * @name Defaults and JSON (vg_avro_json.c)
 * @{
 */

/** @brief Applies field defaults to record \p val, recursing into
 *         records (anything else is left alone). */
void vg_avro_defaults(avro_value_t *val, int depth);

/** @returns the index of union \p schema's null branch, or -1. */
int vg_avro_union_null(avro_schema_t schema);

/** @} */

#endif /* VG_AVRO_INT_H */
