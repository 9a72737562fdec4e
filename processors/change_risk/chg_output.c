/**
 * @file chg_output.c
 * @brief ChangeRisk and Alert records (see chg_output.h).
 */
#include "chg_output.h"
#include "vg_alerts.h"
#include "vg_utf8.h"
#include "vg_mem.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* Ends \p buf, cut to its size, on a whole UTF-8 character. */
static char *chg_cut(char *buf)
{
        buf[vg_utf8_trim_partial(buf, strlen(buf))] = '\0';
        return buf;
}

void chg_score_facts(const chg_score_t *sc, chg_facts_t *f)
{
        const chg_event_t *ev = sc->ev;
        const chg_ctx_t *ctx  = sc->ctx;
        int night = 0, weekend = 0;
        struct tm tm;

        memset(f, 0, sizeof(*f));
        f->type      = ev->type;
        f->category  = ev->category;
        f->band      = chg_band_name(sc->band);
        f->p_failure = sc->p;
        chg_event_start(ev, &tm, &night, &weekend);
        f->night   = night;
        f->weekend = weekend;
        if (chg_event_lead_hours(ev, &f->lead_hours))
                f->lead_hours = 1e9; /* unknown: never "rushed" */
        chg_event_duration_hours(ev, &f->duration_hours);
        f->team_failure_rate_90d =
                ctx->team_changes ? (double)ctx->team_failed /
                                            (double)ctx->team_changes
                                  : 0;
        f->backout_plan     = *ev->backout_plan != '\0';
        f->test_plan        = *ev->test_plan != '\0';
        f->team_changes_90d = (double)ctx->team_changes;
        f->ci_failures_90d  = (double)ctx->ci_failures;
        f->ci_incidents_30d = (double)ctx->ci_incidents;
        f->collisions       = ctx->ncollisions;
}

static void chg_add_factors(avro_value_t *val, const chg_score_t *sc)
{
        for (int i = 0; i < sc->nfactors; i++) {
                avro_value_t el;
                char name[128];
                const char *eq;
                vg_strlcpy(name, sc->factors[i].name, sizeof(name));
                chg_cut(name);
                vg_avro_append(val, "top_factors", &el);
                if ((eq = strchr(name, '=')) && eq != name) {
                        name[eq - name] = '\0';
                        vg_avro_set_str(&el, "value", eq + 1);
                }
                vg_avro_set_str(&el, "feature", name);
                vg_avro_set_double(&el, "contribution",
                                   sc->factors[i].contrib);
        }
}

static void chg_add_similar(avro_value_t *val, const chg_score_t *sc)
{
        for (int i = 0; i < sc->sim.n; i++) {
                avro_value_t el;
                vg_avro_append(val, "similar", &el);
                vg_avro_set_str(&el, "number", sc->sim.items[i].number);
                vg_avro_set_double(&el, "distance",
                                   sc->sim.items[i].distance);
                vg_avro_set_str(&el, "close_code",
                                sc->sim.items[i].close_code);
        }
}

static void chg_add_reco(const char *sentence, void *opaque)
{
        vg_avro_append_str(opaque, "recommendations", sentence);
}

vg_err_t chg_output_risk(avro_value_t *val, const chg_score_t *sc,
                         const chg_rules_t *rules)
{
        const chg_ctx_t *ctx = sc->ctx;
        chg_facts_t facts;

        vg_avro_value_reset(val);
        vg_avro_set_str(val, "number", sc->ev->number);
        vg_avro_set_double(val, "p_failure", sc->p);
        vg_avro_set_enum(val, "risk_band", chg_band_name(sc->band));
        chg_add_factors(val, sc);
        vg_avro_set_long(val, "cluster_id", sc->sim.cluster_id);
        vg_avro_set_double(val, "cluster_failure_rate",
                           sc->sim.cluster_failure_rate < 0
                                   ? 0.0
                                   : sc->sim.cluster_failure_rate);
        chg_add_similar(val, sc);
        chg_score_facts(sc, &facts);
        vg_avro_set_int(val, "team_changes_90d", (int32_t)ctx->team_changes);
        vg_avro_set_double(val, "team_failure_rate_90d",
                           facts.team_failure_rate_90d);
        vg_avro_set_int(val, "ci_failures_90d", (int32_t)ctx->ci_failures);
        vg_avro_set_int(val, "ci_incidents_30d", (int32_t)ctx->ci_incidents);
        for (int i = 0; i < ctx->ncollisions; i++)
                vg_avro_append_str(val, "collisions", ctx->collisions[i]);
        chg_rules_apply(rules, &facts, chg_add_reco, val);
        vg_avro_set_bool(val, "context_degraded", ctx->degraded);
        vg_avro_set_str(val, "model_version", sc->model_version);
        vg_avro_set_long(val, "event_time", sc->ev->event_time);
        return vg_avro_set_long(val, "scored_at", sc->scored_at);
}

vg_err_t chg_output_alert(avro_value_t *val, const chg_score_t *sc,
                          const char *source_topic)
{
        char id[128], summary[512], buf[64];
        const chg_event_t *ev = sc->ev;
        const char *why       = NULL;

        for (int i = 0; i < sc->nfactors && !why; i++)
                if (sc->factors[i].contrib > 0) /* raises the risk */
                        why = sc->factors[i].name;

        vg_avro_value_reset(val);
        vg_alerts_id(id, sizeof(id), "RISKY_CHANGE", ev->number,
                     chg_band_name(sc->band));
        snprintf(summary, sizeof(summary),
                 "%s %s change %s on %s by %s: %.0f%% failure risk%s%s",
                 chg_band_name(sc->band), *ev->type ? ev->type : "(no type)",
                 ev->number, *ev->ci ? ev->ci : "(no CI)",
                 *ev->group ? ev->group : "(no team)", 100.0 * sc->p,
                 why ? ", top risk factor " : "", why ? why : "");
        vg_avro_set_str(val, "alert_id", id);
        vg_avro_set_str(val, "kind", "RISKY_CHANGE");
        vg_avro_set_enum(val, "severity", sc->band >= 3 ? "CRITICAL" : "HIGH");
        vg_avro_set_str(val, "subject", ev->number);
        vg_avro_set_str(val, "summary", chg_cut(summary));
        snprintf(buf, sizeof(buf), "%.4f", sc->p);
        vg_avro_map_set_str(val, "evidence", "p_failure", buf);
        vg_avro_map_set_str(val, "evidence", "short_description",
                            ev->short_description);
        vg_avro_map_set_str(val, "evidence", "cmdb_ci", ev->ci);
        vg_avro_map_set_str(val, "evidence", "assignment_group", ev->group);
        for (int i = 0; i < sc->nfactors && i < 5; i++) {
                char k[32];
                snprintf(k, sizeof(k), "factor_%d", i + 1);
                snprintf(buf, sizeof(buf), "%+.3f %.40s",
                         sc->factors[i].contrib, sc->factors[i].name);
                vg_avro_map_set_str(val, "evidence", k, chg_cut(buf));
        }
        vg_avro_set_str(val, "source_topic", source_topic);
        vg_avro_set_long(val, "event_time", ev->event_time);
        return vg_avro_set_long(val, "created_at", sc->scored_at);
}
