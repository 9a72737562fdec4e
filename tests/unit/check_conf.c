/* Unit tests of common/vg_conf: the property tables, files, errors,
 * processor groups, masking of secrets. */
#include "vg_conf.h"

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static vg_conf_t *conf;
static char errstr[512];

static void setup(void)
{
        conf      = vg_conf_new(NULL);
        errstr[0] = '\0';
}

static void teardown(void)
{
        vg_conf_destroy(conf);
}

static char *write_tmp(const char *text)
{
        static char path[64];
        strcpy(path, "/tmp/check_conf.XXXXXX");
        int fd = mkstemp(path);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(write(fd, text, strlen(text)), (int)strlen(text));
        close(fd);
        return path;
}

START_TEST(test_defaults)
{
        ck_assert_str_eq(vg_conf_get_str(conf, "bootstrap.servers"),
                         "127.0.0.1:9092");
        ck_assert_int_eq(vg_conf_get_int(conf, "batch.size"), 500);
        ck_assert_str_eq(vg_conf_get_str(conf, "deadletter.topic"),
                         "itsm.deadletter");
        ck_assert_ptr_null(vg_conf_finalize(conf));
}
END_TEST

START_TEST(test_set_typed)
{
        ck_assert_int_eq(vg_conf_set(conf, "batch.size", "1000", errstr,
                                     sizeof(errstr)), VG_CONF_OK);
        ck_assert_int_eq(vg_conf_get_int(conf, "batch.size"), 1000);
        ck_assert_int_eq(vg_conf_set_kv(conf, "redis.port=7000", errstr,
                                        sizeof(errstr)), VG_CONF_OK);
        ck_assert_int_eq(vg_conf_get_int(conf, "redis.port"), 7000);
        ck_assert_int_eq(vg_conf_set(conf, "log.level", "DEBUG", errstr,
                                     sizeof(errstr)), VG_CONF_OK);
}
END_TEST

START_TEST(test_invalid_values)
{
        ck_assert_int_eq(vg_conf_set(conf, "batch.size", "abc", errstr,
                                     sizeof(errstr)), VG_CONF_INVALID);
        ck_assert_str_eq(errstr, "Invalid value for configuration property "
                                 "\"batch.size\": expected an integer");
        ck_assert_int_eq(vg_conf_set(conf, "batch.size", "0", errstr,
                                     sizeof(errstr)), VG_CONF_INVALID);
        ck_assert_ptr_nonnull(strstr(errstr, "out of range 1..100000"));
        ck_assert_int_eq(vg_conf_set(conf, "redis.port", "70000", errstr,
                                     sizeof(errstr)), VG_CONF_INVALID);
        ck_assert_int_eq(vg_conf_set(conf, "log.level", "loud", errstr,
                                     sizeof(errstr)), VG_CONF_INVALID);
        ck_assert_ptr_nonnull(strstr(errstr, "error,warn,info,debug"));
        /* the old value survives a rejected set */
        ck_assert_int_eq(vg_conf_get_int(conf, "batch.size"), 500);
        ck_assert_int_eq(vg_conf_set_kv(conf, "novalue", errstr,
                                        sizeof(errstr)), VG_CONF_INVALID);
        ck_assert_int_eq(vg_conf_set_kv(conf, "=x", errstr, sizeof(errstr)),
                         VG_CONF_INVALID);
}
END_TEST

START_TEST(test_unknown)
{
        ck_assert_int_eq(vg_conf_set(conf, "batch.sise", "1", errstr,
                                     sizeof(errstr)), VG_CONF_UNKNOWN);
        ck_assert_str_eq(errstr,
                         "No such configuration property: \"batch.sise\"");
        /* "kafka." alone is not a pass-through key */
        ck_assert_int_eq(vg_conf_set(conf, "kafka.", "1", errstr,
                                     sizeof(errstr)), VG_CONF_UNKNOWN);
}
END_TEST

static void collect(const char *n, const char *v, void *opaque)
{
        char *buf = opaque;
        strcat(buf, n);
        strcat(buf, "=");
        strcat(buf, v);
        strcat(buf, ";");
}

START_TEST(test_kafka_passthrough)
{
        char buf[256] = "";
        vg_conf_set(conf, "kafka.linger.ms", "5", errstr, sizeof(errstr));
        vg_conf_set(conf, "kafka.client.id", "x", errstr, sizeof(errstr));
        vg_conf_set(conf, "kafka.linger.ms", "7", errstr, sizeof(errstr));
        vg_conf_kafka_foreach(conf, collect, buf);
        ck_assert_str_eq(buf, "linger.ms=7;client.id=x;");
}
END_TEST

START_TEST(test_file)
{
        const char *path = write_tmp("# a comment\n\n  batch.size = 42 \n"
                                     "kafka.acks=all\nredis.host=10.0.0.1\n");
        ck_assert_int_eq(vg_conf_load_file(conf, path, errstr,
                                           sizeof(errstr)), 0);
        ck_assert_int_eq(vg_conf_get_int(conf, "batch.size"), 42);
        ck_assert_str_eq(vg_conf_get_str(conf, "redis.host"), "10.0.0.1");
        unlink(path);
}
END_TEST

START_TEST(test_file_errors)
{
        char expect[256];
        const char *path = write_tmp("batch.size=1\n# ok\nnot a pair\n");
        ck_assert_int_eq(vg_conf_load_file(conf, path, errstr,
                                           sizeof(errstr)), -1);
        snprintf(expect, sizeof(expect), "%s:3: expected key=value", path);
        ck_assert_str_eq(errstr, expect);
        unlink(path);

        path = write_tmp("batch.size=1\nredis.port=x\n");
        ck_assert_int_eq(vg_conf_load_file(conf, path, errstr,
                                           sizeof(errstr)), -1);
        snprintf(expect, sizeof(expect),
                 "%s:2: Invalid value for configuration property "
                 "\"redis.port\": expected an integer", path);
        ck_assert_str_eq(errstr, expect);
        unlink(path);

        ck_assert_int_eq(vg_conf_load_file(conf, "/nonexistent/x.conf",
                                           errstr, sizeof(errstr)), -1);
        ck_assert_str_eq(errstr,
                         "/nonexistent/x.conf: No such file or directory");
}
END_TEST

START_TEST(test_apply_args)
{
        const char *path = write_tmp("batch.size=42\nredis.port=7000\n"
                                     "bootstrap.servers=file:1\n");
        const char *xs[] = {"redis.port=7001", "kafka.acks=all"};
        const char *bad[] = {"batch.size=nope"};

        /* -X after the file, the bootstrap option last */
        ck_assert_int_eq(vg_conf_apply_args(conf, path, xs, 2, "cli:2",
                                            errstr, sizeof(errstr)), 0);
        ck_assert_int_eq(vg_conf_get_int(conf, "batch.size"), 42);
        ck_assert_int_eq(vg_conf_get_int(conf, "redis.port"), 7001);
        ck_assert_str_eq(vg_conf_get_str(conf, "bootstrap.servers"), "cli:2");
        ck_assert_int_eq(vg_conf_apply_args(conf, NULL, bad, 1, NULL, errstr,
                                            sizeof(errstr)), -1);
        ck_assert_str_eq(errstr, "-X batch.size=nope: Invalid value for "
                                 "configuration property \"batch.size\": "
                                 "expected an integer");
        ck_assert_int_eq(vg_conf_apply_args(conf, "/nonexistent.conf", NULL,
                                            0, NULL, errstr, sizeof(errstr)),
                         -1);
        ck_assert_str_eq(errstr,
                         "/nonexistent.conf: No such file or directory");
        unlink(path);
}
END_TEST

START_TEST(test_finalize)
{
        vg_conf_set(conf, "bootstrap.servers", "", errstr, sizeof(errstr));
        ck_assert_ptr_nonnull(vg_conf_finalize(conf));
}
END_TEST

START_TEST(test_dump_loads_back)
{
        char path[] = "/tmp/check_conf_dump.XXXXXX";
        int fd      = mkstemp(path);
        FILE *fp    = fdopen(fd, "w");
        vg_conf_set(conf, "batch.size", "77", errstr, sizeof(errstr));
        vg_conf_set(conf, "redis.password", "s3cret", errstr, sizeof(errstr));
        vg_conf_dump(conf, fp);
        fclose(fp);
        vg_conf_t *c2 = vg_conf_new(NULL);
        ck_assert_int_eq(vg_conf_load_file(c2, path, errstr, sizeof(errstr)),
                         0);
        ck_assert_int_eq(vg_conf_get_int(c2, "batch.size"), 77);
        /* secrets are masked in dumps */
        ck_assert_str_eq(vg_conf_get_str(c2, "redis.password"), "********");
        vg_conf_destroy(c2);
        unlink(path);
}
END_TEST

START_TEST(test_help_and_markdown)
{
        char *buf   = NULL;
        size_t size = 0;
        FILE *fp    = open_memstream(&buf, &size);
        vg_conf_write_markdown(conf, fp);
        vg_conf_print_help(conf, fp);
        fclose(fp);
        ck_assert_ptr_nonnull(strstr(buf, "| `batch.size` |"));
        ck_assert_ptr_nonnull(strstr(buf, "  batch.size"));
        ck_assert_ptr_nonnull(strstr(buf, "kafka.*"));
        free(buf);
        vg_conf_destroy(NULL); /* NULL-safe */
}
END_TEST

/* A processor's group, as processors/<folder>/<x>_conf.c declare them. */
static const vg_conf_prop_t test_props[] = {
        {0, "test.size", VG_CONF_INT, "3", 1, 9, NULL, "A size."},
        {VG_CONF_F_SECRET, "test.token", VG_CONF_STR, "", 0, 0, NULL,
         "A token."},
        {0, "test.item.*", VG_CONF_LIST, NULL, 0, 0, NULL, "Items."},
};
static const vg_conf_group_t test_group = {"vigie-test", test_props, 3};

static char *dump_of(const vg_conf_t *c)
{
        char *buf   = NULL;
        size_t size = 0;
        FILE *fp    = open_memstream(&buf, &size);
        vg_conf_dump(c, fp);
        fclose(fp);
        return buf;
}

START_TEST(test_groups)
{
        const vg_conf_group_t *groups[] = {&test_group, NULL};
        vg_conf_t *c = vg_conf_new(groups);
        char *buf    = NULL;
        size_t size  = 0;

        /* the common properties, plus the group's */
        ck_assert_int_eq(vg_conf_get_int(c, "batch.size"), 500);
        ck_assert_int_eq(vg_conf_get_int(c, "test.size"), 3);
        ck_assert_int_eq(vg_conf_set(c, "test.size", "10", errstr,
                                     sizeof(errstr)), VG_CONF_INVALID);
        ck_assert_str_eq(errstr, "Invalid value for configuration property "
                                 "\"test.size\": 10 is out of range 1..9");
        ck_assert_int_eq(vg_conf_set(c, "test.item.1", "a", errstr,
                                     sizeof(errstr)), VG_CONF_OK);
        /* not in a configuration without the group */
        ck_assert_int_eq(vg_conf_set(conf, "test.size", "4", errstr,
                                     sizeof(errstr)), VG_CONF_UNKNOWN);

        /* --help and Markdown: a section per group, common first */
        FILE *fp = open_memstream(&buf, &size);
        vg_conf_print_help(c, fp);
        fclose(fp);
        char *common = strstr(buf, "\ncommon:\n");
        char *test   = strstr(buf, "\nvigie-test:\n");
        ck_assert_ptr_nonnull(common);
        ck_assert_ptr_nonnull(test);
        ck_assert(common < strstr(buf, "  batch.size"));
        ck_assert(strstr(buf, "  batch.size") < test);
        ck_assert(test < strstr(buf, "  test.size"));
        free(buf);
        fp = open_memstream(&buf, &size);
        vg_conf_write_markdown(c, fp);
        fclose(fp);
        ck_assert(strstr(buf, "\n## common\n") < strstr(buf, "| `batch.size` |"));
        ck_assert(strstr(buf, "| `batch.size` |") <
                  strstr(buf, "\n## vigie-test\n"));
        ck_assert(strstr(buf, "\n## vigie-test\n") <
                  strstr(buf, "| `test.size` |"));
        free(buf);
        vg_conf_destroy(c);
}
END_TEST

/* A property name defined twice is a programming error: abort. */
START_TEST(test_groups_duplicate)
{
        static const vg_conf_prop_t dup[] = {
                {0, "batch.size", VG_CONF_INT, "1", 1, 2, NULL, "Again."},
        };
        static const vg_conf_group_t dup_group = {"vigie-dup", dup, 1};
        const vg_conf_group_t *groups[] = {&dup_group, NULL};
        vg_conf_new(groups);
}
END_TEST

START_TEST(test_secrets_masked)
{
        /* every secret the tables list, each with its own value */
        static const char *secrets[][2] = {
                {"redis.password", "pw-redis-1"},
                {"test.token", "tok-test-2"},
                {"kafka.sasl.password", "pw-sasl-3"},
                {"kafka.sasl.jaas.config", "jaas-pw-4"},
                {"kafka.sasl.oauthbearer.config", "principal=x secret-5"},
                {"kafka.sasl.oauthbearer.client.secret", "oidc-secret-6"},
                {"kafka.ssl.key.password", "pw-key-7"},
                {"kafka.ssl.key.pem", "-----BEGIN KEY----- pem-8"},
                {"kafka.ssl_key", "key-9"},
                {"kafka.ssl.keystore.password", "pw-keystore-10"},
        };
        const vg_conf_group_t *groups[] = {&test_group, NULL};
        vg_conf_t *c = vg_conf_new(groups);
        char line[256];
        size_t n = sizeof(secrets) / sizeof(secrets[0]);

        for (size_t i = 0; i < n; i++)
                ck_assert_int_eq(vg_conf_set(c, secrets[i][0], secrets[i][1],
                                             errstr, sizeof(errstr)),
                                 VG_CONF_OK);
        vg_conf_set(c, "kafka.sasl.username", "alice", errstr,
                    sizeof(errstr));
        vg_conf_set(c, "kafka.linger.ms", "5", errstr, sizeof(errstr));
        vg_conf_set(c, "schema.registry.url",
                    "https://sr-user:sr-pass-11@sr.example:8081/", errstr,
                    sizeof(errstr));
        vg_conf_set(c, "kafka.sasl.oauthbearer.token.endpoint.url",
                    "https://id:idp-pass-12@idp.example/token", errstr,
                    sizeof(errstr));
        char *buf = dump_of(c);
        for (size_t i = 0; i < n; i++) {
                snprintf(line, sizeof(line), "\n%s=********\n",
                         secrets[i][0]);
                ck_assert_msg(strstr(buf, line), "%s not masked",
                              secrets[i][0]);
                ck_assert_msg(!strstr(buf, secrets[i][1]), "%s leaked",
                              secrets[i][0]);
        }
        ck_assert_ptr_null(strstr(buf, "sr-pass-11"));
        ck_assert_ptr_null(strstr(buf, "sr-user"));
        ck_assert_ptr_null(strstr(buf, "idp-pass-12"));
        ck_assert_ptr_nonnull(strstr(
                buf, "\nschema.registry.url=https://***@sr.example:8081/\n"));
        ck_assert_ptr_nonnull(strstr(
                buf, "\nkafka.sasl.oauthbearer.token.endpoint.url="
                     "https://***@idp.example/token\n"));
        /* what is no secret is shown, and an empty secret stays empty */
        ck_assert_ptr_nonnull(strstr(buf, "\nkafka.linger.ms=5\n"));
        ck_assert_ptr_nonnull(strstr(buf, "\nkafka.sasl.username=alice\n"));
        free(buf);
        vg_conf_destroy(c);

        buf = dump_of(conf);
        ck_assert_ptr_nonnull(strstr(buf, "\nredis.password=\n"));
        ck_assert_ptr_nonnull(strstr(buf, "\nschema.registry.url=\n"));
        free(buf);
}
END_TEST

START_TEST(test_mask_url)
{
        static const char *cases[][2] = {
                {"http://user:pass@host:8081", "http://***@host:8081"},
                {"https://user@host/p?q=1", "https://***@host/p?q=1"},
                {"http://u:p@ss@host:8081/", "http://***@host:8081/"},
                {"http://host:8081", "http://host:8081"},
                {"https://host:8081/a@b?c=d@e", "https://host:8081/a@b?c=d@e"},
                {"http://a:1@h1:8081,http://h2:8081,http://b:2@h3",
                 "http://***@h1:8081,http://h2:8081,http://***@h3"},
                {"http://@host", "http://***@host"},
                {"host:8081", "host:8081"},
                {"", ""},
                {"user:pass@host", "user:pass@host"}, /* no URL */
        };
        char buf[128];
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                ck_assert_str_eq(vg_conf_mask_url(cases[i][0], buf,
                                                  sizeof(buf)),
                                 cases[i][1]);
        /* truncated, never overrun, still masked */
        ck_assert_str_eq(vg_conf_mask_url("http://user:pass@host", buf, 12),
                         "http://***@");
        ck_assert_str_eq(vg_conf_mask_url("http://u:p@h", buf, 1), "");
}
END_TEST

static Suite *conf_suite(void)
{
        Suite *s  = suite_create("conf");
        TCase *tc = tcase_create("Core");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_defaults);
        tcase_add_test(tc, test_set_typed);
        tcase_add_test(tc, test_kafka_passthrough);
        tcase_add_test(tc, test_dump_loads_back);
        tcase_add_test(tc, test_help_and_markdown);
        tcase_add_test(tc, test_groups);
        tcase_add_test_raise_signal(tc, test_groups_duplicate, SIGABRT);
        tcase_add_test(tc, test_secrets_masked);
        tcase_add_test(tc, test_mask_url);
        suite_add_tcase(s, tc);
        tc = tcase_create("Errors");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_invalid_values);
        tcase_add_test(tc, test_unknown);
        tcase_add_test(tc, test_file);
        tcase_add_test(tc, test_file_errors);
        tcase_add_test(tc, test_finalize);
        tcase_add_test(tc, test_apply_args);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(conf_suite());
        srunner_run_all(sr, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
