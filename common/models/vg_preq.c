/**
 * @file vg_preq.c
 * @brief Prequential metrics with fading factors and a windowed exact AUC.
 */
#include "vg_preq.h"
#include "vg_mem.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define PREQ_EPS 1e-15

/* Faded sums, each S = alpha * S + x_t. */
enum {
        S_W,       /* weight of all events */
        S_LOSS,
        S_CORRECT,
        S_TP,
        S_FP,
        S_FN,
        S_P,       /* predicted probability */
        S_Y,       /* outcome */
        S_TOP3,
        S__CNT
};

struct vg_preq_s {
        vg_preq_conf_t conf;
        uint64_t n;
        uint64_t n_binary;
        uint64_t n_multi;
        double s[S__CNT];
        /* AUC window: ring of the last auc_window binary predictions. */
        double *win_p;
        uint8_t *win_y;
        uint32_t win_len;
        uint32_t win_head;
};

static const char *metric_names[VG_PREQ__CNT] = {
        "n", "logloss", "acc", "precision", "recall", "f1",
        "auc", "mean_p", "rate", "top1", "top3",
};

void vg_preq_conf_init(vg_preq_conf_t *conf)
{
        conf->fading     = 0.999;
        conf->threshold  = 0.5;
        conf->auc_window = 10000;
}

vg_preq_t *vg_preq_new(const vg_preq_conf_t *conf, char *errstr,
                       size_t errstr_size)
{
        vg_preq_conf_t def;
        vg_preq_t *pq;

        if (!conf) {
                vg_preq_conf_init(&def);
                conf = &def;
        }
        if (!(conf->fading > 0.0 && conf->fading <= 1.0)) {
                snprintf(errstr, errstr_size,
                         "preq: fading factor must be in (0, 1]");
                return NULL;
        }
        if (!(conf->threshold >= 0.0 && conf->threshold <= 1.0) ||
            conf->auc_window < 0 || conf->auc_window > 10000000) {
                snprintf(errstr, errstr_size,
                         "preq: threshold must be in [0, 1] and auc_window "
                         "in [0, 10000000]");
                return NULL;
        }
        pq        = vg_calloc(1, sizeof(*pq));
        pq->conf  = *conf;
        pq->win_p = vg_calloc(conf->auc_window, sizeof(*pq->win_p));
        pq->win_y = vg_calloc(conf->auc_window, sizeof(*pq->win_y));
        return pq;
}

void vg_preq_destroy(vg_preq_t *pq)
{
        if (!pq)
                return;
        vg_free(pq->win_p);
        vg_free(pq->win_y);
        vg_free(pq);
}

static void fade(vg_preq_t *pq)
{
        for (int i = 0; i < S__CNT; i++)
                pq->s[i] *= pq->conf.fading;
        pq->s[S_W] += 1.0;
        pq->n++;
}

void vg_preq_add_binary(vg_preq_t *pq, double p, int y)
{
        double pc;
        int pos;

        if (!isfinite(p) || (y != 0 && y != 1))
                return;
        p   = p < 0.0 ? 0.0 : p > 1.0 ? 1.0 : p;
        pc  = p < PREQ_EPS ? PREQ_EPS : p > 1 - PREQ_EPS ? 1 - PREQ_EPS : p;
        pos = p >= pq->conf.threshold;
        fade(pq);
        pq->n_binary++;
        pq->s[S_LOSS] += y ? -log(pc) : -log(1.0 - pc);
        pq->s[S_CORRECT] += pos == y;
        pq->s[S_TP] += pos && y;
        pq->s[S_FP] += pos && !y;
        pq->s[S_FN] += !pos && y;
        pq->s[S_P] += p;
        pq->s[S_Y] += y;
        if (pq->conf.auc_window > 0) {
                pq->win_p[pq->win_head] = p;
                pq->win_y[pq->win_head] = (uint8_t)y;
                pq->win_head = (pq->win_head + 1) % pq->conf.auc_window;
                if (pq->win_len < (uint32_t)pq->conf.auc_window)
                        pq->win_len++;
        }
}

void vg_preq_add_multi(vg_preq_t *pq, double p_true, int rank)
{
        double pc = isfinite(p_true) ? p_true : 0.0;

        pc = pc < PREQ_EPS ? PREQ_EPS : pc > 1.0 ? 1.0 : pc;
        fade(pq);
        pq->n_multi++;
        pq->s[S_LOSS] += -log(pc);
        pq->s[S_CORRECT] += rank == 0;
        pq->s[S_TOP3] += rank >= 0 && rank < 3;
}

typedef struct {
        double p;
        uint8_t y;
} auc_pt_t;

static int auc_cmp(const void *a, const void *b)
{
        double x = ((const auc_pt_t *)a)->p, y = ((const auc_pt_t *)b)->p;
        return (x > y) - (x < y);
}

/* Exact AUC by rank sum (Mann-Whitney U), ties get their mean rank. */
static double preq_auc(const vg_preq_t *pq)
{
        uint32_t n = pq->win_len, i, j;
        double npos = 0, rank_sum = 0;
        auc_pt_t *pt;

        if (n == 0)
                return NAN;
        pt = vg_malloc(n * sizeof(*pt));
        for (i = 0; i < n; i++) {
                pt[i].p = pq->win_p[i];
                pt[i].y = pq->win_y[i];
                npos += pt[i].y;
        }
        qsort(pt, n, sizeof(*pt), auc_cmp);
        for (i = 0; i < n; i = j) {
                double mean_rank, pos_in_tie = 0;
                for (j = i; j < n && pt[j].p == pt[i].p; j++)
                        pos_in_tie += pt[j].y;
                mean_rank = (i + 1 + j) / 2.0; /* ranks i+1 .. j */
                rank_sum += pos_in_tie * mean_rank;
        }
        vg_free(pt);
        if (npos == 0 || npos == n)
                return NAN;
        return (rank_sum - npos * (npos + 1) / 2) / (npos * (n - npos));
}

static double ratio(double a, double b)
{
        return b > 0 ? a / b : NAN;
}

double vg_preq_get(const vg_preq_t *pq, vg_preq_metric_t m)
{
        const double *s = pq->s;
        double p, r;

        switch (m) {
        case VG_PREQ_N:        return (double)pq->n;
        case VG_PREQ_LOGLOSS:  return ratio(s[S_LOSS], s[S_W]);
        case VG_PREQ_ACCURACY: return ratio(s[S_CORRECT], s[S_W]);
        case VG_PREQ_PRECISION:
                return pq->n_binary ? ratio(s[S_TP], s[S_TP] + s[S_FP]) : NAN;
        case VG_PREQ_RECALL:
                return pq->n_binary ? ratio(s[S_TP], s[S_TP] + s[S_FN]) : NAN;
        case VG_PREQ_F1:
                if (!pq->n_binary)
                        return NAN;
                p = ratio(s[S_TP], s[S_TP] + s[S_FP]);
                r = ratio(s[S_TP], s[S_TP] + s[S_FN]);
                if (isnan(p) || isnan(r))
                        return NAN;
                return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
        case VG_PREQ_AUC:      return preq_auc(pq);
        case VG_PREQ_MEAN_P:
                return pq->n_binary ? ratio(s[S_P], s[S_W]) : NAN;
        case VG_PREQ_RATE:
                return pq->n_binary ? ratio(s[S_Y], s[S_W]) : NAN;
        case VG_PREQ_TOP1:
                return pq->n_multi ? ratio(s[S_CORRECT], s[S_W]) : NAN;
        case VG_PREQ_TOP3:
                return pq->n_multi ? ratio(s[S_TOP3], s[S_W]) : NAN;
        default:               return NAN;
        }
}

const char *vg_preq_metric_name(vg_preq_metric_t m)
{
        return (unsigned)m < VG_PREQ__CNT ? metric_names[m] : "?";
}

int vg_preq_format(const vg_preq_t *pq, char *buf, size_t size)
{
        int len = snprintf(buf, size, "n=%llu", (unsigned long long)pq->n);

        for (int m = VG_PREQ_LOGLOSS; m < VG_PREQ__CNT; m++) {
                double v = vg_preq_get(pq, (vg_preq_metric_t)m);
                size_t off = (size_t)len < size ? (size_t)len : size;
                if (isnan(v))
                        continue;
                len += snprintf(buf + off, size - off, " %s=%.4f",
                                metric_names[m], v);
        }
        return len;
}

size_t vg_preq_memory(const vg_preq_t *pq)
{
        return sizeof(*pq) + (size_t)pq->conf.auc_window *
                                     (sizeof(double) + sizeof(uint8_t));
}

void vg_preq_write(const vg_preq_t *pq, vg_snap_writer_t *sw)
{
        vg_snap_put_f64(sw, pq->conf.fading);
        vg_snap_put_f64(sw, pq->conf.threshold);
        vg_snap_put_u32(sw, (uint32_t)pq->conf.auc_window);
        vg_snap_put_u64(sw, pq->n);
        vg_snap_put_u64(sw, pq->n_binary);
        vg_snap_put_u64(sw, pq->n_multi);
        vg_snap_put_f64v(sw, pq->s, S__CNT);
        vg_snap_put_u32(sw, pq->win_len);
        vg_snap_put_u32(sw, pq->win_head);
        vg_snap_put_f64v(sw, pq->win_p, pq->win_len);
        for (uint32_t i = 0; i < pq->win_len; i++)
                vg_snap_put_u8(sw, pq->win_y[i]);
}

vg_preq_t *vg_preq_read(vg_snap_reader_t *sr)
{
        vg_preq_conf_t conf;
        vg_preq_t *pq;
        char err[128];

        conf.fading     = vg_snap_get_f64(sr);
        conf.threshold  = vg_snap_get_f64(sr);
        conf.auc_window = (int)vg_snap_get_u32(sr);
        if (!vg_snap_ok(sr))
                return NULL;
        if (!(pq = vg_preq_new(&conf, err, sizeof(err)))) {
                vg_snap_fail(sr, "%s", err);
                return NULL;
        }
        pq->n        = vg_snap_get_u64(sr);
        pq->n_binary = vg_snap_get_u64(sr);
        pq->n_multi  = vg_snap_get_u64(sr);
        vg_snap_get_f64v(sr, pq->s, S__CNT);
        pq->win_len  = vg_snap_get_u32(sr);
        pq->win_head = vg_snap_get_u32(sr);
        if (vg_snap_ok(sr) && (pq->win_len > (uint32_t)conf.auc_window ||
                               (pq->win_head >= (uint32_t)conf.auc_window &&
                                conf.auc_window > 0)))
                vg_snap_fail(sr, "preq: bad AUC window %u/%u", pq->win_len,
                             pq->win_head);
        if (vg_snap_ok(sr) && vg_snap_get_f64v(sr, pq->win_p, pq->win_len))
                for (uint32_t i = 0; i < pq->win_len; i++)
                        pq->win_y[i] = vg_snap_get_u8(sr) ? 1 : 0;
        if (!vg_snap_ok(sr)) {
                vg_preq_destroy(pq);
                return NULL;
        }
        return pq;
}

void *vg_preq_save(const vg_preq_t *pq, size_t *lenp)
{
        vg_snap_writer_t *sw = vg_snap_writer_new(VG_SNAP_KIND_PREQ);
        vg_preq_write(pq, sw);
        return vg_snap_writer_finish(sw, lenp);
}

vg_preq_t *vg_preq_load(const void *buf, size_t len, char *errstr,
                        size_t errstr_size)
{
        vg_snap_reader_t *sr = vg_snap_reader_new(buf, len, VG_SNAP_KIND_PREQ,
                                                  errstr, errstr_size);
        vg_preq_t *pq;

        if (!sr)
                return NULL;
        pq = vg_preq_read(sr);
        if (vg_snap_reader_destroy(sr, errstr, errstr_size) != VG_OK) {
                vg_preq_destroy(pq);
                return NULL;
        }
        return pq;
}
