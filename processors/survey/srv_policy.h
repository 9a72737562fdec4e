/**
 * @file srv_policy.h
 * @brief vigie-survey's policy: a satisfaction drop is a subject's (a
 *        topic's or a service's) negative responses in the alert window
 *        far above what its own baseline share of negatives predicts for
 *        that many responses: a one-sided binomial test,
 *        P(X >= negatives | X ~ B(responses, p0)) < alpha, with p0 the
 *        baseline's negative share (Laplace-smoothed), and at least
 *        min_negative negatives. The priority of a response follows.
 */
#ifndef SRV_POLICY_H
#define SRV_POLICY_H

#include "vg_conf.h"

typedef struct srv_policy_s {
        double alpha;
        long long min_negative;
        long long min_baseline;
        int64_t min_history_ms; /**< history before a window is tested */
} srv_policy_t;

/** One subject's counts. */
typedef struct srv_counts_s {
        long long win_all, win_neg;   /**< in the window */
        long long base_all, base_neg; /**< in the baseline before it */
} srv_counts_t;

void srv_policy_init(srv_policy_t *pol, const vg_conf_t *conf);

/** @returns P(X >= k) for X ~ B(n, p). */
double srv_binom_sf(long long k, long long n, double p);

/** @returns 1 if \p c is a drop (with \p history_ms of the stream behind
 *           the window: a young stream's share is noise); \p *pv the
 *           p-value, \p *p0 the baseline share. */
int srv_policy_drop(const srv_policy_t *pol, const srv_counts_t *c,
                    int64_t history_ms, double *pv, double *p0);

/** @returns "HIGH" (negative and its topic's negative share in the window
 *           is above its baseline), "MEDIUM" (negative), "LOW". */
const char *srv_policy_priority(int negative, const srv_counts_t *topic);

#endif /* SRV_POLICY_H */
