/* Unit tests of common/vg_conf: the property table, files, errors. */
#include "vg_conf.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static vg_conf_t *conf;
static char errstr[512];

static void setup(void)
{
        conf      = vg_conf_new();
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
        vg_conf_t *c2 = vg_conf_new();
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
        vg_conf_write_markdown(fp);
        vg_conf_print_help(fp, VG_CONF_F_ALL);
        fclose(fp);
        ck_assert_ptr_nonnull(strstr(buf, "| `batch.size` |"));
        ck_assert_ptr_nonnull(strstr(buf, "  batch.size"));
        ck_assert_ptr_nonnull(strstr(buf, "kafka.*"));
        free(buf);
        vg_conf_destroy(NULL); /* NULL-safe */
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
