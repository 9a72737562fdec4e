/**
 * @file vg_conf.h
 * @brief Configuration: property tables, librdkafka-style.
 *
 * Every property has a name, a type, a default, a range and a description
 * (a vg_conf_prop_t). The runtime's own properties (Kafka, Avro, Redis,
 * logging: the "common" group) live in vg_conf.c; each processor declares
 * its own in a vg_conf_group_t of its folder (e.g. chg_conf_group in
 * processors/change_risk/chg_conf.c) and hands it to the runtime through
 * its descriptor (vg_processor_def_t.conf_group). A configuration is built
 * from the common group plus the groups given to vg_conf_new().
 *
 * Values come from, in order: defaults, a properties file (`key=value`,
 * `#` comments), then `-X key=value` overrides. Keys under `kafka.` pass
 * through to librdkafka unchanged (without the prefix); keys ending in a
 * `*` entry of a table (e.g. `change.rule.3`) are kept as an ordered list.
 * `--help` and deploy/CONFIGURATION.md are generated from the same tables.
 *
 * Secrets are masked by the tables, never guessed from names: a property
 * flagged VG_CONF_F_SECRET is dumped as `********`, one flagged
 * VG_CONF_F_URL has its user-info masked (vg_conf_mask_url()), and so are
 * the `kafka.*` keys of an explicit list of librdkafka's secrets
 * (vg_conf.c: kafka.sasl.password, kafka.ssl.key.pem, ...).
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

typedef enum {
        VG_CONF_STR,
        VG_CONF_INT,  /**< vmin .. vmax */
        VG_CONF_DBL,  /**< vmin .. vmax */
        VG_CONF_BOOL, /**< true/false, yes/no, on/off, 1/0 */
        VG_CONF_ENUM, /**< string, one of enums (case-insensitive) */
        VG_CONF_LIST, /**< name ends in '*': any number of sub-keys */
} vg_conf_type_t;

/** @name Property flags (vg_conf_prop_t.flags). @{ */
#define VG_CONF_F_CTL    0x1 /**< vigie-ctl reads it too (common group) */
#define VG_CONF_F_SECRET 0x2 /**< a password, key or token: masked in
                                  dumps and logs */
#define VG_CONF_F_URL    0x4 /**< URL(s): user-info masked in dumps and
                                  logs (vg_conf_mask_url()) */
/** @} */

/** One property. Tables are written positionally, e.g.
 *  {0, "change.band.high", VG_CONF_DBL, "0.30", 0, 1, NULL, "p_failure
 *  from which a change is HIGH risk."}. */
typedef struct vg_conf_prop_s {
        int flags;          /**< VG_CONF_F_* */
        const char *name;   /**< "batch.size", or "change.rule.*" */
        vg_conf_type_t type;
        const char *defval; /**< as a string; NULL for VG_CONF_LIST */
        double vmin, vmax;  /**< VG_CONF_INT, VG_CONF_DBL */
        const char *enums;  /**< VG_CONF_ENUM: comma-separated */
        const char *desc;   /**< one paragraph, for --help and the doc */
} vg_conf_prop_t;

/** The properties of one program part: "common" (vg_conf.c) or a
 *  processor (its folder's *_conf.c). Names must not repeat across the
 *  groups of one configuration. */
typedef struct vg_conf_group_s {
        const char *name;           /**< section title: "vigie-change" */
        const vg_conf_prop_t *props;
        int nprops;
} vg_conf_group_t;

typedef struct vg_conf_s vg_conf_t;

/**
 * @brief A new configuration of the common properties plus those of each
 *        group of \p groups (NULL-terminated; NULL: the common ones only),
 *        holding every default. Aborts on a property name that two groups
 *        share (a programming error).
 */
vg_conf_t *vg_conf_new(const vg_conf_group_t *const *groups);

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

/** @name Typed getters. \p name must be a property of \p conf (abort
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

/** @brief Prints \p conf's properties, a section per group (common
 *         first), as --help text. */
void vg_conf_print_help(const vg_conf_t *conf, FILE *fp);

/** @brief Writes \p conf's properties as Markdown, a section per group
 *         (deploy/CONFIGURATION.md). */
void vg_conf_write_markdown(const vg_conf_t *conf, FILE *fp);

/** @brief Prints the effective configuration (`key=value`) as a properties
 *         file that loads back, secrets masked (see the file comment). */
void vg_conf_dump(const vg_conf_t *conf, FILE *fp);

/**
 * @brief Copies \p url to \p buf with the user-info of every URL in it
 *        masked: in `http://user:pass@host:8081/x`, `user:pass@` becomes
 *        `***@` (every URL of a comma-separated list too). Anything else is copied as is.
 *        Use it wherever a URL property is logged.
 * @returns \p buf, always NUL-terminated (truncated if \p size is short).
 */
char *vg_conf_mask_url(const char *url, char *buf, size_t size);

#endif /* VG_CONF_H */
