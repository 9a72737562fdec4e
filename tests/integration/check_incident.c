/**
 * @file check_incident.c
 * @brief vigie-incident end to end, as separate processes against a
 *        vigie-broker and a real redis-server (with vigie-change where the
 *        scenario needs its changes at work): enrichment, suspect changes,
 *        CI and cluster windows, dead letters, Redis down, SIGKILL and
 *        restart from the checkpoint, two processors on one broker and one
 *        Redis. One TCase per ctest entry (CK_RUN_CASE), see incident.cmake.
 */
#include "vg_itest.h"
#include "vg_kafka.h"
#include "vg_redis.h"

#include <check.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define DAY_MS 86400000LL

/* ------------------------------------------------------------------ */
/* Inputs                                                             */

static void fmt_time(int64_t ms, char *buf, size_t size)
{
        time_t s = (time_t)(ms / 1000);
        struct tm tm;
        gmtime_r(&s, &tm);
        strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
}

/* What a generated incident stream holds. */
typedef struct inc_in_s {
        long records, incidents, resolved;
        int64_t first, last; /* earliest opened_at, latest event time */
        json_t *inc; /* number -> {"ci": s, "opened": I, "resolved": b} */
        json_t *cis; /* ci -> {number: true} */
} inc_in_t;

static int is_resolved_state(const char *st)
{
        return st && (!strcasecmp(st, "Resolved") || !strcasecmp(st, "Closed"));
}

/* Adds the incident records of \p path to \p in (zeroed by the first
 * call's caller with memset). */
static void load_incidents(const char *path, inc_in_t *in)
{
        char *line = NULL;
        size_t cap = 0;
        FILE *fp   = fopen(path, "r");
        if (!in->inc) {
                in->inc = json_object();
                in->cis = json_object();
        }
        ck_assert_ptr_nonnull(fp);
        while (getline(&line, &cap, fp) != -1) {
                json_t *o = json_loads(line, 0, NULL);
#define S(k) json_string_value(json_object_get(o, k))
                const char *num = S("number"), *ci = S("cmdb_ci");
                json_t *e       = json_object_get(in->inc, num);
                int64_t upd     = itest_parse_time(S("sys_updated_on"));
                in->records++;
                if (upd > in->last)
                        in->last = upd;
                if (!e) {
                        int64_t t = itest_parse_time(S("opened_at"));
                        if (t < 0)
                                t = itest_parse_time(S("sys_updated_on"));
                        e = json_pack("{sssIsb}", "ci", ci ? ci : "",
                                      "opened", (json_int_t)t, "resolved",
                                      0);
                        json_object_set_new(in->inc, num, e);
                        in->incidents++;
                        if (!in->first || t < in->first)
                                in->first = t;
                }
                if (is_resolved_state(S("incident_state")) &&
                    !json_is_true(json_object_get(e, "resolved"))) {
                        json_object_set_new(e, "resolved", json_true());
                        in->resolved++;
                }
                if (ci && *ci)
                        itest_set_add(in->cis, ci, num);
#undef S
                json_decref(o);
        }
        free(line);
        fclose(fp);
}

/* The windows are trimmed as of the watermark minus twice what they keep
 * (30 days for ci:{ci}:incidents, 29 for clusters, by default): a stream
 * shorter than that keeps every incident in them. */
static void assert_untrimmed(const inc_in_t *in)
{
        ck_assert_msg(in->last - in->first < 57 * DAY_MS, "the input spans "
                      "%.1f days: windows would be trimmed",
                      (double)(in->last - in->first) / (double)DAY_MS);
}

static void inc_in_free(inc_in_t *in)
{
        json_decref(in->inc);
        json_decref(in->cis);
}

/* Generates 800 changes into \p chg and 1,000 incidents into \p inc (their
 * truth CSV into \p truth unless NULL) of the world of \p seed, and loads
 * them into \p cin and \p in (windows untrimmed). */
static void gen_world(const char *chg, const char *inc, const char *truth,
                      uint64_t seed, itest_changes_t *cin, inc_in_t *in)
{
        itest_gen("changes", chg, NULL, 800, seed, 0, 0);
        itest_gen("incidents", inc, truth, 1000, seed, 0, 0);
        itest_load_changes(chg, cin);
        memset(in, 0, sizeof(*in));
        load_incidents(inc, in);
        assert_untrimmed(in);
}

/* ------------------------------------------------------------------ */
/* Processes                                                          */

/* vigie-incident, what the scenarios of vg_itest.h watch. */
static const itest_proc_t INC = {"vigie-incident", "itsm.incidents",
                                 "itsm.incidents.enriched", "enriched"};

#define spawn_incident(log) itest_spawn_with("vigie-incident", log, NULL)
#define spawn_change(log)   itest_spawn_with("vigie-change", log, NULL)

/* ------------------------------------------------------------------ */
/* Outputs                                                            */

/* The enrichments of itsm.incidents.enriched. */
typedef struct enr_s {
        long n, distinct, degraded, first_not_opened, opened;
        long of_resolved; /* enrichments of records in a resolved state */
        json_t *first;    /* number -> its first enrichment */
        json_t *clusters; /* number -> {cluster_id: true} (>= 0 only) */
} enr_t;

static void load_enriched(const char *path, enr_t *e)
{
        char *line = NULL;
        size_t cap = 0;
        FILE *fp   = fopen(path, "r");
        memset(e, 0, sizeof(*e));
        e->first    = json_object();
        e->clusters = json_object();
        ck_assert_ptr_nonnull(fp);
        /* records of an incident share its key, hence its partition: the
         * file holds them in the order they were produced */
        while (getline(&line, &cap, fp) != -1) {
                json_t *o = json_loads(line, 0, NULL);
                const char *num =
                        json_string_value(json_object_get(o, "number"));
                json_int_t cl =
                        json_integer_value(json_object_get(o, "cluster_id"));
                e->n++;
                e->degraded += json_is_true(
                        json_object_get(o, "context_degraded"));
                const char *why = json_string_value(
                        json_object_get(o, "reason"));
                e->opened += why && !strcmp(why, "opened");
                e->of_resolved += is_resolved_state(json_string_value(
                        json_object_get(o, "incident_state")));
                if (!json_object_get(e->first, num)) {
                        e->first_not_opened += !why || strcmp(why, "opened");
                        json_object_set(e->first, num, o);
                }
                if (cl >= 0)
                        itest_set_add_id(e->clusters, num, (long long)cl);
                json_decref(o);
        }
        e->distinct = (long)json_object_size(e->first);
        free(line);
        fclose(fp);
}

static void enr_free(enr_t *e)
{
        json_decref(e->first);
        json_decref(e->clusters);
}

/* Consumes the enriched topic into \p e. */
static void consume_enriched(const char *name, enr_t *e)
{
        const char *out = itest_path(name);
        ck_assert_int_ge(itest_consume("itsm.incidents.enriched", out), 0);
        load_enriched(out, e);
}

static int redis_exists(const char *kind, const char *id, const char *what);

/* Every incident of \p in enriched, its first enrichment "opened". */
static void assert_every_incident(const enr_t *e, const inc_in_t *in)
{
        const char *num;
        json_t *v;
        long missing = 0;
        json_object_foreach(in->inc, num, v) {
                if (!json_object_get(e->first, num) && missing++ < 5)
                        printf("not enriched: %s (CI %s; inc:%s:state %s in "
                               "Redis)\n", num,
                               json_string_value(json_object_get(v, "ci")),
                               num,
                               redis_exists("inc", num, "state")
                                       ? "is"
                                       : "is not");
        }
        fflush(stdout);
        ck_assert_msg(missing == 0, "%ld of %ld incidents never enriched",
                      missing, in->incidents);
        ck_assert_int_eq(e->distinct, in->incidents);
        ck_assert_msg(e->first_not_opened == 0, "%ld incidents' first "
                      "enrichment is not reason \"opened\"",
                      e->first_not_opened);
}

/* ------------------------------------------------------------------ */
/* Redis                                                              */

/* 1 if key kind:id:what exists in the test Redis. */
static int redis_exists(const char *kind, const char *id, const char *what)
{
        char key[512];
        vg_redis_t *r = itest_redis_open();
        vg_redis_key(r, key, sizeof(key), kind, id, what);
        vg_redis_batch_t *b = itest_redis_cmd(r, "EXISTS", key, NULL, NULL);
        int n = (int)vg_redis_reply_int(vg_redis_batch_reply(b, 0));
        vg_redis_batch_destroy(b);
        vg_redis_destroy(r);
        return n > 0;
}

/* ci:{ci}:incidents holds exactly the incidents of each CI of \p in (no
 * more keys either). @returns the number of differences (printed). */
static long ci_windows_diff(const inc_in_t *in)
{
        return itest_windows_diff(in->cis, "ci", "incidents", "CI");
}

/* Over every inccl:{id}:incidents: \p total members, \p distinct
 * incidents, and \p sets: number -> {key: true}. */
static void cluster_windows(long *total, long *distinct, json_t **sets)
{
        vg_redis_t *r = itest_redis_open();
        json_t *keys  = itest_redis_keys(r, "vigie:inccl:*:incidents");
        json_t *by    = json_object(), *v, *k;
        const char *num;
        size_t i;
        *total = 0;
        json_array_foreach(keys, i, k) {
                json_t *got = itest_redis_members(r, json_string_value(k));
                json_object_foreach(got, num, v) {
                        itest_set_add(by, num, json_string_value(k));
                        (*total)++;
                }
                json_decref(got);
        }
        *distinct = (long)json_object_size(by);
        printf("cluster windows: %zu clusters, %ld members, %ld distinct "
               "incidents\n", json_array_size(keys), *total, *distinct);
        json_object_foreach(by, num, v) {
                if (json_object_size(v) > 1) {
                        char *s = json_dumps(v, JSON_COMPACT);
                        printf("  %s in %zu clusters: %s\n", num,
                               json_object_size(v), s);
                        free(s);
                        break;
                }
        }
        fflush(stdout);
        json_decref(keys);
        vg_redis_destroy(r);
        if (sets)
                *sets = by;
        else
                json_decref(by);
}

/* ------------------------------------------------------------------ */
/* e2e                                                                */

/* The numbers of the records of \p path (JSON Lines), as a set. */
static json_t *numbers_of(const char *path)
{
        char *line = NULL;
        size_t cap = 0;
        json_t *set = json_object();
        FILE *fp    = fopen(path, "r");
        while (fp && getline(&line, &cap, fp) != -1) {
                json_t *o = json_loads(line, 0, NULL);
                json_object_set_new(set, json_string_value(json_object_get(
                                                 o, "number")),
                                    json_true());
                json_decref(o);
        }
        free(line);
        if (fp)
                fclose(fp);
        return set;
}

/* For each change-induced incident of \p truth (true_change set) whose
 * change was scored (in \p scored): has it suspects, is the true change
 * the first. */
static void suspects_check(const char *truth, const json_t *scored,
                           const enr_t *e, long *induced, long *with,
                           long *top1)
{
        char line[512];
        FILE *fp = fopen(truth, "r");
        *induced = *with = *top1 = 0;
        ck_assert_ptr_nonnull(fp);
        ck_assert_ptr_nonnull(fgets(line, sizeof(line), fp)); /* header */
        while (fgets(line, sizeof(line), fp)) {
                char *num = strtok(line, ","), *chg = num + strlen(num) + 1;
                if (*chg == ',' || !(chg = strtok(NULL, ",")) ||
                    !json_object_get(scored, chg))
                        continue;
                (*induced)++;
                json_t *sus = json_object_get(json_object_get(e->first, num),
                                              "suspect_changes");
                if (json_array_size(sus) == 0) {
                        printf("%s (caused by %s): no suspect change\n", num,
                               chg);
                        continue;
                }
                (*with)++;
                const char *first = json_string_value(
                        json_object_get(json_array_get(sus, 0), "number"));
                if (first && !strcmp(first, chg))
                        (*top1)++;
                else
                        printf("%s (caused by %s): top suspect %s\n", num,
                               chg, first);
        }
        fclose(fp);
}

/* The incidents of \p in on \p ci opened in [t - days, t]. */
static long ci_incidents_at(const inc_in_t *in, const char *ci, int64_t t,
                            int days)
{
        const char *num;
        json_t *v;
        long n = 0;
        json_object_foreach(json_object_get(in->cis, ci), num, v) {
                int64_t o = json_integer_value(json_object_get(
                        json_object_get(in->inc, num), "opened"));
                n += o >= t - days * DAY_MS && o <= t;
        }
        return n;
}

/* The CI of \p in with the most incidents, and its latest opened_at. */
static const char *busiest_ci(const inc_in_t *in, int64_t *last)
{
        const char *ci, *best = NULL, *num;
        json_t *set, *v;
        json_object_foreach(in->cis, ci, set) {
                if (!best || json_object_size(set) >
                                     json_object_size(json_object_get(
                                             in->cis, best)))
                        best = ci;
        }
        *last = 0;
        json_object_foreach(json_object_get(in->cis, best), num, v) {
                int64_t o = json_integer_value(json_object_get(
                        json_object_get(in->inc, num), "opened"));
                if (o > *last)
                        *last = o;
        }
        return best;
}

/* vigie-change and vigie-incident on one world: changes first (their
 * work entries in ci:{ci}:work), then incidents; then changes on the
 * busiest CI read the incidents vigie-incident counted. */
START_TEST(test_end_to_end)
{
        const char *chg = itest_path("chg.jsonl"), *inc = itest_path("inc.jsonl");
        const char *truth = itest_path("inc.csv");
        const char *clog = itest_path("change.log"), *ilog = itest_path("inc.log");
        const char *scored = itest_path("scored.jsonl");
        const char *extra = itest_path("extra.jsonl");
        inc_in_t in;
        itest_changes_t cin;
        enr_t e;
        long induced, with, top1, total, distinct;
        char t1[32], t2[32];
        json_t *sets;

        /* 1,000 incidents span ~26 days; 800 changes ~33 days, at work
         * before the last incident opens */
        gen_world(chg, inc, truth, 7, &cin, &in);

        pid_t pc = spawn_change(clog), pi = spawn_incident(ilog);
        ck_assert_int_eq(itest_produce("itsm.changes", chg), 0);
        ck_assert_int_eq(itest_wait_committed("vigie-change", "itsm.changes",
                                              cin.records, 90),
                         cin.records);
        ck_assert_int_eq(itest_produce("itsm.incidents", inc), 0);
        ck_assert_int_eq(itest_wait_committed("vigie-incident",
                                              "itsm.incidents", in.records, 90),
                         in.records);
        ck_assert_int_ge(itest_wait_idle("itsm.incidents.enriched",
                                         in.incidents, 30),
                         in.incidents);

        /* vigie-change reads the incidents of a CI as ci_incidents_30d */
        int64_t last;
        const char *ci = busiest_ci(&in, &last);
        int64_t at1 = last + 3600000, at2 = last + 20 * DAY_MS;
        long want1 = ci_incidents_at(&in, ci, at1, 30);
        long want2 = ci_incidents_at(&in, ci, at2, 30);
        fmt_time(at1, t1, sizeof(t1));
        fmt_time(at2, t2, sizeof(t2));
        FILE *fp = fopen(extra, "w");
        for (int i = 0; i < 2; i++)
                fprintf(fp, "{\"number\":\"CHG-CIX%d\",\"state\":\"New\","
                        "\"type\":\"Normal\",\"category\":\"Software\","
                        "\"assignment_group\":\"DBA\",\"cmdb_ci\":\"%s\","
                        "\"opened_at\":\"%s\",\"sys_updated_on\":\"%s\"}\n",
                        i + 1, ci, i ? t2 : t1, i ? t2 : t1);
        fclose(fp);
        ck_assert_int_eq(itest_produce("itsm.changes", extra), 0);
        ck_assert_int_ge(itest_wait_idle("itsm.changes.scored",
                                         cin.scorable + 2, 30),
                         cin.scorable + 2);
        ck_assert_int_eq(itest_stop(pi, SIGTERM), 0);
        ck_assert_int_eq(itest_stop(pc, SIGTERM), 0);

        /* every incident enriched once, first as "opened" */
        consume_enriched("enriched.jsonl", &e);
        assert_every_incident(&e, &in);
        ck_assert_msg(e.n == e.distinct, "%ld enrichments of %ld incidents",
                      e.n, e.distinct);
        ck_assert_int_eq(e.opened, e.distinct);
        ck_assert_int_eq(e.of_resolved, 0);
        ck_assert_int_eq(e.degraded, 0);
        ck_assert_int_eq(itest_end_offsets("itsm.deadletter"), 0);

        /* the change that caused an incident is its top suspect */
        ck_assert_int_eq(itest_consume("itsm.changes.scored", scored),
                         cin.scorable + 2);
        json_t *chg_scored = numbers_of(scored);
        suspects_check(truth, chg_scored, &e, &induced, &with, &top1);
        printf("e2e: %ld incidents, %ld caused by a scored change: %ld with "
               "suspects, true change top-1 for %ld\n", in.incidents,
               induced, with, top1);
        fflush(stdout);
        ck_assert_int_ge(induced, 10);
        ck_assert_int_eq(with, induced);
        ck_assert_msg(top1 * 100 >= induced * 70, "top-1 %ld of %ld", top1,
                      induced);
        json_decref(chg_scored);

        /* the CI and cluster windows hold each incident once */
        ck_assert_int_eq(ci_windows_diff(&in), 0);
        cluster_windows(&total, &distinct, &sets);
        ck_assert_int_eq(total, distinct);
        ck_assert_int_eq(distinct, (long)json_object_size(e.clusters));
        json_decref(sets);

        /* vigie-change counted the CI's incidents */
        char *line = NULL;
        size_t cap = 0;
        long got1 = -1, got2 = -1;
        fp = fopen(scored, "r");
        while (getline(&line, &cap, fp) != -1) {
                json_t *o = json_loads(line, 0, NULL);
                const char *num =
                        json_string_value(json_object_get(o, "number"));
                long c = (long)json_integer_value(
                        json_object_get(o, "ci_incidents_30d"));
                if (!strcmp(num, "CHG-CIX1"))
                        got1 = c;
                else if (!strcmp(num, "CHG-CIX2"))
                        got2 = c;
                json_decref(o);
        }
        free(line);
        fclose(fp);
        printf("e2e: ci_incidents_30d of %s: %ld at %s (want %ld), %ld at %s "
               "(want %ld)\n", ci, got1, t1, want1, got2, t2, want2);
        fflush(stdout);
        ck_assert_int_gt(want1, 0);
        ck_assert_int_eq(got1, want1);
        ck_assert_int_eq(got2, want2);

        /* each resolution learned once; vigie-change learned its own */
        ck_assert(itest_file_contains(ilog, "vigie-incident summary"));
        ck_assert_msg(itest_learned_exactly(ilog, "incident/1", in.resolved),
                      "not n=%ld", in.resolved);
        ck_assert_msg(itest_learned_exactly(clog, "change-ftrl/1",
                                            cin.outcomes),
                      "not n=%ld", cin.outcomes);
        enr_free(&e);
        inc_in_free(&in);
}
END_TEST

/* ------------------------------------------------------------------ */
/* bad_records                                                        */

static void produce_garbage(void)
{
        vg_kafka_t *k = itest_producer();
        itest_produce_raw(k, "itsm.incidents", "INC-G1", "this is not avro",
                          16);
        itest_produce_raw(k, "itsm.incidents", "INC-G2",
                          "\x01\x00\x00\x00\x01xyz", 8);
        ck_assert_int_eq(vg_kafka_close(k, 10000), 0);
}

START_TEST(test_bad_records)
{
        const char *in = itest_path("bad.jsonl"), *more = itest_path("more.jsonl");
        const char *dlq = itest_path("dlq.jsonl"), *log = itest_path("inc.log");
        const char *out = itest_path("out.jsonl");
        FILE *fp = fopen(in, "w");
#define REC(num, extra)                                                        \
        "{\"number\":\"" num "\",\"incident_state\":\"New\",\"cmdb_ci\":"      \
        "\"db-01\",\"category\":\"Database\",\"short_description\":"          \
        "\"Slow queries\",\"opened_at\":\"2025-01-01 10:00:00\","             \
        "\"sys_updated_on\":\"2025-01-01 10:05:00\"" extra "}\n"
        fprintf(fp,
                REC("INC-OK1", "")
                REC("", "")
                REC("INC-NEG", ",\"reopen_count\":-1")
                "{\"number\":\"INC-RES\",\"incident_state\":\"Resolved\","
                "\"cmdb_ci\":\"db-01\",\"u_cause\":\"Software\","
                "\"opened_at\":\"2025-01-02 10:00:00\",\"resolved_at\":"
                "\"2025-01-01 10:00:00\",\"sys_updated_on\":"
                "\"2025-01-02 11:00:00\"}\n"
                "{\"number\":\"INC-FUT\",\"incident_state\":\"New\","
                "\"cmdb_ci\":\"db-01\",\"opened_at\":\"2025-01-01 10:00:00\","
                "\"sys_updated_on\":\"2099-01-01 00:00:00\"}\n"
                REC("INC-OK2", ""));
        fclose(fp);
        fp = fopen(more, "w");
        fprintf(fp, REC("INC-OK3", ""));
        fclose(fp);
#undef REC
        itest_bad_records(&INC, log, in, produce_garbage, more, 6, 2, dlq);
        ck_assert(itest_file_contains(dlq, "number: missing or empty"));
        ck_assert(itest_file_contains(dlq, "reopen_count: negative (-1)"));
        ck_assert(itest_file_contains(dlq, "resolved_at: before opened_at"));
        ck_assert(itest_file_contains(dlq, "sys_updated_on: event time "
                                           "2099-01-01"));
        ck_assert(itest_file_contains(dlq, "event.time.max.ahead.ms"));
        ck_assert_int_eq(itest_count_in_file(dlq, "\"error_class\":"
                                                  "\"VALIDATION\""),
                         4);
        ck_assert_int_eq(itest_count_in_file(dlq, "\"error_class\":"
                                                  "\"DECODE\""),
                         2);
        ck_assert(itest_file_contains(dlq, "magic byte"));
        ck_assert_int_eq(itest_count_in_file(dlq, "\"processor\":"
                                                  "\"vigie-incident\""),
                         6);
        ck_assert_int_eq(itest_count_in_file(dlq, "\"source_topic\":"
                                                  "\"itsm.incidents\""),
                         6);
        ck_assert_int_eq(itest_consume("itsm.incidents.enriched", out), 3);
        ck_assert_int_eq(itest_count_in_file(out, "\"reason\":\"opened\""), 3);
        ck_assert(itest_file_contains(out, "\"number\":\"INC-OK1\""));
        ck_assert(itest_file_contains(out, "\"number\":\"INC-OK2\""));
        ck_assert(itest_file_contains(out, "\"number\":\"INC-OK3\""));
        ck_assert(itest_file_contains(log, "3 update(s): 3 enrichment(s)"));
}
END_TEST

/* ------------------------------------------------------------------ */
/* redis_down                                                         */

START_TEST(test_redis_down)
{
        const char *a = itest_path("a.jsonl"), *b = itest_path("b.jsonl");
        const char *log = itest_path("inc.log");
        inc_in_t ia, all;
        enr_t e;
        long total, distinct;

        itest_gen("incidents", a, NULL, 600, 21, 0, 0);
        itest_gen("incidents", b, NULL, 600, 22, 0, 0);
        itest_renumber(b, "INC", "77");
        memset(&ia, 0, sizeof(ia));
        memset(&all, 0, sizeof(all));
        load_incidents(a, &ia);
        load_incidents(a, &all);
        load_incidents(b, &all);
        ck_assert_int_eq(all.incidents, 1200);
        assert_untrimmed(&all);

        pid_t p = spawn_incident(log);
        ck_assert_int_eq(itest_produce("itsm.incidents", a), 0);
        ck_assert_int_eq(itest_wait_committed("vigie-incident",
                                              "itsm.incidents", ia.records, 90),
                         ia.records);
        /* Redis down for 10 s while the second stream comes in */
        long want = itest_outage_produce(&INC, b, all.incidents - ia.incidents);

        /* Redis is back: the kept writes catch up, the deferred
         * resolutions are learned */
        ck_assert(itest_wait_in_file(log, "caught up", 30));
        itest_finish(&INC, p, all.records, want, 60);

        consume_enriched("enriched.jsonl", &e);
        printf("redis_down: %ld enrichments of %ld incidents, %ld degraded, "
               "%ld of Resolved/Closed records\n", e.n, e.distinct,
               e.degraded, e.of_resolved);
        fflush(stdout);
        /* the counting lines of its summary */
        itest_print_summary(log, "  [0-9]+ update|  resolutions|  alerts:",
                            0);
        ck_assert_int_gt(e.degraded, 0);
        assert_every_incident(&e, &all);
        ck_assert_msg(itest_learned_exactly(log, "incident/1", all.resolved),
                      "not n=%ld", all.resolved);
        ck_assert_int_eq(ci_windows_diff(&all), 0);
        ck_assert_int_eq(itest_end_offsets("itsm.deadletter"), 0);
        /* no crash, no redelivery: each incident published as "opened"
         * once (its first record), none of its Resolved/Closed records
         * enriched (incident.resolved.states), counted in one cluster */
        cluster_windows(&total, &distinct, NULL);
        ck_assert_msg(e.opened == all.incidents && e.of_resolved == 0,
                      "%ld enrichments \"opened\" for %ld incidents, %ld of "
                      "Resolved/Closed records", e.opened, all.incidents,
                      e.of_resolved);
        ck_assert_msg(total == distinct, "%ld cluster window members for %ld "
                      "incidents", total, distinct);
        enr_free(&e);
        inc_in_free(&ia);
        inc_in_free(&all);
}
END_TEST

/* ------------------------------------------------------------------ */
/* sigkill                                                            */

START_TEST(test_sigkill_restart)
{
        const char *in = itest_path("inc.jsonl");
        const char *log1 = itest_path("i1.log"), *log2 = itest_path("i2.log");
        inc_in_t inp;
        enr_t e;
        long total, distinct;
        json_t *sets;

        itest_gen("incidents", in, NULL, 1000, 31, 0, 0);
        memset(&inp, 0, sizeof(inp));
        load_incidents(in, &inp);
        assert_untrimmed(&inp);

        itest_sigkill_restart(&INC, in, inp.records, inp.incidents, "600",
                              log1, log2);
        /* every resolution learned once: the checkpoint's offsets */
        ck_assert_msg(itest_learned_exactly(log2, "incident/1", inp.resolved),
                      "not n=%ld", inp.resolved);
        /* no incident lost */
        consume_enriched("enriched.jsonl", &e);
        printf("sigkill: %ld enrichments of %ld incidents (%ld again), %ld "
               "of Resolved/Closed records\n", e.n, e.distinct,
               e.n - e.distinct, e.of_resolved);
        fflush(stdout);
        assert_every_incident(&e, &inp);
        /* no incident counted twice in a window */
        ck_assert_int_eq(ci_windows_diff(&inp), 0);
        cluster_windows(&total, &distinct, &sets);
        ck_assert_msg(total == distinct, "%ld cluster window members for %ld "
                      "incidents", total, distinct);
        ck_assert_int_le(distinct, inp.incidents);
        json_decref(sets);
        enr_free(&e);
        inc_in_free(&inp);
}
END_TEST

/* ------------------------------------------------------------------ */
/* shared                                                             */

/* vigie-change and vigie-incident on one broker and one Redis, streams
 * merged in time: each is stopped and restarted while the other goes on;
 * each learns its own outcomes exactly once, in its own checkpoint. */
START_TEST(test_shared)
{
        const char *chg = itest_path("chg.jsonl"), *inc = itest_path("inc.jsonl");
        const char *c1 = itest_path("c1.log"), *c2 = itest_path("c2.log");
        const char *i1 = itest_path("i1.log"), *i2 = itest_path("i2.log");
        const char *scored = itest_path("scored.jsonl");
        inc_in_t in;
        itest_changes_t cin;
        enr_t e;

        gen_world(chg, inc, NULL, 9, &cin, &in);

        pid_t pc = spawn_change(c1), pi = spawn_incident(i1);
        ck_assert(itest_wait_in_file(c1, "assigned", 30));
        ck_assert(itest_wait_in_file(i1, "assigned", 30));
        /* both streams over ~8 and ~12 s */
        pid_t prc = itest_produce_paced("itsm.changes", chg, "200",
                                        itest_path("pc.log"));
        pid_t pri = itest_produce_paced("itsm.incidents", inc, "250",
                                        itest_path("pi.log"));
        ck_assert_int_ge(itest_wait_count("itsm.incidents.enriched", 100, 30),
                         100);

        /* vigie-incident stopped: vigie-change goes on */
        ck_assert_int_eq(itest_stop(pi, SIGTERM), 0);
        long s0 = itest_committed("vigie-change", "itsm.changes");
        usleep(1500 * 1000);
        long s1 = itest_committed("vigie-change", "itsm.changes");
        pi = spawn_incident(i2);
        ck_assert(itest_wait_in_file(i2, "assigned", 30));

        /* vigie-change stopped: vigie-incident goes on */
        ck_assert_int_eq(itest_stop(pc, SIGTERM), 0);
        long e0 = itest_committed("vigie-incident", "itsm.incidents");
        usleep(1500 * 1000);
        long e1 = itest_committed("vigie-incident", "itsm.incidents");
        pc = spawn_change(c2);
        printf("shared: vigie-change committed %ld -> %ld of %ld while "
               "vigie-incident was down, vigie-incident %ld -> %ld of %ld "
               "while vigie-change was down\n", s0, s1, cin.records, e0, e1,
               in.records);
        fflush(stdout);
        ck_assert_int_gt(s1, s0);
        ck_assert_int_gt(e1, e0);

        ck_assert_int_eq(itest_wait_pid(prc), 0);
        ck_assert_int_eq(itest_wait_pid(pri), 0);
        ck_assert_int_eq(itest_wait_committed("vigie-change", "itsm.changes",
                                              cin.records, 120),
                         cin.records);
        ck_assert_int_eq(itest_wait_committed("vigie-incident",
                                              "itsm.incidents", in.records,
                                              120),
                         in.records);
        itest_wait_idle("itsm.incidents.enriched", in.incidents, 10);
        /* neither rebalanced the other's group */
        ck_assert_int_eq(itest_count_in_file(i2, "assigned "), 1);
        ck_assert_int_eq(itest_count_in_file(c2, "assigned "), 1);
        ck_assert_int_eq(itest_stop(pi, SIGTERM), 0);
        ck_assert_int_eq(itest_stop(pc, SIGTERM), 0);

        /* each restored its own checkpoint and learned its own once */
        ck_assert(itest_file_contains(i2, "model restored from checkpoint"));
        ck_assert(itest_file_contains(c2, "model restored from checkpoint"));
        ck_assert_msg(itest_learned_exactly(i2, "incident/1", in.resolved),
                      "not n=%ld", in.resolved);
        ck_assert_msg(itest_learned_exactly(c2, "change-ftrl/1", cin.outcomes),
                      "not n=%ld", cin.outcomes);
        vg_redis_t *r = itest_redis_open();
        json_t *keys  = itest_redis_keys(r, "vigie:model:*:checkpoint");
        char *ks      = json_dumps(keys, JSON_COMPACT | JSON_SORT_KEYS);
        printf("shared: checkpoints %s\n", ks);
        ck_assert_int_eq(json_array_size(keys), 2);
        ck_assert(strstr(ks, "vigie:model:change:checkpoint") &&
                  strstr(ks, "vigie:model:incident:checkpoint"));
        free(ks);
        json_decref(keys);
        vg_redis_destroy(r);

        /* nothing lost on either side, each one's keys exact */
        consume_enriched("enriched.jsonl", &e);
        assert_every_incident(&e, &in);
        ck_assert_int_ge(itest_consume("itsm.changes.scored", scored),
                         cin.scorable);
        json_t *nums = numbers_of(scored);
        json_t *want = numbers_of(chg);
        long lost    = 0;
        const char *num;
        json_t *v;
        json_object_foreach(want, num, v) /* changes with an open record */
                lost += !json_object_get(nums, num);
        printf("shared: %zu of %zu changes scored\n", json_object_size(nums),
               json_object_size(want));
        json_decref(nums);
        json_decref(want);
        ck_assert_int_eq(lost, 0);
        ck_assert_int_eq(itest_team_changes_counted(), cin.outcomes);
        ck_assert_int_eq(ci_windows_diff(&in), 0);
        ck_assert_int_eq(itest_end_offsets("itsm.deadletter"), 0);
        enr_free(&e);
        inc_in_free(&in);
}
END_TEST

int main(void)
{
        const itest_case_t cases[] = {
                {"e2e", test_end_to_end},
                {"bad_records", test_bad_records},
                {"redis_down", test_redis_down},
                {"sigkill", test_sigkill_restart},
                {"shared", test_shared},
        };
        return itest_main("incident", cases,
                          (int)(sizeof(cases) / sizeof(cases[0])));
}
