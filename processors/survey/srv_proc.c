/**
 * @file srv_proc.c
 * @brief vigie-survey: per batch, scrub each response's comment and
 *        pseudonymise its respondent before anything else (the raw comment
 *        and the respondent never leave the process: not in records, Redis,
 *        logs or dead letters), predict its satisfaction and score, place
 *        it in a topic, read its topic's and its service's windows and the
 *        incidents and changes on its service, write its insight, alert on
 *        dissatisfaction drops, then learn from its score (predict first).
 */
#include "srv_proc.h"
#include "srv_conf.h"
#include "srv_context.h"
#include "srv_lang.h"
#include "srv_model.h"
#include "srv_output.h"
#include "srv_policy.h"
#include "vg_dlq.h"
#include "vg_log.h"
#include "vg_mem.h"
#include "vg_pii.h"
#include "vg_pseudo.h"
#include "vg_time.h"
#include "vg_utf8.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct srv_st_s {
        vg_proc_t *p;
        srv_store_t *store;
        srv_model_t *model;
        srv_policy_t pol;
        int64_t win_ms;      /**< survey.alert.window.hours */
        vg_pseudo_t *pseudo; /**< NULL in strict mode */
        vg_features_t *x, *scratch;
        srv_render_t *renderer;
        vg_render_t *render;
        /* per batch, by index */
        srv_event_t *evs;
        srv_ctx_t *ctxs;
        vg_proc_rec_t **recs;
        int64_t *topics;
        char **texts;          /**< scrubbed comments */
        unsigned *pii;         /**< kinds found, bit per kind */
        const char **langs;
        char *detected;
        double *embeds;        /**< SRV_EMBED_DIM per record */
        int cap;
        /* counters */
        uint64_t responses, insights, drops, degraded, learned,
                pii_items[VG_PII_KINDS];
} srv_st_t;

/* ---------------------------------------------------------------------- */
/* Set-up                                                                 */

static void srv_destroy(void *opaque)
{
        srv_st_t *st = opaque;
        vg_render_destroy(st->render);
        srv_render_destroy(st->renderer);
        srv_store_destroy(st->store);
        srv_model_destroy(st->model);
        vg_pseudo_destroy(st->pseudo);
        vg_features_destroy(st->x);
        vg_features_destroy(st->scratch);
        for (int i = 0; i < st->cap; i++)
                vg_free(st->texts ? st->texts[i] : NULL);
        vg_free(st->evs);
        vg_free(st->ctxs);
        vg_free(st->recs);
        vg_free(st->topics);
        vg_free(st->texts);
        vg_free(st->pii);
        vg_free(st->langs);
        vg_free(st->detected);
        vg_free(st->embeds);
        vg_free(st);
}

static int srv_init_pseudo(srv_st_t *st, const vg_conf_t *conf, char *errstr,
                           size_t errstr_size)
{
        const char *file = vg_conf_get_str(conf, "survey.pseudonym.key.file");
        const char *env  = vg_conf_get_str(conf, "survey.pseudonym.key.env");
        if (vg_conf_get_bool(conf, "survey.strict")) {
                vg_info("survey", "strict mode: no pseudonyms");
                return 0;
        }
        st->pseudo = vg_pseudo_new(*file ? file : NULL, *file ? NULL : env,
                                   errstr, errstr_size);
        if (!st->pseudo)
                return -1;
        vg_info("survey", "pseudonym key %s", vg_pseudo_key_id(st->pseudo));
        return 0;
}

static void *srv_init(vg_proc_t *p, char *errstr, size_t errstr_size)
{
        const vg_conf_t *conf   = vg_proc_conf(p);
        srv_st_t *st            = vg_calloc(1, sizeof(*st));
        vg_avro_registry_t *reg = vg_proc_registry(p);
        vg_avro_schema_t *ins   = vg_avro_registry_by_name(reg,
                                                           "SurveyInsight");
        vg_avro_schema_t *alert = vg_avro_registry_by_name(reg, "Alert");
        int bits = (int)vg_conf_get_int(conf, "survey.hash.bits");

        st->p = p;
        if (!ins || !alert) {
                snprintf(errstr, errstr_size, "schemas SurveyInsight and "
                         "Alert are needed in schema.dir");
                goto fail;
        }
        if (srv_init_pseudo(st, conf, errstr, errstr_size) ||
            !(st->model = srv_model_new(conf, errstr, errstr_size)))
                goto fail;
        st->renderer = srv_render_new(ins, alert,
                                      vg_conf_get_str(conf, "input.topic"),
                                      vg_proc_output_topic(p),
                                      vg_conf_get_str(conf, "alert.topic"));
        if (!st->renderer) {
                snprintf(errstr, errstr_size, "cannot make values of "
                         "SurveyInsight and Alert");
                goto fail;
        }
        st->render  = vg_render_new(sizeof(srv_job_t), srv_render_one,
                                    st->renderer, 1);
        st->x       = vg_features_new(bits, 0);
        st->scratch = vg_features_new(bits, 0);
        st->store   = srv_store_new(vg_proc_store(p), conf);
        srv_policy_init(&st->pol, conf);
        st->win_ms = vg_conf_get_int(conf, "survey.alert.window.hours") *
                     3600000LL;
        return st;
fail:
        srv_destroy(st);
        return NULL;
}

static void srv_reserve(srv_st_t *st, int n)
{
        if (n <= st->cap)
                return;
        st->evs    = vg_realloc(st->evs, sizeof(*st->evs) * n);
        st->ctxs   = vg_realloc(st->ctxs, sizeof(*st->ctxs) * n);
        st->recs   = vg_realloc(st->recs, sizeof(*st->recs) * n);
        st->topics = vg_realloc(st->topics, sizeof(*st->topics) * n);
        st->texts  = vg_realloc(st->texts, sizeof(*st->texts) * n);
        for (int i = st->cap; i < n; i++)
                st->texts[i] = NULL;
        st->pii      = vg_realloc(st->pii, sizeof(*st->pii) * n);
        st->langs    = vg_realloc(st->langs, sizeof(*st->langs) * n);
        st->detected = vg_realloc(st->detected, (size_t)n);
        st->embeds   = vg_realloc(st->embeds, sizeof(double) *
                                                      SRV_EMBED_DIM * n);
        st->cap      = n;
}

/* ---------------------------------------------------------------------- */
/* Privacy first                                                          */

/* Scrubs the comment of \p ev into st->texts[i] and finds its language:
 * nothing reads the raw comment after this. */
static void srv_scrub(srv_st_t *st, int i, const srv_event_t *ev)
{
        size_t len = strlen(ev->comment), cap = VG_PII_OUT_MAX(len);
        vg_pii_counts_t pc;
        const char *lang;

        st->texts[i] = vg_realloc(st->texts[i], cap);
        vg_pii_scrub(ev->comment, len, st->texts[i], cap, &pc);
        st->pii[i] = 0;
        for (int k = 0; k < VG_PII_KINDS; k++) {
                st->pii_items[k] += pc.n[k];
                if (pc.n[k])
                        st->pii[i] |= 1u << k;
        }
        lang = srv_lang_norm(ev->language);
        st->detected[i] = !lang;
        st->langs[i]    = lang ? lang
                               : srv_lang_detect(st->texts[i],
                                                 strlen(st->texts[i]));
}

/* ---------------------------------------------------------------------- */
/* One response                                                           */

static void srv_similar(srv_st_t *st, int i, srv_job_t *j)
{
        srv_similar_t sim[8];
        int n = srv_topics_similar(srv_model_topics(st->model),
                                   st->embeds + (size_t)i * SRV_EMBED_DIM, 8,
                                   sim);
        j->nsimilar = 0;
        for (int k = 0; k < n && j->nsimilar < SRV_SIMILAR; k++) {
                const char *tab;
                if (!sim[k].outcome || !strcmp(sim[k].id, j->ev->id) ||
                    !(tab = strchr(sim[k].outcome, '\t')))
                        continue;
                vg_strlcpy(j->similar[j->nsimilar].id, sim[k].id,
                           sizeof(j->similar[0].id));
                snprintf(j->similar[j->nsimilar].cls,
                         sizeof(j->similar[0].cls), "%.*s",
                         (int)(tab - sim[k].outcome), sim[k].outcome);
                vg_strlcpy(j->similar[j->nsimilar].snippet, tab + 1,
                           sizeof(j->similar[0].snippet));
                j->similar[j->nsimilar++].dist = sim[k].dist;
        }
}

static int srv_link_cmp(const void *a, const void *b)
{
        const srv_scored_link_t *x = a, *y = b;
        return x->score > y->score ? -1 : x->score < y->score ? 1 : 0;
}

/* Incidents and changes on the service, most recent first, weighted by
 * the response's dissatisfaction. */
static void srv_links(const srv_ctx_t *ctx, srv_job_t *j)
{
        srv_scored_link_t all[SRV_MAX_LINKS];
        int n = 0;
        for (int k = 0; k < ctx->nlinks; k++) {
                double h = (double)(j->ev->submitted_at - ctx->links[k].at) /
                           3600000.0;
                all[n].l     = ctx->links[k];
                all[n].score = exp(-h / 72.0) *
                               (0.5 + 0.5 * j->pr.p[SRV_NEGATIVE]);
                n++;
        }
        qsort(all, (size_t)n, sizeof(all[0]), srv_link_cmp);
        j->nlinks = n < 5 ? n : 5;
        memcpy(j->links, all, sizeof(all[0]) * (size_t)j->nlinks);
}

/* The counts of \p c with the response itself. */
static srv_counts_t srv_with_self(srv_counts_t c, int negative)
{
        c.win_all++;
        c.win_neg += negative;
        return c;
}

/* Adds a scrubbed verbatim to a drop's examples: not empty, not twice. */
static void srv_example(srv_drop_t *d, const char *text)
{
        if (!*text || d->nexamples == 3)
                return;
        for (int k = 0; k < d->nexamples; k++)
                if (!strncmp(d->examples[k], text, sizeof(d->examples[0]) - 1))
                        return;
        vg_strlcpy(d->examples[d->nexamples++], text,
                   sizeof(d->examples[0]));
}

static void srv_drop(srv_st_t *st, srv_job_t *j, const srv_counts_t *c,
                     unsigned stored, const char *what, const char *id,
                     const char *label)
{
        srv_drop_t *d = &j->drops[j->ndrops];
        double pv, p0;
        int64_t first = srv_model_first(st->model);
        if (!srv_policy_drop(&st->pol, c,
                             first < 0 ? 0
                                       : j->ev->submitted_at -
                                                 st->win_ms - first,
                             &pv, &p0))
                return;
        srv_store_subject(st->store, what, id, j->ev->submitted_at,
                          d->subject, sizeof(d->subject));
        if (!srv_store_drop_take(st->store, d->subject, stored))
                return;
        snprintf(d->what, sizeof(d->what), "%s %.40s%s", what, id, label);
        d->what[vg_utf8_trim_partial(d->what, strlen(d->what))] = '\0';
        d->c         = *c;
        d->pvalue    = pv;
        d->p0        = p0;
        d->nexamples = 0;
        srv_example(d, j->comment);
        for (int k = 0; k < j->nsimilar && d->nexamples < 3; k++)
                if (!strcmp(j->similar[k].cls, "NEGATIVE"))
                        srv_example(d, j->similar[k].snippet);
        for (int k = 0; k < d->nexamples; k++)
                d->examples[k][vg_utf8_trim_partial(
                        d->examples[k], strlen(d->examples[k]))] = '\0';
        j->ndrops++;
}

static void srv_topic_facts(srv_st_t *st, srv_job_t *j, int negative,
                            const srv_ctx_t *ctx)
{
        const srv_topic_info_t *ti =
                srv_topics_info(srv_model_topics(st->model), j->topic);
        srv_counts_t tc = srv_with_self(ctx->topic, negative);
        char id[32], label[80] = "";
        j->topic_nterms = ti ? ti->nterms : 0;
        for (int k = 0; k < j->topic_nterms; k++)
                memcpy(j->topic_terms[k], ti->terms[k], SRV_TERM_LEN);
        if (j->topic_nterms >= 2)
                snprintf(label, sizeof(label), " (%s, %s)", ti->terms[0],
                         ti->terms[1]);
        j->topic_neg_rate = (double)tc.win_neg / (double)tc.win_all;
        j->priority       = srv_policy_priority(negative, &tc);
        snprintf(id, sizeof(id), "%lld", (long long)j->topic);
        srv_drop(st, j, &tc, ctx->alerted_topic, "topic", id, label);
}

static srv_job_t *srv_score(srv_st_t *st, int i)
{
        const srv_event_t *ev = &st->evs[i];
        const srv_ctx_t *ctx  = &st->ctxs[i];
        srv_job_t *j          = vg_render_job(st->render);
        int negative;

        memset(j, 0, sizeof(*j));
        j->ev = ev;
        vg_strlcpy(j->comment, st->texts[i], sizeof(j->comment));
        j->comment[vg_utf8_trim_partial(j->comment, strlen(j->comment))] =
                '\0';
        if (st->pseudo && *ev->respondent &&
            vg_pseudo_make(st->pseudo, ev->respondent, j->pseudonym,
                           sizeof(j->pseudonym)) == 0)
                vg_strlcpy(j->key_id, vg_pseudo_key_id(st->pseudo),
                           sizeof(j->key_id));
        j->language          = st->langs[i];
        j->language_detected = st->detected[i];
        j->pii_kinds         = st->pii[i];
        srv_model_features(st->model, st->texts[i], st->langs[i], ev->service,
                           st->x, NULL);
        srv_model_predict(st->model, st->x, &j->pr);
        /* consumed again: the topic it was put in; else the nearest */
        j->topic    = ctx->stored_topic != SRV_NO_TOPIC ? ctx->stored_topic
                                                        : st->topics[i];
        j->priority = "LOW";
        j->topic_neg_rate = -1;
        negative = ev->has_score ? ev->cls == SRV_NEGATIVE
                                 : j->pr.cls == SRV_NEGATIVE;
        srv_similar(st, i, j);
        srv_links(ctx, j);
        if (j->topic >= 0 && j->topic == st->topics[i] && !ctx->degraded)
                srv_topic_facts(st, j, negative, ctx);
        else if (negative)
                j->priority = "MEDIUM";
        if (*ev->service && !ctx->degraded) {
                srv_counts_t sc = srv_with_self(ctx->service, negative);
                srv_drop(st, j, &sc, ctx->alerted_service, "service",
                         ev->service, "");
        }
        vg_strlcpy(j->model_version, srv_model_version(st->model),
                   sizeof(j->model_version));
        j->scored_at = vg_time_now_ms();
        j->degraded  = ctx->degraded;
        st->insights++;
        st->degraded += ctx->degraded;
        return j;
}

/* The response's writes and records, once it is learned (\p learned: the
 * topic learning put it in, -1 none): a response that no topic was near
 * when its batch began belongs to the one it opened or joined. */
static void srv_finish(srv_st_t *st, int i, srv_job_t *j, int64_t learned)
{
        const srv_event_t *ev = &st->evs[i];
        const srv_topic_info_t *ti;
        if (j->topic < 0 && learned >= 0 &&
            st->ctxs[i].stored_topic == SRV_NO_TOPIC &&
            (ti = srv_topics_info(srv_model_topics(st->model), learned))) {
                j->topic        = learned;
                j->topic_nterms = ti->nterms;
                memcpy(j->topic_terms, ti->terms, sizeof(j->topic_terms));
        }
        srv_store_put_response(st->store, ev, j->topic,
                               ev->has_score ? (int)ev->cls : -1,
                               j->pr.stars, st->texts[i],
                               *j->pseudonym ? j->pseudonym : NULL,
                               vg_proc_watermark(st->p));
        if (!vg_proc_bootstrapping(st->p)) {
                vg_render_push(st->render, i, ev->id);
                return;
        }
        for (int k = 0; k < j->ndrops; k++) /* warming up: marked only */
                srv_store_put_dropped(st->store, j->drops[k].subject, 0);
}

/* Called once a record of a job is produced: a drop alert is marked. */
static void srv_produced(void *opaque, void *job, int out)
{
        srv_st_t *st       = opaque;
        const srv_job_t *j = job;
        if (out < 1 || out > j->ndrops)
                return;
        srv_store_put_dropped(st->store, j->drops[out - 1].subject,
                              j->ev->submitted_at);
        st->drops++;
}

/* ---------------------------------------------------------------------- */
/* A batch                                                                */

static int srv_read_batch(srv_st_t *st, vg_proc_rec_t *recs, int n)
{
        char errstr[512];
        int m = 0;
        for (int i = 0; i < n; i++) {
                srv_event_t *ev = &st->evs[m];
                if (recs[i].dead)
                        continue;
                if (srv_event_read(ev, recs[i].val, errstr, sizeof(errstr))) {
                        vg_proc_deadletter(st->p, &recs[i], VG_DLQ_VALIDATION,
                                           "%s", errstr);
                        continue;
                }
                if (vg_proc_event_time(st->p, &recs[i], "submitted_at",
                                       ev->submitted_at))
                        continue;
                st->recs[m] = &recs[i];
                srv_scrub(st, m, ev);
                m++;
        }
        return m;
}

/* The topic of each response (nearest now), for its reads. */
static void srv_plan(srv_st_t *st, int m)
{
        for (int i = 0; i < m; i++) {
                double *e = st->embeds + (size_t)i * SRV_EMBED_DIM;
                srv_model_features(st->model, st->texts[i], st->langs[i],
                                   st->evs[i].service, st->scratch, e);
                st->topics[i] = srv_topics_assign(srv_model_topics(st->model),
                                                  e);
        }
}

static int64_t srv_learn_one(srv_st_t *st, int i)
{
        if (!st->evs[i].has_score)
                return -1;
        st->learned++;
        return srv_model_learn(st->model, &st->evs[i], st->texts[i],
                               st->langs[i], st->scratch);
}

static void srv_topic_changed(void *opaque, const srv_topic_info_t *ti)
{
        srv_st_t *st = opaque;
        static const char *const how[] = {"alive", "merged", "dead"};
        srv_store_put_topic(st->store, ti);
        if (ti->state != SRV_TOPIC_ALIVE || ti->size == 1)
                vg_info("survey", "topic %lld %s%s (%llu verbatims)",
                        (long long)ti->id,
                        ti->size == 1 && ti->state == SRV_TOPIC_ALIVE
                                ? "born"
                                : how[ti->state],
                        ti->state == SRV_TOPIC_MERGED ? " into another" : "",
                        (unsigned long long)ti->size);
}

static int srv_process(void *opaque, vg_proc_t *p, vg_proc_rec_t *recs,
                       int n)
{
        srv_st_t *st = opaque;

        vg_render_begin(st->render, n);
        srv_reserve(st, n);
        int m = srv_read_batch(st, recs, n);
        srv_plan(st, m);
        srv_store_read(st->store, p, st->evs, st->topics, m);
        for (int i = 0; i < m; i++) {
                srv_store_ctx(st->store, i, st->evs[i].submitted_at,
                              &st->ctxs[i]);
                st->responses++;
                srv_job_t *j    = srv_score(st, i);
                int64_t learned = -1;
                if (st->evs[i].has_score &&
                    vg_proc_learn_claim(p, st->recs[i]))
                        learned = srv_learn_one(st, i);
                srv_finish(st, i, j, learned);
                vg_store_pump(vg_proc_store(p));
        }
        srv_topics_dirty(srv_model_topics(st->model), srv_topic_changed, st);
        return vg_render_emit(st->render, p, st->recs, srv_produced, st);
}

/* ---------------------------------------------------------------------- */
/* Learning: the responses of the other partitions                        */

static int srv_learn(void *opaque, vg_proc_t *p, vg_proc_rec_t *recs, int n)
{
        srv_st_t *st = opaque;
        char errstr[256];
        srv_reserve(st, 1);
        for (int i = 0; i < n; i++) {
                if (recs[i].dead ||
                    srv_event_read(&st->evs[0], recs[i].val, errstr,
                                   sizeof(errstr)) ||
                    !st->evs[0].has_score ||
                    !vg_proc_event_time_ok(p, st->evs[0].submitted_at))
                        continue;
                srv_scrub(st, 0, &st->evs[0]);
                srv_learn_one(st, 0);
        }
        return n;
}

/* ---------------------------------------------------------------------- */
/* Checkpoints and report                                                 */

static void *srv_save(void *opaque, size_t *lenp)
{
        srv_st_t *st = opaque;
        return srv_model_save(st->model, lenp);
}

static int srv_restore(void *opaque, const void *buf, size_t len,
                       char *errstr, size_t errstr_size)
{
        srv_st_t *st = opaque;
        return srv_model_restore(st->model, buf, len, errstr, errstr_size);
}

static const char *srv_version(void *opaque)
{
        srv_st_t *st = opaque;
        return srv_model_version(st->model);
}

static void srv_report(void *opaque, vg_proc_t *p, FILE *fp)
{
        srv_st_t *st = opaque;
        uint64_t pii = 0;
        (void)p;
        for (int k = 0; k < VG_PII_KINDS; k++)
                pii += st->pii_items[k];
        fprintf(fp,
                "vigie-survey summary:\n"
                "  %llu response(s): %llu insight(s), %llu with degraded "
                "context; %llu SATISFACTION_DROP alert(s)\n"
                "  %llu personal data item(s) scrubbed; respondents %s\n"
                "  model %s, %.1f MiB, learned from %llu score(s) here\n",
                (unsigned long long)st->responses,
                (unsigned long long)st->insights,
                (unsigned long long)st->degraded,
                (unsigned long long)st->drops, (unsigned long long)pii,
                st->pseudo ? "pseudonymised" : "not kept (strict mode)",
                srv_model_version(st->model),
                (double)srv_model_memory(st->model) / (1 << 20),
                (unsigned long long)st->learned);
        srv_model_report(st->model, fp);
}

const vg_processor_def_t srv_processor = {
        .name         = "vigie-survey",
        .summary      = "Survey verbatims: pseudonymises respondents and "
                        "scrubs personal data at ingest,\nscores satisfaction "
                        "from French and English text, finds stable topics "
                        "online,\nalerts on emerging dissatisfaction and "
                        "links responses to incidents and changes.",
        .input_topic  = "itsm.surveys",
        .output_topic = "itsm.surveys.insights",
        .conf_group   = &srv_conf_group,
        .deadletter_redact = 1,
        .init         = srv_init,
        .process      = srv_process,
        .learn        = srv_learn,
        .model_key_prop = "survey.model.key",
        .save         = srv_save,
        .restore      = srv_restore,
        .model_version = srv_version,
        .report       = srv_report,
        .destroy      = srv_destroy,
};
