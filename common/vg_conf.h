/**
 * @file vg_conf.h
 * @brief Configuration: one property table, librdkafka-style.
 *
 * Every property has a name, a type, a default, a range and a description
 * (vg_conf.c, vg_conf_props[]). Values come from, in order: defaults, a
 * properties file (`key=value`, `#` comments), then `-X key=value` overrides.
 * Keys under `kafka.` pass through to librdkafka unchanged (without the
 * prefix); keys ending in a `*` entry of the table (e.g. `change.rule.3`)
 * are kept as an ordered list. `--help` and deploy/CONFIGURATION.md are
 * generated from the same table.
 */
#ifndef VG_CONF_H
#define VG_CONF_H

#include <stdint.h>
#include <stdio.h>

typedef enum {
        VG_CONF_OK      = 0,
        VG_CONF_INVALID = -1, /**< known property, bad value */
        VG_CONF_UNKNOWN = -2, /**< no such property */
} vg_conf_res_t;

/** Which programs a property concerns (bit flags, for --help). */
#define VG_CONF_F_ALL      0x1  /**< every processor */
#define VG_CONF_F_CHANGE   0x2  /**< vigie-change */
#define VG_CONF_F_INCIDENT 0x4  /**< vigie-incident */
#define VG_CONF_F_SURVEY   0x8  /**< vigie-survey */
#define VG_CONF_F_CTL      0x10 /**< vigie-ctl */

typedef struct vg_conf_s vg_conf_t;

/** @brief A new configuration holding every default. */
vg_conf_t *vg_conf_new(void);

/** @brief Frees \p conf. NULL is allowed. */
void vg_conf_destroy(vg_conf_t *conf);

/**
 * @brief Sets property \p name from the string \p value.
 * @returns VG_CONF_OK, or VG_CONF_INVALID / VG_CONF_UNKNOWN with a message
 *          in \p errstr: `Invalid value for configuration property "%s": %s`
 *          or `No such configuration property: "%s"`.
 */
vg_conf_res_t vg_conf_set(vg_conf_t *conf, const char *name,
                          const char *value, char *errstr,
                          size_t errstr_size);

/** @brief Applies a `key=value` string (as given to -X). */
vg_conf_res_t vg_conf_set_kv(vg_conf_t *conf, const char *kv, char *errstr,
                             size_t errstr_size);

/**
 * @brief Loads a properties file. Errors read `path:line: message`.
 * @returns 0, or -1 on the first error (nothing after it is applied).
 */
int vg_conf_load_file(vg_conf_t *conf, const char *path, char *errstr,
                      size_t errstr_size);

/**
 * @brief Applies a program's command line, in order: properties file
 *        \p file (may be NULL), the \p nx `-X key=value` strings, then
 *        \p bootstrap (may be NULL) as bootstrap.servers.
 * @returns 0, or -1 with `path:line: ...` or `-X key=value: ...` in
 *          \p errstr.
 */
int vg_conf_apply_args(vg_conf_t *conf, const char *file,
                       const char *const *xs, int nx, const char *bootstrap,
                       char *errstr, size_t errstr_size);

/**
 * @brief Checks cross-property rules once, before anything starts.
 * @returns NULL if the configuration is valid, else a static error string.
 */
const char *vg_conf_finalize(vg_conf_t *conf);

/** @name Typed getters. \p name must be a property of the table (abort
 *  otherwise: it is a programming error). Strings live as long as \p conf
 *  or until the property is set again. @{ */
const char *vg_conf_get_str(const vg_conf_t *conf, const char *name);
int64_t vg_conf_get_int(const vg_conf_t *conf, const char *name);
double vg_conf_get_double(const vg_conf_t *conf, const char *name);
int vg_conf_get_bool(const vg_conf_t *conf, const char *name);
/** @} */

/**
 * @brief Calls \p cb for every `kafka.*` pass-through pair, in the order
 *        they were set, with the prefix removed.
 */
void vg_conf_kafka_foreach(const vg_conf_t *conf,
                           void (*cb)(const char *name, const char *value,
                                      void *opaque),
                           void *opaque);

/**
 * @brief Calls \p cb for every list entry under \p prefix (a `*` property
 *        such as "change.rule."), sorted by key. @returns the count.
 */
int vg_conf_list_foreach(const vg_conf_t *conf, const char *prefix,
                         void (*cb)(const char *key, const char *value,
                                    void *opaque),
                         void *opaque);

/** @brief Prints the properties for \p scope_flags as --help text. */
void vg_conf_print_help(FILE *fp, int scope_flags);

/** @brief Writes the whole table as Markdown (deploy/CONFIGURATION.md). */
void vg_conf_write_markdown(FILE *fp);

/** @brief Prints the effective configuration (`key=value`, passwords
 *         masked), as a properties file that loads back. */
void vg_conf_dump(const vg_conf_t *conf, FILE *fp);

#endif /* VG_CONF_H */
