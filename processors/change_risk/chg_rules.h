/**
 * @file chg_rules.h
 * @brief Recommendations: a rule table from the configuration
 *        (change.rule.N = CONDITION => SENTENCE), evaluated on the facts
 *        of each scored change.
 */
#ifndef CHG_RULES_H
#define CHG_RULES_H

#include "vg_conf.h"

/** The facts a rule can test or quote. */
typedef struct chg_facts_s {
        const char *type, *category, *band;
        double p_failure, lead_hours, duration_hours;
        double team_failure_rate_90d;
        double night, weekend, backout_plan, test_plan; /**< 0 or 1 */
        double team_changes_90d, ci_failures_90d, ci_incidents_30d;
        double collisions;
} chg_facts_t;

typedef struct chg_rules_s chg_rules_t;

/**
 * @brief Parses the change.rule.* entries of \p conf (or the built-in
 *        table when there are none).
 * @returns the rules, or NULL with e.g. `change.rule.3: unknown field
 *          "nigth"` in \p errstr.
 */
chg_rules_t *chg_rules_new(const vg_conf_t *conf, char *errstr,
                           size_t errstr_size);
void chg_rules_destroy(chg_rules_t *r);

/** @returns the number of rules. */
int chg_rules_count(const chg_rules_t *r);

/**
 * @brief Calls \p emit with the sentence of every rule whose condition
 *        holds for \p f, {field}s filled in. @returns how many.
 */
int chg_rules_apply(const chg_rules_t *r, const chg_facts_t *f,
                    void (*emit)(const char *sentence, void *opaque),
                    void *opaque);

#endif /* CHG_RULES_H */
