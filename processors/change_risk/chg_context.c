/**
 * @file chg_context.c
 * @brief Change context in Redis (see chg_context.h).
 */
#include "chg_context.h"
#include "chg_band.h"
#include "vg_hash.h"
#include "vg_log.h"
#include "vg_mem.h"
#include "vg_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHG_DAY_MS 86400000LL
#define CHG_WR_PART 256 /**< writes sent as soon as this many are queued */

/* One batch of writes waiting for Redis, with the holds it releases. */
typedef struct chg_pending_s {
        struct chg_pending_s *next;
        vg_redis_batch_t *b;
        vg_proc_hold_t **holds;
        int nholds;
} chg_pending_t;

static void chg_pending_free(chg_pending_t *pe);

/** Reply indexes of one event's reads. */
typedef struct chg_reads_s {
        size_t team_changes, team_failed, ci_failures, ci_incidents;
        size_t open, features, alerts;
        size_t end; /**< replies to read before this event's are in */
} chg_reads_t;

struct chg_store_s {
        vg_redis_t *r;
        vg_redis_batch_t *rd, *wr;
        chg_reads_t *idx;
        int idx_cap;
        int64_t team_ms, ci_ms, inc_ms;
        int64_t features_ttl_s;
        const char *model_id;
        struct chg_pending_s *backlog, *backlog_tail;
        int nbacklog;
        int warned;
        /* Sent, replies not read yet: Redis executes a batch's writes while
         * the next batch is consumed and decoded. */
        struct chg_pending_s *inflight;
        int64_t inflight_us;
        int rd_failed; /**< the batch's reads failed: the rest degraded */
        int wr_failed; /**< sending the batch's first writes failed */
        vg_redis_batch_t *spare; /**< a written batch, for the next writes */
};

chg_store_t *chg_store_new(vg_redis_t *r, const vg_conf_t *conf)
{
        chg_store_t *s = vg_calloc(1, sizeof(*s));
        s->r           = r;
        s->rd          = vg_redis_batch_new();
        s->wr          = vg_redis_batch_new();
        s->team_ms = vg_conf_get_int(conf, "change.team.window.days") *
                     CHG_DAY_MS;
        s->ci_ms = vg_conf_get_int(conf, "change.ci.window.days") * CHG_DAY_MS;
        s->inc_ms = vg_conf_get_int(conf, "change.incident.window.days") *
                    CHG_DAY_MS;
        s->features_ttl_s =
                vg_conf_get_int(conf, "change.features.ttl.days") * 86400;
        s->model_id = vg_conf_get_str(conf, "change.model.key");
        return s;
}

void chg_store_destroy(chg_store_t *s)
{
        if (!s)
                return;
        if (s->inflight) /* its holds die with the runtime */
                chg_pending_free(s->inflight);
        vg_redis_batch_destroy(s->rd);
        vg_redis_batch_destroy(s->wr);
        vg_redis_batch_destroy(s->spare);
        while (s->backlog) {
                struct chg_pending_s *pe = s->backlog;
                s->backlog               = pe->next;
                chg_pending_free(pe);
        }
        vg_free(s->idx);
        vg_free(s);
}

static const char *chg_key(chg_store_t *s, char *buf, size_t size,
                           const char *kind, const char *id, const char *what)
{
        vg_redis_key(s->r, buf, size, kind, id, what);
        return buf;
}

#define CHG_NO_READ ((size_t)-1)

/* Queues the reads of one event: a change to score needs its whole
 * context; an outcome only the features it was scored with; a cancel
 * nothing. */
static void chg_queue_reads(chg_store_t *s, const chg_event_t *ev,
                            chg_reads_t *ix)
{
        char k[512];
        int64_t t  = ev->event_time;

        memset(ix, 0xff, sizeof(*ix)); /* CHG_NO_READ everywhere */
        if (ev->kind == CHG_K_CANCEL)
                return;
        ix->features = vg_redis_batch_blob_get(
                s->rd, chg_key(s, k, sizeof(k), "chg", ev->number, "features"));
        if (ev->kind != CHG_K_SCORE)
                return;
        ix->team_changes = vg_redis_batch_window_count(
                s->rd, chg_key(s, k, sizeof(k), "team", ev->group, "changes"),
                t - s->team_ms, t);
        ix->team_failed = vg_redis_batch_window_count(
                s->rd, chg_key(s, k, sizeof(k), "team", ev->group, "failed"),
                t - s->team_ms, t);
        ix->ci_failures = vg_redis_batch_window_count(
                s->rd, chg_key(s, k, sizeof(k), "ci", ev->ci, "failed"),
                t - s->ci_ms, t);
        ix->ci_incidents = vg_redis_batch_window_count(
                s->rd, chg_key(s, k, sizeof(k), "ci", ev->ci, "incidents"),
                t - s->inc_ms, t);
        ix->open = vg_redis_batch_hgetall(
                s->rd, chg_key(s, k, sizeof(k), "ci", ev->ci, "open"));
        ix->alerts = vg_redis_batch_hgetall(
                s->rd, chg_key(s, k, sizeof(k), "chg", ev->number, "alerts"));
}

static long long chg_int(const chg_store_t *s, size_t idx)
{
        if (idx == CHG_NO_READ)
                return 0;
        const vg_redis_reply_t *rep = vg_redis_batch_reply(s->rd, idx);
        return vg_redis_reply_type(rep) == VG_REDIS_R_INT
                       ? vg_redis_reply_int(rep)
                       : 0;
}

/* Open changes on the CI whose planned window overlaps \p ev's. */
static void chg_collisions(const chg_store_t *s, const chg_event_t *ev,
                           size_t idx, chg_ctx_t *ctx)
{
        if (idx == CHG_NO_READ || ev->start_date < 0 || ev->end_date < 0 ||
            !*ev->ci)
                return;
        const vg_redis_reply_t *rep = vg_redis_batch_reply(s->rd, idx);
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
                        snprintf(ctx->collisions[ctx->ncollisions++],
                                 sizeof(ctx->collisions[0]), "%.*s",
                                 (int)flen, field);
                }
        }
}

static void chg_fill_ctx(const chg_store_t *s, const chg_event_t *ev,
                         const chg_reads_t *ix, chg_ctx_t *ctx)
{
        size_t len;
        const vg_redis_reply_t *rep;

        ctx->team_changes = chg_int(s, ix->team_changes);
        ctx->team_failed  = chg_int(s, ix->team_failed);
        ctx->ci_failures  = chg_int(s, ix->ci_failures);
        ctx->ci_incidents = chg_int(s, ix->ci_incidents);
        chg_collisions(s, ev, ix->open, ctx);
        if (ix->features != CHG_NO_READ) {
                rep = vg_redis_batch_reply(s->rd, ix->features);
                const char *blob = vg_redis_reply_str(rep, &len);
                if (vg_redis_reply_type(rep) == VG_REDIS_R_STRING && blob) {
                        ctx->features     = vg_strndup(blob, len);
                        ctx->features_len = len;
                }
        }
        if (ix->alerts == CHG_NO_READ)
                return;
        rep = vg_redis_batch_reply(s->rd, ix->alerts);
        for (size_t i = 0; i + 1 < vg_redis_reply_nelem(rep); i += 2) {
                const char *band = vg_redis_reply_str(
                        vg_redis_reply_elem(rep, i), NULL);
                const char *at = vg_redis_reply_str(
                        vg_redis_reply_elem(rep, i + 1), NULL);
                int b = band ? chg_band_index(band) : -1;
                /* The alert of this very record, consumed again (its offset
                 * was not committed): it may never have reached Kafka, so
                 * it is produced again, with the same alert_id. */
                if (b >= 0 && !(at && strtoll(at, NULL, 10) == ev->event_time))
                        ctx->alerted |= 1 << b;
        }
}

static void chg_inflight_finish(chg_store_t *s, vg_proc_t *p);
static int chg_backlog_flush(chg_store_t *s, vg_proc_t *p);

int chg_store_read(chg_store_t *s, vg_proc_t *p, const chg_event_t *evs,
                   chg_ctx_t *ctxs, int n)
{
        char errstr[256];
        int rc = 0;
        if (s->backlog) /* older writes first, if Redis is back */
                chg_backlog_flush(s, p);
        if (n > s->idx_cap) {
                s->idx     = vg_realloc(s->idx, sizeof(*s->idx) * n);
                s->idx_cap = n;
        }
        vg_redis_batch_reset(s->rd);
        for (int i = 0; i < n; i++) {
                memset(&ctxs[i], 0, sizeof(ctxs[i]));
                chg_queue_reads(s, &evs[i], &s->idx[i]);
                s->idx[i].end = vg_redis_batch_cnt(s->rd);
        }
        s->rd_failed = s->wr_failed = 0;
        /* Sent after the last batch's writes on the same connection, the
         * reads see them: Redis executes commands in the order sent. */
        if (vg_redis_batch_send(s->r, s->rd, errstr, sizeof(errstr))) {
                vg_dbg("change", "context read failed: %s", errstr);
                s->rd_failed = 1;
                rc           = -1;
        }
        chg_inflight_finish(s, p); /* its replies come first */
        if (s->backlog && !s->rd_failed) {
                /* writes not in: the reads do not see them */
                s->rd_failed = 1;
                rc           = -1;
        }
        return rc;
}

void chg_store_ctx(chg_store_t *s, int i, const chg_event_t *ev,
                   chg_ctx_t *ctx)
{
        char errstr[256];
        if (!s->rd_failed &&
            vg_redis_batch_wait_n(s->r, s->rd, s->idx[i].end, errstr,
                                  sizeof(errstr))) {
                vg_dbg("change", "context read failed: %s", errstr);
                s->rd_failed = 1;
        }
        if (s->rd_failed)
                ctx->degraded = 1;
        else
                chg_fill_ctx(s, ev, &s->idx[i], ctx);
}

void chg_store_pump(chg_store_t *s)
{
        char errstr[256];
        /* in order: after any backlog; not while Redis fails */
        if (vg_redis_batch_unsent(s->wr) < CHG_WR_PART || s->backlog ||
            s->rd_failed || s->wr_failed)
                return;
        if (vg_redis_batch_send_more(s->r, s->wr, errstr, sizeof(errstr)))
                s->wr_failed = 1; /* the flush sends it all again */
}

void chg_ctx_clear(chg_ctx_t *ctx)
{
        vg_free(ctx->features);
        ctx->features = NULL;
}

void chg_store_put_features(chg_store_t *s, const chg_event_t *ev,
                            const void *blob, size_t len)
{
        char k[512];
        vg_redis_batch_blob_set(
                s->wr, chg_key(s, k, sizeof(k), "chg", ev->number, "features"),
                blob, len, s->features_ttl_s);
}

void chg_store_put_open(chg_store_t *s, const chg_event_t *ev)
{
        char k[512], v[64];
        if (!*ev->ci || ev->start_date < 0 || ev->end_date < 0)
                return;
        snprintf(v, sizeof(v), "%lld,%lld", (long long)ev->start_date,
                 (long long)ev->end_date);
        vg_redis_batch_hset(s->wr,
                            chg_key(s, k, sizeof(k), "ci", ev->ci, "open"),
                            ev->number, v, strlen(v));
}

void chg_store_put_cancel(chg_store_t *s, const chg_event_t *ev)
{
        char k[512];
        if (*ev->ci)
                vg_redis_batch_hdel(
                        s->wr, chg_key(s, k, sizeof(k), "ci", ev->ci, "open"),
                        ev->number);
}

/* Adds \p number at \p t to a window, and on one outcome in 16 (by its
 * number, so a redelivery does the same) trims what fell out of it. */
static void chg_window_put(chg_store_t *s, const char *kind, const char *id,
                           const char *what, int64_t t, int64_t keep_ms,
                           const char *number)
{
        char k[512];
        chg_key(s, k, sizeof(k), kind, id, what);
        vg_redis_batch_window_add(s->wr, k, t, number);
        if ((vg_hash64(number, strlen(number), 0) & 15) == 0)
                vg_redis_batch_window_trim(s->wr, k, t - 2 * keep_ms);
}

void chg_store_put_outcome(chg_store_t *s, const chg_event_t *ev)
{
        int64_t t = chg_event_outcome_time(ev);
        chg_store_put_cancel(s, ev); /* no longer open */
        if (*ev->group) {
                chg_window_put(s, "team", ev->group, "changes", t, s->team_ms,
                               ev->number);
                if (ev->failed)
                        chg_window_put(s, "team", ev->group, "failed", t,
                                       s->team_ms, ev->number);
        }
        if (*ev->ci) {
                chg_window_put(s, "ci", ev->ci, "changes", t, s->ci_ms,
                               ev->number);
                if (ev->failed)
                        chg_window_put(s, "ci", ev->ci, "failed", t, s->ci_ms,
                                       ev->number);
        }
}

void chg_store_put_alerted(chg_store_t *s, const chg_event_t *ev, int band,
                           int produced)
{
        char k[512], v[32];
        snprintf(v, sizeof(v), "%lld",
                 produced ? (long long)ev->event_time : 0LL);
        chg_key(s, k, sizeof(k), "chg", ev->number, "alerts");
        vg_redis_batch_hset(s->wr, k, chg_band_name(band), v, strlen(v));
        vg_redis_batch_expire(s->wr, k, s->features_ttl_s);
}

static void chg_write_failed(chg_store_t *s, const char *errstr)
{
        if (!s->warned++)
                vg_warn("change", "feature store: %s: scoring goes on "
                        "(context_degraded), writes are kept and retried",
                        errstr);
}

static int chg_exec(chg_store_t *s, vg_redis_batch_t *b)
{
        char errstr[256];
        if (vg_redis_batch_cnt(b) == 0)
                return 0;
        if (vg_redis_batch_exec(s->r, b, errstr, sizeof(errstr)) == VG_OK)
                return 0;
        chg_write_failed(s, errstr);
        return -1;
}

static void chg_pending_free(chg_pending_t *pe)
{
        vg_redis_batch_destroy(pe->b);
        vg_free(pe->holds);
        vg_free(pe);
}

/* Written: the holds are released, the batch kept for the next writes. */
static void chg_pending_release(chg_store_t *s, chg_pending_t *pe,
                                vg_proc_t *p)
{
        for (int i = 0; i < pe->nholds; i++)
                vg_proc_release(p, pe->holds[i]);
        if (!s->spare) { /* its buffers serve the next batch */
                vg_redis_batch_reset(pe->b);
                s->spare = pe->b;
                pe->b    = NULL;
        }
        chg_pending_free(pe);
}

/* Writes the backlog in order. @returns 0 once it is empty. */
static int chg_backlog_flush(chg_store_t *s, vg_proc_t *p)
{
        while (s->backlog) {
                chg_pending_t *pe = s->backlog;
                if (chg_exec(s, pe->b))
                        return -1;
                s->backlog = pe->next;
                if (!s->backlog)
                        s->backlog_tail = NULL;
                s->nbacklog--;
                chg_pending_release(s, pe, p);
        }
        if (s->warned) {
                vg_info("change", "feature store: back, writes caught up");
                s->warned = 0;
        }
        return 0;
}

/* The pending writes (s->wr) with their holds; s->wr starts anew. */
static chg_pending_t *chg_pending_take(chg_store_t *s, vg_proc_hold_t **holds,
                                       int nholds)
{
        chg_pending_t *pe = vg_calloc(1, sizeof(*pe));
        pe->b             = s->wr;
        pe->holds         = vg_malloc(sizeof(*holds) * (nholds + 1));
        memcpy(pe->holds, holds, sizeof(*holds) * nholds);
        pe->nholds = nholds;
        s->wr      = s->spare ? s->spare : vg_redis_batch_new();
        s->spare   = NULL;
        return pe;
}

static void chg_backlog_append(chg_store_t *s, chg_pending_t *pe)
{
        if (s->backlog_tail)
                s->backlog_tail->next = pe;
        else
                s->backlog = pe;
        s->backlog_tail = pe;
        s->nbacklog++;
}

/* Reads the replies of the batch in flight: its holds are released, or
 * (Redis failed meanwhile) it heads the backlog. */
static void chg_inflight_finish(chg_store_t *s, vg_proc_t *p)
{
        char errstr[256];
        chg_pending_t *pe = s->inflight;

        if (!pe)
                return;
        s->inflight = NULL;
        if (vg_redis_batch_wait(s->r, pe->b, errstr, sizeof(errstr)) ==
            VG_OK) {
                chg_pending_release(s, pe, p);
                return;
        }
        chg_write_failed(s, errstr);
        pe->next   = s->backlog; /* sent when the backlog was empty */
        s->backlog = pe;
        if (!s->backlog_tail)
                s->backlog_tail = pe;
        s->nbacklog++;
}

int chg_store_flush(chg_store_t *s, vg_proc_t *p, vg_proc_hold_t **holds,
                    int nholds)
{
        char errstr[256];
        chg_inflight_finish(s, p);
        while (s->nbacklog >= CHG_BACKLOG_MAX && !vg_proc_stopping(p) &&
               chg_backlog_flush(s, p))
                usleep(100 * 1000); /* back-pressure */
        chg_pending_t *pe = chg_pending_take(s, holds, nholds);
        if (chg_backlog_flush(s, p) == 0) {
                if (vg_redis_batch_send_more(s->r, pe->b, errstr,
                                             sizeof(errstr)) == VG_OK) {
                        s->inflight    = pe;
                        s->inflight_us = vg_time_mono_us();
                        return 0;
                }
                chg_write_failed(s, errstr);
        }
        chg_backlog_append(s, pe);
        return -1;
}

void chg_store_settle(chg_store_t *s, vg_proc_t *p)
{
        chg_inflight_finish(s, p);
}

void chg_store_retry(chg_store_t *s, vg_proc_t *p)
{
        /* in flight for a while: no next batch came to collect it */
        if (s->inflight && vg_time_mono_us() - s->inflight_us > 1000)
                chg_inflight_finish(s, p);
        if (s->backlog)
                chg_backlog_flush(s, p);
}

int chg_store_backlog(const chg_store_t *s)
{
        return s->nbacklog;
}

void chg_store_drain(chg_store_t *s, vg_proc_t *p)
{
        chg_inflight_finish(s, p);
        if (chg_backlog_flush(s, p) == 0)
                return;
        vg_warn("change", "feature store: %d write batch(es) not written; "
                "their records will be consumed again", s->nbacklog);
        while (s->backlog) {
                chg_pending_t *pe = s->backlog;
                s->backlog        = pe->next;
                chg_pending_free(pe);
        }
        s->backlog_tail = NULL;
        s->nbacklog     = 0;
}

int chg_store_save_model(chg_store_t *s, const void *buf, size_t len)
{
        char k[512], errstr[256];
        chg_key(s, k, sizeof(k), "model", s->model_id, "snapshot");
        if (vg_redis_blob_set(s->r, k, buf, len, 0, errstr,
                              sizeof(errstr)) != VG_OK) {
                vg_warn("change", "model checkpoint not saved: %s", errstr);
                return -1;
        }
        return 0;
}

int chg_store_load_model(chg_store_t *s, void **bufp, size_t *lenp)
{
        char k[512], errstr[256];
        chg_key(s, k, sizeof(k), "model", s->model_id, "snapshot");
        vg_err_t err = vg_redis_blob_get(s->r, k, bufp, lenp, errstr,
                                         sizeof(errstr));
        if (err && err != VG_ERR_NOENT)
                vg_warn("change", "model checkpoint not read: %s", errstr);
        return err;
}
