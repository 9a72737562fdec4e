/**
 * @file chg_render.c
 * @brief The records of a scored change, rendered for vg_render (see
 *        chg_render.h).
 */
#include "chg_render.h"
#include "vg_mem.h"

struct chg_render_s {
        vg_avro_schema_t *risk_sch, *alert_sch;
        const chg_rules_t *rules;
        const char *source_topic, *risk_topic, *alert_topic;
        avro_value_t risk_val, alert_val; /**< the rendering thread's */
};

chg_render_t *chg_render_new(vg_avro_schema_t *risk_sch,
                             vg_avro_schema_t *alert_sch,
                             const chg_rules_t *rules,
                             const char *source_topic,
                             const char *risk_topic, const char *alert_topic)
{
        chg_render_t *r = vg_calloc(1, sizeof(*r));

        r->risk_sch     = risk_sch;
        r->alert_sch    = alert_sch;
        r->rules        = rules;
        r->source_topic = source_topic;
        r->risk_topic   = risk_topic;
        r->alert_topic  = alert_topic;
        if (vg_avro_schema_value_new(risk_sch, &r->risk_val)) {
                vg_free(r);
                return NULL;
        }
        if (vg_avro_schema_value_new(alert_sch, &r->alert_val)) {
                avro_value_decref(&r->risk_val);
                vg_free(r);
                return NULL;
        }
        return r;
}

void chg_render_destroy(chg_render_t *r)
{
        if (!r)
                return;
        avro_value_decref(&r->risk_val);
        avro_value_decref(&r->alert_val);
        vg_free(r);
}

void chg_job_set(chg_job_t *j, const chg_score_t *sc, int alert)
{
        j->sc = *sc;
        vg_strlcpy(j->version, sc->model_version ? sc->model_version : "",
                   sizeof(j->version));
        j->sc.model_version = j->version;
        j->alert            = alert;
}

void chg_render_one(void *opaque, void *job, vg_render_job_t *rj)
{
        chg_render_t *r    = opaque;
        const chg_job_t *j = job;
        const char *key    = j->sc.ev->number;

        chg_output_risk(&r->risk_val, &j->sc, r->rules);
        if (vg_render_put(rj, r->risk_sch, &r->risk_val, r->risk_topic,
                          key) ||
            !j->alert)
                return;
        chg_output_alert(&r->alert_val, &j->sc, r->source_topic);
        vg_render_put(rj, r->alert_sch, &r->alert_val, r->alert_topic, key);
}
