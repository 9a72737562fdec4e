/**
 * @file check_feedback.c
 * @brief Unit tests of vigie-ctl feedback (common/tools/ctl_feedback.c):
 *        argument parsing (one INCIDENT, one action, --at formats, usage
 *        errors), the deterministic feedback id, and the Feedback record
 *        it builds (encoded, decoded, as JSON).
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "vg_hash.h"
#include "vg_mem.h"
#include "vg_time.h"

/* 2025-03-01T10:00:00Z */
#define T_0301 INT64_C(1740823200000)

static char errstr[512];

/* Parses the NULL-terminated arguments after "feedback" into \p fb.
 * getopt permutes argv: the strings are copied into a static array. */
#define PARSE(fb, ...)                                                         \
        parse(fb, (const char *[]){"feedback", __VA_ARGS__, NULL})

static int parse(ctl_feedback_t *fb, const char **args)
{
        static char *argv[64];
        int argc = 0;

        while (args[argc]) {
                argv[argc] = (char *)args[argc];
                argc++;
        }
        argv[argc] = NULL;
        errstr[0]  = '\0';
        return ctl_feedback_parse(fb, argc, argv, errstr, sizeof(errstr));
}

/* Asserts that the arguments are a usage error starting with \p expect. */
#define PARSE_FAILS(expect, ...)                                               \
        do {                                                                   \
                ctl_feedback_t fb_;                                            \
                ck_assert_int_eq(PARSE(&fb_, __VA_ARGS__), -1);                \
                ck_assert_msg(!strncmp(errstr, expect, strlen(expect)),        \
                              "got \"%s\", expected \"%s...\"", errstr,        \
                              expect);                                         \
        } while (0)

/* ----------------------------------------------------------------- */
/* Parsing                                                            */
/* ----------------------------------------------------------------- */

START_TEST(test_parse_confirm)
{
        ctl_feedback_t fb;

        ck_assert_int_eq(PARSE(&fb, "INC0010001", "--confirm", "CHG0000123",
                               "--by", "j.martin", "--comment", "rolled back",
                               "--at", "2025-03-01 10:00:00"),
                         0);
        ck_assert_str_eq(fb.incident, "INC0010001");
        ck_assert_str_eq(fb.action, "CONFIRM_CHANGE");
        ck_assert_str_eq(fb.target, "CHG0000123");
        ck_assert_int_eq(fb.is_change, 1);
        ck_assert_str_eq(fb.responder, "j.martin");
        ck_assert_str_eq(fb.comment, "rolled back");
        ck_assert_int_eq(fb.created_at, T_0301);
        ck_assert_str_eq(fb.topic, "itsm.feedback");
        ck_assert_ptr_null(fb.id);
        ck_assert_ptr_null(fb.bootstrap);
        ck_assert_int_eq(fb.nx, 0);
}
END_TEST

START_TEST(test_parse_actions)
{
        static const struct {
                const char *opt, *action;
                int is_change;
        } want[] = {
                {"--confirm", "CONFIRM_CHANGE", 1},
                {"--reject", "REJECT_CHANGE", 1},
                {"--cause", "SET_CAUSE", 0},
                {"--sub-cause", "SET_SUB_CAUSE", 0},
                {"--group", "SET_GROUP", 0},
        };
        ctl_feedback_t fb;

        for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
                /* options before and after INCIDENT, --opt=value form */
                char opt[64];
                snprintf(opt, sizeof(opt), "%s=Label %zu", want[i].opt, i);
                ck_assert_int_eq(PARSE(&fb, opt, "INC1"), 0);
                ck_assert_str_eq(fb.action, want[i].action);
                ck_assert_int_eq(fb.is_change, want[i].is_change);
                ck_assert_str_eq(fb.incident, "INC1");
                ck_assert_str_eq(fb.target, strchr(opt, '=') + 1);
        }
}
END_TEST

START_TEST(test_parse_options)
{
        ctl_feedback_t fb;

        ck_assert_int_eq(PARSE(&fb, "-b", "127.0.0.1:1", "-X", "a=1", "-t",
                               "my.feedback", "INC2", "-X", "kafka.b=2",
                               "--group", "Network Core", "-c", "f.conf",
                               "-s", "/tmp/schemas", "--id", "my-id", "--at",
                               "2025-03-01T11:00:00+01:00"),
                         0);
        ck_assert_str_eq(fb.bootstrap, "127.0.0.1:1");
        ck_assert_int_eq(fb.nx, 2);
        ck_assert_str_eq(fb.xs[0], "a=1");
        ck_assert_str_eq(fb.xs[1], "kafka.b=2");
        ck_assert_str_eq(fb.topic, "my.feedback");
        ck_assert_str_eq(fb.config, "f.conf");
        ck_assert_str_eq(fb.schema_dir, "/tmp/schemas");
        ck_assert_str_eq(fb.id, "my-id");
        ck_assert_str_eq(fb.incident, "INC2");
        ck_assert_str_eq(fb.action, "SET_GROUP");
        ck_assert_int_eq(fb.created_at, T_0301);

        ck_assert_int_eq(PARSE(&fb, "INC3", "--reject", "CHG1", "--at",
                               "1740823200000"), 0);
        ck_assert_int_eq(fb.created_at, T_0301);

        /* --at defaults to now */
        int64_t before = vg_time_now_ms();
        ck_assert_int_eq(PARSE(&fb, "INC3", "--cause", "Hardware"), 0);
        ck_assert_int_ge(fb.created_at, before);
        ck_assert_int_le(fb.created_at, vg_time_now_ms());
        ck_assert_ptr_null(fb.responder);
        ck_assert_ptr_null(fb.comment);

        ck_assert_int_eq(PARSE(&fb, "INC3", "--help"), CTL_FEEDBACK_HELP);
        ck_assert_int_eq(PARSE(&fb, "-h"), CTL_FEEDBACK_HELP);
}
END_TEST

START_TEST(test_parse_errors)
{
        PARSE_FAILS("INCIDENT is required", "--confirm", "CHG1");
        PARSE_FAILS("one INCIDENT only: unexpected \"INC2\"", "INC1", "INC2",
                    "--confirm", "CHG1");
        PARSE_FAILS("INCIDENT is empty", "", "--confirm", "CHG1");
        PARSE_FAILS("an action is required: --confirm, --reject, --cause, "
                    "--sub-cause or --group", "INC1", "--by", "me");
        PARSE_FAILS("one action only: --confirm and --cause given", "INC1",
                    "--confirm", "CHG1", "--cause", "Software");
        PARSE_FAILS("one action only: --group and --group given", "INC1",
                    "--group", "A", "--group", "B");
        PARSE_FAILS("--reject: empty value", "INC1", "--reject", "");
        PARSE_FAILS("--id: empty value", "INC1", "--reject", "C", "--id", "");
        PARSE_FAILS("--at: cannot parse timestamp \"2025-02-30 10:00:00\": "
                    "day out of range", "INC1", "--reject", "C", "--at",
                    "2025-02-30 10:00:00");
        PARSE_FAILS("unknown option \"--nope\"", "INC1", "--nope");
        PARSE_FAILS("--confirm: missing value", "INC1", "--confirm");
        PARSE_FAILS("-t: missing value", "INC1", "--cause", "x", "-t");
}
END_TEST

/* ----------------------------------------------------------------- */
/* Id and record                                                      */
/* ----------------------------------------------------------------- */

START_TEST(test_id)
{
        ctl_feedback_t fb;
        char id[CTL_FEEDBACK_ID_SIZE], id2[CTL_FEEDBACK_ID_SIZE], want[32];

        ck_assert_int_eq(PARSE(&fb, "INC0010001", "--confirm", "CHG0000123",
                               "--at", "2025-03-01 10:00:00", "--by", "a"),
                         0);
        ctl_feedback_id(&fb, id, sizeof(id));
        snprintf(want, sizeof(want), "fb-%016" PRIx64,
                 vg_hash64_str("INC0010001|CONFIRM_CHANGE|CHG0000123|"
                               "1740823200000", 0));
        ck_assert_str_eq(id, want);
        ck_assert_uint_eq(strlen(id), CTL_FEEDBACK_ID_SIZE - 1);

        /* the responder and the comment are not part of it */
        ck_assert_int_eq(PARSE(&fb, "INC0010001", "--confirm", "CHG0000123",
                               "--at", "2025-03-01T10:00:00Z", "--comment",
                               "x"),
                         0);
        ctl_feedback_id(&fb, id2, sizeof(id2));
        ck_assert_str_eq(id, id2);
        /* the action, the target and the time are */
        ck_assert_int_eq(PARSE(&fb, "INC0010001", "--reject", "CHG0000123",
                               "--at", "2025-03-01 10:00:00"), 0);
        ctl_feedback_id(&fb, id2, sizeof(id2));
        ck_assert_str_ne(id, id2);
        ck_assert_int_eq(PARSE(&fb, "INC0010001", "--confirm", "CHG0000124",
                               "--at", "2025-03-01 10:00:00"), 0);
        ctl_feedback_id(&fb, id2, sizeof(id2));
        ck_assert_str_ne(id, id2);
        ck_assert_int_eq(PARSE(&fb, "INC0010001", "--confirm", "CHG0000123",
                               "--at", "2025-03-01 10:00:01"), 0);
        ctl_feedback_id(&fb, id2, sizeof(id2));
        ck_assert_str_ne(id, id2);
}
END_TEST

static vg_avro_registry_t *reg;
static vg_avro_schema_t *sch;

static void setup(void)
{
        reg = vg_avro_registry_new(VG_SCHEMA_DIR, NULL, errstr,
                                   sizeof(errstr));
        ck_assert_msg(reg != NULL, "registry: %s", errstr);
        sch = vg_avro_registry_by_topic(reg, "itsm.feedback");
        ck_assert_ptr_nonnull(sch);
        ck_assert_str_eq(vg_avro_schema_name(sch), "vigie.v1.Feedback");
}

static void teardown(void)
{
        vg_avro_registry_destroy(reg);
        reg = NULL;
}

/* Builds \p fb, encodes it, decodes it: @returns the decoded value
 * (owned by the registry). */
static avro_value_t *build_round_trip(const ctl_feedback_t *fb)
{
        avro_value_t val, *dval;
        vg_avro_schema_t *dsch;
        void *buf;
        size_t len;

        ck_assert_int_eq(vg_avro_schema_value_new(sch, &val), VG_OK);
        ck_assert_msg(ctl_feedback_build(fb, &val, errstr, sizeof(errstr)) ==
                              VG_OK, "%s", errstr);
        ck_assert_msg(vg_avro_encode(sch, &val, &buf, &len, errstr,
                                     sizeof(errstr)) == VG_OK, "%s", errstr);
        ck_assert_int_eq(((uint8_t *)buf)[4], 9); /* schema id */
        ck_assert_msg(vg_avro_decode(reg, buf, len, &dsch, &dval, errstr,
                                     sizeof(errstr)) == VG_OK, "%s", errstr);
        ck_assert_ptr_eq(dsch, sch);
        ck_assert(avro_value_equal(&val, dval));
        vg_free(buf);
        avro_value_decref(&val);
        return dval;
}

START_TEST(test_build_confirm)
{
        ctl_feedback_t fb;
        char id[CTL_FEEDBACK_ID_SIZE];
        const char *s;
        int64_t t;

        ck_assert_int_eq(PARSE(&fb, "INC0010001", "--confirm", "CHG0000123",
                               "--by", "j.martin", "--comment",
                               "rollback fixed it ☃", "--at",
                               "2025-03-01 10:00:00"),
                         0);
        avro_value_t *v = build_round_trip(&fb);
        ctl_feedback_id(&fb, id, sizeof(id));
        ck_assert_int_eq(vg_avro_get_str(v, "feedback_id", &s, NULL), VG_OK);
        ck_assert_str_eq(s, id);
        ck_assert_int_eq(vg_avro_get_str(v, "incident", &s, NULL), VG_OK);
        ck_assert_str_eq(s, "INC0010001");
        ck_assert_int_eq(vg_avro_get_enum(v, "action", &s), VG_OK);
        ck_assert_str_eq(s, "CONFIRM_CHANGE");
        ck_assert_int_eq(vg_avro_get_str(v, "change", &s, NULL), VG_OK);
        ck_assert_str_eq(s, "CHG0000123");
        ck_assert_int_eq(vg_avro_get_str(v, "value", &s, NULL), VG_ERR_NOENT);
        ck_assert_int_eq(vg_avro_get_str(v, "responder", &s, NULL), VG_OK);
        ck_assert_str_eq(s, "j.martin");
        ck_assert_int_eq(vg_avro_get_str(v, "comment", &s, NULL), VG_OK);
        ck_assert_str_eq(s, "rollback fixed it ☃");
        ck_assert_int_eq(vg_avro_get_long(v, "created_at", &t), VG_OK);
        ck_assert_int_eq(t, T_0301);

        char *json = vg_avro_to_json(v, VG_AVRO_JSON_F_PRETTY);
        char want[512];
        snprintf(want, sizeof(want),
                 "{\"feedback_id\":\"%s\",\"incident\":\"INC0010001\","
                 "\"action\":\"CONFIRM_CHANGE\",\"change\":\"CHG0000123\","
                 "\"value\":null,\"responder\":\"j.martin\",\"comment\":"
                 "\"rollback fixed it ☃\",\"created_at\":"
                 "\"2025-03-01T10:00:00.000Z\"}", id);
        ck_assert_str_eq(json, want);
        vg_free(json);
}
END_TEST

START_TEST(test_build_label)
{
        ctl_feedback_t fb;
        const char *s;

        ck_assert_int_eq(PARSE(&fb, "INC7", "--sub-cause", "Firmware", "--id",
                               "fb-custom", "--at", "2025-03-01 10:00:00"),
                         0);
        avro_value_t *v = build_round_trip(&fb);
        ck_assert_int_eq(vg_avro_get_str(v, "feedback_id", &s, NULL), VG_OK);
        ck_assert_str_eq(s, "fb-custom");
        ck_assert_int_eq(vg_avro_get_enum(v, "action", &s), VG_OK);
        ck_assert_str_eq(s, "SET_SUB_CAUSE");
        ck_assert_int_eq(vg_avro_get_str(v, "value", &s, NULL), VG_OK);
        ck_assert_str_eq(s, "Firmware");
        ck_assert_int_eq(vg_avro_get_str(v, "change", &s, NULL), VG_ERR_NOENT);
        ck_assert_int_eq(vg_avro_get_str(v, "responder", &s, NULL),
                         VG_ERR_NOENT);
        ck_assert_int_eq(vg_avro_get_str(v, "comment", &s, NULL),
                         VG_ERR_NOENT);
}
END_TEST

/* A value reused for a second record keeps nothing of the first. */
START_TEST(test_build_reuses_value)
{
        ctl_feedback_t a, b;
        avro_value_t val;
        const char *s;

        ck_assert_int_eq(PARSE(&a, "INC1", "--reject", "CHG9", "--by", "x",
                               "--comment", "no"), 0);
        ck_assert_int_eq(vg_avro_schema_value_new(sch, &val), VG_OK);
        ck_assert_int_eq(ctl_feedback_build(&a, &val, errstr,
                                            sizeof(errstr)), VG_OK);
        ck_assert_int_eq(PARSE(&b, "INC2", "--group", "SRE"), 0);
        ck_assert_int_eq(ctl_feedback_build(&b, &val, errstr,
                                            sizeof(errstr)), VG_OK);
        ck_assert_int_eq(vg_avro_get_str(&val, "change", &s, NULL),
                         VG_ERR_NOENT);
        ck_assert_int_eq(vg_avro_get_str(&val, "responder", &s, NULL),
                         VG_ERR_NOENT);
        ck_assert_int_eq(vg_avro_get_str(&val, "value", &s, NULL), VG_OK);
        ck_assert_str_eq(s, "SRE");
        avro_value_decref(&val);
}
END_TEST

static Suite *feedback_suite(void)
{
        Suite *s  = suite_create("feedback");
        TCase *tp = tcase_create("Parse");
        TCase *tr = tcase_create("Record");

        tcase_add_test(tp, test_parse_confirm);
        tcase_add_test(tp, test_parse_actions);
        tcase_add_test(tp, test_parse_options);
        tcase_add_test(tp, test_parse_errors);
        tcase_add_test(tp, test_id);
        suite_add_tcase(s, tp);
        tcase_add_checked_fixture(tr, setup, teardown);
        tcase_add_test(tr, test_build_confirm);
        tcase_add_test(tr, test_build_label);
        tcase_add_test(tr, test_build_reuses_value);
        suite_add_tcase(s, tr);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(feedback_suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
