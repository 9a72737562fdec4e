/**
 * @file chg_proc.c
 * @brief vigie-change: per batch, read the changes, fetch their context
 *        (the batch store's read-ahead), score the open ones (predict,
 *        explain, similar changes, alert) while the rendering stage builds
 *        their records, produce them in order, and queue the context
 *        updates (the runtime writes them behind, holding the batch's
 *        offsets). Learning is separate (chg_learn): every instance learns
 *        from every closed change of every partition, with the features it
 *        was scored with, once the scoring side has processed it.
 */
#include "chg_proc.h"
#include "chg_conf.h"
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

typedef struct chg_state_s {
        vg_proc_t *p;
        chg_store_t *store;
        chg_model_t *model;
        chg_rules_t *rules;
        vg_features_t *x;
        double bands[4]; /**< lower p of each band */
        int alert_band;
        uint64_t alert_min_learned;
        chg_render_t *renderer; /**< what the rendering stage uses */
        vg_render_t *render;    /**< builds the records of scored changes */
        /* per batch */
        chg_event_t *evs;
        chg_ctx_t *ctxs;
        vg_proc_rec_t **recs;
        char **blobs; /**< features encoded in this batch, by index */
        size_t *blob_lens;
        char *learn; /**< learning: the records that are outcomes */
        int cap;
        /* counters */
        uint64_t scored, outcomes, learned, unlearned, alerts, degraded;
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

static void chg_destroy(void *opaque)
{
        chg_state_t *st = opaque;
        vg_render_destroy(st->render); /* before what it reads */
        chg_render_destroy(st->renderer);
        chg_store_destroy(st->store);
        chg_model_destroy(st->model);
        chg_rules_destroy(st->rules);
        vg_features_destroy(st->x);
        vg_free(st->evs);
        vg_free(st->ctxs);
        vg_free(st->recs);
        vg_free(st->learn);
        vg_free(st->blobs);
        vg_free(st->blob_lens);
        vg_free(st);
}

static int chg_init_bands(chg_state_t *st, const vg_conf_t *conf,
                          char *errstr, size_t errstr_size)
{
        st->bands[1] = vg_conf_get_double(conf, "change.band.medium");
        st->bands[2] = vg_conf_get_double(conf, "change.band.high");
        st->bands[3] = vg_conf_get_double(conf, "change.band.critical");
        st->alert_band =
                chg_band_index(vg_conf_get_str(conf, "change.alert.band"));
        st->alert_min_learned =
                (uint64_t)vg_conf_get_int(conf, "change.alert.min.learned");
        if (st->bands[1] <= st->bands[2] && st->bands[2] <= st->bands[3])
                return 0;
        snprintf(errstr, errstr_size, "change.band.medium <= "
                 "change.band.high <= change.band.critical must hold");
        return -1;
}

static void *chg_init(vg_proc_t *p, char *errstr, size_t errstr_size)
{
        const vg_conf_t *conf = vg_proc_conf(p);
        chg_state_t *st       = vg_calloc(1, sizeof(*st));
        vg_avro_registry_t *reg = vg_proc_registry(p);
        vg_avro_schema_t *risk  = vg_avro_registry_by_name(reg, "ChangeRisk");
        vg_avro_schema_t *alert = vg_avro_registry_by_name(reg, "Alert");

        st->p = p;
        if (chg_init_bands(st, conf, errstr, errstr_size))
                goto fail;
        if (!risk || !alert) {
                snprintf(errstr, errstr_size, "schemas ChangeRisk and Alert "
                         "are needed in schema.dir");
                goto fail;
        }
        if (!(st->rules = chg_rules_new(conf, errstr, errstr_size)) ||
            !(st->model = chg_model_new(conf, errstr, errstr_size)))
                goto fail;
        st->renderer = chg_render_new(
                risk, alert, st->rules, vg_conf_get_str(conf, "input.topic"),
                vg_proc_output_topic(p), vg_conf_get_str(conf, "alert.topic"));
        if (!st->renderer) {
                snprintf(errstr, errstr_size, "cannot make values of "
                         "ChangeRisk and Alert");
                goto fail;
        }
        st->render = vg_render_new(sizeof(chg_job_t), chg_render_one,
                                   st->renderer, 1);
        st->x      = vg_features_new(
                (int)vg_conf_get_int(conf, "change.hash.bits"), 0);
        st->store  = chg_store_new(vg_proc_store(p), conf);
        vg_info("change", "%d recommendation rule(s); bands MEDIUM>=%.2f "
                "HIGH>=%.2f CRITICAL>=%.2f; alerts from %s",
                chg_rules_count(st->rules), st->bands[1], st->bands[2],
                st->bands[3], chg_band_name(st->alert_band));
        return st;
fail:
        chg_destroy(st);
        return NULL;
}

/* ---------------------------------------------------------------------- */
/* One event                                                              */

/* The alert of \p ev's change for \p band is out: record it, so that
 * later scores of the change do not alert for that band again. */
static void chg_alerted(chg_state_t *st, const chg_event_t *ev, int band)
{
        chg_store_put_alerted(st->store, ev, band,
                              !vg_proc_bootstrapping(st->p));
        st->alerts++;
}

/* Called once a record of a job is produced: the Alert (output 1). */
static void chg_produced(void *opaque, void *job, int out)
{
        const chg_job_t *j = job;
        if (out == 1)
                chg_alerted(opaque, j->sc.ev, j->sc.band);
}

/* Scores change \p i and queues its records for rendering; they are
 * produced, in order, once the batch is scored. */
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
                chg_model_learned(st->model) >= st->alert_min_learned &&
                chg_store_alert_take(st->store, ev, ctx, sc.band);
        if (!vg_proc_bootstrapping(st->p)) {
                chg_job_set(vg_render_job(st->render), &sc, alert);
                vg_render_push(st->render, i, ev->number);
        } else if (alert) { /* not produced while warming up, but marked */
                chg_alerted(st, ev, sc.band);
        }
        /* the cluster the change joined when first scored */
        int64_t joined = ctx->features   ? vg_features_blob_cluster(
                                                   ctx->features,
                                                   ctx->features_len)
                         : ctx->degraded ? -1 /* not observed */
                                         : sc.sim.cluster_id;
        st->blobs[i] = vg_features_blob_encode(st->x, sc.p, joined, &len);
        st->blob_lens[i] = len;
        chg_store_put_features(st->store, ev, st->blobs[i], len);
        chg_store_put_open(st->store, ev);
        chg_store_put_work(st->store, ev, sc.p, vg_proc_watermark(st->p));
        chg_store_put_service(st->store, ev, vg_proc_watermark(st->p));
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

/* Learns the outcome \p ev from the features it was scored with. */
static void chg_learn_one(chg_state_t *st, const chg_event_t *ev,
                          const char *blob, size_t len)
{
        double p;
        int64_t cluster;
        if (blob &&
            vg_features_blob_decode(st->x, blob, len, &p, &cluster) == 0) {
                chg_model_score_outcome(st->model, p, ev->failed);
                chg_model_learn(st->model, ev, st->x, ev->failed, cluster);
                st->learned++;
        } else {
                /* never scored (or its features expired): statistics */
                chg_model_learn(st->model, ev, NULL, ev->failed, -1);
                st->unlearned++;
        }
}

/* An outcome: in the team's and the CI's windows, and learned in line if
 * it is the next of its partition to learn (else the learner does). */
static void chg_outcome(chg_state_t *st, int i)
{
        size_t len;
        const char *blob = chg_scored_features(st, i, &len);
        st->outcomes++;
        if (!vg_proc_learn_claim(st->p, st->recs[i]))
                ; /* learned already, or the learner will */
        else if (!blob && st->ctxs[i].degraded &&
                 vg_proc_learn_defer(st->p, st->recs[i]))
                ; /* Redis down: the learner learns it once it is back */
        else
                chg_learn_one(st, &st->evs[i], blob, len);
        chg_store_put_outcome(st->store, &st->evs[i],
                              vg_proc_watermark(st->p));
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
        st->learn = vg_realloc(st->learn, sizeof(*st->learn) * n);
        st->blobs = vg_realloc(st->blobs, sizeof(*st->blobs) * n);
        st->blob_lens = vg_realloc(st->blob_lens,
                                   sizeof(*st->blob_lens) * n);
        st->cap   = n;
}

/* Reads the batch's events; invalid ones go to the dead-letter topic,
 * and so do those whose event times are out of bounds. */
static int chg_read_batch(chg_state_t *st, vg_proc_rec_t *recs, int n)
{
        char errstr[512];
        int m = 0;
        for (int i = 0; i < n; i++) {
                chg_event_t *ev = &st->evs[m];
                if (chg_event_read(ev, recs[i].val, errstr,
                                   sizeof(errstr))) {
                        vg_proc_deadletter(st->p, &recs[i], VG_DLQ_VALIDATION,
                                           "%s", errstr);
                        continue;
                }
                if (vg_proc_event_time(st->p, &recs[i], "sys_updated_on",
                                       ev->event_time) ||
                    (ev->closed_at >= 0 &&
                     vg_proc_event_time(st->p, &recs[i], "closed_at",
                                        ev->closed_at)))
                        continue;
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

        /* first: the last batch's rendering may still read evs, ctxs */
        vg_render_begin(st->render, n);
        chg_reserve(st, n);
        int m = chg_read_batch(st, recs, n);
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
                vg_store_pump(vg_proc_store(p));
        }
        /* the records, rendered meanwhile */
        int rc = vg_render_emit(st->render, p, st->recs, chg_produced, st);
        for (int i = 0; i < m; i++) {
                chg_ctx_clear(&st->ctxs[i]);
                vg_free(st->blobs[i]);
        }
        return rc;
}

/* ---------------------------------------------------------------------- */
/* Learning                                                               */

/* 1 if \p ev is an outcome the scoring side accepts (what it dead-letters,
 * invalid or with event times out of bounds, is not learned either). */
static int chg_learnable(vg_proc_t *p, vg_proc_rec_t *rec, chg_event_t *ev)
{
        char errstr[512];
        return !rec->dead &&
               !chg_event_read(ev, rec->val, errstr, sizeof(errstr)) &&
               ev->kind == CHG_K_OUTCOME &&
               vg_proc_event_time_ok(p, ev->event_time) &&
               (ev->closed_at < 0 || vg_proc_event_time_ok(p, ev->closed_at));
}

/* The closed changes of other partitions (or learned late), scored by
 * now. Stops where Redis cannot be read. */
static int chg_learn(void *opaque, vg_proc_t *p, vg_proc_rec_t *recs, int n)
{
        chg_state_t *st = opaque;

        chg_reserve(st, n);
        for (int i = 0; i < n; i++)
                st->learn[i] = (char)chg_learnable(p, &recs[i], &st->evs[i]);
        chg_store_read_scored(st->store, p, st->evs, st->learn, n);
        for (int i = 0; i < n; i++) {
                const char *blob;
                size_t len;
                if (!st->learn[i])
                        continue;
                if (chg_store_scored(st->store, i, &blob, &len))
                        return i; /* Redis down: learned once it is back */
                /* scored by another instance (or before a restart): what
                 * its scoring taught that model, this one learns now */
                chg_model_observe(st->model, &st->evs[i], st->x);
                chg_learn_one(st, &st->evs[i], blob, len);
        }
        return n;
}

/* ---------------------------------------------------------------------- */
/* Checkpoints and report                                                 */

static void *chg_save(void *opaque, size_t *lenp)
{
        chg_state_t *st = opaque;
        return chg_model_save(st->model, lenp);
}

static int chg_restore(void *opaque, const void *buf, size_t len,
                       char *errstr, size_t errstr_size)
{
        chg_state_t *st = opaque;
        return chg_model_restore(st->model, buf, len, errstr, errstr_size);
}

static const char *chg_version(void *opaque)
{
        chg_state_t *st = opaque;
        return chg_model_version(st->model);
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
        .conf_group   = &chg_conf_group,
        .init         = chg_init,
        .process      = chg_process,
        .learn        = chg_learn,
        .model_key_prop = "change.model.key",
        .save         = chg_save,
        .restore      = chg_restore,
        .model_version = chg_version,
        .report       = chg_report,
        .destroy      = chg_destroy,
};
