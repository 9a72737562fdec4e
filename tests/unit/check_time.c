/**
 * @file check_time.c
 * @brief Unit tests of vg_time: every accepted format, refused inputs,
 *        ISO formatting and round trips.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "vg_time.h"

/* 2016-03-01T22:00:00Z */
#define T0 INT64_C(1456869600000)

static int64_t parse_ok(const char *s)
{
        char errstr[256] = "";
        int64_t ms       = -1;

        ck_assert_msg(vg_time_parse(s, &ms, errstr, sizeof(errstr)) == VG_OK,
                      "\"%s\" refused: %s", s, errstr);
        return ms;
}

static void parse_bad(const char *s, const char *reason)
{
        char errstr[256] = "";
        int64_t ms       = 42;

        ck_assert_int_eq(vg_time_parse(s, &ms, errstr, sizeof(errstr)),
                         VG_ERR_INVALID);
        ck_assert_msg(strstr(errstr, "cannot parse timestamp") != NULL,
                      "%s", errstr);
        if (reason)
                ck_assert_msg(strstr(errstr, reason) != NULL,
                              "\"%s\": \"%s\" lacks \"%s\"", s, errstr,
                              reason);
        ck_assert_int_eq(ms, 42); /* untouched on error */
}

START_TEST(test_servicenow)
{
        ck_assert_int_eq(parse_ok("2016-03-01 22:00:00"), T0);
        ck_assert_int_eq(parse_ok("  2016-03-01 22:00:00 \n"), T0);
        ck_assert_int_eq(parse_ok("1970-01-01 00:00:00"), 0);
        ck_assert_int_eq(parse_ok("2016-02-29 00:00:00"),
                         INT64_C(1456704000000));
}
END_TEST

START_TEST(test_iso)
{
        ck_assert_int_eq(parse_ok("2016-03-01T22:00:00Z"), T0);
        ck_assert_int_eq(parse_ok("2016-03-01T22:00:00"), T0);
        ck_assert_int_eq(parse_ok("2016-03-01T22:00:00.123Z"), T0 + 123);
        ck_assert_int_eq(parse_ok("2016-03-01T22:00:00.1Z"), T0 + 100);
        ck_assert_int_eq(parse_ok("2016-03-01T22:00:00.123456789Z"),
                         T0 + 123);
        ck_assert_int_eq(parse_ok("2016-03-01T23:30:00+01:30"), T0);
        ck_assert_int_eq(parse_ok("2016-03-01T23:30:00+0130"), T0);
        ck_assert_int_eq(parse_ok("2016-03-01T17:00:00-05:00"), T0);
        ck_assert_int_eq(parse_ok("2016-03-02T00:00:00.500+02:00"),
                         T0 + 500);
        ck_assert_int_eq(parse_ok("2016-03-01 22:00:00Z"), T0);
}
END_TEST

START_TEST(test_uci)
{
        ck_assert_int_eq(parse_ok("1/3/2016 22:00"), T0);
        ck_assert_int_eq(parse_ok("01/03/2016 22:00:00"), T0);
        ck_assert_int_eq(parse_ok("1/3/2016 22:00:07"), T0 + 7000);
        ck_assert_int_eq(parse_ok("29/2/2016 01:16"),
                         INT64_C(1456704000000) + (76 * 60000));
}
END_TEST

START_TEST(test_millis)
{
        ck_assert_int_eq(parse_ok("1456869600000"), T0);
        ck_assert_int_eq(parse_ok("0"), 0);
        ck_assert_int_eq(parse_ok("-1000"), -1000);
        parse_bad("99999999999999999999999", "out of range");
}
END_TEST

START_TEST(test_invalid)
{
        parse_bad("2016-13-01 10:00:00", "month out of range");
        parse_bad("2016-00-01 10:00:00", "month out of range");
        parse_bad("2015-02-29 10:00:00", "day out of range");
        parse_bad("31/04/2016 10:00", "day out of range");
        parse_bad("2016-03-01 24:00:00", "hour out of range");
        parse_bad("2016-03-01 23:60:00", "minute out of range");
        parse_bad("2016-03-01 23:59:60", "second out of range");
        parse_bad("2016-03-01T22:00:00+25:00", "zone offset");
        parse_bad("2016-03-01T22:00:00 UTC", "unexpected characters");
        parse_bad("2016-03-01", "expected 'T'");
        parse_bad("2016-3-1 10:00:00", "expected YYYY-MM-DD");
        parse_bad("1/3/16 10:00", "expected DD/MM/YYYY");
        parse_bad("1/3/2016", "expected HH:MM");
        parse_bad("1/3/2016 10:00pm", "unexpected characters");
        parse_bad("2016-03-01T22:00:00.Z", "fraction");
        parse_bad("", "empty");
        parse_bad("   ", "empty");
        parse_bad("yesterday", NULL);
        parse_bad("12abc", NULL);
        parse_bad("-", NULL);
}
END_TEST

START_TEST(test_parsen_not_terminated)
{
        const char buf[] = "2016-03-01 22:00:00GARBAGE";
        char errstr[128];
        int64_t ms;

        ck_assert_int_eq(vg_time_parsen(buf, 19, &ms, errstr, sizeof(errstr)),
                         VG_OK);
        ck_assert_int_eq(ms, T0);
        ck_assert_int_eq(vg_time_parsen(buf, 22, &ms, errstr, sizeof(errstr)),
                         VG_ERR_INVALID);
}
END_TEST

START_TEST(test_format)
{
        char buf[VG_TIME_ISO_SIZE];

        ck_assert_str_eq(vg_time_format(T0, buf, sizeof(buf)),
                         "2016-03-01T22:00:00.000Z");
        ck_assert_str_eq(vg_time_format(T0 + 7, buf, sizeof(buf)),
                         "2016-03-01T22:00:00.007Z");
        ck_assert_str_eq(vg_time_format(0, buf, sizeof(buf)),
                         "1970-01-01T00:00:00.000Z");
        ck_assert_str_eq(vg_time_format(-1, buf, sizeof(buf)),
                         "1969-12-31T23:59:59.999Z");
}
END_TEST

START_TEST(test_round_trip)
{
        static const int64_t samples[] = {0, 1, 999, T0, T0 + 123,
                                          INT64_C(951782400000), /* leap */
                                          INT64_C(4102444799999), -86400001};
        char buf[VG_TIME_ISO_SIZE], errstr[128];
        int64_t ms;
        size_t i;

        for (i = 0; i < sizeof(samples) / sizeof(*samples); i++) {
                vg_time_format(samples[i], buf, sizeof(buf));
                ck_assert_int_eq(vg_time_parse(buf, &ms, errstr,
                                               sizeof(errstr)), VG_OK);
                ck_assert_int_eq(ms, samples[i]);
        }
}
END_TEST

START_TEST(test_tz_independent)
{
        int64_t a, b;

        setenv("TZ", "America/New_York", 1);
        a = parse_ok("2016-07-01 12:00:00");
        setenv("TZ", "Asia/Kolkata", 1);
        b = parse_ok("2016-07-01 12:00:00");
        ck_assert_int_eq(a, b);
        ck_assert_int_eq(a, INT64_C(1467374400000));
}
END_TEST

START_TEST(test_now)
{
        int64_t now = vg_time_now_ms();

        ck_assert(now > INT64_C(1600000000000)); /* after 2020 */
}
END_TEST

static Suite *time_suite(void)
{
        Suite *s   = suite_create("time");
        TCase *tc  = tcase_create("Parse");
        TCase *tcf = tcase_create("Format");

        tcase_add_test(tc, test_servicenow);
        tcase_add_test(tc, test_iso);
        tcase_add_test(tc, test_uci);
        tcase_add_test(tc, test_millis);
        tcase_add_test(tc, test_invalid);
        tcase_add_test(tc, test_parsen_not_terminated);
        tcase_add_test(tc, test_tz_independent);
        suite_add_tcase(s, tc);
        tcase_add_test(tcf, test_format);
        tcase_add_test(tcf, test_round_trip);
        tcase_add_test(tcf, test_now);
        suite_add_tcase(s, tcf);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(time_suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
