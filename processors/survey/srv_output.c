/**
 * @file srv_output.c
 * @brief SurveyInsight and SATISFACTION_DROP records (see srv_output.h).
 */
#include "srv_output.h"
#include "vg_alerts.h"
#include "vg_mem.h"
#include "vg_pii.h"
#include "vg_utf8.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static void srv_opt_str(avro_value_t *val, const char *f, const char *s)
{
        if (s && *s)
                vg_avro_set_str(val, f, s);
        else
                vg_avro_set_null(val, f);
}

static void srv_put_similar(avro_value_t *val, const srv_job_t *j)
{
        for (int i = 0; i < j->nsimilar; i++) {
                avro_value_t el;
                vg_avro_append(val, "similar", &el);
                vg_avro_set_str(&el, "response_id", j->similar[i].id);
                vg_avro_set_double(&el, "distance", j->similar[i].dist);
                srv_opt_str(&el, "satisfaction", j->similar[i].cls);
                srv_opt_str(&el, "comment_scrubbed", j->similar[i].snippet);
        }
}

static void srv_put_links(avro_value_t *val, const srv_job_t *j)
{
        for (int i = 0; i < j->nlinks; i++) {
                avro_value_t el;
                char reason[160];
                double h = (double)(j->ev->submitted_at - j->links[i].l.at) /
                           3600000.0;
                vg_avro_append(val, "links", &el);
                vg_avro_set_str(&el, "kind", j->links[i].l.kind);
                vg_avro_set_str(&el, "number", j->links[i].l.number);
                vg_avro_set_long(&el, "at", j->links[i].l.at);
                vg_avro_set_double(&el, "score", j->links[i].score);
                snprintf(reason, sizeof(reason), "%.60s %s %s %.0f h before",
                         j->ev->service, j->links[i].l.kind,
                         strcmp(j->links[i].l.kind, "change") ? "opened"
                                                              : "started",
                         h);
                vg_avro_set_str(&el, "reason", reason);
        }
}

vg_err_t srv_output_insight(avro_value_t *val, const srv_job_t *j)
{
        const srv_event_t *ev = j->ev;

        vg_avro_value_reset(val);
        vg_avro_set_str(val, "response_id", ev->id);
        srv_opt_str(val, "respondent_pseudonym", j->pseudonym);
        srv_opt_str(val, "pseudonym_key_id", j->key_id);
        srv_opt_str(val, "survey", ev->survey);
        srv_opt_str(val, "entity", ev->entity);
        srv_opt_str(val, "service", ev->service);
        vg_avro_set_str(val, "language", j->language);
        vg_avro_set_bool(val, "language_detected", j->language_detected);
        srv_opt_str(val, "comment_scrubbed", j->comment);
        for (int k = 0; k < VG_PII_KINDS; k++)
                if (j->pii_kinds & (1u << k))
                        vg_avro_append_str(val, "pii_found",
                                           vg_pii_kind_name((vg_pii_kind_t)k));
        vg_avro_set_enum(val, "satisfaction", srv_class_name(j->pr.cls));
        vg_avro_set_double(val, "p_satisfaction", j->pr.p[j->pr.cls]);
        vg_avro_set_double(val, "p_negative", j->pr.p[SRV_NEGATIVE]);
        vg_avro_set_double(val, "predicted_score", j->pr.stars);
        vg_avro_set_long(val, "topic_id", j->topic);
        for (int i = 0; i < j->topic_nterms; i++)
                vg_avro_append_str(val, "topic_terms", j->topic_terms[i]);
        if (j->topic_neg_rate >= 0)
                vg_avro_set_double(val, "topic_negative_rate",
                                   j->topic_neg_rate);
        for (int i = 0; i < j->pr.nterms; i++)
                vg_avro_append_str(val, "terms", j->pr.terms[i]);
        srv_put_similar(val, j);
        vg_avro_set_enum(val, "priority", j->priority);
        srv_put_links(val, j);
        vg_avro_set_str(val, "model_version", j->model_version);
        vg_avro_set_long(val, "event_time", ev->submitted_at);
        vg_avro_set_bool(val, "context_degraded", j->degraded);
        return vg_avro_set_long(val, "scored_at", j->scored_at);
}

vg_err_t srv_output_drop(avro_value_t *val, const srv_job_t *j,
                         const srv_drop_t *d, const char *source_topic)
{
        char id[256], summary[512], buf[64];

        vg_alerts_id(id, sizeof(id), "SATISFACTION_DROP", d->subject, "DROP");
        snprintf(summary, sizeof(summary),
                 "Dissatisfaction rising on %s: %lld negative of %lld "
                 "responses in the window (%.0f%%, baseline %.0f%%, p=%.2g)",
                 d->what, d->c.win_neg, d->c.win_all,
                 d->c.win_all ? 100.0 * (double)d->c.win_neg /
                                        (double)d->c.win_all
                              : 0,
                 100.0 * d->p0, d->pvalue);
        summary[vg_utf8_trim_partial(summary, strlen(summary))] = '\0';
        vg_avro_value_reset(val);
        vg_avro_set_str(val, "alert_id", id);
        vg_avro_set_str(val, "kind", "SATISFACTION_DROP");
        vg_avro_set_enum(val, "severity", d->pvalue < 1e-6 ? "HIGH"
                                                           : "WARNING");
        vg_avro_set_str(val, "subject", d->subject);
        vg_avro_set_str(val, "summary", summary);
        snprintf(buf, sizeof(buf), "%lld", d->c.win_neg);
        vg_avro_map_set_str(val, "evidence", "negative", buf);
        snprintf(buf, sizeof(buf), "%lld", d->c.win_all);
        vg_avro_map_set_str(val, "evidence", "responses", buf);
        snprintf(buf, sizeof(buf), "%.4f", d->p0);
        vg_avro_map_set_str(val, "evidence", "baseline_negative_share", buf);
        snprintf(buf, sizeof(buf), "%.3g", d->pvalue);
        vg_avro_map_set_str(val, "evidence", "p_value", buf);
        for (int i = 0; i < d->nexamples; i++) {
                snprintf(buf, sizeof(buf), "example_%d", i + 1);
                vg_avro_map_set_str(val, "evidence", buf, d->examples[i]);
        }
        for (int i = 0; i < j->nlinks && i < 3; i++) {
                snprintf(buf, sizeof(buf), "linked_%d", i + 1);
                vg_avro_map_set_str(val, "evidence", buf,
                                    j->links[i].l.number);
        }
        vg_avro_set_str(val, "source_topic", source_topic);
        vg_avro_set_long(val, "event_time", j->ev->submitted_at);
        return vg_avro_set_long(val, "created_at", j->scored_at);
}

struct srv_render_s {
        vg_avro_schema_t *ins_sch, *alert_sch;
        const char *source_topic, *ins_topic, *alert_topic;
        avro_value_t ins_val, alert_val;
};

srv_render_t *srv_render_new(vg_avro_schema_t *insight_sch,
                             vg_avro_schema_t *alert_sch,
                             const char *source_topic,
                             const char *insight_topic,
                             const char *alert_topic)
{
        srv_render_t *r = vg_calloc(1, sizeof(*r));
        r->ins_sch      = insight_sch;
        r->alert_sch    = alert_sch;
        r->source_topic = source_topic;
        r->ins_topic    = insight_topic;
        r->alert_topic  = alert_topic;
        if (vg_avro_schema_value_new(insight_sch, &r->ins_val)) {
                vg_free(r);
                return NULL;
        }
        if (vg_avro_schema_value_new(alert_sch, &r->alert_val)) {
                avro_value_decref(&r->ins_val);
                vg_free(r);
                return NULL;
        }
        return r;
}

void srv_render_destroy(srv_render_t *r)
{
        if (!r)
                return;
        avro_value_decref(&r->ins_val);
        avro_value_decref(&r->alert_val);
        vg_free(r);
}

void srv_render_one(void *opaque, void *job, vg_render_job_t *rj)
{
        srv_render_t *r     = opaque;
        const srv_job_t *j  = job;

        srv_output_insight(&r->ins_val, j);
        if (vg_render_put(rj, r->ins_sch, &r->ins_val, r->ins_topic,
                          j->ev->id))
                return;
        for (int i = 0; i < j->ndrops; i++) {
                srv_output_drop(&r->alert_val, j, &j->drops[i],
                                r->source_topic);
                if (vg_render_put(rj, r->alert_sch, &r->alert_val,
                                  r->alert_topic, j->drops[i].subject))
                        return;
        }
}
