/**
 * @file inc_proc.c
 * @brief vigie-incident: per batch, read the incident updates, fetch their
 *        context (the batch store's read-ahead), enrich an incident's first
 *        record and the updates that change what it is about (predict,
 *        explain, cluster, similar incidents, suspect changes, recurrence,
 *        alerts) while the rendering stage builds the records, produce
 *        them in order, and queue the state and window writes. A resolved
 *        incident is learned once, from what it was enriched with: in line
 *        for this instance's partitions, by the learner for the others.
 */
#include "inc_proc.h"
#include "inc_conf.h"
#include "inc_context.h"
#include "inc_model.h"
#include "inc_output.h"
#include "inc_policy.h"
#include "vg_dlq.h"
#include "vg_hash.h"
#include "vg_log.h"
#include "vg_mem.h"
#include "vg_render.h"
#include "vg_time.h"

#include <string.h>

#define INC_EMBED_MAX 64

typedef struct inc_proc_state_s {
        vg_proc_t *p;
        inc_store_t *store;
        inc_model_t *model;
        inc_policy_t pol;
        inc_states_t resolved;
        vg_features_t *x, *scratch;
        inc_render_t *renderer;
        vg_render_t *render;
        int64_t suspect_ms;
        int dim;
        /* per batch, by index */
        inc_event_t *evs;
        inc_ctx_t *ctxs;
        vg_proc_rec_t **recs;
        char *want;
        int64_t *clusters;
        float *embeds;       /**< dim floats per record */
        inc_state_t *made;   /**< the state an enrichment wrote (owned) */
        inc_state_t *eff;    /**< the incident's state after the record */
        int *prev;           /**< earlier record of the incident, or -1 */
        int *table;          /**< number -> last index, open addressing */
        int table_cap, cap;
        /* counters */
        uint64_t updates, enriched, opened, resolutions, learned, alerts_chg,
                alerts_recur, degraded, deferred, feedback;
} inc_st_t;

/* ---------------------------------------------------------------------- */
/* Set-up                                                                 */

static void inc_free_batch(inc_st_t *st)
{
        vg_free(st->evs);
        vg_free(st->ctxs);
        vg_free(st->recs);
        vg_free(st->want);
        vg_free(st->clusters);
        vg_free(st->embeds);
        vg_free(st->made);
        vg_free(st->eff);
        vg_free(st->prev);
        vg_free(st->table);
}

static void inc_destroy(void *opaque)
{
        inc_st_t *st = opaque;
        vg_render_destroy(st->render); /* before what it reads */
        inc_render_destroy(st->renderer);
        inc_store_destroy(st->store);
        inc_model_destroy(st->model);
        vg_features_destroy(st->x);
        vg_features_destroy(st->scratch);
        inc_free_batch(st);
        vg_free(st);
}

static void *inc_init(vg_proc_t *p, char *errstr, size_t errstr_size)
{
        const vg_conf_t *conf   = vg_proc_conf(p);
        inc_st_t *st            = vg_calloc(1, sizeof(*st));
        vg_avro_registry_t *reg = vg_proc_registry(p);
        vg_avro_schema_t *enr   = vg_avro_registry_by_name(reg,
                                                           "IncidentEnriched");
        vg_avro_schema_t *alert = vg_avro_registry_by_name(reg, "Alert");
        int bits = (int)vg_conf_get_int(conf, "incident.hash.bits");

        st->p = p;
        if (inc_states_parse(&st->resolved,
                             vg_conf_get_str(conf,
                                             "incident.resolved.states"))) {
                snprintf(errstr, errstr_size, "incident.resolved.states: "
                         "1 to 16 comma-separated states expected");
                goto fail;
        }
        if (!enr || !alert) {
                snprintf(errstr, errstr_size, "schemas IncidentEnriched and "
                         "Alert are needed in schema.dir");
                goto fail;
        }
        if (!(st->model = inc_model_new(conf, errstr, errstr_size)))
                goto fail;
        st->renderer = inc_render_new(enr, alert,
                                      vg_conf_get_str(conf, "input.topic"),
                                      vg_proc_output_topic(p),
                                      vg_conf_get_str(conf, "alert.topic"));
        if (!st->renderer) {
                snprintf(errstr, errstr_size, "cannot make values of "
                         "IncidentEnriched and Alert");
                goto fail;
        }
        st->render  = vg_render_new(sizeof(inc_score_t), inc_render_one,
                                    st->renderer, 1);
        st->x       = vg_features_new(bits, 0);
        st->scratch = vg_features_new(bits, 0);
        st->store   = inc_store_new(vg_proc_store(p), conf);
        st->dim     = inc_model_embed_dim();
        st->suspect_ms = vg_conf_get_int(conf,
                                         "incident.suspect.window.hours") *
                         3600000LL;
        inc_policy_init(&st->pol, conf);
        vg_info("incident", "resolved states %s; suspects %lld h before; "
                "recurrence over %lld h", vg_conf_get_str(conf,
                "incident.resolved.states"),
                (long long)(st->suspect_ms / 3600000LL),
                (long long)(inc_store_recur_window(st->store) / 3600000LL));
        return st;
fail:
        inc_destroy(st);
        return NULL;
}

static void inc_reserve(inc_st_t *st, int n)
{
        if (n > st->cap) {
                st->evs      = vg_realloc(st->evs, sizeof(*st->evs) * n);
                st->ctxs     = vg_realloc(st->ctxs, sizeof(*st->ctxs) * n);
                st->recs     = vg_realloc(st->recs, sizeof(*st->recs) * n);
                st->want     = vg_realloc(st->want, (size_t)n);
                st->clusters = vg_realloc(st->clusters,
                                          sizeof(*st->clusters) * n);
                st->embeds   = vg_realloc(st->embeds, sizeof(float) *
                                                          (size_t)st->dim * n);
                st->made     = vg_realloc(st->made, sizeof(*st->made) * n);
                st->eff      = vg_realloc(st->eff, sizeof(*st->eff) * n);
                st->prev     = vg_realloc(st->prev, sizeof(*st->prev) * n);
                st->cap      = n;
        }
        if (st->table_cap < 2 * n) {
                st->table_cap = 64;
                while (st->table_cap < 2 * n)
                        st->table_cap *= 2;
                st->table = vg_realloc(st->table,
                                       sizeof(*st->table) * st->table_cap);
        }
        memset(st->table, 0xff, sizeof(*st->table) * st->table_cap);
}

/* The last record before \p i of the same incident in this batch (-1),
 * and \p i becomes the last. */
static int inc_batch_prev(inc_st_t *st, int i)
{
        const char *num = st->evs[i].number;
        size_t mask     = (size_t)st->table_cap - 1;
        size_t h        = (size_t)vg_hash64_str(num, 3) & mask;
        for (;; h = (h + 1) & mask) {
                int j = st->table[h];
                if (j < 0 || !strcmp(st->evs[j].number, num)) {
                        st->table[h] = i;
                        return j;
                }
        }
}

/* ---------------------------------------------------------------------- */
/* One update                                                             */

/* Counts of \p c with the incident itself, if not in its window yet. */
static long long inc_with_self(long long n, const inc_state_t *was)
{
        return n + (was->seen ? 0 : 1);
}

/* A recurrence of the CI (which 0) or the cluster (1), if any: flags the
 * enrichment and, once per subject and window, alerts. */
static void inc_recurrence(inc_st_t *st, int i, inc_score_t *sc, int which,
                           const inc_state_t *was)
{
        const inc_event_t *ev = &st->evs[i];
        inc_ctx_t *ctx        = &st->ctxs[i];
        inc_counts_t *c       = which == INC_RECUR_CI ? &ctx->ci : &ctx->cl;
        unsigned stored       = which == INC_RECUR_CI ? ctx->alerted_ci
                                                      : ctx->alerted_cl;
        inc_recur_t *rc       = &sc->recur[sc->nrecur];
        double pv, rate;

        int64_t first = inc_model_first_opened(st->model);
        int64_t win   = inc_store_recur_window(st->store);
        double history = first < 0 ? 0
                                   : (double)(ev->opened_at - win - first) /
                                             (double)win;
        c->in_window = inc_with_self(c->in_window, was);
        if (!inc_policy_recurring(&st->pol, c, history, &pv, &rate))
                return;
        sc->recurring = 1;
        inc_store_recur_subject(st->store, ev, which, sc->cluster_id,
                                rc->subject, sizeof(rc->subject));
        if (!inc_store_recur_take(st->store, rc->subject, stored))
                return;
        if (which == INC_RECUR_CI)
                snprintf(rc->what, sizeof(rc->what), "CI %.80s", ev->ci);
        else
                snprintf(rc->what, sizeof(rc->what), "cluster %lld",
                         (long long)sc->cluster_id);
        rc->count  = c->in_window;
        rc->rate   = rate;
        rc->pvalue = pv;
        rc->counts = c;
        sc->nrecur++;
}

/* The state the enrichment of \p i leaves, in st->made[i]. */
static void inc_make_state(inc_st_t *st, int i, const inc_score_t *sc,
                           int first, const inc_state_t *was)
{
        inc_state_t *ns = &st->made[i];
        char buf[INC_MAX_SUSPECTS * VG_WORK_MEMBER_MAX + 8];
        char fb[INC_NLABELS * 3 * (INC_LABEL_MAX + 12) + 8];
        size_t len;
        double p = sc->tops[INC_L_CLOSE].n ? sc->tops[INC_L_CLOSE].top[0].p
                                           : 0;

        memset(ns, 0, sizeof(*ns));
        ns->owned     = 1;
        ns->seen      = 1;
        ns->unknown   = st->ctxs[i].degraded && was->unknown;
        ns->sig       = st->evs[i].sig;
        ns->by        = st->evs[i].uid;
        ns->open_by   = sc->opened ? st->evs[i].uid : was->open_by;
        ns->feat      = vg_features_blob_encode(st->x, p, sc->cluster_id,
                                                &ns->feat_len);
        ns->embed_len = sizeof(float) * (size_t)st->dim;
        ns->embed     = vg_strndup((const char *)(st->embeds + (size_t)i * st->dim),
                                  ns->embed_len);
        len           = inc_rank_encode(sc->suspects, sc->nsuspects, buf,
                                        sizeof(buf));
        ns->suspects  = vg_strndup(buf, len);
        ns->suspects_len = len;
        if (first) {
                len           = inc_model_encode_first(sc->tops, fb,
                                                       sizeof(fb));
                ns->first     = vg_strndup(fb, len);
                ns->first_len = len;
        }
}

/* The cluster of update \p i: the one its incident joined when first
 * enriched (in its features as scored), else the nearest now. */
static int64_t inc_cluster_of(const inc_st_t *st, int i,
                              const inc_state_t *was)
{
        int64_t c = was->feat ? vg_features_blob_cluster(was->feat,
                                                         was->feat_len)
                              : -1;
        return c >= 0 ? c : st->clusters[i];
}

/* Enriches update \p i (the state before it: \p was), queues its records
 * for rendering and its writes. */
static void inc_enrich(inc_st_t *st, int i, const inc_state_t *was,
                       int opened)
{
        const inc_event_t *ev = &st->evs[i];
        inc_ctx_t *ctx        = &st->ctxs[i];
        inc_score_t sc;
        const float *embed = st->embeds + (size_t)i * st->dim;
        int first          = !was->first;
        inc_rank_t *rank   = inc_model_rank(st->model);

        memset(&sc, 0, sizeof(sc));
        sc.ev     = ev;
        sc.ctx    = ctx;
        sc.opened = opened;
        inc_model_features(st->model, ev, st->x, NULL);
        inc_model_predict(st->model, st->x, sc.tops);
        sc.nfactors   = inc_model_explain(st->model, st->x, sc.factors, 6);
        sc.cluster_id = inc_cluster_of(st, i, was);
        inc_model_similar(st->model, embed, ev->number, &sc.sim);
        sc.nsuspects  = inc_rank_score(rank, ctx->work, ctx->nwork,
                                       ev->opened_at, st->suspect_ms,
                                       sc.suspects, INC_MAX_SUSPECTS);
        if (*ev->ci)
                inc_recurrence(st, i, &sc, INC_RECUR_CI, was);
        if (sc.cluster_id >= 0)
                inc_recurrence(st, i, &sc, INC_RECUR_CLUSTER, was);
        sc.ci_24h = ctx->ci.in_window;
        sc.ci_7d  = inc_with_self(ctx->ci.in_7d, was);
        sc.cl_24h = ctx->cl.in_window;
        sc.cl_7d  = inc_with_self(ctx->cl.in_7d, was);
        if (sc.cluster_id < 0 || sc.cluster_id != st->clusters[i])
                sc.cl_24h = sc.cl_7d = 0; /* not the cluster read */
        if (!*ev->ci)
                sc.ci_24h = sc.ci_7d = 0;
        sc.alert_change = sc.nsuspects &&
                          sc.suspects[0].score >= st->pol.suspect_score &&
                          inc_rank_learned(rank) >= st->pol.suspect_min &&
                          inc_store_alert_take(st->store, ev, ctx);
        vg_strlcpy(sc.model_version, inc_model_version(st->model),
                   sizeof(sc.model_version));
        sc.scored_at = vg_time_now_ms();

        st->enriched++;
        st->opened += sc.opened;
        st->degraded += ctx->degraded;
        inc_make_state(st, i, &sc, first, was);
        inc_store_put_ci_window(st->store, ev, vg_proc_watermark(st->p));
        inc_store_put_svc_window(st->store, ev, vg_proc_watermark(st->p));
        /* in the cluster it joins when first enriched, once: before its
         * state, so that a state in the store says it is in */
        if (!was->seen && !was->unknown && sc.cluster_id >= 0)
                inc_store_put_cluster_window(st->store, ev, sc.cluster_id,
                                             vg_proc_watermark(st->p));
        /* what the store said is unknown: its state is not replaced (the
         * next update, Redis back, enriches it again if need be) */
        if (!st->made[i].unknown)
                inc_store_put_state(st->store, ev, &st->made[i], first);
        if (!vg_proc_bootstrapping(st->p)) {
                memcpy(vg_render_job(st->render), &sc, sizeof(sc));
                vg_render_push(st->render, i, ev->number);
        } else { /* not produced while warming up, but marked */
                if (sc.alert_change)
                        inc_store_put_alerted(st->store, ev, 0);
                for (int k = 0; k < sc.nrecur; k++)
                        inc_store_put_recurred(st->store, sc.recur[k].subject,
                                               0);
        }
}

/* Called once a record of a job is produced: its alerts are marked. */
static void inc_produced(void *opaque, void *job, int out)
{
        inc_st_t *st          = opaque;
        const inc_score_t *sc = job;
        if (out == 0)
                return;
        switch (inc_output_kind(sc, out)) {
        case INC_OUT_CHANGE:
                inc_store_put_alerted(st->store, sc->ev, 1);
                st->alerts_chg++;
                break;
        case INC_OUT_RECUR0:
        case INC_OUT_RECUR1:
                inc_store_put_recurred(
                        st->store,
                        sc->recur[inc_output_kind(sc, out) - INC_OUT_RECUR0]
                                .subject,
                        sc->ev->event_time);
                st->alerts_recur++;
                break;
        }
}

/* Learns resolution \p ev from the state it was enriched with and what
 * responders said (\p fb). */
static int inc_learn_one(inc_st_t *st, const inc_event_t *ev,
                         const inc_state_t *was, const inc_fb_state_t *fb)
{
        inc_suspect_t sus[INC_MAX_SUSPECTS];
        inc_lesson_t ls = {.ev = ev, .cause = inc_fb_cause(fb, ev)};
        int have_x = 0;
        double p;
        int64_t cl;

        if (was->feat && vg_features_blob_decode(st->x, was->feat,
                                                 was->feat_len, &p, &cl) == 0)
                have_x = 1;
        ls.x = have_x ? st->x : NULL;
        if (was->embed && was->embed_len == sizeof(float) * (size_t)st->dim)
                ls.embed = (const float *)(const void *)was->embed;
        for (int l = 0; l < INC_NLABELS; l++)
                ls.labels[l] = inc_fb_label(fb, ev, l);
        ls.first     = was->first;
        ls.first_len = was->first_len;
        ls.suspects  = sus;
        ls.nsuspects = was->suspects
                               ? inc_rank_decode(was->suspects,
                                                 was->suspects_len,
                                                 ev->opened_at, sus,
                                                 INC_MAX_SUSPECTS)
                               : 0;
        if (!inc_model_learn(st->model, &ls, st->scratch))
                return 0;
        st->learned++;
        return 1;
}

/* A resolution: learned in line if it is the next of its partition to
 * learn (else the learner does), or deferred while Redis is down. */
static void inc_resolution(inc_st_t *st, int i, const inc_state_t *was)
{
        st->resolutions++;
        if (!vg_proc_learn_claim(st->p, st->recs[i]))
                return; /* learned already, or the learner will */
        if (was->unknown && vg_proc_learn_defer(st->p, st->recs[i])) {
                st->deferred++;
                return; /* the learner learns it once Redis is back */
        }
        inc_learn_one(st, &st->evs[i], was, &st->ctxs[i].fb);
}

/* The state of the incident before update \p i: the last record of the
 * batch, else the store. */
static const inc_state_t *inc_state_before(inc_st_t *st, int i)
{
        st->prev[i] = inc_batch_prev(st, i);
        if (st->prev[i] >= 0)
                return &st->eff[st->prev[i]];
        st->ctxs[i].st.unknown = st->ctxs[i].degraded;
        return &st->ctxs[i].st;
}

/* Whether update \p ev is enriched, given the incident's state \p was,
 * and whether as the incident's opening (\p *opened). An incident is
 * enriched at its first update, again when what it is about changes
 * before it is resolved, and again when the update that enriched it comes
 * back (consumed again after a crash: its records may never have been
 * produced). While the store cannot be read, every update that is not a
 * resolution is enriched (flagged degraded), as an opening unless its
 * sys_mod_count says it is a later version. */
static int inc_should_enrich(const inc_event_t *ev, const inc_state_t *was,
                             int *opened)
{
        if (was->unknown) {
                if (ev->resolved) /* only a first version of the record */
                        return (*opened = ev->mod_count == 0);
                *opened = ev->mod_count <= 0; /* 0, or no counter */
                return 1;
        }
        *opened = !was->seen || was->open_by == ev->uid;
        return !was->seen || was->by == ev->uid ||
               (!ev->resolved && was->sig != ev->sig);
}

static void inc_update(inc_st_t *st, int i)
{
        const inc_event_t *ev = &st->evs[i];
        const inc_state_t *was = inc_state_before(st, i);
        int opened;
        int enrich = inc_should_enrich(ev, was, &opened);

        memset(&st->made[i], 0, sizeof(st->made[i]));
        st->updates++;
        if (enrich) {
                inc_enrich(st, i, was, opened);
                st->eff[i]       = st->made[i];
                st->eff[i].owned = 0;
                if (!st->eff[i].first && was->first) {
                        st->eff[i].first     = was->first;
                        st->eff[i].first_len = was->first_len;
                }
        } else {
                st->eff[i]       = *was;
                st->eff[i].owned = 0;
        }
        if (ev->resolved) {
                inc_store_put_ci_window(st->store, ev,
                                        vg_proc_watermark(st->p));
                inc_store_put_svc_window(st->store, ev,
                                         vg_proc_watermark(st->p));
                inc_resolution(st, i, &st->eff[i]);
        }
}

/* ---------------------------------------------------------------------- */
/* A batch                                                                */

/* Reads the batch's updates; invalid ones go to the dead-letter topic,
 * and so do those whose event times are out of bounds. */
static int inc_read_batch(inc_st_t *st, vg_proc_rec_t *recs, int n)
{
        char errstr[512];
        int m = 0;
        for (int i = 0; i < n; i++) {
                inc_event_t *ev = &st->evs[m];
                if (recs[i].dead || recs[i].side)
                        continue;
                if (inc_event_read(ev, recs[i].val, &st->resolved, errstr,
                                   sizeof(errstr))) {
                        vg_proc_deadletter(st->p, &recs[i], VG_DLQ_VALIDATION,
                                           "%s", errstr);
                        continue;
                }
                if (vg_proc_event_time(st->p, &recs[i], "sys_updated_on",
                                       ev->event_time) ||
                    vg_proc_event_time(st->p, &recs[i], "opened_at",
                                       ev->opened_at))
                        continue;
                st->recs[m] = &recs[i];
                m++;
        }
        return m;
}

/* What each update needs from the store, and its nearest cluster. */
static void inc_plan_reads(inc_st_t *st, int m)
{
        for (int i = 0; i < m; i++) {
                float *e = st->embeds + (size_t)i * st->dim;
                inc_model_features(st->model, &st->evs[i], st->scratch, e);
                st->clusters[i] = inc_model_cluster(st->model, e);
                st->want[i]     = INC_READ_ALL;
        }
}

/* The batch's feedback records: kept in their incidents' hashes. */
static void inc_feedback(inc_st_t *st, vg_proc_rec_t *recs, int n)
{
        char errstr[256];
        for (int i = 0; i < n; i++) {
                inc_fb_t fb;
                if (!recs[i].side || recs[i].dead)
                        continue;
                if (inc_fb_read(&fb, recs[i].val, errstr, sizeof(errstr))) {
                        vg_proc_deadletter(st->p, &recs[i], VG_DLQ_VALIDATION,
                                           "%s", errstr);
                        continue;
                }
                inc_store_put_feedback(st->store, &fb);
                st->feedback++;
        }
}

static int inc_process(void *opaque, vg_proc_t *p, vg_proc_rec_t *recs,
                       int n)
{
        inc_st_t *st = opaque;

        /* first: the last batch's rendering may still read evs, ctxs */
        vg_render_begin(st->render, n);
        inc_reserve(st, n);
        int m = inc_read_batch(st, recs, n);
        inc_plan_reads(st, m);
        inc_store_read(st->store, p, st->evs, st->want, st->clusters, m);
        for (int i = 0; i < m; i++) {
                inc_store_ctx(st->store, i, &st->evs[i], st->clusters[i],
                              &st->ctxs[i]);
                inc_update(st, i);
                vg_store_pump(vg_proc_store(p));
        }
        inc_feedback(st, recs, n);
        int rc = vg_render_emit(st->render, p, st->recs, inc_produced, st);
        for (int i = 0; i < m; i++) {
                inc_ctx_clear(&st->ctxs[i]);
                inc_state_clear(&st->made[i]);
        }
        return rc;
}

/* ---------------------------------------------------------------------- */
/* Learning                                                               */

/* 1 if \p ev is a resolution the scoring side accepts (what it
 * dead-letters is not learned either). */
static int inc_learnable(inc_st_t *st, vg_proc_rec_t *rec, inc_event_t *ev)
{
        char errstr[512];
        return !rec->dead &&
               !inc_event_read(ev, rec->val, &st->resolved, errstr,
                               sizeof(errstr)) &&
               ev->resolved && vg_proc_event_time_ok(st->p, ev->event_time) &&
               vg_proc_event_time_ok(st->p, ev->opened_at) &&
               !inc_model_learned_incident(st->model, ev->number);
}

/* The resolutions of other partitions (or learned late), enriched by now.
 * Stops where Redis cannot be read. */
static int inc_learn(void *opaque, vg_proc_t *p, vg_proc_rec_t *recs, int n)
{
        inc_st_t *st = opaque;

        inc_reserve(st, n);
        for (int i = 0; i < n; i++) {
                st->want[i]     = (char)(inc_learnable(st, &recs[i],
                                                       &st->evs[i])
                                                 ? INC_READ_STATE
                                                 : INC_READ_NONE);
                st->clusters[i] = -1;
        }
        inc_store_read(st->store, p, st->evs, st->want, st->clusters, n);
        for (int i = 0; i < n; i++) {
                if (!st->want[i])
                        continue;
                if (inc_store_ctx(st->store, i, &st->evs[i], -1,
                                  &st->ctxs[i])) {
                        for (int j = 0; j < i; j++)
                                inc_ctx_clear(&st->ctxs[j]);
                        return i; /* Redis down: learned once it is back */
                }
                inc_learn_one(st, &st->evs[i], &st->ctxs[i].st,
                              &st->ctxs[i].fb);
        }
        for (int i = 0; i < n; i++)
                if (st->want[i])
                        inc_ctx_clear(&st->ctxs[i]);
        return n;
}

/* ---------------------------------------------------------------------- */
/* Checkpoints and report                                                 */

static void *inc_save(void *opaque, size_t *lenp)
{
        inc_st_t *st = opaque;
        return inc_model_save(st->model, lenp);
}

static int inc_restore(void *opaque, const void *buf, size_t len,
                       char *errstr, size_t errstr_size)
{
        inc_st_t *st = opaque;
        return inc_model_restore(st->model, buf, len, errstr, errstr_size);
}

static const char *inc_version(void *opaque)
{
        inc_st_t *st = opaque;
        return inc_model_version(st->model);
}

static void inc_report(void *opaque, vg_proc_t *p, FILE *fp)
{
        inc_st_t *st = opaque;
        (void)p;
        fprintf(fp,
                "vigie-incident summary:\n"
                "  %llu update(s): %llu enrichment(s) (%llu incident(s) "
                "opened), %llu with degraded context\n"
                "  alerts: %llu CHANGE_INDUCED_INCIDENT, %llu "
                "RECURRING_INCIDENTS\n"
                "  resolutions %llu: %llu learned here in line or by the "
                "learner, %llu deferred; %llu feedback(s)\n"
                "  model %s, %.1f MiB\n"
                "  live quality (first prediction vs the label at "
                "resolution):\n",
                (unsigned long long)st->updates,
                (unsigned long long)st->enriched,
                (unsigned long long)st->opened,
                (unsigned long long)st->degraded,
                (unsigned long long)st->alerts_chg,
                (unsigned long long)st->alerts_recur,
                (unsigned long long)st->resolutions,
                (unsigned long long)st->learned,
                (unsigned long long)st->deferred,
                (unsigned long long)st->feedback,
                inc_model_version(st->model),
                (double)inc_model_memory(st->model) / (1 << 20));
        inc_model_report(st->model, fp);
}

const vg_processor_def_t inc_processor = {
        .name         = "vigie-incident",
        .summary      = "Incident enrichment: predicts each incident's cause, "
                        "closure code, routing group and\npriority when it is "
                        "opened, finds similar and recurring incidents and "
                        "the\nchanges that probably caused it, alerts, and "
                        "learns from each resolution.",
        .input_topic  = "itsm.incidents",
        .output_topic = "itsm.incidents.enriched",
        .conf_group   = &inc_conf_group,
        .side_topic_prop = "incident.feedback.topic",
        .init         = inc_init,
        .process      = inc_process,
        .learn        = inc_learn,
        .model_key_prop = "incident.model.key",
        .save         = inc_save,
        .restore      = inc_restore,
        .model_version = inc_version,
        .report       = inc_report,
        .destroy      = inc_destroy,
};
