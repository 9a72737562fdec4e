/**
 * @file check_utf8.c
 * @brief Unit tests of vg_utf8 (strict validation against a reference
 *        decoder, truncation, sanitising, JSON escaping read back by
 *        jansson) and of its users that cut texts: log lines (vg_log) and
 *        dead-letter texts (vg_dlq).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "vg_avro.h"
#include "vg_dlq.h"
#include "vg_log.h"
#include "vg_mem.h"
#include "vg_utf8.h"

/* ----------------------------------------------------------------- */
/* Validation                                                         */
/* ----------------------------------------------------------------- */

/** The slow, obvious decoder: bit patterns, then the three rules
 *  (shortest form, no surrogate, <= U+10FFFF). @returns length or 0. */
static size_t ref_decode(const uint8_t *s, size_t n, uint32_t *cp)
{
        static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
        size_t len, i;
        uint32_t c;

        if (n == 0)
                return 0;
        if (s[0] < 0x80)
                len = 1, c = s[0];
        else if ((s[0] & 0xe0) == 0xc0)
                len = 2, c = s[0] & 0x1f;
        else if ((s[0] & 0xf0) == 0xe0)
                len = 3, c = s[0] & 0x0f;
        else if ((s[0] & 0xf8) == 0xf0)
                len = 4, c = s[0] & 0x07;
        else
                return 0;
        if (len > n)
                return 0;
        for (i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                c = (c << 6) | (s[i] & 0x3f);
        }
        if (c < min[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
                return 0;
        *cp = c;
        return len;
}

static size_t prefix_of(const char *s, size_t n)
{
        return vg_utf8_valid_prefix(s, n);
}

START_TEST(test_valid_strings)
{
        uint32_t cp;

        ck_assert_int_eq(prefix_of("", 0), 0);
        ck_assert(vg_utf8_valid("", 0));
        ck_assert(vg_utf8_valid("plain ASCII, longer than eight bytes", 36));
        ck_assert(vg_utf8_valid("\0nul\0", 5)); /* U+0000 is a character */
        ck_assert(vg_utf8_valid("Équipe Poste de travail ☃ 😀",
                                strlen("Équipe Poste de travail ☃ 😀")));
        ck_assert(vg_utf8_valid("\xc2\x80\xdf\xbf", 4));         /* 80, 7FF */
        ck_assert(vg_utf8_valid("\xe0\xa0\x80\xef\xbf\xbf", 6)); /* 800, FFFF */
        ck_assert(vg_utf8_valid("\xed\x9f\xbf\xee\x80\x80", 6)); /* D7FF, E000 */
        ck_assert(vg_utf8_valid("\xf0\x90\x80\x80\xf4\x8f\xbf\xbf", 8));

        ck_assert_uint_eq(vg_utf8_decode("\xe2\x82\xac", 3, &cp), 3);
        ck_assert_uint_eq(cp, 0x20ac);
        ck_assert_uint_eq(vg_utf8_decode("\xf4\x8f\xbf\xbf", 4, &cp), 4);
        ck_assert_uint_eq(cp, 0x10ffff);
        ck_assert_uint_eq(vg_utf8_decode("A", 1, &cp), 1);
        ck_assert_uint_eq(cp, 'A');
        ck_assert_uint_eq(vg_utf8_decode("A", 0, &cp), 0);
}
END_TEST

START_TEST(test_invalid_strings)
{
        static const struct {
                const char *s;
                size_t n, ok;
        } bad[] = {
                {"\x80", 1, 0},                      /* stray continuation */
                {"ab\xbf", 3, 2},
                {"\xc0\x80", 2, 0},                  /* overlong NUL */
                {"\xc1\xbf", 2, 0},                  /* overlong 7F */
                {"\xe0\x80\x80", 3, 0},              /* overlong */
                {"\xe0\x9f\xbf", 3, 0},              /* overlong 7FF */
                {"\xf0\x80\x80\x80", 4, 0},          /* overlong */
                {"\xf0\x8f\xbf\xbf", 4, 0},          /* overlong FFFF */
                {"\xed\xa0\x80", 3, 0},              /* surrogate D800 */
                {"\xed\xbf\xbf", 3, 0},              /* surrogate DFFF */
                {"\xed\xa0\xbd\xed\xb8\x80", 6, 0},  /* CESU-8 pair */
                {"\xf4\x90\x80\x80", 4, 0},          /* 110000 */
                {"\xf5\x80\x80\x80", 4, 0},
                {"\xf8\x88\x80\x80\x80", 5, 0},      /* 5-byte form */
                {"\xfe", 1, 0},
                {"\xff", 1, 0},
                {"CHG\xff" "0001", 8, 3},
                {"\xc3\xa9\xc3", 3, 2},              /* cut short */
                {"\xe2\x82", 2, 0},
                {"\xe2\x82" "A", 3, 0},              /* continuation missing */
                {"0123456789abcdef\xe9t\xc3\xa9", 20, 16}, /* latin-1 é */
                {"01234567\x80", 9, 8},
                {"0123456\x80" "01234567", 16, 7},   /* in the 8-byte word */
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                ck_assert_msg(prefix_of(bad[i].s, bad[i].n) == bad[i].ok,
                              "case %zu: prefix %zu, expected %zu", i,
                              prefix_of(bad[i].s, bad[i].n), bad[i].ok);
                ck_assert(!vg_utf8_valid(bad[i].s, bad[i].n));
        }
}
END_TEST

/* Every 1-, 2- and 3-byte sequence, and every code point encoded in 4
 * bytes, against the reference decoder. */
START_TEST(test_decode_exhaustive)
{
        uint8_t b[4];
        uint32_t cp, rcp;
        size_t n, rn;

        for (uint32_t v = 0; v < (1u << 24); v++) {
                b[0] = (uint8_t)(v >> 16);
                b[1] = (uint8_t)(v >> 8);
                b[2] = (uint8_t)v;
                for (size_t len = 1; len <= 3; len++) {
                        if (len < 3 && (v & ((1u << (8 * (3 - len))) - 1)))
                                continue; /* shorter inputs: once each */
                        cp = rcp = 0xffffffff;
                        n        = vg_utf8_decode(b, len, &cp);
                        rn       = ref_decode(b, len, &rcp);
                        if (n != rn || (n && cp != rcp))
                                ck_abort_msg("%02x %02x %02x (len %zu): "
                                             "%zu/%x, reference %zu/%x",
                                             b[0], b[1], b[2], len, n, cp, rn,
                                             rcp);
                }
        }
        for (uint32_t c = 0x10000; c <= 0x10ffff; c++) {
                b[0] = (uint8_t)(0xf0 | (c >> 18));
                b[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3f));
                b[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
                b[3] = (uint8_t)(0x80 | (c & 0x3f));
                ck_assert_uint_eq(vg_utf8_decode(b, 4, &cp), 4);
                ck_assert_uint_eq(cp, c);
                ck_assert_uint_eq(vg_utf8_decode(b, 3, &cp), 0);
        }
        /* 4-byte patterns out of range or overlong, all of them */
        for (uint32_t v = 0; v < (1u << 16); v++) {
                b[0] = (uint8_t)(0xf0 | ((v >> 12) & 0x0f));
                b[1] = (uint8_t)(v >> 4);
                b[2] = (uint8_t)(0x80 | (v & 0x0f));
                b[3] = 0x80;
                n    = vg_utf8_decode(b, 4, &cp);
                rn   = ref_decode(b, 4, &rcp);
                ck_assert_uint_eq(n, rn);
        }
}
END_TEST

/* ----------------------------------------------------------------- */
/* Truncation and sanitising                                          */
/* ----------------------------------------------------------------- */

START_TEST(test_truncate)
{
        const char *s = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z"; /* aé€😀z */
        size_t n = strlen(s);
        /* the largest boundary <= max, for max = 0..11 */
        static const size_t want[] = {0, 1, 1, 3, 3, 3, 6, 6, 6, 6, 10, 11};

        ck_assert_uint_eq(n, 11);
        for (size_t max = 0; max <= n; max++)
                ck_assert_msg(vg_utf8_truncate(s, n, max) == want[max],
                              "max %zu: %zu, expected %zu", max,
                              vg_utf8_truncate(s, n, max), want[max]);
        ck_assert_uint_eq(vg_utf8_truncate(s, n, 100), n);
        /* ill-formed bytes are characters of their own */
        ck_assert_uint_eq(vg_utf8_truncate("a\xff\xfe", 3, 2), 2);
        ck_assert_uint_eq(vg_utf8_truncate("a\x80\x80\x80\x80", 5, 3), 3);
        ck_assert_uint_eq(vg_utf8_truncate("\xe2\x82" "A", 3, 1), 1);
        /* a character cut short by the end of the data is dropped whole */
        ck_assert_uint_eq(vg_utf8_truncate("ab\xf0\x9f\x98", 5, 4), 2);
}
END_TEST

/* Random valid texts: every cut is valid, and as long as it can be. */
START_TEST(test_truncate_random)
{
        static const char *chars[] = {"a", "\xc3\xa9", "\xe2\x82\xac",
                                      "\xf0\x9f\x98\x80", "\"", "\n"};
        char buf[256];
        unsigned seed = 42;

        for (int t = 0; t < 2000; t++) {
                size_t n = 0, bounds[256], nb = 0;
                bounds[nb++] = 0;
                while (n < 200) {
                        seed          = seed * 1103515245u + 12345u;
                        const char *c = chars[(seed >> 16) % 6];
                        memcpy(buf + n, c, strlen(c));
                        n += strlen(c);
                        bounds[nb++] = n;
                }
                for (size_t max = 0; max <= n; max++) {
                        size_t r = vg_utf8_truncate(buf, n, max), best = 0;
                        for (size_t k = 0; k < nb; k++)
                                if (bounds[k] <= max)
                                        best = bounds[k];
                        ck_assert_uint_eq(r, best);
                        ck_assert(vg_utf8_valid(buf, r));
                        /* the same text cut by snprintf at max bytes */
                        ck_assert_uint_eq(vg_utf8_trim_partial(buf, max),
                                          best);
                }
        }
}
END_TEST

START_TEST(test_trim_partial)
{
        ck_assert_uint_eq(vg_utf8_trim_partial("", 0), 0);
        ck_assert_uint_eq(vg_utf8_trim_partial("ab", 2), 2);
        ck_assert_uint_eq(vg_utf8_trim_partial("ab\xe2", 3), 2);
        ck_assert_uint_eq(vg_utf8_trim_partial("ab\xe2\x82", 4), 2);
        ck_assert_uint_eq(vg_utf8_trim_partial("ab\xe2\x82\xac", 5), 5);
        ck_assert_uint_eq(vg_utf8_trim_partial("\xf0\x9f\x98", 3), 0);
        ck_assert_uint_eq(vg_utf8_trim_partial("\xf0\x9f\x98\x80", 4), 4);
        /* not the start of any character: left alone */
        ck_assert_uint_eq(vg_utf8_trim_partial("ab\xff", 3), 3);
        ck_assert_uint_eq(vg_utf8_trim_partial("ab\x80", 3), 3);
        ck_assert_uint_eq(vg_utf8_trim_partial("ab\xed\xa0", 4), 4);
        ck_assert_uint_eq(vg_utf8_trim_partial("ab\xe0\x80", 4), 4);
}
END_TEST

START_TEST(test_sanitize)
{
        char out[64];

        ck_assert_uint_eq(vg_utf8_sanitize(out, sizeof(out), "a\xff" "b\xc3\xa9"
                                           "\xed\xa0\x80", 8), 16);
        ck_assert_str_eq(out, "a\xef\xbf\xbd" "b\xc3\xa9\xef\xbf\xbd"
                              "\xef\xbf\xbd\xef\xbf\xbd");
        /* cut before what does not fit, never inside it */
        ck_assert_uint_eq(vg_utf8_sanitize(out, 6, "a\xff" "b", 3), 5);
        ck_assert_str_eq(out, "a\xef\xbf\xbd" "b");
        ck_assert_uint_eq(vg_utf8_sanitize(out, 5, "a\xff\xff", 3), 4);
        ck_assert_str_eq(out, "a\xef\xbf\xbd");
        ck_assert_uint_eq(vg_utf8_sanitize(out, 4, "a\xe2\x82\xac", 4), 1);
        ck_assert_str_eq(out, "a");
        ck_assert_uint_eq(vg_utf8_sanitize(out, 1, "abc", 3), 0);
        ck_assert_str_eq(out, "");
        ck_assert_uint_eq(vg_utf8_sanitize(NULL, 0, "abc", 3), 0);
}
END_TEST

/* ----------------------------------------------------------------- */
/* JSON escaping                                                      */
/* ----------------------------------------------------------------- */

START_TEST(test_json_escape)
{
        const char in[] = "a\"b\\c\n\t\x01\x7f \xc3\xa9 \xff\xe2\x82!";
        const char *want = "a\\\"b\\\\c\\n\\t\\u0001\\u007f \xc3\xa9 "
                           "\\ufffd\\ufffd\\ufffd!";
        char out[128];
        size_t n = vg_utf8_json_escape(out, sizeof(out), in, sizeof(in) - 1);

        ck_assert_str_eq(out, want);
        ck_assert_uint_eq(n, strlen(want));
        /* NUL bytes are data */
        ck_assert_uint_eq(vg_utf8_json_escape(out, sizeof(out), "\0k", 2), 7);
        ck_assert_str_eq(out, "\\u0000k");
        /* snprintf-style: the whole length, whole escapes only */
        ck_assert_uint_eq(vg_utf8_json_escape(out, 8, "\xff\xff", 2), 12);
        ck_assert_str_eq(out, "\\ufffd");
        ck_assert_uint_eq(vg_utf8_json_escape(out, 3, "a\xc3\xa9", 3), 3);
        ck_assert_str_eq(out, "a");
        ck_assert_uint_eq(vg_utf8_json_escape(NULL, 0, "\"", 1), 2);
}
END_TEST

/* Random bytes: the escape always parses; valid UTF-8 reads back equal. */
START_TEST(test_json_escape_random)
{
        static const uint8_t pool[] = {'a', '"', '\\', 0, '\n', 0x1f, 0x7f,
                                       0x80, 0xbf, 0xc2, 0xc3, 0xa9, 0xe2,
                                       0x82, 0xac, 0xed, 0xa0, 0xf0, 0x9f,
                                       0x98, 0xf4, 0x90, 0xff};
        uint8_t in[40];
        char out[40 * VG_UTF8_JSON_MAX_PER_BYTE + 3];
        unsigned seed = 7;
        int valid = 0;

        for (int t = 0; t < 50000; t++) {
                size_t n = (size_t)(t % 40);
                for (size_t i = 0; i < n; i++) {
                        seed  = seed * 1103515245u + 12345u;
                        in[i] = pool[(seed >> 16) % sizeof(pool)];
                }
                out[0]   = '"';
                size_t m = vg_utf8_json_escape(out + 1, sizeof(out) - 2, in,
                                               n);
                ck_assert_uint_le(m, VG_UTF8_JSON_MAX_PER_BYTE * n);
                out[m + 1] = '"';
                json_error_t jerr;
                json_t *j = json_loadb(out, m + 2,
                                       JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
                ck_assert_msg(j != NULL, "%.*s: %s", (int)m + 2, out,
                              jerr.text);
                if (vg_utf8_valid(in, n)) {
                        valid++;
                        ck_assert_uint_eq(json_string_length(j), n);
                        ck_assert(!memcmp(json_string_value(j), in, n));
                }
                json_decref(j);
        }
        ck_assert_int_gt(valid, 100);
}
END_TEST

/* ----------------------------------------------------------------- */
/* Users: log lines and dead-letter texts                             */
/* ----------------------------------------------------------------- */

/* Logs \p msg and returns the line written on stderr (vg_free() it). */
static char *log_line(const char *msg, size_t *lenp)
{
        FILE *tf  = tmpfile();
        int saved = dup(STDERR_FILENO);
        char *buf = vg_malloc(8192);

        ck_assert_ptr_nonnull(tf);
        fflush(stderr);
        dup2(fileno(tf), STDERR_FILENO);
        vg_log0(VG_LOG_INFO, "test", "%s", msg);
        dup2(saved, STDERR_FILENO);
        close(saved);
        rewind(tf);
        *lenp      = fread(buf, 1, 8191, tf);
        buf[*lenp] = '\0';
        fclose(tf);
        return buf;
}

static void assert_log_line(const char *line, size_t len)
{
        ck_assert_uint_le(len, VG_LOG_LINE_MAX);
        ck_assert_msg(vg_utf8_valid(line, len), "log line not UTF-8 at %zu",
                      vg_utf8_valid_prefix(line, len));
        ck_assert_msg(len >= 2 && line[len - 2] == '"' && line[len - 1] ==
                      '\n', "log line does not end with \"\\n");
        ck_assert_ptr_nonnull(strstr(line, " msg=\""));
}

/* A message cut by the line's size, and one cut by the message buffer:
 * at each alignment, never inside a character, quote and newline kept. */
START_TEST(test_log_cut_at_boundary)
{
        char msg[4096];
        size_t len;

        vg_log_set_program("t");
        for (int pad = 0; pad < 4; pad++) {
                /* 500 quotes escape to 1000 bytes: the line is full first */
                size_t n = 0;
                memset(msg, '"', 500);
                n += 500;
                memset(msg + n, 'x', (size_t)pad);
                n += (size_t)pad;
                for (int i = 0; i < 360; i++, n += 3)
                        memcpy(msg + n, "\xe2\x82\xac", 3);
                msg[n]     = '\0';
                char *line = log_line(msg, &len);
                assert_log_line(line, len);
                ck_assert_ptr_nonnull(strstr(line, "...\"\n"));
                vg_free(line);

                /* 1,800 bytes of text: the message buffer is full first */
                memset(msg, 'x', (size_t)pad);
                n = (size_t)pad;
                for (int i = 0; i < 600; i++, n += 3)
                        memcpy(msg + n, "\xe2\x82\xac", 3);
                msg[n] = '\0';
                line   = log_line(msg, &len);
                assert_log_line(line, len);
                vg_free(line);
        }
        /* short lines are whole */
        char *line = log_line("d\xc3\xa9j\xc3\xa0 \"vu\"\nok", &len);
        assert_log_line(line, len);
        ck_assert_ptr_nonnull(strstr(line, "msg=\"d\xc3\xa9j\xc3\xa0 "
                                           "\\\"vu\\\" ok\"\n"));
        vg_free(line);
}
END_TEST

/* Ill-formed bytes in a message do not make the line ill-formed. */
START_TEST(test_log_invalid_bytes)
{
        size_t len;
        char *line = log_line("key CHG\xff\xc3 \xed\xa0\x80 end", &len);

        assert_log_line(line, len);
        ck_assert_ptr_nonnull(strstr(line, "msg=\"key CHG\\xff\\xc3 "
                                           "\\xed\\xa0\\x80 end\"\n"));
        vg_free(line);
}
END_TEST

/* Encodes a dead letter with \p msg and returns its decoded
 * error_message (valid until the next decode). */
static const char *dlq_message(vg_avro_registry_t *reg, const char *msg)
{
        vg_dlq_src_t src = {"\0\0\0\0\1\xff", 6, "k\xff", 2, "itsm.changes",
                            3, 42};
        char errstr[512];
        avro_value_t *val;
        const char *s;
        void *buf;
        size_t len;

        ck_assert_int_eq(vg_dlq_encode(reg, &src, VG_DLQ_DECODE, msg, "t",
                                       1, &buf, &len, errstr,
                                       sizeof(errstr)), VG_OK);
        ck_assert_msg(vg_avro_decode(reg, buf, len, NULL, &val, errstr,
                                     sizeof(errstr)) == VG_OK,
                      "dead letter does not decode: %s", errstr);
        vg_free(buf);
        ck_assert_int_eq(vg_avro_get_str(val, "error_message", &s, NULL),
                         VG_OK);
        return s;
}

START_TEST(test_dlq_texts)
{
        char errstr[512], *msg = vg_malloc(3 * 2000 + 3);
        vg_avro_registry_t *reg = vg_avro_registry_new(VG_SCHEMA_DIR, NULL,
                                                       errstr, sizeof(errstr));
        const char *s;

        ck_assert_msg(reg != NULL, "%s", errstr);
        /* a reason cut by the caller's buffer in a character, with an
         * ill-formed byte quoted from the input */
        s = dlq_message(reg, "bad key \xff: caf\xc3\xa9 \xe2\x82");
        ck_assert_str_eq(s, "bad key \xef\xbf\xbd: caf\xc3\xa9 ");
        s = dlq_message(reg, "fine: \xf0\x9f\x98\x80");
        ck_assert_str_eq(s, "fine: \xf0\x9f\x98\x80");
        /* too long: cut at a character boundary */
        for (int pad = 0; pad < 3; pad++) {
                size_t n = (size_t)pad;
                memset(msg, 'x', n);
                for (int i = 0; i < 2000; i++, n += 3)
                        memcpy(msg + n, "\xe2\x82\xac", 3);
                msg[n] = '\0';
                s      = dlq_message(reg, msg);
                ck_assert_uint_le(strlen(s), VG_DLQ_MESSAGE_MAX);
                ck_assert_uint_gt(strlen(s), VG_DLQ_MESSAGE_MAX - 3);
                ck_assert(vg_utf8_valid(s, strlen(s)));
                ck_assert(!strncmp(s, msg, strlen(s)));
        }
        vg_avro_registry_destroy(reg);
        vg_free(msg);
}
END_TEST

static Suite *utf8_suite(void)
{
        Suite *s = suite_create("utf8");
        TCase *tc;

        tc = tcase_create("Validate");
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_valid_strings);
        tcase_add_test(tc, test_invalid_strings);
        tcase_add_test(tc, test_decode_exhaustive);
        suite_add_tcase(s, tc);

        tc = tcase_create("Truncate");
        tcase_add_test(tc, test_truncate);
        tcase_add_test(tc, test_truncate_random);
        tcase_add_test(tc, test_trim_partial);
        tcase_add_test(tc, test_sanitize);
        suite_add_tcase(s, tc);

        tc = tcase_create("Json");
        tcase_add_test(tc, test_json_escape);
        tcase_add_test(tc, test_json_escape_random);
        suite_add_tcase(s, tc);

        tc = tcase_create("Users");
        tcase_add_test(tc, test_log_cut_at_boundary);
        tcase_add_test(tc, test_log_invalid_bytes);
        tcase_add_test(tc, test_dlq_texts);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(utf8_suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
