/**
 * @file bench_changes.c
 * @brief vigie-bench changes and vigie-bench quality: the change-risk
 *        processor (vigie-change) end to end, against a vigie-broker and
 *        a redis-server on loopback.
 *
 *   vigie-bench changes [options]   throughput, ratio to a bare pipe,
 *                                   latency, RSS, two instances in a group
 *   vigie-bench quality [options]   ROC AUC, calibration, precision/recall
 *                                   of the published p_failure
 *
 * Both start a private vigie-broker (32 partitions) and redis-server on free
 * loopback ports in a temporary directory, unless given --bootstrap and
 * --redis-port, and stop them at the end, also on failure (and through
 * PR_SET_PDEATHSIG if the bench itself dies). vigie-change runs as a
 * separate process (build directory's bin/vigie-change); each run uses its
 * own consumer group and Redis key prefix.
 *
 * They print a report with MET / NOT MET per target and exit 0, or 1 when
 * a measurement itself failed (a process died, no output, ...), 2 on usage.
 * The services and measurements are bench_svc's, shared with vigie-bench
 * incidents.
 */
#include <dirent.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_svc.h"
#include "vg_avro.h"
#include "vg_conf.h"
#include "vg_kafka.h"
#include "vg_log.h"
#include "vg_mem.h"
#include "vigie_conf_groups.h"

/* ---------------------------------------------------------------------- */
/* Generated events                                                       */

/**
 * @brief Reads and encodes the next change of \p src.
 * @returns 1 with \p ev filled (free ev->buf), 0 at the end, -1 on error.
 */
static int bench_src_next(bench_svc_t *svc, bench_src_t *src, bench_ev_t *ev)
{
        int r = bench_src_read(src, svc->chg_sch, &svc->chg_val);
        if (r <= 0)
                return r;
        if (bench_ev_encode(svc->chg_sch, &svc->chg_val, ev))
                return -1;
        ev->scored = bench_change_scored(&svc->chg_val);
        return 1;
}

/** One ChangeRisk record. */
typedef struct bench_risk_s {
        const char *number;
        int64_t event_time, scored_at;
        double p;
} bench_risk_t;

static void bench_risk_get(const avro_value_t *val, bench_risk_t *r)
{
        r->number = "";
        vg_avro_get_str(val, "number", &r->number, NULL);
        r->event_time = r->scored_at = -1;
        r->p                         = -1;
        vg_avro_get_long(val, "event_time", &r->event_time);
        vg_avro_get_long(val, "scored_at", &r->scored_at);
        vg_avro_get_double(val, "p_failure", &r->p);
}

/* ---------------------------------------------------------------------- */
/* vigie-bench changes                                                    */

/* The latency runs: the next generated change, and the key of a score. */
static int bench_lat_next(void *opaque, bench_ev_t *ev)
{
        void **a = opaque;
        return bench_src_next(a[0], a[1], ev);
}

static int bench_lat_key(void *opaque, const void *buf, size_t len,
                         const char **number, int64_t *event_time,
                         int64_t *scored_at)
{
        void **a         = opaque;
        bench_svc_t *svc = a[0];
        char errstr[256];
        avro_value_t *val;
        bench_risk_t r;
        if (vg_avro_decode(svc->reg, buf, len, NULL, &val, errstr,
                           sizeof(errstr)))
                return -1;
        bench_risk_get(val, &r);
        *number     = r.number;
        *event_time = r.event_time;
        *scored_at  = r.scored_at;
        return 0;
}

/**
 * @brief Produces the next \p rate * \p secs records of \p src to
 *        itsm.changes at a steady \p rate, with timestamp = now, while a
 *        consumer reads itsm.changes.scored; matches outputs to inputs by
 *        (number, event_time).
 */
static int bench_changes_latency(bench_svc_t *svc, bench_src_t *src,
                                 double rate, double secs,
                                 const char *const *prod_kv, pid_t pid,
                                 bench_lat_t *lat)
{
        void *a[2]           = {svc, src};
        bench_lat_io_t io    = {
                .in_topic  = "itsm.changes",
                .out_topic = "itsm.changes.scored",
                .next      = bench_lat_next,
                .out_key   = bench_lat_key,
                .opaque    = a,
                .proc_name = "vigie-change",
        };
        return bench_latency(svc, &io, rate, secs, prod_kv, pid, lat);
}

/** Two-instance run: the expected keys, and the outputs read back. */
static void bench_pair_cb(const avro_value_t *val, void *opaque)
{
        bench_map_t *m = opaque;
        bench_risk_t r;
        bench_risk_get(val, &r);
        bench_slot_t *s = bench_map_get(m, r.number, r.event_time, 1);
        if (s)
                s->seen++;
}

/* Where the machine's CPU went over the output window: the budget that
 * bounds the throughput of one instance on this machine. */
/* Results of vigie-bench changes, printed at the end. */
typedef struct bench_changes_res_s {
        int64_t events, changes, to_score, bytes;
        double produce_s;
        bench_wait_t w;
        int64_t alerts;
        double rate, pipe_rate;
        bench_cpu_t pipe_cpu[2]; /**< at the pipe's first and last batch */
        long rss_after_tp, rss_after_lat, hwm;
        double cpu_tp; /**< vigie-change CPU seconds at the end of phase 1 */
        bench_lat_t lat[3];
        int lat_ok[3];
        /* two instances */
        int pair_ok;
        int64_t pair_events, pair_expected, pair_out, pair_dup, pair_miss,
                pair_unexp;
        int pair_assigned[2], pair_exit[2], pair_rebal[2];
        char pair_stats[2][512];
        char change_log[3][PATH_MAX];
} bench_changes_res_t;

/* The 50,000/s target as a CPU budget: what the bare pipe (Kafka client
 * and broker) and Redis cost per event leaves for vigie-change's own work
 * on this machine's cores. */
static void bench_print_budget(const bench_changes_res_t *r)
{
        const bench_cpu_t *a = &r->pipe_cpu[0], *b = &r->pipe_cpu[1];
        const bench_cpu_t *c = &r->w.c_first, *d = &r->w.c_last;
        double ev = (double)r->events, ncpu = (double)sysconf(
                                                      _SC_NPROCESSORS_ONLN);
        if (r->pipe_rate <= 0 || b->all <= a->all || !r->w.reached)
                return;
        double pipe  = 1e6 * (b->busy - a->busy) / ev;
        double redis = 1e6 * (d->redis - c->redis) / ev;
        double own   = 1e6 * (d->main_user - c->main_user) / ev;
        double budget = 1e6 * ncpu / 50000;
        printf("   CPU per event of the bare pipe     %.1f us (whole "
               "machine: broker %.1f, client %.1f)\n", pipe,
               1e6 * (b->broker - a->broker) / ev,
               1e6 * (b->self - a->self) / ev);
        printf("   budget at 50,000 events/s on %.0f cores: %.1f us/event; "
               "bare pipe %.1f + redis-server %.1f\n"
               "   leave %.1f us for vigie-change's own work, whose main "
               "thread alone uses %.1f us (user)\n",
               ncpu, budget, pipe, redis, budget - pipe - redis, own);
}

static void bench_changes_usage(FILE *fp)
{
        fprintf(fp,
                "Usage: vigie-bench changes [options]\n\n"
                "vigie-change end to end: throughput over a pre-produced "
                "backlog, ratio to a bare\nconsume->produce pipe, latency "
                "at a steady rate (linger 5 ms, then 0), RSS, and\ntwo "
                "instances in one consumer group (exactly-once check).\n\n"
                "Options:\n"
                "  --bootstrap HOST:PORT  use this vigie-broker (fresh, with "
                "-p 32 and the topics\n"
                "                         itsm.* and bench.pipe, "
                "bench.pair.*) instead of starting one\n"
                "  --redis-port N         use the Redis on 127.0.0.1:N "
                "instead of starting one\n"
                "  --events N             backlog records (default "
                "200000)\n"
                "  --rate R               latency run input rate, events/s "
                "(default 2000)\n"
                "  --duration S           seconds per latency run (default "
                "20)\n"
                "  --pair-changes N       changes for the two-instance run "
                "(default 20000)\n"
                "  --seed S               generator seed (default 1)\n"
                "  --slim-updates         update/close records without the "
                "long texts (the\n"
                "                         generator library's default; "
                "default here: full records,\n"
                "                         the ServiceNow export shape of "
                "vigie-ctl gen)\n"
                "  -X key=value           extra vigie-change property "
                "(repeatable)\n"
                "  --keep                 keep the temporary directory "
                "(logs)\n");
}

/* The backlog is written as a bulk load is: large producer batches.
 * The embedded broker answers a fetch with one producer batch per
 * partition (librdkafka's mock: "FIXME: Multiple messageSets"), where a
 * real broker returns up to max.partition.fetch.bytes whatever the
 * batching; with small batches the read side of the mock, not the
 * processor, would be measured. */
static const char *const bench_backlog_kv[] = {
        "kafka.linger.ms=100", "kafka.batch.num.messages=10000", NULL};

/* Phase 1 + 2 + 4 (first reading): backlog, pipe, one instance. */
static int bench_changes_tp(bench_svc_t *svc, const bench_opts_t *o,
                            bench_src_t *src, bench_changes_res_t *res,
                            pid_t *pidp)
{
        char gid[96];
        vg_kafka_t *k = bench_producer(svc, bench_backlog_kv);
        if (!k)
                return -1;
        bench_note("pre-producing %s records to itsm.changes",
                   BENCH_INT(res->events));
        uint64_t t0 = bench_now_ns();
        int64_t n   = 0;
        while (n < res->events) {
                bench_ev_t ev;
                int r = bench_src_next(svc, src, &ev);
                if (r <= 0) {
                        if (r == 0)
                                fprintf(stderr, "vigie-bench: only %" PRId64
                                        " generated records\n", n);
                        vg_kafka_close(k, 1000);
                        return -1;
                }
                res->to_score += ev.scored;
                res->bytes += (int64_t)ev.len;
                if (bench_produce_ev(k, "itsm.changes", &ev, 0)) {
                        vg_kafka_close(k, 1000);
                        return -1;
                }
                if ((++n & 1023) == 0)
                        vg_kafka_poll(k, 0);
        }
        if (bench_flush_close(k))
                return -1;
        res->produce_s = bench_secs(t0, bench_now_ns());

        bench_note("bare pipe: consume itsm.changes -> produce %s",
                   BENCH_T_PIPE);
        res->pipe_rate = bench_pipe(svc, "itsm.changes", res->events,
                                    res->pipe_cpu);

        snprintf(gid, sizeof(gid), "group.id=vigie-bench-%s", svc->run_id);
        const char *xs[] = {gid, NULL};
        snprintf(res->change_log[0], PATH_MAX, "%s", bench_tmp("change.log"));
        bench_note("vigie-change on the backlog (expecting %s scored "
                   "records)", BENCH_INT(res->to_score));
        *pidp = bench_proc_spawn(svc, o, "vigie-change", res->change_log[0],
                                 xs);
        bench_wait_outputs(svc, "itsm.changes.scored", 0, res->to_score,
                           pidp, 1, 120, 10, 10, &res->w);
        if (res->w.died || !res->w.t_first) {
                fprintf(stderr, "vigie-bench: vigie-change %s\n",
                        res->w.died ? "exited" : "produced nothing in 120 s");
                bench_log_tail(res->change_log[0], 30);
                return -1;
        }
        res->cpu_tp = bench_proc_cpu(*pidp);
        double secs = bench_secs(res->w.t_first, res->w.t_last);
        res->rate   = secs > 0 ? (double)res->events * (double)res->w.reached /
                                       (double)res->to_score / secs
                               : 0;
        res->alerts = bench_end_offsets(svc->rk, "itsm.alerts",
                                        bench_parts(svc->rk, "itsm.alerts"));
        bench_sleep_ms(1500); /* the closes after the last score */
        res->rss_after_tp = bench_proc_kb(*pidp, "VmRSS");
        return 0;
}

/* Phase 3 (+ 4): latency with defaults, then with linger.ms = 0. */
static int bench_changes_lat(bench_svc_t *svc, const bench_opts_t *o,
                             bench_src_t *src, double rate, double secs,
                             bench_changes_res_t *res, pid_t *pidp)
{
        char gid[96];
        snprintf(gid, sizeof(gid), "group.id=vigie-bench-%s", svc->run_id);

        bench_note("latency run 1: %.0f events/s for %.0f s, vigie "
                   "defaults", rate, secs);
        res->lat_ok[0] = bench_changes_latency(svc, src, rate, secs, NULL,
                                               *pidp, &res->lat[0]) == 0;
        res->rss_after_lat = bench_proc_kb(*pidp, "VmRSS");
        res->hwm           = bench_proc_kb(*pidp, "VmHWM");
        int st = bench_stop(*pidp, SIGTERM, 60);
        *pidp  = 0;
        if (st != 0)
                bench_note("vigie-change exited with status %d", st);

        static const char *const runs[2][3] = {
                {"kafka.linger.ms=0", NULL, NULL},
                {"kafka.linger.ms=0", "kafka.fetch.wait.max.ms=10", NULL},
        };
        const char *prod_kv[] = {"kafka.linger.ms=0", NULL};
        for (int r = 0; r < 2; r++) {
                const char *xs[] = {gid, runs[r][0], runs[r][1], NULL};
                bench_note("latency run %d: vigie-change with %s%s%s, "
                           "producer with kafka.linger.ms=0", r + 2,
                           runs[r][0], runs[r][1] ? " " : "",
                           runs[r][1] ? runs[r][1] : "");
                snprintf(res->change_log[r + 1], PATH_MAX, "%s",
                         bench_tmp(r ? "change-fetch10.log"
                                     : "change-linger0.log"));
                *pidp = bench_proc_spawn(svc, o, "vigie-change",
                                         res->change_log[r + 1], xs);
                if (bench_wait_assigned(*pidp, res->change_log[r + 1], 60)) {
                        fprintf(stderr, "vigie-bench: restarted vigie-change "
                                "did not join its group\n");
                        bench_log_tail(res->change_log[r + 1], 30);
                        return -1;
                }
                bench_sleep_ms(1000); /* first fetches */
                res->lat_ok[r + 1] =
                        bench_changes_latency(svc, src, rate, secs, prod_kv,
                                              *pidp, &res->lat[r + 1]) == 0;
                st    = bench_stop(*pidp, SIGTERM, 60);
                *pidp = 0;
                if (st != 0)
                        bench_note("vigie-change exited with status %d", st);
        }
        return 0;
}

/**
 * @brief vigie-change wants a registry subject for its input topic: a
 *        schema dir in the temporary directory with the .avsc files
 *        (symbolic links) and registry.json plus the bench.pair.* topics.
 * @returns its path, or NULL.
 */
static const char *bench_pair_schemas(void)
{
        static char dir[PATH_MAX];
        char src[PATH_MAX + 320], dst[PATH_MAX + 320], *text;
        struct dirent *de;
        DIR *d;
        snprintf(dir, sizeof(dir), "%s", bench_tmp("schemas"));
        if (mkdir(dir, 0700) || !(d = opendir(VG_SCHEMA_DIR)))
                return NULL;
        /* every schema of registry.json: the list grows (Feedback...) */
        while ((de = readdir(d))) {
                size_t len = strlen(de->d_name);
                if (len < 6 || strcmp(de->d_name + len - 5, ".avsc"))
                        continue;
                snprintf(src, sizeof(src), "%s/%s", VG_SCHEMA_DIR,
                         de->d_name);
                snprintf(dst, sizeof(dst), "%s/%s", dir, de->d_name);
                if (symlink(src, dst)) {
                        closedir(d);
                        return NULL;
                }
        }
        closedir(d);
        snprintf(src, sizeof(src), "%s/registry.json", VG_SCHEMA_DIR);
        FILE *fp = fopen(src, "r");
        if (!fp)
                return NULL;
        text     = vg_calloc(1, 1 << 16);
        size_t n = fread(text, 1, (1 << 16) - 1, fp);
        fclose(fp);
        char *end = strrchr(text, '}');
        snprintf(dst, sizeof(dst), "%s/registry.json", dir);
        fp = end ? fopen(dst, "w") : NULL;
        if (fp) {
                *end = '\0';
                while (end > text && (end[-1] == '\n' || end[-1] == ' '))
                        *--end = '\0';
                fprintf(fp, "%s,\n"
                        "  \"" BENCH_T_PAIR_IN "-value\": "
                        "{\"id\": 101, \"file\": \"ChangeRequest.avsc\"},\n"
                        "  \"" BENCH_T_PAIR_OUT "-value\": "
                        "{\"id\": 104, \"file\": \"ChangeRisk.avsc\"},\n"
                        "  \"" BENCH_T_PAIR_ALERTS "-value\": "
                        "{\"id\": 107, \"file\": \"Alert.avsc\"}\n}\n",
                        text);
                if (fclose(fp))
                        end = NULL;
        }
        vg_free(text);
        (void)n;
        return end ? dir : NULL;
}

/* Phase 5: two instances in one group. */
static int bench_changes_pair(bench_svc_t *svc, const bench_opts_t *o,
                              int64_t nchanges, bench_changes_res_t *res)
{
        char gid[96], prefix[160];
        const char *events = bench_tmp("pair.jsonl");
        pid_t pids[2]      = {0, 0};
        const char *logs[2];
        bench_src_t src;
        bench_map_t m;
        bench_wait_t w;
        int rc = -1;

        bench_note("two instances: generating %s changes",
                   BENCH_INT(nchanges));
        if (bench_gen("changes", events, NULL, o->seed + 1000, nchanges,
                      o->full_updates) ||
            bench_src_open(&src, events))
                return -1;
        snprintf(gid, sizeof(gid), "group.id=vigie-bench-pair-%s",
                 svc->run_id);
        snprintf(prefix, sizeof(prefix), "redis.prefix=%spair:", svc->prefix);
        const char *sdir = bench_pair_schemas();
        char sdir_kv[PATH_MAX + 16];
        if (!sdir) {
                fprintf(stderr, "vigie-bench: cannot write a schema dir in "
                        "%s\n", bench_tmpdir);
                bench_src_close(&src);
                return -1;
        }
        snprintf(sdir_kv, sizeof(sdir_kv), "schema.dir=%s", sdir);
        const char *xs[] = {gid,
                            prefix,
                            sdir_kv,
                            "input.topic=" BENCH_T_PAIR_IN,
                            "output.topic=" BENCH_T_PAIR_OUT,
                            "alert.topic=" BENCH_T_PAIR_ALERTS,
                            NULL};
        for (int i = 0; i < 2; i++) {
                logs[i] = bench_tmp(i ? "pair-b.log" : "pair-a.log");
                pids[i] = bench_proc_spawn(svc, o, "vigie-change", logs[i], xs);
        }
        bench_note("two instances: waiting for 16 + 16 partitions");
        uint64_t t0 = bench_now_ns();
        while (bench_log_assigned(logs[0]) != BENCH_PARTITIONS / 2 ||
               bench_log_assigned(logs[1]) != BENCH_PARTITIONS / 2) {
                if (!bench_alive(pids[0], NULL) || !bench_alive(pids[1], NULL) ||
                    bench_secs(t0, bench_now_ns()) > 90) {
                        fprintf(stderr, "vigie-bench: the two instances did "
                                "not split the partitions (last assignments "
                                "%d and %d)\n", bench_log_assigned(logs[0]),
                                bench_log_assigned(logs[1]));
                        bench_log_tail(logs[0], 15);
                        bench_log_tail(logs[1], 15);
                        goto done;
                }
                bench_sleep_ms(100);
        }
        bench_sleep_ms(500);

        vg_kafka_t *k = bench_producer(svc, NULL);
        if (!k)
                goto done;
        bench_map_init(&m, (size_t)nchanges * 4);
        for (;;) {
                bench_ev_t ev;
                int r = bench_src_next(svc, &src, &ev);
                if (r <= 0)
                        break;
                if (ev.scored) {
                        bench_map_get(&m, ev.number, ev.event_time, 1)
                                ->expected++;
                        res->pair_expected++;
                }
                if (bench_produce_ev(k, BENCH_T_PAIR_IN, &ev, 0))
                        break;
                if ((++res->pair_events & 1023) == 0)
                        vg_kafka_poll(k, 0);
        }
        if (bench_flush_close(k))
                goto done_map;
        bench_note("two instances: %s records produced, waiting for %s "
                   "scores", BENCH_INT(res->pair_events),
                   BENCH_INT(res->pair_expected));
        bench_wait_outputs(svc, BENCH_T_PAIR_OUT, 0, res->pair_expected, pids,
                           2, 120, 10, 50, &w);
        bench_sleep_ms(3000); /* idle: late duplicates would show up */
        for (int i = 0; i < 2; i++) {
                res->pair_assigned[i] = bench_log_assigned(logs[i]);
                res->pair_rebal[i]    = bench_log_count(logs[i], "assigned ");
                kill(pids[i], SIGTERM); /* both at once */
        }
        for (int i = 0; i < 2; i++) {
                res->pair_exit[i] = bench_stop(pids[i], SIGTERM, 60);
                pids[i]           = 0;
                bench_log_last(logs[i], "in=", res->pair_stats[i],
                               sizeof(res->pair_stats[i]));
                res->pair_stats[i][strcspn(res->pair_stats[i], "\"")] = 0;
        }
        res->pair_out = bench_read_all(svc, BENCH_T_PAIR_OUT, bench_pair_cb,
                                       &m);
        for (size_t i = 0; i < m.cap; i++) {
                bench_slot_t *s = &m.s[i];
                if (!s->used)
                        continue;
                if (!s->expected)
                        res->pair_unexp += s->seen;
                else if (s->seen > s->expected)
                        res->pair_dup += s->seen - s->expected;
                else
                        res->pair_miss += s->expected - s->seen;
        }
        rc = res->pair_out < 0 ? -1 : 0;
done_map:
        bench_map_free(&m);
done:
        for (int i = 0; i < 2; i++)
                if (pids[i])
                        bench_stop(pids[i], SIGTERM, 30);
        bench_src_close(&src);
        return rc;
}

static void bench_changes_report(const bench_opts_t *o, int64_t pair_changes,
                                 const bench_changes_res_t *r, int tp_ok,
                                 int pair_ok)
{
        printf("\nvigie-bench changes: change-risk processor, end to end\n"
               "=======================================================\n");
        printf("setup: %ld CPU(s) online, librdkafka %s, %s, vigie-broker "
               "%s (%d partitions), redis-server %s\n",
               sysconf(_SC_NPROCESSORS_ONLN), rd_kafka_version_str(),
               "vigie-change as a separate process",
               o->bootstrap ? "given" : "private", BENCH_PARTITIONS,
               o->redis_port ? "given" : "private");
        printf("input: generated changes (vg_gen_changes, seed %" PRIu64
               ", %s update records)\n",
               o->seed, o->full_updates ? "full" : "slim");
        if (!tp_ok) {
                printf("\n1-4. throughput/latency: measurement FAILED (see "
                       "messages above)\n");
        } else {
                double secs = bench_secs(r->w.t_first, r->w.t_last);
                printf("\n1. Throughput, one vigie-change instance, "
                       "pre-produced backlog\n");
                printf("   backlog                            %s records "
                       "(%.0f B/record Avro), %s to score;\n"
                       "                                      produced in "
                       "%.1f s (%.0f records/s, JSON -> Avro)\n",
                       BENCH_INT(r->events),
                       (double)r->bytes / (double)r->events,
                       BENCH_INT(r->to_score), r->produce_s,
                       (double)r->events / r->produce_s);
                printf("   outputs on itsm.changes.scored     %s of %s "
                       "expected%s; %s alerts on itsm.alerts\n",
                       BENCH_INT(r->w.reached), BENCH_INT(r->to_score),
                       r->w.reached < r->to_score ? " (STOPPED GROWING)" : "",
                       BENCH_INT(r->alerts));
                printf("   first -> last output               %.2f s (end "
                       "offsets polled every 10 ms)\n", secs);
                printf("   sustained throughput               %s events/s"
                       "          target >= 50,000/s   %s\n",
                       BENCH_INT((int64_t)r->rate), bench_met(r->rate >= 50000));
                printf("   vigie-change CPU time              %.2f s since "
                       "start\n", r->cpu_tp);
                bench_print_cpu(&r->w, secs, r->events, "vigie-change",
                                50000);
                bench_print_stats_line("vigie-change's own last stats line:",
                                       r->change_log[0]);

                printf("\n2. Ratio to a bare pipe (in-process vg_kafka: "
                       "consume itsm.changes in a group,\n   produce the "
                       "same bytes to %s, store offsets on "
                       "acknowledgement)\n", BENCH_T_PIPE);
                if (r->pipe_rate > 0)
                        printf("   bare pipe                          %s "
                               "events/s\n   vigie-change = %.2f x bare pipe "
                               "(%s/s)\n",
                               BENCH_INT((int64_t)r->pipe_rate),
                               r->rate / r->pipe_rate,
                               BENCH_INT((int64_t)r->pipe_rate));
                else
                        printf("   bare pipe: measurement FAILED\n");
                bench_print_budget(r);

                printf("\n3. End-to-end latency, vigie-change running, "
                       "paced producer (CreateTime = now)\n");
                bench_print_lat("a) vigie defaults (vigie-change: linger.ms "
                                "2, fetch.wait.max.ms 5; producer: linger.ms 2)",
                                "to score", "scored",
                                &r->lat[0], r->lat_ok[0], 25);
                bench_print_lat("b) kafka.linger.ms = 0 in vigie-change "
                                "(restarted) and in the producer",
                                "to score", "scored",
                                &r->lat[1], r->lat_ok[1], 25);
                bench_print_lat("c) as b) plus kafka.fetch.wait.max.ms = 10 "
                                "in vigie-change (vigie's default: 5)",
                                "to score", "scored",
                                &r->lat[2], r->lat_ok[2], 25);

                printf("\n4. Memory of vigie-change (/proc/PID/status)\n");
                printf("   VmRSS after the throughput run     %.1f MiB\n",
                       r->rss_after_tp / 1024.0);
                printf("   VmRSS after latency run a)         %.1f MiB "
                       "(peak VmHWM %.1f MiB), read before SIGTERM\n",
                       r->rss_after_lat / 1024.0, r->hwm / 1024.0);
        }

        printf("\n5. Two instances in one consumer group (topics %s -> %s)\n",
               BENCH_T_PAIR_IN, BENCH_T_PAIR_OUT);
        if (bench_failed(pair_ok))
                return;
        int split = r->pair_assigned[0] == BENCH_PARTITIONS / 2 &&
                    r->pair_assigned[1] == BENCH_PARTITIONS / 2;
        int exact = r->pair_dup == 0 && r->pair_miss == 0 &&
                    r->pair_unexp == 0;
        printf("   input                              %s changes, %s records,"
               " %s to score\n",
               BENCH_INT(pair_changes), BENCH_INT(r->pair_events),
               BENCH_INT(r->pair_expected));
        printf("   partitions held while processing   A: %d  B: %d   "
               "(last \"assigned N partition(s)\" before SIGTERM; "
               "%d and %d assignment(s) logged)  %s\n",
               r->pair_assigned[0], r->pair_assigned[1], r->pair_rebal[0],
               r->pair_rebal[1], split ? "split 16 / 16" : "NOT SPLIT");
        printf("   instance A: %s\n   instance B: %s\n", r->pair_stats[0],
               r->pair_stats[1]);
        printf("   exit status after SIGTERM          A: %d  B: %d\n",
               r->pair_exit[0], r->pair_exit[1]);
        printf("   scored records read back           %s; by (number, "
               "event_time): duplicates %s, missing %s, unexpected %s\n",
               BENCH_INT(r->pair_out), BENCH_INT(r->pair_dup),
               BENCH_INT(r->pair_miss), BENCH_INT(r->pair_unexp));
        printf("   every open/update record scored exactly once       %s\n",
               bench_met(split && exact));
}

int bench_changes_main(int argc, char **argv)
{
        static const struct option lopts[] = {
                {"bootstrap", required_argument, 0, 'b'},
                {"redis-port", required_argument, 0, 'r'},
                {"events", required_argument, 0, 'n'},
                {"rate", required_argument, 0, 'R'},
                {"duration", required_argument, 0, 'd'},
                {"pair-changes", required_argument, 0, 'p'},
                BENCH_LOPTS_TAIL,
        };
        bench_opts_t o      = {.seed = 1, .full_updates = 1};
        int64_t events      = 200000, pair_changes = 20000;
        double rate         = 2000, secs = 20;
        bench_changes_res_t *res = vg_calloc(1, sizeof(*res));
        bench_svc_t svc;
        bench_src_t src = {0};
        pid_t pid       = 0;
        int c, tp_ok = 0, pair_ok = 0;

        while ((c = getopt_long(argc, argv, "X:h", lopts, NULL)) != -1) {
                switch (c) {
                case 'n': events = atoll(optarg); break;
                case 'R': rate = atof(optarg); break;
                case 'd': secs = atof(optarg); break;
                case 'p': pair_changes = atoll(optarg); break;
                case 'h': bench_changes_usage(stdout); return 0;
                default:
                        if (bench_opts_common(&o, c, optarg)) {
                                bench_changes_usage(stderr);
                                return 2;
                        }
                }
        }
        if (events < 1000 || rate <= 0 || secs <= 0 || pair_changes < 100) {
                bench_changes_usage(stderr);
                return 2;
        }
        vg_log_set_level_name("warn");

        const char *need[]  = {"itsm.changes", "itsm.changes.scored",
                               "itsm.alerts", BENCH_T_PIPE, BENCH_T_PAIR_IN,
                               BENCH_T_PAIR_OUT, BENCH_T_PAIR_ALERTS};
        const char *empty[] = {"itsm.changes", "itsm.changes.scored",
                               BENCH_T_PAIR_IN, BENCH_T_PAIR_OUT};
        if (bench_svc_start(&svc, &o, need, 7, empty, 4)) {
                bench_svc_stop(&svc);
                return 1;
        }
        bench_note("broker %s, redis 127.0.0.1:%d, logs in %s",
                   svc.bootstrap, svc.redis_port, bench_tmpdir);

        /* One stream: the backlog, then three latency runs (~2.29 records
         * per change, with margin). */
        int64_t records = events + 3 * (int64_t)(rate * secs);
        res->changes    = records * 100 / 220 + 1000;
        res->events     = events;
        const char *gen = bench_tmp("changes.jsonl");
        bench_note("generating %s changes (seed %" PRIu64 ")",
                   BENCH_INT(res->changes), o.seed);
        if (bench_gen("changes", gen, NULL, o.seed, res->changes,
                      o.full_updates) == 0 &&
            bench_src_open(&src, gen) == 0 &&
            bench_changes_tp(&svc, &o, &src, res, &pid) == 0 &&
            bench_changes_lat(&svc, &o, &src, rate, secs, res, &pid) == 0)
                tp_ok = 1;
        if (pid)
                bench_stop(pid, SIGTERM, 60);
        bench_src_close(&src);
        unlink(gen);

        pair_ok = bench_changes_pair(&svc, &o, pair_changes, res) == 0;

        bench_changes_report(&o, pair_changes, res, tp_ok, pair_ok);
        if (bench_keep_tmp)
                printf("\nlogs kept in %s\n", bench_tmpdir);
        fflush(stdout);
        bench_lat_free(&res->lat[0]);
        bench_lat_free(&res->lat[1]);
        bench_lat_free(&res->lat[2]);
        vg_free(res);
        bench_svc_stop(&svc);
        return tp_ok && pair_ok ? 0 : 1;
}

/* ---------------------------------------------------------------------- */
/* vigie-bench quality                                                    */

/** Keeps, per change, the p_failure of its latest scored record. */
static void bench_quality_cb(const avro_value_t *val, void *opaque)
{
        bench_map_t *m = opaque;
        bench_risk_t r;
        bench_risk_get(val, &r);
        bench_slot_t *s = bench_map_get(m, r.number, 0, 1);
        if (!s)
                return;
        if (!s->seen || r.event_time >= s->p_et) {
                s->p_et = r.event_time;
                s->p    = r.p;
        }
        s->seen++;
}

static void bench_quality_usage(FILE *fp)
{
        fprintf(fp,
                "Usage: vigie-bench quality [options]\n\n"
                "Runs generated changes (with their hidden truth) through "
                "vigie-broker, Redis and\nvigie-change, and scores the "
                "published p_failure on the second half of the\nchanges "
                "(by number, i.e. opening order): ROC AUC vs the true "
                "probabilities'\nAUC, calibration, precision/recall/F1 at "
                "the HIGH band.\n\n"
                "Options:\n"
                "  --bootstrap HOST:PORT  use this (fresh) vigie-broker\n"
                "  --redis-port N         use the Redis on 127.0.0.1:N\n"
                "  --count N              changes (default 20000)\n"
                "  --seed S               generator seed (default 7)\n"
                "  --slim-updates         update/close records without the "
                "long texts (default:\n"
                "                         full records, as vigie-ctl gen "
                "writes them)\n"
                "  -X key=value           extra vigie-change property "
                "(repeatable)\n"
                "  --keep                 keep the temporary directory "
                "(logs, events, truth)\n");
}

int bench_quality_main(int argc, char **argv)
{
        static const struct option lopts[] = {
                {"bootstrap", required_argument, 0, 'b'},
                {"redis-port", required_argument, 0, 'r'},
                {"count", required_argument, 0, 'n'},
                BENCH_LOPTS_TAIL,
        };
        bench_opts_t o = {.seed = 7, .full_updates = 1};
        int64_t count  = 20000, events = 0, to_score = 0;
        char gid[96], summary[8][512];
        bench_svc_t svc;
        bench_src_t src = {0};
        bench_map_t m   = {0};
        bench_wait_t w;
        bench_truth_t *truth = NULL;
        size_t ntruth        = 0;
        pid_t pid            = 0;
        int c, rc = 1, nsum = 0;

        while ((c = getopt_long(argc, argv, "X:h", lopts, NULL)) != -1) {
                switch (c) {
                case 'n': count = atoll(optarg); break;
                case 'h': bench_quality_usage(stdout); return 0;
                default:
                        if (bench_opts_common(&o, c, optarg)) {
                                bench_quality_usage(stderr);
                                return 2;
                        }
                }
        }
        if (count < 100) {
                bench_quality_usage(stderr);
                return 2;
        }
        vg_log_set_level_name("warn");
        const char *need[] = {"itsm.changes", "itsm.changes.scored",
                              "itsm.alerts"};
        if (bench_svc_start(&svc, &o, need, 3, need, 2))
                goto out;
        bench_note("broker %s, redis 127.0.0.1:%d, files in %s",
                   svc.bootstrap, svc.redis_port, bench_tmpdir);

        const char *events_path = bench_tmp("changes.jsonl");
        const char *truth_path  = bench_tmp("truth.csv");
        bench_note("generating %s changes, seed %" PRIu64, BENCH_INT(count),
                   o.seed);
        if (bench_gen("changes", events_path, truth_path, o.seed, count,
                      o.full_updates) ||
            bench_src_open(&src, events_path))
                goto out;

        vg_kafka_t *k = bench_producer(&svc, NULL);
        if (!k)
                goto out;
        for (;;) {
                bench_ev_t ev;
                int r = bench_src_next(&svc, &src, &ev);
                if (r <= 0)
                        break;
                to_score += ev.scored;
                if (bench_produce_ev(k, "itsm.changes", &ev, 0))
                        break;
                if ((++events & 1023) == 0)
                        vg_kafka_poll(k, 0);
        }
        if (bench_flush_close(k))
                goto out;

        snprintf(gid, sizeof(gid), "group.id=vigie-bench-quality-%s",
                 svc.run_id);
        const char *xs[] = {gid, NULL};
        const char *log  = bench_tmp("change.log");
        bench_note("vigie-change on %s records (%s to score)",
                   BENCH_INT(events), BENCH_INT(to_score));
        pid = bench_proc_spawn(&svc, &o, "vigie-change", log, xs);
        bench_wait_outputs(&svc, "itsm.changes.scored", 0, to_score, &pid, 1,
                           120, 10, 50, &w);
        if (w.died || w.reached < to_score) {
                fprintf(stderr, "vigie-bench: vigie-change %s (%" PRId64
                        " of %" PRId64 " scores)\n",
                        w.died ? "exited" : "stalled", w.reached, to_score);
                bench_log_tail(log, 30);
                goto out;
        }
        bench_sleep_ms(2000); /* the closes after the last score */
        int st = bench_stop(pid, SIGTERM, 60);
        pid    = 0;
        if (st != 0)
                bench_note("vigie-change exited with status %d", st);
        {       /* its own closing summary */
                static const char *const keep[] = {
                        "quality", "p_failure:", "learn time:", "scored ",
                        NULL};
                nsum = bench_log_block(log, "vigie-change summary", keep,
                                       summary, 8);
        }

        bench_map_init(&m, (size_t)count);
        long nout = bench_read_all(&svc, "itsm.changes.scored",
                                   bench_quality_cb, &m);
        if (nout < 0 || !(truth = bench_truth_read(truth_path, &ntruth)) ||
            ntruth == 0) {
                fprintf(stderr, "vigie-bench: cannot read the outputs or "
                        "the truth\n");
                goto out;
        }

        /* The second half of the changes, by number, with an outcome. */
        size_t half = ntruth / 2, n = 0, unscored = 0, canceled = 0;
        bench_sc_t *vm = vg_malloc(ntruth * sizeof(*vm));
        bench_sc_t *vt = vg_malloc(ntruth * sizeof(*vt));
        double sum_p = 0, sum_pt = 0, fails = 0, tp = 0, fp_ = 0, fn = 0;
        double thr = 0.30;
        {
                vg_conf_t *dc = vg_conf_new(vigie_conf_groups);
                thr           = vg_conf_get_double(dc, "change.band.high");
                for (int i = 0; i < o.nx; i++)
                        if (!strncmp(o.xs[i], "change.band.high=", 17))
                                thr = atof(o.xs[i] + 17);
                vg_conf_destroy(dc);
        }
        for (size_t i = half; i < ntruth; i++) {
                if (truth[i].failed < 0) {
                        canceled++;
                        continue;
                }
                bench_slot_t *s = bench_map_get(&m, truth[i].number, 0, 0);
                if (!s || !s->seen) {
                        unscored++;
                        continue;
                }
                int y  = truth[i].failed;
                vm[n]  = (bench_sc_t){s->p, y};
                vt[n]  = (bench_sc_t){truth[i].p_true, y};
                n++;
                sum_p += s->p;
                sum_pt += truth[i].p_true;
                fails += y;
                int alert = s->p >= thr;
                tp += alert && y;
                fp_ += alert && !y;
                fn += !alert && y;
        }
        double auc_m = bench_auc(vm, n), auc_t = bench_auc(vt, n);
        double ratio = auc_m / auc_t;
        double mean_p = n ? sum_p / (double)n : NAN;
        double obs    = n ? fails / (double)n : NAN;
        double prec   = tp + fp_ > 0 ? tp / (tp + fp_) : NAN;
        double rec    = tp + fn > 0 ? tp / (tp + fn) : NAN;
        double f1     = prec + rec > 0 ? 2 * prec * rec / (prec + rec) : NAN;
        vg_free(vm);
        vg_free(vt);

        printf("\nvigie-bench quality: change-risk model on generated "
               "changes with known truth\n"
               "================================================="
               "===============================\n");
        printf("data: %s changes (vg_gen_changes, seed %" PRIu64
               ", %s updates): %s records, %s scored records read back "
               "from itsm.changes.scored\n",
               BENCH_INT(count), o.seed, o.full_updates ? "full" : "slim",
               BENCH_INT(events), BENCH_INT(nout));
        printf("evaluated: second half by change number (%s changes), "
               "with an outcome: %s\n"
               "           (%s canceled left out, %s never scored); score "
               "= p_failure of the\n"
               "           change's latest scored record (max event_time), "
               "published before its close\n",
               BENCH_INT(ntruth - half), BENCH_INT(n), BENCH_INT(canceled),
               BENCH_INT(unscored));
        printf("\n  ROC AUC of p_failure (vigie-change)   %.4f\n", auc_m);
        printf("  ROC AUC of p_true (the generator)     %.4f   (best "
               "achievable on these outcomes)\n", auc_t);
        printf("  ratio                                 %.3f    target >= "
               "0.97          %s\n", ratio, bench_met(ratio >= 0.97));
        printf("  mean p_failure vs observed failure    %.4f vs %.4f (%+.2f "
               "points; mean p_true %.4f)\n"
               "                                                 target "
               "within 2 points  %s\n",
               mean_p, obs, 100 * (mean_p - obs),
               n ? sum_pt / (double)n : NAN,
               bench_met(fabs(mean_p - obs) <= 0.02));
        printf("  alerts at p >= %.2f (HIGH band)        precision %.0f%%  "
               "recall %.0f%%  F1 %.0f%%  (%.0f alerts, %.0f failures)\n",
               thr, 100 * prec, 100 * rec, 100 * f1, tp + fp_, fails);
        printf("  seed system (reported, DIFFERENT data) precision 87%%  "
               "recall 82%%  F1 84%%: not comparable\n"
               "                                        (other changes, "
               "other base rate); shown for reference only\n");
        if (nsum) {
                printf("\n  vigie-change's own closing summary:\n");
                for (int i = 0; i < nsum; i++)
                        printf("  | %s\n", summary[i]);
        }
        if (isnan(ratio))
                fprintf(stderr, "vigie-bench: AUC undefined (one class "
                        "only)\n");
        else
                rc = 0;
out:
        if (pid)
                bench_stop(pid, SIGTERM, 30);
        fflush(stdout);
        vg_free(truth);
        if (m.s)
                bench_map_free(&m);
        bench_src_close(&src);
        if (bench_keep_tmp && bench_tmpdir[0])
                printf("\nfiles kept in %s\n", bench_tmpdir);
        bench_svc_stop(&svc);
        return rc;
}
