/**
 * @file check_softmax.c
 * @brief Multiclass softmax: 20 classes learned online, top-k, class
 *        discovery and cap, explanations, prequential top-1/top-3.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vg_softmax.h"

static uint64_t rng = 99;

static double unif(void)
{
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        return (double)(rng >> 11) * (1.0 / 9007199254740992.0);
}

#define NCLS 20

/* Class c: 3 of its 5 signature tokens (each one, with 10% chance,
 * swapped for a token of a random class) plus 3 noise tokens. */
static int make_event(vg_features_t *x, char *label, size_t size)
{
        int c = (int)(unif() * NCLS);
        char name[48];

        vg_features_clear(x);
        for (int i = 0; i < 3; i++) {
                int cc = unif() < 0.1 ? (int)(unif() * NCLS) : c;
                snprintf(name, sizeof(name), "word=c%02d_%d", cc,
                         (int)(unif() * 5));
                vg_features_add(x, name, 1.0);
        }
        for (int i = 0; i < 3; i++) {
                snprintf(name, sizeof(name), "noise=%d", (int)(unif() * 500));
                vg_features_add(x, name, 1.0);
        }
        snprintf(label, size, "group-%02d", c);
        return c;
}

static vg_softmax_t *new_sm(int max_classes)
{
        vg_softmax_conf_t c;
        char err[128];
        vg_softmax_t *sm;

        vg_softmax_conf_init(&c);
        c.alpha       = 0.3;
        c.l1          = 0.1;
        c.max_classes = max_classes;
        sm            = vg_softmax_new(&c, err, sizeof(err));
        ck_assert_msg(sm != NULL, "%s", err);
        return sm;
}

START_TEST(test_softmax_20_classes)
{
        vg_softmax_t *sm = new_sm(256);
        vg_features_t *x = vg_features_new(20, 0);
        vg_class_prob_t top[3];
        char label[32];
        int top1 = 0, top3 = 0, n = 2000;
        double psum;

        for (int i = 0; i < 20000; i++) {
                make_event(x, label, sizeof(label));
                vg_softmax_predict(sm, x, top, 3);
                ck_assert_int_ge(vg_softmax_learn(sm, x, label), 0);
        }
        ck_assert_int_eq(vg_softmax_n_classes(sm), NCLS);
        for (int i = 0; i < n; i++) {
                make_event(x, label, sizeof(label));
                ck_assert_int_eq(vg_softmax_predict(sm, x, top, 3), 3);
                ck_assert(top[0].p >= top[1].p && top[1].p >= top[2].p);
                top1 += !strcmp(top[0].label, label);
                for (int j = 0; j < 3; j++)
                        top3 += !strcmp(top[j].label, label);
        }
        /* Bayes top-1 is about 0.97 (2 of 3 words swapped: ~3%). */
        fprintf(stderr, "softmax 20 classes: top-1 %.3f top-3 %.3f, "
                        "prequential top-1 %.3f top-3 %.3f\n",
                (double)top1 / n, (double)top3 / n,
                vg_preq_get(vg_softmax_preq(sm), VG_PREQ_TOP1),
                vg_preq_get(vg_softmax_preq(sm), VG_PREQ_TOP3));
        ck_assert_double_gt((double)top1 / n, 0.95);
        ck_assert_double_gt((double)top3 / n, 0.99);
        ck_assert_double_gt(vg_preq_get(vg_softmax_preq(sm), VG_PREQ_TOP3),
                            vg_preq_get(vg_softmax_preq(sm), VG_PREQ_TOP1));
        ck_assert_double_gt(vg_preq_get(vg_softmax_preq(sm), VG_PREQ_TOP1),
                            0.85);
        /* Probabilities of all classes sum to 1. */
        vg_class_prob_t all[NCLS];
        ck_assert_int_eq(vg_softmax_predict(sm, x, all, NCLS), NCLS);
        psum = 0;
        for (int j = 0; j < NCLS; j++)
                psum += all[j].p;
        ck_assert_double_eq_tol(psum, 1.0, 1e-9);
        vg_features_destroy(x);
        vg_softmax_destroy(sm);
}
END_TEST

START_TEST(test_softmax_discovery_and_cap)
{
        vg_softmax_t *sm = new_sm(3);
        vg_features_t *x = vg_features_new(20, 0);
        vg_class_prob_t top[4];

        vg_features_add(x, "a", 1.0);
        ck_assert_int_eq(vg_softmax_predict(sm, x, top, 4), 0);
        ck_assert_int_eq(vg_softmax_learn(sm, x, "DBA"), 0);
        ck_assert_int_eq(vg_softmax_learn(sm, x, "Network"), 1);
        ck_assert_int_eq(vg_softmax_learn(sm, x, "DBA"), 0);
        /* An unseen label becomes a new class... */
        ck_assert_int_eq(vg_softmax_class(sm, "Unix"), -1);
        ck_assert_int_eq(vg_softmax_learn(sm, x, "Unix"), 2);
        ck_assert_int_eq(vg_softmax_class(sm, "Unix"), 2);
        ck_assert_str_eq(vg_softmax_label(sm, 2), "Unix");
        ck_assert_int_eq(vg_softmax_predict(sm, x, top, 4), 3);
        /* ...until the cap. */
        ck_assert_int_eq(vg_softmax_learn(sm, x, "Windows"), -1);
        ck_assert_int_eq(vg_softmax_n_classes(sm), 3);
        ck_assert_int_eq(vg_softmax_n_refused(sm), 1);
        /* Unseen labels count as top-3 misses: 3 misses of 5 events. */
        ck_assert_double_eq(vg_preq_get(vg_softmax_preq(sm), VG_PREQ_N), 5);
        ck_assert_double_lt(vg_preq_get(vg_softmax_preq(sm), VG_PREQ_TOP3),
                            0.5);
        vg_features_destroy(x);
        vg_softmax_destroy(sm);
        vg_softmax_destroy(NULL);
}
END_TEST

START_TEST(test_softmax_explain)
{
        vg_softmax_t *sm = new_sm(256);
        vg_features_t *x = vg_features_new(20, 0);
        vg_class_prob_t top[1];
        vg_contrib_t why[3];
        char label[32];
        int n;

        for (int i = 0; i < 10000; i++) {
                make_event(x, label, sizeof(label));
                vg_softmax_learn(sm, x, label);
        }
        vg_features_clear(x);
        vg_features_add(x, "word=c07_3", 1.0);
        vg_features_add(x, "noise=17", 1.0);
        ck_assert_int_eq(vg_softmax_predict(sm, x, top, 1), 1);
        ck_assert_str_eq(top[0].label, "group-07");
        n = vg_softmax_explain(sm, x, top[0].cls, why, 3);
        ck_assert_int_ge(n, 1);
        ck_assert_str_eq(why[0].name, "word=c07_3");
        ck_assert_double_gt(why[0].contrib, 0);
        vg_features_destroy(x);
        vg_softmax_destroy(sm);
}
END_TEST

START_TEST(test_softmax_bad_inputs)
{
        vg_softmax_t *sm = new_sm(8);
        vg_features_t *x = vg_features_new(20, 0);
        vg_class_prob_t top[2];

        for (int i = 0; i < 200; i++) {
                vg_features_clear(x);
                vg_features_add(x, "v", i % 2 ? 1e300 : -INFINITY);
                vg_features_add(x, "w", NAN);
                vg_softmax_learn(sm, x, i % 3 ? "a" : "b");
        }
        ck_assert_int_eq(vg_softmax_predict(sm, x, top, 2), 2);
        ck_assert(isfinite(top[0].p) && isfinite(top[1].p));
        ck_assert_double_eq_tol(top[0].p + top[1].p, 1.0, 1e-9);
        vg_features_destroy(x);
        vg_softmax_destroy(sm);
}
END_TEST

static Suite *softmax_suite(void)
{
        Suite *s  = suite_create("softmax");
        TCase *tc = tcase_create("Core");

        tcase_add_test(tc, test_softmax_20_classes);
        tcase_add_test(tc, test_softmax_discovery_and_cap);
        tcase_add_test(tc, test_softmax_explain);
        tcase_set_timeout(tc, 60);
        suite_add_tcase(s, tc);
        tc = tcase_create("Limits");
        tcase_add_test(tc, test_softmax_bad_inputs);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(softmax_suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
