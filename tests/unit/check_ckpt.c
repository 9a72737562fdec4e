/**
 * @file check_ckpt.c
 * @brief Unit tests of checkpoints (common/vg_ckpt.[ch]): the model and
 *        its learned offsets round-trip; malformed blobs are refused;
 *        progress orders checkpoints.
 */
#include "vg_ckpt.h"
#include "vg_mem.h"

#include <check.h>
#include <string.h>

START_TEST(test_roundtrip)
{
        int64_t next[4] = {10, -1, 0, 1234567890123LL};
        const char model[] = "model bytes\0with a NUL";
        size_t len, mlen;
        int64_t *got;
        int n;
        const void *m;
        char errstr[256];

        void *buf = vg_ckpt_encode(next, 4, model, sizeof(model), &len);
        ck_assert_int_eq(vg_ckpt_decode(buf, len, &got, &n, &m, &mlen, errstr,
                                        sizeof(errstr)),
                         0);
        ck_assert_int_eq(n, 4);
        ck_assert(!memcmp(got, next, sizeof(next)));
        ck_assert_uint_eq(mlen, sizeof(model));
        ck_assert(!memcmp(m, model, mlen));
        ck_assert_int_eq(vg_ckpt_progress(got, n), 10 + 1234567890123LL);
        vg_free(got);

        /* every truncation, and a foreign blob, are refused */
        for (size_t cut = 0; cut < len; cut++)
                ck_assert_int_eq(vg_ckpt_decode(buf, cut, &got, &n, &m, &mlen,
                                                errstr, sizeof(errstr)),
                                 -1);
        ((char *)buf)[0] = 'X';
        ck_assert_int_eq(vg_ckpt_decode(buf, len, &got, &n, &m, &mlen, errstr,
                                        sizeof(errstr)),
                         -1);
        ck_assert_str_eq(errstr, "not a checkpoint");
        vg_free(buf);

        /* no partitions, no model: still a checkpoint */
        buf = vg_ckpt_encode(NULL, 0, NULL, 0, &len);
        ck_assert_int_eq(vg_ckpt_decode(buf, len, &got, &n, &m, &mlen, errstr,
                                        sizeof(errstr)),
                         0);
        ck_assert_int_eq(n, 0);
        ck_assert_uint_eq(mlen, 0);
        ck_assert_int_eq(vg_ckpt_progress(got, n), 0);
        vg_free(got);
        vg_free(buf);
}
END_TEST

int main(void)
{
        Suite *s  = suite_create("ckpt");
        TCase *tc = tcase_create("core");
        tcase_add_test(tc, test_roundtrip);
        suite_add_tcase(s, tc);
        SRunner *sr = srunner_create(s);
        srunner_run_all(sr, CK_NORMAL);
        int nf = srunner_ntests_failed(sr);
        srunner_free(sr);
        return nf ? 1 : 0;
}
