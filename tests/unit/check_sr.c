/**
 * @file check_sr.c
 * @brief Unit tests of vg_sr (Schema Registry client) and of the
 *        registry/decoder running against it. A fake registry is served
 *        by a thread on a loopback port; no other network is used.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#include "vg_avro.h"
#include "vg_mem.h"
#include "vg_sr.h"

static char errstr[512];

/** A string literal and its length. */
#define SL(s) s, strlen(s)

/* ----------------------------------------------------------------- */
/* A fake Schema Registry: one request per connection.                */
/* ----------------------------------------------------------------- */

static struct {
        int lfd;
        int port;
        volatile int stop;
        pthread_t thr;
        int next_id;           /**< id given to the next registration */
        int nposts;
        char last_req[8192];   /**< last request: line, headers, body */
        char *alert_schema;    /**< served as id 42 */
} fake;

static void fake_reply(int fd, int status, const char *body)
{
        char hdr[256];
        int n;

        n = snprintf(hdr, sizeof(hdr),
                     "HTTP/1.1 %d X\r\nContent-Type: application/"
                     "vnd.schemaregistry.v1+json\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n", status, strlen(body));
        if (write(fd, hdr, (size_t)n) < 0 ||
            write(fd, body, strlen(body)) < 0)
                return;
}

/** Reads one request (headers + Content-Length body) into last_req. */
static void fake_read(int fd)
{
        size_t len = 0;
        char *hend = NULL, *cl;
        ssize_t n;

        while (len < sizeof(fake.last_req) - 1) {
                n = read(fd, fake.last_req + len,
                         sizeof(fake.last_req) - 1 - len);
                if (n <= 0)
                        break;
                len += (size_t)n;
                fake.last_req[len] = '\0';
                if (!hend && (hend = strstr(fake.last_req, "\r\n\r\n"))) {
                        size_t want = 0;
                        cl = strcasestr(fake.last_req, "Content-Length:");
                        if (cl && cl < hend)
                                want = strtoul(cl + 15, NULL, 10);
                        if ((size_t)(hend + 4 - fake.last_req) + want <= len)
                                break;
                } else if (hend) {
                        cl = strcasestr(fake.last_req, "Content-Length:");
                        if (cl && (size_t)(hend + 4 - fake.last_req) +
                                          strtoul(cl + 15, NULL, 10) <= len)
                                break;
                }
        }
}

static void fake_handle(int fd)
{
        char body[16384];
        json_t *j;
        char *s;

        fake_read(fd);
        if (!strncmp(fake.last_req, "POST /subjects/bad-value/", 25)) {
                fake_reply(fd, 409, "{\"error_code\":409,\"message\":"
                           "\"Schema being registered is incompatible\"}");
        } else if (!strncmp(fake.last_req, "POST /subjects/", 15)) {
                fake.nposts++;
                snprintf(body, sizeof(body), "{\"id\":%d}", fake.next_id++);
                fake_reply(fd, 200, body);
        } else if (!strncmp(fake.last_req, "GET /schemas/ids/42 ", 20)) {
                j = json_pack("{s:s}", "schema", fake.alert_schema);
                s = json_dumps(j, JSON_COMPACT);
                fake_reply(fd, 200, s);
                free(s);
                json_decref(j);
        } else if (!strncmp(fake.last_req, "GET /schemas/ids/500 ", 21)) {
                fake_reply(fd, 500, "{\"error_code\":50001,\"message\":"
                           "\"Error in the backend data store\"}");
        } else {
                fake_reply(fd, 404, "{\"error_code\":40403,\"message\":"
                           "\"Schema not found\"}");
        }
}

static void *fake_main(void *arg)
{
        struct pollfd pfd = {.fd = fake.lfd, .events = POLLIN};

        while (!fake.stop) {
                int fd;
                if (poll(&pfd, 1, 50) <= 0)
                        continue;
                fd = accept(fake.lfd, NULL, NULL);
                if (fd < 0)
                        continue;
                fake_handle(fd);
                close(fd);
        }
        return NULL;
}

/** Binds 127.0.0.1:0. @returns the socket; sets \p *portp. */
static int loopback_listen(int *portp)
{
        struct sockaddr_in sin = {.sin_family = AF_INET};
        socklen_t sl           = sizeof(sin);
        int fd                 = socket(AF_INET, SOCK_STREAM, 0);

        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
        ck_assert_int_eq(listen(fd, 16), 0);
        getsockname(fd, (struct sockaddr *)&sin, &sl);
        *portp = ntohs(sin.sin_port);
        return fd;
}

static void fake_start(void)
{
        char path[1024];
        FILE *fp;
        long n;

        memset(&fake, 0, sizeof(fake));
        fake.next_id = 101;
        fake.lfd     = loopback_listen(&fake.port);
        snprintf(path, sizeof(path), "%s/Alert.avsc", VG_SCHEMA_DIR);
        fp = fopen(path, "rb");
        ck_assert_ptr_nonnull(fp);
        fseek(fp, 0, SEEK_END);
        n = ftell(fp);
        rewind(fp);
        fake.alert_schema = vg_calloc(1, (size_t)n + 1);
        ck_assert_int_eq(fread(fake.alert_schema, 1, (size_t)n, fp),
                         (size_t)n);
        fclose(fp);
        pthread_create(&fake.thr, NULL, fake_main, NULL);
}

static void fake_stop(void)
{
        fake.stop = 1;
        pthread_join(fake.thr, NULL);
        close(fake.lfd);
        vg_free(fake.alert_schema);
}

static vg_sr_t *fake_client(void)
{
        char url[64];
        vg_sr_t *sr;

        snprintf(url, sizeof(url), "http://127.0.0.1:%d/", fake.port);
        sr = vg_sr_new(url, 5000, errstr, sizeof(errstr));
        ck_assert_msg(sr != NULL, "%s", errstr);
        return sr;
}

/* ----------------------------------------------------------------- */
/* Protocol helpers                                                   */
/* ----------------------------------------------------------------- */

START_TEST(test_register_body)
{
        char *body = vg_sr_register_body("{ \"type\" : \"record\",\n"
                                         "  \"name\": \"R\", \"doc\": "
                                         "\"say \\\"hi\\\"\", "
                                         "\"fields\": [] }");
        json_t *j, *inner;

        ck_assert_str_eq(body,
                         "{\"schema\":\"{\\\"type\\\":\\\"record\\\","
                         "\\\"name\\\":\\\"R\\\",\\\"doc\\\":\\\"say "
                         "\\\\\\\"hi\\\\\\\"\\\",\\\"fields\\\":[]}\"}");
        /* and it decodes back to the same schema */
        j     = json_loads(body, 0, NULL);
        inner = json_loads(json_string_value(json_object_get(j, "schema")), 0,
                           NULL);
        ck_assert_str_eq(json_string_value(json_object_get(inner, "doc")),
                         "say \"hi\"");
        json_decref(inner);
        json_decref(j);
        vg_free(body);

        /* a primitive schema is compacted too */
        body = vg_sr_register_body("\"string\"\n");
        ck_assert_str_eq(body, "{\"schema\":\"\\\"string\\\"\"}");
        vg_free(body);
        /* not JSON: sent as is, escaped */
        body = vg_sr_register_body("not json\n");
        ck_assert_str_eq(body, "{\"schema\":\"not json\\n\"}");
        vg_free(body);
}
END_TEST

START_TEST(test_parse_replies)
{
        int32_t id = 0;
        char *schema = NULL;

        ck_assert_int_eq(vg_sr_parse_id(SL("{\"id\": 17}"), &id, errstr,
                                        sizeof(errstr)), VG_OK);
        ck_assert_int_eq(id, 17);
        ck_assert_int_eq(vg_sr_parse_id(SL("{\"id\": \"17\"}"), &id, errstr,
                                        sizeof(errstr)), VG_ERR_IO);
        ck_assert_ptr_nonnull(strstr(errstr, "no positive integer \"id\""));
        ck_assert_int_eq(vg_sr_parse_id(SL("{\"id\": 0}"), &id, errstr,
                                        sizeof(errstr)), VG_ERR_IO);
        ck_assert_int_eq(vg_sr_parse_id(SL("<html>"), &id, errstr,
                                        sizeof(errstr)), VG_ERR_IO);
        ck_assert_ptr_nonnull(strstr(errstr, "Invalid Schema Registry reply"));
        ck_assert_int_eq(vg_sr_parse_id(NULL, 0, &id, errstr, sizeof(errstr)),
                         VG_ERR_IO);

        ck_assert_int_eq(vg_sr_parse_schema(SL("{\"schema\":\"\\\"long\\\"\"}"),
                                            &schema, errstr, sizeof(errstr)),
                         VG_OK);
        ck_assert_str_eq(schema, "\"long\"");
        vg_free(schema);
        ck_assert_int_eq(vg_sr_parse_schema(SL("{\"schema\":\"x\", "
                                               "\"schemaType\":\"PROTOBUF\"}"),
                                            &schema, errstr, sizeof(errstr)),
                         VG_ERR_SCHEMA);
        ck_assert_ptr_nonnull(strstr(errstr, "not Avro"));
        ck_assert_int_eq(vg_sr_parse_schema(SL("{}"), &schema, errstr,
                                            sizeof(errstr)), VG_ERR_IO);
}
END_TEST

START_TEST(test_http_errors)
{
        const char *b = "{\"error_code\":40401,\"message\":\"Subject 'x' not "
                        "found.\"}";

        ck_assert_int_eq(vg_sr_http_error(404, b, strlen(b), errstr,
                                          sizeof(errstr)), VG_ERR_NOENT);
        ck_assert_str_eq(errstr, "HTTP 404: Subject 'x' not found. "
                                 "(error_code 40401)");
        ck_assert_int_eq(vg_sr_http_error(409, "", 0, errstr, sizeof(errstr)),
                         VG_ERR_SCHEMA);
        ck_assert_int_eq(vg_sr_http_error(422, NULL, 0, errstr,
                                          sizeof(errstr)), VG_ERR_SCHEMA);
        ck_assert_int_eq(vg_sr_http_error(503, "busy", 4, errstr,
                                          sizeof(errstr)), VG_ERR_UNAVAIL);
        ck_assert_str_eq(errstr, "HTTP 503: busy");
        ck_assert_int_eq(vg_sr_http_error(401, "", 0, errstr, sizeof(errstr)),
                         VG_ERR_IO);
}
END_TEST

START_TEST(test_new_bad_url)
{
        ck_assert_ptr_null(vg_sr_new("localhost:8081", 0, errstr,
                                     sizeof(errstr)));
        ck_assert_ptr_nonnull(strstr(errstr, "expected http://"));
        vg_sr_destroy(NULL);
}
END_TEST

/* ----------------------------------------------------------------- */
/* Over loopback                                                      */
/* ----------------------------------------------------------------- */

START_TEST(test_connection_refused)
{
        char url[64];
        int port, fd = loopback_listen(&port);
        vg_sr_t *sr;
        int32_t id;
        char *schema;
        vg_avro_registry_t *reg;

        close(fd); /* nobody listens on port now */
        snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
        sr = vg_sr_new(url, 2000, errstr, sizeof(errstr));
        ck_assert_ptr_nonnull(sr);
        ck_assert_int_eq(vg_sr_register(sr, "itsm.alerts-value", "\"long\"",
                                        &id, errstr, sizeof(errstr)),
                         VG_ERR_UNAVAIL);
        ck_assert_msg(strstr(errstr, "/subjects/itsm.alerts-value/versions") &&
                          strstr(errstr, "onnect"), "%s", errstr);
        ck_assert_int_eq(vg_sr_get_schema(sr, 1, &schema, errstr,
                                          sizeof(errstr)), VG_ERR_UNAVAIL);
        vg_sr_destroy(sr);

        reg = vg_avro_registry_new(VG_SCHEMA_DIR, url, errstr, sizeof(errstr));
        ck_assert_ptr_null(reg);
        ck_assert_ptr_nonnull(strstr(errstr, "Schema Registry http://"));
}
END_TEST

START_TEST(test_register_and_fetch)
{
        vg_sr_t *sr = fake_client();
        int32_t id  = 0;
        char *schema;

        ck_assert_int_eq(vg_sr_register(sr, "itsm.alerts-value",
                                        fake.alert_schema, &id, errstr,
                                        sizeof(errstr)), VG_OK);
        ck_assert_int_eq(id, 101);
        ck_assert_msg(!strncmp(fake.last_req, "POST /subjects/itsm.alerts-"
                               "value/versions HTTP/1.1\r\n", 47), "%s",
                      fake.last_req);
        ck_assert_ptr_nonnull(strstr(fake.last_req, "Content-Type: application"
                                     "/vnd.schemaregistry.v1+json\r\n"));
        ck_assert_ptr_nonnull(strstr(fake.last_req, "\r\n\r\n{\"schema\":\""
                                     "{\\\"type\\\":\\\"record\\\""));

        ck_assert_int_eq(vg_sr_register(sr, "bad-value", "\"long\"", &id,
                                        errstr, sizeof(errstr)),
                         VG_ERR_SCHEMA);
        ck_assert_ptr_nonnull(strstr(errstr, "HTTP 409: Schema being "
                                     "registered is incompatible"));

        ck_assert_int_eq(vg_sr_get_schema(sr, 42, &schema, errstr,
                                          sizeof(errstr)), VG_OK);
        ck_assert_ptr_nonnull(strstr(schema, "\"name\": \"Alert\""));
        vg_free(schema);
        ck_assert_int_eq(vg_sr_get_schema(sr, 7, &schema, errstr,
                                          sizeof(errstr)), VG_ERR_NOENT);
        ck_assert_ptr_nonnull(strstr(errstr, "/schemas/ids/7: HTTP 404: "
                                     "Schema not found (error_code 40403)"));
        ck_assert_int_eq(vg_sr_get_schema(sr, 500, &schema, errstr,
                                          sizeof(errstr)), VG_ERR_UNAVAIL);
        vg_sr_destroy(sr);
}
END_TEST

START_TEST(test_registry_with_sr)
{
        char url[64];
        vg_avro_registry_t *reg;
        vg_avro_schema_t *sch, *dsch;
        avro_value_t val, *dval;
        void *buf;
        size_t len;
        uint8_t *p;
        const char *s;

        snprintf(url, sizeof(url), "http://127.0.0.1:%d", fake.port);
        reg = vg_avro_registry_new(VG_SCHEMA_DIR, url, errstr, sizeof(errstr));
        ck_assert_msg(reg != NULL, "%s", errstr);
        ck_assert_int_eq(fake.nposts, 9);
        /* ids come from the registry, in registry.json order */
        sch = vg_avro_registry_by_topic(reg, "itsm.changes");
        ck_assert_int_eq(vg_avro_schema_id(sch), 101);
        sch = vg_avro_registry_by_topic(reg, "itsm.alerts");
        ck_assert_int_eq(vg_avro_schema_id(sch), 107);
        ck_assert_ptr_null(vg_avro_registry_by_id(reg, 7));

        /* a message written with id 42, unknown locally: fetched */
        ck_assert_int_eq(vg_avro_schema_value_new(sch, &val), VG_OK);
        vg_avro_set_str(&val, "alert_id", "A1");
        vg_avro_set_enum(&val, "severity", "WARNING");
        ck_assert_int_eq(vg_avro_encode(sch, &val, &buf, &len, errstr,
                                        sizeof(errstr)), VG_OK);
        p = buf;
        ck_assert_int_eq(p[4], 107);
        p[4] = 42;
        ck_assert_msg(vg_avro_decode(reg, buf, len, &dsch, &dval, errstr,
                                     sizeof(errstr)) == VG_OK, "%s", errstr);
        ck_assert_int_eq(vg_avro_schema_id(dsch), 42);
        ck_assert_ptr_null(vg_avro_schema_topic(dsch));
        ck_assert_str_eq(vg_avro_schema_name(dsch), "vigie.v1.Alert");
        ck_assert_int_eq(vg_avro_get_str(dval, "alert_id", &s, NULL), VG_OK);
        ck_assert_str_eq(s, "A1");
        ck_assert_ptr_eq(vg_avro_registry_by_id(reg, 42), dsch);
        /* the topic's schema is still the registered one */
        ck_assert_ptr_eq(vg_avro_registry_by_name(reg, "Alert"), sch);

        /* an id the registry does not know either */
        p[4] = 43;
        ck_assert_int_eq(vg_avro_decode(reg, buf, len, NULL, &dval, errstr,
                                        sizeof(errstr)), VG_ERR_SCHEMA);
        ck_assert_ptr_nonnull(strstr(errstr, "unknown schema id 43: "));
        ck_assert_ptr_nonnull(strstr(errstr, "Schema not found"));
        vg_free(buf);
        avro_value_decref(&val);
        vg_avro_registry_destroy(reg);
}
END_TEST

static Suite *sr_suite(void)
{
        Suite *s = suite_create("sr");
        TCase *tc;

        tc = tcase_create("Protocol");
        tcase_add_test(tc, test_register_body);
        tcase_add_test(tc, test_parse_replies);
        tcase_add_test(tc, test_http_errors);
        tcase_add_test(tc, test_new_bad_url);
        suite_add_tcase(s, tc);

        tc = tcase_create("Loopback");
        tcase_add_checked_fixture(tc, fake_start, fake_stop);
        tcase_set_timeout(tc, 30);
        tcase_add_test(tc, test_connection_refused);
        tcase_add_test(tc, test_register_and_fetch);
        tcase_add_test(tc, test_registry_with_sr);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(sr_suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
