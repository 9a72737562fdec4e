/* Unit tests of common/vg_pseudo: HMAC-SHA-256 known answers (RFC 4231,
 * and pseudonyms computed with `openssl dgst -sha256 -hmac`), the
 * normalisation of ids, keys from a file (permissions, length, newline)
 * or the environment, and errors that never show the key. */
#include "vg_err.h"
#include "vg_pseudo.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A 32-byte key, and the expected values computed when this test was
 * written with:
 *   printf 'jean.dupont@exemple.fr' | openssl dgst -sha256 -hmac $KEY
 *   printf 'VIGIE-PSEUDONYM-KEY-ID' | openssl dgst -sha256 -hmac $KEY
 *   printf 'élodie' | openssl dgst -sha256 -hmac $KEY */
#define KEY "0123456789abcdef0123456789abcdef"
#define KEY_PSEUDO_JEAN "p-6287f5c16954e8aace4e2c1356f521b6"
#define KEY_ID "k-1bbc1ae2"
#define KEY_PSEUDO_ELODIE "p-c634e2074e9a57406daae268849a75c6"

/* A key that must never show in an error message. */
#define SECRET "S3cr3t-K3y-Mat3r1al-xyzzy"
#define SECRET_SHORT "S3cr3t-xyzzy"

static char dir[64];
static char errstr[512];

static void setup(void)
{
        strcpy(dir, "/tmp/check_pseudo.XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
        char cmd[600];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        ck_assert_int_eq(system(cmd), 0);
}

/* Writes \p len bytes of \p content to dir/name with \p mode.
 * @returns the path (static). */
static const char *key_file(const char *name, const char *content,
                            size_t len, mode_t mode)
{
        static char path[600];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        ck_assert_uint_eq(fwrite(content, 1, len, f), len);
        ck_assert_int_eq(fclose(f), 0);
        ck_assert_int_eq(chmod(path, mode), 0);
        return path;
}

static void hexs(const unsigned char *b, size_t n, char *out)
{
        for (size_t i = 0; i < n; i++)
                sprintf(out + 2 * i, "%02x", b[i]);
}

/* The key must not show in errstr, nor any 8 bytes of it. */
static void assert_no_key(const char *key)
{
        size_t n = strlen(key);

        for (size_t i = 0; i + 8 <= n; i++) {
                char piece[9];
                memcpy(piece, key + i, 8);
                piece[8] = '\0';
                ck_assert_msg(!strstr(errstr, piece), "key in error: %s",
                              errstr);
        }
}

static vg_pseudo_t *mem_key(const char *key)
{
        vg_pseudo_t *vp = vg_pseudo_new_key(key, strlen(key), errstr,
                                            sizeof(errstr));
        ck_assert_msg(vp != NULL, "%s", errstr);
        return vp;
}

static const char *pseudo(const vg_pseudo_t *vp, const char *id)
{
        static char out[VG_PSEUDO_SIZE];

        ck_assert_int_eq(vg_pseudo_make(vp, id, out, sizeof(out)), VG_OK);
        ck_assert_uint_eq(strlen(out), VG_PSEUDO_SIZE - 1);
        return out;
}

/* ------------------------------------------------------------------ */
/* Known answers                                                      */

START_TEST(test_rfc4231)
{
        /* RFC 4231 test case 1 (key 20 x 0x0b) and 6 (131 x 0xaa) */
        unsigned char key[131], mac[VG_PSEUDO_MAC_SIZE];
        char got[2 * VG_PSEUDO_MAC_SIZE + 1];
        const char *data6 =
                "Test Using Larger Than Block-Size Key - Hash Key First";
        vg_pseudo_t *vp;

        memset(key, 0x0b, 20);
        vp = vg_pseudo_new_key(key, 20, errstr, sizeof(errstr));
        ck_assert_ptr_nonnull(vp);
        ck_assert_int_eq(vg_pseudo_mac(vp, "Hi There", 8, mac), VG_OK);
        hexs(mac, sizeof(mac), got);
        ck_assert_str_eq(got, "b0344c61d8db38535ca8afceaf0bf12b"
                              "881dc200c9833da726e9376c2e32cff7");
        /* twice: the keyed context is not consumed */
        ck_assert_int_eq(vg_pseudo_mac(vp, "Hi There", 8, mac), VG_OK);
        hexs(mac, sizeof(mac), got);
        ck_assert_str_eq(got, "b0344c61d8db38535ca8afceaf0bf12b"
                              "881dc200c9833da726e9376c2e32cff7");
        vg_pseudo_destroy(vp);

        memset(key, 0xaa, sizeof(key));
        vp = vg_pseudo_new_key(key, sizeof(key), errstr, sizeof(errstr));
        ck_assert_ptr_nonnull(vp);
        ck_assert_int_eq(vg_pseudo_mac(vp, data6, strlen(data6), mac), VG_OK);
        hexs(mac, sizeof(mac), got);
        ck_assert_str_eq(got, "60e431591ee0b67f0d8a26aacbf5b77f"
                              "8e0bc6213728c5140546040f0ee37f54");
        vg_pseudo_destroy(vp);
}
END_TEST

START_TEST(test_known_pseudonym)
{
        vg_pseudo_t *vp = mem_key(KEY);

        ck_assert_str_eq(pseudo(vp, "jean.dupont@exemple.fr"),
                         KEY_PSEUDO_JEAN);
        ck_assert_str_eq(pseudo(vp, "élodie"), KEY_PSEUDO_ELODIE);
        ck_assert_str_eq(vg_pseudo_key_id(vp), KEY_ID);
        vg_pseudo_destroy(vp);
        vg_pseudo_destroy(NULL);
}
END_TEST

START_TEST(test_normalise)
{
        vg_pseudo_t *vp = mem_key(KEY);
        char out[VG_PSEUDO_SIZE], a[VG_PSEUDO_SIZE], lower[1000], id[1000];
        unsigned char mac[VG_PSEUDO_MAC_SIZE];

        /* trimmed, ASCII lowercased */
        ck_assert_str_eq(pseudo(vp, "  Jean.Dupont@EXEMPLE.fr\n"),
                         KEY_PSEUDO_JEAN);
        ck_assert_str_eq(pseudo(vp, "\tJEAN.DUPONT@EXEMPLE.FR \r\n"),
                         KEY_PSEUDO_JEAN);
        /* other bytes kept: É is not é, inner spaces stay */
        ck_assert_str_ne(pseudo(vp, "Élodie"), KEY_PSEUDO_ELODIE);
        ck_assert_str_eq(pseudo(vp, " ÉLODIE"), pseudo(vp, "Élodie"));
        strcpy(a, pseudo(vp, "jean dupont"));
        ck_assert_str_ne(a, pseudo(vp, "jeandupont"));
        ck_assert_str_ne(a, pseudo(vp, "jean  dupont"));
        /* a long id (several chunks): the MAC of its lowercased form */
        for (int i = 0; i < 900; i++) {
                id[i]    = (char)('A' + i % 26);
                lower[i] = (char)('a' + i % 26);
        }
        id[900] = lower[900] = '\0';
        ck_assert_int_eq(vg_pseudo_mac(vp, lower, 900, mac), VG_OK);
        hexs(mac, 16, a + 2);
        a[0] = 'p';
        a[1] = '-';
        ck_assert_str_eq(pseudo(vp, id), a);
        /* empty ids, small output */
        ck_assert_int_eq(vg_pseudo_make(vp, "", out, sizeof(out)),
                         VG_ERR_INVALID);
        ck_assert_int_eq(vg_pseudo_make(vp, " \t\n", out, sizeof(out)),
                         VG_ERR_INVALID);
        ck_assert_str_eq(out, "");
        ck_assert_int_eq(vg_pseudo_make(vp, "jean", out, VG_PSEUDO_SIZE - 1),
                         VG_ERR_INVALID);
        ck_assert_str_eq(out, "");
        ck_assert_int_eq(vg_pseudo_make(vp, "jean", out, 0), VG_ERR_INVALID);
        vg_pseudo_destroy(vp);
}
END_TEST

START_TEST(test_keys_differ)
{
        vg_pseudo_t *a = mem_key(KEY), *b = mem_key(KEY "0"),
                    *c = mem_key("0123456789abcdef0123456789abcdeX");
        char pa[VG_PSEUDO_SIZE];

        strcpy(pa, pseudo(a, "jean.dupont@exemple.fr"));
        ck_assert_str_ne(pa, pseudo(b, "jean.dupont@exemple.fr"));
        ck_assert_str_ne(pa, pseudo(c, "jean.dupont@exemple.fr"));
        ck_assert_str_ne(vg_pseudo_key_id(a), vg_pseudo_key_id(b));
        ck_assert_str_ne(vg_pseudo_key_id(a), vg_pseudo_key_id(c));
        ck_assert_str_ne(vg_pseudo_key_id(b), vg_pseudo_key_id(c));
        /* different ids, one key */
        ck_assert_str_ne(pa, pseudo(a, "jean.dupont@exemple.com"));
        vg_pseudo_destroy(a);
        vg_pseudo_destroy(b);
        vg_pseudo_destroy(c);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Keys                                                               */

START_TEST(test_key_file)
{
        const char *p;
        vg_pseudo_t *vp;

        /* 0600 and 0400, one newline (or CRLF) stripped: the same key */
        p  = key_file("k1", KEY "\n", strlen(KEY) + 1, 0600);
        vp = vg_pseudo_new(p, NULL, errstr, sizeof(errstr));
        ck_assert_msg(vp != NULL, "%s", errstr);
        ck_assert_str_eq(vg_pseudo_key_id(vp), KEY_ID);
        ck_assert_str_eq(pseudo(vp, "Jean.Dupont@exemple.fr"),
                         KEY_PSEUDO_JEAN);
        vg_pseudo_destroy(vp);
        p  = key_file("k2", KEY "\r\n", strlen(KEY) + 2, 0400);
        vp = vg_pseudo_new(p, "", errstr, sizeof(errstr));
        ck_assert_msg(vp != NULL, "%s", errstr);
        ck_assert_str_eq(vg_pseudo_key_id(vp), KEY_ID);
        vg_pseudo_destroy(vp);
        p  = key_file("k3", KEY, strlen(KEY), 0600);
        vp = vg_pseudo_new(p, NULL, errstr, sizeof(errstr));
        ck_assert_msg(vp != NULL, "%s", errstr);
        ck_assert_str_eq(vg_pseudo_key_id(vp), KEY_ID);
        vg_pseudo_destroy(vp);
        /* only one newline: the second is part of the key */
        p  = key_file("k4", KEY "\n\n", strlen(KEY) + 2, 0600);
        vp = vg_pseudo_new(p, NULL, errstr, sizeof(errstr));
        ck_assert_ptr_nonnull(vp);
        ck_assert_str_ne(vg_pseudo_key_id(vp), KEY_ID);
        vg_pseudo_destroy(vp);
        /* exactly 16 bytes */
        p  = key_file("k5", "0123456789abcdef\n", 17, 0600);
        vp = vg_pseudo_new(p, NULL, errstr, sizeof(errstr));
        ck_assert_msg(vp != NULL, "%s", errstr);
        vg_pseudo_destroy(vp);
}
END_TEST

START_TEST(test_key_file_refused)
{
        static const mode_t modes[] = {0644, 0640, 0604, 0660, 0620, 0602,
                                       0444};
        char big[VG_PSEUDO_KEY_MAX + 10];
        const char *p;

        for (size_t i = 0; i < sizeof(modes) / sizeof(*modes); i++) {
                p = key_file("open", SECRET "\n", strlen(SECRET) + 1,
                             modes[i]);
                ck_assert_ptr_null(vg_pseudo_new(p, NULL, errstr,
                                                 sizeof(errstr)));
                ck_assert_msg(strstr(errstr, "group or others") &&
                                      strstr(errstr, p) &&
                                      strstr(errstr, "chmod 600"),
                              "%s", errstr);
                assert_no_key(SECRET);
        }
        /* too short: 15 bytes and the newline, or a newline only */
        p = key_file("short", "0123456789abcde\n", 16, 0600);
        ck_assert_ptr_null(vg_pseudo_new(p, NULL, errstr, sizeof(errstr)));
        ck_assert_msg(strstr(errstr, "15 bytes") && strstr(errstr, p), "%s",
                      errstr);
        p = key_file("secret-short", SECRET_SHORT "\n",
                     strlen(SECRET_SHORT) + 1, 0600);
        ck_assert_ptr_null(vg_pseudo_new(p, NULL, errstr, sizeof(errstr)));
        assert_no_key(SECRET_SHORT);
        p = key_file("empty", "\n", 1, 0600);
        ck_assert_ptr_null(vg_pseudo_new(p, NULL, errstr, sizeof(errstr)));
        ck_assert_msg(strstr(errstr, "0 bytes"), "%s", errstr);
        /* too long */
        memset(big, 'x', sizeof(big));
        p = key_file("big", big, sizeof(big), 0600);
        ck_assert_ptr_null(vg_pseudo_new(p, NULL, errstr, sizeof(errstr)));
        ck_assert_msg(strstr(errstr, "more than"), "%s", errstr);
        assert_no_key("xxxxxxxxxxxxxxxx");
        /* missing, a directory */
        ck_assert_ptr_null(vg_pseudo_new("/nonexistent/vigie.key", NULL,
                                         errstr, sizeof(errstr)));
        ck_assert_msg(strstr(errstr, "/nonexistent/vigie.key") &&
                              strstr(errstr, "No such file"),
                      "%s", errstr);
        ck_assert_int_eq(chmod(dir, 0700), 0);
        ck_assert_ptr_null(vg_pseudo_new(dir, NULL, errstr, sizeof(errstr)));
        ck_assert_msg(strstr(errstr, "not a regular file"), "%s", errstr);
}
END_TEST

START_TEST(test_key_env)
{
        vg_pseudo_t *vp, *vm;

        ck_assert_int_eq(setenv("VG_TEST_PSEUDO_KEY", KEY, 1), 0);
        vp = vg_pseudo_new(NULL, "VG_TEST_PSEUDO_KEY", errstr,
                           sizeof(errstr));
        ck_assert_msg(vp != NULL, "%s", errstr);
        vm = mem_key(KEY);
        ck_assert_str_eq(vg_pseudo_key_id(vp), KEY_ID);
        ck_assert_str_eq(pseudo(vp, "x@y.fr"), pseudo(vm, "x@y.fr"));
        vg_pseudo_destroy(vp);
        vg_pseudo_destroy(vm);
        /* "" for the file is "not given" */
        vp = vg_pseudo_new("", "VG_TEST_PSEUDO_KEY", errstr, sizeof(errstr));
        ck_assert_ptr_nonnull(vp);
        vg_pseudo_destroy(vp);

        /* not set, too short, empty */
        ck_assert_int_eq(unsetenv("VG_TEST_PSEUDO_KEY"), 0);
        ck_assert_ptr_null(vg_pseudo_new(NULL, "VG_TEST_PSEUDO_KEY", errstr,
                                         sizeof(errstr)));
        ck_assert_msg(strstr(errstr, "VG_TEST_PSEUDO_KEY is not set"), "%s",
                      errstr);
        ck_assert_int_eq(setenv("VG_TEST_PSEUDO_KEY", SECRET_SHORT, 1), 0);
        ck_assert_ptr_null(vg_pseudo_new(NULL, "VG_TEST_PSEUDO_KEY", errstr,
                                         sizeof(errstr)));
        ck_assert_msg(strstr(errstr, "VG_TEST_PSEUDO_KEY holds 12 bytes"),
                      "%s", errstr);
        assert_no_key(SECRET_SHORT);
        ck_assert_int_eq(setenv("VG_TEST_PSEUDO_KEY", "", 1), 0);
        ck_assert_ptr_null(vg_pseudo_new(NULL, "VG_TEST_PSEUDO_KEY", errstr,
                                         sizeof(errstr)));
}
END_TEST

START_TEST(test_key_source)
{
        const char *p = key_file("k", SECRET, strlen(SECRET), 0600);

        ck_assert_int_eq(setenv("VG_TEST_PSEUDO_KEY", SECRET, 1), 0);
        /* both, neither */
        ck_assert_ptr_null(vg_pseudo_new(p, "VG_TEST_PSEUDO_KEY", errstr,
                                         sizeof(errstr)));
        ck_assert_msg(strstr(errstr, "not both"), "%s", errstr);
        assert_no_key(SECRET);
        ck_assert_ptr_null(vg_pseudo_new(NULL, NULL, errstr, sizeof(errstr)));
        ck_assert_msg(strstr(errstr, "no key file"), "%s", errstr);
        ck_assert_ptr_null(vg_pseudo_new("", "", errstr, sizeof(errstr)));
        /* a key in memory: too short, too long */
        ck_assert_ptr_null(vg_pseudo_new_key(SECRET_SHORT,
                                             strlen(SECRET_SHORT), errstr,
                                             sizeof(errstr)));
        assert_no_key(SECRET_SHORT);
        ck_assert_ptr_null(vg_pseudo_new_key(SECRET, VG_PSEUDO_KEY_MAX + 1,
                                             errstr, sizeof(errstr)));
        /* a tiny errstr is fine */
        ck_assert_ptr_null(vg_pseudo_new(NULL, NULL, errstr, 4));
        ck_assert_str_eq(errstr, "pse");
}
END_TEST

static Suite *pseudo_suite(void)
{
        Suite *s  = suite_create("pseudo");
        TCase *tc = tcase_create("Core");
        tcase_add_test(tc, test_rfc4231);
        tcase_add_test(tc, test_known_pseudonym);
        tcase_add_test(tc, test_normalise);
        tcase_add_test(tc, test_keys_differ);
        suite_add_tcase(s, tc);
        tc = tcase_create("Keys");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_key_file);
        tcase_add_test(tc, test_key_file_refused);
        tcase_add_test(tc, test_key_env);
        tcase_add_test(tc, test_key_source);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(pseudo_suite());
        srunner_run_all(sr, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
