/**
 * @file inc_context.c
 * @brief vigie-incident's keys in the feature store (see inc_context.h).
 */
#include "inc_context.h"
#include "vg_alerts.h"
#include "vg_mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INC_HOUR_MS 3600000LL
#define INC_DAY_MS  86400000LL

/** Reply indexes of one subject's counts. */
typedef struct inc_count_reads_s {
        size_t window, d7, base, members;
} inc_count_reads_t;

/** Reply indexes of one update's reads. */
typedef struct inc_reads_s {
        size_t state, feedback, work, alerts, recur_ci, recur_cl;
        inc_count_reads_t ci, cl;
} inc_reads_t;

static const char *const inc_alert_levels[] = {"CHANGE_INDUCED"};
static const char *const inc_recur_levels[] = {"RECURRING"};

struct inc_store_s {
        vg_store_t *s;
        vg_alerts_t *alerts, *recur;
        inc_reads_t *idx;
        int idx_cap;
        int64_t recur_ms, base_ms, ci_keep_ms, suspect_ms;
        int64_t state_ttl_s;
};

inc_store_t *inc_store_new(vg_store_t *s, const vg_conf_t *conf)
{
        inc_store_t *cs = vg_calloc(1, sizeof(*cs));
        cs->s           = s;
        cs->recur_ms = vg_conf_get_int(conf, "incident.recurring.window.hours") *
                       INC_HOUR_MS;
        cs->base_ms = vg_conf_get_int(conf,
                                      "incident.recurring.baseline.days") *
                      INC_DAY_MS;
        cs->ci_keep_ms = vg_conf_get_int(conf, "incident.ci.window.days") *
                         INC_DAY_MS;
        cs->suspect_ms = vg_conf_get_int(conf,
                                         "incident.suspect.window.hours") *
                         INC_HOUR_MS;
        cs->state_ttl_s = vg_conf_get_int(conf, "incident.state.ttl.days") *
                          86400;
        cs->alerts = vg_alerts_new(s, "inc", inc_alert_levels, 1,
                                   cs->state_ttl_s);
        cs->recur  = vg_alerts_new(s, "recur", inc_recur_levels, 1,
                                   cs->state_ttl_s);
        return cs;
}

void inc_store_destroy(inc_store_t *cs)
{
        if (!cs)
                return;
        vg_alerts_destroy(cs->alerts);
        vg_alerts_destroy(cs->recur);
        vg_free(cs->idx);
        vg_free(cs);
}

int64_t inc_store_recur_window(const inc_store_t *cs)
{
        return cs->recur_ms;
}

static const char *inc_key(const inc_store_t *cs, char *buf, size_t size,
                           const char *kind, const char *id, const char *what)
{
        return vg_store_key(cs->s, buf, size, kind, id, what);
}

static const char *inc_cluster_id(int64_t cluster, char *buf, size_t size)
{
        snprintf(buf, size, "%lld", (long long)cluster);
        return buf;
}

const char *inc_store_recur_subject(const inc_store_t *cs,
                                    const inc_event_t *ev, int which,
                                    int64_t cluster, char *buf, size_t size)
{
        long long win = (long long)(ev->opened_at / cs->recur_ms);
        if (which == INC_RECUR_CI)
                snprintf(buf, size, "ci:%s@%lld", ev->ci, win);
        else
                snprintf(buf, size, "cluster:%lld@%lld", (long long)cluster,
                         win);
        return buf;
}

/* ---------------------------------------------------------------------- */
/* Reads                                                                  */

/* A subject's window, 7 days, baseline and window members, up to t. */
static void inc_queue_counts(inc_store_t *cs, vg_redis_batch_t *rd,
                             const char *key, int64_t t,
                             inc_count_reads_t *ix)
{
        ix->window  = vg_store_read_count(cs->s, rd, key,
                                          t - cs->recur_ms + 1, t);
        ix->d7      = vg_store_read_count(cs->s, rd, key,
                                          t - 7 * INC_DAY_MS + 1, t);
        ix->base    = vg_store_read_count(cs->s, rd, key,
                                          t - cs->recur_ms - cs->base_ms + 1,
                                          t - cs->recur_ms);
        ix->members = vg_redis_batch_window_members(
                rd, key, t - cs->recur_ms + 1, t, INC_MAX_MEMBERS, 0);
}

static void inc_queue_reads(inc_store_t *cs, vg_redis_batch_t *rd,
                            const inc_event_t *ev, int want, int64_t cluster,
                            inc_reads_t *ix)
{
        char k[512], id[32], subj[256];
        int64_t t = ev->opened_at;

        memset(ix, 0xff, sizeof(*ix)); /* VG_STORE_NO_READ everywhere */
        if (want == INC_READ_NONE)
                return;
        ix->state = vg_redis_batch_hgetall(
                rd, inc_key(cs, k, sizeof(k), "inc", ev->number, "state"));
        ix->feedback = vg_redis_batch_hgetall(
                rd, inc_key(cs, k, sizeof(k), "inc", ev->number, "feedback"));
        if (want != INC_READ_ALL)
                return;
        ix->alerts = vg_alerts_read(cs->alerts, rd, ev->number);
        if (*ev->ci) {
                inc_queue_counts(cs, rd,
                                 inc_key(cs, k, sizeof(k), "ci", ev->ci,
                                         "incidents"),
                                 t, &ix->ci);
                ix->work = vg_redis_batch_window_members(
                        rd, inc_key(cs, k, sizeof(k), "ci", ev->ci, "work"),
                        t - cs->suspect_ms, t, INC_MAX_WORK, 0);
                ix->recur_ci = vg_alerts_read(
                        cs->recur, rd,
                        inc_store_recur_subject(cs, ev, INC_RECUR_CI, -1,
                                                subj, sizeof(subj)));
        }
        if (cluster >= 0) {
                inc_queue_counts(cs, rd,
                                 inc_key(cs, k, sizeof(k), "inccl",
                                         inc_cluster_id(cluster, id,
                                                        sizeof(id)),
                                         "incidents"),
                                 t, &ix->cl);
                ix->recur_cl = vg_alerts_read(
                        cs->recur, rd,
                        inc_store_recur_subject(cs, ev, INC_RECUR_CLUSTER,
                                                cluster, subj, sizeof(subj)));
        }
}

void inc_store_read(inc_store_t *cs, vg_proc_t *p, const inc_event_t *evs,
                    const char *want, const int64_t *clusters, int n)
{
        if (n > cs->idx_cap) {
                cs->idx     = vg_realloc(cs->idx, sizeof(*cs->idx) * n);
                cs->idx_cap = n;
        }
        vg_redis_batch_t *rd = vg_store_read_begin(cs->s, p, n);
        vg_alerts_begin(cs->alerts);
        vg_alerts_begin(cs->recur);
        for (int i = 0; i < n; i++) {
                inc_queue_reads(cs, rd, &evs[i], want[i], clusters[i],
                                &cs->idx[i]);
                vg_store_read_next(cs->s);
        }
        vg_store_read_send(cs->s, p);
}

static char *inc_dup(const vg_redis_reply_t *rep, size_t *lenp)
{
        size_t len;
        const char *s = vg_redis_reply_str(rep, &len);
        if (!s)
                return NULL;
        *lenp = len;
        return vg_strndup(s, len);
}

/* The fields of inc:{number}:state. */
static void inc_parse_state(const vg_redis_reply_t *rep, inc_state_t *st)
{
        size_t n = rep ? vg_redis_reply_nelem(rep) : 0;
        st->owned = 1;
        for (size_t i = 0; i + 1 < n; i += 2) {
                const char *f = vg_redis_reply_str(
                        vg_redis_reply_elem(rep, i), NULL);
                const vg_redis_reply_t *v = vg_redis_reply_elem(rep, i + 1);
                if (!f)
                        continue;
                st->seen = 1;
                const char *hex = vg_redis_reply_str(v, NULL);
                if (!strcmp(f, "sig")) {
                        st->sig = hex ? strtoull(hex, NULL, 16) : 0;
                } else if (!strcmp(f, "by")) {
                        st->by = hex ? strtoull(hex, NULL, 16) : 0;
                } else if (!strcmp(f, "open_by")) {
                        st->open_by = hex ? strtoull(hex, NULL, 16) : 0;
                } else if (!strcmp(f, "feat") && !st->feat) {
                        st->feat = inc_dup(v, &st->feat_len);
                } else if (!strcmp(f, "embed") && !st->embed) {
                        st->embed = inc_dup(v, &st->embed_len);
                } else if (!strcmp(f, "first") && !st->first) {
                        st->first = inc_dup(v, &st->first_len);
                } else if (!strcmp(f, "suspects") && !st->suspects) {
                        st->suspects = inc_dup(v, &st->suspects_len);
                }
        }
}

static void inc_parse_counts(const inc_store_t *cs,
                             const inc_count_reads_t *ix, inc_counts_t *c)
{
        const vg_redis_reply_t *rep;
        c->in_window = vg_store_count(cs->s, ix->window);
        c->in_7d     = vg_store_count(cs->s, ix->d7);
        c->baseline  = vg_store_count(cs->s, ix->base);
        rep          = vg_store_reply(cs->s, ix->members);
        size_t n     = rep ? vg_redis_reply_nelem(rep) : 0;
        for (size_t i = 0; i < n && c->nmembers < INC_MAX_MEMBERS; i++) {
                const char *m = vg_redis_reply_str(
                        vg_redis_reply_elem(rep, i), NULL);
                if (m)
                        vg_strlcpy(c->members[c->nmembers++], m,
                                   sizeof(c->members[0]));
        }
}

static void inc_parse_work(const inc_store_t *cs, size_t idx, inc_ctx_t *ctx)
{
        const vg_redis_reply_t *rep = vg_store_reply(cs->s, idx);
        size_t n = rep ? vg_redis_reply_nelem(rep) : 0;
        for (size_t i = 0; i < n && ctx->nwork < INC_MAX_WORK; i++) {
                size_t len;
                const char *m = vg_redis_reply_str(
                        vg_redis_reply_elem(rep, i), &len);
                if (m && vg_work_decode(m, len, &ctx->work[ctx->nwork]) == 0)
                        ctx->nwork++;
        }
}

int inc_store_ctx(inc_store_t *cs, int i, const inc_event_t *ev,
                  int64_t cluster, inc_ctx_t *ctx)
{
        const inc_reads_t *ix = &cs->idx[i];

        memset(ctx, 0, offsetof(inc_ctx_t, work));
        ctx->cluster = cluster;
        if (vg_store_read_wait(cs->s, i)) {
                ctx->degraded = 1;
                return -1;
        }
        inc_parse_state(vg_store_reply(cs->s, ix->state), &ctx->st);
        inc_fb_state_parse(vg_store_reply(cs->s, ix->feedback), &ctx->fb);
        inc_parse_counts(cs, &ix->ci, &ctx->ci);
        inc_parse_counts(cs, &ix->cl, &ctx->cl);
        inc_parse_work(cs, ix->work, ctx);
        if (ix->alerts != VG_STORE_NO_READ)
                ctx->alerted = vg_alerts_stored(cs->alerts, ix->alerts,
                                                ev->event_time);
        if (ix->recur_ci != VG_STORE_NO_READ)
                ctx->alerted_ci = vg_alerts_stored(cs->recur, ix->recur_ci,
                                                   ev->event_time);
        if (ix->recur_cl != VG_STORE_NO_READ)
                ctx->alerted_cl = vg_alerts_stored(cs->recur, ix->recur_cl,
                                                   ev->event_time);
        return 0;
}

void inc_state_clear(inc_state_t *st)
{
        if (!st->owned)
                return;
        vg_free(st->feat);
        vg_free(st->embed);
        vg_free(st->first);
        vg_free(st->suspects);
        memset(st, 0, sizeof(*st));
}

void inc_ctx_clear(inc_ctx_t *ctx)
{
        inc_state_clear(&ctx->st);
}

/* ---------------------------------------------------------------------- */
/* Writes                                                                 */

static void inc_hset(vg_redis_batch_t *wr, const char *key, const char *f,
                     const char *v, size_t len)
{
        vg_redis_batch_hset(wr, key, f, v ? v : "", v ? len : 0);
}

void inc_store_put_state(inc_store_t *cs, const inc_event_t *ev,
                         const inc_state_t *st, int first)
{
        vg_redis_batch_t *wr = vg_store_writes(cs->s);
        char k[512], hex[24];
        inc_key(cs, k, sizeof(k), "inc", ev->number, "state");
        snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)st->sig);
        inc_hset(wr, k, "sig", hex, strlen(hex));
        snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)ev->uid);
        inc_hset(wr, k, "by", hex, strlen(hex));
        if (st->open_by == ev->uid)
                inc_hset(wr, k, "open_by", hex, strlen(hex));
        inc_hset(wr, k, "feat", st->feat, st->feat_len);
        inc_hset(wr, k, "embed", st->embed, st->embed_len);
        inc_hset(wr, k, "suspects", st->suspects, st->suspects_len);
        if (first)
                inc_hset(wr, k, "first", st->first, st->first_len);
        vg_redis_batch_expire(wr, k, cs->state_ttl_s);
}

/* Adds the incident to a window at opened_at, trimmed as of the
 * watermark (vg_store_window_put()). */
static void inc_window_put(inc_store_t *cs, const char *key,
                           const inc_event_t *ev, int64_t wm, int64_t keep)
{
        vg_store_window_put(cs->s, key, ev->opened_at, ev->number,
                            ev->number, wm, keep);
}

/* How long the CI's and the service's windows keep an incident. */
static int64_t inc_ci_keep(const inc_store_t *cs)
{
        int64_t keep = cs->base_ms + cs->recur_ms;
        return keep > cs->ci_keep_ms ? keep : cs->ci_keep_ms;
}

void inc_store_put_ci_window(inc_store_t *cs, const inc_event_t *ev,
                             int64_t wm)
{
        char k[512];
        if (*ev->ci)
                inc_window_put(cs,
                               inc_key(cs, k, sizeof(k), "ci", ev->ci,
                                       "incidents"),
                               ev, wm, inc_ci_keep(cs));
}

void inc_store_put_svc_window(inc_store_t *cs, const inc_event_t *ev,
                              int64_t wm)
{
        char k[512];
        if (*ev->service)
                inc_window_put(cs,
                               inc_key(cs, k, sizeof(k), "svc", ev->service,
                                       "incidents"),
                               ev, wm, inc_ci_keep(cs));
}

void inc_store_put_cluster_window(inc_store_t *cs, const inc_event_t *ev,
                                  int64_t cluster, int64_t wm)
{
        char k[512], id[32];
        int64_t keep = cs->base_ms + cs->recur_ms;
        if (cluster >= 0)
                inc_window_put(cs,
                               inc_key(cs, k, sizeof(k), "inccl",
                                       inc_cluster_id(cluster, id,
                                                      sizeof(id)),
                                       "incidents"),
                               ev, wm, keep);
}

void inc_store_put_feedback(inc_store_t *cs, const inc_fb_t *fb)
{
        char k[512], field[128], value[256];
        vg_redis_batch_t *wr = vg_store_writes(cs->s);
        inc_key(cs, k, sizeof(k), "inc", fb->incident, "feedback");
        inc_fb_field(fb, field, sizeof(field), value, sizeof(value));
        inc_hset(wr, k, field, value, strlen(value));
        vg_redis_batch_expire(wr, k, cs->state_ttl_s);
}

/* ---------------------------------------------------------------------- */
/* Alerts                                                                 */

int inc_store_alert_take(inc_store_t *cs, const inc_event_t *ev,
                         const inc_ctx_t *ctx)
{
        return vg_alerts_take(cs->alerts, ev->number, 0, ctx->alerted);
}

void inc_store_put_alerted(inc_store_t *cs, const inc_event_t *ev,
                           int produced)
{
        vg_alerts_mark(cs->alerts, vg_store_writes(cs->s), ev->number, 0,
                       produced ? ev->event_time : 0);
}

int inc_store_recur_take(inc_store_t *cs, const char *subject,
                         unsigned stored)
{
        return vg_alerts_take(cs->recur, subject, 0, stored);
}

void inc_store_put_recurred(inc_store_t *cs, const char *subject,
                            int64_t event_time)
{
        vg_alerts_mark(cs->recur, vg_store_writes(cs->s), subject, 0,
                       event_time);
}
