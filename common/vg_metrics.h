/**
 * @file vg_metrics.h
 * @brief Metrics registry: counters, gauges and latency histograms, updated
 *        lock-free (C11 atomics) from any thread, exported in the Prometheus
 *        text exposition format or as a one-line logfmt summary.
 *
 * Metrics are created (or looked up) by full name at start-up, labels baked
 * into the name, and then updated through the returned pointer, with no
 * lookup on the hot path:
 * @code
 *   vg_counter_t *in = vg_metrics_counter(m,
 *           "vigie_records_in_total{topic=\"itsm.changes\"}",
 *           "Records consumed.");
 *   vg_histo_t *lat = vg_metrics_histo(m, "vigie_score_seconds",
 *           "Scoring latency.");
 *   ...
 *   vg_counter_inc(in);
 *   uint64_t t0 = vg_metrics_now_ns();
 *   ...
 *   vg_histo_observe_ns(lat, vg_metrics_now_ns() - t0);
 * @endcode
 *
 * Histograms are log-linear: 8 decades from 1 us to 100 s, each split in 90
 * linear buckets (1.0, 1.1, ... 9.9 x 10^k), so a quantile is within 10% of
 * the true value (1% at the top of a decade), plus one bucket for <= 1 us
 * and one for > 100 s. The exported Prometheus buckets (le = 1, 2.5, 5 x
 * 10^k seconds) are exact sums of these.
 *
 * @locality Updates (vg_counter_*, vg_gauge_*, vg_histo_observe*) from any
 *           thread, lock-free. Registration and export from any thread
 *           (@locks the registry mutex). An export taken during updates is
 *           not an atomic snapshot across metrics or buckets, but each
 *           histogram's _count equals its +Inf bucket.
 */
#ifndef VG_METRICS_H
#define VG_METRICS_H

#include <stddef.h>
#include <stdint.h>

typedef struct vg_metrics_s vg_metrics_t;
typedef struct vg_counter_s vg_counter_t;
typedef struct vg_gauge_s vg_gauge_t;
typedef struct vg_histo_s vg_histo_t;

/** @brief A new, empty registry. Free with vg_metrics_destroy(). */
vg_metrics_t *vg_metrics_new(void);

/**
 * @brief Frees \p m and every metric in it (their pointers become invalid).
 *        NULL is allowed.
 */
void vg_metrics_destroy(vg_metrics_t *m);

/**
 * @brief The counter named \p name, created if needed.
 * @param name  `base` or `base{label="value",...}`; base matches
 *              [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*,
 *              label values are quoted with \\, \" and \\n escaped.
 * @param help  HELP text of the family (the first one registered wins);
 *              may be NULL.
 * @returns the counter (owned by \p m), or NULL (logged) if \p name is
 *          invalid or already registered as another type.
 */
vg_counter_t *vg_metrics_counter(vg_metrics_t *m, const char *name,
                                 const char *help);

/** @brief As vg_metrics_counter(), for a gauge. */
vg_gauge_t *vg_metrics_gauge(vg_metrics_t *m, const char *name,
                             const char *help);

/** @brief As vg_metrics_counter(), for a histogram of durations. */
vg_histo_t *vg_metrics_histo(vg_metrics_t *m, const char *name,
                             const char *help);

/** @brief Adds \p n to \p c. */
void vg_counter_add(vg_counter_t *c, uint64_t n);

/** @brief Adds 1 to \p c. */
void vg_counter_inc(vg_counter_t *c);

/** @returns the value of \p c. */
uint64_t vg_counter_get(const vg_counter_t *c);

/** @brief Sets \p g to \p v. */
void vg_gauge_set(vg_gauge_t *g, double v);

/** @brief Adds \p d (may be negative) to \p g. */
void vg_gauge_add(vg_gauge_t *g, double d);

/** @returns the value of \p g. */
double vg_gauge_get(const vg_gauge_t *g);

/** @returns a monotonic clock in nanoseconds, for latencies. */
uint64_t vg_metrics_now_ns(void);

/** @brief Records a duration of \p ns nanoseconds. */
void vg_histo_observe_ns(vg_histo_t *h, uint64_t ns);

/** @brief Records a duration of \p seconds (negative counts as 0). */
void vg_histo_observe(vg_histo_t *h, double seconds);

/** @returns the number of observations. */
uint64_t vg_histo_count(const vg_histo_t *h);

/** @returns the mean in seconds (exact: from the sum), 0 if empty. */
double vg_histo_mean(const vg_histo_t *h);

/** @returns the largest observation in seconds (exact), 0 if empty. */
double vg_histo_max(const vg_histo_t *h);

/**
 * @returns the \p q quantile (0 <= q <= 1) in seconds, interpolated in its
 *          bucket and clamped to the observed maximum; 0 if empty.
 */
double vg_histo_quantile(const vg_histo_t *h, double q);

/**
 * @brief Writes every metric in the Prometheus text exposition format
 *        (version 0.0.4): per family `# HELP` and `# TYPE`, then the samples;
 *        histograms as `_bucket{le=...}`, `_sum` (seconds) and `_count`.
 * @returns the full length (as snprintf: truncated if >= \p size; \p buf is
 *          NUL-terminated if \p size > 0).
 */
size_t vg_metrics_prometheus(vg_metrics_t *m, char *buf, size_t size);

/**
 * @brief As vg_metrics_prometheus(), into a new string.
 * @returns the string (free with vg_free()); its length in \p *lenp (may be
 *          NULL).
 */
char *vg_metrics_prometheus_str(vg_metrics_t *m, size_t *lenp);

/**
 * @brief A one-line logfmt summary for progress logs, without newline:
 *        `vigie_records_in_total.itsm.changes=12 vigie_lag=3
 *        vigie_score_seconds=n:12,mean:1.20ms,p50:1.10ms,p90:2.00ms,
 *        p99:3.90ms,max:4.00ms` (one line; wrapped here)
 *        (keys are the base name then the label values, joined by '.', with
 *        characters other than [A-Za-z0-9_.:-] replaced by '_').
 * @returns the full length (as snprintf).
 */
size_t vg_metrics_logfmt(vg_metrics_t *m, char *buf, size_t size);

#endif /* VG_METRICS_H */
