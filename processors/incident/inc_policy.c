/**
 * @file inc_policy.c
 * @brief vigie-incident's policy (see inc_policy.h).
 */
#include "inc_policy.h"

#include <math.h>
#include <stdio.h>

void inc_policy_init(inc_policy_t *pol, const vg_conf_t *conf)
{
        pol->alpha     = vg_conf_get_double(conf, "incident.recurring.alpha");
        pol->min_rate  = vg_conf_get_double(conf,
                                            "incident.recurring.min.rate");
        pol->min_count = vg_conf_get_int(conf,
                                         "incident.recurring.min.count");
        pol->base_windows =
                (double)vg_conf_get_int(conf,
                                        "incident.recurring.baseline.days") *
                24.0 /
                (double)vg_conf_get_int(conf,
                                        "incident.recurring.window.hours");
        pol->suspect_score =
                vg_conf_get_double(conf, "incident.suspect.alert.score");
        pol->suspect_min = (unsigned long long)vg_conf_get_int(
                conf, "incident.suspect.alert.min.learned");
}

double inc_poisson_sf(long long k, double lambda)
{
        /* 1 - P(X <= k - 1), summed in logs */
        double cdf = 0, term;
        if (k <= 0)
                return 1.0;
        if (lambda <= 0)
                return 0.0;
        term = exp(-lambda);
        for (long long i = 0; i < k; i++) {
                cdf += term;
                term *= lambda / (double)(i + 1);
        }
        if (cdf < 0.999) /* no cancellation */
                return 1.0 - cdf;
        /* upper tail summed directly: P(X >= k) = sum_{i >= k} */
        double tail = 0, lt = -lambda + (double)k * log(lambda) -
                              lgamma((double)k + 1);
        for (long long i = k; i < k + 1000; i++) {
                double t = exp(lt);
                tail += t;
                if (t < tail * 1e-15)
                        break;
                lt += log(lambda) - log((double)(i + 1));
        }
        return tail;
}

int inc_policy_recurring(const inc_policy_t *pol, const inc_counts_t *c,
                         double history, double *pvalue, double *rate)
{
        history = history < 1 ? 1 : history > pol->base_windows
                                             ? pol->base_windows
                                             : history;
        *rate = (double)c->baseline / history;
        if (*rate < pol->min_rate)
                *rate = pol->min_rate;
        *pvalue = inc_poisson_sf(c->in_window, *rate);
        return c->in_window >= pol->min_count && *pvalue < pol->alpha;
}

void inc_policy_reason(const inc_suspect_t *s, char *buf, size_t size)
{
        snprintf(buf, size, "same CI, %s change started %.1f h before, %s, "
                 "risk %.0f%%",
                 *s->w.type ? s->w.type : "a", s->hours_before,
                 s->during ? "during the work" : "after the work",
                 100.0 * s->w.p_failure);
}
