/**
 * @file vg_ftrl.c
 * @brief FTRL-Proximal logistic regression.
 *
 * Per coordinate i we keep z_i and sqrt(n_i) (n_i is the sum of squared
 * gradients; keeping its root saves a sqrt per feature at predict time):
 *
 *   w_i = 0                                          if |z_i| <= l1
 *       = -(z_i - sgn(z_i) l1) / ((beta + sqrt(n_i)) / alpha + l2)
 *   g_i = (p - y) x_i  (times pos_weight when y = 1)
 *   sigma_i = (sqrt(n_i + g_i^2) - sqrt(n_i)) / alpha
 *   z_i += g_i - sigma_i w_i ;  n_i += g_i^2
 *
 * The bias is a coordinate without regularisation.
 */
#include "vg_ftrl.h"
#include "vg_mem.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#define FTRL_HAVE_AVX 1
#define FTRL_AVX __attribute__((target("avx")))
#else
#define FTRL_HAVE_AVX 0
#endif

#define FTRL_MARGIN_MAX 35.0

typedef struct {
        double z;
        double sn; /* sqrt(n) */
} ftrl_coord_t;

struct vg_ftrl_s {
        vg_ftrl_conf_t conf;
        uint32_t mask;
        ftrl_coord_t *w;      /* 2^hash_bits sparse coordinates */
        ftrl_coord_t *dc;     /* n_dense dense coordinates */
        double *dw;           /* materialised dense weights, for ddot */
        char **dense_names;
        ftrl_coord_t bias;
        double bias_w;
        double inv_alpha;     /* 1 / alpha */
        uint64_t n_learned;
        vg_featdict_t *dict;
        vg_preq_t *preq;
        /* Cache of the last predict(), reused by learn(). */
        const vg_features_t *last_x;
        uint64_t last_gen;
        double last_p;
        double *scratch;      /* w_i of the last x's sparse features */
        int scratch_cap;
        int simd;             /* 1: the AVX kernels below may run */
};

static int ftrl_cpu_has_avx(void);

void vg_ftrl_conf_init(vg_ftrl_conf_t *conf)
{
        memset(conf, 0, sizeof(*conf));
        conf->alpha      = 0.1;
        conf->beta       = 1.0;
        conf->l1         = 1.0;
        conf->l2         = 1.0;
        conf->pos_weight = 1.0;
        conf->hash_bits  = 18;
        conf->n_dense    = 0;
        conf->names_cap  = 4096;
        vg_preq_conf_init(&conf->preq);
}

static const char *ftrl_conf_check(const vg_ftrl_conf_t *c)
{
        if (!(c->alpha > 0 && isfinite(c->alpha)))
                return "alpha must be > 0";
        if (!(c->beta >= 0 && isfinite(c->beta)))
                return "beta must be >= 0";
        if (!(c->l1 >= 0 && isfinite(c->l1)) ||
            !(c->l2 >= 0 && isfinite(c->l2)))
                return "l1 and l2 must be >= 0";
        if (!(c->pos_weight > 0 && isfinite(c->pos_weight)))
                return "pos_weight must be > 0";
        if (c->hash_bits < VG_FEATURES_BITS_MIN ||
            c->hash_bits > VG_FEATURES_BITS_MAX)
                return "hash_bits out of range [4, 30]";
        if (c->n_dense < 0 || c->n_dense > 1000000)
                return "n_dense out of range [0, 1000000]";
        if (c->names_cap > ((size_t)1 << 24))
                return "names_cap too large (max 16M)";
        return NULL;
}

vg_ftrl_t *vg_ftrl_new(const vg_ftrl_conf_t *conf, char *errstr,
                       size_t errstr_size)
{
        const char *why = ftrl_conf_check(conf);
        char err[128];
        vg_ftrl_t *m;

        if (why) {
                snprintf(errstr, errstr_size, "ftrl: %s", why);
                return NULL;
        }
        m       = vg_calloc(1, sizeof(*m));
        m->conf = *conf;
        if (!(m->preq = vg_preq_new(&conf->preq, err, sizeof(err)))) {
                snprintf(errstr, errstr_size, "ftrl: %s", err);
                vg_free(m);
                return NULL;
        }
        m->inv_alpha   = 1.0 / conf->alpha;
        m->mask        = (uint32_t)(((uint64_t)1 << conf->hash_bits) - 1);
        m->w           = vg_calloc((size_t)m->mask + 1, sizeof(*m->w));
        m->dc          = vg_calloc(conf->n_dense, sizeof(*m->dc));
        m->dw          = vg_calloc(conf->n_dense, sizeof(*m->dw));
        m->dense_names = vg_calloc(conf->n_dense, sizeof(char *));
        if (conf->names_cap)
                m->dict = vg_featdict_new(conf->names_cap);
        m->scratch_cap = 64;
        m->scratch     = vg_malloc(m->scratch_cap * sizeof(double));
        m->simd        = ftrl_cpu_has_avx();
        return m;
}

void vg_ftrl_destroy(vg_ftrl_t *m)
{
        if (!m)
                return;
        for (int i = 0; i < m->conf.n_dense; i++)
                vg_free(m->dense_names[i]);
        vg_free(m->dense_names);
        vg_free(m->w);
        vg_free(m->dc);
        vg_free(m->dw);
        vg_free(m->scratch);
        vg_featdict_destroy(m->dict);
        vg_preq_destroy(m->preq);
        vg_free(m);
}

void vg_ftrl_set_dense_name(vg_ftrl_t *m, int i, const char *name)
{
        if (i < 0 || i >= m->conf.n_dense)
                return;
        vg_free(m->dense_names[i]);
        m->dense_names[i] = name ? vg_strdup(name) : NULL;
}

static inline double coord_weight(const vg_ftrl_t *m, const ftrl_coord_t *k,
                                  double l1, double l2)
{
        /* Branch-free: whether |z| <= l1 is unpredictable per feature.
         * (a ternary, not fmax(): that is a libm call without -ffast-math) */
        double a = fabs(k->z) - l1;

        a = a > 0.0 ? a : 0.0;
        return -copysign(a, k->z) /
               ((m->conf.beta + k->sn) * m->inv_alpha + l2);
}

static inline void coord_update(const vg_ftrl_t *m, ftrl_coord_t *k,
                                double w, double g)
{
        double sn2   = sqrt(k->sn * k->sn + g * g);
        double sigma = (sn2 - k->sn) * m->inv_alpha;

        k->z += g - sigma * w;
        k->sn = sn2;
}

/* ---- sparse kernels ------------------------------------------------------
 *
 * Both the margin and the update of the sparse part exist twice: portable
 * scalar code, and AVX code (4 coordinates per instruction: one vdivpd for
 * 4 weights, one vsqrtpd for 4 updates, where scalar code is bound by the
 * throughput of divsd/sqrtsd). The AVX kernels are selected at run time and
 * give bit-identical results: the same IEEE operations in the same order
 * (division and square root are correctly rounded, nothing is fused), and
 * the margin is summed the same way by both, in 4 interleaved partial sums
 * (term i goes to sum i % 4), which also shortens the chain of dependent
 * additions. A snapshot therefore resumes identically on either path.
 */

static double sparse_margin_scalar(const vg_ftrl_t *m, const uint32_t *slots,
                                   const double *vals, int nnz, double *w)
{
        double acc[4] = {0.0, 0.0, 0.0, 0.0};

        for (int i = 0; i < nnz; i++) {
                w[i] = coord_weight(m, &m->w[slots[i] & m->mask], m->conf.l1,
                                    m->conf.l2);
                acc[i & 3] += w[i] * vals[i];
        }
        return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

static void sparse_update_scalar(const vg_ftrl_t *m, const uint32_t *slots,
                                 const double *vals, const double *w, int nnz,
                                 double g0)
{
        for (int i = 0; i < nnz; i++)
                coord_update(m, &m->w[slots[i] & m->mask], w[i],
                             g0 * vals[i]);
}

#if FTRL_HAVE_AVX
static int ftrl_cpu_has_avx(void)
{
        return __builtin_cpu_supports("avx");
}

/* Loads coordinates k0..k3 as z = (z0, z1, z2, z3), sn = (sn0, ..., sn3). */
static FTRL_AVX inline void avx_load4(const ftrl_coord_t *k0,
                                      const ftrl_coord_t *k1,
                                      const ftrl_coord_t *k2,
                                      const ftrl_coord_t *k3, __m256d *z,
                                      __m256d *sn)
{
        __m256d a02 = _mm256_insertf128_pd(
                _mm256_castpd128_pd256(_mm_loadu_pd(&k0->z)),
                _mm_loadu_pd(&k2->z), 1);
        __m256d a13 = _mm256_insertf128_pd(
                _mm256_castpd128_pd256(_mm_loadu_pd(&k1->z)),
                _mm_loadu_pd(&k3->z), 1);

        *z  = _mm256_unpacklo_pd(a02, a13);
        *sn = _mm256_unpackhi_pd(a02, a13);
}

static FTRL_AVX double sparse_margin_avx(const vg_ftrl_t *m,
                                         const uint32_t *slots,
                                         const double *vals, int nnz,
                                         double *w)
{
        const __m256d sign  = _mm256_set1_pd(-0.0);
        const __m256d l1    = _mm256_set1_pd(m->conf.l1);
        const __m256d l2    = _mm256_set1_pd(m->conf.l2);
        const __m256d beta  = _mm256_set1_pd(m->conf.beta);
        const __m256d ialph = _mm256_set1_pd(m->inv_alpha);
        const uint32_t mask = m->mask;
        __m256d vacc        = _mm256_setzero_pd();
        double acc[4];
        int i = 0;

        for (; i + 4 <= nnz; i += 4) {
                __m256d z, sn, a, num, den, wv;
                avx_load4(&m->w[slots[i] & mask], &m->w[slots[i + 1] & mask],
                          &m->w[slots[i + 2] & mask],
                          &m->w[slots[i + 3] & mask], &z, &sn);
                /* as coord_weight(): -copysign(max(|z| - l1, 0), z) / den */
                a   = _mm256_sub_pd(_mm256_andnot_pd(sign, z), l1);
                a   = _mm256_max_pd(a, _mm256_setzero_pd());
                num = _mm256_or_pd(a, _mm256_and_pd(z, sign));
                num = _mm256_xor_pd(num, sign);
                den = _mm256_add_pd(
                        _mm256_mul_pd(_mm256_add_pd(beta, sn), ialph), l2);
                wv  = _mm256_div_pd(num, den);
                _mm256_storeu_pd(w + i, wv);
                vacc = _mm256_add_pd(vacc,
                                     _mm256_mul_pd(wv,
                                                   _mm256_loadu_pd(vals + i)));
        }
        _mm256_storeu_pd(acc, vacc);
        for (; i < nnz; i++) {
                w[i] = coord_weight(m, &m->w[slots[i] & mask], m->conf.l1,
                                    m->conf.l2);
                acc[i & 3] += w[i] * vals[i];
        }
        return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

static FTRL_AVX void sparse_update_avx(const vg_ftrl_t *m,
                                       const uint32_t *slots,
                                       const double *vals, const double *w,
                                       int nnz, double g0)
{
        const __m256d vg0   = _mm256_set1_pd(g0);
        const __m256d ialph = _mm256_set1_pd(m->inv_alpha);
        const uint32_t mask = m->mask;
        int i = 0;

        for (; i + 4 <= nnz; i += 4) {
                uint32_t s0 = slots[i] & mask, s1 = slots[i + 1] & mask;
                uint32_t s2 = slots[i + 2] & mask, s3 = slots[i + 3] & mask;
                ftrl_coord_t *k0 = &m->w[s0], *k1 = &m->w[s1];
                ftrl_coord_t *k2 = &m->w[s2], *k3 = &m->w[s3];
                __m256d z, sn, g, sn2, sigma, lo, hi;

                /* A slot twice in the group (a collision, or a repeated
                 * feature) must see its first update: do it in order. */
                if (s0 == s1 || s0 == s2 || s0 == s3 || s1 == s2 ||
                    s1 == s3 || s2 == s3) {
                        sparse_update_scalar(m, slots + i, vals + i, w + i, 4,
                                             g0);
                        continue;
                }
                avx_load4(k0, k1, k2, k3, &z, &sn);
                /* as coord_update() */
                g     = _mm256_mul_pd(vg0, _mm256_loadu_pd(vals + i));
                sn2   = _mm256_sqrt_pd(_mm256_add_pd(_mm256_mul_pd(sn, sn),
                                                     _mm256_mul_pd(g, g)));
                sigma = _mm256_mul_pd(_mm256_sub_pd(sn2, sn), ialph);
                z     = _mm256_add_pd(
                        z, _mm256_sub_pd(g, _mm256_mul_pd(
                                                    sigma,
                                                    _mm256_loadu_pd(w + i))));
                lo = _mm256_unpacklo_pd(z, sn2); /* (z0 sn0 | z2 sn2) */
                hi = _mm256_unpackhi_pd(z, sn2); /* (z1 sn1 | z3 sn3) */
                _mm_storeu_pd(&k0->z, _mm256_castpd256_pd128(lo));
                _mm_storeu_pd(&k1->z, _mm256_castpd256_pd128(hi));
                _mm_storeu_pd(&k2->z, _mm256_extractf128_pd(lo, 1));
                _mm_storeu_pd(&k3->z, _mm256_extractf128_pd(hi, 1));
        }
        sparse_update_scalar(m, slots + i, vals + i, w + i, nnz - i, g0);
}
#else
static int ftrl_cpu_has_avx(void)
{
        return 0;
}
#endif

static double sparse_margin(const vg_ftrl_t *m, const uint32_t *slots,
                            const double *vals, int nnz, double *w)
{
#if FTRL_HAVE_AVX
        if (m->simd)
                return sparse_margin_avx(m, slots, vals, nnz, w);
#endif
        return sparse_margin_scalar(m, slots, vals, nnz, w);
}

static void sparse_update(const vg_ftrl_t *m, const uint32_t *slots,
                          const double *vals, const double *w, int nnz,
                          double g0)
{
#if FTRL_HAVE_AVX
        if (m->simd) {
                sparse_update_avx(m, slots, vals, w, nnz, g0);
                return;
        }
#endif
        sparse_update_scalar(m, slots, vals, w, nnz, g0);
}

static double sigmoid(double margin)
{
        if (margin > FTRL_MARGIN_MAX)
                margin = FTRL_MARGIN_MAX;
        else if (margin < -FTRL_MARGIN_MAX)
                margin = -FTRL_MARGIN_MAX;
        return 1.0 / (1.0 + exp(-margin));
}

static int dense_n(const vg_ftrl_t *m, const vg_features_t *x)
{
        int n = vg_features_n_dense(x);
        return n < m->conf.n_dense ? n : m->conf.n_dense;
}

double vg_ftrl_predict(vg_ftrl_t *m, const vg_features_t *x)
{
        const uint32_t *slots   = vg_features_slots(x);
        const double *vals      = vg_features_values(x);
        int nnz = vg_features_nnz(x), nd = dense_n(m, x);
        double margin = m->bias_w;

        if (nnz > m->scratch_cap) {
                while (nnz > m->scratch_cap)
                        m->scratch_cap *= 2;
                m->scratch = vg_realloc(m->scratch,
                                        m->scratch_cap * sizeof(double));
        }
        /* Issue every load first: the slots are random, the misses overlap */
        for (int i = 0; i < nnz; i++)
                __builtin_prefetch(&m->w[slots[i] & m->mask]);
        margin += sparse_margin(m, slots, vals, nnz, m->scratch);
        if (nd > 0)
                margin += cblas_ddot(nd, m->dw, 1, vg_features_dense(x), 1);
        m->last_x   = x;
        m->last_gen = vg_features_gen(x);
        m->last_p   = sigmoid(margin);
        return m->last_p;
}

void vg_ftrl_learn(vg_ftrl_t *m, const vg_features_t *x, int y)
{
        const vg_ftrl_conf_t *c = &m->conf;
        const uint32_t *slots   = vg_features_slots(x);
        const double *vals      = vg_features_values(x);
        const double *dense     = vg_features_dense(x);
        int nnz = vg_features_nnz(x), nd = dense_n(m, x);
        double p, g0;

        if (y != 0 && y != 1)
                return;
        if (m->last_x == x && m->last_gen == vg_features_gen(x))
                p = m->last_p;
        else
                p = vg_ftrl_predict(m, x);
        vg_preq_add_binary(m->preq, p, y);

        g0 = (p - y) * (y ? c->pos_weight : 1.0);
        sparse_update(m, slots, vals, m->scratch, nnz, g0);
        for (int i = 0; i < nd; i++) {
                if (dense[i] == 0.0)
                        continue;
                coord_update(m, &m->dc[i], m->dw[i], g0 * dense[i]);
                m->dw[i] = coord_weight(m, &m->dc[i], c->l1, c->l2);
        }
        coord_update(m, &m->bias, m->bias_w, g0);
        m->bias_w = coord_weight(m, &m->bias, 0.0, 0.0);

        /* Names of features that carry a weight (the only ones an
         * explanation shows), sampled 1 learn in 16: the dictionary keeps the
         * heaviest per entry and touches a name only when it admits one, so
         * frequent, heavy features get in and stay. */
        if (m->dict && (m->n_learned & 15) == 0)
                vg_featdict_remember_weighted(m->dict, x, m->scratch);
        m->n_learned++;
        m->last_x = NULL; /* weights changed */
}

int vg_ftrl_explain(vg_ftrl_t *m, const vg_features_t *x, vg_contrib_t *out,
                    int k)
{
        const vg_ftrl_conf_t *c = &m->conf;
        const uint32_t *slots   = vg_features_slots(x);
        const double *vals      = vg_features_values(x);
        const double *dense     = vg_features_dense(x);
        int nnz = vg_features_nnz(x), nd = dense_n(m, x), n = 0;
        vg_contrib_t *t;

        for (int i = 0; i < nnz; i++) {
                double w = coord_weight(m, &m->w[slots[i] & m->mask], c->l1,
                                        c->l2);
                if (w * vals[i] != 0.0 &&
                    vg_contrib_offer(out, &n, k, w * vals[i], &t))
                        vg_features_describe(x, i, m->dict, t->name,
                                             sizeof(t->name));
        }
        for (int i = 0; i < nd; i++) {
                if (m->dw[i] * dense[i] == 0.0 ||
                    !vg_contrib_offer(out, &n, k, m->dw[i] * dense[i], &t))
                        continue;
                if (m->dense_names[i])
                        vg_strlcpy(t->name, m->dense_names[i],
                                   sizeof(t->name));
                else
                        snprintf(t->name, sizeof(t->name), "dense[%d]", i);
        }
        if (m->bias_w != 0.0 && vg_contrib_offer(out, &n, k, m->bias_w, &t))
                vg_strlcpy(t->name, "bias", sizeof(t->name));
        return n;
}

const vg_preq_t *vg_ftrl_preq(const vg_ftrl_t *m)
{
        return m->preq;
}

uint64_t vg_ftrl_n_learned(const vg_ftrl_t *m)
{
        return m->n_learned;
}

size_t vg_ftrl_nnz_weights(const vg_ftrl_t *m)
{
        size_t n = 0;

        for (size_t i = 0; i <= m->mask; i++)
                n += fabs(m->w[i].z) > m->conf.l1;
        return n;
}

size_t vg_ftrl_memory(const vg_ftrl_t *m)
{
        size_t sz = sizeof(*m) + ((size_t)m->mask + 1) * sizeof(*m->w) +
                    (size_t)m->conf.n_dense *
                            (sizeof(*m->dc) + sizeof(double) + sizeof(char *)) +
                    (size_t)m->scratch_cap * sizeof(double) +
                    vg_preq_memory(m->preq);
        if (m->dict)
                sz += vg_featdict_memory(m->dict);
        return sz;
}

/* ---- snapshot ---------------------------------------------------------- */

static void put_conf(vg_snap_writer_t *sw, const vg_ftrl_conf_t *c)
{
        vg_snap_put_f64(sw, c->alpha);
        vg_snap_put_f64(sw, c->beta);
        vg_snap_put_f64(sw, c->l1);
        vg_snap_put_f64(sw, c->l2);
        vg_snap_put_f64(sw, c->pos_weight);
        vg_snap_put_u32(sw, (uint32_t)c->hash_bits);
        vg_snap_put_u32(sw, (uint32_t)c->n_dense);
        vg_snap_put_u64(sw, c->names_cap);
}

static void get_conf(vg_snap_reader_t *sr, vg_ftrl_conf_t *c)
{
        vg_ftrl_conf_init(c);
        c->alpha      = vg_snap_get_f64(sr);
        c->beta       = vg_snap_get_f64(sr);
        c->l1         = vg_snap_get_f64(sr);
        c->l2         = vg_snap_get_f64(sr);
        c->pos_weight = vg_snap_get_f64(sr);
        c->hash_bits  = (int)vg_snap_get_u32(sr);
        c->n_dense    = (int)vg_snap_get_u32(sr);
        c->names_cap  = (size_t)vg_snap_get_u64(sr);
}

void *vg_ftrl_save(const vg_ftrl_t *m, size_t *lenp)
{
        vg_snap_writer_t *sw = vg_snap_writer_new(VG_SNAP_KIND_FTRL);
        uint64_t used = 0;

        put_conf(sw, &m->conf);
        vg_snap_put_u64(sw, m->n_learned);
        vg_snap_put_f64(sw, m->bias.z);
        vg_snap_put_f64(sw, m->bias.sn);
        vg_snap_put_f64(sw, m->bias_w);
        for (int i = 0; i < m->conf.n_dense; i++) {
                vg_snap_put_f64(sw, m->dc[i].z);
                vg_snap_put_f64(sw, m->dc[i].sn);
                vg_snap_put_f64(sw, m->dw[i]);
                vg_snap_put_str(sw, m->dense_names[i]);
        }
        /* Sparse coordinates: only those touched (sn != 0 once updated). */
        for (size_t i = 0; i <= m->mask; i++)
                used += m->w[i].sn != 0.0 || m->w[i].z != 0.0;
        vg_snap_put_u64(sw, used);
        for (size_t i = 0; i <= m->mask; i++) {
                if (m->w[i].sn == 0.0 && m->w[i].z == 0.0)
                        continue;
                vg_snap_put_u32(sw, (uint32_t)i);
                vg_snap_put_f64(sw, m->w[i].z);
                vg_snap_put_f64(sw, m->w[i].sn);
        }
        vg_snap_put_u8(sw, m->dict != NULL);
        if (m->dict)
                vg_featdict_write(m->dict, sw);
        vg_preq_write(m->preq, sw);
        return vg_snap_writer_finish(sw, lenp);
}

static void read_body(vg_ftrl_t *m, vg_snap_reader_t *sr)
{
        uint64_t used;

        m->n_learned = vg_snap_get_u64(sr);
        m->bias.z    = vg_snap_get_f64(sr);
        m->bias.sn   = vg_snap_get_f64(sr);
        m->bias_w    = vg_snap_get_f64(sr);
        for (int i = 0; i < m->conf.n_dense && vg_snap_ok(sr); i++) {
                m->dc[i].z        = vg_snap_get_f64(sr);
                m->dc[i].sn       = vg_snap_get_f64(sr);
                m->dw[i]          = vg_snap_get_f64(sr);
                m->dense_names[i] = vg_snap_get_str(sr);
        }
        used = vg_snap_get_u64(sr);
        if (used > (uint64_t)m->mask + 1)
                vg_snap_fail(sr, "ftrl: %llu coordinates for %u slots",
                             (unsigned long long)used, m->mask + 1);
        for (uint64_t j = 0; j < used && vg_snap_ok(sr); j++) {
                uint32_t i = vg_snap_get_u32(sr);
                double z = vg_snap_get_f64(sr), sn = vg_snap_get_f64(sr);
                if (i > m->mask || !isfinite(z) || !(sn >= 0)) {
                        vg_snap_fail(sr, "ftrl: bad coordinate %u", i);
                        break;
                }
                m->w[i].z  = z;
                m->w[i].sn = sn;
        }
        vg_featdict_destroy(m->dict);
        m->dict = NULL;
        if (vg_snap_get_u8(sr))
                m->dict = vg_featdict_read(sr);
        vg_preq_destroy(m->preq);
        m->preq = vg_snap_ok(sr) ? vg_preq_read(sr) : NULL;
}

vg_ftrl_t *vg_ftrl_load(const void *buf, size_t len, char *errstr,
                        size_t errstr_size)
{
        vg_snap_reader_t *sr = vg_snap_reader_new(buf, len, VG_SNAP_KIND_FTRL,
                                                  errstr, errstr_size);
        vg_ftrl_conf_t conf;
        vg_ftrl_t *m = NULL;
        char err[160];

        if (!sr)
                return NULL;
        get_conf(sr, &conf);
        if (vg_snap_ok(sr) && !(m = vg_ftrl_new(&conf, err, sizeof(err))))
                vg_snap_fail(sr, "%s", err);
        if (m)
                read_body(m, sr);
        if (vg_snap_reader_destroy(sr, errstr, errstr_size) != VG_OK ||
            !m) {
                vg_ftrl_destroy(m);
                return NULL;
        }
        return m;
}
