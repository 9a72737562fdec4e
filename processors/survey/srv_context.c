/**
 * @file srv_context.c
 * @brief vigie-survey's keys in the feature store (see srv_context.h).
 */
#include "srv_context.h"
#include "vg_alerts.h"
#include "vg_mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SRV_HOUR_MS 3600000LL
#define SRV_DAY_MS  86400000LL

typedef struct srv_count_reads_s {
        size_t win_all, win_neg, base_all, base_neg;
} srv_count_reads_t;

typedef struct srv_reads_s {
        srv_count_reads_t topic, service;
        size_t incidents, changes, alert_topic, alert_service, stored;
} srv_reads_t;

static const char *const srv_drop_levels[] = {"DROP"};

struct srv_store_s {
        vg_store_t *s;
        vg_alerts_t *alerts;
        srv_reads_t *idx;
        int idx_cap;
        int64_t win_ms, base_ms, link_ms, ttl_s;
};

srv_store_t *srv_store_new(vg_store_t *s, const vg_conf_t *conf)
{
        srv_store_t *ss = vg_calloc(1, sizeof(*ss));
        ss->s       = s;
        ss->win_ms  = vg_conf_get_int(conf, "survey.alert.window.hours") *
                     SRV_HOUR_MS;
        ss->base_ms = vg_conf_get_int(conf, "survey.alert.baseline.days") *
                      SRV_DAY_MS;
        ss->link_ms = vg_conf_get_int(conf, "survey.link.window.days") *
                      SRV_DAY_MS;
        ss->ttl_s   = vg_conf_get_int(conf, "survey.insight.ttl.days") *
                    86400;
        ss->alerts = vg_alerts_new(s, "srvdrop", srv_drop_levels, 1,
                                   ss->ttl_s);
        return ss;
}

void srv_store_destroy(srv_store_t *ss)
{
        if (!ss)
                return;
        vg_alerts_destroy(ss->alerts);
        vg_free(ss->idx);
        vg_free(ss);
}

static const char *srv_key(const srv_store_t *ss, char *buf, size_t size,
                           const char *kind, const char *id, const char *what)
{
        return vg_store_key(ss->s, buf, size, kind, id, what);
}

const char *srv_store_subject(const srv_store_t *ss, const char *what,
                              const char *id, int64_t t_ms, char *buf,
                              size_t size)
{
        snprintf(buf, size, "%s:%s@%lld", what, id,
                 (long long)(t_ms / ss->win_ms));
        return buf;
}

/* ---------------------------------------------------------------------- */
/* Reads                                                                  */

static void srv_queue_counts(srv_store_t *ss, vg_redis_batch_t *rd,
                             const char *kind, const char *id, int64_t t,
                             srv_count_reads_t *ix)
{
        char ka[512], kn[512];
        int64_t w0 = t - ss->win_ms, b0 = w0 - ss->base_ms;
        srv_key(ss, ka, sizeof(ka), kind, id, "responses");
        srv_key(ss, kn, sizeof(kn), kind, id, "negative");
        ix->win_all  = vg_store_read_count(ss->s, rd, ka, w0 + 1, t);
        ix->win_neg  = vg_store_read_count(ss->s, rd, kn, w0 + 1, t);
        ix->base_all = vg_store_read_count(ss->s, rd, ka, b0 + 1, w0);
        ix->base_neg = vg_store_read_count(ss->s, rd, kn, b0 + 1, w0);
}

/* The newest members of a window (ZREVRANGEBYSCORE ... WITHSCORES LIMIT):
 * the incidents and changes just before a response matter most. */
static size_t srv_queue_newest(srv_store_t *ss, vg_redis_batch_t *rd,
                               const char *key, int64_t from, int64_t to)
{
        char lo[24], hi[24], lim[8];
        (void)ss;
        snprintf(lo, sizeof(lo), "%lld", (long long)from);
        snprintf(hi, sizeof(hi), "%lld", (long long)to);
        snprintf(lim, sizeof(lim), "%d", SRV_MAX_LINKS / 2);
        return vg_redis_batch_cmd(rd, "ZREVRANGEBYSCORE", key, hi, lo,
                                  "WITHSCORES", "LIMIT", "0", lim, NULL);
}

static void srv_queue_reads(srv_store_t *ss, vg_redis_batch_t *rd,
                            const srv_event_t *ev, int64_t topic,
                            srv_reads_t *ix)
{
        char k[512], id[32], subj[256];
        int64_t t = ev->submitted_at;

        memset(ix, 0xff, sizeof(*ix));
        /* the topic of an earlier insight of the response (consumed
         * again after a crash): it stays in the same topic */
        ix->stored = vg_redis_batch_cmd(
                rd, "HGET", srv_key(ss, k, sizeof(k), "srv", ev->id, "insight"),
                "topic", NULL);
        if (topic >= 0) {
                snprintf(id, sizeof(id), "%lld", (long long)topic);
                srv_queue_counts(ss, rd, "srvtopic", id, t, &ix->topic);
                ix->alert_topic = vg_alerts_read(
                        ss->alerts, rd,
                        srv_store_subject(ss, "topic", id, t, subj,
                                          sizeof(subj)));
        }
        if (!*ev->service)
                return;
        srv_queue_counts(ss, rd, "svc", ev->service, t, &ix->service);
        ix->alert_service = vg_alerts_read(
                ss->alerts, rd,
                srv_store_subject(ss, "service", ev->service, t, subj,
                                  sizeof(subj)));
        ix->incidents = srv_queue_newest(
                ss, rd, srv_key(ss, k, sizeof(k), "svc", ev->service,
                                "incidents"),
                t - ss->link_ms, t);
        ix->changes = srv_queue_newest(
                ss, rd, srv_key(ss, k, sizeof(k), "svc", ev->service,
                                "changes"),
                t - ss->link_ms, t);
}

void srv_store_read(srv_store_t *ss, vg_proc_t *p, const srv_event_t *evs,
                    const int64_t *topics, int n)
{
        if (n > ss->idx_cap) {
                ss->idx     = vg_realloc(ss->idx, sizeof(*ss->idx) * n);
                ss->idx_cap = n;
        }
        vg_redis_batch_t *rd = vg_store_read_begin(ss->s, p, n);
        vg_alerts_begin(ss->alerts);
        for (int i = 0; i < n; i++) {
                srv_queue_reads(ss, rd, &evs[i], topics[i], &ss->idx[i]);
                vg_store_read_next(ss->s);
        }
        vg_store_read_send(ss->s, p);
}

static void srv_counts(const srv_store_t *ss, const srv_count_reads_t *ix,
                       srv_counts_t *c)
{
        c->win_all  = vg_store_count(ss->s, ix->win_all);
        c->win_neg  = vg_store_count(ss->s, ix->win_neg);
        c->base_all = vg_store_count(ss->s, ix->base_all);
        c->base_neg = vg_store_count(ss->s, ix->base_neg);
}

/* Members with their times, newest first (ZREVRANGEBYSCORE WITHSCORES). */
static void srv_links(const srv_store_t *ss, size_t idx, const char *kind,
                      srv_ctx_t *ctx)
{
        const vg_redis_reply_t *rep = vg_store_reply(ss->s, idx);
        size_t n = rep ? vg_redis_reply_nelem(rep) : 0;
        for (size_t i = 0; i + 1 < n && ctx->nlinks < SRV_MAX_LINKS; i += 2) {
                const char *m = vg_redis_reply_str(vg_redis_reply_elem(rep, i),
                                                   NULL);
                const char *sc = vg_redis_reply_str(
                        vg_redis_reply_elem(rep, i + 1), NULL);
                if (!m || !sc)
                        continue;
                srv_link_t *l = &ctx->links[ctx->nlinks++];
                vg_strlcpy(l->kind, kind, sizeof(l->kind));
                vg_strlcpy(l->number, m, sizeof(l->number));
                l->at = atoll(sc);
        }
}

int srv_store_ctx(srv_store_t *ss, int i, int64_t t_ms, srv_ctx_t *ctx)
{
        const srv_reads_t *ix = &ss->idx[i];
        memset(ctx, 0, sizeof(*ctx));
        ctx->stored_topic = SRV_NO_TOPIC;
        if (vg_store_read_wait(ss->s, i)) {
                ctx->degraded = 1;
                return -1;
        }
        const vg_redis_reply_t *st = vg_store_reply(ss->s, ix->stored);
        const char *tp = st ? vg_redis_reply_str(st, NULL) : NULL;
        ctx->stored_topic = tp && *tp ? atoll(tp) : SRV_NO_TOPIC;
        srv_counts(ss, &ix->topic, &ctx->topic);
        srv_counts(ss, &ix->service, &ctx->service);
        srv_links(ss, ix->incidents, "incident", ctx);
        srv_links(ss, ix->changes, "change", ctx);
        if (ix->alert_topic != VG_STORE_NO_READ)
                ctx->alerted_topic = vg_alerts_stored(ss->alerts,
                                                      ix->alert_topic, t_ms);
        if (ix->alert_service != VG_STORE_NO_READ)
                ctx->alerted_service = vg_alerts_stored(
                        ss->alerts, ix->alert_service, t_ms);
        return 0;
}

/* ---------------------------------------------------------------------- */
/* Writes                                                                 */

static void srv_window_put(srv_store_t *ss, const char *kind, const char *id,
                           const char *what, const srv_event_t *ev,
                           int64_t wm)
{
        char k[512];
        srv_key(ss, k, sizeof(k), kind, id, what);
        vg_store_window_put(ss->s, k, ev->submitted_at, ev->id, ev->id, wm,
                            ss->win_ms + ss->base_ms);
}

static void srv_hset(vg_redis_batch_t *wr, const char *key, const char *f,
                     const char *v)
{
        vg_redis_batch_hset(wr, key, f, v, strlen(v));
}

void srv_store_put_response(srv_store_t *ss, const srv_event_t *ev,
                            int64_t topic, int cls, double score_pred,
                            const char *comment, const char *pseudonym,
                            int64_t wm)
{
        vg_redis_batch_t *wr = vg_store_writes(ss->s);
        char k[512], v[64], tid[32];

        srv_key(ss, k, sizeof(k), "srv", ev->id, "insight");
        snprintf(tid, sizeof(tid), "%lld", (long long)topic);
        srv_hset(wr, k, "topic", tid);
        srv_hset(wr, k, "class", cls >= 0 ? srv_class_name(cls) : "");
        snprintf(v, sizeof(v), "%.2f", score_pred);
        srv_hset(wr, k, "score_pred", v);
        srv_hset(wr, k, "comment", comment);
        srv_hset(wr, k, "service", ev->service);
        snprintf(v, sizeof(v), "%lld", (long long)ev->submitted_at);
        srv_hset(wr, k, "submitted_at", v);
        if (pseudonym)
                srv_hset(wr, k, "pseudonym", pseudonym);
        vg_redis_batch_expire(wr, k, ss->ttl_s);
        if (topic >= 0) {
                srv_window_put(ss, "srvtopic", tid, "responses", ev, wm);
                if (cls == SRV_NEGATIVE)
                        srv_window_put(ss, "srvtopic", tid, "negative", ev,
                                       wm);
        }
        if (*ev->service) {
                srv_window_put(ss, "svc", ev->service, "responses", ev, wm);
                if (cls == SRV_NEGATIVE)
                        srv_window_put(ss, "svc", ev->service, "negative", ev,
                                       wm);
        }
}

static void srv_terms_join(char terms[][SRV_TERM_LEN], int n, char *out,
                           size_t size)
{
        size_t off = 0;
        out[0]     = '\0';
        for (int i = 0; i < n && off + 1 < size; i++)
                off += (size_t)snprintf(out + off, size - off, "%s%s",
                                        i ? " " : "", terms[i]);
}

void srv_store_put_topic(srv_store_t *ss, const srv_topic_info_t *ti)
{
        static const char *const states[] = {"alive", "merged", "dead"};
        vg_redis_batch_t *wr = vg_store_writes(ss->s);
        char k[512], id[32], v[SRV_TERMS_MAX * SRV_TERM_LEN + 16];

        snprintf(id, sizeof(id), "%lld", (long long)ti->id);
        srv_key(ss, k, sizeof(k), "srvtopic", id, "info");
        snprintf(v, sizeof(v), "%lld", (long long)ti->born_ms);
        srv_hset(wr, k, "born_at", v);
        srv_terms_join((char(*)[SRV_TERM_LEN])ti->born_terms, ti->nborn, v,
                       sizeof(v));
        srv_hset(wr, k, "born_terms", v);
        srv_terms_join((char(*)[SRV_TERM_LEN])ti->terms, ti->nterms, v,
                       sizeof(v));
        srv_hset(wr, k, "terms", v);
        srv_hset(wr, k, "state", states[ti->state]);
        snprintf(v, sizeof(v), "%llu", (unsigned long long)ti->size);
        srv_hset(wr, k, "size", v);
        if (ti->state != SRV_TOPIC_ALIVE) {
                snprintf(v, sizeof(v), "%lld", (long long)ti->ended_ms);
                srv_hset(wr, k, "ended_at", v);
        }
        if (ti->state == SRV_TOPIC_MERGED) {
                snprintf(v, sizeof(v), "%lld", (long long)ti->merged_into);
                srv_hset(wr, k, "merged_into", v);
        }
        vg_redis_batch_window_add(wr, srv_key(ss, k, sizeof(k), "srv", "all",
                                              "topics"),
                                  ti->born_ms, id);
}

int srv_store_drop_take(srv_store_t *ss, const char *subject,
                        unsigned stored)
{
        return vg_alerts_take(ss->alerts, subject, 0, stored);
}

void srv_store_put_dropped(srv_store_t *ss, const char *subject,
                           int64_t event_time)
{
        vg_alerts_mark(ss->alerts, vg_store_writes(ss->s), subject, 0,
                       event_time);
}
