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
};

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
        const vg_ftrl_conf_t *c = &m->conf;
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
        for (int i = 0; i < nnz; i++) {
                double w = coord_weight(m, &m->w[slots[i] & m->mask], c->l1,
                                        c->l2);
                m->scratch[i] = w;
                margin += w * vals[i];
        }
        if (nd > 0)
                margin += cblas_ddot(nd, m->dw, 1, vg_features_dense(x), 1);
        m->last_x   = x;
        m->last_gen = vg_features_gen(x);
        m->last_p   = sigmoid(margin);
        return m->last_p;
}

static inline void coord_update(const vg_ftrl_t *m, ftrl_coord_t *k,
                                double w, double g)
{
        double sn2   = sqrt(k->sn * k->sn + g * g);
        double sigma = (sn2 - k->sn) * m->inv_alpha;

        k->z += g - sigma * w;
        k->sn = sn2;
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
        for (int i = 0; i < nnz; i++)
                coord_update(m, &m->w[slots[i] & m->mask], m->scratch[i],
                             g0 * vals[i]);
        for (int i = 0; i < nd; i++) {
                if (dense[i] == 0.0)
                        continue;
                coord_update(m, &m->dc[i], m->dw[i], g0 * dense[i]);
                m->dw[i] = coord_weight(m, &m->dc[i], c->l1, c->l2);
        }
        coord_update(m, &m->bias, m->bias_w, g0);
        m->bias_w = coord_weight(m, &m->bias, 0.0, 0.0);

        /* Names of features that carry a weight (the only ones an
         * explanation shows), sampled 1 learn in 4: the dictionary keeps the
         * heaviest per entry and touches a name only when it admits one, so
         * frequent, heavy features get in and stay. */
        if (m->dict && (m->n_learned & 3) == 0)
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
                        snprintf(t->name, sizeof(t->name), "%s",
                                 m->dense_names[i]);
                else
                        snprintf(t->name, sizeof(t->name), "dense[%d]", i);
        }
        if (m->bias_w != 0.0 && vg_contrib_offer(out, &n, k, m->bias_w, &t))
                snprintf(t->name, sizeof(t->name), "bias");
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
