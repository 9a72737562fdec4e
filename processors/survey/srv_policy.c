/**
 * @file srv_policy.c
 * @brief vigie-survey's policy (see srv_policy.h).
 */
#include "srv_policy.h"

#include <math.h>

void srv_policy_init(srv_policy_t *pol, const vg_conf_t *conf)
{
        pol->alpha        = vg_conf_get_double(conf, "survey.alert.alpha");
        pol->min_negative = vg_conf_get_int(conf, "survey.alert.min.negative");
        pol->min_baseline = vg_conf_get_int(conf, "survey.alert.min.baseline");
        pol->min_history_ms =
                vg_conf_get_int(conf, "survey.alert.min.history.days") *
                86400000LL;
}

double srv_binom_sf(long long k, long long n, double p)
{
        if (k <= 0)
                return 1.0;
        if (k > n || p <= 0)
                return 0.0;
        if (p >= 1)
                return 1.0;
        /* sum_{i=k}^{n} C(n,i) p^i (1-p)^(n-i), terms in logs */
        double lp = log(p), lq = log1p(-p), s = 0;
        for (long long i = k; i <= n; i++) {
                double t = lgamma((double)n + 1) - lgamma((double)i + 1) -
                           lgamma((double)(n - i) + 1) + (double)i * lp +
                           (double)(n - i) * lq;
                double e = exp(t);
                s += e;
                if (i > k && e < s * 1e-16)
                        break;
        }
        return s > 1 ? 1 : s;
}

int srv_policy_drop(const srv_policy_t *pol, const srv_counts_t *c,
                    int64_t history_ms, double *pv, double *p0)
{
        *p0 = ((double)c->base_neg + 1.0) / ((double)c->base_all + 2.0);
        *pv = srv_binom_sf(c->win_neg, c->win_all, *p0);
        return c->win_neg >= pol->min_negative &&
               c->base_all >= pol->min_baseline &&
               history_ms >= pol->min_history_ms && *pv < pol->alpha;
}

const char *srv_policy_priority(int negative, const srv_counts_t *t)
{
        double p0 = ((double)t->base_neg + 1.0) / ((double)t->base_all + 2.0);
        if (!negative)
                return "LOW";
        if (t->win_all >= 3 && (double)t->win_neg / (double)t->win_all > p0)
                return "HIGH";
        return "MEDIUM";
}
