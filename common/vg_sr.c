/**
 * @file vg_sr.c
 * @brief Confluent Schema Registry client (see vg_sr.h).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "vg_conf.h" /* vg_conf_mask_url(): no credentials in messages */
#include "vg_log.h"
#include "vg_mem.h"
#include "vg_sr.h"

#define VG_SR_CONTENT_TYPE "application/vnd.schemaregistry.v1+json"

struct vg_sr_s {
        char *url;              /**< base URL, no trailing '/' */
        CURL *curl;             /**< reused: keeps the connection alive */
        struct curl_slist *hdrs;
        int timeout_ms;
};

/** A growable response body. */
typedef struct {
        char *data;
        size_t len;
        size_t size;
} vg_sr_body_t;

static pthread_once_t vg_sr_once = PTHREAD_ONCE_INIT;
static CURLcode vg_sr_global_res;

static void vg_sr_global_init(void)
{
        vg_sr_global_res = curl_global_init(CURL_GLOBAL_DEFAULT);
}

vg_sr_t *vg_sr_new(const char *url, int timeout_ms, char *errstr,
                   size_t errstr_size)
{
        vg_sr_t *sr;
        size_t len = strlen(url);

        if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8)) {
                char masked[512];
                snprintf(errstr, errstr_size,
                         "Invalid Schema Registry URL \"%s\": "
                         "expected http:// or https://",
                         vg_conf_mask_url(url, masked, sizeof(masked)));
                return NULL;
        }
        pthread_once(&vg_sr_once, vg_sr_global_init);
        if (vg_sr_global_res != CURLE_OK) {
                snprintf(errstr, errstr_size, "curl_global_init: %s",
                         curl_easy_strerror(vg_sr_global_res));
                return NULL;
        }
        sr = vg_calloc(1, sizeof(*sr));
        while (len > 0 && url[len - 1] == '/')
                len--;
        sr->url        = vg_strndup(url, len);
        sr->timeout_ms = timeout_ms > 0 ? timeout_ms : VG_SR_TIMEOUT_MS;
        sr->curl       = curl_easy_init();
        if (!sr->curl) {
                snprintf(errstr, errstr_size, "curl_easy_init failed");
                vg_sr_destroy(sr);
                return NULL;
        }
        sr->hdrs = curl_slist_append(NULL,
                                     "Content-Type: " VG_SR_CONTENT_TYPE);
        sr->hdrs = curl_slist_append(sr->hdrs,
                                     "Accept: " VG_SR_CONTENT_TYPE
                                     ", application/json");
        return sr;
}

void vg_sr_destroy(vg_sr_t *sr)
{
        if (!sr)
                return;
        if (sr->curl)
                curl_easy_cleanup(sr->curl);
        curl_slist_free_all(sr->hdrs);
        vg_free(sr->url);
        vg_free(sr);
}

static size_t vg_sr_write_cb(char *ptr, size_t size, size_t nmemb, void *opaque)
{
        vg_sr_body_t *body = opaque;
        size_t n           = size * nmemb;

        if (body->len + n + 1 > body->size) {
                body->size = (body->len + n + 1) * 2;
                body->data = vg_realloc(body->data, body->size);
        }
        memcpy(body->data + body->len, ptr, n);
        body->len += n;
        body->data[body->len] = '\0';
        return n;
}

/**
 * @brief Performs one request to \p path (POST if \p post_body).
 * @returns VG_OK with the 2xx reply in \p body, or a classified error.
 */
static vg_err_t vg_sr_request(vg_sr_t *sr, const char *path,
                              const char *post_body, vg_sr_body_t *body,
                              char *errstr, size_t errstr_size)
{
        char url[1024], masked[1024];
        char cerr[CURL_ERROR_SIZE] = "";
        CURLcode res;
        long status = 0;

        snprintf(url, sizeof(url), "%s%s", sr->url, path);
        curl_easy_reset(sr->curl);
        curl_easy_setopt(sr->curl, CURLOPT_URL, url);
        curl_easy_setopt(sr->curl, CURLOPT_HTTPHEADER, sr->hdrs);
        curl_easy_setopt(sr->curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(sr->curl, CURLOPT_TIMEOUT_MS, (long)sr->timeout_ms);
        curl_easy_setopt(sr->curl, CURLOPT_ERRORBUFFER, cerr);
        curl_easy_setopt(sr->curl, CURLOPT_WRITEFUNCTION, vg_sr_write_cb);
        curl_easy_setopt(sr->curl, CURLOPT_WRITEDATA, body);
        if (post_body)
                curl_easy_setopt(sr->curl, CURLOPT_POSTFIELDS, post_body);

        res = curl_easy_perform(sr->curl);
        if (res != CURLE_OK) {
                snprintf(errstr, errstr_size, "Schema Registry %s: %s",
                         vg_conf_mask_url(url, masked, sizeof(masked)),
                         cerr[0] ? cerr : curl_easy_strerror(res));
                return res == CURLE_OPERATION_TIMEDOUT ? VG_ERR_TIMEOUT
                                                       : VG_ERR_UNAVAIL;
        }
        curl_easy_getinfo(sr->curl, CURLINFO_RESPONSE_CODE, &status);
        if (status < 200 || status >= 300) {
                char herr[512];
                vg_err_t err = vg_sr_http_error(
                    status, body->data, body->len, herr, sizeof(herr));
                snprintf(errstr, errstr_size, "Schema Registry %s: %s",
                         vg_conf_mask_url(url, masked, sizeof(masked)), herr);
                return err;
        }
        return VG_OK;
}

vg_err_t vg_sr_register(vg_sr_t *sr, const char *subject,
                        const char *schema_json, int32_t *idp, char *errstr,
                        size_t errstr_size)
{
        vg_sr_body_t body = {0};
        char *esc, *req, path[512];
        vg_err_t err;

        esc = curl_easy_escape(sr->curl, subject, 0);
        snprintf(path, sizeof(path), "/subjects/%s/versions", esc);
        curl_free(esc);
        req = vg_sr_register_body(schema_json);
        err = vg_sr_request(sr, path, req, &body, errstr, errstr_size);
        if (!err)
                err = vg_sr_parse_id(body.data, body.len, idp, errstr,
                                     errstr_size);
        if (!err)
                vg_dbg("sr", "registered subject %s: id %" PRId32, subject,
                       *idp);
        vg_free(req);
        vg_free(body.data);
        return err;
}

vg_err_t vg_sr_get_schema(vg_sr_t *sr, int32_t id, char **schema_jsonp,
                          char *errstr, size_t errstr_size)
{
        vg_sr_body_t body = {0};
        char path[64];
        vg_err_t err;

        snprintf(path, sizeof(path), "/schemas/ids/%" PRId32, id);
        err = vg_sr_request(sr, path, NULL, &body, errstr, errstr_size);
        if (!err)
                err = vg_sr_parse_schema(body.data, body.len, schema_jsonp,
                                         errstr, errstr_size);
        vg_free(body.data);
        return err;
}

char *vg_sr_register_body(const char *schema_json)
{
        json_t *schema, *req;
        char *compact = NULL, *out, *ret;

        schema = json_loads(schema_json, JSON_DECODE_ANY, NULL);
        if (schema) {
                compact = json_dumps(schema, JSON_COMPACT | JSON_ENCODE_ANY);
                json_decref(schema);
        }
        req = json_pack("{s:s}", "schema", compact ? compact : schema_json);
        out = json_dumps(req, JSON_COMPACT);
        json_decref(req);
        free(compact);
        ret = vg_strdup(out);
        free(out);
        return ret;
}

/** @returns the parsed object or NULL with errstr set. */
static json_t *vg_sr_parse_obj(const char *body, size_t len, char *errstr,
                               size_t errstr_size)
{
        json_error_t jerr;
        json_t *obj;

        obj = json_loadb(body ? body : "", body ? len : 0, 0, &jerr);
        if (!obj) {
                snprintf(errstr, errstr_size,
                         "Invalid Schema Registry reply: %s", jerr.text);
                return NULL;
        }
        if (!json_is_object(obj)) {
                snprintf(errstr, errstr_size,
                         "Invalid Schema Registry reply: not an object");
                json_decref(obj);
                return NULL;
        }
        return obj;
}

vg_err_t vg_sr_parse_id(const char *body, size_t len, int32_t *idp,
                        char *errstr, size_t errstr_size)
{
        json_t *obj = vg_sr_parse_obj(body, len, errstr, errstr_size);
        json_t *id;
        json_int_t v;

        if (!obj)
                return VG_ERR_IO;
        id = json_object_get(obj, "id");
        if (!json_is_integer(id) || (v = json_integer_value(id)) <= 0 ||
            v > INT32_MAX) {
                snprintf(errstr, errstr_size,
                         "Invalid Schema Registry reply: "
                         "no positive integer \"id\"");
                json_decref(obj);
                return VG_ERR_IO;
        }
        *idp = (int32_t)v;
        json_decref(obj);
        return VG_OK;
}

vg_err_t vg_sr_parse_schema(const char *body, size_t len, char **schemap,
                            char *errstr, size_t errstr_size)
{
        json_t *obj = vg_sr_parse_obj(body, len, errstr, errstr_size);
        json_t *schema, *type;

        if (!obj)
                return VG_ERR_IO;
        type = json_object_get(obj, "schemaType");
        if (type && (!json_is_string(type) ||
                     strcmp(json_string_value(type), "AVRO"))) {
                snprintf(errstr, errstr_size,
                         "Schema Registry schema is not Avro (schemaType %s)",
                         json_is_string(type) ? json_string_value(type)
                                              : "?");
                json_decref(obj);
                return VG_ERR_SCHEMA;
        }
        schema = json_object_get(obj, "schema");
        if (!json_is_string(schema)) {
                snprintf(errstr, errstr_size,
                         "Invalid Schema Registry reply: no string "
                         "\"schema\"");
                json_decref(obj);
                return VG_ERR_IO;
        }
        *schemap = vg_strndup(json_string_value(schema),
                              json_string_length(schema));
        json_decref(obj);
        return VG_OK;
}

vg_err_t vg_sr_http_error(long status, const char *body, size_t len,
                          char *errstr, size_t errstr_size)
{
        json_t *obj = NULL, *msg = NULL, *code = NULL;

        if (body && len > 0)
                obj = json_loadb(body, len, 0, NULL);
        if (json_is_object(obj)) {
                msg  = json_object_get(obj, "message");
                code = json_object_get(obj, "error_code");
        }
        if (json_is_string(msg))
                snprintf(errstr, errstr_size,
                         "HTTP %ld: %s (error_code %" JSON_INTEGER_FORMAT ")",
                         status, json_string_value(msg),
                         json_is_integer(code) ? json_integer_value(code)
                                               : (json_int_t)status);
        else
                snprintf(errstr, errstr_size, "HTTP %ld: %.*s", status,
                         (int)(len > 200 ? 200 : len), body ? body : "");
        json_decref(obj);

        if (status == 404)
                return VG_ERR_NOENT;
        if (status == 409 || status == 422)
                return VG_ERR_SCHEMA;
        if (status >= 500)
                return VG_ERR_UNAVAIL;
        return VG_ERR_IO;
}
