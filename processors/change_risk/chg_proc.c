/**
 * @file chg_proc.c
 * @brief vigie-change: per batch, read the changes, fetch their context
 *        (one Redis round trip), score the open ones (predict, explain,
 *        similar changes, alert) while a helper thread builds their
 *        records (recommendations, encoding), learn from the closed ones
 *        (features as scored), produce the records in order, then write
 *        the context updates (sent as they are queued; kept and retried
 *        while Redis is down).
 */
#include "chg_proc.h"
#include "chg_context.h"
#include "chg_model.h"
#include "chg_output.h"
#include "chg_render.h"
#include "chg_rules.h"
#include "vg_dlq.h"
#include "vg_log.h"
#include "vg_mem.h"
#include "vg_time.h"

#include <string.h>
#include <strings.h>

typedef struct chg_state_s {
        vg_proc_t *p;
        chg_store_t *store;
        chg_model_t *model;
        chg_rules_t *rules;
        vg_features_t *x;
        double bands[4];  /**< lower p of each band */
        int alert_band;
        uint64_t alert_min_learned;
        vg_avro_schema_t *risk_sch, *alert_sch;
        chg_render_t *render; /**< builds the records of scored changes */
        const char *alert_topic, *input_topic;
        /* per batch */
        chg_event_t *evs;
        chg_ctx_t *ctxs;
        vg_proc_rec_t **recs;
        vg_proc_hold_t **holds;
        char **blobs; /**< features encoded in this batch, by index */
        size_t *blob_lens;
        int cap;
        int nbatch;   /**< events in the batch being processed */
        /* counters */
        uint64_t scored, outcomes, learned, unlearned, alerts, degraded;
        int failed; /**< a batch failed: its learning is not checkpointed */
} chg_state_t;

static int chg_band_of(const chg_state_t *st, double p)
{
        int b = 0;
        for (int i = 1; i < 4; i++)
                if (p >= st->bands[i])
                        b = i;
        return b;
}

/* ---------------------------------------------------------------------- */
/* Set-up                                                                 */

static void chg_load_checkpoint(chg_state_t *st)
{
        void *buf;
        size_t len;
        char errstr[256];
        int err = chg_store_load_model(st->store, &buf, &len);
        if (err == VG_ERR_NOENT) {
                vg_info("change", "no model checkpoint: starting to learn "
                        "from scratch");
                return;
        }
        if (err)
                return;
        if (chg_model_restore(st->model, buf, len, errstr, sizeof(errstr)))
                vg_err("change", "model checkpoint refused, starting from "
                       "scratch: %s", errstr);
        else
                vg_info("change", "model restored from checkpoint (%zu "
                        "bytes): %s", len, chg_model_version(st->model));
        vg_free(buf);
}

static void *chg_init(vg_proc_t *p, char *errstr, size_t errstr_size)
{
        const vg_conf_t *conf = vg_proc_conf(p);
        chg_state_t *st       = vg_calloc(1, sizeof(*st));

        st->p        = p;
        st->bands[1] = vg_conf_get_double(conf, "change.band.medium");
        st->bands[2] = vg_conf_get_double(conf, "change.band.high");
        st->bands[3] = vg_conf_get_double(conf, "change.band.critical");
        if (!(st->bands[1] <= st->bands[2] && st->bands[2] <= st->bands[3])) {
                snprintf(errstr, errstr_size, "change.band.medium <= "
                         "change.band.high <= change.band.critical must "
                         "hold");
                vg_free(st);
                return NULL;
        }
        st->alert_band  = chg_band_index(vg_conf_get_str(conf,
                                                         "change.alert.band"));
        st->alert_topic = vg_conf_get_str(conf, "alert.topic");
        st->input_topic = vg_conf_get_str(conf, "input.topic");
        st->alert_min_learned =
                (uint64_t)vg_conf_get_int(conf, "change.alert.min.learned");
        st->risk_sch  = vg_avro_registry_by_name(vg_proc_registry(p),
                                                 "ChangeRisk");
        st->alert_sch = vg_avro_registry_by_name(vg_proc_registry(p), "Alert");
        if (!st->risk_sch || !st->alert_sch) {
                snprintf(errstr, errstr_size, "schemas ChangeRisk and Alert "
                         "are needed in schema.dir");
                vg_free(st);
                return NULL;
        }
        if (!(st->rules = chg_rules_new(conf, errstr, errstr_size)) ||
            !(st->model = chg_model_new(conf, errstr, errstr_size))) {
                chg_rules_destroy(st->rules);
                vg_free(st);
                return NULL;
        }
        st->render = chg_render_new(st->risk_sch, st->alert_sch, st->rules,
                                    st->input_topic, 1);
        if (!st->render) {
                snprintf(errstr, errstr_size, "cannot make values of "
                         "ChangeRisk and Alert");
                chg_model_destroy(st->model);
                chg_rules_destroy(st->rules);
                vg_free(st);
                return NULL;
        }
        st->x     = vg_features_new((int)vg_conf_get_int(conf,
                                                         "change.hash.bits"),
                                    0);
        st->store = chg_store_new(vg_proc_redis(p), conf);
        chg_load_checkpoint(st);
        vg_info("change", "%d recommendation rule(s); bands MEDIUM>=%.2f "
                "HIGH>=%.2f CRITICAL>=%.2f; alerts from %s", 
                chg_rules_count(st->rules), st->bands[1], st->bands[2],
                st->bands[3], chg_band_name(st->alert_band));
        return st;
}

static void chg_destroy(void *opaque)
{
        chg_state_t *st = opaque;
        chg_render_destroy(st->render); /* before the rules it reads */
        chg_store_destroy(st->store);
        chg_model_destroy(st->model);
        chg_rules_destroy(st->rules);
        vg_features_destroy(st->x);
        vg_free(st->evs);
        vg_free(st->ctxs);
        vg_free(st->recs);
        vg_free(st->holds);
        vg_free(st->blobs);
        vg_free(st->blob_lens);
        vg_free(st);
}

/* ---------------------------------------------------------------------- */
/* One event                                                              */

/* Later events of the same change in this batch know of the alert. */
static void chg_mark_alerted(chg_state_t *st, int i, int band)
{
        for (int j = i + 1; j < st->nbatch; j++)
                if (!strcmp(st->evs[j].number, st->evs[i].number))
                        st->ctxs[j].alerted |= 1 << band;
}

/* The alert of \p ev's change for \p band is out: record it, so that
 * later scores of the change do not alert for that band again. */
static void chg_alerted(chg_state_t *st, const chg_event_t *ev, int band)
{
        chg_store_put_alerted(st->store, ev, band,
                              !vg_proc_bootstrapping(st->p));
        st->alerts++;
}

/* Scores change \p i and queues its records for rendering; they are
 * produced, in order, once the batch is scored (chg_emit_batch). */
static void chg_score(chg_state_t *st, int i)
{
        chg_event_t *ev = &st->evs[i];
        chg_ctx_t *ctx  = &st->ctxs[i];
        chg_score_t sc  = {.ev = ev, .ctx = ctx};
        size_t len;
        int alert;

        chg_model_features(st->model, ev, ctx, st->x);
        sc.p        = chg_model_predict(st->model, st->x);
        sc.band     = chg_band_of(st, sc.p);
        sc.nfactors = chg_model_explain(st->model, st->x, sc.factors, 8);
        chg_model_similar(st->model, ev, !ctx->features && !ctx->degraded,
                          &sc.sim);
        sc.model_version = chg_model_version(st->model);
        sc.scored_at     = vg_time_now_ms();
        st->scored++;
        st->degraded += ctx->degraded;

        alert = sc.band >= st->alert_band &&
                !(ctx->alerted & (1 << sc.band)) &&
                chg_model_learned(st->model) >= st->alert_min_learned;
        if (alert)
                chg_mark_alerted(st, i, sc.band);
        if (!vg_proc_bootstrapping(st->p))
                chg_render_add(st->render, &sc, i, alert);
        else if (alert) /* not produced while warming up, but marked */
                chg_alerted(st, ev, sc.band);
        /* the cluster the change joined when first scored */
        int64_t joined = ctx->features   ? chg_features_cluster(
                                                   ctx->features,
                                                   ctx->features_len)
                         : ctx->degraded ? -1 /* not observed */
                                         : sc.sim.cluster_id;
        st->blobs[i]     = chg_features_encode(st->x, sc.p, joined, &len);
        st->blob_lens[i] = len;
        chg_store_put_features(st->store, ev, st->blobs[i], len);
        chg_store_put_open(st->store, ev);
}

/* Produces the batch's rendered records in order. An alert's mark is
 * written only once the alert is produced, so that a batch that fails
 * here (and is consumed again) does not skip it. @returns 0 or -1. */
static int chg_emit_batch(chg_state_t *st)
{
        const char *out = vg_proc_output_topic(st->p);
        int n           = chg_render_end(st->render), rc = 0;

        for (int k = 0; k < n && rc == 0; k++) {
                const chg_rendered_t *r = chg_render_get(st->render, k);
                chg_event_t *ev         = &st->evs[r->idx];
                vg_proc_rec_t *rec      = st->recs[r->idx];
                if (r->err) {
                        vg_err("change", "cannot encode the records of %s: "
                               "%s", ev->number, r->errstr);
                        rc = -1;
                } else if (vg_proc_emit_encoded(st->p, rec, out, r->risk,
                                                r->risk_len, ev->number, 0)) {
                        rc = -1;
                } else if (r->alert) {
                        if (vg_proc_emit_encoded(st->p, rec, st->alert_topic,
                                                 r->alert_buf, r->alert_len,
                                                 ev->number, 0))
                                rc = -1;
                        else
                                chg_alerted(st, ev, r->band);
                }
                if (rc)
                        vg_err("change", "the records of %s could not be "
                               "produced: the batch fails, to be consumed "
                               "again", ev->number);
        }
        chg_render_get(st->render, n - 1); /* the helper is done with evs */
        return rc;
}

/* The features of \p ev as scored: from this batch, else from Redis. */
static const char *chg_scored_features(chg_state_t *st, int i, size_t *lenp)
{
        for (int j = i - 1; j >= 0; j--) {
                if (st->blobs[j] && !strcmp(st->evs[j].number,
                                            st->evs[i].number)) {
                        *lenp = st->blob_lens[j];
                        return st->blobs[j];
                }
        }
        *lenp = st->ctxs[i].features_len;
        return st->ctxs[i].features;
}

static void chg_outcome(chg_state_t *st, int i)
{
        chg_event_t *ev = &st->evs[i];
        size_t len;
        double p;
        int64_t cluster;
        const char *blob = chg_scored_features(st, i, &len);

        st->outcomes++;
        if (blob &&
            chg_features_decode(st->x, blob, len, &p, &cluster) == 0) {
                chg_model_score_outcome(st->model, p, ev->failed);
                chg_model_learn(st->model, ev, st->x, ev->failed, cluster);
                st->learned++;
        } else {
                /* never scored here (or Redis down): statistics only */
                chg_model_learn(st->model, ev, NULL, ev->failed, -1);
                st->unlearned++;
        }
        chg_store_put_outcome(st->store, ev);
}

/* ---------------------------------------------------------------------- */
/* A batch                                                                */

static void chg_reserve(chg_state_t *st, int n)
{
        if (n <= st->cap)
                return;
        st->evs   = vg_realloc(st->evs, sizeof(*st->evs) * n);
        st->ctxs  = vg_realloc(st->ctxs, sizeof(*st->ctxs) * n);
        st->recs  = vg_realloc(st->recs, sizeof(*st->recs) * n);
        st->holds = vg_realloc(st->holds, sizeof(*st->holds) * n);
        st->blobs = vg_realloc(st->blobs, sizeof(*st->blobs) * n);
        st->blob_lens = vg_realloc(st->blob_lens,
                                   sizeof(*st->blob_lens) * n);
        st->cap   = n;
}

/* Reads the batch's events; invalid ones go to the dead-letter topic. */
static int chg_read_batch(chg_state_t *st, vg_proc_rec_t *recs, int n)
{
        char errstr[512];
        int m = 0;
        for (int i = 0; i < n; i++) {
                if (chg_event_read(&st->evs[m], recs[i].val, errstr,
                                   sizeof(errstr))) {
                        vg_proc_deadletter(st->p, &recs[i], VG_DLQ_VALIDATION,
                                           "%s", errstr);
                        continue;
                }
                st->recs[m]  = &recs[i];
                st->blobs[m] = NULL;
                m++;
        }
        return m;
}

static int chg_process(void *opaque, vg_proc_t *p, vg_proc_rec_t *recs,
                       int n)
{
        chg_state_t *st = opaque;
        int rc          = 0, nholds = 0;

        /* first: the last batch's rendering may still read evs, ctxs */
        chg_render_begin(st->render, n);
        chg_reserve(st, n);
        int m = chg_read_batch(st, recs, n);
        st->nbatch = m;
        chg_store_read(st->store, p, st->evs, st->ctxs, m);
        for (int i = 0; i < m; i++) {
                chg_store_ctx(st->store, i, &st->evs[i], &st->ctxs[i]);
                switch (st->evs[i].kind) {
                case CHG_K_SCORE: chg_score(st, i); break;
                case CHG_K_OUTCOME: chg_outcome(st, i); break;
                case CHG_K_CANCEL:
                        chg_store_put_cancel(st->store, &st->evs[i]);
                        break;
                }
                chg_store_pump(st->store);
        }
        rc = chg_emit_batch(st); /* the records, rendered meanwhile */
        if (rc)
                st->failed = 1; /* consumed again: learned again */
        for (int i = 0; i < m; i++) {
                vg_proc_hold_t *h = rc ? NULL : vg_proc_hold(p, st->recs[i]);
                if (h)
                        st->holds[nholds++] = h;
                chg_ctx_clear(&st->ctxs[i]);
                vg_free(st->blobs[i]);
        }
        if (rc == 0)
                chg_store_flush(st->store, p, st->holds, nholds);
        return rc;
}

/* ---------------------------------------------------------------------- */
/* Checkpoints and report                                                 */

static void chg_tick(void *opaque, vg_proc_t *p)
{
        chg_state_t *st = opaque;
        chg_store_retry(st->store, p);
}

/* Partitions are leaving: the last batch's writes, acknowledged now, let
 * its offsets be committed instead of replayed by the next owner. */
static void chg_revoke(void *opaque, vg_proc_t *p)
{
        chg_state_t *st = opaque;
        chg_store_settle(st->store, p);
}

static int chg_checkpoint(void *opaque, vg_proc_t *p)
{
        chg_state_t *st = opaque;
        size_t len;

        if (st->failed) {
                vg_warn("change", "model not checkpointed: a batch failed "
                        "after the model learned from it, and will be "
                        "consumed again");
                return -1;
        }
        if (vg_proc_stopping(p))
                chg_store_drain(st->store, p);
        int64_t t0 = vg_time_now_ms();
        void *buf  = chg_model_save(st->model, &len);
        int64_t t1 = vg_time_now_ms();
        int rc     = chg_store_save_model(st->store, buf, len);
        vg_free(buf);
        if (rc == 0)
                vg_info("change", "checkpoint: %zu bytes, serialised in "
                        "%lld ms, stored in %lld ms", len,
                        (long long)(t1 - t0),
                        (long long)(vg_time_now_ms() - t1));
        return rc;
}

static void chg_report_preq(FILE *fp, const char *what, const vg_preq_t *pq)
{
        char line[512];
        vg_preq_format(pq, line, sizeof(line));
        fprintf(fp, "  %-28s %s\n", what, line);
}

static void chg_report(void *opaque, vg_proc_t *p, FILE *fp)
{
        chg_state_t *st = opaque;
        (void)p;
        fprintf(fp,
                "vigie-change summary:\n"
                "  scored %llu change event(s), %llu alert(s), %llu with "
                "degraded context\n"
                "  outcomes %llu: learned from %llu, %llu never scored "
                "here (statistics only)\n"
                "  model %s, %.1f MiB\n"
                "  live quality (test then train, threshold = HIGH band):\n",
                (unsigned long long)st->scored,
                (unsigned long long)st->alerts,
                (unsigned long long)st->degraded,
                (unsigned long long)st->outcomes,
                (unsigned long long)st->learned,
                (unsigned long long)st->unlearned,
                chg_model_version(st->model),
                (double)chg_model_memory(st->model) / (1 << 20));
        chg_report_preq(fp, "published p_failure:",
                        chg_model_published_preq(st->model));
        chg_report_preq(fp, "model at learn time:",
                        chg_model_preq(st->model));
}

const vg_processor_def_t chg_processor = {
        .name         = "vigie-change",
        .summary      = "Change risk: scores every change before it is "
                        "implemented (p_failure, band, top\nfactors, similar "
                        "past changes, context, recommendations), alerts on "
                        "risky\nchanges, and learns from each closed change's "
                        "close code.",
        .input_topic  = "itsm.changes",
        .output_topic = "itsm.changes.scored",
        .conf_scope   = VG_CONF_F_CHANGE,
        .init         = chg_init,
        .process      = chg_process,
        .tick         = chg_tick,
        .revoke       = chg_revoke,
        .checkpoint   = chg_checkpoint,
        .report       = chg_report,
        .destroy      = chg_destroy,
};
