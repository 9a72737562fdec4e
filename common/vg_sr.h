/**
 * @file vg_sr.h
 * @brief Minimal Confluent Schema Registry client (libcurl): register a
 *        schema under a subject, fetch a schema by id.
 *
 * Errors are classified: VG_ERR_UNAVAIL for connection failures and HTTP
 * 5xx (retriable), VG_ERR_TIMEOUT, VG_ERR_NOENT for HTTP 404,
 * VG_ERR_SCHEMA for 409/422 (incompatible or invalid schema), VG_ERR_IO
 * for anything else. Messages quote the registry's own
 * {"error_code", "message"} when it sends one.
 *
 * @locality A vg_sr_t is used by one thread at a time (it owns one curl
 *           easy handle). curl_global_init() runs once, thread-safely.
 */
#ifndef VG_SR_H
#define VG_SR_H

#include <stddef.h>
#include <stdint.h>

#include "vg_err.h"

typedef struct vg_sr_s vg_sr_t;

/** Default request timeout. */
#define VG_SR_TIMEOUT_MS 10000

/**
 * @brief Creates a client for the registry at \p url
 *        (e.g. "http://localhost:8081"; a trailing '/' is ignored).
 * @param timeout_ms whole-request timeout, 0 for VG_SR_TIMEOUT_MS.
 * @returns a client to free with vg_sr_destroy(), or NULL with errstr.
 */
vg_sr_t *vg_sr_new(const char *url, int timeout_ms, char *errstr,
                   size_t errstr_size);

/** @brief Frees \p sr. NULL-safe. */
void vg_sr_destroy(vg_sr_t *sr);

/**
 * @brief Registers \p schema_json under \p subject
 *        (POST /subjects/{subject}/versions), or finds its id if the same
 *        schema is already registered.
 * @returns VG_OK with \p *idp, or an error (see file comment).
 */
vg_err_t vg_sr_register(vg_sr_t *sr, const char *subject,
                        const char *schema_json, int32_t *idp, char *errstr,
                        size_t errstr_size);

/**
 * @brief Fetches the schema with id \p id (GET /schemas/ids/{id}).
 * @returns VG_OK with \p *schema_jsonp (free with vg_free()), VG_ERR_NOENT
 *          if the registry does not know \p id, or another error.
 */
vg_err_t vg_sr_get_schema(vg_sr_t *sr, int32_t id, char **schema_jsonp,
                          char *errstr, size_t errstr_size);

/**
 * @name Protocol helpers (exposed for tests)
 * @{
 */

/** @returns the body of a register request, {"schema":"<escaped>"}
 *           (schema compacted if it is valid JSON), to vg_free(). */
char *vg_sr_register_body(const char *schema_json);

/** @brief Parses {"id": N} (a register response). */
vg_err_t vg_sr_parse_id(const char *body, size_t len, int32_t *idp,
                        char *errstr, size_t errstr_size);

/** @brief Parses {"schema": "..."} (a GET /schemas/ids response);
 *         \p *schemap is to vg_free(). */
vg_err_t vg_sr_parse_schema(const char *body, size_t len, char **schemap,
                            char *errstr, size_t errstr_size);

/**
 * @brief Classifies an HTTP error reply and writes
 *        `HTTP <status>: <message> (error_code <code>)` to errstr.
 * @returns the vg_err_t for \p status (never VG_OK).
 */
vg_err_t vg_sr_http_error(long status, const char *body, size_t len,
                          char *errstr, size_t errstr_size);
/** @} */

#endif /* VG_SR_H */
