/**
 * @file inc_rank.c
 * @brief Suspect changes, learned ranking (see inc_rank.h).
 */
#include "inc_rank.h"
#include "vg_ftrl.h"
#include "vg_mem.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INC_RANK_BITS 14
#define INC_MAX_CAND  64

struct inc_rank_s {
        vg_ftrl_t *ftrl;
        vg_features_t *x;
        uint64_t learned;
};

inc_rank_t *inc_rank_new(char *errstr, size_t errstr_size)
{
        inc_rank_t *r = vg_calloc(1, sizeof(*r));
        vg_ftrl_conf_t fc;
        vg_ftrl_conf_init(&fc);
        fc.hash_bits = INC_RANK_BITS;
        fc.alpha     = 0.2;
        fc.l1        = 0.1;
        fc.l2        = 1.0;
        if (!(r->ftrl = vg_ftrl_new(&fc, errstr, errstr_size))) {
                vg_free(r);
                return NULL;
        }
        r->x = vg_features_new(INC_RANK_BITS, 0);
        return r;
}

void inc_rank_destroy(inc_rank_t *r)
{
        if (!r)
                return;
        vg_ftrl_destroy(r->ftrl);
        vg_features_destroy(r->x);
        vg_free(r);
}

static const char *inc_bucket(double v, const double *edges,
                              const char *const *names, int n)
{
        for (int i = 0; i < n - 1; i++)
                if (v < edges[i])
                        return names[i];
        return names[n - 1];
}

/* The pair's features: timing, risk as published, type, competition. */
static void inc_rank_features(inc_rank_t *r, const inc_suspect_t *s)
{
        static const double dt_e[] = {1, 2, 4, 8, 24, 48};
        static const char *dt_n[]  = {"<1h", "<2h", "<4h", "<8h",
                                      "<24h", "<48h", ">=48h"};
        static const double p_e[]  = {0.1, 0.2, 0.35, 0.5};
        static const char *p_n[]   = {"<0.1", "<0.2", "<0.35", "<0.5",
                                      ">=0.5"};
        static const char *nc_n[]  = {"1", "2", "3+"};
        vg_features_t *x = r->x;

        vg_features_clear(x);
        const char *dt = inc_bucket(s->hours_before, dt_e, dt_n, 7);
        char cross[48];

        vg_features_add_kv(x, "since_start", dt, 1.0);
        vg_features_add(x, s->during ? "during_work" : "after_work", 1.0);
        snprintf(cross, sizeof(cross), "%s|%s", dt,
                 s->during ? "during" : "after");
        vg_features_add_kv(x, "since_start|work", cross, 1.0);
        if (!s->during) /* how long after the work ended */
                vg_features_add_kv(
                        x, "since_end",
                        inc_bucket(s->hours_before -
                                           (double)(s->w.end_ms -
                                                    s->w.start_ms) /
                                                   3600000.0,
                                   dt_e, dt_n, 7),
                        1.0);
        vg_features_add(x, "p_failure", s->w.p_failure * 2.0);
        vg_features_add_kv(x, "p_band",
                           inc_bucket(s->w.p_failure, p_e, p_n, 5), 1.0);
        vg_features_add_kv(x, "type", *s->w.type ? s->w.type : "(none)",
                           1.0);
        vg_features_add_kv(x, "candidates",
                           nc_n[s->ncand >= 3 ? 2 : s->ncand - 1], 1.0);
        if (s->latest)
                vg_features_add(x, "latest", 1.0);
}

static int inc_suspect_cmp(const void *a, const void *b)
{
        const inc_suspect_t *x = a, *y = b;
        if (x->score != y->score)
                return x->score > y->score ? -1 : 1;
        if (x->hours_before != y->hours_before)
                return x->hours_before < y->hours_before ? -1 : 1;
        return strcmp(x->w.number, y->w.number);
}

/* Fills the pair facts of \p n candidates of an incident opened at
 * \p opened_at. */
static void inc_rank_facts(inc_suspect_t *c, int n, int64_t opened_at)
{
        int64_t latest = INT64_MIN;
        for (int i = 0; i < n; i++)
                if (c[i].w.start_ms > latest)
                        latest = c[i].w.start_ms;
        for (int i = 0; i < n; i++) {
                c[i].hours_before =
                        (double)(opened_at - c[i].w.start_ms) / 3600000.0;
                c[i].during = c[i].w.end_ms < 0 || opened_at <= c[i].w.end_ms;
                c[i].ncand  = n;
                c[i].latest = c[i].w.start_ms == latest;
        }
}

int inc_rank_score(inc_rank_t *r, vg_work_t *ws, int n, int64_t opened_at,
                   int64_t window_ms, inc_suspect_t *out, int max)
{
        inc_suspect_t c[INC_MAX_CAND];
        int nc = 0;

        n = vg_work_latest(ws, n);
        for (int i = 0; i < n && nc < INC_MAX_CAND; i++) {
                if (ws[i].start_ms < 0 || ws[i].start_ms > opened_at ||
                    ws[i].start_ms < opened_at - window_ms)
                        continue;
                memset(&c[nc], 0, sizeof(c[nc]));
                c[nc++].w = ws[i];
        }
        inc_rank_facts(c, nc, opened_at);
        for (int i = 0; i < nc; i++) {
                inc_rank_features(r, &c[i]);
                c[i].score = vg_ftrl_predict(r->ftrl, r->x);
        }
        qsort(c, (size_t)nc, sizeof(*c), inc_suspect_cmp);
        if (nc > max)
                nc = max;
        memcpy(out, c, sizeof(*c) * (size_t)nc);
        return nc;
}

void inc_rank_learn(inc_rank_t *r, const inc_suspect_t *s, int n,
                    const char *cause)
{
        if (n <= 0)
                return;
        for (int i = 0; i < n; i++) {
                inc_rank_features(r, &s[i]);
                vg_ftrl_predict(r->ftrl, r->x);
                vg_ftrl_learn(r->ftrl, r->x,
                              *cause && !strcmp(cause, s[i].w.number));
        }
        r->learned++;
}

uint64_t inc_rank_learned(const inc_rank_t *r)
{
        return r->learned;
}

int inc_rank_quality(const inc_rank_t *r, char *buf, size_t size)
{
        const vg_preq_t *pq = vg_ftrl_preq(r->ftrl);
        /* no precision or recall: their threshold is not the alerts' */
        return snprintf(buf, size, "pairs n=%.0f logloss=%.4f auc=%.4f "
                        "mean_p=%.4f rate=%.4f",
                        vg_preq_get(pq, VG_PREQ_N),
                        vg_preq_get(pq, VG_PREQ_LOGLOSS),
                        vg_preq_get(pq, VG_PREQ_AUC),
                        vg_preq_get(pq, VG_PREQ_MEAN_P),
                        vg_preq_get(pq, VG_PREQ_RATE));
}

size_t inc_rank_encode(const inc_suspect_t *s, int n, char *buf,
                       size_t size)
{
        size_t off = 0;
        if (size)
                buf[0] = '\0';
        for (int i = 0; i < n; i++) {
                size_t len = vg_work_encode(&s[i].w, buf + off,
                                            size - off > 1 ? size - off - 1
                                                           : 0);
                if (!len)
                        break;
                off += len;
                buf[off++] = '\n';
                buf[off]   = '\0';
        }
        return off;
}

int inc_rank_decode(const char *buf, size_t len, int64_t opened_at,
                    inc_suspect_t *s, int max)
{
        int n = 0;
        const char *end = buf + len;
        while (buf < end && n < max) {
                const char *nl = memchr(buf, '\n', (size_t)(end - buf));
                size_t l       = nl ? (size_t)(nl - buf) : (size_t)(end - buf);
                memset(&s[n], 0, sizeof(s[n]));
                if (l && vg_work_decode(buf, l, &s[n].w) == 0)
                        n++;
                buf += l + 1;
        }
        inc_rank_facts(s, n, opened_at);
        return n;
}

void inc_rank_write(const inc_rank_t *r, vg_snap_writer_t *sw)
{
        VG_SNAP_PUT_SAVED(sw, vg_ftrl_save, r->ftrl);
        vg_snap_put_u64(sw, r->learned);
}

int inc_rank_read(inc_rank_t *r, vg_snap_reader_t *sr, char *errstr,
                  size_t errstr_size)
{
        size_t len;
        const void *b     = vg_snap_get_bytes(sr, &len);
        uint64_t learned  = vg_snap_get_u64(sr);
        vg_ftrl_t *f;
        if (!vg_snap_ok(sr)) {
                snprintf(errstr, errstr_size, "suspect ranking: truncated");
                return -1;
        }
        if (!(f = vg_ftrl_load(b, len, errstr, errstr_size)))
                return -1;
        vg_ftrl_destroy(r->ftrl);
        r->ftrl    = f;
        r->learned = learned;
        return 0;
}

size_t inc_rank_memory(const inc_rank_t *r)
{
        return sizeof(*r) + vg_ftrl_memory(r->ftrl);
}
