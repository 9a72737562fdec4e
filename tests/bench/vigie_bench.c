/**
 * @file vigie_bench.c
 * @brief vigie-bench: benchmark programs with a printed report (never timed
 *        tests). Usage: vigie-bench <sub-command> [args...]
 */
#include <stdio.h>
#include <string.h>

#include "bench.h"

static const struct {
        const char *name;
        int (*main)(int argc, char **argv);
        const char *desc;
} bench_cmds[] = {
        {"models", bench_models_main,
         "online learning core: FTRL, softmax, k-means, text"},
        {"changes", bench_changes_main,
         "vigie-change end to end: throughput, latency, RSS, 2 instances"},
        {"quality", bench_quality_main,
         "vigie-change's p_failure vs the generator's truth: AUC, F1"},
        {"incidents", bench_incidents_main,
         "vigie-incident: UCI log quality vs reference, speed, world"},
        {"surveys", bench_surveys_main,
         "vigie-survey: French reviews vs reference, spike, privacy, speed"},
};

#define BENCH_CMD_CNT (sizeof(bench_cmds) / sizeof(bench_cmds[0]))

static void usage(const char *prog)
{
        fprintf(stderr, "Usage: %s <sub-command> [args...]\n\n", prog);
        for (size_t i = 0; i < BENCH_CMD_CNT; i++)
                fprintf(stderr, "  %-10s %s\n", bench_cmds[i].name,
                        bench_cmds[i].desc);
}

int main(int argc, char **argv)
{
        if (argc < 2) {
                usage(argv[0]);
                return 2;
        }
        for (size_t i = 0; i < BENCH_CMD_CNT; i++)
                if (!strcmp(argv[1], bench_cmds[i].name))
                        return bench_cmds[i].main(argc - 1, argv + 1);
        fprintf(stderr, "%s: unknown sub-command \"%s\"\n", argv[0], argv[1]);
        usage(argv[0]);
        return 2;
}
