/**
 * @file chg_render.h
 * @brief vigie-change's render callback for the ordered rendering stage
 *        (vg_render): a scored change's ChangeRisk record, and its Alert.
 */
#ifndef CHG_RENDER_H
#define CHG_RENDER_H

#include "chg_output.h"
#include "vg_render.h"

/** One scored change to render (a vg_render job). */
typedef struct chg_job_s {
        chg_score_t sc;   /**< sc.ev and sc.ctx valid until emitted */
        char version[64]; /**< sc.model_version points here */
        int alert;        /**< also an Alert */
} chg_job_t;

/** What the callback renders with (used on the rendering thread only). */
typedef struct chg_render_s chg_render_t;

/** @returns a renderer, or NULL if a value of the schemas cannot be
 *           made. \p rules and the topics are borrowed. */
chg_render_t *chg_render_new(vg_avro_schema_t *risk_sch,
                             vg_avro_schema_t *alert_sch,
                             const chg_rules_t *rules,
                             const char *source_topic,
                             const char *risk_topic, const char *alert_topic);
void chg_render_destroy(chg_render_t *r);

/** @brief Fills \p j from \p sc (copied, with its model version). */
void chg_job_set(chg_job_t *j, const chg_score_t *sc, int alert);

/** The vg_render callback: opaque is a chg_render_t, job a chg_job_t;
 *  renders the ChangeRisk (output 0), then the Alert (output 1). */
vg_render_cb_t chg_render_one;

#endif /* CHG_RENDER_H */
