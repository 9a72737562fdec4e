/**
 * @file vg_softmax.c
 * @brief Multiclass FTRL-Proximal softmax regression, classes discovered
 *        online; a feature's weights for all classes in one row of cache
 *        lines of a table of at most 2^hash_bits coordinates.
 *
 * Per event of n non-zeros and K classes, the work is dense over the K
 * classes of the n touched rows only (a softmax gradient is non-zero for
 * every class): forward computes the K x n weights once (one division
 * each, from z and sn) and keeps them for learn, which updates the same
 * rows in place (one square root each). L1 and L2 are FTRL-Proximal's, in
 * closed form from z and sn, so untouched rows cost nothing. No allocation
 * once the scratch fits the largest event.
 */
#include "vg_softmax.h"
#include "vg_hash.h"
#include "vg_mem.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define GROUP        4  /* classes per group, a group per cache line */
#define MIN_ROW_BITS 4  /* at least 16 rows at max_classes */
#define NAMES_CAP    4096
#define PREFETCH     4  /* rows asked for ahead */
/* First u64 of a snapshot's payload: layout 2 (rows of classes). As a
 * double it is a NaN, so a loader of layout 1 (whose payload began with
 * alpha) refuses it ("alpha must be > 0"). */
#define SNAP_LAYOUT  UINT64_C(0x7ff8534d58000002)

/* The weights of one feature for classes 4j..4j+3. */
typedef struct {
        double z[GROUP];
        double sn[GROUP]; /* sqrt(sum of squared gradients) */
} group_t;

typedef struct {
        double z;
        double sn;
} coord_t;

struct vg_softmax_s {
        vg_softmax_conf_t conf;
        double inv_alpha;
        /* 2^row_bits rows of stride groups, stride = ceil(k / GROUP) */
        group_t *w;            /* 64-byte aligned in w_mem */
        void *w_mem;
        int row_bits;
        int stride;
        int k;                 /* classes */
        char **labels;         /* max_classes */
        coord_t *bias;         /* max_classes */
        double *bias_w;
        int *lut;              /* open addressing label -> class, -1 empty */
        uint32_t lut_mask;
        uint64_t n_refused;
        uint64_t n_learned;
        vg_featdict_t *dict;
        vg_preq_t *preq;
        /* last prediction */
        const vg_features_t *last_x;
        uint64_t last_gen;
        int last_k;
        double *probs;         /* max_classes rounded up to GROUP; 0 past k */
        double *grad;          /* same: p - y of the class learned */
        double *scratch;       /* nnz x (stride * GROUP) weights */
        size_t scratch_cap;
        uint32_t *rows;        /* nnz rows */
        int rows_cap;
};

void vg_softmax_conf_init(vg_softmax_conf_t *conf)
{
        memset(conf, 0, sizeof(*conf));
        conf->alpha       = 0.1;
        conf->beta        = 1.0;
        conf->l1          = 0.5;
        conf->l2          = 1.0;
        conf->hash_bits   = 20;
        conf->max_classes = 256;
        vg_preq_conf_init(&conf->preq);
        conf->preq.auc_window = 0; /* AUC is binary only */
}

static int ceil_log2(int n)
{
        int b = 0;

        while ((1 << b) < n)
                b++;
        return b;
}

/* Rows of the table for k classes: 2^hash_bits coordinates at most. */
static int row_bits_for(int hash_bits, int k)
{
        return hash_bits - ceil_log2(k < GROUP ? GROUP : k);
}

static const char *softmax_conf_check(const vg_softmax_conf_t *c)
{
        if (!(c->alpha > 0 && isfinite(c->alpha)) ||
            !(c->beta >= 0 && isfinite(c->beta)))
                return "alpha must be > 0 and beta >= 0";
        if (!(c->l1 >= 0 && isfinite(c->l1)) ||
            !(c->l2 >= 0 && isfinite(c->l2)))
                return "l1 and l2 must be >= 0";
        if (c->hash_bits < 8 || c->hash_bits > VG_FEATURES_BITS_MAX)
                return "hash_bits out of range [8, 30]";
        if (c->max_classes < 2 || c->max_classes > 65536)
                return "max_classes out of range [2, 65536]";
        if (row_bits_for(c->hash_bits, c->max_classes) < MIN_ROW_BITS)
                return "max_classes too large for hash_bits (at most "
                       "2^(hash_bits - 4))";
        return NULL;
}

vg_softmax_t *vg_softmax_new(const vg_softmax_conf_t *conf, char *errstr,
                             size_t errstr_size)
{
        const char *why = softmax_conf_check(conf);
        vg_softmax_t *sm;
        char err[128];
        uint32_t lut_size = 1;
        int padded;

        if (why) {
                snprintf(errstr, errstr_size, "softmax: %s", why);
                return NULL;
        }
        sm       = vg_calloc(1, sizeof(*sm));
        sm->conf = *conf;
        if (!(sm->preq = vg_preq_new(&conf->preq, err, sizeof(err)))) {
                snprintf(errstr, errstr_size, "softmax: %s", err);
                vg_free(sm);
                return NULL;
        }
        while (lut_size < 2u * (uint32_t)conf->max_classes)
                lut_size <<= 1;
        padded        = (conf->max_classes + GROUP - 1) / GROUP * GROUP;
        sm->inv_alpha = 1.0 / conf->alpha;
        sm->row_bits  = row_bits_for(conf->hash_bits, 0); /* no table yet */
        sm->labels    = vg_calloc(conf->max_classes, sizeof(char *));
        sm->bias      = vg_calloc(conf->max_classes, sizeof(coord_t));
        sm->bias_w    = vg_calloc(conf->max_classes, sizeof(double));
        sm->probs     = vg_calloc(padded, sizeof(double));
        sm->grad      = vg_calloc(padded, sizeof(double));
        sm->lut       = vg_malloc(lut_size * sizeof(int));
        sm->lut_mask  = lut_size - 1;
        memset(sm->lut, 0xff, lut_size * sizeof(int));
        sm->dict = vg_featdict_new(NAMES_CAP);
        return sm;
}

void vg_softmax_destroy(vg_softmax_t *sm)
{
        if (!sm)
                return;
        for (int c = 0; c < sm->k; c++)
                vg_free(sm->labels[c]);
        vg_free(sm->labels);
        vg_free(sm->w_mem);
        vg_free(sm->bias);
        vg_free(sm->bias_w);
        vg_free(sm->probs);
        vg_free(sm->grad);
        vg_free(sm->lut);
        vg_free(sm->scratch);
        vg_free(sm->rows);
        vg_featdict_destroy(sm->dict);
        vg_preq_destroy(sm->preq);
        vg_free(sm);
}

/* ---- classes ----------------------------------------------------------- */

static uint32_t lut_pos(const vg_softmax_t *sm, const char *label)
{
        return (uint32_t)vg_hash64_str(label, 0x5eed) & sm->lut_mask;
}

int vg_softmax_class(const vg_softmax_t *sm, const char *label)
{
        for (uint32_t p = lut_pos(sm, label);; p = (p + 1) & sm->lut_mask) {
                int c = sm->lut[p];
                if (c < 0)
                        return -1;
                if (!strcmp(sm->labels[c], label))
                        return c;
        }
}

static int add_class(vg_softmax_t *sm, const char *label)
{
        uint32_t p = lut_pos(sm, label);
        int c      = sm->k++;

        while (sm->lut[p] >= 0)
                p = (p + 1) & sm->lut_mask;
        sm->lut[p]     = c;
        sm->labels[c]  = vg_strdup(label);
        sm->bias[c].z  = 0;
        sm->bias[c].sn = 0;
        sm->bias_w[c]  = 0;
        return c;
}

const char *vg_softmax_label(const vg_softmax_t *sm, int cls)
{
        return cls >= 0 && cls < sm->k ? sm->labels[cls] : NULL;
}

int vg_softmax_n_classes(const vg_softmax_t *sm)
{
        return sm->k;
}

uint64_t vg_softmax_n_refused(const vg_softmax_t *sm)
{
        return sm->n_refused;
}

/* ---- the table --------------------------------------------------------- */

/* Row of a feature: the top row_bits bits of its hash, of which its slot
 * holds the top x_bits. */
static inline uint32_t row_of(int row_bits, uint32_t slot, int x_bits)
{
        return x_bits >= row_bits ? slot >> (x_bits - row_bits)
                                  : slot << (row_bits - x_bits);
}

static group_t *table_new(int row_bits, int stride, void **memp)
{
        size_t n  = ((size_t)stride << row_bits) + 1;
        char *mem = vg_calloc(n, sizeof(group_t));

        *memp = mem;
        return (group_t *)(mem + (-(uintptr_t)mem & (sizeof(group_t) - 1)));
}

/* Lays the table out for sm->k classes: a row widens when k passes a
 * multiple of GROUP, and pairs of rows fold into one when the class count
 * rounded up to a power of 2 doubles (a feature's row is the top bits of
 * its hash: rows 2r and 2r+1 become row r, their z added and their sn
 * combined as sqrt(sn1^2 + sn2^2), as for colliding features). */
static void layout(vg_softmax_t *sm)
{
        int rb     = row_bits_for(sm->conf.hash_bits, sm->k);
        int stride = (sm->k + GROUP - 1) / GROUP, d = sm->row_bits - rb;
        size_t rows_old = (size_t)1 << sm->row_bits;
        group_t *w;
        void *mem;

        if (stride == sm->stride && rb == sm->row_bits)
                return;
        w = table_new(rb, stride, &mem);
        for (size_t r = 0; sm->w && r < rows_old; r++) {
                const group_t *o = sm->w + r * sm->stride;
                group_t *n       = w + (r >> d) * stride;
                for (int j = 0; j < sm->stride; j++) {
                        for (int l = 0; l < GROUP; l++) {
                                double a = n[j].sn[l], b = o[j].sn[l];
                                n[j].z[l] += o[j].z[l];
                                n[j].sn[l] = a == 0 ? b : sqrt(a * a + b * b);
                        }
                }
        }
        vg_free(sm->w_mem);
        sm->w        = w;
        sm->w_mem    = mem;
        sm->row_bits = rb;
        sm->stride   = stride;
}

/* ---- model ------------------------------------------------------------- */

/* The weights of one group from its z and sn, FTRL-Proximal's closed form
 * w = -sign(z) max(|z| - l1, 0) / ((beta + sn) / alpha + l2), into w[0..4).
 * SSE2 (x86-64's baseline) does two classes per instruction; both paths
 * give the same bits (IEEE operations, same order, no contraction). */
static inline void group_weights(const vg_softmax_t *sm,
                                 const group_t *restrict g,
                                 double *restrict w)
{
#ifdef __SSE2__
        const __m128d l1 = _mm_set1_pd(sm->conf.l1);
        const __m128d l2 = _mm_set1_pd(sm->conf.l2);
        const __m128d beta = _mm_set1_pd(sm->conf.beta);
        const __m128d ia = _mm_set1_pd(sm->inv_alpha);
        const __m128d sign = _mm_set1_pd(-0.0);

        for (int l = 0; l < GROUP; l += 2) {
                __m128d z  = _mm_load_pd(g->z + l);
                __m128d sn = _mm_load_pd(g->sn + l);
                __m128d a  = _mm_sub_pd(_mm_andnot_pd(sign, z), l1);
                __m128d d  = _mm_add_pd(
                        _mm_mul_pd(_mm_add_pd(beta, sn), ia), l2);
                a = _mm_max_pd(a, _mm_setzero_pd());
                a = _mm_or_pd(a, _mm_andnot_pd(z, sign)); /* sign of -z */
                _mm_storeu_pd(w + l, _mm_div_pd(a, d));
        }
#else
        const double l1 = sm->conf.l1, l2 = sm->conf.l2;
        const double beta = sm->conf.beta, ia = sm->inv_alpha;

        for (int l = 0; l < GROUP; l++) {
                double z = g->z[l], a = fabs(z) - l1;
                a    = a > 0 ? a : 0;
                w[l] = copysign(a, -z) / ((beta + g->sn[l]) * ia + l2);
        }
#endif
}

static void reserve(vg_softmax_t *sm, int nnz)
{
        size_t need = (size_t)nnz * sm->stride * GROUP;

        if (need > sm->scratch_cap) {
                sm->scratch_cap = sm->scratch_cap ? sm->scratch_cap : 1024;
                while (need > sm->scratch_cap)
                        sm->scratch_cap *= 2;
                vg_free(sm->scratch);
                sm->scratch = vg_malloc(sm->scratch_cap * sizeof(double));
        }
        if (nnz > sm->rows_cap) {
                sm->rows_cap = nnz > 2 * sm->rows_cap ? nnz : 2 * sm->rows_cap;
                vg_free(sm->rows);
                sm->rows = vg_malloc(sm->rows_cap * sizeof(uint32_t));
        }
}

/* Asks for the cache lines of row r (features ahead of the one being
 * computed, so that memory and arithmetic overlap). */
static inline void prefetch_row(const vg_softmax_t *sm, uint32_t r)
{
        const group_t *g = sm->w + (size_t)r * sm->stride;

        for (int j = 0; j < sm->stride; j++)
                __builtin_prefetch(g + j);
}

/* Computes probs[0..k) for x and keeps its rows and weights for learn. */
static void forward(vg_softmax_t *sm, const vg_features_t *x)
{
        const uint32_t *slots = vg_features_slots(x);
        const double *vals    = vg_features_values(x);
        int nnz = vg_features_nnz(x), K = sm->k, S = sm->stride;
        int W = S * GROUP, xb = vg_features_hash_bits(x);
        double *restrict m = sm->probs, mx = -INFINITY, sum = 0;

        reserve(sm, nnz);
        for (int i = 0; i < nnz; i++)
                sm->rows[i] = row_of(sm->row_bits, slots[i], xb);
        for (int i = 0; i < nnz && i < PREFETCH; i++)
                prefetch_row(sm, sm->rows[i]);
        memcpy(m, sm->bias_w, K * sizeof(double));
        memset(m + K, 0, (W - K) * sizeof(double));
        for (int i = 0; i < nnz; i++) {
                const group_t *g   = sm->w + (size_t)sm->rows[i] * S;
                double *restrict w = sm->scratch + (size_t)i * W, v = vals[i];
                if (i + PREFETCH < nnz)
                        prefetch_row(sm, sm->rows[i + PREFETCH]);
                for (int j = 0; j < S; j++)
                        group_weights(sm, &g[j], w + j * GROUP);
                for (int c = 0; c < W; c++)
                        m[c] += w[c] * v;
        }
        for (int c = 0; c < K; c++)
                mx = m[c] > mx ? m[c] : mx;
        for (int c = 0; c < K; c++) {
                m[c] = exp(m[c] - mx);
                sum += m[c];
        }
        for (int c = 0; c < K; c++)
                m[c] /= sum;
        memset(m + K, 0, (W - K) * sizeof(double));
        sm->last_x   = x;
        sm->last_gen = vg_features_gen(x);
        sm->last_k   = K;
}

static int cached(const vg_softmax_t *sm, const vg_features_t *x)
{
        return sm->last_x == x && sm->last_gen == vg_features_gen(x) &&
               sm->last_k == sm->k;
}

int vg_softmax_predict(vg_softmax_t *sm, const vg_features_t *x,
                       vg_class_prob_t *top, int k)
{
        int n = 0;

        if (sm->k == 0)
                return 0;
        if (!cached(sm, x))
                forward(sm, x);
        for (int c = 0; c < sm->k; c++) {
                double p = sm->probs[c];
                int pos;
                if (k <= 0 || (n == k && p <= top[k - 1].p))
                        continue;
                if (n < k)
                        n++;
                for (pos = n - 1; pos > 0 && top[pos - 1].p < p; pos--)
                        top[pos] = top[pos - 1];
                top[pos].cls   = c;
                top[pos].label = sm->labels[c];
                top[pos].p     = p;
        }
        return n;
}

/* Scores the pre-update prediction; @returns the class or -1. */
static int score_and_resolve(vg_softmax_t *sm, const char *label)
{
        int cls = vg_softmax_class(sm, label), rank = 0;

        if (cls < 0) {
                vg_preq_add_multi(sm->preq, 0.0, -1);
                if (sm->k >= sm->conf.max_classes) {
                        sm->n_refused++;
                        return -1;
                }
                cls = add_class(sm, label);
                layout(sm);
                return cls;
        }
        for (int c = 0; c < sm->k; c++)
                rank += sm->probs[c] > sm->probs[cls];
        vg_preq_add_multi(sm->preq, sm->probs[cls], rank);
        return cls;
}

/* One FTRL-Proximal step of a row, gradient grad[c] * v for class c, from
 * the weights w it had in forward:
 * sn' = sqrt(sn^2 + g^2), z += g - (sn' - sn) / alpha * w, sn = sn'. */
static inline void row_update(const vg_softmax_t *sm, group_t *restrict g,
                              const double *restrict w,
                              const double *restrict grad, double v)
{
#ifdef __SSE2__
        const __m128d ia = _mm_set1_pd(sm->inv_alpha), vv = _mm_set1_pd(v);

        for (int j = 0; j < sm->stride; j++, g++, w += GROUP, grad += GROUP) {
                for (int l = 0; l < GROUP; l += 2) {
                        __m128d gr  = _mm_mul_pd(_mm_loadu_pd(grad + l), vv);
                        __m128d sn  = _mm_load_pd(g->sn + l);
                        __m128d sn2 = _mm_sqrt_pd(_mm_add_pd(
                                _mm_mul_pd(sn, sn), _mm_mul_pd(gr, gr)));
                        __m128d t   = _mm_mul_pd(
                                _mm_mul_pd(_mm_sub_pd(sn2, sn), ia),
                                _mm_loadu_pd(w + l));
                        _mm_store_pd(g->z + l,
                                     _mm_add_pd(_mm_load_pd(g->z + l),
                                                _mm_sub_pd(gr, t)));
                        _mm_store_pd(g->sn + l, sn2);
                }
        }
#else
        const double ia = sm->inv_alpha;

        for (int j = 0; j < sm->stride; j++, g++, w += GROUP, grad += GROUP) {
                for (int l = 0; l < GROUP; l++) {
                        double gr = grad[l] * v, sn = g->sn[l];
                        double sn2 = sqrt(sn * sn + gr * gr);
                        g->z[l] += gr - (sn2 - sn) * ia * w[l];
                        g->sn[l] = sn2;
                }
        }
#endif
}

static inline void bias_update(const vg_softmax_conf_t *c, coord_t *k,
                               double w, double g)
{
        double sn2 = sqrt(k->sn * k->sn + g * g);

        k->z += g - (sn2 - k->sn) / c->alpha * w;
        k->sn = sn2;
}

int vg_softmax_learn(vg_softmax_t *sm, const vg_features_t *x,
                     const char *label)
{
        const double *vals = vg_features_values(x);
        int nnz = vg_features_nnz(x), cls, K, W;

        if (sm->k > 0 && !cached(sm, x))
                forward(sm, x);
        if ((cls = score_and_resolve(sm, label)) < 0)
                return -1;
        if (!cached(sm, x))
                forward(sm, x); /* a class was added */
        K = sm->k;
        W = sm->stride * GROUP;
        for (int c = 0; c < W; c++) /* probs are 0 past k */
                sm->grad[c] = sm->probs[c] - (c == cls);
        for (int i = 0; i < nnz; i++)
                row_update(sm, sm->w + (size_t)sm->rows[i] * sm->stride,
                           sm->scratch + (size_t)i * W, sm->grad, vals[i]);
        for (int c = 0; c < K; c++) {
                bias_update(&sm->conf, &sm->bias[c], sm->bias_w[c],
                            sm->grad[c]);
                sm->bias_w[c] = -sm->bias[c].z /
                                ((sm->conf.beta + sm->bias[c].sn) /
                                 sm->conf.alpha);
        }
        if ((sm->n_learned++ & 3) == 0) /* sampled, as in vg_ftrl.c */
                vg_featdict_remember(sm->dict, x);
        sm->last_x = NULL;
        return cls;
}

int vg_softmax_explain(vg_softmax_t *sm, const vg_features_t *x, int cls,
                       vg_contrib_t *out, int k)
{
        const uint32_t *slots = vg_features_slots(x);
        const double *vals    = vg_features_values(x);
        int n = 0, xb = vg_features_hash_bits(x);
        vg_contrib_t *t;

        if (cls < 0 || cls >= sm->k)
                return 0;
        for (int i = 0; i < vg_features_nnz(x); i++) {
                uint32_t r = row_of(sm->row_bits, slots[i], xb);
                double w[GROUP], c;
                group_weights(sm, sm->w + (size_t)r * sm->stride + cls / GROUP,
                              w);
                c = w[cls % GROUP] * vals[i];
                if (c != 0.0 && vg_contrib_offer(out, &n, k, c, &t))
                        vg_features_describe(x, i, sm->dict, t->name,
                                             sizeof(t->name));
        }
        return n;
}

const vg_preq_t *vg_softmax_preq(const vg_softmax_t *sm)
{
        return sm->preq;
}

size_t vg_softmax_memory(const vg_softmax_t *sm)
{
        size_t padded = (size_t)(sm->conf.max_classes + GROUP - 1) / GROUP *
                        GROUP;
        size_t sz     = sizeof(*sm) +
                    (sm->w ? (((size_t)sm->stride << sm->row_bits) + 1) *
                                     sizeof(group_t)
                           : 0) +
                    (size_t)sm->conf.max_classes *
                            (sizeof(char *) + sizeof(coord_t) +
                             sizeof(double)) +
                    padded * 2 * sizeof(double) +
                    ((size_t)sm->lut_mask + 1) * sizeof(int) +
                    sm->scratch_cap * sizeof(double) +
                    (size_t)sm->rows_cap * sizeof(uint32_t) +
                    vg_featdict_memory(sm->dict) + vg_preq_memory(sm->preq);
        for (int c = 0; c < sm->k; c++)
                sz += strlen(sm->labels[c]) + 1;
        return sz;
}

/* ---- snapshot ---------------------------------------------------------- */

static int row_used(const vg_softmax_t *sm, const group_t *g)
{
        for (int c = 0; c < sm->k; c++)
                if (g[c / GROUP].z[c % GROUP] != 0.0 ||
                    g[c / GROUP].sn[c % GROUP] != 0.0)
                        return 1;
        return 0;
}

void *vg_softmax_save(const vg_softmax_t *sm, size_t *lenp)
{
        vg_snap_writer_t *sw = vg_snap_writer_new(VG_SNAP_KIND_SOFTMAX);
        size_t rows = sm->w ? (size_t)1 << sm->row_bits : 0;
        uint64_t used = 0;

        vg_snap_put_u64(sw, SNAP_LAYOUT);
        vg_snap_put_f64(sw, sm->conf.alpha);
        vg_snap_put_f64(sw, sm->conf.beta);
        vg_snap_put_f64(sw, sm->conf.l1);
        vg_snap_put_f64(sw, sm->conf.l2);
        vg_snap_put_u32(sw, (uint32_t)sm->conf.hash_bits);
        vg_snap_put_u32(sw, (uint32_t)sm->conf.max_classes);
        vg_snap_put_u64(sw, sm->n_refused);
        vg_snap_put_u64(sw, sm->n_learned);
        vg_snap_put_u32(sw, (uint32_t)sm->k);
        for (int c = 0; c < sm->k; c++) {
                vg_snap_put_str(sw, sm->labels[c]);
                vg_snap_put_f64(sw, sm->bias[c].z);
                vg_snap_put_f64(sw, sm->bias[c].sn);
                vg_snap_put_f64(sw, sm->bias_w[c]);
        }
        /* The rows with a non-zero coordinate: row, then z and sn of each
         * class. */
        for (size_t r = 0; r < rows; r++)
                used += row_used(sm, sm->w + r * sm->stride);
        vg_snap_put_u64(sw, used);
        for (size_t r = 0; r < rows; r++) {
                const group_t *g = sm->w + r * sm->stride;
                if (!row_used(sm, g))
                        continue;
                vg_snap_put_u32(sw, (uint32_t)r);
                for (int c = 0; c < sm->k; c++) {
                        vg_snap_put_f64(sw, g[c / GROUP].z[c % GROUP]);
                        vg_snap_put_f64(sw, g[c / GROUP].sn[c % GROUP]);
                }
        }
        vg_featdict_write(sm->dict, sw);
        vg_preq_write(sm->preq, sw);
        return vg_snap_writer_finish(sw, lenp);
}

static void read_body(vg_softmax_t *sm, vg_snap_reader_t *sr)
{
        uint32_t k, prev = 0;
        uint64_t used, rows;

        sm->n_refused = vg_snap_get_u64(sr);
        sm->n_learned = vg_snap_get_u64(sr);
        k             = vg_snap_get_u32(sr);
        if (k > (uint32_t)sm->conf.max_classes)
                vg_snap_fail(sr, "softmax: %u classes > cap", k);
        for (uint32_t c = 0; c < k && vg_snap_ok(sr); c++) {
                char *label = vg_snap_get_str(sr);
                if (!label || vg_softmax_class(sm, label) >= 0) {
                        vg_snap_fail(sr, "softmax: bad class label");
                        vg_free(label);
                        break;
                }
                add_class(sm, label);
                vg_free(label);
                sm->bias[c].z  = vg_snap_get_f64(sr);
                sm->bias[c].sn = vg_snap_get_f64(sr);
                sm->bias_w[c]  = vg_snap_get_f64(sr);
        }
        if (sm->k > 0)
                layout(sm);
        rows = sm->w ? (uint64_t)1 << sm->row_bits : 0;
        used = vg_snap_get_u64(sr);
        if (used > rows)
                vg_snap_fail(sr, "softmax: too many rows");
        for (uint64_t j = 0; j < used && vg_snap_ok(sr); j++) {
                uint32_t r = vg_snap_get_u32(sr);
                group_t *g;
                if (r >= rows || (j > 0 && r <= prev)) {
                        vg_snap_fail(sr, "softmax: bad row %u", r);
                        break;
                }
                prev = r;
                g    = sm->w + (size_t)r * sm->stride;
                for (int c = 0; c < sm->k; c++) {
                        double z = vg_snap_get_f64(sr), sn = vg_snap_get_f64(sr);
                        if (!isfinite(z) || !(sn >= 0) || !isfinite(sn)) {
                                vg_snap_fail(sr, "softmax: bad coordinate "
                                                 "%u/%d", r, c);
                                break;
                        }
                        g[c / GROUP].z[c % GROUP]  = z;
                        g[c / GROUP].sn[c % GROUP] = sn;
                }
        }
        vg_featdict_destroy(sm->dict);
        sm->dict = vg_snap_ok(sr) ? vg_featdict_read(sr) : NULL;
        vg_preq_destroy(sm->preq);
        sm->preq = vg_snap_ok(sr) ? vg_preq_read(sr) : NULL;
}

/* Refuses what is not layout 2, naming layout 1 (its payload began with
 * alpha, a finite positive double). */
static void read_layout(vg_snap_reader_t *sr)
{
        uint64_t tag = vg_snap_get_u64(sr);
        double alpha;

        if (!vg_snap_ok(sr) || tag == SNAP_LAYOUT)
                return;
        memcpy(&alpha, &tag, sizeof(alpha));
        if (alpha > 0 && isfinite(alpha))
                vg_snap_fail(sr, "softmax: snapshot of layout 1 (hashed "
                                 "blocks of 16 classes), no longer read: "
                                 "the model must be retrained");
        else
                vg_snap_fail(sr, "softmax: unknown snapshot layout "
                                 "0x%016llx", (unsigned long long)tag);
}

vg_softmax_t *vg_softmax_load(const void *buf, size_t len, char *errstr,
                              size_t errstr_size)
{
        vg_snap_reader_t *sr = vg_snap_reader_new(
                buf, len, VG_SNAP_KIND_SOFTMAX, errstr, errstr_size);
        vg_softmax_conf_t c;
        vg_softmax_t *sm = NULL;
        char err[160];

        if (!sr)
                return NULL;
        read_layout(sr);
        vg_softmax_conf_init(&c);
        c.alpha       = vg_snap_get_f64(sr);
        c.beta        = vg_snap_get_f64(sr);
        c.l1          = vg_snap_get_f64(sr);
        c.l2          = vg_snap_get_f64(sr);
        c.hash_bits   = (int)vg_snap_get_u32(sr);
        c.max_classes = (int)vg_snap_get_u32(sr);
        if (vg_snap_ok(sr) && !(sm = vg_softmax_new(&c, err, sizeof(err))))
                vg_snap_fail(sr, "%s", err);
        if (sm)
                read_body(sm, sr);
        if (vg_snap_reader_destroy(sr, errstr, errstr_size) != VG_OK ||
            !sm) {
                vg_softmax_destroy(sm);
                return NULL;
        }
        return sm;
}
