/**
 * @file bench.h
 * @brief Sub-commands of vigie-bench. Each one is `int name_main(int argc,
 *        char **argv)` (argv[0] is the sub-command name) and returns an exit
 *        code; add it here and to the table in vigie_bench.c.
 */
#ifndef VG_BENCH_H
#define VG_BENCH_H

#include <stdint.h>
#include <time.h>

/** @brief Online models: FTRL, softmax, k-means, text featurisation. */
int bench_models_main(int argc, char **argv);

/** @brief vigie-change end to end: throughput, ratio to a bare pipe,
 *         latency, RSS, two instances in one group (bench_changes.c). */
int bench_changes_main(int argc, char **argv);

/** @brief Quality of vigie-change's p_failure against the generator's
 *         truth: AUC, calibration, precision/recall (bench_changes.c). */
int bench_quality_main(int argc, char **argv);

/** @brief vigie-incident end to end: quality on the UCI log against the
 *         batch reference, speed, a generated world with vigie-change
 *         (suspect changes, alerts), change risk with incidents
 *         (bench_incidents.c). */
int bench_incidents_main(int argc, char **argv);

/** @brief vigie-survey end to end: satisfaction on French reviews
 *         against the batch reference, the planted dissatisfaction spike
 *         (alerts, topic stability), a privacy scan of every output,
 *         speed (bench_surveys.c). */
int bench_surveys_main(int argc, char **argv);

/** @returns a monotonic time in nanoseconds. */
static inline uint64_t bench_now_ns(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif /* VG_BENCH_H */
