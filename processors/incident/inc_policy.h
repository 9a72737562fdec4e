/**
 * @file inc_policy.h
 * @brief vigie-incident's policy: when a subject's incidents recur (a
 *        Poisson test of the window's count against the subject's own
 *        baseline), and how a suspect change is explained.
 */
#ifndef INC_POLICY_H
#define INC_POLICY_H

#include "inc_ctx.h"
#include "inc_rank.h"
#include "vg_conf.h"

#include <stddef.h>

typedef struct inc_policy_s {
        double alpha;        /**< incident.recurring.alpha */
        double min_rate;     /**< incident.recurring.min.rate */
        long long min_count; /**< incident.recurring.min.count */
        double base_windows; /**< baseline days / window */
        double suspect_score;         /**< incident.suspect.alert.score */
        unsigned long long suspect_min; /**< ...alert.min.learned */
} inc_policy_t;

/** @brief Reads the policy's properties. */
void inc_policy_init(inc_policy_t *pol, const vg_conf_t *conf);

/** @returns P(X >= \p k) for X ~ Poisson(\p lambda). */
double inc_poisson_sf(long long k, double lambda);

/**
 * @brief Tests \p c (its window count, the incident included, against its
 *        baseline) for a recurrence. The baseline rate is its count over
 *        the windows of history there are before this one (\p history,
 *        at least 1, at most the baseline's), floored at min_rate.
 * @param pvalue out: P(X >= count | baseline rate).
 * @param rate out: the baseline rate, incidents per window.
 * @returns 1 if recurring.
 */
int inc_policy_recurring(const inc_policy_t *pol, const inc_counts_t *c,
                         double history, double *pvalue, double *rate);

/** @brief "same CI, started 2.0 h before, during the work, risk 41%". */
void inc_policy_reason(const inc_suspect_t *s, char *buf, size_t size);

#endif /* INC_POLICY_H */
