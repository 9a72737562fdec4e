/**
 * @file check_work.c
 * @brief Unit tests of vg_work: the members of ci:{ci}:work (round trip,
 *        the exact format, garbage, truncation, dedupe of versions).
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vg_work.h"

static vg_work_t work(const char *number, int64_t t, int64_t start,
                      int64_t end, double p, const char *type)
{
        vg_work_t w = {.event_time = t, .start_ms = start, .end_ms = end,
                       .p_failure = p};
        size_t nl = strlen(number), tl = strlen(type);
        memcpy(w.number, number, nl < sizeof(w.number) ? nl : 47);
        memcpy(w.type, type, tl < sizeof(w.type) ? tl : 23);
        return w;
}

static int decode_str(const char *s, vg_work_t *w)
{
        return vg_work_decode(s, strlen(s), w);
}

START_TEST(test_format)
{
        char buf[VG_WORK_MEMBER_MAX];
        vg_work_t w = work("CHG0001234", INT64_C(1456869600000),
                           INT64_C(1456873200000), -1, 0.123456, "Normal");
        size_t n = vg_work_encode(&w, buf, sizeof(buf));

        ck_assert_str_eq(buf, "CHG0001234\t1456869600000\t1456873200000"
                              "\t-1\t0.1235\tNormal");
        ck_assert_uint_eq(n, strlen(buf));
}
END_TEST

START_TEST(test_round_trip)
{
        char buf[VG_WORK_MEMBER_MAX];
        const vg_work_t in[] = {
                work("CHG0001234", INT64_C(1456869600000),
                     INT64_C(1456873200000), INT64_C(1456880400000), 0.5,
                     "Emergency"),
                work("CHG1", 0, -1, -1, 0, "Standard"),
                work("CHG2", -5, 0, 0, 1, ""),
                work("Ünï ✓", INT64_MAX, INT64_MAX, INT64_MAX, 0.9999,
                     "Normal"),
                work("x", INT64_MIN, -1, 7, 0.0001, "Type with spaces"),
        };
        for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
                vg_work_t out;
                size_t n = vg_work_encode(&in[i], buf, sizeof(buf));
                ck_assert_uint_gt(n, 0);
                ck_assert_int_eq(vg_work_decode(buf, n, &out), 0);
                ck_assert_str_eq(out.number, in[i].number);
                ck_assert_str_eq(out.type, in[i].type);
                ck_assert(out.event_time == in[i].event_time);
                ck_assert(out.start_ms == in[i].start_ms);
                ck_assert(out.end_ms == in[i].end_ms);
                ck_assert_double_eq_tol(out.p_failure, in[i].p_failure,
                                        1e-9);
        }
}
END_TEST

START_TEST(test_p)
{
        char buf[VG_WORK_MEMBER_MAX];
        vg_work_t w = work("CHG1", 1, 2, 3, 0.0, "Normal"), out;

        w.p_failure = -0.0; /* never "-0.0000" */
        ck_assert_uint_gt(vg_work_encode(&w, buf, sizeof(buf)), 0);
        ck_assert_ptr_nonnull(strstr(buf, "\t0.0000\t"));
        w.p_failure = 1.7; /* clamped */
        vg_work_encode(&w, buf, sizeof(buf));
        ck_assert_ptr_nonnull(strstr(buf, "\t1.0000\t"));
        w.p_failure = -3;
        vg_work_encode(&w, buf, sizeof(buf));
        ck_assert_ptr_nonnull(strstr(buf, "\t0.0000\t"));
        w.p_failure = 0.99996; /* rounds up to 1 */
        vg_work_encode(&w, buf, sizeof(buf));
        ck_assert_int_eq(decode_str(buf, &out), 0);
        ck_assert(out.p_failure == 1.0);
        w.p_failure = 0.3; /* decoded exactly as strtod would */
        vg_work_encode(&w, buf, sizeof(buf));
        ck_assert_int_eq(decode_str(buf, &out), 0);
        ck_assert(out.p_failure == 0.3);
        w.p_failure = nan("");
        ck_assert_uint_eq(vg_work_encode(&w, buf, sizeof(buf)), 0);
        ck_assert_str_eq(buf, "");
        /* a negative start or end is unknown */
        w = work("CHG1", 1, -7, INT64_MIN, 0.5, "Normal");
        vg_work_encode(&w, buf, sizeof(buf));
        ck_assert_str_eq(buf, "CHG1\t1\t-1\t-1\t0.5000\tNormal");
}
END_TEST

START_TEST(test_garbage)
{
        static const char *bad[] = {
                "",
                "CHG1",
                "CHG1\t1\t2\t3\t0.5",               /* 5 fields */
                "CHG1\t1\t2\t3\t0.5\tNormal\tx",    /* 7 fields */
                "CHG1\t1\t2\t3\t0.5\tNormal\t",     /* trailing tab */
                "\t1\t2\t3\t0.5\tNormal",           /* no number */
                "CHG1\t\t2\t3\t0.5\tNormal",        /* empty time */
                "CHG1\tx\t2\t3\t0.5\tNormal",
                "CHG1\t1x\t2\t3\t0.5\tNormal",
                "CHG1\t+1\t2\t3\t0.5\tNormal",
                "CHG1\t-\t2\t3\t0.5\tNormal",
                "CHG1\t 1\t2\t3\t0.5\tNormal",
                "CHG1\t9223372036854775808\t2\t3\t0.5\tNormal", /* > max */
                "CHG1\t-9223372036854775809\t2\t3\t0.5\tNormal",
                "CHG1\t99999999999999999999\t2\t3\t0.5\tNormal",
                "CHG1\t1\t-2\t3\t0.5\tNormal", /* start < -1 */
                "CHG1\t1\t2\t-5\t0.5\tNormal", /* end < -1 */
                "CHG1\t1\t2\t3\t\tNormal",     /* no p */
                "CHG1\t1\t2\t3\t1.5\tNormal",  /* p > 1 */
                "CHG1\t1\t2\t3\t1.0001\tNormal",
                "CHG1\t1\t2\t3\t2\tNormal",
                "CHG1\t1\t2\t3\t-0.5\tNormal",
                "CHG1\t1\t2\t3\t0.\tNormal",
                "CHG1\t1\t2\t3\t.5\tNormal",
                "CHG1\t1\t2\t3\t0,5\tNormal",
                "CHG1\t1\t2\t3\tnan\tNormal",
                "CHG1\t1\t2\t3\t0.5e1\tNormal",
                "CHG1\t1\t2\t3\t0.1234567890\tNormal", /* 10 digits */
                "CHG1\t1\t2\t3\t0.5\tNor\nmal",
                "CH\rG1\t1\t2\t3\t0.5\tNormal",
                /* number of 48 bytes, type of 24: longer than encoded */
                "012345678901234567890123456789012345678901234567"
                "\t1\t2\t3\t0.5\tNormal",
                "CHG1\t1\t2\t3\t0.5\t012345678901234567890123",
        };
        vg_work_t w;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                ck_assert_msg(decode_str(bad[i], &w) == -1, "accepted %zu",
                              i);
        /* a NUL inside */
        ck_assert_int_eq(vg_work_decode("CHG1\t1\t2\t3\t0.5\tNo\0rmal", 20,
                                        &w),
                         -1);
        /* extremes that are fine */
        ck_assert_int_eq(decode_str("C\t-9223372036854775808\t-1\t-1\t1"
                                    "\t",
                                    &w),
                         0);
        ck_assert(w.event_time == INT64_MIN);
        ck_assert(w.p_failure == 1.0);
        ck_assert_str_eq(w.type, "");
        ck_assert_int_eq(decode_str("C\t1\t2\t3\t0.123456789\tT", &w), 0);
        /* never reads past len: a valid member, cut anywhere, is
         * refused or decodes a prefix, and random bytes never crash */
        const char *ok = "CHG1\t1\t2\t3\t0.5000\tNormal";
        for (size_t n = 0; n < strlen(ok); n++) {
                char *cut = malloc(n ? n : 1);
                memcpy(cut, ok, n);
                int rc = vg_work_decode(cut, n, &w);
                if (rc == 0) /* a cut in the type */
                        ck_assert(!strncmp("Normal", w.type,
                                           strlen(w.type)));
                free(cut);
        }
        srand(42);
        for (int i = 0; i < 20000; i++) {
                char junk[64];
                size_t n = (size_t)(rand() % (int)sizeof(junk));
                for (size_t j = 0; j < n; j++)
                        junk[j] = "0123456789.-\t\nCHG\x80\xff"[rand() % 19];
                vg_work_decode(junk, n, &w);
        }
}
END_TEST

START_TEST(test_truncation)
{
        char buf[VG_WORK_MEMBER_MAX], big[200];
        vg_work_t w = work("x", 1, 2, 3, 0.5, "Normal"), out;

        /* 47 bytes of number then a 2-byte character straddling the
         * end of the array: dropped whole */
        memset(w.number, 'A', 46);
        memcpy(w.number + 46, "\xc3\xa9", 2); /* é, bytes 46 and 47 */
        ck_assert_uint_gt(vg_work_encode(&w, buf, sizeof(buf)), 0);
        ck_assert_int_eq(decode_str(buf, &out), 0);
        ck_assert_uint_eq(strlen(out.number), 46);
        /* a full, unterminated array: 47 bytes kept */
        memset(w.number, 'B', sizeof(w.number));
        vg_work_encode(&w, buf, sizeof(buf));
        ck_assert_int_eq(decode_str(buf, &out), 0);
        ck_assert_uint_eq(strlen(out.number), 47);
        /* type: "✓" (3 bytes) at bytes 21..23 of 24: dropped whole */
        memset(w.type, 'T', 21);
        memcpy(w.type + 21, "\xe2\x9c\x93", 3);
        vg_work_encode(&w, buf, sizeof(buf));
        ck_assert_int_eq(decode_str(buf, &out), 0);
        ck_assert_str_eq(out.type, "TTTTTTTTTTTTTTTTTTTTT");
        /* tabs and newlines in them become spaces */
        w = work("CHG\t1\n", 1, 2, 3, 0.5, "No\trm\r");
        vg_work_encode(&w, buf, sizeof(buf));
        ck_assert_str_eq(buf, "CHG 1 \t1\t2\t3\t0.5000\tNo rm ");
        ck_assert_int_eq(decode_str(buf, &out), 0);
        ck_assert_str_eq(out.number, "CHG 1 ");
        /* the buffer: too small by one, then just right */
        size_t n = vg_work_encode(&w, big, sizeof(big));
        ck_assert_uint_eq(vg_work_encode(&w, buf, n), 0);
        ck_assert_str_eq(buf, "");
        ck_assert_uint_eq(vg_work_encode(&w, buf, n + 1), n);
        ck_assert_uint_eq(vg_work_encode(&w, buf, 0), 0);
        /* the longest member fits VG_WORK_MEMBER_MAX */
        memset(w.number, '9', sizeof(w.number));
        memset(w.type, 'Z', sizeof(w.type));
        w.event_time = INT64_MIN;
        w.start_ms = w.end_ms = INT64_MAX;
        w.p_failure  = 1;
        ck_assert_uint_gt(vg_work_encode(&w, buf, sizeof(buf)), 0);
        /* an empty number is not encoded */
        w = work("", 1, 2, 3, 0.5, "Normal");
        ck_assert_uint_eq(vg_work_encode(&w, buf, sizeof(buf)), 0);
}
END_TEST

START_TEST(test_latest)
{
        vg_work_t ws[] = {
                work("CHG2", 100, 5000, 6000, 0.2, "Normal"),
                work("CHG1", 300, 9000, -1, 0.4, "Normal"),
                work("CHG2", 200, 4000, 6000, 0.3, "Normal"), /* latest */
                work("CHG3", 50, -1, -1, 0.1, "Standard"),
                work("CHG1", 100, 1000, -1, 0.9, "Emergency"),
                work("CHG2", 150, 3000, 6000, 0.5, "Normal"),
        };
        int n = vg_work_latest(ws, 6);

        ck_assert_int_eq(n, 3);
        ck_assert_str_eq(ws[0].number, "CHG3"); /* unknown start first */
        ck_assert_str_eq(ws[1].number, "CHG2");
        ck_assert(ws[1].event_time == 200);
        ck_assert(ws[1].start_ms == 4000);
        ck_assert_double_eq(ws[1].p_failure, 0.3);
        ck_assert_str_eq(ws[2].number, "CHG1");
        ck_assert(ws[2].event_time == 300);
        ck_assert_str_eq(ws[2].type, "Normal");
        ck_assert_int_eq(vg_work_latest(ws, 0), 0);
}
END_TEST

/* Two versions with the same event time (a record scored again after the
 * model learned): the same one is kept whatever the input order. */
START_TEST(test_latest_ties)
{
        vg_work_t a = work("CHG1", 100, 1000, 2000, 0.30, "Normal");
        vg_work_t b = work("CHG1", 100, 1000, 2000, 0.31, "Normal");
        vg_work_t c = work("CHG0", 100, 1000, 2000, 0.31, "Normal");
        vg_work_t ab[] = {a, b, c}, ba[] = {b, c, a};

        ck_assert_int_eq(vg_work_latest(ab, 3), 2);
        ck_assert_int_eq(vg_work_latest(ba, 3), 2);
        ck_assert_str_eq(ab[0].number, "CHG0"); /* equal starts: by number */
        ck_assert_double_eq(ab[1].p_failure, 0.31);
        ck_assert(!memcmp(ab, ba, sizeof(ab[0]) * 2));
        /* decoded members: duplicates of one record fold into one */
        char m[VG_WORK_MEMBER_MAX];
        vg_work_t d[3];
        size_t len = vg_work_encode(&a, m, sizeof(m));
        for (int i = 0; i < 3; i++)
                ck_assert_int_eq(vg_work_decode(m, len, &d[i]), 0);
        ck_assert_int_eq(vg_work_latest(d, 3), 1);
}
END_TEST

static Suite *work_suite(void)
{
        Suite *s  = suite_create("work");
        TCase *tc = tcase_create("Codec");
        TCase *tl = tcase_create("Latest");

        tcase_add_test(tc, test_format);
        tcase_add_test(tc, test_round_trip);
        tcase_add_test(tc, test_p);
        tcase_add_test(tc, test_garbage);
        tcase_add_test(tc, test_truncation);
        suite_add_tcase(s, tc);
        tcase_add_test(tl, test_latest);
        tcase_add_test(tl, test_latest_ties);
        suite_add_tcase(s, tl);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(work_suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
