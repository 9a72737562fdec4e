/**
 * @file check_change.c
 * @brief vigie-change end to end, as separate processes against a
 *        vigie-broker and a real redis-server: scoring, alerts, dead
 *        letters, Redis down, SIGKILL and restart from the checkpoint.
 *        One TCase per ctest entry (CK_RUN_CASE), see change.cmake.
 */
#include "vg_gen.h"
#include "vg_itest.h"
#include "vg_mem.h"
#include "vg_redis.h"

#include <check.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What a generated input file holds. */
typedef struct input_s {
        long records, scorable, outcomes;
} input_t;

static void gen_changes(const char *path, long count, uint64_t seed,
                        int64_t start_ms, input_t *in)
{
        vg_gen_opts_t o;
        char errstr[256], *line = NULL;
        size_t cap = 0;
        vg_gen_opts_init(&o);
        o.count        = count;
        o.seed         = seed;
        o.full_updates = 1;
        if (start_ms)
                o.start_ms = start_ms;
        vg_gen_t *g = vg_gen_new(&o, errstr, sizeof(errstr));
        FILE *fp    = fopen(path, "w");
        ck_assert_int_eq(vg_gen_changes(g, fp, NULL, errstr, sizeof(errstr)),
                         VG_OK);
        fclose(fp);
        vg_gen_destroy(g);
        memset(in, 0, sizeof(*in));
        fp = fopen(path, "r");
        while (getline(&line, &cap, fp) != -1) {
                json_t *o2 = json_loads(line, 0, NULL);
                const char *st =
                        json_string_value(json_object_get(o2, "state"));
                const char *cc =
                        json_string_value(json_object_get(o2, "close_code"));
                in->records++;
                if (!strcmp(st, "Closed") && cc && *cc)
                        in->outcomes++;
                else if (strcmp(st, "Closed") && strcmp(st, "Canceled"))
                        in->scorable++;
                json_decref(o2);
        }
        free(line);
        fclose(fp);
}

/* Renumbers the changes of \p path (CHG00... -> CHG<prefix>...) so that
 * two generated streams do not share change numbers. */
static void renumber(const char *path, const char *prefix)
{
        char tmp[1024], *line = NULL;
        size_t cap = 0;
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        FILE *in = fopen(path, "r"), *out = fopen(tmp, "w");
        while (getline(&line, &cap, in) != -1) {
                for (char *s = line; (s = strstr(s, "\"CHG00"));)
                        memcpy(s + 4, prefix, 2), s += 6;
                fputs(line, out);
        }
        free(line);
        fclose(in);
        fclose(out);
        rename(tmp, path);
}

static int produce(const char *file)
{
        char *argv[] = {(char *)itest_bin("vigie-ctl"), "-b",
                        getenv("VG_BOOTSTRAP"), "produce", "-q", "-t",
                        "itsm.changes", (char *)file, NULL};
        return itest_run(argv, itest_path("produce.log"));
}

static pid_t spawn_change(const char *log)
{
        char port[64];
        snprintf(port, sizeof(port), "redis.port=%s", getenv("VG_REDIS_PORT"));
        char *argv[] = {(char *)itest_bin("vigie-change"), "-b",
                        getenv("VG_BOOTSTRAP"), "-X", port, "-X",
                        "stats.interval.ms=1000", "-X",
                        "checkpoint.interval.ms=1000", "-X",
                        "change.alert.min.learned=100", "-X",
                        "kafka.session.timeout.ms=6000", NULL};
        return itest_spawn(argv, log);
}

/* The test Redis, and in \p b the reply of KEYS \p pattern. */
static vg_redis_t *redis_keys_of(const char *pattern, vg_redis_batch_t *b)
{
        char errstr[256];
        vg_redis_conf_t *rc = vg_redis_conf_new();
        vg_redis_conf_set(rc, "port", getenv("VG_REDIS_PORT"), errstr,
                          sizeof(errstr));
        vg_redis_t *r = vg_redis_new(rc, errstr, sizeof(errstr));
        ck_assert_msg(r != NULL, "%s", errstr);
        vg_redis_batch_cmd(b, "KEYS", pattern, NULL);
        ck_assert_int_eq(vg_redis_batch_exec(r, b, errstr, sizeof(errstr)),
                         VG_OK);
        return r;
}

/* Number of keys matching \p pattern in the test Redis. */
static long long redis_keys(const char *pattern)
{
        vg_redis_batch_t *b = vg_redis_batch_new();
        vg_redis_t *r       = redis_keys_of(pattern, b);
        long long n = (long long)vg_redis_reply_nelem(
                vg_redis_batch_reply(b, 0));
        vg_redis_batch_destroy(b);
        vg_redis_destroy(r);
        return n;
}

/* Sum of ZCARD over vigie:team:*:changes: closed changes counted. */
static long long team_changes_counted(void)
{
        char errstr[256];
        long long sum = 0;
        vg_redis_batch_t *b = vg_redis_batch_new();
        vg_redis_t *r       = redis_keys_of("vigie:team:*:changes", b);
        const vg_redis_reply_t *keys = vg_redis_batch_reply(b, 0);
        vg_redis_batch_t *z = vg_redis_batch_new();
        for (size_t i = 0; i < vg_redis_reply_nelem(keys); i++)
                vg_redis_batch_cmd(z, "ZCARD",
                                   vg_redis_reply_str(
                                           vg_redis_reply_elem(keys, i), NULL),
                                   NULL);
        ck_assert_int_eq(vg_redis_batch_exec(r, z, errstr, sizeof(errstr)),
                         VG_OK);
        for (size_t i = 0; i < vg_redis_batch_cnt(z); i++)
                sum += vg_redis_reply_int(vg_redis_batch_reply(z, i));
        vg_redis_batch_destroy(b);
        vg_redis_batch_destroy(z);
        vg_redis_destroy(r);
        return sum;
}

/* Loads scored records: counts distinct (number, event_time) and dups. */
typedef struct scored_s {
        long n, distinct, dups, degraded, with5, bad_p;
        json_t *by_number; /* number -> highest band rank */
} scored_t;

static int band_rank(const char *b)
{
        static const char *bands[] = {"LOW", "MEDIUM", "HIGH", "CRITICAL"};
        for (int i = 0; i < 4; i++)
                if (b && !strcmp(b, bands[i]))
                        return i;
        return -1;
}

static void load_scored(const char *path, scored_t *s)
{
        json_t *seen = json_object();
        char *line   = NULL, key[128];
        size_t cap   = 0;
        FILE *fp     = fopen(path, "r");
        memset(s, 0, sizeof(*s));
        s->by_number = json_object();
        ck_assert_ptr_nonnull(fp);
        while (getline(&line, &cap, fp) != -1) {
                json_t *o = json_loads(line, 0, NULL);
                const char *num =
                        json_string_value(json_object_get(o, "number"));
                const char *et =
                        json_string_value(json_object_get(o, "event_time"));
                double p = json_real_value(json_object_get(o, "p_failure"));
                int br   = band_rank(json_string_value(
                        json_object_get(o, "risk_band")));
                snprintf(key, sizeof(key), "%s@%s", num, et);
                s->n++;
                if (json_object_get(seen, key))
                        s->dups++;
                json_object_set_new(seen, key, json_true());
                s->bad_p += !(p >= 0 && p <= 1) || br < 0;
                s->degraded += json_is_true(
                        json_object_get(o, "context_degraded"));
                s->with5 += json_array_size(json_object_get(o,
                                                            "top_factors")) >= 5;
                json_t *prev = json_object_get(s->by_number, num);
                if (!prev || json_integer_value(prev) < br)
                        json_object_set_new(s->by_number, num,
                                            json_integer(br));
                json_decref(o);
        }
        s->distinct = (long)json_object_size(seen);
        json_decref(seen);
        free(line);
        fclose(fp);
}

/* ------------------------------------------------------------------ */

START_TEST(test_end_to_end)
{
        const char *in = itest_path("changes.jsonl"), *log = itest_path("c.log");
        const char *out = itest_path("scored.jsonl");
        const char *alerts = itest_path("alerts.jsonl");
        input_t inp;
        scored_t s;
        char *line = NULL;
        size_t cap = 0;

        gen_changes(in, 3000, 11, 0, &inp);
        pid_t p = spawn_change(log);
        ck_assert_int_eq(produce(in), 0);
        ck_assert_int_ge(itest_wait_idle("itsm.changes.scored", inp.scorable, 120),
                         inp.scorable);
        /* idle, still running: every input's Redis writes acknowledged
         * (the last batch's collected by the tick) and its offset
         * committed */
        long end = itest_end_offsets("itsm.changes"), done = -1;
        double t0 = itest_now();
        while ((done = itest_committed("vigie-change", "itsm.changes")) <
                       end &&
               itest_now() - t0 < 15)
                usleep(200 * 1000);
        ck_assert_int_eq(done, end);
        ck_assert_int_eq(itest_stop(p, SIGTERM), 0);

        /* every open or updated change scored exactly once */
        ck_assert_int_eq(itest_consume("itsm.changes.scored", out),
                         inp.scorable);
        load_scored(out, &s);
        ck_assert_int_eq(s.dups, 0);
        ck_assert_int_eq(s.bad_p, 0);
        ck_assert_int_eq(s.degraded, 0);
        ck_assert_int_ge(s.with5 * 100, s.n * 95); /* explained */

        /* one alert per change and band, each for a HIGH+ change */
        long na = itest_consume("itsm.alerts", alerts);
        ck_assert_int_gt(na, 10);
        json_t *ids = json_object();
        FILE *fp    = fopen(alerts, "r");
        while (getline(&line, &cap, fp) != -1) {
                json_t *a = json_loads(line, 0, NULL);
                const char *id = json_string_value(json_object_get(a,
                                                                   "alert_id"));
                const char *subj = json_string_value(json_object_get(a,
                                                                     "subject"));
                ck_assert_ptr_null(json_object_get(ids, id));
                json_object_set_new(ids, id, json_true());
                ck_assert_int_ge(json_integer_value(
                                         json_object_get(s.by_number, subj)),
                                 2);
                ck_assert_str_eq(json_string_value(json_object_get(a, "kind")),
                                 "RISKY_CHANGE");
                json_decref(a);
        }
        fclose(fp);
        free(line);
        json_decref(ids);
        ck_assert_int_eq(itest_end_offsets("itsm.deadletter"), 0);

        /* statistics: every closed change counted once */
        ck_assert_int_eq(team_changes_counted(), inp.outcomes);
        ck_assert(itest_file_contains(log, "vigie-change summary"));

        /* a restart resumes the model from its checkpoint */
        char learned[64];
        snprintf(learned, sizeof(learned), "change-ftrl/1 n=%ld",
                 inp.outcomes);
        ck_assert_msg(itest_file_contains(log, learned), "no %s", learned);
        const char *log2 = itest_path("c2.log");
        p = spawn_change(log2);
        sleep(2);
        ck_assert_int_eq(itest_stop(p, SIGTERM), 0);
        ck_assert(itest_file_contains(log2, "model restored from checkpoint"));
        ck_assert(itest_file_contains(log2, learned));
        json_decref(s.by_number);
}
END_TEST

START_TEST(test_bad_records)
{
        const char *in = itest_path("bad.jsonl"), *dlq = itest_path("dlq.jsonl");
        FILE *fp = fopen(in, "w");
        fprintf(fp,
                "{\"number\":\"\",\"sys_updated_on\":\"2025-01-01 10:00:00\"}\n"
                "{\"number\":\"CHG-T\",\"type\":\"Weird\",\"sys_updated_on\":"
                "\"2025-01-01 10:00:00\"}\n"
                "{\"number\":\"CHG-S\",\"state\":\"Lost\",\"sys_updated_on\":"
                "\"2025-01-01 10:00:00\"}\n"
                "{\"number\":\"CHG-OK\",\"state\":\"New\",\"type\":\"Normal\","
                "\"sys_updated_on\":\"2025-01-01 10:00:00\"}\n");
        fclose(fp);
        pid_t p = spawn_change(itest_path("c.log"));
        ck_assert_int_eq(produce(in), 0);
        ck_assert_int_ge(itest_wait_idle("itsm.deadletter", 3, 60), 3);
        ck_assert_int_ge(itest_wait_idle("itsm.changes.scored", 1, 30), 1);
        ck_assert_int_eq(itest_stop(p, SIGTERM), 0);
        ck_assert_int_eq(itest_consume("itsm.deadletter", dlq), 3);
        ck_assert(itest_file_contains(dlq, "number: missing or empty"));
        ck_assert(itest_file_contains(dlq, "type: unknown value \\\"Weird\\\""));
        ck_assert(itest_file_contains(dlq, "state: unknown value \\\"Lost\\\""));
        ck_assert(itest_file_contains(dlq, "\"processor\":\"vigie-change\""));
        ck_assert_int_eq(itest_consume("itsm.changes.scored",
                                       itest_path("out.jsonl")), 1);
}
END_TEST

/* A record that cannot be produced (larger than kafka.message.max.bytes,
 * through a long configured recommendation) fails the batch: vigie-change
 * stops with an error, before the batch's offsets are committed and
 * without checkpointing a model that learned from it. */
START_TEST(test_produce_fails)
{
        const char *in = itest_path("big.jsonl"), *log = itest_path("c.log");
        char port[64], rule[3][600];
        FILE *fp = fopen(in, "w");
        fprintf(fp, "{\"number\":\"CHG-BIG\",\"state\":\"New\","
                    "\"type\":\"Normal\",\"sys_updated_on\":"
                    "\"2025-01-01 10:00:00\"}\n");
        fclose(fp);
        for (int i = 0; i < 3; i++) { /* 3 x 400 bytes of advice */
                int o = snprintf(rule[i], sizeof(rule[i]),
                                 "change.rule.big%d=backout_plan=0 => ", i);
                memset(rule[i] + o, 'x', 400);
                rule[i][o + 400] = '\0';
        }
        snprintf(port, sizeof(port), "redis.port=%s", getenv("VG_REDIS_PORT"));
        char *argv[] = {(char *)itest_bin("vigie-change"), "-b",
                        getenv("VG_BOOTSTRAP"), "-X", port, "-X", rule[0],
                        "-X", rule[1], "-X", rule[2], "-X",
                        "kafka.message.max.bytes=1000", NULL};
        pid_t p = itest_spawn(argv, log);
        ck_assert_int_eq(produce(in), 0);
        int status = -1;
        for (int i = 0; i < 300 && !itest_file_contains(log, "stopping:");
             i++)
                usleep(100 * 1000);
        status = itest_stop(p, SIGTERM);
        ck_assert_msg(status != 0, "exit status %d", status);
        ck_assert(itest_file_contains(log, "CHG-BIG"));
        ck_assert(itest_file_contains(log, "model not checkpointed"));
        ck_assert_int_eq(redis_keys("vigie:model:*"), 0);
        ck_assert_int_eq(itest_end_offsets("itsm.changes.scored"), 0);
}
END_TEST

/* Runs vigie-change in consumer group \p group, with bands that make
 * every change HIGH, until the scored topic holds \p scored records. */
static void run_all_high(const char *group, long scored)
{
        char port[64], gid[64];
        snprintf(port, sizeof(port), "redis.port=%s", getenv("VG_REDIS_PORT"));
        snprintf(gid, sizeof(gid), "group.id=%s", group);
        char *argv[] = {(char *)itest_bin("vigie-change"), "-b",
                        getenv("VG_BOOTSTRAP"), "-X", port, "-X", gid, "-X",
                        "change.band.medium=0", "-X", "change.band.high=0",
                        "-X", "change.band.critical=1", "-X",
                        "change.alert.min.learned=0", NULL};
        pid_t p = itest_spawn(argv, itest_path(group));
        ck_assert_int_ge(itest_wait_idle("itsm.changes.scored", scored, 60),
                         scored);
        ck_assert_int_eq(itest_stop(p, SIGTERM), 0);
}

/* An alert per change and band: an update does not alert again, but the
 * alerting record consumed again (a new group here; after a crash, the
 * records whose offsets were not committed) does, with the same alert_id,
 * as its first alert may never have reached Kafka. */
START_TEST(test_alert_again_on_replay)
{
        const char *in = itest_path("two.jsonl"), *out = itest_path("a.jsonl");
        FILE *fp = fopen(in, "w");
        fprintf(fp, "{\"number\":\"CHG-A\",\"state\":\"New\","
                    "\"type\":\"Normal\",\"sys_updated_on\":"
                    "\"2025-01-01 10:00:00\"}\n"
                    "{\"number\":\"CHG-A\",\"state\":\"Scheduled\","
                    "\"type\":\"Normal\",\"sys_updated_on\":"
                    "\"2025-01-02 10:00:00\"}\n");
        fclose(fp);
        ck_assert_int_eq(produce(in), 0);
        run_all_high("first", 2);
        ck_assert_int_eq(itest_end_offsets("itsm.alerts"), 1);
        run_all_high("replay", 4);
        ck_assert_int_eq(itest_wait_idle("itsm.alerts", 2, 10), 2);
        ck_assert_int_eq(itest_consume("itsm.alerts", out), 2);
        ck_assert(itest_file_contains(out, "RISKY_CHANGE:CHG-A:HIGH"));
}
END_TEST

START_TEST(test_redis_down)
{
        const char *a = itest_path("a.jsonl"), *b = itest_path("b.jsonl");
        const char *log = itest_path("c.log"), *out = itest_path("out.jsonl");
        char cmd[512];
        input_t ia, ib;
        scored_t s;

        gen_changes(a, 1200, 21, 0, &ia);
        gen_changes(b, 1200, 22, 1740787200000LL, &ib); /* from March */
        renumber(b, "77");
        pid_t p = spawn_change(log);
        ck_assert_int_eq(produce(a), 0);
        ck_assert_int_ge(itest_wait_idle("itsm.changes.scored", ia.scorable, 90),
                         ia.scorable);
        /* Redis down for 10 s while the second stream comes in */
        snprintf(cmd, sizeof(cmd), "%s/tests/restart_redis.sh 10 "
                 ">/dev/null 2>&1 &", getenv("VG_SOURCE_DIR"));
        ck_assert_int_eq(system(cmd), 0);
        usleep(500 * 1000);
        double t0 = itest_now();
        ck_assert_int_eq(produce(b), 0);
        long want = ia.scorable + ib.scorable;
        ck_assert_int_ge(itest_wait_count("itsm.changes.scored", want, 60),
                         want);
        double scored_in = itest_now() - t0;
        ck_assert_msg(scored_in < 9.0, "scoring stalled while Redis was "
                      "down (%.1f s)", scored_in);
        /* Redis is back: the kept writes catch up */
        for (int i = 0; i < 200 && !itest_file_contains(log, "caught up"); i++)
                usleep(100 * 1000);
        ck_assert(itest_file_contains(log, "caught up"));
        ck_assert_int_eq(itest_stop(p, SIGTERM), 0);
        itest_consume("itsm.changes.scored", out);
        load_scored(out, &s);
        ck_assert_int_gt(s.degraded, 0);
        ck_assert_int_eq(team_changes_counted(), ia.outcomes + ib.outcomes);
        json_decref(s.by_number);
}
END_TEST

START_TEST(test_sigkill_restart)
{
        const char *in = itest_path("changes.jsonl"), *out = itest_path("o.jsonl");
        const char *log1 = itest_path("c1.log"), *log2 = itest_path("c2.log");
        input_t inp;
        scored_t s;

        /* 3,000 changes span ~4 months: nothing ages out of the 90-day
         * windows (kept for 2 x 90 days), so every outcome is counted */
        gen_changes(in, 3000, 31, 0, &inp);
        pid_t p = spawn_change(log1);
        ck_assert_int_eq(produce(in), 0);
        ck_assert_int_ge(itest_wait_count("itsm.changes.scored", 1500, 60),
                         1500);
        sleep(1); /* at least one checkpoint (checkpoint.interval.ms=1000) */
        ck_assert_int_eq(itest_stop(p, SIGKILL), 128 + SIGKILL);
        long at_kill = itest_end_offsets("itsm.changes.scored");

        p = spawn_change(log2);
        ck_assert_int_ge(itest_wait_idle("itsm.changes.scored", inp.scorable, 120),
                         inp.scorable);
        ck_assert_int_eq(itest_stop(p, SIGTERM), 0);
        ck_assert(itest_file_contains(log2, "model restored from checkpoint"));

        itest_consume("itsm.changes.scored", out);
        load_scored(out, &s);
        /* no change lost: every scorable record scored at least once */
        ck_assert_int_eq(s.distinct, inp.scorable);
        /* no outcome counted twice in the team statistics */
        ck_assert_int_eq(team_changes_counted(), inp.outcomes);
        printf("sigkill: killed at %ld scored; %ld redelivered duplicate(s)\n",
               at_kill, s.dups);
        json_decref(s.by_number);
}
END_TEST

START_TEST(test_bootstrap_warmup)
{
        const char *hist = itest_path("history.jsonl"), *log = itest_path("b.log");
        char port[64], learned[64];
        input_t inp;

        gen_changes(hist, 1500, 41, 0, &inp);
        snprintf(port, sizeof(port), "redis.port=%s", getenv("VG_REDIS_PORT"));
        char *argv[] = {(char *)itest_bin("vigie-change"), "-b",
                        getenv("VG_BOOTSTRAP"), "-X", port, "--bootstrap",
                        (char *)hist, NULL};
        pid_t p = itest_spawn(argv, log);
        for (int i = 0; i < 300 && !itest_file_contains(log, "started:"); i++)
                usleep(100 * 1000);
        ck_assert_int_eq(itest_stop(p, SIGTERM), 0);
        ck_assert(itest_file_contains(log, "warmed up from"));
        ck_assert(itest_file_contains(log, "0 rejected"));
        /* it learned the history, produced nothing, and kept the stats */
        snprintf(learned, sizeof(learned), "change-ftrl/1 n=%ld", inp.outcomes);
        ck_assert_msg(itest_file_contains(log, learned), "no %s", learned);
        ck_assert_int_eq(itest_end_offsets("itsm.changes.scored"), 0);
        ck_assert_int_eq(team_changes_counted(), inp.outcomes);
        /* risky changes are marked as alerted (going live, a re-score of
         * one does not alert again), though no alert is produced */
        ck_assert_int_eq(itest_end_offsets("itsm.alerts"), 0);
        ck_assert_int_gt(redis_keys("vigie:chg:*:alerts"), 0);
}
END_TEST

int main(void)
{
        const itest_case_t cases[] = {
                {"e2e", test_end_to_end},
                {"bad_records", test_bad_records},
                {"produce_fails", test_produce_fails},
                {"alert_replay", test_alert_again_on_replay},
                {"redis_down", test_redis_down},
                {"sigkill", test_sigkill_restart},
                {"bootstrap", test_bootstrap_warmup},
        };
        return itest_main("change", cases,
                          (int)(sizeof(cases) / sizeof(cases[0])));
}
