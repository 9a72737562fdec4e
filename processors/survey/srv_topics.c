/**
 * @file srv_topics.c
 * @brief Stable topics (see srv_topics.h).
 */
#include "srv_topics.h"
#include "vg_kmeans.h"
#include "vg_mem.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SRV_COUNTERS  24 /**< SpaceSaving counters per topic */
#define SRV_BORN_AT   10 /**< verbatims at which a topic's birth terms are
                              taken */
#define SRV_MEMBERS   16 /**< members kept per topic, for similar */

typedef struct srv_counter_s {
        char term[SRV_TERM_LEN];
        double n;
} srv_counter_t;

typedef struct srv_topic_s {
        srv_topic_info_t info;
        srv_counter_t hh[SRV_COUNTERS];
        int dirty;
} srv_topic_t;

struct srv_topics_s {
        srv_topics_conf_t conf;
        vg_kmeans_t *km;
        srv_topic_t *tp; /**< by id - 1 (ids are 1, 2, ...) */
        int64_t ntp;
        uint64_t births, merges, deaths;
        vg_similar_t scratch[SRV_MEMBERS];
};

static vg_kmeans_t *srv_km_new(const srv_topics_conf_t *c, char *errstr,
                               size_t errstr_size)
{
        vg_kmeans_conf_t kc;
        vg_kmeans_conf_init(&kc);
        kc.dim           = c->dim;
        kc.dist          = VG_DIST_COSINE;
        kc.radius        = c->radius;
        kc.k_max         = c->k_max;
        kc.half_life     = c->half_life;
        kc.time_unit     = VG_KMEANS_UNIT_POINTS;
        kc.min_weight    = 0.05;
        kc.reservoir_cap = SRV_MEMBERS;
        return vg_kmeans_new(&kc, errstr, errstr_size);
}

srv_topics_t *srv_topics_new(const srv_topics_conf_t *conf, char *errstr,
                             size_t errstr_size)
{
        srv_topics_t *t = vg_calloc(1, sizeof(*t));
        t->conf         = *conf;
        if (!(t->km = srv_km_new(conf, errstr, errstr_size))) {
                vg_free(t);
                return NULL;
        }
        return t;
}

void srv_topics_destroy(srv_topics_t *t)
{
        if (!t)
                return;
        vg_kmeans_destroy(t->km);
        vg_free(t->tp);
        vg_free(t);
}

static srv_topic_t *srv_topic(const srv_topics_t *t, int64_t id)
{
        return id >= 1 && id <= t->ntp ? &t->tp[id - 1] : NULL;
}

int64_t srv_topics_assign(srv_topics_t *t, const double *embed)
{
        double d;
        int64_t id = vg_kmeans_assign(t->km, embed, &d);
        return id >= 0 && d <= t->conf.radius ? id : -1;
}

int srv_topics_similar(srv_topics_t *t, const double *embed, int k,
                       srv_similar_t *out)
{
        int64_t id;
        int n = vg_kmeans_similar(t->km, embed, k < SRV_MEMBERS ? k
                                                                 : SRV_MEMBERS,
                                  t->scratch, &id);
        for (int i = 0; i < n; i++) {
                out[i].id      = t->scratch[i].id;
                out[i].outcome = t->scratch[i].outcome;
                out[i].dist    = t->scratch[i].dist;
        }
        return n;
}

/* ---------------------------------------------------------------------- */
/* Labels: SpaceSaving heavy hitters                                      */

static void srv_hh_add(srv_topic_t *tp, const char *term, double w)
{
        int min = 0;
        for (int i = 0; i < SRV_COUNTERS; i++) {
                if (tp->hh[i].n > 0 && !strcmp(tp->hh[i].term, term)) {
                        tp->hh[i].n += w;
                        return;
                }
                if (tp->hh[i].n < tp->hh[min].n)
                        min = i;
        }
        /* the least counted gives its slot, keeping its count (SpaceSaving:
         * an overestimate by at most that) */
        vg_strlcpy(tp->hh[min].term, term, SRV_TERM_LEN);
        tp->hh[min].n += w;
}

static int srv_hh_cmp(const void *a, const void *b)
{
        const srv_counter_t *x = a, *y = b;
        if (x->n != y->n)
                return x->n > y->n ? -1 : 1;
        return strcmp(x->term, y->term);
}

/* The label: the most counted terms. */
static void srv_label(srv_topic_t *tp)
{
        srv_counter_t s[SRV_COUNTERS];
        int n = 0;
        memcpy(s, tp->hh, sizeof(s));
        qsort(s, SRV_COUNTERS, sizeof(*s), srv_hh_cmp);
        for (int i = 0; i < SRV_COUNTERS && n < SRV_TERMS_MAX; i++)
                if (s[i].n > 0)
                        memcpy(tp->info.terms[n++], s[i].term, SRV_TERM_LEN);
        tp->info.nterms = n;
}

/* ---------------------------------------------------------------------- */
/* Births, merges, deaths                                                 */

static srv_topic_t *srv_birth(srv_topics_t *t, int64_t id, int64_t t_ms)
{
        if (id > t->ntp) {
                t->tp = vg_realloc(t->tp, sizeof(*t->tp) * (size_t)id);
                memset(t->tp + t->ntp, 0,
                       sizeof(*t->tp) * (size_t)(id - t->ntp));
                for (int64_t i = t->ntp; i < id; i++) {
                        t->tp[i].info.id          = i + 1;
                        t->tp[i].info.state       = SRV_TOPIC_DEAD;
                        t->tp[i].info.ended_ms    = -1;
                        t->tp[i].info.merged_into = -1;
                }
                t->ntp = id;
        }
        srv_topic_t *tp  = &t->tp[id - 1];
        tp->info.state   = SRV_TOPIC_ALIVE;
        tp->info.born_ms = t_ms;
        tp->dirty        = 1;
        t->births++;
        return tp;
}

static void srv_end(srv_topics_t *t, srv_topic_t *tp, srv_tstate_t how,
                    int64_t into, int64_t t_ms)
{
        tp->info.state       = how;
        tp->info.merged_into = into;
        tp->info.ended_ms    = t_ms;
        tp->dirty            = 1;
        if (how == SRV_TOPIC_MERGED)
                t->merges++;
        else
                t->deaths++;
}

/* Merges topic \p moved (it just learned) with the topics it came too
 * close to: the younger goes into the older. Only the moved one is
 * compared (no other centre changed). */
static void srv_merge_close(srv_topics_t *t, int64_t moved, int64_t t_ms)
{
        int64_t o;
        double d;
        while (vg_kmeans_closest_to(t->km, moved, &o, &d) &&
               d < t->conf.merge) {
                int64_t a = moved < o ? moved : o, b = moved < o ? o : moved;
                srv_topic_t *keep = srv_topic(t, a), *gone = srv_topic(t, b);
                if (vg_kmeans_merge(t->km, a, b) || !keep || !gone)
                        break;
                for (int i = 0; i < SRV_COUNTERS; i++)
                        if (gone->hh[i].n > 0)
                                srv_hh_add(keep, gone->hh[i].term,
                                           gone->hh[i].n);
                keep->info.size += gone->info.size;
                srv_label(keep);
                keep->dirty = 1;
                srv_end(t, gone, SRV_TOPIC_MERGED, a, t_ms);
                moved = a; /* the merged centre moved too */
        }
}

/* Topics alive in the registry that k-means dropped (decayed) died. */
static void srv_deaths(srv_topics_t *t, int64_t t_ms)
{
        for (int64_t i = 0; i < t->ntp; i++)
                if (t->tp[i].info.state == SRV_TOPIC_ALIVE &&
                    vg_kmeans_find(t->km, t->tp[i].info.id) < 0)
                        srv_end(t, &t->tp[i], SRV_TOPIC_DEAD, -1, t_ms);
}

int64_t srv_topics_learn(srv_topics_t *t, const char *id, const double *embed,
                         const char *const *terms, int nterms,
                         const char *outcome, int64_t t_ms)
{
        int64_t tid = vg_kmeans_observe(t->km, id, embed, outcome, t_ms, NULL);
        srv_topic_t *tp = srv_topic(t, tid);
        if (tid < 0)
                return -1;
        if (!tp || tp->info.state != SRV_TOPIC_ALIVE || tp->info.size == 0)
                tp = srv_birth(t, tid, t_ms);
        for (int i = 0; i < nterms; i++)
                srv_hh_add(tp, terms[i], 1.0);
        tp->info.size++;
        srv_label(tp);
        if (tp->info.size == SRV_BORN_AT) {
                memcpy(tp->info.born_terms, tp->info.terms,
                       sizeof(tp->info.terms));
                tp->info.nborn = tp->info.nterms;
        }
        tp->dirty = 1;
        srv_merge_close(t, tid, t_ms);
        srv_deaths(t, t_ms);
        /* the topic it is in now: merged ones followed */
        for (tp = srv_topic(t, tid); tp && tp->info.state == SRV_TOPIC_MERGED;
             tp = srv_topic(t, tp->info.merged_into))
                tid = tp->info.merged_into;
        return vg_kmeans_find(t->km, tid) >= 0 ? tid : -1;
}

const srv_topic_info_t *srv_topics_info(const srv_topics_t *t, int64_t id)
{
        const srv_topic_t *tp = srv_topic(t, id);
        return tp && tp->info.size ? &tp->info : NULL;
}

void srv_topics_dirty(srv_topics_t *t,
                      void (*cb)(void *opaque, const srv_topic_info_t *ti),
                      void *opaque)
{
        for (int64_t i = 0; i < t->ntp; i++) {
                if (!t->tp[i].dirty || !t->tp[i].info.size)
                        continue;
                cb(opaque, &t->tp[i].info);
                t->tp[i].dirty = 0;
        }
}

void srv_topics_each(const srv_topics_t *t,
                     void (*cb)(void *opaque, const srv_topic_info_t *ti),
                     void *opaque)
{
        for (int64_t i = 0; i < t->ntp; i++)
                if (t->tp[i].info.size)
                        cb(opaque, &t->tp[i].info);
}

int srv_topics_count(const srv_topics_t *t, uint64_t *births,
                     uint64_t *merges, uint64_t *deaths)
{
        *births = t->births;
        *merges = t->merges;
        *deaths = t->deaths;
        return vg_kmeans_k(t->km);
}

size_t srv_topics_memory(const srv_topics_t *t)
{
        return sizeof(*t) + vg_kmeans_memory(t->km) +
               (size_t)t->ntp * sizeof(*t->tp);
}

/* ---------------------------------------------------------------------- */
/* Checkpoints                                                            */

void srv_topics_write(const srv_topics_t *t, vg_snap_writer_t *sw)
{
        VG_SNAP_PUT_SAVED(sw, vg_kmeans_save, t->km);
        vg_snap_put_u64(sw, t->births);
        vg_snap_put_u64(sw, t->merges);
        vg_snap_put_u64(sw, t->deaths);
        vg_snap_put_i64(sw, t->ntp);
        vg_snap_put_bytes(sw, t->tp, sizeof(*t->tp) * (size_t)t->ntp);
}

int srv_topics_read(srv_topics_t *t, vg_snap_reader_t *sr, char *errstr,
                    size_t errstr_size)
{
        size_t len, tlen;
        const void *b = vg_snap_get_bytes(sr, &len);
        uint64_t births = vg_snap_get_u64(sr), merges = vg_snap_get_u64(sr);
        uint64_t deaths = vg_snap_get_u64(sr);
        int64_t ntp     = vg_snap_get_i64(sr);
        const void *tb  = vg_snap_get_bytes(sr, &tlen);
        vg_kmeans_t *km;

        if (!vg_snap_ok(sr) || ntp < 0 ||
            tlen != sizeof(*t->tp) * (size_t)ntp) {
                snprintf(errstr, errstr_size, "topics: truncated");
                return -1;
        }
        if (!(km = vg_kmeans_load(b, len, errstr, errstr_size)))
                return -1;
        vg_kmeans_destroy(t->km);
        vg_free(t->tp);
        t->km     = km;
        t->tp     = ntp ? vg_malloc(tlen) : NULL;
        if (ntp)
                memcpy(t->tp, tb, tlen);
        t->ntp    = ntp;
        t->births = births;
        t->merges = merges;
        t->deaths = deaths;
        for (int64_t i = 0; i < ntp; i++) { /* terminate what was read */
                t->tp[i].info.nterms = t->tp[i].info.nterms < 0 ? 0
                        : t->tp[i].info.nterms > SRV_TERMS_MAX
                                ? SRV_TERMS_MAX : t->tp[i].info.nterms;
                t->tp[i].info.nborn = t->tp[i].info.nborn < 0 ? 0
                        : t->tp[i].info.nborn > SRV_TERMS_MAX
                                ? SRV_TERMS_MAX : t->tp[i].info.nborn;
                for (int j = 0; j < SRV_TERMS_MAX; j++) {
                        t->tp[i].info.terms[j][SRV_TERM_LEN - 1]      = '\0';
                        t->tp[i].info.born_terms[j][SRV_TERM_LEN - 1] = '\0';
                }
                for (int j = 0; j < SRV_COUNTERS; j++)
                        t->tp[i].hh[j].term[SRV_TERM_LEN - 1] = '\0';
        }
        return 0;
}

void srv_topics_adopt(srv_topics_t *t, srv_topics_t *from)
{
        vg_kmeans_destroy(t->km);
        vg_free(t->tp);
        t->km     = from->km;
        t->tp     = from->tp;
        t->ntp    = from->ntp;
        t->births = from->births;
        t->merges = from->merges;
        t->deaths = from->deaths;
        vg_free(from);
}
