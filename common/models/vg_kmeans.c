/**
 * @file vg_kmeans.c
 * @brief Streaming k-means with decay, radius-opened clusters, stable ids.
 */
#include "vg_kmeans.h"
#include "vg_mem.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Batches of at least this many points, against at least this many
 * clusters, are screened in single precision (screen_batch()). */
#define SCREEN_MIN_N 16
#define SCREEN_MIN_K 4
/* Norms beyond which float could overflow or lose everything to
 * underflow: such batches take the double path. */
#define SCREEN_NORM2_MAX 1e60
#define SCREEN_NORM2_MIN 1e-60

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>

/* vcvtpd2ps, 4 at a time: the scalar loop is as slow as the sgemm saves. */
__attribute__((target("avx"))) static void to_float_avx(float *dst,
                                                        const double *src,
                                                        int n)
{
        int t = 0;

        for (; t + 4 <= n; t += 4)
                _mm_storeu_ps(dst + t, _mm256_cvtpd_ps(_mm256_loadu_pd(src + t)));
        for (; t < n; t++)
                dst[t] = (float)src[t];
}

static void to_float(float *dst, const double *src, int n)
{
        if (__builtin_cpu_supports("avx")) {
                to_float_avx(dst, src, n);
                return;
        }
        for (int t = 0; t < n; t++)
                dst[t] = (float)src[t];
}
#else
static void to_float(float *dst, const double *src, int n)
{
        for (int t = 0; t < n; t++)
                dst[t] = (float)src[t];
}
#endif

struct vg_kmeans_s {
        vg_kmeans_conf_t conf;
        double decay;
        int dim;
        int k;                 /* live clusters, rows 0..k-1 */
        int64_t next_id;
        uint64_t n_seen;
        double *C;             /* k_max x dim centroids */
        double *cn2;           /* ||c||^2 */
        double *w;             /* weights */
        int64_t *id;
        vg_reservoir_t **res;
        /* scratch, grown on demand */
        double *sum;           /* k_max x dim */
        double *cnt;           /* k_max */
        double *G;             /* n x k_max dot products */
        double *Xn;            /* n x dim normalised copy (cosine) */
        double *xn2;           /* n norms^2 */
        int *assign;           /* n */
        int scratch_n;
        /* single-precision screening of batches (see screen_batch()) */
        float *Xf;             /* n x dim */
        float *Cf;             /* k_max x dim */
        float *Gf;             /* n x k_max */
        double *cnorm;         /* k_max: ||c|| */
        double *bp;            /* n: proxy to the screened nearest */
        int *exact;            /* n: 1 if bp is exact */
        int *sb;               /* n: screened nearest, -1 if rejected */
};

void vg_kmeans_conf_init(vg_kmeans_conf_t *conf)
{
        memset(conf, 0, sizeof(*conf));
        conf->dist          = VG_DIST_EUCLIDEAN;
        conf->decay         = 1.0;
        conf->half_life     = 0.0;
        conf->time_unit     = VG_KMEANS_UNIT_BATCHES;
        conf->radius        = 1.0;
        conf->k_max         = 64;
        conf->min_weight    = 1e-3;
        conf->reservoir_cap = 32;
}

static const char *kmeans_conf_check(const vg_kmeans_conf_t *c)
{
        if (c->dim < 1 || c->dim > 1000000)
                return "dim must be in [1, 1000000]";
        if (c->dist != VG_DIST_EUCLIDEAN && c->dist != VG_DIST_COSINE)
                return "unknown distance";
        if (!(c->decay > 0 && c->decay <= 1))
                return "decay must be in (0, 1]";
        if (!(c->half_life >= 0) || isinf(c->half_life))
                return "half_life must be >= 0";
        if (c->time_unit != VG_KMEANS_UNIT_BATCHES &&
            c->time_unit != VG_KMEANS_UNIT_POINTS)
                return "unknown time unit";
        if (!(c->radius > 0))
                return "radius must be > 0";
        if (c->k_max < 1 || c->k_max > 100000)
                return "k_max must be in [1, 100000]";
        if (!(c->min_weight >= 0 && c->min_weight < 1))
                return "min_weight must be in [0, 1)";
        if (c->reservoir_cap < 0 || c->reservoir_cap > 1000000)
                return "reservoir_cap must be in [0, 1000000]";
        return NULL;
}

vg_kmeans_t *vg_kmeans_new(const vg_kmeans_conf_t *conf, char *errstr,
                           size_t errstr_size)
{
        const char *why = kmeans_conf_check(conf);
        vg_kmeans_t *km;
        size_t kd;

        if (why) {
                snprintf(errstr, errstr_size, "kmeans: %s", why);
                return NULL;
        }
        km          = vg_calloc(1, sizeof(*km));
        km->conf    = *conf;
        km->dim     = conf->dim;
        km->decay   = conf->half_life > 0 ? exp(log(0.5) / conf->half_life)
                                          : conf->decay;
        km->next_id = 1;
        kd          = (size_t)conf->k_max * conf->dim;
        km->C       = vg_calloc(kd, sizeof(double));
        km->sum     = vg_calloc(kd, sizeof(double));
        km->cn2     = vg_calloc(conf->k_max, sizeof(double));
        km->w       = vg_calloc(conf->k_max, sizeof(double));
        km->cnt     = vg_calloc(conf->k_max, sizeof(double));
        km->id      = vg_calloc(conf->k_max, sizeof(int64_t));
        km->res     = vg_calloc(conf->k_max, sizeof(*km->res));
        return km;
}

void vg_kmeans_destroy(vg_kmeans_t *km)
{
        if (!km)
                return;
        for (int j = 0; j < km->k; j++)
                vg_reservoir_destroy(km->res[j]);
        vg_free(km->C);
        vg_free(km->sum);
        vg_free(km->cn2);
        vg_free(km->w);
        vg_free(km->cnt);
        vg_free(km->id);
        vg_free(km->res);
        vg_free(km->G);
        vg_free(km->Xn);
        vg_free(km->xn2);
        vg_free(km->assign);
        vg_free(km->Xf);
        vg_free(km->Cf);
        vg_free(km->Gf);
        vg_free(km->cnorm);
        vg_free(km->bp);
        vg_free(km->exact);
        vg_free(km->sb);
        vg_free(km);
}

static void scratch_reserve(vg_kmeans_t *km, int n)
{
        if (n <= km->scratch_n)
                return;
        km->scratch_n = n;
        km->G   = vg_realloc(km->G, (size_t)n * km->conf.k_max * sizeof(double));
        km->Xn  = vg_realloc(km->Xn, (size_t)n * km->dim * sizeof(double));
        km->xn2 = vg_realloc(km->xn2, (size_t)n * sizeof(double));
        km->assign = vg_realloc(km->assign, (size_t)n * sizeof(int));
        if (n >= SCREEN_MIN_N) {
                size_t kd = (size_t)km->conf.k_max * km->dim;
                km->Xf = vg_realloc(km->Xf, (size_t)n * km->dim * sizeof(float));
                km->Gf = vg_realloc(km->Gf,
                                    (size_t)n * km->conf.k_max * sizeof(float));
                km->bp    = vg_realloc(km->bp, (size_t)n * sizeof(double));
                km->exact = vg_realloc(km->exact, (size_t)n * sizeof(int));
                km->sb    = vg_realloc(km->sb, (size_t)n * sizeof(int));
                if (!km->Cf) {
                        km->Cf    = vg_malloc(kd * sizeof(float));
                        km->cnorm = vg_malloc(km->conf.k_max * sizeof(double));
                }
        }
}

static double norm2(const double *x, int dim)
{
        return cblas_ddot(dim, x, 1, x, 1);
}

/* Copies/normalises the batch into Xn; marks rejected rows with xn2 = NAN.
 * @returns the number of valid rows. */
static int prepare(vg_kmeans_t *km, const double *X, int n)
{
        int valid = 0;

        for (int i = 0; i < n; i++) {
                const double *x = X + (size_t)i * km->dim;
                double *xn      = km->Xn + (size_t)i * km->dim;
                double s        = norm2(x, km->dim);
                if (!isfinite(s) ||
                    (km->conf.dist == VG_DIST_COSINE && s <= 0)) {
                        km->xn2[i] = NAN;
                        memset(xn, 0, km->dim * sizeof(double));
                        continue;
                }
                memcpy(xn, x, km->dim * sizeof(double));
                if (km->conf.dist == VG_DIST_COSINE) {
                        cblas_dscal(km->dim, 1.0 / sqrt(s), xn, 1);
                        s = 1.0;
                }
                km->xn2[i] = s;
                valid++;
        }
        return valid;
}

/* G[i][j] = x_i . c_j for the k0 first clusters. */
static void dots(vg_kmeans_t *km, int n, int k0)
{
        if (k0 == 0)
                return;
        if (n == 1)
                cblas_dgemv(CblasRowMajor, CblasNoTrans, k0, km->dim, 1.0,
                            km->C, km->dim, km->Xn, 1, 0.0, km->G, 1);
        else
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, k0,
                            km->dim, 1.0, km->Xn, km->dim, km->C, km->dim,
                            0.0, km->G, k0);
}

/* A monotone proxy of the distance: squared Euclidean, or 1 - cos. */
static inline double proxy_from_dot(const vg_kmeans_t *km, double xn2,
                                    double dot, double cn2)
{
        if (km->conf.dist == VG_DIST_COSINE)
                return 1.0 - dot;
        return xn2 - 2.0 * dot + cn2;
}

static inline double dist_from_proxy(const vg_kmeans_t *km, double p)
{
        if (km->conf.dist == VG_DIST_COSINE)
                return p;
        return p > 0 ? sqrt(p) : 0.0;
}

static int open_cluster(vg_kmeans_t *km, const double *xn)
{
        int j = km->k++;

        memcpy(km->C + (size_t)j * km->dim, xn, km->dim * sizeof(double));
        km->cn2[j] = norm2(xn, km->dim);
        km->w[j]   = 0.0;
        km->id[j]  = km->next_id++;
        km->res[j] = km->conf.reservoir_cap > 0
                             ? vg_reservoir_new(km->conf.reservoir_cap,
                                                km->dim, km->conf.dist)
                             : NULL;
        return j;
}

/* Nearest cluster of row i: dots for j < k0, direct for clusters opened
 * since (their centroid is still the point that opened them). */
static int nearest(vg_kmeans_t *km, int i, int k0, double *bdp)
{
        const double *xn = km->Xn + (size_t)i * km->dim;
        double bd = INFINITY;
        int best = -1;

        for (int j = 0; j < km->k; j++) {
                double dot = j < k0 ? km->G[(size_t)i * k0 + j]
                                    : cblas_ddot(km->dim, xn, 1,
                                                 km->C + (size_t)j * km->dim,
                                                 1);
                double d = proxy_from_dot(km, km->xn2[i], dot, km->cn2[j]);
                if (d < bd) {
                        bd   = d;
                        best = j;
                }
        }
        *bdp = best < 0 ? INFINITY : dist_from_proxy(km, bd);
        return best;
}

static void remove_cluster(vg_kmeans_t *km, int j)
{
        int last = km->k - 1;

        vg_reservoir_destroy(km->res[j]);
        if (j != last) {
                memcpy(km->C + (size_t)j * km->dim,
                       km->C + (size_t)last * km->dim,
                       km->dim * sizeof(double));
                km->cn2[j] = km->cn2[last];
                km->w[j]   = km->w[last];
                km->id[j]  = km->id[last];
                km->res[j] = km->res[last];
        }
        km->res[last] = NULL;
        km->k--;
}

/* Bound on |float dot - double dot| doubled (the proxy has -2 x.c) for a
 * row of norm xnorm against cluster j (see screen_batch()). */
static inline double screen_err(const vg_kmeans_t *km, double xnorm, int j)
{
        const double kappa = (km->dim + 3) * 0x1p-24 * 1.01;
        const double tau   = km->dim * 1.2e-38;

        return 2.0 * (kappa * xnorm * km->cnorm[j] +
                      tau * (xnorm + km->cnorm[j] + 1.0));
}

static double exact_proxy(const vg_kmeans_t *km, int i, int j)
{
        return proxy_from_dot(km, km->xn2[i],
                              cblas_ddot(km->dim, km->Xn + (size_t)i * km->dim,
                                         1, km->C + (size_t)j * km->dim, 1),
                              km->cn2[j]);
}

/* Nearest of the k0 clusters for every valid row, from a single-precision
 * sgemm (twice the throughput of dgemm) with a rigorous error bound, so the
 * answer is the one double precision gives: with g_ij the float dot, its
 * error is at most  kappa ||x_i|| ||c_j|| + tau (||x_i|| + ||c_j|| + 1)
 * (kappa = (dim + 3) u, u = 2^-24, Higham's bound for a dot product of
 * rounded inputs in any summation order; tau covers underflow). Every
 * cluster whose lower bound reaches below the smallest upper bound is a
 * candidate; when there are several, they are compared in double.
 * sb[i] gets the cluster (or -1), bp[i] its proxy and exact[i] 1 if
 * that proxy was computed in double (else it is within screen_err()).
 * @returns 0 if the batch must take the double path (huge or tiny norms). */
static int screen_batch(vg_kmeans_t *km, int n, int k0)
{
        const int dim = km->dim;

        for (int j = 0; j < k0; j++) {
                const double *c = km->C + (size_t)j * dim;
                float *cf       = km->Cf + (size_t)j * dim;
                if (!(km->cn2[j] <= SCREEN_NORM2_MAX))
                        return 0;
                km->cnorm[j] = sqrt(km->cn2[j]);
                to_float(cf, c, dim);
        }
        for (int i = 0; i < n; i++) {
                const double *xn = km->Xn + (size_t)i * dim;
                float *xf        = km->Xf + (size_t)i * dim;
                if (isnan(km->xn2[i]))
                        continue;
                if (km->xn2[i] > SCREEN_NORM2_MAX ||
                    km->xn2[i] < SCREEN_NORM2_MIN)
                        return 0;
                to_float(xf, xn, dim);
        }
        /* Rejected rows hold zeros in Xn, hence garbage-free zeros here. */
        for (int i = 0; i < n; i++)
                if (isnan(km->xn2[i]))
                        memset(km->Xf + (size_t)i * dim, 0,
                               dim * sizeof(float));
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, k0, dim,
                    1.0f, km->Xf, dim, km->Cf, dim, 0.0f, km->Gf, k0);

        for (int i = 0; i < n; i++) {
                const float *g = km->Gf + (size_t)i * k0;
                double xn2 = km->xn2[i], xnorm, ub = INFINITY, best_p;
                int best = -1, ncand = 0;

                km->sb[i] = -1;
                if (isnan(xn2))
                        continue;
                xnorm = sqrt(xn2);
                for (int j = 0; j < k0; j++) {
                        double e = screen_err(km, xnorm, j);
                        double p = proxy_from_dot(km, xn2, g[j], km->cn2[j]);
                        if (p + e < ub) {
                                ub   = p + e;
                                best = j;
                        }
                }
                /* Candidates: lower bound <= ub. Usually only best. */
                best_p = INFINITY;
                for (int j = 0; j < k0; j++) {
                        double e = screen_err(km, xnorm, j);
                        double p = proxy_from_dot(km, xn2, g[j], km->cn2[j]);
                        if (p - e <= ub)
                                ncand++;
                }
                if (ncand > 1) {
                        for (int j = 0; j < k0; j++) {
                                double e = screen_err(km, xnorm, j);
                                double p = proxy_from_dot(km, xn2, g[j],
                                                          km->cn2[j]);
                                if (p - e > ub)
                                        continue;
                                p = exact_proxy(km, i, j);
                                if (p < best_p) {
                                        best_p = p;
                                        best   = j;
                                }
                        }
                        km->exact[i] = 1;
                } else {
                        best_p       = proxy_from_dot(km, xn2, g[best],
                                                      km->cn2[best]);
                        km->exact[i] = 0;
                }
                km->sb[i] = best;
                km->bp[i] = best_p;
        }
        return 1;
}

/* Spark's rule: discount every weight, then pull assigned centroids. */
static void apply_update(vg_kmeans_t *km, int n_valid)
{
        double discount = km->conf.time_unit == VG_KMEANS_UNIT_BATCHES
                                  ? km->decay
                                  : pow(km->decay, n_valid);

        for (int j = 0; j < km->k; j++) {
                double *c = km->C + (size_t)j * km->dim, lambda, a, b, s2;
                double *sum = km->sum + (size_t)j * km->dim;
                km->w[j] *= discount;
                if (km->cnt[j] == 0)
                        continue;
                km->w[j] += km->cnt[j];
                lambda = km->cnt[j] / fmax(km->w[j], 1e-16);
                /* c = (1 - lambda) c + (lambda / cnt) sum, clearing sum and
                 * taking ||c||^2 in the same pass (one read of each row). */
                a  = 1.0 - lambda;
                b  = lambda / km->cnt[j];
                s2 = 0.0;
                for (int t = 0; t < km->dim; t++) {
                        double v = a * c[t] + b * sum[t];
                        c[t]     = v;
                        sum[t]   = 0.0;
                        s2 += v * v;
                }
                km->cnt[j] = 0;
                km->cn2[j] = s2;
                if (km->conf.dist == VG_DIST_COSINE && km->cn2[j] > 0) {
                        cblas_dscal(km->dim, 1.0 / sqrt(km->cn2[j]), c, 1);
                        km->cn2[j] = norm2(c, km->dim);
                }
        }
        for (int j = km->k - 1; j >= 0; j--)
                if (km->w[j] < km->conf.min_weight)
                        remove_cluster(km, j);
}

/* nearest() for a screened row: its nearest among the k0 first clusters is
 * known (screen_batch()), possibly with a bounded proxy only; the proxy is
 * made exact when a distance is wanted, when clusters opened since must be
 * compared, or when the radius test is too close to call. */
static int nearest_screened(vg_kmeans_t *km, int i, int k0, double *bdp,
                            int want_dist)
{
        int best = km->sb[i], exact = km->exact[i];
        double p = km->bp[i];

        if (!exact && (want_dist || km->k > k0)) {
                p     = exact_proxy(km, i, best);
                exact = 1;
        }
        for (int j = k0; j < km->k; j++) {
                double d = exact_proxy(km, i, j);
                if (d < p) {
                        p    = d;
                        best = j;
                }
        }
        if (!exact && km->k < km->conf.k_max) {
                double r   = km->conf.radius;
                double thr = km->conf.dist == VG_DIST_COSINE ? r : r * r;
                if (fabs(p - thr) <= screen_err(km, sqrt(km->xn2[i]), best) +
                                             1e-9 * thr)
                        p = exact_proxy(km, i, best);
        }
        *bdp = dist_from_proxy(km, p);
        return best;
}

void vg_kmeans_update_batch(vg_kmeans_t *km, const double *X, int n,
                            int64_t *ids, double *dists)
{
        int k0 = km->k, n_valid, screened = 0;

        if (n <= 0)
                return;
        scratch_reserve(km, n);
        n_valid = prepare(km, X, n);
        if (n >= SCREEN_MIN_N && k0 >= SCREEN_MIN_K)
                screened = screen_batch(km, n, k0);
        if (!screened)
                dots(km, n, k0);
        /* sum and cnt are all zero here: apply_update() clears what it
         * used (cheaper than clearing k_max x dim per call). */
        for (int i = 0; i < n; i++) {
                const double *xn = km->Xn + (size_t)i * km->dim;
                double bd;
                int j;
                km->assign[i] = -1;
                if (isnan(km->xn2[i])) {
                        if (dists)
                                dists[i] = NAN;
                        continue;
                }
                j = screened ? nearest_screened(km, i, k0, &bd, dists != NULL)
                             : nearest(km, i, k0, &bd);
                if ((j < 0 || bd > km->conf.radius) &&
                    km->k < km->conf.k_max) {
                        j  = open_cluster(km, xn);
                        bd = 0.0;
                }
                km->assign[i] = j;
                km->cnt[j] += 1.0;
                cblas_daxpy(km->dim, 1.0, xn, 1,
                            km->sum + (size_t)j * km->dim, 1);
                if (dists)
                        dists[i] = bd;
        }
        /* Ids before removal; a cluster that got points keeps w >= 1. */
        if (ids)
                for (int i = 0; i < n; i++)
                        ids[i] = km->assign[i] < 0 ? -1
                                                   : km->id[km->assign[i]];
        km->n_seen += (uint64_t)n_valid;
        if (n_valid > 0)
                apply_update(km, n_valid);
}

int64_t vg_kmeans_update(vg_kmeans_t *km, const double *x, double *distp)
{
        int64_t id;
        double d;

        vg_kmeans_update_batch(km, x, 1, &id, &d);
        if (distp)
                *distp = d;
        return id;
}

/* @returns the index of the nearest cluster of x, or -1. */
static int assign_idx(vg_kmeans_t *km, const double *x, double *distp)
{
        double bd;
        int j;

        if (km->k == 0)
                return -1;
        scratch_reserve(km, 1);
        if (!prepare(km, x, 1))
                return -1;
        dots(km, 1, km->k);
        j = nearest(km, 0, km->k, &bd);
        if (distp)
                *distp = bd;
        return j;
}

int64_t vg_kmeans_assign(vg_kmeans_t *km, const double *x, double *distp)
{
        int j = assign_idx(km, x, distp);
        return j < 0 ? -1 : km->id[j];
}

int64_t vg_kmeans_observe(vg_kmeans_t *km, const char *item_id,
                          const double *x, const char *outcome, int64_t ts_ms,
                          double *distp)
{
        int64_t id = vg_kmeans_update(km, x, distp);
        int j;

        if (id < 0 || (j = vg_kmeans_find(km, id)) < 0 || !km->res[j])
                return id;
        vg_reservoir_add(km->res[j], item_id, x, outcome, ts_ms);
        return id;
}

int vg_kmeans_set_outcome(vg_kmeans_t *km, int64_t id, const char *item_id,
                          const char *outcome)
{
        for (int j = 0; j < km->k; j++) {
                if ((id >= 0 && km->id[j] != id) || !km->res[j])
                        continue;
                if (vg_reservoir_set_outcome(km->res[j], item_id, outcome))
                        return 1;
        }
        return 0;
}

int vg_kmeans_similar(vg_kmeans_t *km, const double *x, int k,
                      vg_similar_t *out, int64_t *idp)
{
        int j = assign_idx(km, x, NULL);

        if (idp)
                *idp = j < 0 ? -1 : km->id[j];
        if (j < 0 || !km->res[j])
                return 0;
        return vg_reservoir_nearest(km->res[j], x, k, out);
}

int vg_kmeans_closest_pair(const vg_kmeans_t *km, int64_t *ap, int64_t *bp,
                           double *distp)
{
        double bd = INFINITY;
        int found = 0;
        for (int i = 0; i < km->k; i++) {
                for (int j = i + 1; j < km->k; j++) {
                        double d = vg_dist(km->conf.dist,
                                           km->C + (size_t)i * km->dim,
                                           km->C + (size_t)j * km->dim,
                                           km->dim);
                        if (d < bd) {
                                bd    = d;
                                *ap   = km->id[i] < km->id[j] ? km->id[i]
                                                              : km->id[j];
                                *bp   = km->id[i] < km->id[j] ? km->id[j]
                                                              : km->id[i];
                                found = 1;
                        }
                }
        }
        *distp = bd;
        return found;
}

int vg_kmeans_closest_to(const vg_kmeans_t *km, int64_t id, int64_t *otherp,
                         double *distp)
{
        int a = vg_kmeans_find(km, id), found = 0;
        double bd = INFINITY;
        for (int j = 0; a >= 0 && j < km->k; j++) {
                if (j == a)
                        continue;
                double d = vg_dist(km->conf.dist, km->C + (size_t)a * km->dim,
                                   km->C + (size_t)j * km->dim, km->dim);
                if (d < bd) {
                        bd      = d;
                        *otherp = km->id[j];
                        found   = 1;
                }
        }
        *distp = bd;
        return found;
}

int vg_kmeans_merge(vg_kmeans_t *km, int64_t keep, int64_t gone)
{
        int a = vg_kmeans_find(km, keep), b = vg_kmeans_find(km, gone);
        if (a < 0 || b < 0 || a == b)
                return -1;
        double wa = km->w[a], wb = km->w[b], w = wa + wb;
        double *ca = km->C + (size_t)a * km->dim;
        const double *cb = km->C + (size_t)b * km->dim;
        for (int t = 0; t < km->dim; t++)
                ca[t] = w > 0 ? (wa * ca[t] + wb * cb[t]) / w
                              : 0.5 * (ca[t] + cb[t]);
        km->cn2[a] = norm2(ca, km->dim);
        if (km->conf.dist == VG_DIST_COSINE && km->cn2[a] > 0) {
                cblas_dscal(km->dim, 1.0 / sqrt(km->cn2[a]), ca, 1);
                km->cn2[a] = norm2(ca, km->dim);
        }
        km->w[a] = w;
        remove_cluster(km, b); /* its members are forgotten with it */
        return 0;
}

int vg_kmeans_k(const vg_kmeans_t *km)
{
        return km->k;
}

int64_t vg_kmeans_id(const vg_kmeans_t *km, int idx)
{
        return idx >= 0 && idx < km->k ? km->id[idx] : -1;
}

int vg_kmeans_find(const vg_kmeans_t *km, int64_t id)
{
        for (int j = 0; j < km->k; j++)
                if (km->id[j] == id)
                        return j;
        return -1;
}

double vg_kmeans_weight(const vg_kmeans_t *km, int idx)
{
        return idx >= 0 && idx < km->k ? km->w[idx] : 0.0;
}

const double *vg_kmeans_centroid(const vg_kmeans_t *km, int idx)
{
        return idx >= 0 && idx < km->k ? km->C + (size_t)idx * km->dim : NULL;
}

const vg_reservoir_t *vg_kmeans_reservoir(const vg_kmeans_t *km, int idx)
{
        return idx >= 0 && idx < km->k ? km->res[idx] : NULL;
}

double vg_kmeans_decay(const vg_kmeans_t *km)
{
        return km->decay;
}

size_t vg_kmeans_memory(const vg_kmeans_t *km)
{
        size_t kd = (size_t)km->conf.k_max * km->dim;
        size_t sz = sizeof(*km) + 2 * kd * sizeof(double) +
                    (size_t)km->conf.k_max *
                            (3 * sizeof(double) + sizeof(int64_t) +
                             sizeof(void *)) +
                    (size_t)km->scratch_n *
                            ((km->conf.k_max + km->dim + 1) * sizeof(double) +
                             sizeof(int));
        for (int j = 0; j < km->k; j++)
                if (km->res[j])
                        sz += vg_reservoir_memory(km->res[j]);
        return sz;
}

/* ---- snapshot ---------------------------------------------------------- */

void *vg_kmeans_save(const vg_kmeans_t *km, size_t *lenp)
{
        vg_snap_writer_t *sw = vg_snap_writer_new(VG_SNAP_KIND_KMEANS);
        const vg_kmeans_conf_t *c = &km->conf;

        vg_snap_put_u32(sw, (uint32_t)c->dim);
        vg_snap_put_u8(sw, (uint8_t)c->dist);
        vg_snap_put_f64(sw, c->decay);
        vg_snap_put_f64(sw, c->half_life);
        vg_snap_put_u8(sw, (uint8_t)c->time_unit);
        vg_snap_put_f64(sw, c->radius);
        vg_snap_put_u32(sw, (uint32_t)c->k_max);
        vg_snap_put_f64(sw, c->min_weight);
        vg_snap_put_u32(sw, (uint32_t)c->reservoir_cap);
        vg_snap_put_f64(sw, km->decay);
        vg_snap_put_i64(sw, km->next_id);
        vg_snap_put_u64(sw, km->n_seen);
        vg_snap_put_u32(sw, (uint32_t)km->k);
        for (int j = 0; j < km->k; j++) {
                vg_snap_put_i64(sw, km->id[j]);
                vg_snap_put_f64(sw, km->w[j]);
                vg_snap_put_f64v(sw, km->C + (size_t)j * km->dim, km->dim);
                vg_snap_put_u8(sw, km->res[j] != NULL);
                if (km->res[j])
                        vg_reservoir_write(km->res[j], sw);
        }
        return vg_snap_writer_finish(sw, lenp);
}

static void read_clusters(vg_kmeans_t *km, vg_snap_reader_t *sr)
{
        uint32_t k;

        km->decay   = vg_snap_get_f64(sr);
        km->next_id = vg_snap_get_i64(sr);
        km->n_seen  = vg_snap_get_u64(sr);
        k           = vg_snap_get_u32(sr);
        if (vg_snap_ok(sr) && (k > (uint32_t)km->conf.k_max ||
                               !(km->decay > 0 && km->decay <= 1)))
                vg_snap_fail(sr, "kmeans: bad state (k %u, decay %g)", k,
                             km->decay);
        for (uint32_t j = 0; j < k && vg_snap_ok(sr); j++) {
                double *c = km->C + (size_t)j * km->dim;
                km->id[j] = vg_snap_get_i64(sr);
                km->w[j]  = vg_snap_get_f64(sr);
                vg_snap_get_f64v(sr, c, km->dim);
                km->cn2[j] = norm2(c, km->dim);
                km->res[j] = vg_snap_get_u8(sr) ? vg_reservoir_read(sr) : NULL;
                km->k      = (int)j + 1; /* owned from here, for cleanup */
                if (vg_snap_ok(sr) &&
                    (km->id[j] < 1 || km->id[j] >= km->next_id ||
                     !isfinite(km->cn2[j]) || !(km->w[j] >= 0)))
                        vg_snap_fail(sr, "kmeans: bad cluster %u", j);
        }
}

vg_kmeans_t *vg_kmeans_load(const void *buf, size_t len, char *errstr,
                            size_t errstr_size)
{
        vg_snap_reader_t *sr = vg_snap_reader_new(
                buf, len, VG_SNAP_KIND_KMEANS, errstr, errstr_size);
        vg_kmeans_conf_t c;
        vg_kmeans_t *km = NULL;
        char err[160];

        if (!sr)
                return NULL;
        vg_kmeans_conf_init(&c);
        c.dim           = (int)vg_snap_get_u32(sr);
        c.dist          = (vg_dist_t)vg_snap_get_u8(sr);
        c.decay         = vg_snap_get_f64(sr);
        c.half_life     = vg_snap_get_f64(sr);
        c.time_unit     = (vg_kmeans_unit_t)vg_snap_get_u8(sr);
        c.radius        = vg_snap_get_f64(sr);
        c.k_max         = (int)vg_snap_get_u32(sr);
        c.min_weight    = vg_snap_get_f64(sr);
        c.reservoir_cap = (int)vg_snap_get_u32(sr);
        if (vg_snap_ok(sr) && !(km = vg_kmeans_new(&c, err, sizeof(err))))
                vg_snap_fail(sr, "%s", err);
        if (km)
                read_clusters(km, sr);
        if (vg_snap_reader_destroy(sr, errstr, errstr_size) != VG_OK ||
            !km) {
                vg_kmeans_destroy(km);
                return NULL;
        }
        return km;
}
