/**
 * @file chg_output.h
 * @brief The records vigie-change writes: ChangeRisk (itsm.changes.scored)
 *        and Alert (itsm.alerts, kind RISKY_CHANGE).
 */
#ifndef CHG_OUTPUT_H
#define CHG_OUTPUT_H

#include "chg_band.h"
#include "chg_ctx.h"
#include "chg_model.h"
#include "chg_rules.h"
#include "vg_avro.h"

/** Everything known about one scored change. */
typedef struct chg_score_s {
        const chg_event_t *ev;
        const chg_ctx_t *ctx;
        double p;
        int band; /**< 0 LOW .. 3 CRITICAL */
        vg_contrib_t factors[8];
        int nfactors;
        chg_similar_t sim;
        const char *model_version;
        int64_t scored_at;
} chg_score_t;

/** @brief Fills \p f from \p sc (for the recommendation rules). */
void chg_score_facts(const chg_score_t *sc, chg_facts_t *f);

/** @brief Fills \p val (a ChangeRisk) from \p sc and \p rules. */
vg_err_t chg_output_risk(avro_value_t *val, const chg_score_t *sc,
                         const chg_rules_t *rules);

/** @brief Fills \p val (an Alert) for a risky change. */
vg_err_t chg_output_alert(avro_value_t *val, const chg_score_t *sc,
                          const char *source_topic);

#endif /* CHG_OUTPUT_H */
