/**
 * @file chg_context.c
 * @brief vigie-change's keys in the feature store (see chg_context.h).
 */
#include "chg_context.h"
#include "chg_band.h"
#include "vg_alerts.h"
#include "vg_mem.h"
#include "vg_utf8.h"
#include "vg_work.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHG_DAY_MS 86400000LL

/** Reply indexes of one event's reads. */
typedef struct chg_reads_s {
        size_t team_changes, team_failed, ci_failures, ci_incidents;
        size_t open, features, alerts;
} chg_reads_t;

struct chg_store_s {
        vg_store_t *s;
        vg_alerts_t *alerts;
        chg_reads_t *idx;
        int idx_cap;
        int64_t team_ms, ci_ms, inc_ms, work_ms;
        int64_t features_ttl_s;
};

chg_store_t *chg_store_new(vg_store_t *s, const vg_conf_t *conf)
{
        chg_store_t *cs = vg_calloc(1, sizeof(*cs));
        cs->s           = s;
        cs->team_ms = vg_conf_get_int(conf, "change.team.window.days") *
                      CHG_DAY_MS;
        cs->ci_ms = vg_conf_get_int(conf, "change.ci.window.days") *
                    CHG_DAY_MS;
        cs->inc_ms = vg_conf_get_int(conf, "change.incident.window.days") *
                     CHG_DAY_MS;
        cs->work_ms = vg_conf_get_int(conf, "change.work.keep.days") *
                      CHG_DAY_MS;
        cs->features_ttl_s =
                vg_conf_get_int(conf, "change.features.ttl.days") * 86400;
        cs->alerts = vg_alerts_new(s, "chg", chg_band_names, CHG_NBANDS,
                                   cs->features_ttl_s);
        return cs;
}

void chg_store_destroy(chg_store_t *cs)
{
        if (!cs)
                return;
        vg_alerts_destroy(cs->alerts);
        vg_free(cs->idx);
        vg_free(cs);
}

static const char *chg_key(chg_store_t *cs, char *buf, size_t size,
                           const char *kind, const char *id, const char *what)
{
        return vg_store_key(cs->s, buf, size, kind, id, what);
}

/* Queues the reads of one event: a change to score needs its whole
 * context; an outcome only the features it was scored with (to learn it
 * in line); a cancel nothing. */
static void chg_queue_reads(chg_store_t *cs, vg_redis_batch_t *rd,
                            const chg_event_t *ev, chg_reads_t *ix)
{
        char k[512];
        int64_t t = ev->event_time;

        memset(ix, 0xff, sizeof(*ix)); /* VG_STORE_NO_READ everywhere */
        if (ev->kind == CHG_K_CANCEL)
                return;
        ix->features = vg_redis_batch_blob_get(
                rd, chg_key(cs, k, sizeof(k), "chg", ev->number, "features"));
        if (ev->kind != CHG_K_SCORE)
                return;
        ix->team_changes = vg_store_read_count(
                cs->s, rd,
                chg_key(cs, k, sizeof(k), "team", ev->group, "changes"),
                t - cs->team_ms, t);
        ix->team_failed = vg_store_read_count(
                cs->s, rd,
                chg_key(cs, k, sizeof(k), "team", ev->group, "failed"),
                t - cs->team_ms, t);
        ix->ci_failures = vg_store_read_count(
                cs->s, rd, chg_key(cs, k, sizeof(k), "ci", ev->ci, "failed"),
                t - cs->ci_ms, t);
        ix->ci_incidents = vg_store_read_count(
                cs->s, rd,
                chg_key(cs, k, sizeof(k), "ci", ev->ci, "incidents"),
                t - cs->inc_ms, t);
        ix->open = vg_redis_batch_hgetall(
                rd, chg_key(cs, k, sizeof(k), "ci", ev->ci, "open"));
        ix->alerts = vg_alerts_read(cs->alerts, rd, ev->number);
}

/* Starts the reads of \p n events. @returns the batch to queue them in. */
static vg_redis_batch_t *chg_reads_begin(chg_store_t *cs, vg_proc_t *p,
                                         int n)
{
        if (n > cs->idx_cap) {
                cs->idx     = vg_realloc(cs->idx, sizeof(*cs->idx) * n);
                cs->idx_cap = n;
        }
        return vg_store_read_begin(cs->s, p, n);
}

void chg_store_read(chg_store_t *cs, vg_proc_t *p, const chg_event_t *evs,
                    chg_ctx_t *ctxs, int n)
{
        vg_redis_batch_t *rd = chg_reads_begin(cs, p, n);
        vg_alerts_begin(cs->alerts);
        for (int i = 0; i < n; i++) {
                memset(&ctxs[i], 0, sizeof(ctxs[i]));
                chg_queue_reads(cs, rd, &evs[i], &cs->idx[i]);
                vg_store_read_next(cs->s);
        }
        vg_store_read_send(cs->s, p);
}

/* Open changes on the CI whose planned window overlaps \p ev's. */
static void chg_collisions(const chg_store_t *cs, const chg_event_t *ev,
                           size_t idx, chg_ctx_t *ctx)
{
        const vg_redis_reply_t *rep = vg_store_reply(cs->s, idx);
        if (!rep || ev->start_date < 0 || ev->end_date < 0 || !*ev->ci)
                return;
        size_t n = vg_redis_reply_nelem(rep);
        for (size_t i = 0; i + 1 < n; i += 2) {
                size_t flen;
                const char *field = vg_redis_reply_str(
                        vg_redis_reply_elem(rep, i), &flen);
                const char *val = vg_redis_reply_str(
                        vg_redis_reply_elem(rep, i + 1), NULL);
                long long st, en;
                if (!field || !val || sscanf(val, "%lld,%lld", &st, &en) != 2)
                        continue;
                if (flen == strlen(ev->number) &&
                    !memcmp(field, ev->number, flen))
                        continue;
                if (st < ev->end_date && ev->start_date < en &&
                    ctx->ncollisions < CHG_MAX_COLLISIONS) {
                        char *c = ctx->collisions[ctx->ncollisions++];
                        size_t cl = vg_utf8_truncate(
                                field, flen, sizeof(ctx->collisions[0]) - 1);
                        memcpy(c, field, cl);
                        c[cl] = '\0';
                }
        }
}

void chg_store_ctx(chg_store_t *cs, int i, const chg_event_t *ev,
                   chg_ctx_t *ctx)
{
        const chg_reads_t *ix = &cs->idx[i];
        const vg_redis_reply_t *rep;
        size_t len;

        if (vg_store_read_wait(cs->s, i)) {
                ctx->degraded = 1;
                return;
        }
        ctx->team_changes = vg_store_count(cs->s, ix->team_changes);
        ctx->team_failed  = vg_store_count(cs->s, ix->team_failed);
        ctx->ci_failures  = vg_store_count(cs->s, ix->ci_failures);
        ctx->ci_incidents = vg_store_count(cs->s, ix->ci_incidents);
        chg_collisions(cs, ev, ix->open, ctx);
        rep = vg_store_reply(cs->s, ix->features);
        const char *blob = rep ? vg_redis_reply_str(rep, &len) : NULL;
        if (blob && vg_redis_reply_type(rep) == VG_REDIS_R_STRING) {
                ctx->features     = vg_strndup(blob, len);
                ctx->features_len = len;
        }
        if (ix->alerts != VG_STORE_NO_READ)
                ctx->alerted = vg_alerts_stored(cs->alerts, ix->alerts,
                                                ev->event_time);
}

void chg_ctx_clear(chg_ctx_t *ctx)
{
        vg_free(ctx->features);
        ctx->features = NULL;
}

void chg_store_put_features(chg_store_t *cs, const chg_event_t *ev,
                            const void *blob, size_t len)
{
        char k[512];
        vg_redis_batch_blob_set(
                vg_store_writes(cs->s),
                chg_key(cs, k, sizeof(k), "chg", ev->number, "features"),
                blob, len, cs->features_ttl_s);
}

void chg_store_put_open(chg_store_t *cs, const chg_event_t *ev)
{
        char k[512], v[64];
        if (!*ev->ci || ev->start_date < 0 || ev->end_date < 0)
                return;
        snprintf(v, sizeof(v), "%lld,%lld", (long long)ev->start_date,
                 (long long)ev->end_date);
        vg_redis_batch_hset(vg_store_writes(cs->s),
                            chg_key(cs, k, sizeof(k), "ci", ev->ci, "open"),
                            ev->number, v, strlen(v));
}

void chg_store_put_cancel(chg_store_t *cs, const chg_event_t *ev)
{
        char k[512];
        if (*ev->ci)
                vg_redis_batch_hdel(
                        vg_store_writes(cs->s),
                        chg_key(cs, k, sizeof(k), "ci", ev->ci, "open"),
                        ev->number);
}

/* Adds \p number at \p t to the window kind:id:what, trimmed as of the
 * watermark \p wm (vg_store_window_put()). */
static void chg_window_put(chg_store_t *cs, const char *kind, const char *id,
                           const char *what, int64_t t, int64_t wm,
                           int64_t keep_ms, const char *number)
{
        char k[512];
        chg_key(cs, k, sizeof(k), kind, id, what);
        vg_store_window_put(cs->s, k, t, number, number, wm, keep_ms);
}

void chg_store_put_outcome(chg_store_t *cs, const chg_event_t *ev,
                           int64_t wm)
{
        int64_t t = chg_event_outcome_time(ev);
        chg_store_put_cancel(cs, ev); /* no longer open */
        if (*ev->group) {
                chg_window_put(cs, "team", ev->group, "changes", t, wm,
                               cs->team_ms, ev->number);
                if (ev->failed)
                        chg_window_put(cs, "team", ev->group, "failed", t,
                                       wm, cs->team_ms, ev->number);
        }
        if (*ev->ci) {
                chg_window_put(cs, "ci", ev->ci, "changes", t, wm,
                               cs->ci_ms, ev->number);
                if (ev->failed)
                        chg_window_put(cs, "ci", ev->ci, "failed", t, wm,
                                       cs->ci_ms, ev->number);
        }
}

static size_t chg_min(size_t a, size_t b)
{
        return a < b ? a : b;
}

/* When the work of \p ev starts: its start date, else opened_at, else
 * its event time. */
static int64_t chg_work_start(const chg_event_t *ev)
{
        return ev->start_date >= 0  ? ev->start_date
               : ev->opened_at >= 0 ? ev->opened_at
                                    : ev->event_time;
}

void chg_store_put_work(chg_store_t *cs, const chg_event_t *ev, double p,
                        int64_t wm)
{
        char k[512], m[VG_WORK_MEMBER_MAX];
        vg_work_t w = {.event_time = ev->event_time,
                       .start_ms   = ev->start_date,
                       .end_ms     = ev->end_date,
                       .p_failure  = p};
        int64_t t = chg_work_start(ev);

        if (!*ev->ci)
                return;
        /* up to the arrays' ends: vg_work_encode() cuts them at a
         * character boundary */
        memcpy(w.number, ev->number,
               chg_min(strlen(ev->number), sizeof(w.number)));
        memcpy(w.type, ev->type, chg_min(strlen(ev->type), sizeof(w.type)));
        if (!vg_work_encode(&w, m, sizeof(m)))
                return; /* no number (chg_event_read() refuses it) */
        chg_key(cs, k, sizeof(k), "ci", ev->ci, "work");
        vg_store_window_put(cs->s, k, t, m, ev->number, wm, cs->work_ms);
}

void chg_store_put_service(chg_store_t *cs, const chg_event_t *ev,
                           int64_t wm)
{
        /* the number as member: a later record of the change moves it to
         * its latest start date, never counts it twice */
        if (*ev->service)
                chg_window_put(cs, "svc", ev->service, "changes",
                               chg_work_start(ev), wm, cs->work_ms,
                               ev->number);
}

void chg_store_read_scored(chg_store_t *cs, vg_proc_t *p,
                           const chg_event_t *evs, const char *want, int n)
{
        char k[512];
        vg_redis_batch_t *rd = chg_reads_begin(cs, p, n);
        for (int i = 0; i < n; i++) {
                cs->idx[i].features =
                        want[i] ? vg_redis_batch_blob_get(
                                          rd, chg_key(cs, k, sizeof(k), "chg",
                                                      evs[i].number,
                                                      "features"))
                                : VG_STORE_NO_READ;
                vg_store_read_next(cs->s);
        }
        vg_store_read_send(cs->s, p);
}

int chg_store_scored(chg_store_t *cs, int i, const char **blobp,
                     size_t *lenp)
{
        if (vg_store_read_wait(cs->s, i))
                return -1;
        const vg_redis_reply_t *rep = vg_store_reply(cs->s,
                                                     cs->idx[i].features);
        *blobp = rep && vg_redis_reply_type(rep) == VG_REDIS_R_STRING
                         ? vg_redis_reply_str(rep, lenp)
                         : NULL;
        return 0;
}

int chg_store_alert_take(chg_store_t *cs, const chg_event_t *ev,
                         const chg_ctx_t *ctx, int band)
{
        return vg_alerts_take(cs->alerts, ev->number, band, ctx->alerted);
}

void chg_store_put_alerted(chg_store_t *cs, const chg_event_t *ev, int band,
                           int produced)
{
        vg_alerts_mark(cs->alerts, vg_store_writes(cs->s), ev->number, band,
                       produced ? ev->event_time : 0);
}
