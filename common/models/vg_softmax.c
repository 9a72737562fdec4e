/**
 * @file vg_softmax.c
 * @brief Multiclass FTRL-Proximal softmax regression, classes discovered
 *        online, shared hashed coordinate table in blocks of 16 classes.
 */
#include "vg_softmax.h"
#include "vg_hash.h"
#include "vg_mem.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define BLOCK_BITS  4
#define BLOCK       (1 << BLOCK_BITS)
#define NAMES_CAP   4096

typedef struct {
        double z;
        double sn; /* sqrt(sum of squared gradients) */
} coord_t;

struct vg_softmax_s {
        vg_softmax_conf_t conf;
        int block_bits;        /* hash_bits - BLOCK_BITS */
        coord_t *w;            /* 2^hash_bits */
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
        double *probs;         /* max_classes */
        double *scratch;       /* nnz x k weights */
        size_t scratch_cap;
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
        return NULL;
}

vg_softmax_t *vg_softmax_new(const vg_softmax_conf_t *conf, char *errstr,
                             size_t errstr_size)
{
        const char *why = softmax_conf_check(conf);
        vg_softmax_t *sm;
        char err[128];
        uint32_t lut_size = 1;

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
        sm->block_bits = conf->hash_bits - BLOCK_BITS;
        sm->w       = vg_calloc((size_t)1 << conf->hash_bits, sizeof(coord_t));
        sm->labels  = vg_calloc(conf->max_classes, sizeof(char *));
        sm->bias    = vg_calloc(conf->max_classes, sizeof(coord_t));
        sm->bias_w  = vg_calloc(conf->max_classes, sizeof(double));
        sm->probs   = vg_calloc(conf->max_classes, sizeof(double));
        sm->lut     = vg_malloc(lut_size * sizeof(int));
        sm->lut_mask = lut_size - 1;
        memset(sm->lut, 0xff, lut_size * sizeof(int));
        sm->dict        = vg_featdict_new(NAMES_CAP);
        sm->scratch_cap = 1024;
        sm->scratch     = vg_malloc(sm->scratch_cap * sizeof(double));
        return sm;
}

void vg_softmax_destroy(vg_softmax_t *sm)
{
        if (!sm)
                return;
        for (int c = 0; c < sm->k; c++)
                vg_free(sm->labels[c]);
        vg_free(sm->labels);
        vg_free(sm->w);
        vg_free(sm->bias);
        vg_free(sm->bias_w);
        vg_free(sm->probs);
        vg_free(sm->lut);
        vg_free(sm->scratch);
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

/* ---- model ------------------------------------------------------------- */

/* First coordinate of the block of classes 16b.. for a feature slot. */
static inline coord_t *block_of(const vg_softmax_t *sm, uint32_t slot, int b)
{
        uint64_t h = vg_hash_mix64(((uint64_t)(uint32_t)b << 32) | slot);
        return sm->w + ((h >> (64 - sm->block_bits)) << BLOCK_BITS);
}

static inline double weight(const vg_softmax_conf_t *c, const coord_t *k)
{
        return -copysign(fmax(fabs(k->z) - c->l1, 0.0), k->z) /
               ((c->beta + k->sn) / c->alpha + c->l2);
}

/* Computes probs[0..k) for x and caches the per-feature weights. */
static void forward(vg_softmax_t *sm, const vg_features_t *x)
{
        const uint32_t *slots = vg_features_slots(x);
        const double *vals    = vg_features_values(x);
        int nnz = vg_features_nnz(x), K = sm->k;
        int nb = (K + BLOCK - 1) / BLOCK;
        double *m = sm->probs, mx = -INFINITY, sum = 0;

        if ((size_t)nnz * K > sm->scratch_cap) {
                while ((size_t)nnz * K > sm->scratch_cap)
                        sm->scratch_cap *= 2;
                sm->scratch = vg_realloc(sm->scratch,
                                         sm->scratch_cap * sizeof(double));
        }
        memcpy(m, sm->bias_w, K * sizeof(double));
        for (int i = 0; i < nnz; i++) {
                double *sw = sm->scratch + (size_t)i * K;
                for (int b = 0; b < nb; b++) {
                        const coord_t *blk = block_of(sm, slots[i], b);
                        int c0 = b * BLOCK, n = K - c0 < BLOCK ? K - c0 : BLOCK;
                        for (int j = 0; j < n; j++) {
                                double w   = weight(&sm->conf, &blk[j]);
                                sw[c0 + j] = w;
                                m[c0 + j] += w * vals[i];
                        }
                }
        }
        for (int c = 0; c < K; c++)
                mx = m[c] > mx ? m[c] : mx;
        for (int c = 0; c < K; c++) {
                m[c] = exp(m[c] - mx);
                sum += m[c];
        }
        for (int c = 0; c < K; c++)
                m[c] /= sum;
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

static inline void update(const vg_softmax_conf_t *c, coord_t *k, double w,
                          double g)
{
        double sn2 = sqrt(k->sn * k->sn + g * g);

        k->z += g - (sn2 - k->sn) / c->alpha * w;
        k->sn = sn2;
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
                return add_class(sm, label);
        }
        for (int c = 0; c < sm->k; c++)
                rank += sm->probs[c] > sm->probs[cls];
        vg_preq_add_multi(sm->preq, sm->probs[cls], rank);
        return cls;
}

int vg_softmax_learn(vg_softmax_t *sm, const vg_features_t *x,
                     const char *label)
{
        const uint32_t *slots = vg_features_slots(x);
        const double *vals    = vg_features_values(x);
        int nnz = vg_features_nnz(x), cls, K, nb;

        if (sm->k > 0 && !cached(sm, x))
                forward(sm, x);
        if ((cls = score_and_resolve(sm, label)) < 0)
                return -1;
        if (!cached(sm, x))
                forward(sm, x); /* a class was added */
        K  = sm->k;
        nb = (K + BLOCK - 1) / BLOCK;
        for (int i = 0; i < nnz; i++) {
                const double *sw = sm->scratch + (size_t)i * K;
                for (int b = 0; b < nb; b++) {
                        coord_t *blk = block_of(sm, slots[i], b);
                        int c0 = b * BLOCK, n = K - c0 < BLOCK ? K - c0 : BLOCK;
                        for (int j = 0; j < n; j++) {
                                int c    = c0 + j;
                                double g = (sm->probs[c] - (c == cls)) * vals[i];
                                update(&sm->conf, &blk[j], sw[c], g);
                        }
                }
        }
        for (int c = 0; c < K; c++) {
                update(&sm->conf, &sm->bias[c], sm->bias_w[c],
                       sm->probs[c] - (c == cls));
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
        int n = 0;
        vg_contrib_t *t;

        if (cls < 0 || cls >= sm->k)
                return 0;
        for (int i = 0; i < vg_features_nnz(x); i++) {
                const coord_t *blk = block_of(sm, slots[i], cls / BLOCK);
                double c = weight(&sm->conf, &blk[cls % BLOCK]) * vals[i];
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
        size_t sz = sizeof(*sm) +
                    ((size_t)1 << sm->conf.hash_bits) * sizeof(coord_t) +
                    (size_t)sm->conf.max_classes *
                            (sizeof(char *) + sizeof(coord_t) +
                             2 * sizeof(double)) +
                    ((size_t)sm->lut_mask + 1) * sizeof(int) +
                    sm->scratch_cap * sizeof(double) +
                    vg_featdict_memory(sm->dict) + vg_preq_memory(sm->preq);
        for (int c = 0; c < sm->k; c++)
                sz += strlen(sm->labels[c]) + 1;
        return sz;
}

/* ---- snapshot ---------------------------------------------------------- */

void *vg_softmax_save(const vg_softmax_t *sm, size_t *lenp)
{
        vg_snap_writer_t *sw = vg_snap_writer_new(VG_SNAP_KIND_SOFTMAX);
        size_t size = (size_t)1 << sm->conf.hash_bits;
        uint64_t used = 0;

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
        for (size_t i = 0; i < size; i++)
                used += sm->w[i].sn != 0.0 || sm->w[i].z != 0.0;
        vg_snap_put_u64(sw, used);
        for (size_t i = 0; i < size; i++) {
                if (sm->w[i].sn == 0.0 && sm->w[i].z == 0.0)
                        continue;
                vg_snap_put_u32(sw, (uint32_t)i);
                vg_snap_put_f64(sw, sm->w[i].z);
                vg_snap_put_f64(sw, sm->w[i].sn);
        }
        vg_featdict_write(sm->dict, sw);
        vg_preq_write(sm->preq, sw);
        return vg_snap_writer_finish(sw, lenp);
}

static void read_body(vg_softmax_t *sm, vg_snap_reader_t *sr)
{
        uint32_t k;
        uint64_t used, size = (uint64_t)1 << sm->conf.hash_bits;

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
        used = vg_snap_get_u64(sr);
        if (used > size)
                vg_snap_fail(sr, "softmax: too many coordinates");
        for (uint64_t j = 0; j < used && vg_snap_ok(sr); j++) {
                uint32_t i = vg_snap_get_u32(sr);
                double z = vg_snap_get_f64(sr), sn = vg_snap_get_f64(sr);
                if (i >= size || !isfinite(z) || !(sn >= 0)) {
                        vg_snap_fail(sr, "softmax: bad coordinate %u", i);
                        break;
                }
                sm->w[i].z  = z;
                sm->w[i].sn = sn;
        }
        vg_featdict_destroy(sm->dict);
        sm->dict = vg_snap_ok(sr) ? vg_featdict_read(sr) : NULL;
        vg_preq_destroy(sm->preq);
        sm->preq = vg_snap_ok(sr) ? vg_preq_read(sr) : NULL;
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
