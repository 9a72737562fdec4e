/**
 * @file check_kmeans.c
 * @brief Streaming k-means: planted clusters (ARI), drift under decay,
 *        radius-opened clusters with stable ids, cosine mode, reservoirs.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vg_kmeans.h"
#include "vg_mem.h"

static uint64_t rng = 7;

static double unif(void)
{
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        return (double)(rng >> 11) * (1.0 / 9007199254740992.0);
}

static double gauss(void)
{
        double u = unif(), v = unif();
        return sqrt(-2.0 * log(1.0 - u)) * cos(2 * M_PI * v);
}

/* Adjusted Rand index (Hubert & Arabie 1985) of two labelings of n items.
 * Labels are small non-negative integers < 256. */
static double choose2(double n)
{
        return n * (n - 1) / 2;
}

static double ari(const int *a, const int *b, int n)
{
        static double tab[256][256];
        double ra[256] = {0}, rb[256] = {0}, idx = 0, sa = 0, sb = 0, exp_, mx;

        memset(tab, 0, sizeof(tab));
        for (int i = 0; i < n; i++) {
                tab[a[i]][b[i]]++;
                ra[a[i]]++;
                rb[b[i]]++;
        }
        for (int i = 0; i < 256; i++) {
                for (int j = 0; j < 256; j++)
                        idx += choose2(tab[i][j]);
                sa += choose2(ra[i]);
                sb += choose2(rb[i]);
        }
        exp_ = sa * sb / choose2(n);
        mx   = (sa + sb) / 2;
        return mx == exp_ ? 1.0 : (idx - exp_) / (mx - exp_);
}

START_TEST(test_ari_sanity)
{
        int a[6] = {0, 0, 1, 1, 2, 2}, b[6] = {5, 5, 3, 3, 9, 9};
        int c[6] = {0, 1, 0, 1, 0, 1};
        ck_assert_double_eq_tol(ari(a, b, 6), 1.0, 1e-12);
        /* By hand: index 0, expected 3*6/15 = 1.2, max 4.5: -1.2/3.3 */
        ck_assert_double_eq_tol(ari(a, c, 6), -4.0 / 11.0, 1e-12);
}
END_TEST

static vg_kmeans_t *new_km(int dim, vg_dist_t dist, double radius,
                           double half_life, int k_max)
{
        vg_kmeans_conf_t c;
        char err[128];
        vg_kmeans_t *km;

        vg_kmeans_conf_init(&c);
        c.dim       = dim;
        c.dist      = dist;
        c.radius    = radius;
        c.half_life = half_life;
        c.k_max     = k_max;
        km          = vg_kmeans_new(&c, err, sizeof(err));
        ck_assert_msg(km != NULL, "%s", err);
        return km;
}

#define PD 16
#define PK 6

START_TEST(test_kmeans_planted)
{
        static double centers[PK][PD], X[100 * PD];
        int truth[2000], got[2000], n_eval = 2000;
        /* Noise radius ~ sqrt(16) = 4 around a centre, ~5.7 between two
         * points; centres ~45 apart: a radius of 10 separates them. */
        vg_kmeans_t *km = new_km(PD, VG_DIST_EUCLIDEAN, 10.0, 0, 64);

        for (int c = 0; c < PK; c++)
                for (int d = 0; d < PD; d++)
                        centers[c][d] = 8.0 * gauss();
        /* 50 batches of 100 points, then evaluate on fresh points. */
        for (int b = 0; b < 50; b++) {
                for (int i = 0; i < 100; i++) {
                        int c = (int)(unif() * PK);
                        for (int d = 0; d < PD; d++)
                                X[i * PD + d] = centers[c][d] + gauss();
                }
                vg_kmeans_update_batch(km, X, 100, NULL, NULL);
        }
        for (int i = 0; i < n_eval; i++) {
                double x[PD], dist;
                int64_t id;
                truth[i] = (int)(unif() * PK);
                for (int d = 0; d < PD; d++)
                        x[d] = centers[truth[i]][d] + gauss();
                id = vg_kmeans_assign(km, x, &dist);
                ck_assert_int_ge(id, 1);
                ck_assert_int_lt(id, 256);
                got[i] = (int)id;
        }
        fprintf(stderr, "kmeans planted: k=%d ARI=%.4f\n", vg_kmeans_k(km),
                ari(truth, got, n_eval));
        ck_assert_double_ge(ari(truth, got, n_eval), 0.95);
        ck_assert_int_le(vg_kmeans_k(km), PK + 2);
        vg_kmeans_destroy(km);
}
END_TEST

/* One cluster whose true centre moves along axis 0 by 0.2 per batch. */
static double track(double half_life)
{
        vg_kmeans_t *km = new_km(4, VG_DIST_EUCLIDEAN, 1e9, half_life, 4);
        double X[50 * 4], err;

        for (int b = 0; b < 100; b++) {
                for (int i = 0; i < 50; i++)
                        for (int d = 0; d < 4; d++)
                                X[i * 4 + d] = (d == 0 ? 0.2 * b : 0.0) +
                                               0.3 * gauss();
                vg_kmeans_update_batch(km, X, 50, NULL, NULL);
        }
        ck_assert_int_eq(vg_kmeans_k(km), 1);
        err = fabs(vg_kmeans_centroid(km, 0)[0] - 0.2 * 99);
        vg_kmeans_destroy(km);
        return err;
}

START_TEST(test_kmeans_follows_drift)
{
        double lag_decay = track(2.0), lag_none = track(0.0);

        fprintf(stderr, "kmeans drift: lag with half-life 2 = %.3f, "
                        "without decay = %.3f\n", lag_decay, lag_none);
        /* The true centre is at 19.8; the undecayed mean sits near 9.9. */
        ck_assert_double_lt(lag_decay, 1.0);
        ck_assert_double_gt(lag_none, 8.0);
}
END_TEST

static void feed(vg_kmeans_t *km, const double *c, int n, int64_t expect_id)
{
        double x[3];

        for (int i = 0; i < n; i++) {
                for (int d = 0; d < 3; d++)
                        x[d] = c[d] + 0.1 * gauss();
                ck_assert_int_eq(vg_kmeans_update(km, x, NULL), expect_id);
        }
}

START_TEST(test_kmeans_radius_and_stable_ids)
{
        vg_kmeans_conf_t c;
        const double A[3] = {0, 0, 0}, B[3] = {10, 0, 0}, C[3] = {0, 10, 0};
        const double D[3] = {0, 0, 10};
        vg_kmeans_t *km;
        char err[128];

        vg_kmeans_conf_init(&c);
        c.dim        = 3;
        c.radius     = 2.0;
        c.decay      = 0.9; /* per point */
        c.time_unit  = VG_KMEANS_UNIT_POINTS;
        c.min_weight = 0.01;
        km           = vg_kmeans_new(&c, err, sizeof(err));
        ck_assert_ptr_nonnull(km);

        feed(km, A, 20, 1);
        feed(km, B, 20, 2); /* B is beyond the radius: a new cluster */
        ck_assert_int_eq(vg_kmeans_k(km), 2);
        feed(km, A, 5, 1);  /* ids unchanged */
        /* Only C for a while: A and B fade below the floor and vanish. */
        feed(km, C, 100, 3);
        ck_assert_int_eq(vg_kmeans_k(km), 1);
        ck_assert_int_eq(vg_kmeans_find(km, 1), -1);
        ck_assert_int_eq(vg_kmeans_find(km, 2), -1);
        ck_assert_int_eq(vg_kmeans_id(km, 0), 3);
        /* A comes back: a new cluster with a new id, never 1 again. */
        feed(km, A, 5, 4);
        feed(km, D, 5, 5);
        ck_assert_int_eq(vg_kmeans_k(km), 3);
        ck_assert_int_ge(vg_kmeans_find(km, 3), 0);
        vg_kmeans_destroy(km);
}
END_TEST

START_TEST(test_kmeans_cap)
{
        vg_kmeans_t *km = new_km(2, VG_DIST_EUCLIDEAN, 0.5, 0, 3);
        double x[2];

        for (int i = 0; i < 10; i++) {
                x[0] = 10.0 * i;
                x[1] = 0;
                vg_kmeans_update(km, x, NULL);
        }
        ck_assert_int_eq(vg_kmeans_k(km), 3);
        /* Ids 1..3 only: the cap absorbed the rest into the nearest. */
        for (int j = 0; j < 3; j++)
                ck_assert_int_le(vg_kmeans_id(km, j), 3);
        vg_kmeans_destroy(km);
}
END_TEST

START_TEST(test_kmeans_cosine)
{
        vg_kmeans_t *km = new_km(8, VG_DIST_COSINE, 0.3, 0, 16);
        double x[8], dist;
        int64_t id1, id2;

        /* Same direction at any scale is one cluster. */
        memset(x, 0, sizeof(x));
        x[0] = 1;
        x[1] = 1;
        id1  = vg_kmeans_update(km, x, NULL);
        x[0] = 50;
        x[1] = 52;
        ck_assert_int_eq(vg_kmeans_update(km, x, &dist), id1);
        ck_assert_double_lt(dist, 0.01);
        /* An orthogonal direction opens another. */
        memset(x, 0, sizeof(x));
        x[5] = 3;
        id2  = vg_kmeans_update(km, x, &dist);
        ck_assert_int_ne(id2, id1);
        /* Centroids stay unit vectors. */
        for (int j = 0; j < vg_kmeans_k(km); j++) {
                const double *c = vg_kmeans_centroid(km, j);
                double s = 0;
                for (int d = 0; d < 8; d++)
                        s += c[d] * c[d];
                ck_assert_double_eq_tol(s, 1.0, 1e-9);
        }
        /* Zero and non-finite vectors are rejected, not learned. */
        memset(x, 0, sizeof(x));
        ck_assert_int_eq(vg_kmeans_update(km, x, NULL), -1);
        x[0] = NAN;
        ck_assert_int_eq(vg_kmeans_update(km, x, NULL), -1);
        x[0] = INFINITY;
        ck_assert_int_eq(vg_kmeans_assign(km, x, NULL), -1);
        ck_assert_int_eq(vg_kmeans_k(km), 2);
        vg_kmeans_destroy(km);
}
END_TEST

START_TEST(test_kmeans_batch_equals_sequential_assignments)
{
        /* Batch and per-event paths agree on assignments of well separated
         * data (the batch uses dgemm, the per-event path dgemv). */
        vg_kmeans_t *a = new_km(PD, VG_DIST_EUCLIDEAN, 6.0, 0, 64);
        vg_kmeans_t *b = new_km(PD, VG_DIST_EUCLIDEAN, 6.0, 0, 64);
        static double X[256 * PD];
        int64_t ids[256];

        for (int i = 0; i < 256; i++)
                for (int d = 0; d < PD; d++)
                        X[i * PD + d] = (i % 4) * 20.0 * (d == i % 4) + gauss() * 0.5;
        vg_kmeans_update_batch(a, X, 256, ids, NULL);
        ck_assert_int_eq(vg_kmeans_k(a), 4);
        for (int i = 0; i < 256; i++)
                ck_assert_int_eq(vg_kmeans_update(b, X + i * PD, NULL), ids[i]);
        for (int i = 0; i < 4; i++)
                ck_assert_double_lt(vg_dist(VG_DIST_EUCLIDEAN,
                                            vg_kmeans_centroid(a, i),
                                            vg_kmeans_centroid(b, i), PD),
                                    1e-9);
        vg_kmeans_destroy(a);
        vg_kmeans_destroy(b);
}
END_TEST

START_TEST(test_kmeans_screened_batch_exact)
{
        /* Batches against existing clusters are screened in single
         * precision with an error bound: the assignments and distances must
         * be those of the double-precision path (vg_kmeans_assign()). Many
         * close clusters, so that ties within the bound do occur. */
        vg_kmeans_t *km;
        static double X[256 * PD], C0[32 * PD];
        int64_t ids[256], want[256];
        double dists[256], wantd[256];

        for (int i = 0; i < 32 * PD; i++)
                C0[i] = gauss();
        /* A tiny radius: the first 32 points open the 32 clusters, then
         * k_max is reached and every later point joins its nearest. */
        km = new_km(PD, VG_DIST_EUCLIDEAN, 1e-6, 0, 32);
        vg_kmeans_update_batch(km, C0, 32, NULL, NULL);
        ck_assert_int_eq(vg_kmeans_k(km), 32);
        for (int round = 0; round < 5; round++) {
                for (int i = 0; i < 256 * PD; i++)
                        X[i] = C0[(i / PD) % 32 * PD + i % PD] * 0.5 +
                               gauss() * 0.7;
                for (int i = 0; i < 256; i++)
                        want[i] = vg_kmeans_assign(km, X + i * PD, &wantd[i]);
                vg_kmeans_update_batch(km, X, 256, ids, dists);
                for (int i = 0; i < 256; i++) {
                        ck_assert_int_eq(ids[i], want[i]);
                        ck_assert_double_eq_tol(dists[i], wantd[i],
                                                1e-9 * (1 + wantd[i]));
                }
        }
        vg_kmeans_destroy(km);
}
END_TEST

START_TEST(test_kmeans_similar_items)
{
        vg_kmeans_conf_t c;
        vg_kmeans_t *km;
        vg_similar_t sim[3];
        char err[128], id[32];
        double x[2];
        int64_t cid;
        int n;

        vg_kmeans_conf_init(&c);
        c.dim           = 2;
        c.radius        = 5.0;
        c.reservoir_cap = 8;
        km              = vg_kmeans_new(&c, err, sizeof(err));
        ck_assert_ptr_nonnull(km);
        for (int i = 0; i < 20; i++) {
                x[0] = i * 0.1;
                x[1] = 0;
                snprintf(id, sizeof(id), "INC%04d", i);
                vg_kmeans_observe(km, id, x, NULL, 1000 + i, NULL);
        }
        x[0] = 100;
        vg_kmeans_observe(km, "CHG0001", x, "failed", 5000, NULL);
        ck_assert_int_eq(vg_kmeans_k(km), 2);
        /* Capacity 8: only INC0012..INC0019 remain in cluster 1. */
        ck_assert_int_eq(vg_reservoir_count(vg_kmeans_reservoir(km, 0)), 8);
        ck_assert_int_eq(vg_kmeans_set_outcome(km, -1, "INC0015", "resolved"),
                         1);
        ck_assert_int_eq(vg_kmeans_set_outcome(km, 1, "INC0001", "x"), 0);
        x[0] = 1.52;
        n    = vg_kmeans_similar(km, x, 3, sim, &cid);
        ck_assert_int_eq(cid, 1);
        ck_assert_int_eq(n, 3);
        ck_assert_str_eq(sim[0].id, "INC0015");
        ck_assert_str_eq(sim[0].outcome, "resolved");
        ck_assert_int_eq(sim[0].ts_ms, 1015);
        ck_assert_double_eq_tol(sim[0].dist, 0.02, 1e-6);
        ck_assert_str_eq(sim[1].id, "INC0016");
        ck_assert_ptr_null(sim[1].outcome);
        ck_assert_str_eq(sim[2].id, "INC0014");
        x[0] = 99;
        n    = vg_kmeans_similar(km, x, 3, sim, &cid);
        ck_assert_int_eq(n, 1);
        ck_assert_int_eq(cid, 2);
        ck_assert_str_eq(sim[0].outcome, "failed");
        vg_kmeans_destroy(km);
}
END_TEST

START_TEST(test_kmeans_conf)
{
        vg_kmeans_conf_t c;
        char err[128] = "";

        vg_kmeans_conf_init(&c);
        ck_assert_ptr_null(vg_kmeans_new(&c, err, sizeof(err)));
        ck_assert_ptr_nonnull(strstr(err, "dim"));
        c.dim   = 4;
        c.decay = 1.5;
        ck_assert_ptr_null(vg_kmeans_new(&c, err, sizeof(err)));
        ck_assert_ptr_nonnull(strstr(err, "decay"));
        vg_kmeans_destroy(NULL);
        vg_reservoir_destroy(NULL);
}
END_TEST

static Suite *kmeans_suite(void)
{
        Suite *s  = suite_create("kmeans");
        TCase *tc = tcase_create("Core");

        tcase_add_test(tc, test_ari_sanity);
        tcase_add_test(tc, test_kmeans_planted);
        tcase_add_test(tc, test_kmeans_follows_drift);
        tcase_add_test(tc, test_kmeans_radius_and_stable_ids);
        tcase_add_test(tc, test_kmeans_cap);
        tcase_add_test(tc, test_kmeans_cosine);
        tcase_add_test(tc, test_kmeans_batch_equals_sequential_assignments);
        tcase_add_test(tc, test_kmeans_screened_batch_exact);
        tcase_add_test(tc, test_kmeans_similar_items);
        suite_add_tcase(s, tc);
        tc = tcase_create("Limits");
        tcase_add_test(tc, test_kmeans_conf);
        suite_add_tcase(s, tc);
        return s;
}

int main(void)
{
        SRunner *sr = srunner_create(kmeans_suite());
        int failed;

        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
