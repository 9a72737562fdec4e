/**
 * @file inc_output.c
 * @brief IncidentEnriched and alert records (see inc_output.h).
 */
#include "inc_output.h"
#include "inc_policy.h"
#include "vg_alerts.h"
#include "vg_mem.h"
#include "vg_utf8.h"

#include <stdio.h>
#include <string.h>

/* Ends \p buf, cut to its size, on a whole UTF-8 character. */
static char *inc_cut(char *buf)
{
        buf[vg_utf8_trim_partial(buf, strlen(buf))] = '\0';
        return buf;
}

inc_out_t inc_output_kind(const inc_score_t *sc, int out)
{
        if (sc->alert_change && out == 1)
                return INC_OUT_CHANGE;
        return out - 1 - sc->alert_change == 0 ? INC_OUT_RECUR0
                                                : INC_OUT_RECUR1;
}

/* predicted_<x>, <x>_confidence and the top list of one model. */
static void inc_put_label(avro_value_t *val, const inc_top_t *t,
                          const char *pred, const char *conf,
                          const char *list)
{
        if (t->n) {
                vg_avro_set_str(val, pred, t->top[0].label);
                vg_avro_set_double(val, conf, t->top[0].p);
        } else {
                vg_avro_set_null(val, pred);
                vg_avro_set_null(val, conf);
        }
        for (int i = 0; list && i < t->n; i++) {
                avro_value_t el;
                vg_avro_append(val, list, &el);
                vg_avro_set_str(&el, "label", t->top[i].label);
                vg_avro_set_double(&el, "p", t->top[i].p);
        }
}

static void inc_put_factors(avro_value_t *val, const inc_score_t *sc)
{
        for (int i = 0; i < sc->nfactors; i++) {
                avro_value_t el;
                char name[128];
                char *eq;
                vg_strlcpy(name, sc->factors[i].name, sizeof(name));
                inc_cut(name);
                vg_avro_append(val, "top_factors", &el);
                if ((eq = strchr(name, '=')) && eq != name) {
                        *eq = '\0';
                        vg_avro_set_str(&el, "value", eq + 1);
                } else {
                        vg_avro_set_null(&el, "value");
                }
                vg_avro_set_str(&el, "feature", name);
                vg_avro_set_double(&el, "contribution",
                                   sc->factors[i].contrib);
        }
}

static void inc_put_similar(avro_value_t *val, const inc_similar_t *sim)
{
        for (int i = 0; i < sim->n; i++) {
                avro_value_t el;
                vg_avro_append(val, "similar", &el);
                vg_avro_set_str(&el, "number", sim->items[i].number);
                vg_avro_set_double(&el, "distance", sim->items[i].distance);
                if (*sim->items[i].close_code)
                        vg_avro_set_str(&el, "close_code",
                                        sim->items[i].close_code);
                if (*sim->items[i].cause)
                        vg_avro_set_str(&el, "u_cause", sim->items[i].cause);
                if (sim->items[i].resolve_hours >= 0)
                        vg_avro_set_double(&el, "resolve_hours",
                                           sim->items[i].resolve_hours);
        }
}

static void inc_put_suspects(avro_value_t *val, const inc_score_t *sc)
{
        for (int i = 0; i < sc->nsuspects; i++) {
                const inc_suspect_t *s = &sc->suspects[i];
                avro_value_t el;
                char reason[192];
                vg_avro_append(val, "suspect_changes", &el);
                vg_avro_set_str(&el, "number", s->w.number);
                vg_avro_set_double(&el, "score", s->score);
                vg_avro_set_double(&el, "p_failure", s->w.p_failure);
                if (*s->w.type)
                        vg_avro_set_str(&el, "type", s->w.type);
                if (s->w.start_ms >= 0)
                        vg_avro_set_long(&el, "start_date", s->w.start_ms);
                if (s->w.end_ms >= 0)
                        vg_avro_set_long(&el, "end_date", s->w.end_ms);
                vg_avro_set_double(&el, "hours_before", s->hours_before);
                inc_policy_reason(s, reason, sizeof(reason));
                vg_avro_set_str(&el, "reason", reason);
        }
}

vg_err_t inc_output_enriched(avro_value_t *val, const inc_score_t *sc)
{
        const inc_event_t *ev = sc->ev;

        vg_avro_value_reset(val);
        vg_avro_set_str(val, "number", ev->number);
        if (ev->mod_count >= 0)
                vg_avro_set_int(val, "sys_mod_count", ev->mod_count);
        if (*ev->state)
                vg_avro_set_str(val, "incident_state", ev->state);
        vg_avro_set_str(val, "reason", sc->opened ? "opened" : "updated");
        inc_put_label(val, &sc->tops[INC_L_CAUSE], "predicted_cause",
                      "cause_confidence", "top_causes");
        inc_put_label(val, &sc->tops[INC_L_SUB_CAUSE], "predicted_sub_cause",
                      "sub_cause_confidence", NULL);
        inc_put_label(val, &sc->tops[INC_L_CLOSE], "predicted_close_code",
                      "close_code_confidence", "top_close_codes");
        inc_put_label(val, &sc->tops[INC_L_GROUP], "predicted_group",
                      "group_confidence", "top_groups");
        inc_put_label(val, &sc->tops[INC_L_PRIORITY], "predicted_priority",
                      "priority_confidence", NULL);
        inc_put_factors(val, sc);
        vg_avro_set_long(val, "cluster_id", sc->cluster_id);
        vg_avro_set_int(val, "cluster_size_24h", (int32_t)sc->cl_24h);
        vg_avro_set_int(val, "cluster_size_7d", (int32_t)sc->cl_7d);
        vg_avro_set_int(val, "ci_incidents_24h", (int32_t)sc->ci_24h);
        vg_avro_set_int(val, "ci_incidents_7d", (int32_t)sc->ci_7d);
        vg_avro_set_bool(val, "recurring", sc->recurring);
        inc_put_similar(val, &sc->sim);
        inc_put_suspects(val, sc);
        vg_avro_set_str(val, "model_version", sc->model_version);
        vg_avro_set_long(val, "event_time", ev->event_time);
        vg_avro_set_bool(val, "context_degraded", sc->ctx->degraded);
        return vg_avro_set_long(val, "scored_at", sc->scored_at);
}

static void inc_alert_head(avro_value_t *val, const char *id,
                           const char *kind, const char *severity,
                           const char *subject, char *summary)
{
        vg_avro_value_reset(val);
        vg_avro_set_str(val, "alert_id", id);
        vg_avro_set_str(val, "kind", kind);
        vg_avro_set_enum(val, "severity", severity);
        vg_avro_set_str(val, "subject", subject);
        vg_avro_set_str(val, "summary", inc_cut(summary));
}

static vg_err_t inc_alert_tail(avro_value_t *val, const inc_score_t *sc,
                               const char *source_topic)
{
        const inc_event_t *ev = sc->ev;
        vg_avro_map_set_str(val, "evidence", "incident", ev->number);
        vg_avro_map_set_str(val, "evidence", "cmdb_ci", ev->ci);
        vg_avro_map_set_str(val, "evidence", "category", ev->category);
        vg_avro_set_str(val, "source_topic", source_topic);
        vg_avro_set_long(val, "event_time", ev->event_time);
        return vg_avro_set_long(val, "created_at", sc->scored_at);
}

vg_err_t inc_output_change_alert(avro_value_t *val, const inc_score_t *sc,
                                 const char *source_topic)
{
        const inc_event_t *ev  = sc->ev;
        const inc_suspect_t *s = &sc->suspects[0];
        char id[160], summary[512], buf[192];

        vg_alerts_id(id, sizeof(id), "CHANGE_INDUCED_INCIDENT", ev->number,
                     "CHANGE_INDUCED");
        snprintf(summary, sizeof(summary),
                 "Incident %s on %s probably caused by %s change %s "
                 "(started %.1f h before, %s, change risk %.0f%%): "
                 "suspicion %.0f%%",
                 ev->number, *ev->ci ? ev->ci : "(no CI)",
                 *s->w.type ? s->w.type : "a", s->w.number, s->hours_before,
                 s->during ? "during the work" : "after the work",
                 100.0 * s->w.p_failure, 100.0 * s->score);
        inc_alert_head(val, id, "CHANGE_INDUCED_INCIDENT",
                       s->score >= 0.8 ? "CRITICAL" : "HIGH", ev->number,
                       summary);
        vg_avro_map_set_str(val, "evidence", "change", s->w.number);
        snprintf(buf, sizeof(buf), "%.4f", s->score);
        vg_avro_map_set_str(val, "evidence", "suspicion", buf);
        snprintf(buf, sizeof(buf), "%.4f", s->w.p_failure);
        vg_avro_map_set_str(val, "evidence", "change_p_failure", buf);
        vg_avro_map_set_str(val, "evidence", "change_type", s->w.type);
        snprintf(buf, sizeof(buf), "%.2f", s->hours_before);
        vg_avro_map_set_str(val, "evidence", "hours_before", buf);
        inc_policy_reason(s, buf, sizeof(buf));
        vg_avro_map_set_str(val, "evidence", "reason", buf);
        for (int i = 1; i < sc->nsuspects; i++) {
                char k[32];
                snprintf(k, sizeof(k), "other_suspect_%d", i);
                snprintf(buf, sizeof(buf), "%s %.4f", sc->suspects[i].w.number,
                         sc->suspects[i].score);
                vg_avro_map_set_str(val, "evidence", k, buf);
        }
        return inc_alert_tail(val, sc, source_topic);
}

vg_err_t inc_output_recur_alert(avro_value_t *val, const inc_score_t *sc,
                                const inc_recur_t *rc,
                                const char *source_topic)
{
        char id[256], summary[512], buf[64], members[INC_MAX_MEMBERS * 49];
        size_t off = 0;

        vg_alerts_id(id, sizeof(id), "RECURRING_INCIDENTS", rc->subject,
                     "RECURRING");
        snprintf(summary, sizeof(summary),
                 "%lld incidents on %s in the window up to %s (baseline "
                 "%.2f per window, p=%.2g)",
                 rc->count, rc->what, sc->ev->number, rc->rate, rc->pvalue);
        inc_alert_head(val, id, "RECURRING_INCIDENTS",
                       rc->pvalue < 1e-6 ? "HIGH" : "WARNING", rc->subject,
                       summary);
        snprintf(buf, sizeof(buf), "%lld", rc->count);
        vg_avro_map_set_str(val, "evidence", "count", buf);
        snprintf(buf, sizeof(buf), "%.4f", rc->rate);
        vg_avro_map_set_str(val, "evidence", "baseline_per_window", buf);
        snprintf(buf, sizeof(buf), "%.3g", rc->pvalue);
        vg_avro_map_set_str(val, "evidence", "p_value", buf);
        vg_avro_map_set_str(val, "evidence", "recurring", rc->what);
        members[0] = '\0';
        for (int i = 0; i < rc->counts->nmembers; i++)
                off += (size_t)snprintf(members + off, sizeof(members) - off,
                                        "%s%s", i ? "," : "",
                                        rc->counts->members[i]);
        vg_avro_map_set_str(val, "evidence", "members", members);
        return inc_alert_tail(val, sc, source_topic);
}

/* ---------------------------------------------------------------------- */
/* Rendering                                                              */

struct inc_render_s {
        vg_avro_schema_t *enr_sch, *alert_sch;
        const char *source_topic, *enr_topic, *alert_topic;
        avro_value_t enr_val, alert_val; /**< the rendering thread's */
};

inc_render_t *inc_render_new(vg_avro_schema_t *enriched_sch,
                             vg_avro_schema_t *alert_sch,
                             const char *source_topic,
                             const char *enriched_topic,
                             const char *alert_topic)
{
        inc_render_t *r = vg_calloc(1, sizeof(*r));
        r->enr_sch      = enriched_sch;
        r->alert_sch    = alert_sch;
        r->source_topic = source_topic;
        r->enr_topic    = enriched_topic;
        r->alert_topic  = alert_topic;
        if (vg_avro_schema_value_new(enriched_sch, &r->enr_val)) {
                vg_free(r);
                return NULL;
        }
        if (vg_avro_schema_value_new(alert_sch, &r->alert_val)) {
                avro_value_decref(&r->enr_val);
                vg_free(r);
                return NULL;
        }
        return r;
}

void inc_render_destroy(inc_render_t *r)
{
        if (!r)
                return;
        avro_value_decref(&r->enr_val);
        avro_value_decref(&r->alert_val);
        vg_free(r);
}

void inc_render_one(void *opaque, void *job, vg_render_job_t *rj)
{
        inc_render_t *r       = opaque;
        const inc_score_t *sc = job;
        const char *key       = sc->ev->number;

        inc_output_enriched(&r->enr_val, sc);
        if (vg_render_put(rj, r->enr_sch, &r->enr_val, r->enr_topic, key))
                return;
        if (sc->alert_change) {
                inc_output_change_alert(&r->alert_val, sc, r->source_topic);
                if (vg_render_put(rj, r->alert_sch, &r->alert_val,
                                  r->alert_topic, key))
                        return;
        }
        for (int i = 0; i < sc->nrecur; i++) {
                inc_output_recur_alert(&r->alert_val, sc, &sc->recur[i],
                                       r->source_topic);
                if (vg_render_put(rj, r->alert_sch, &r->alert_val,
                                  r->alert_topic, sc->recur[i].subject))
                        return;
        }
}
