/**
 * @file check_ftrl.c
 * @brief FTRL-Proximal: offline reference, separability, robustness,
 *        explanations, class weight.
 */
#include <check.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vg_ftrl.h"
#include "vg_hash.h"
#include "vg_mem.h"

/* ---- reference dataset ------------------------------------------------- */

typedef struct {
        char group[8], prio[8], cat[8];
        double reopen, age;
        int y;
} ref_row_t;

static ref_row_t *ref_rows;
static int ref_n;

static const char *data_path(const char *name, char *buf, size_t size)
{
        const char *dir = getenv("VG_TEST_DATA");
        snprintf(buf, size, "%s/%s", dir ? dir : "tests/data", name);
        return buf;
}

static int load_reference_csv(void)
{
        char path[512], line[256];
        FILE *fp = fopen(data_path("ftrl_reference.csv", path, sizeof(path)),
                         "r");
        int cap = 20000;

        if (!fp)
                return -1;
        ref_rows = vg_calloc(cap, sizeof(*ref_rows));
        ref_n    = 0;
        if (!fgets(line, sizeof(line), fp)) /* header */
                return -1;
        while (fgets(line, sizeof(line), fp) && ref_n < cap) {
                ref_row_t *r = &ref_rows[ref_n];
                if (sscanf(line, "%7[^,],%7[^,],%7[^,],%lf,%lf,%d", r->group,
                           r->prio, r->cat, &r->reopen, &r->age, &r->y) != 6)
                        return -1;
                ref_n++;
        }
        fclose(fp);
        return 0;
}

/* @returns the figure \p key of ftrl_reference.txt, or NAN. */
static double reference_figure(const char *key)
{
        char path[512], line[256];
        FILE *fp = fopen(data_path("ftrl_reference.txt", path, sizeof(path)),
                         "r");
        double v = NAN;
        size_t kl = strlen(key);

        if (!fp)
                return NAN;
        while (fgets(line, sizeof(line), fp))
                if (!strncmp(line, key, kl) && line[kl] == '=')
                        v = atof(line + kl + 1);
        fclose(fp);
        return v;
}

static void ref_features(vg_features_t *x, const ref_row_t *r)
{
        vg_features_clear(x);
        vg_features_add_kv(x, "group", r->group, 1.0);
        vg_features_add_kv(x, "priority", r->prio, 1.0);
        vg_features_add_kv(x, "category", r->cat, 1.0);
        vg_features_set_dense(x, 0, r->reopen);
        vg_features_set_dense(x, 1, r->age);
}

static double logloss(double p, int y)
{
        p = p < 1e-15 ? 1e-15 : p > 1 - 1e-15 ? 1 - 1e-15 : p;
        return y ? -log(p) : -log(1 - p);
}

START_TEST(test_ftrl_reference_logloss)
{
        const int n_train = 15000, passes = 3;
        double ref_ho = reference_figure("heldout_logloss");
        double ref_tr = reference_figure("train_logloss");
        double ll_last = 0, ll_ho = 0;
        vg_ftrl_conf_t conf;
        vg_features_t *x;
        vg_ftrl_t *m;
        char err[128];

        ck_assert_msg(load_reference_csv() == 0, "cannot read dataset");
        ck_assert_int_eq(ref_n, 20000);
        ck_assert(isfinite(ref_ho) && isfinite(ref_tr));

        vg_ftrl_conf_init(&conf);
        conf.alpha   = 0.15;
        conf.beta    = 1.0;
        conf.l1      = 0.1;
        conf.l2      = 1.0;
        conf.n_dense = 2;
        m            = vg_ftrl_new(&conf, err, sizeof(err));
        ck_assert_msg(m != NULL, "%s", err);
        x = vg_features_new(conf.hash_bits, 2);

        /* Progressive (test-then-train) passes over the training part. */
        for (int pass = 0; pass < passes; pass++) {
                double ll = 0;
                for (int i = 0; i < n_train; i++) {
                        ref_features(x, &ref_rows[i]);
                        ll += logloss(vg_ftrl_predict(m, x), ref_rows[i].y);
                        vg_ftrl_learn(m, x, ref_rows[i].y);
                }
                ll_last = ll / n_train;
        }
        /* Held-out part, predict only. */
        for (int i = n_train; i < ref_n; i++) {
                ref_features(x, &ref_rows[i]);
                ll_ho += logloss(vg_ftrl_predict(m, x), ref_rows[i].y);
        }
        ll_ho /= ref_n - n_train;
        fprintf(stderr,
                "ftrl reference: progressive pass %d logloss %.6f (IRLS train "
                "%.6f), held-out %.6f (IRLS %.6f)\n",
                passes, ll_last, ref_tr, ll_ho, ref_ho);
        /* Stated tolerance: within 0.005 nats (~1%) of the batch optimum. */
        ck_assert_double_le(ll_ho, ref_ho + 0.005);
        ck_assert_double_le(ll_last, ref_tr + 0.01);
        /* And far better than the constant model. */
        ck_assert_double_lt(ll_ho,
                            reference_figure("heldout_constant_logloss") - 0.1);
        vg_features_destroy(x);
        vg_ftrl_destroy(m);
        vg_free(ref_rows);
}
END_TEST

/* ---- synthetic helpers ------------------------------------------------- */

static uint64_t rng = 42;

static double unif(void)
{
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        return (double)(rng >> 11) * (1.0 / 9007199254740992.0);
}

static vg_ftrl_t *new_model(int n_dense, double pos_weight)
{
        vg_ftrl_conf_t conf;
        char err[128];
        vg_ftrl_t *m;

        vg_ftrl_conf_init(&conf);
        conf.alpha      = 0.5;
        conf.l1         = 0.0;
        conf.n_dense    = n_dense;
        conf.pos_weight = pos_weight;
        m               = vg_ftrl_new(&conf, err, sizeof(err));
        ck_assert_msg(m != NULL, "%s", err);
        return m;
}

/* Separable: y = 1 iff the event carries one of 10 "bad" tokens among 50. */
static int separable_event(vg_features_t *x)
{
        char name[32];
        int tok = (int)(unif() * 50), y = tok < 10;

        vg_features_clear(x);
        snprintf(name, sizeof(name), "ci=srv%02d", tok);
        vg_features_add(x, name, 1.0);
        snprintf(name, sizeof(name), "noise=%d", (int)(unif() * 100));
        vg_features_add(x, name, 1.0);
        return y;
}

START_TEST(test_ftrl_separable)
{
        vg_ftrl_t *m      = new_model(0, 1.0);
        vg_features_t *x  = vg_features_new(18, 0);
        int correct = 0, n = 2000;

        for (int i = 0; i < 5000; i++) {
                int y = separable_event(x);
                vg_ftrl_predict(m, x);
                vg_ftrl_learn(m, x, y);
        }
        for (int i = 0; i < n; i++) {
                int y = separable_event(x);
                correct += (vg_ftrl_predict(m, x) >= 0.5) == y;
        }
        ck_assert_msg(correct > 0.99 * n, "accuracy %d/%d", correct, n);
        /* The model's own prequential figures moved too. */
        ck_assert_double_gt(vg_preq_get(vg_ftrl_preq(m), VG_PREQ_ACCURACY),
                            0.95);
        ck_assert_double_gt(vg_preq_get(vg_ftrl_preq(m), VG_PREQ_AUC), 0.99);
        ck_assert_int_eq(vg_ftrl_n_learned(m), 5000);
        vg_features_destroy(x);
        vg_ftrl_destroy(m);
}
END_TEST

START_TEST(test_ftrl_learn_reuses_predict)
{
        vg_ftrl_t *a = new_model(1, 1.0), *b = new_model(1, 1.0);
        vg_features_t *x = vg_features_new(18, 1);

        for (int i = 0; i < 500; i++) {
                int y = separable_event(x);
                vg_features_set_dense(x, 0, unif());
                vg_ftrl_predict(a, x); /* a: predict then learn */
                vg_ftrl_learn(a, x, y);
                vg_ftrl_learn(b, x, y); /* b: learn only */
        }
        for (int i = 0; i < 50; i++) {
                separable_event(x);
                ck_assert(vg_ftrl_predict(a, x) == vg_ftrl_predict(b, x));
        }
        vg_features_destroy(x);
        vg_ftrl_destroy(a);
        vg_ftrl_destroy(b);
}
END_TEST

START_TEST(test_ftrl_bad_inputs)
{
        vg_ftrl_t *a = new_model(2, 1.0), *b = new_model(2, 1.0);
        vg_features_t *xa = vg_features_new(18, 2), *xb = vg_features_new(18, 2);
        double p;

        /* NaN and inf values are dropped: a sees them, b does not, and both
         * models stay bit-identical. */
        for (int i = 0; i < 300; i++) {
                int y = separable_event(xb);
                vg_features_clear(xa);
                for (int j = 0; j < vg_features_nnz(xb); j++)
                        vg_features_add(xa, vg_features_name(xb, j), 1.0);
                vg_features_add(xa, "bad=nan", NAN);
                vg_features_add(xa, "bad=inf", INFINITY);
                vg_features_add(xa, "bad=-inf", -INFINITY);
                vg_features_set_dense(xa, 0, NAN);
                vg_features_set_dense(xa, 1, INFINITY);
                ck_assert_int_eq(vg_features_dropped(xa), 5);
                ck_assert_int_eq(vg_features_nnz(xa), vg_features_nnz(xb));
                vg_ftrl_learn(a, xa, y);
                vg_ftrl_learn(b, xb, y);
                ck_assert(vg_ftrl_predict(a, xa) == vg_ftrl_predict(b, xb));
        }
        /* Huge values are clipped: predictions stay finite probabilities. */
        for (int i = 0; i < 300; i++) {
                vg_features_clear(xa);
                vg_features_add(xa, "huge", i % 2 ? 1e300 : -1e308);
                vg_features_set_dense(xa, 0, 1e300);
                vg_features_set_dense(xa, 1, -DBL_MAX);
                p = vg_ftrl_predict(a, xa);
                ck_assert(isfinite(p) && p >= 0.0 && p <= 1.0);
                vg_ftrl_learn(a, xa, i % 3 == 0);
                /* Invalid labels are ignored. */
                vg_ftrl_learn(a, xa, 7);
        }
        /* And the model still works on clean data afterwards. */
        for (int i = 0; i < 300; i++) {
                separable_event(xb);
                p = vg_ftrl_predict(a, xb);
                ck_assert(isfinite(p) && p >= 0.0 && p <= 1.0);
        }
        ck_assert_int_eq(vg_ftrl_n_learned(a), 600);
        vg_features_destroy(xa);
        vg_features_destroy(xb);
        vg_ftrl_destroy(a);
        vg_ftrl_destroy(b);
}
END_TEST

START_TEST(test_ftrl_explain)
{
        vg_ftrl_t *m     = new_model(1, 1.0);
        vg_features_t *x = vg_features_new(18, 1);
        vg_contrib_t top[4];
        int n;

        vg_ftrl_set_dense_name(m, 0, "reopen_count");
        for (int i = 0; i < 3000; i++) {
                int dba = unif() < 0.3, y = dba ? unif() < 0.9 : unif() < 0.1;
                vg_features_clear(x);
                vg_features_add_kv(x, "assignment_group",
                                   dba ? "DBA Oracle" : "Service Desk", 1.0);
                vg_features_add_kv(x, "noise", unif() < 0.5 ? "a" : "b", 1.0);
                vg_features_set_dense(x, 0, 0.0);
                vg_ftrl_learn(m, x, y);
        }
        vg_features_clear(x);
        vg_features_add_kv(x, "assignment_group", "DBA Oracle", 1.0);
        vg_features_add_kv(x, "noise", "a", 1.0);
        n = vg_ftrl_explain(m, x, top, 4);
        ck_assert_int_ge(n, 2);
        ck_assert_str_eq(top[0].name, "assignment_group=DBA Oracle");
        ck_assert_double_gt(top[0].contrib, 0.5);
        for (int i = 1; i < n; i++)
                ck_assert(fabs(top[i - 1].contrib) >= fabs(top[i].contrib));

        /* Unnamed hashed feature: the name comes from the dictionary. */
        vg_features_clear(x);
        vg_features_add_hashed(x, vg_hash64_str("assignment_group=Service Desk",
                                                0),
                               1.0, NULL);
        n = vg_ftrl_explain(m, x, top, 2);
        ck_assert_int_ge(n, 1);
        ck_assert_str_eq(top[0].name, "assignment_group=Service Desk");
        ck_assert_double_lt(top[0].contrib, -0.5);
        vg_features_destroy(x);
        vg_ftrl_destroy(m);
}
END_TEST

START_TEST(test_ftrl_pos_weight)
{
        vg_ftrl_t *a = new_model(0, 1.0), *b = new_model(0, 5.0);
        vg_features_t *x = vg_features_new(18, 0);
        double pa, pb;

        /* 10% positives, no signal: the weighted model predicts ~5/14. */
        for (int i = 0; i < 4000; i++) {
                int y = unif() < 0.1;
                vg_features_clear(x);
                vg_features_add(x, "const", 1.0);
                vg_ftrl_learn(a, x, y);
                vg_ftrl_learn(b, x, y);
        }
        pa = vg_ftrl_predict(a, x);
        pb = vg_ftrl_predict(b, x);
        ck_assert_double_lt(fabs(pa - 0.1), 0.05);
        ck_assert_double_lt(fabs(pb - 5.0 / 14.0), 0.07);
        vg_features_destroy(x);
        vg_ftrl_destroy(a);
        vg_ftrl_destroy(b);
}
END_TEST

START_TEST(test_ftrl_conf)
{
        vg_ftrl_conf_t conf;
        char err[128] = "";

        vg_ftrl_conf_init(&conf);
        conf.alpha = 0;
        ck_assert_ptr_null(vg_ftrl_new(&conf, err, sizeof(err)));
        ck_assert_ptr_nonnull(strstr(err, "alpha"));
        vg_ftrl_conf_init(&conf);
        conf.hash_bits = 40;
        ck_assert_ptr_null(vg_ftrl_new(&conf, err, sizeof(err)));
        ck_assert_ptr_nonnull(strstr(err, "hash_bits"));
        ck_assert_ptr_null(vg_features_new(2, 0));
        vg_ftrl_destroy(NULL);
        vg_features_destroy(NULL);
        vg_featdict_destroy(NULL);
}
END_TEST

static Suite *ftrl_suite(void)
{
        Suite *s = suite_create("ftrl");
        TCase *tc = tcase_create("Core");

        tcase_add_test(tc, test_ftrl_reference_logloss);
        tcase_add_test(tc, test_ftrl_separable);
        tcase_add_test(tc, test_ftrl_learn_reuses_predict);
        tcase_add_test(tc, test_ftrl_explain);
        tcase_add_test(tc, test_ftrl_pos_weight);
        tcase_set_timeout(tc, 60);
        suite_add_tcase(s, tc);
        tc = tcase_create("Limits");
        tcase_add_test(tc, test_ftrl_bad_inputs);
        tcase_add_test(tc, test_ftrl_conf);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(ftrl_suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
