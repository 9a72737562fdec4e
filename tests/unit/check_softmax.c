/**
 * @file check_softmax.c
 * @brief Multiclass softmax: 20 classes learned online, top-k, class
 *        discovery and cap, explanations, prequential top-1/top-3, the
 *        same probabilities as a plain per-(feature, class) FTRL written
 *        here, snapshots (round trip, layout 1 refused).
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vg_mem.h"
#include "vg_snapshot.h"
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

/* ---- a plain reference ----------------------------------------------- */

/* Softmax regression with FTRL-Proximal per (feature, class) coordinate,
 * features keyed by their slot, classes by discovery: what vg_softmax
 * computes when no two features share a row. */
#define REF_F 16 /* features */
#define REF_K 8  /* classes */

typedef struct {
        double alpha, beta, l1, l2;
        int nf, k;
        uint32_t slot[REF_F];
        char label[REF_K][16];
        double z[REF_F][REF_K], n[REF_F][REF_K]; /* n: sqrt(sum g^2) */
        double bz[REF_K], bn[REF_K];
        double p[REF_K];
} ref_t;

static int ref_feature(ref_t *r, uint32_t slot)
{
        for (int f = 0; f < r->nf; f++)
                if (r->slot[f] == slot)
                        return f;
        ck_assert_int_lt(r->nf, REF_F);
        r->slot[r->nf] = slot;
        return r->nf++;
}

static double ref_w(const ref_t *r, double z, double n)
{
        if (fabs(z) <= r->l1)
                return 0;
        return -(z - (z > 0 ? r->l1 : -r->l1)) /
               ((r->beta + n) / r->alpha + r->l2);
}

static double ref_bias_w(const ref_t *r, int c)
{
        return -r->bz[c] / ((r->beta + r->bn[c]) / r->alpha);
}

static void ref_forward(ref_t *r, const vg_features_t *x)
{
        const uint32_t *slots = vg_features_slots(x);
        const double *vals    = vg_features_values(x);
        double mx = -INFINITY, sum = 0;

        for (int c = 0; c < r->k; c++) {
                r->p[c] = ref_bias_w(r, c);
                for (int i = 0; i < vg_features_nnz(x); i++) {
                        int f = ref_feature(r, slots[i]);
                        r->p[c] += ref_w(r, r->z[f][c], r->n[f][c]) * vals[i];
                }
                mx = fmax(mx, r->p[c]);
        }
        for (int c = 0; c < r->k; c++)
                sum += r->p[c] = exp(r->p[c] - mx);
        for (int c = 0; c < r->k; c++)
                r->p[c] /= sum;
}

static void ref_step(double *z, double *n, double w, double g, double alpha)
{
        double n2 = sqrt(*n * *n + g * g);

        *z += g - (n2 - *n) / alpha * w;
        *n = n2;
}

static void ref_learn(ref_t *r, const vg_features_t *x, const char *label)
{
        const uint32_t *slots = vg_features_slots(x);
        const double *vals    = vg_features_values(x);
        double w[REF_F][REF_K], bw[REF_K];
        int y = -1;

        for (int c = 0; c < r->k; c++)
                if (!strcmp(r->label[c], label))
                        y = c;
        if (y < 0) {
                ck_assert_int_lt(r->k, REF_K);
                y = r->k++;
                snprintf(r->label[y], sizeof(r->label[y]), "%s", label);
        }
        ref_forward(r, x);
        for (int i = 0; i < vg_features_nnz(x); i++) {
                int f = ref_feature(r, slots[i]);
                for (int c = 0; c < r->k; c++)
                        w[i][c] = ref_w(r, r->z[f][c], r->n[f][c]);
        }
        for (int c = 0; c < r->k; c++)
                bw[c] = ref_bias_w(r, c);
        for (int i = 0; i < vg_features_nnz(x); i++) {
                int f = ref_feature(r, slots[i]);
                for (int c = 0; c < r->k; c++)
                        ref_step(&r->z[f][c], &r->n[f][c], w[i][c],
                                 (r->p[c] - (c == y)) * vals[i], r->alpha);
        }
        for (int c = 0; c < r->k; c++)
                ref_step(&r->bz[c], &r->bn[c], bw[c], r->p[c] - (c == y),
                         r->alpha);
}

/* Class c in 0..5 (discovered one by one, past the 4 classes of one cache
 * line, so the table widens and folds its rows): 3 of 12 features, two
 * leaning to c, values 1 or numeric of either sign. */
static void ref_event(vg_features_t *x, char *label, size_t size, int i)
{
        int c = i < 6 ? i : (int)(unif() * 6), used = 0;
        char name[32];

        vg_features_clear(x);
        for (int j = 0; j < 3; j++) {
                int f;
                do
                        f = j < 2 && unif() < 0.7 ? (2 * c + j) % 12
                                                  : (int)(unif() * 12);
                while (used & 1 << f);
                used |= 1 << f;
                snprintf(name, sizeof(name), "feat%d", f);
                vg_features_add(x, name, j == 2 ? unif() * 4 - 2 : 1.0);
        }
        snprintf(label, size, "class-%d", c);
}

START_TEST(test_softmax_same_as_reference)
{
        vg_softmax_conf_t c;
        vg_softmax_t *sm;
        vg_features_t *x = vg_features_new(20, 0);
        vg_class_prob_t top[REF_K];
        ref_t *r = vg_calloc(1, sizeof(*r));
        char err[128], label[16];
        double maxdiff = 0;

        vg_softmax_conf_init(&c);
        c.alpha = 0.3;
        c.l1    = 0.05;
        c.l2    = 0.5;
        sm      = vg_softmax_new(&c, err, sizeof(err));
        ck_assert_msg(sm != NULL, "%s", err);
        r->alpha = c.alpha;
        r->beta  = c.beta;
        r->l1    = c.l1;
        r->l2    = c.l2;
        for (int i = 0; i < 3000; i++) {
                int n;
                ref_event(x, label, sizeof(label), i);
                n = vg_softmax_predict(sm, x, top, REF_K);
                ck_assert_int_eq(n, r->k);
                if (r->k > 0)
                        ref_forward(r, x);
                for (int j = 0; j < n; j++) {
                        double d = fabs(top[j].p - r->p[top[j].cls]);
                        ck_assert_str_eq(top[j].label,
                                         r->label[top[j].cls]);
                        ck_assert_msg(d <= 1e-9,
                                      "event %d class %d: %.17g vs %.17g", i,
                                      top[j].cls, top[j].p,
                                      r->p[top[j].cls]);
                        maxdiff = fmax(maxdiff, d);
                }
                ck_assert_int_ge(vg_softmax_learn(sm, x, label), 0);
                ref_learn(r, x, label);
        }
        ck_assert_int_eq(vg_softmax_n_classes(sm), 6);
        ck_assert_int_eq(r->nf, 12);
        /* The model learned something (p of the true class is high). */
        ref_event(x, label, sizeof(label), 2);
        ck_assert_int_eq(vg_softmax_predict(sm, x, top, 1), 1);
        fprintf(stderr, "softmax vs reference: max |dp| %.3g over 3000 "
                        "events, p(class-2 | its features) %.3f\n",
                maxdiff, top[0].p);
        vg_free(r);
        vg_features_destroy(x);
        vg_softmax_destroy(sm);
}
END_TEST

/* ---- snapshots ---------------------------------------------------------- */

static void *save_load(const vg_softmax_t *sm, vg_softmax_t **out)
{
        char err[256];
        size_t len;
        void *buf = vg_softmax_save(sm, &len);

        *out = vg_softmax_load(buf, len, err, sizeof(err));
        ck_assert_msg(*out != NULL, "%s", err);
        return buf;
}

START_TEST(test_softmax_snapshot_round_trip)
{
        vg_softmax_t *a = new_sm(256), *b;
        vg_features_t *x = vg_features_new(20, 0);
        vg_class_prob_t ta[NCLS], tb[NCLS];
        vg_contrib_t ea[3], eb[3];
        char label[32];
        size_t la, lb;
        void *ba, *bb;

        /* No class yet. */
        vg_free(save_load(a, &b));
        ck_assert_int_eq(vg_softmax_n_classes(b), 0);
        vg_features_add(x, "a", 1.0);
        ck_assert_int_eq(vg_softmax_predict(b, x, ta, 3), 0);
        vg_softmax_destroy(b);
        for (int i = 0; i < 3000; i++) {
                make_event(x, label, sizeof(label));
                vg_softmax_learn(a, x, label);
        }
        vg_free(save_load(a, &b));
        ck_assert_int_eq(vg_softmax_n_classes(b), vg_softmax_n_classes(a));
        for (int c = 0; c < vg_softmax_n_classes(a); c++)
                ck_assert_str_eq(vg_softmax_label(a, c),
                                 vg_softmax_label(b, c));
        /* The same bits, event after event, learning on both. */
        for (int i = 0; i < 1000; i++) {
                int na, nb;
                make_event(x, label, sizeof(label));
                na = vg_softmax_predict(a, x, ta, NCLS);
                nb = vg_softmax_predict(b, x, tb, NCLS);
                ck_assert_int_eq(na, nb);
                for (int j = 0; j < na; j++) {
                        ck_assert_int_eq(ta[j].cls, tb[j].cls);
                        ck_assert(memcmp(&ta[j].p, &tb[j].p,
                                         sizeof(double)) == 0);
                }
                na = vg_softmax_explain(a, x, ta[0].cls, ea, 3);
                nb = vg_softmax_explain(b, x, tb[0].cls, eb, 3);
                ck_assert_int_eq(na, nb);
                for (int j = 0; j < na; j++) {
                        ck_assert_str_eq(ea[j].name, eb[j].name);
                        ck_assert(ea[j].contrib == eb[j].contrib);
                }
                ck_assert_int_eq(vg_softmax_learn(a, x, label),
                                 vg_softmax_learn(b, x, label));
        }
        ba = vg_softmax_save(a, &la);
        bb = vg_softmax_save(b, &lb);
        ck_assert_uint_eq(la, lb);
        ck_assert_int_eq(memcmp(ba, bb, la), 0);
        vg_free(ba);
        vg_free(bb);
        vg_softmax_destroy(a);
        vg_softmax_destroy(b);
        vg_features_destroy(x);
}
END_TEST

START_TEST(test_softmax_snapshot_old_layout)
{
        vg_snap_writer_t *sw;
        char err[256];
        size_t len;
        void *buf;

        /* Layout 1 began with the conf, alpha first. */
        sw = vg_snap_writer_new(VG_SNAP_KIND_SOFTMAX);
        vg_snap_put_f64(sw, 0.1);
        vg_snap_put_f64(sw, 1.0);
        vg_snap_put_f64(sw, 0.5);
        vg_snap_put_f64(sw, 1.0);
        vg_snap_put_u32(sw, 20);
        vg_snap_put_u32(sw, 256);
        vg_snap_put_u64(sw, 0);
        vg_snap_put_u64(sw, 0);
        vg_snap_put_u32(sw, 0);
        vg_snap_put_u64(sw, 0);
        buf = vg_snap_writer_finish(sw, &len);
        err[0] = '\0';
        ck_assert_ptr_null(vg_softmax_load(buf, len, err, sizeof(err)));
        ck_assert_msg(strstr(err, "layout 1") != NULL, "%s", err);
        vg_free(buf);
        /* An unknown layout. */
        sw = vg_snap_writer_new(VG_SNAP_KIND_SOFTMAX);
        vg_snap_put_u64(sw, UINT64_C(0x7ff8534d58000003));
        buf = vg_snap_writer_finish(sw, &len);
        err[0] = '\0';
        ck_assert_ptr_null(vg_softmax_load(buf, len, err, sizeof(err)));
        ck_assert_msg(strstr(err, "unknown snapshot layout") != NULL, "%s",
                      err);
        vg_free(buf);
}
END_TEST

START_TEST(test_softmax_bad_conf)
{
        vg_softmax_conf_t c;
        vg_softmax_t *sm;
        char err[128];

        /* The table must hold 16 rows of max_classes (rounded up to a
         * power of 2). */
        vg_softmax_conf_init(&c);
        c.hash_bits   = 8;
        c.max_classes = 17;
        ck_assert_ptr_null(vg_softmax_new(&c, err, sizeof(err)));
        ck_assert_ptr_nonnull(strstr(err, "max_classes"));
        c.max_classes = 16;
        sm            = vg_softmax_new(&c, err, sizeof(err));
        ck_assert_msg(sm != NULL, "%s", err);
        vg_softmax_destroy(sm);
        c.l1 = -1;
        ck_assert_ptr_null(vg_softmax_new(&c, err, sizeof(err)));
}
END_TEST

static Suite *softmax_suite(void)
{
        Suite *s  = suite_create("softmax");
        TCase *tc = tcase_create("Core");

        tcase_add_test(tc, test_softmax_20_classes);
        tcase_add_test(tc, test_softmax_discovery_and_cap);
        tcase_add_test(tc, test_softmax_explain);
        tcase_add_test(tc, test_softmax_same_as_reference);
        tcase_set_timeout(tc, 60);
        suite_add_tcase(s, tc);
        tc = tcase_create("Snapshot");
        tcase_add_test(tc, test_softmax_snapshot_round_trip);
        tcase_add_test(tc, test_softmax_snapshot_old_layout);
        tcase_set_timeout(tc, 60);
        suite_add_tcase(s, tc);
        tc = tcase_create("Limits");
        tcase_add_test(tc, test_softmax_bad_inputs);
        tcase_add_test(tc, test_softmax_bad_conf);
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
