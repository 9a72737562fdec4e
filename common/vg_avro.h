/**
 * @file vg_avro.h
 * @brief Avro contracts: the schema registry, Confluent wire-format
 *        encode/decode, JSON <-> Avro conversion and field accessors.
 *
 * Schemas live in schemas/ (one record per topic, namespace vigie.v1) and
 * schemas/registry.json maps each subject ("<topic>-value", Confluent's
 * TopicNameStrategy) to a fixed id and a file. With a Schema Registry URL
 * the ids come from the registry instead (each schema is registered).
 *
 * avro-c 1.11 ignores "logicalType" and "default": this module reads the
 * schema JSON itself to know which fields are timestamp-millis and what
 * their defaults are. That knowledge is kept in a process-wide,
 * append-only table keyed by record full name and field names, so
 * vg_avro_to_json() can render timestamps from any value.
 *
 * Values are avro-c generic values (avro_value_t). Create them with
 * vg_avro_schema_value_new() and reuse them: vg_avro_value_reset().
 *
 * @locality A registry, its schema handles and their values belong to one
 *           thread: create one registry per thread. The process-wide
 *           table of logical types is thread-safe.
 *           Debian's avro-c is not built THREADSAFE: avro_strerror() uses
 *           one process-global buffer, so avro error texts in errstr may be
 *           garbled when several threads fail at the same instant (the
 *           return codes stay right).
 */
#ifndef VG_AVRO_H
#define VG_AVRO_H

#include <stddef.h>
#include <stdint.h>

#include <avro.h>

#include "vg_err.h"

/** Confluent wire format: magic byte 0 + 4-byte big-endian schema id. */
#define VG_AVRO_MAGIC      0
#define VG_AVRO_HEADER_LEN 5

typedef struct vg_avro_registry_s vg_avro_registry_t;
typedef struct vg_avro_schema_s vg_avro_schema_t;

/**
 * @name Registry
 * @{
 */

/**
 * @brief Loads every schema listed in \p schema_dir/registry.json.
 *
 * Each schema is checked with vg_avro_schema_lint() (parses, every field
 * has a doc). With \p sr_url each schema is registered under its subject
 * with vg_sr_register() and gets the registry's id; schema ids unknown
 * at decode time are then fetched from the registry too.
 *
 * @param schema_dir directory holding registry.json and the .avsc files
 *                   (VG_SCHEMA_DIR is the source tree's).
 * @param sr_url Schema Registry base URL, or NULL or "" for the local ids.
 * @returns a registry to free with vg_avro_registry_destroy(), or NULL with
 *          the reason in \p errstr.
 */
vg_avro_registry_t *vg_avro_registry_new(const char *schema_dir,
                                         const char *sr_url, char *errstr,
                                         size_t errstr_size);

/** @brief Frees \p reg, its schema handles and their values. NULL-safe. */
void vg_avro_registry_destroy(vg_avro_registry_t *reg);

/** @returns the schema of \p topic's values, or NULL. Borrowed: lives as
 *           long as the registry. */
vg_avro_schema_t *vg_avro_registry_by_topic(const vg_avro_registry_t *reg,
                                            const char *topic);

/** @returns the schema with id \p id, or NULL (no registry look-up). */
vg_avro_schema_t *vg_avro_registry_by_id(const vg_avro_registry_t *reg,
                                         int32_t id);

/** @returns the schema whose record is \p name, full ("vigie.v1.Alert")
 *           or short ("Alert"), or NULL. */
vg_avro_schema_t *vg_avro_registry_by_name(const vg_avro_registry_t *reg,
                                           const char *name);

/** @returns the number of schemas, for iteration with
 *           vg_avro_registry_at(). */
size_t vg_avro_registry_count(const vg_avro_registry_t *reg);

/** @returns the \p i th schema (0-based, in load order), or NULL. */
vg_avro_schema_t *vg_avro_registry_at(const vg_avro_registry_t *reg,
                                      size_t i);
/** @} */

/**
 * @name Schema handles (owned by the registry)
 * @{
 */
int32_t vg_avro_schema_id(const vg_avro_schema_t *sch);
/** @returns the record's full name, e.g. "vigie.v1.ChangeRequest". */
const char *vg_avro_schema_name(const vg_avro_schema_t *sch);
/** @returns the topic, or NULL for a schema fetched by id. */
const char *vg_avro_schema_topic(const vg_avro_schema_t *sch);
/** @returns the subject, e.g. "itsm.changes-value", or NULL. */
const char *vg_avro_schema_subject(const vg_avro_schema_t *sch);
/** @returns the schema's JSON text as loaded (with docs, logical types). */
const char *vg_avro_schema_json(const vg_avro_schema_t *sch);
/** @returns the avro-c schema. Borrowed: avro_schema_incref() to keep. */
avro_schema_t vg_avro_schema_avro(const vg_avro_schema_t *sch);
/** @returns the generic value class, created once per schema. Borrowed:
 *           avro_value_iface_incref() to keep. */
avro_value_iface_t *vg_avro_schema_iface(const vg_avro_schema_t *sch);

/**
 * @brief Creates a new value of \p sch with its defaults applied
 *        (see vg_avro_value_reset()).
 * @remark The caller frees it with avro_value_decref(). It holds a
 *         reference on the class, not on the registry: free values before
 *         the registry anyway, as the schema table is per registry.
 */
vg_err_t vg_avro_schema_value_new(const vg_avro_schema_t *sch,
                                  avro_value_t *val);

/**
 * @brief Checks schema text: it parses (avro-c), it is a record, and
 *        every record, enum and field has a non-empty "doc"; nullable
 *        unions ["null", T] have "default": null.
 * @returns VG_OK or VG_ERR_SCHEMA with e.g. `NoDoc.a: field has no doc`.
 */
vg_err_t vg_avro_schema_lint(const char *json, size_t len, char *errstr,
                             size_t errstr_size);
/** @} */

/**
 * @name Values
 * @{
 */

/**
 * @brief avro_value_reset(), then applies the schema defaults of every
 *        record field that has one (nullable fields become null, booleans
 *        with "default": false become false, ...), recursively.
 *
 * A freshly reset avro-c union has no branch and cannot be encoded;
 * after this call only the fields without a default remain to be set.
 */
vg_err_t vg_avro_value_reset(avro_value_t *val);
/** @} */

/**
 * @name Confluent wire format
 * @{
 */

/**
 * @brief Encodes \p val: 0x00, \p sch's id (4 bytes, big-endian), Avro
 *        binary.
 * @param val a value of \p sch (VG_ERR_SCHEMA otherwise).
 * @returns VG_OK with \p *bufp (free with vg_free(); suitable for
 *          RD_KAFKA_MSG_F_FREE) and \p *lenp, or VG_ERR_INVALID if the
 *          value cannot be written (e.g. a union with no branch set).
 */
vg_err_t vg_avro_encode(const vg_avro_schema_t *sch, avro_value_t *val,
                        void **bufp, size_t *lenp, char *errstr,
                        size_t errstr_size);

/**
 * @brief Frees the calling thread's cache of record metadata (kept per
 *        thread by the accessors and vg_avro_value_reset()): a thread that
 *        used them calls it before it exits. Harmless if it did not.
 */
void vg_avro_thread_done(void);

/**
 * @brief vg_avro_encode() into the caller's reusable buffer \p *bufp of
 *        \p *sizep bytes (both 0/NULL at first), grown with vg_realloc()
 *        when the record does not fit: no allocation once the buffer is
 *        large enough. Safe on several threads at once, each with its own
 *        value and buffer (a valid value never sets avro-c's global error
 *        text).
 * @returns as vg_avro_encode(), the message in \p *bufp[0..*lenp).
 */
vg_err_t vg_avro_encode_into(const vg_avro_schema_t *sch, avro_value_t *val,
                             uint8_t **bufp, size_t *sizep, size_t *lenp,
                             char *errstr, size_t errstr_size);

/**
 * @brief Decodes a wire-format message into the schema's reusable value.
 *
 * The body is validated against the writer schema before avro-c reads
 * it, so arbitrary bytes never crash or allocate more than \p len bytes.
 *
 * @param schp set to the writer schema (may be NULL).
 * @param valp set to the decoded value, owned by the schema handle and
 *             valid until the next vg_avro_decode() of the same schema
 *             with \p reg, or vg_avro_registry_destroy().
 * @returns VG_OK, or:
 *   - VG_ERR_DECODE: empty or short message, wrong magic byte, truncated
 *     or corrupt body, trailing bytes after the record, a string (or map
 *     key) that is not valid UTF-8 (strict: see vg_utf8.h), e.g.
 *     `field "number": invalid UTF-8 at byte 3 (0xff) of 10` (0-based
 *     byte of the string; nested fields as "top_factors[2].name");
 *     the other body errors name the field too when there is one;
 *   - VG_ERR_SCHEMA: unknown schema id (with a Schema Registry: also not
 *     found there); VG_ERR_UNAVAIL: the Schema Registry is unreachable.
 */
vg_err_t vg_avro_decode(vg_avro_registry_t *reg, const void *buf, size_t len,
                        vg_avro_schema_t **schp, avro_value_t **valp,
                        char *errstr, size_t errstr_size);
/**
 * @brief vg_avro_decode() into a value of the caller's: once the message
 *        is validated, \p dst_for(writer schema, \p opaque) returns the
 *        value (of that schema) to read the record into, or NULL on
 *        failure. Saves a copy when records are kept past the next decode.
 */
vg_err_t vg_avro_decode_to(vg_avro_registry_t *reg, const void *buf,
                           size_t len, vg_avro_schema_t **schp,
                           avro_value_t *(*dst_for)(vg_avro_schema_t *sch,
                                                    void *opaque),
                           void *opaque, char *errstr, size_t errstr_size);
/** @} */

/**
 * @name JSON
 * @{
 */

/**
 * @brief Fills \p val (a record of \p sch) from a JSON object.
 *
 * \p val is reset first. Conversion rules:
 *  - record fields missing from the JSON take their schema default;
 *    with no default: `number: required field missing` (also for null);
 *  - unknown JSON fields are ignored (ServiceNow exports carry many more
 *    columns than the contract);
 *  - nullable fields: JSON null or "" mean null; values may also use
 *    Avro's tagged form {"string": "x"};
 *  - int/long: JSON integers or integer strings ("2"), range-checked;
 *    timestamp-millis longs also take any vg_time_parse() string;
 *  - float/double: JSON numbers or numeric strings;
 *  - boolean: true/false or "true"/"false";
 *  - enum: the symbol; bytes and fixed: a string whose characters are
 *    U+0000..U+00FF, one byte each (Avro's JSON encoding, latin-1);
 *  - map: JSON object; array: JSON array.
 *
 * @returns VG_OK, or VG_ERR_INVALID with `path: reason` in \p errstr, e.g.
 *          `opened_at: cannot parse timestamp "2016-13-01 10:00:00": month
 *          out of range`, `top_factors[0].contribution: expected double, got
 *          string "high"`, or `: invalid JSON at line 1 column 7: ...`.
 */
vg_err_t vg_avro_from_json(const vg_avro_schema_t *sch, const char *json,
                           size_t len, avro_value_t *val, char *errstr,
                           size_t errstr_size);

/** vg_avro_to_json() flags */
#define VG_AVRO_JSON_F_ISO_TIME 0x1 /**< timestamp-millis as ISO-8601 UTC
                                     *   strings instead of numbers */
#define VG_AVRO_JSON_F_PLAIN    0x2 /**< unions as plain values, not
                                     *   Avro's {"type": value} */
#define VG_AVRO_JSON_F_PRETTY   (VG_AVRO_JSON_F_ISO_TIME | VG_AVRO_JSON_F_PLAIN)

/**
 * @brief Renders \p val as single-line JSON, fields in schema order.
 *
 * Bytes and fixed are latin-1 strings (as Avro's JSON encoding); doubles
 * use the shortest form that reads back exactly; NaN and infinities
 * become null; invalid UTF-8 in strings becomes U+FFFD.
 * Output with VG_AVRO_JSON_F_PLAIN (with or without ISO times) is accepted
 * back by vg_avro_from_json().
 *
 * @returns a string to free with vg_free(), or NULL if \p val is not
 *          readable (an unset union).
 */
char *vg_avro_to_json(const avro_value_t *val, int flags);
/** @} */

/**
 * @name Field accessors
 *
 * Getters resolve nullable unions: they return VG_OK when the field
 * exists and is not null, VG_ERR_NOENT when it is null or the record has
 * no such field, VG_ERR_INVALID when its type differs. Field look-up is
 * avro-c's hash of field names (no scan).
 * Setters select the union branch of the right type themselves;
 * numeric setters convert int <-> long (range-checked) and int/long ->
 * double.
 * Borrowed pointers (strings, bytes, symbols) live until the value is
 * changed, reset or freed.
 * @{
 */

/** @brief Gets field \p name of \p rec, through a nullable union. */
vg_err_t vg_avro_get_field(const avro_value_t *rec, const char *name,
                           avro_value_t *out);
/** @param lenp may be NULL; the string is NUL-terminated. */
vg_err_t vg_avro_get_str(const avro_value_t *rec, const char *name,
                         const char **sp, size_t *lenp);
vg_err_t vg_avro_get_bytes(const avro_value_t *rec, const char *name,
                           const void **bufp, size_t *lenp);
/** @brief Reads a long (or an int, widened). */
vg_err_t vg_avro_get_long(const avro_value_t *rec, const char *name,
                          int64_t *vp);
vg_err_t vg_avro_get_int(const avro_value_t *rec, const char *name,
                         int32_t *vp);
/** @brief Reads a double (or a float, int or long, converted). */
vg_err_t vg_avro_get_double(const avro_value_t *rec, const char *name,
                            double *vp);
vg_err_t vg_avro_get_bool(const avro_value_t *rec, const char *name,
                          int *vp);
/** @brief Reads an enum as its symbol. */
vg_err_t vg_avro_get_enum(const avro_value_t *rec, const char *name,
                          const char **symbolp);

/** @name Fields with a default, for reading events: the value, or
 *  \p dflt when the field is null, absent or of another type. @{ */
const char *vg_avro_str_or(const avro_value_t *rec, const char *name,
                           const char *dflt);
int64_t vg_avro_long_or(const avro_value_t *rec, const char *name,
                        int64_t dflt);
int32_t vg_avro_int_or(const avro_value_t *rec, const char *name,
                       int32_t dflt);
/** @} */

vg_err_t vg_avro_set_str(avro_value_t *rec, const char *name, const char *s);
vg_err_t vg_avro_set_strn(avro_value_t *rec, const char *name, const char *s,
                          size_t len);
vg_err_t vg_avro_set_bytes(avro_value_t *rec, const char *name,
                           const void *buf, size_t len);
vg_err_t vg_avro_set_long(avro_value_t *rec, const char *name, int64_t v);
vg_err_t vg_avro_set_int(avro_value_t *rec, const char *name, int32_t v);
vg_err_t vg_avro_set_double(avro_value_t *rec, const char *name, double v);
vg_err_t vg_avro_set_bool(avro_value_t *rec, const char *name, int v);
/** @returns VG_ERR_INVALID if the field is not nullable. */
vg_err_t vg_avro_set_null(avro_value_t *rec, const char *name);
/** @returns VG_ERR_INVALID for a symbol the enum does not have. */
vg_err_t vg_avro_set_enum(avro_value_t *rec, const char *name,
                          const char *symbol);

/**
 * @brief Appends an element to array field \p name and returns it in
 *        \p elem. A record element has its defaults applied and is
 *        filled with the setters above.
 */
vg_err_t vg_avro_append(avro_value_t *rec, const char *name,
                        avro_value_t *elem);
/** @brief Appends string \p s to array-of-string field \p name. */
vg_err_t vg_avro_append_str(avro_value_t *rec, const char *name,
                            const char *s);
/** @brief Sets \p key to \p s in map-of-string field \p name. */
vg_err_t vg_avro_map_set_str(avro_value_t *rec, const char *name,
                             const char *key, const char *s);
/** @} */

#endif /* VG_AVRO_H */
