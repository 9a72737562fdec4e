/**
 * @file check_change.c
 * @brief vigie-change end to end, as separate processes against a
 *        vigie-broker and a real redis-server: scoring, alerts, dead
 *        letters, Redis down, SIGKILL and restart from the checkpoint.
 *        One TCase per ctest entry (CK_RUN_CASE), see change.cmake.
 */
#include "chg_conf.h"
#include "chg_model.h"
#include "vg_avro.h"
#include "vg_ckpt.h"
#include "vg_itest.h"
#include "vg_mem.h"
#include "vg_redis.h"
#include "vg_time.h"

#include <check.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Generates \p count changes of the world of \p seed into \p path (from
 * \p start_ms, 0: the default; every update complete) and counts them
 * into \p in. */
static void gen_changes(const char *path, long count, uint64_t seed,
                        int64_t start_ms, itest_changes_t *in)
{
        itest_gen("changes", path, NULL, count, seed, start_ms, 1);
        itest_load_changes(path, in);
}

#define spawn_change_with(log, ...)                                            \
        itest_spawn_with("vigie-change", log, __VA_ARGS__)
#define spawn_change(log) itest_spawn_with("vigie-change", log, NULL)

/* Number of keys matching \p pattern in the test Redis. */
static long redis_keys(const char *pattern)
{
        vg_redis_t *r = itest_redis_open();
        json_t *keys  = itest_redis_keys(r, pattern);
        long n        = (long)json_array_size(keys);
        json_decref(keys);
        vg_redis_destroy(r);
        return n;
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
        itest_changes_t inp;
        scored_t s;
        char *line = NULL;
        size_t cap = 0;

        gen_changes(in, 3000, 11, 0, &inp);
        pid_t p = spawn_change(log);
        ck_assert_int_eq(itest_produce("itsm.changes", in), 0);
        ck_assert_int_ge(itest_wait_idle("itsm.changes.scored", inp.scorable, 120),
                         inp.scorable);
        /* idle, still running: every input's Redis writes acknowledged
         * (the last batch's collected by the tick) and its offset
         * committed */
        long end = itest_end_offsets("itsm.changes");
        ck_assert_int_eq(itest_wait_committed("vigie-change", "itsm.changes",
                                              end, 15),
                         end);
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
        ck_assert_int_eq(itest_team_changes_counted(), inp.outcomes);
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
        ck_assert_int_eq(itest_produce("itsm.changes", in), 0);
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
        ck_assert_int_eq(itest_produce("itsm.changes", in), 0);
        int status = -1;
        itest_wait_in_file(log, "stopping:", 30);
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
        ck_assert_int_eq(itest_produce("itsm.changes", in), 0);
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
        itest_changes_t ia, ib;
        scored_t s;

        gen_changes(a, 1200, 21, 0, &ia);
        gen_changes(b, 1200, 22, 1740787200000LL, &ib); /* from March */
        itest_renumber(b, "CHG", "77");
        pid_t p = spawn_change(log);
        ck_assert_int_eq(itest_produce("itsm.changes", a), 0);
        ck_assert_int_ge(itest_wait_idle("itsm.changes.scored", ia.scorable, 90),
                         ia.scorable);
        /* Redis down for 10 s while the second stream comes in */
        snprintf(cmd, sizeof(cmd), "%s/tests/restart_redis.sh 10 "
                 ">/dev/null 2>&1 &", getenv("VG_SOURCE_DIR"));
        ck_assert_int_eq(system(cmd), 0);
        usleep(500 * 1000);
        double t0 = itest_now();
        ck_assert_int_eq(itest_produce("itsm.changes", b), 0);
        long want = ia.scorable + ib.scorable;
        ck_assert_int_ge(itest_wait_count("itsm.changes.scored", want, 60),
                         want);
        double scored_in = itest_now() - t0;
        ck_assert_msg(scored_in < 9.0, "scoring stalled while Redis was "
                      "down (%.1f s)", scored_in);
        /* Redis is back: the kept writes catch up */
        ck_assert(itest_wait_in_file(log, "caught up", 20));
        ck_assert_int_eq(itest_stop(p, SIGTERM), 0);
        itest_consume("itsm.changes.scored", out);
        load_scored(out, &s);
        ck_assert_int_gt(s.degraded, 0);
        ck_assert_int_eq(itest_team_changes_counted(),
                         ia.outcomes + ib.outcomes);
        /* outcomes that came while Redis was down waited, then were
         * learned, each once */
        ck_assert_msg(itest_learned_exactly(log, "change-ftrl/1",
                                            ia.outcomes + ib.outcomes),
                      "not n=%ld", ia.outcomes + ib.outcomes);
        json_decref(s.by_number);
}
END_TEST

START_TEST(test_sigkill_restart)
{
        const char *in = itest_path("changes.jsonl"), *out = itest_path("o.jsonl");
        const char *log1 = itest_path("c1.log"), *log2 = itest_path("c2.log");
        itest_changes_t inp;
        scored_t s;

        /* 3,000 changes span ~4 months: nothing ages out of the 90-day
         * windows (kept for 2 x 90 days), so every outcome is counted */
        gen_changes(in, 3000, 31, 0, &inp);
        pid_t p = spawn_change(log1);
        ck_assert_int_eq(itest_produce("itsm.changes", in), 0);
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
        /* every outcome learned once: the checkpoint's offsets */
        ck_assert_msg(itest_learned_exactly(log2, "change-ftrl/1",
                                            inp.outcomes),
                      "not n=%ld", inp.outcomes);

        itest_consume("itsm.changes.scored", out);
        load_scored(out, &s);
        /* no change lost: every scorable record scored at least once */
        ck_assert_int_eq(s.distinct, inp.scorable);
        /* no outcome counted twice in the team statistics */
        ck_assert_int_eq(itest_team_changes_counted(), inp.outcomes);
        printf("sigkill: killed at %ld scored; %ld redelivered duplicate(s)\n",
               at_kill, s.dups);
        json_decref(s.by_number);
}
END_TEST

/* A fixed set of changes to evaluate final models on: the first record
 * of each change of a generated stream, and whether it failed. */
typedef struct probe_s {
        char **json; /**< the change's first record */
        int *failed;
        int n;
} probe_t;

static void probe_make(probe_t *pr, uint64_t seed)
{
        const char *path = itest_path("probe.jsonl");
        char *line = NULL;
        size_t cap = 0;
        itest_changes_t inp;
        json_t *seen = json_object();

        gen_changes(path, 800, seed, 0, &inp);
        memset(pr, 0, sizeof(*pr));
        pr->json   = calloc(800, sizeof(*pr->json));
        pr->failed = calloc(800, sizeof(*pr->failed));
        FILE *fp   = fopen(path, "r");
        while (getline(&line, &cap, fp) != -1) {
                json_t *o = json_loads(line, 0, NULL);
                const char *num =
                        json_string_value(json_object_get(o, "number"));
                const char *cc =
                        json_string_value(json_object_get(o, "close_code"));
                json_t *at = json_object_get(seen, num);
                if (!at && pr->n < 800) {
                        json_object_set_new(seen, num, json_integer(pr->n));
                        pr->json[pr->n++] = strdup(line);
                } else if (at && cc && *cc) {
                        pr->failed[json_integer_value(at)] =
                                strcmp(cc, "Successful") != 0;
                }
                json_decref(o);
        }
        free(line);
        fclose(fp);
        json_decref(seen);
}

/* The AUC of the final checkpoint of model \p key (Redis prefix
 * \p prefix) on the probe: each change's first record, empty context. */
static double probe_auc(const probe_t *pr, const char *prefix,
                        const char *key)
{
        char errstr[512], k[256];
        snprintf(k, sizeof(k), "%smodel:%s:checkpoint", prefix, key);
        vg_redis_t *r       = itest_redis_open();
        vg_redis_batch_t *b = itest_redis_cmd(r, "HGET", k, "blob", NULL);
        size_t len, mlen;
        const char *blob = vg_redis_reply_str(vg_redis_batch_reply(b, 0),
                                              &len);
        ck_assert_msg(blob != NULL, "no checkpoint %s", k);
        int64_t *next;
        int nparts;
        const void *model;
        ck_assert_int_eq(vg_ckpt_decode(blob, len, &next, &nparts, &model,
                                        &mlen, errstr, sizeof(errstr)),
                         0);
        vg_conf_t *conf       = chg_conf_new();
        chg_model_t *m        = chg_model_new(conf, errstr, sizeof(errstr));
        ck_assert_int_eq(chg_model_restore(m, model, mlen, errstr,
                                           sizeof(errstr)),
                         0);
        vg_avro_registry_t *reg = vg_avro_registry_new(
                VG_SOURCE_SCHEMAS, NULL, errstr, sizeof(errstr));
        vg_avro_schema_t *sch = vg_avro_registry_by_name(reg,
                                                         "ChangeRequest");
        vg_features_t *x      = vg_features_new(18, 0);
        avro_value_t val;
        double *p = calloc((size_t)pr->n, sizeof(*p));
        vg_avro_schema_value_new(sch, &val);
        for (int i = 0; i < pr->n; i++) {
                chg_event_t ev;
                chg_ctx_t ctx = {0};
                ck_assert_int_eq(vg_avro_from_json(sch, pr->json[i],
                                                   strlen(pr->json[i]), &val,
                                                   errstr, sizeof(errstr)),
                                 VG_OK);
                ck_assert_int_eq(chg_event_read(&ev, &val, errstr,
                                                sizeof(errstr)),
                                 0);
                chg_model_features(m, &ev, &ctx, x);
                p[i] = chg_model_predict(m, x);
        }
        /* AUC: the share of (failed, succeeded) pairs ranked right */
        double good = 0, pairs = 0;
        for (int i = 0; i < pr->n; i++)
                for (int j = 0; j < pr->n; j++)
                        if (pr->failed[i] && !pr->failed[j]) {
                                pairs++;
                                good += p[i] > p[j] ? 1 : p[i] == p[j] ? 0.5
                                                                       : 0;
                        }
        free(p);
        avro_value_decref(&val);
        vg_features_destroy(x);
        vg_avro_registry_destroy(reg);
        chg_model_destroy(m);
        vg_conf_destroy(conf);
        vg_free(next);
        vg_redis_batch_destroy(b);
        vg_redis_destroy(r);
        return pairs > 0 ? good / pairs : -1;
}

/* A clean run of \p in by one instance under its own group, key prefix
 * and model key (beside the scenario under test, on the same topic):
 * @returns its final model's AUC on the probe, and checks it learned
 * every outcome. */
static double clean_run(const char *tag, const itest_changes_t *inp,
                        const probe_t *pr)
{
        char log[64], gid[64], pre[64], key[64];
        snprintf(log, sizeof(log), "%s.log", tag);
        snprintf(gid, sizeof(gid), "group.id=%s", tag);
        snprintf(pre, sizeof(pre), "redis.prefix=%s:", tag);
        snprintf(key, sizeof(key), "change.model.key=%s", tag);
        pid_t p = spawn_change_with(itest_path(log), gid, pre, key, NULL);
        itest_wait_committed(tag, "itsm.changes", inp->records, 60);
        ck_assert_int_eq(itest_stop(p, SIGTERM), 0);
        ck_assert_msg(itest_learned_exactly(itest_path(log), "change-ftrl/1",
                                            inp->outcomes),
                      "clean run: not n=%ld", inp->outcomes);
        snprintf(pre, sizeof(pre), "%s:", tag);
        return probe_auc(pr, pre, tag);
}

/* Waits until group vigie-change has committed the whole input. */
static void wait_committed(long records)
{
        ck_assert_int_ge(itest_wait_committed("vigie-change", "itsm.changes",
                                              records, 90),
                         records);
}

/* A lone instance killed mid-stream before its first checkpoint (the
 * default interval, 30 s), then restarted: the model learns every outcome
 * exactly once (the learner resumes from the checkpoint's offsets, here
 * from the beginning), and learns as well as a clean run. */
START_TEST(test_kill_learns_once)
{
        const char *in = itest_path("k.jsonl");
        const char *log1 = itest_path("k1.log"), *log2 = itest_path("k2.log");
        itest_changes_t inp;

        gen_changes(in, 8000, 51, 0, &inp);
        ck_assert_int_eq(itest_produce("itsm.changes", in), 0);
        pid_t p = spawn_change_with(log1, "checkpoint.interval.ms=30000",
                                    NULL);
        wait_committed(inp.records / 2); /* killed past committed offsets */
        ck_assert_int_eq(itest_stop(p, SIGKILL), 128 + SIGKILL);
        p = spawn_change_with(log2, "checkpoint.interval.ms=30000", NULL);
        itest_wait_in_file(log2, "assigned", 30);
        wait_committed(inp.records);
        ck_assert_int_eq(itest_stop(p, SIGTERM), 0);
        ck_assert_msg(itest_learned_exactly(log2, "change-ftrl/1",
                                            inp.outcomes),
                      "not n=%ld", inp.outcomes);
        probe_t pr;
        probe_make(&pr, 151);
        double auc   = probe_auc(&pr, "vigie:", "change");
        double clean = clean_run("clean", &inp, &pr);
        /* the model's prediction of each outcome just before learning it */
        double at_learn = itest_last_number(log2, "model at learn time:",
                                            " auc=");
        printf("kill_learns_once: %ld outcomes learned once; AUC on %d "
               "changes %.4f vs %.4f for a clean run (learn-time %.4f)\n",
               inp.outcomes, pr.n, auc, clean, at_learn);
        fflush(stdout);
        ck_assert(auc > 0 && clean > 0);
        /* measured: within 0.001 of a clean run when no record is relearned
         * out of order; +0.002..+0.004 here, where the restarted instance
         * relearns the first half in its learner's order, and learns the
         * text statistics and similar changes of what it never scored at
         * the outcome (two clean runs differ by up to 0.0013) */
        ck_assert_msg(auc > clean - 0.005 && auc < clean + 0.005,
                      "AUC %.4f vs clean %.4f", auc, clean);
}
END_TEST

/* Two instances in one group, one killed mid-stream: the survivor learns
 * every outcome of every partition exactly once (its own in line, the
 * others' through its learner), and as well as one instance alone. */
START_TEST(test_two_instances_learn_all)
{
        const char *in = itest_path("t.jsonl");
        const char *loga = itest_path("a.log"), *logb = itest_path("b.log");
        itest_changes_t inp;

        gen_changes(in, 8000, 52, 0, &inp);
        pid_t a = spawn_change(loga), b = spawn_change(logb);
        sleep(4); /* both in the group */
        ck_assert_int_eq(itest_produce("itsm.changes", in), 0);
        wait_committed(inp.records / 3); /* killed past committed offsets */
        ck_assert_int_eq(itest_stop(a, SIGKILL), 128 + SIGKILL);
        wait_committed(inp.records);
        ck_assert_int_eq(itest_stop(b, SIGTERM), 0);
        ck_assert_msg(itest_learned_exactly(logb, "change-ftrl/1",
                                            inp.outcomes),
                      "not n=%ld", inp.outcomes);
        probe_t pr;
        probe_make(&pr, 152);
        double auc = probe_auc(&pr, "vigie:", "change");
        double one = clean_run("one", &inp, &pr);
        printf("two_instances: the survivor learned %ld outcomes once; AUC "
               "on %d changes %.4f vs %.4f for one instance\n",
               inp.outcomes, pr.n, auc, one);
        fflush(stdout);
        ck_assert(auc > 0 && one > 0);
        ck_assert_msg(auc > one - 0.005 && auc < one + 0.005,
                      "AUC %.4f vs one instance %.4f", auc, one);
}
END_TEST

/* Close records dated 9999-12-31 go to the dead letters with the reason;
 * the windows they would have trimmed keep their history. */
START_TEST(test_poison_time)
{
        const char *in = itest_path("p.jsonl"), *dlq = itest_path("d.jsonl");
        itest_changes_t inp;
        FILE *fp;

        gen_changes(in, 1500, 53, 0, &inp);
        fp = fopen(in, "a");
        for (int i = 0; i < 40; i++)
                fprintf(fp, "{\"number\":\"CHG-P%02d\",\"state\":"
                        "\"Closed\",\"type\":\"Normal\",\"close_code\":"
                        "\"Successful\",\"assignment_group\":\"DBA\","
                        "\"closed_at\":\"9999-12-31 23:59:59\","
                        "\"sys_updated_on\":\"2025-06-01 10:00:00\"}\n",
                        i);
        fclose(fp);
        pid_t p = spawn_change(itest_path("c.log"));
        ck_assert_int_eq(itest_produce("itsm.changes", in), 0);
        ck_assert_int_ge(itest_wait_idle("itsm.deadletter", 40, 60), 40);
        wait_committed(inp.records + 40);
        ck_assert_int_eq(itest_stop(p, SIGTERM), 0);
        ck_assert_int_eq(itest_consume("itsm.deadletter", dlq), 40);
        ck_assert(itest_file_contains(dlq, "closed_at: event time "
                                           "9999-12-31T23:59:59"));
        ck_assert_int_eq(itest_team_changes_counted(), inp.outcomes);
}
END_TEST

/* The exact team_changes_90d of every scorable record of \p path, in
 * order (one partition: the order vigie-change reads it in): the distinct
 * changes of the record's team closed, before it in the stream, at an
 * outcome time within 90 days of its event time. */
static long *exact_team_changes(const char *path, long *np)
{
        char *line = NULL, errstr[128];
        size_t cap = 0;
        long n = 0, *want = calloc(20000, sizeof(*want));
        json_t *closed = json_object(); /* number -> [team, time] */
        FILE *fp       = fopen(path, "r");
        while (getline(&line, &cap, fp) != -1) {
                json_t *o = json_loads(line, 0, NULL);
#define S(k) json_string_value(json_object_get(o, k))
                const char *st = S("state"), *cc = S("close_code");
                const char *team = S("assignment_group") ? S("assignment_group")
                                                         : "";
                int64_t t, ct;
                ck_assert_int_eq(vg_time_parse(S("sys_updated_on"), &t, errstr,
                                               sizeof(errstr)),
                                 VG_OK);
                if (!strcmp(st, "Closed") && cc && *cc) {
                        if (!S("closed_at") ||
                            vg_time_parse(S("closed_at"), &ct, errstr,
                                          sizeof(errstr)))
                                ct = t;
                        json_object_set_new(closed, S("number"),
                                            json_pack("[sI]", team,
                                                      (json_int_t)ct));
                } else if (strcmp(st, "Closed") && strcmp(st, "Canceled") &&
                           n < 20000) {
                        const char *k;
                        json_t *v;
                        long c = 0;
                        json_object_foreach(closed, k, v) {
                                int64_t at = json_integer_value(
                                        json_array_get(v, 1));
                                if (!strcmp(json_string_value(
                                                    json_array_get(v, 0)),
                                            team) &&
                                    at >= t - 90 * 86400000LL && at <= t)
                                        c++;
                        }
                        want[n++] = c;
                }
#undef S
                json_decref(o);
        }
        free(line);
        fclose(fp);
        json_decref(closed);
        *np = n;
        return want;
}

/* Compares the team_changes_90d of the last \p n records of \p scored
 * with \p want. @returns the share that is exact; \p mean_err: the mean
 * error. */
static double team_changes_exact(const char *scored, const long *want,
                                 long n, double *mean_err)
{
        long total = itest_count_lines(scored), i = 0, exact = 0;
        double err = 0;
        char *line = NULL;
        size_t cap = 0;
        FILE *fp   = fopen(scored, "r");
        while (getline(&line, &cap, fp) != -1) {
                if (i++ < total - n)
                        continue;
                json_t *o = json_loads(line, 0, NULL);
                long got  = (long)json_integer_value(
                        json_object_get(o, "team_changes_90d"));
                long k = i - 1 - (total - n);
                exact += got == want[k];
                err += (double)(got - want[k]);
                json_decref(o);
        }
        free(line);
        fclose(fp);
        *mean_err = n ? err / (double)n : 0;
        return n ? (double)exact / (double)n : 0;
}

/* Replay-stable context (one partition): each record's team_changes_90d
 * counts every closed change of its team before it in the stream, whether
 * the stream is replayed at full speed (batches of 500) or comes paced. */
START_TEST(test_replay_stable)
{
        const char *in = itest_path("r.jsonl"), *out = itest_path("o.jsonl");
        char rate[] = "1500";
        itest_changes_t inp;
        long n;
        double full_err, paced_err;

        gen_changes(in, 2000, 54, 0, &inp);
        long *want = exact_team_changes(in, &n);
        ck_assert_int_eq(n, inp.scorable);
        /* full speed: the whole stream is there before vigie-change */
        ck_assert_int_eq(itest_produce("itsm.changes", in), 0);
        pid_t p = spawn_change(itest_path("full.log"));
        ck_assert_int_ge(itest_wait_idle("itsm.changes.scored", n, 90), n);
        ck_assert_int_eq(itest_stop(p, SIGTERM), 0);
        ck_assert_int_eq(itest_consume("itsm.changes.scored", out), n);
        double full = team_changes_exact(out, want, n, &full_err);
        /* paced: the same stream again, as it comes, to another group */
        p = spawn_change_with(itest_path("paced.log"), "group.id=paced",
                              "redis.prefix=paced:", "auto.offset.reset=latest",
                              NULL);
        sleep(4); /* in its group, at the end of the topic */
        char *argv[] = {(char *)itest_bin("vigie-ctl"), "-b",
                        getenv("VG_BOOTSTRAP"), "produce", "-q", "-r", rate,
                        "-t", "itsm.changes", (char *)in, NULL};
        ck_assert_int_eq(itest_run(argv, itest_path("produce2.log")), 0);
        ck_assert_int_ge(itest_wait_idle("itsm.changes.scored", 2 * n, 90),
                         2 * n);
        ck_assert_int_eq(itest_stop(p, SIGTERM), 0);
        ck_assert_int_eq(itest_consume("itsm.changes.scored", out), 2 * n);
        double paced = team_changes_exact(out, want, n, &paced_err);
        printf("replay_stable: team_changes_90d exact for %.1f%% of %ld "
               "records at full speed (mean error %+.2f), %.1f%% paced at "
               "%s/s (mean error %+.2f)\n", 100 * full, n, full_err,
               100 * paced, rate, paced_err);
        fflush(stdout);
        ck_assert_msg(full == 1.0 && paced == 1.0, "full %.4f paced %.4f",
                      full, paced);
        free(want);
}
END_TEST

START_TEST(test_bootstrap_warmup)
{
        const char *hist = itest_path("history.jsonl"), *log = itest_path("b.log");
        char port[64], learned[64];
        itest_changes_t inp;

        gen_changes(hist, 1500, 41, 0, &inp);
        snprintf(port, sizeof(port), "redis.port=%s", getenv("VG_REDIS_PORT"));
        char *argv[] = {(char *)itest_bin("vigie-change"), "-b",
                        getenv("VG_BOOTSTRAP"), "-X", port, "--bootstrap",
                        (char *)hist, NULL};
        pid_t p = itest_spawn(argv, log);
        itest_wait_in_file(log, "started:", 30);
        ck_assert_int_eq(itest_stop(p, SIGTERM), 0);
        ck_assert(itest_file_contains(log, "warmed up from"));
        ck_assert(itest_file_contains(log, "0 rejected"));
        /* it learned the history, produced nothing, and kept the stats */
        snprintf(learned, sizeof(learned), "change-ftrl/1 n=%ld", inp.outcomes);
        ck_assert_msg(itest_file_contains(log, learned), "no %s", learned);
        ck_assert_int_eq(itest_end_offsets("itsm.changes.scored"), 0);
        ck_assert_int_eq(itest_team_changes_counted(), inp.outcomes);
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
                {"kill_learns_once", test_kill_learns_once},
                {"two_instances", test_two_instances_learn_all},
                {"poison_time", test_poison_time},
                {"replay_stable", test_replay_stable},
        };
        return itest_main("change", cases,
                          (int)(sizeof(cases) / sizeof(cases[0])));
}
