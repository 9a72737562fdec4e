/**
 * @file check_preq.c
 * @brief Prequential metrics against hand-computed values.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vg_mem.h"
#include "vg_preq.h"

static vg_preq_t *new_preq(double fading, int window)
{
        vg_preq_conf_t c;
        char err[128];
        vg_preq_t *pq;

        vg_preq_conf_init(&c);
        c.fading     = fading;
        c.auc_window = window;
        pq           = vg_preq_new(&c, err, sizeof(err));
        ck_assert_msg(pq != NULL, "%s", err);
        return pq;
}

static const double P[8] = {0.9, 0.8, 0.7, 0.6, 0.4, 0.3, 0.2, 0.1};
static const int Y[8]    = {1, 1, 0, 1, 0, 1, 0, 0};

START_TEST(test_preq_binary_by_hand)
{
        vg_preq_t *pq = new_preq(1.0, 100);
        char line[512];
        int full;

        for (int i = 0; i < 8; i++)
                vg_preq_add_binary(pq, P[i], Y[i]);
        /* Positive/negative pairs ranked right: 4 + 4 + 3 + 2 of 16. */
        ck_assert_double_eq_tol(vg_preq_get(pq, VG_PREQ_AUC), 13.0 / 16, 1e-12);
        /* Mean of -ln p(y): -ln(0.9 * 0.8 * 0.3 * 0.6) / 4. */
        ck_assert_double_eq_tol(vg_preq_get(pq, VG_PREQ_LOGLOSS),
                                -log(0.9 * 0.8 * 0.3 * 0.6) / 4, 1e-12);
        /* At 0.5: TP 3, FP 1, FN 1, TN 3. */
        ck_assert_double_eq_tol(vg_preq_get(pq, VG_PREQ_ACCURACY), 0.75, 1e-12);
        ck_assert_double_eq_tol(vg_preq_get(pq, VG_PREQ_PRECISION), 0.75,
                                1e-12);
        ck_assert_double_eq_tol(vg_preq_get(pq, VG_PREQ_RECALL), 0.75, 1e-12);
        ck_assert_double_eq_tol(vg_preq_get(pq, VG_PREQ_F1), 0.75, 1e-12);
        ck_assert_double_eq_tol(vg_preq_get(pq, VG_PREQ_MEAN_P), 0.5, 1e-12);
        ck_assert_double_eq_tol(vg_preq_get(pq, VG_PREQ_RATE), 0.5, 1e-12);
        ck_assert_double_eq(vg_preq_get(pq, VG_PREQ_N), 8);
        ck_assert(isnan(vg_preq_get(pq, VG_PREQ_TOP1)));
        vg_preq_format(pq, line, sizeof(line));
        ck_assert_ptr_nonnull(strstr(line, "n=8 logloss=0.5108 acc=0.7500"));
        ck_assert_ptr_nonnull(strstr(line, "auc=0.8125"));
        ck_assert_ptr_null(strstr(line, "top1"));
        /* Truncated output stays NUL-terminated and reports full length. */
        full = (int)strlen(line);
        ck_assert_int_eq(vg_preq_format(pq, line, 5), full);
        ck_assert_int_eq(strlen(line), 4);
        vg_preq_destroy(pq);
}
END_TEST

START_TEST(test_preq_auc_ties_and_window)
{
        vg_preq_t *pq = new_preq(1.0, 4);

        ck_assert(isnan(vg_preq_get(pq, VG_PREQ_AUC)));
        vg_preq_add_binary(pq, 0.5, 1);
        ck_assert(isnan(vg_preq_get(pq, VG_PREQ_AUC))); /* one class only */
        vg_preq_add_binary(pq, 0.5, 0);
        ck_assert_double_eq_tol(vg_preq_get(pq, VG_PREQ_AUC), 0.5, 1e-12);
        /* Window of 4: after the 8 events only (.4,0) (.3,1) (.2,0) (.1,0)
         * remain: the positive beats 2 of 3 negatives. */
        for (int i = 0; i < 8; i++)
                vg_preq_add_binary(pq, P[i], Y[i]);
        ck_assert_double_eq_tol(vg_preq_get(pq, VG_PREQ_AUC), 2.0 / 3, 1e-12);
        vg_preq_destroy(pq);
}
END_TEST

START_TEST(test_preq_fading)
{
        vg_preq_t *pq = new_preq(0.5, 0);
        double l1 = -log(0.8), l2 = -log(1 - 0.6);

        vg_preq_add_binary(pq, 0.8, 1);
        vg_preq_add_binary(pq, 0.6, 0);
        ck_assert_double_eq_tol(vg_preq_get(pq, VG_PREQ_LOGLOSS),
                                (0.5 * l1 + l2) / 1.5, 1e-12);
        ck_assert_double_eq_tol(vg_preq_get(pq, VG_PREQ_ACCURACY), 0.5 / 1.5,
                                1e-12);
        ck_assert(isnan(vg_preq_get(pq, VG_PREQ_AUC))); /* disabled */
        /* Garbage is ignored. */
        vg_preq_add_binary(pq, NAN, 1);
        vg_preq_add_binary(pq, 0.5, 2);
        ck_assert_double_eq(vg_preq_get(pq, VG_PREQ_N), 2);
        vg_preq_destroy(pq);
}
END_TEST

START_TEST(test_preq_multiclass)
{
        vg_preq_t *pq = new_preq(1.0, 10);

        vg_preq_add_multi(pq, 0.5, 0);
        vg_preq_add_multi(pq, 0.25, 2);
        vg_preq_add_multi(pq, 0.0, -1);
        vg_preq_add_multi(pq, 0.125, 3);
        ck_assert_double_eq_tol(vg_preq_get(pq, VG_PREQ_TOP1), 0.25, 1e-12);
        ck_assert_double_eq_tol(vg_preq_get(pq, VG_PREQ_TOP3), 0.5, 1e-12);
        ck_assert_double_eq_tol(vg_preq_get(pq, VG_PREQ_ACCURACY), 0.25, 1e-12);
        ck_assert_double_eq_tol(vg_preq_get(pq, VG_PREQ_LOGLOSS),
                                (log(2) + log(4) - log(1e-15) + log(8)) / 4,
                                1e-9);
        ck_assert(isnan(vg_preq_get(pq, VG_PREQ_PRECISION)));
        ck_assert(isnan(vg_preq_get(pq, VG_PREQ_AUC)));
        vg_preq_destroy(pq);
}
END_TEST

START_TEST(test_preq_snapshot)
{
        vg_preq_t *pq = new_preq(0.99, 5), *q2;
        char err[256], a[512], b[512];
        size_t len;
        void *buf;

        for (int i = 0; i < 8; i++)
                vg_preq_add_binary(pq, P[i], Y[i]);
        buf = vg_preq_save(pq, &len);
        q2  = vg_preq_load(buf, len, err, sizeof(err));
        ck_assert_msg(q2 != NULL, "%s", err);
        for (int m = 0; m < VG_PREQ__CNT; m++) {
                double x = vg_preq_get(pq, m), y = vg_preq_get(q2, m);
                ck_assert(memcmp(&x, &y, sizeof(x)) == 0);
        }
        vg_preq_add_binary(pq, 0.55, 1);
        vg_preq_add_binary(q2, 0.55, 1);
        vg_preq_format(pq, a, sizeof(a));
        vg_preq_format(q2, b, sizeof(b));
        ck_assert_str_eq(a, b);
        ck_assert_ptr_null(vg_preq_load(buf, len - 1, err, sizeof(err)));
        vg_free(buf);
        vg_preq_destroy(q2);
        vg_preq_destroy(pq);
}
END_TEST

START_TEST(test_preq_conf)
{
        vg_preq_conf_t c;
        char err[128] = "";

        vg_preq_conf_init(&c);
        c.fading = 0;
        ck_assert_ptr_null(vg_preq_new(&c, err, sizeof(err)));
        ck_assert_ptr_nonnull(strstr(err, "fading"));
        vg_preq_destroy(NULL);
}
END_TEST

static Suite *preq_suite(void)
{
        Suite *s  = suite_create("preq");
        TCase *tc = tcase_create("Core");

        tcase_add_test(tc, test_preq_binary_by_hand);
        tcase_add_test(tc, test_preq_auc_ties_and_window);
        tcase_add_test(tc, test_preq_fading);
        tcase_add_test(tc, test_preq_multiclass);
        tcase_add_test(tc, test_preq_snapshot);
        tcase_add_test(tc, test_preq_conf);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(preq_suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
