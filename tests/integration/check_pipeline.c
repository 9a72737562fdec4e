/**
 * @file check_pipeline.c
 * @brief Integration tests of the runtime through separate processes:
 *        vigie-ctl produce/consume, the vigie-test-echo processor, a
 *        vigie-broker and a real redis-server (tests/run_with_services.sh).
 *
 * Each TCase runs in its own ctest entry with its own broker and Redis
 * (CK_RUN_CASE), see pipeline.cmake.
 */
#include "vg_avro.h"
#include "vg_conf.h"
#include "vg_itest.h"
#include "vg_kafka.h"
#include "vg_mem.h"
#include "vg_redis.h"
#include "vg_time.h"
#include "vg_utf8.h"

#include <check.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* Data                                                               */

/* Writes \p n ChangeRequest JSON lines numbered from \p first. */
static void write_changes(const char *path, long first, long n)
{
        static const char *types[] = {"Normal", "Standard", "Emergency"};
        static const char *groups[] = {"DBA Oracle", "Network Core",
                                       "Équipe Poste de travail", "SRE"};
        FILE *fp = fopen(path, "w");
        ck_assert_ptr_nonnull(fp);
        for (long i = first; i < first + n; i++) {
                int64_t t = 1735689600000LL + i * 60000LL;
                char ts[40], te[40];
                time_t s = (time_t)(t / 1000), e = s + 7200;
                strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", gmtime(&s));
                strftime(te, sizeof(te), "%Y-%m-%d %H:%M:%S", gmtime(&e));
                fprintf(fp,
                        "{\"number\":\"CHG%07ld\",\"state\":\"Scheduled\","
                        "\"type\":\"%s\",\"category\":\"Software\","
                        "\"assignment_group\":\"%s\",\"cmdb_ci\":"
                        "\"db-ora-prd-%02ld\",\"risk\":\"Moderate\","
                        "\"impact\":\"2 - Medium\",\"priority\":\"3 - "
                        "Moderate\",\"opened_at\":\"%s\",\"start_date\":"
                        "\"%s\",\"end_date\":\"%s\",\"short_description\":"
                        "\"Mise à jour \\\"noyau\\\" ☃ %ld\",\"description\":"
                        "\"line1\\nline2\",\"backout_plan\":%s,"
                        "\"sys_updated_on\":\"%s\"}\n",
                        i, types[i % 3], groups[i % 4], i % 50, ts, ts, te,
                        i, i % 5 ? "\"restore snapshot\"" : "null", ts);
        }
        fclose(fp);
}

static int produce_file(const char *topic, const char *file, const char *log)
{
        char *argv[] = {(char *)itest_bin("vigie-ctl"), "-b",
                        getenv("VG_BOOTSTRAP"), "produce", "-q", "-t",
                        (char *)topic, (char *)file, NULL};
        return itest_run(argv, log);
}

static pid_t spawn_echo(const char *group, const char *log)
{
        static char port[64], gid[64];
        snprintf(port, sizeof(port), "redis.port=%s", getenv("VG_REDIS_PORT"));
        snprintf(gid, sizeof(gid), "group.id=%s", group);
        char *argv[] = {(char *)itest_bin("vigie-test-echo"), "-b",
                        getenv("VG_BOOTSTRAP"), "-X", port, "-X", gid, "-X",
                        "stats.interval.ms=1000", "-X",
                        "kafka.session.timeout.ms=6000", NULL};
        return itest_spawn(argv, log);
}

/* Loads a JSON Lines file into an object keyed by field \p key. */
static json_t *load_by(const char *path, const char *valuekey,
                       const char *key, long *dups)
{
        json_t *all = json_object();
        char *line  = NULL;
        size_t cap  = 0;
        FILE *fp    = fopen(path, "r");
        *dups       = 0;
        ck_assert_ptr_nonnull(fp);
        while (getline(&line, &cap, fp) != -1) {
                json_error_t jerr;
                json_t *o = json_loads(line, 0, &jerr);
                ck_assert_msg(o != NULL, "bad JSON in %s: %s", path, line);
                json_t *v = valuekey ? json_object_get(o, valuekey) : o;
                const char *id = json_string_value(json_object_get(v, key));
                ck_assert_ptr_nonnull(id);
                if (json_object_get(all, id))
                        (*dups)++;
                json_object_set(all, id, v);
                json_decref(o);
        }
        free(line);
        fclose(fp);
        return all;
}

/* ------------------------------------------------------------------ */
/* Round trip                                                         */

static int64_t ts_of(json_t *v)
{
        int64_t ms = -1;
        char errstr[128];
        if (json_is_integer(v))
                return json_integer_value(v);
        if (json_is_string(v))
                vg_time_parse(json_string_value(v), &ms, errstr,
                              sizeof(errstr));
        return ms;
}

static void assert_same_change(const char *id, json_t *in, json_t *out)
{
        const char *k;
        json_t *v;
        json_object_foreach(in, k, v)
        {
                json_t *o = json_object_get(out, k);
                ck_assert_msg(o != NULL, "%s: field %s missing", id, k);
                if (strstr(k, "_at") || strstr(k, "_date") ||
                    !strcmp(k, "sys_updated_on")) {
                        ck_assert_msg(ts_of(v) == ts_of(o),
                                      "%s: %s differs", id, k);
                        continue;
                }
                ck_assert_msg(json_equal(v, o), "%s: field %s: %s != %s", id,
                              k, json_dumps(v, JSON_ENCODE_ANY),
                              json_dumps(o, JSON_ENCODE_ANY));
        }
}

START_TEST(test_roundtrip_100k)
{
        const long n     = 100000;
        const char *in   = itest_path("changes.jsonl");
        const char *out  = itest_path("changes.out.jsonl");
        long dups_in, dups_out;

        write_changes(in, 0, n);
        double t0 = itest_now();
        ck_assert_int_eq(produce_file("itsm.changes", in,
                                      itest_path("produce.log")), 0);
        double t1 = itest_now();
        ck_assert_int_eq(itest_consume("itsm.changes", out), n);
        double t2 = itest_now();
        printf("round trip: produced %ld records in %.2f s (%.0f/s), "
               "consumed in %.2f s (%.0f/s)\n", n, t1 - t0,
               (double)n / (t1 - t0), t2 - t1, (double)n / (t2 - t1));

        json_t *a = load_by(in, NULL, "number", &dups_in);
        json_t *b = load_by(out, NULL, "number", &dups_out);
        ck_assert_int_eq(dups_out, 0);
        ck_assert_int_eq(json_object_size(b), n);
        const char *id;
        json_t *v;
        json_object_foreach(a, id, v)
                assert_same_change(id, v, json_object_get(b, id));
        json_decref(a);
        json_decref(b);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Consumer group: two instances split the partitions                 */

START_TEST(test_group_split_and_rebalance)
{
        const char *in1 = itest_path("in1.jsonl"), *in2 = itest_path("in2.jsonl");
        const char *la = itest_path("a.log"), *lb = itest_path("b.log");
        const char *out = itest_path("out.jsonl");
        long dups;

        write_changes(in1, 0, 20000);
        write_changes(in2, 20000, 20000);
        pid_t a = spawn_echo("g-split", la);
        pid_t b = spawn_echo("g-split", lb);
        ck_assert_int_eq(produce_file("itsm.changes", in1, NULL), 0);
        ck_assert_int_ge(itest_wait_count("itsm.changes.scored", 20000, 60),
                         20000);
        sleep(2); /* several auto-commit intervals: offsets committed */
        /* both members got half of the 8 partitions and did work */
        ck_assert(itest_file_contains(la, "assigned 4 partition(s)"));
        ck_assert(itest_file_contains(lb, "assigned 4 partition(s)"));

        ck_assert_int_eq(itest_stop(b, SIGTERM), 0); /* graceful leave */
        /* the "in=" count of its last stats line */
        ck_assert_int_gt((long)itest_last_number(lb, "fac=stats msg=\"in=",
                                                 NULL),
                         0);
        ck_assert_int_eq(produce_file("itsm.changes", in2, NULL), 0);
        ck_assert_int_ge(itest_wait_idle("itsm.changes.scored", 40000, 90), 40000);
        ck_assert(itest_file_contains(la, "assigned 8 partition(s)"));
        ck_assert_int_eq(itest_stop(a, SIGTERM), 0);

        ck_assert_int_eq(itest_consume("itsm.changes.scored", out), 40000);
        json_t *all = load_by(out, NULL, "number", &dups);
        ck_assert_int_eq(json_object_size(all), 40000);
        ck_assert_int_eq(dups, 0); /* no crash: exactly once */
        json_decref(all);
}
END_TEST

/* ------------------------------------------------------------------ */
/* SIGKILL mid-stream: every input is in the output at least once      */

START_TEST(test_sigkill_restart)
{
        const long n    = 50000;
        const char *c1 = itest_path("c1.jsonl"), *c2 = itest_path("c2.jsonl");
        const char *c3  = itest_path("c3.jsonl");
        const char *out = itest_path("out.jsonl");
        const char *log = itest_path("echo.log");
        long dups;

        write_changes(c1, 0, 10000);
        write_changes(c2, 10000, 10000);
        write_changes(c3, 20000, 30000);
        pid_t p = spawn_echo("g-crash", log);
        ck_assert_int_eq(produce_file("itsm.changes", c1, NULL), 0);
        ck_assert_int_ge(itest_wait_count("itsm.changes.scored", 10000, 60),
                         10000);
        /* killed while the second chunk streams in */
        ck_assert_int_eq(produce_file("itsm.changes", c2, NULL), 0);
        ck_assert_int_eq(itest_stop(p, SIGKILL), 128 + SIGKILL);
        long at_kill = itest_end_offsets("itsm.changes.scored");
        ck_assert_int_eq(produce_file("itsm.changes", c3, NULL), 0);

        p = spawn_echo("g-crash", log);
        ck_assert_int_ge(itest_wait_idle("itsm.changes.scored", n, 120), n);
        ck_assert_int_eq(itest_stop(p, SIGTERM), 0);

        itest_consume("itsm.changes.scored", out);
        json_t *all = load_by(out, NULL, "number", &dups);
        ck_assert_int_eq(json_object_size(all), n); /* none lost */
        printf("sigkill: killed after %ld outputs; %ld duplicate(s) "
               "redelivered after the crash\n", at_kill, dups);
        json_decref(all);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Redis restarted mid-stream: reconnects, nothing lost or doubled     */

START_TEST(test_redis_restart)
{
        const long n    = 30000;
        const char *in1 = itest_path("in1.jsonl"), *in2 = itest_path("in2.jsonl");
        const char *log = itest_path("echo.log");
        char cmd[512], key[256], errstr[256];
        long long cnt = -1;

        write_changes(in1, 0, n / 2);
        write_changes(in2, n / 2, n / 2);
        pid_t p = spawn_echo("g-redis", log);
        ck_assert_int_eq(produce_file("itsm.changes", in1, NULL), 0);
        ck_assert_int_ge(itest_wait_count("itsm.changes.scored", n / 2, 60),
                         n / 2);
        /* Redis goes down for 2 s while the second half streams in. */
        snprintf(cmd, sizeof(cmd), "%s/tests/restart_redis.sh 2 "
                 ">/dev/null 2>&1 &", getenv("VG_SOURCE_DIR"));
        ck_assert_int_eq(system(cmd), 0);
        usleep(300 * 1000);
        ck_assert_int_eq(produce_file("itsm.changes", in2, NULL), 0);
        ck_assert_int_ge(itest_wait_idle("itsm.changes.scored", n, 120), n);
        ck_assert_int_eq(itest_stop(p, SIGTERM), 0);

        vg_redis_conf_t *rc = vg_redis_conf_new();
        vg_redis_conf_set(rc, "port", getenv("VG_REDIS_PORT"), errstr,
                          sizeof(errstr));
        vg_redis_t *r = vg_redis_new(rc, errstr, sizeof(errstr));
        ck_assert_msg(r != NULL, "%s", errstr);
        vg_redis_key(r, key, sizeof(key), "echo", "seen", NULL);
        ck_assert_int_eq(vg_redis_window_count(r, key, INT64_MIN, INT64_MAX,
                                               &cnt, errstr, sizeof(errstr)),
                         VG_OK);
        ck_assert_int_eq(cnt, n); /* every update once: none lost, none
                                   * applied twice */
        ck_assert(itest_file_contains(log, "retrying"));
        vg_redis_destroy(r);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Malformed input: clear error, dead letter, the stream goes on      */

static void produce_raw(vg_kafka_t *k, const void *buf, size_t len)
{
        itest_produce_raw(k, "itsm.changes", "bad", buf, len);
}

/* Encodes one JSON record of \p topic's schema. */
static void encode_json(vg_avro_registry_t *reg, const char *schema,
                        const char *json, void **buf, size_t *len)
{
        char errstr[256];
        avro_value_t v;
        vg_avro_schema_t *sch = vg_avro_registry_by_name(reg, schema);
        vg_avro_schema_value_new(sch, &v);
        ck_assert_int_eq(vg_avro_from_json(sch, json, strlen(json), &v,
                                           errstr, sizeof(errstr)), VG_OK);
        ck_assert_int_eq(vg_avro_encode(sch, &v, buf, len, errstr,
                                        sizeof(errstr)), VG_OK);
        avro_value_decref(&v);
}

START_TEST(test_bad_input_deadletters)
{
        const char *bad = itest_path("bad.jsonl");
        const char *plog = itest_path("produce.log");
        const char *dlq = itest_path("dlq.jsonl"), *out = itest_path("out.jsonl");
        char errstr[256];
        void *buf;
        size_t len;

        /* 1. JSON lines that do not convert: per-line errors, exit 1 */
        FILE *fp = fopen(bad, "w");
        fprintf(fp, "{\"number\":\"CHG-JSON-OK\",\"sys_updated_on\":"
                    "\"2025-01-01 10:00:00\"}\n"
                    "{\"number\": \"CHG-X\", \n"
                    "{\"number\":42,\"sys_updated_on\":\"2025-01-01 10:00:00\"}\n"
                    "{\"state\":\"New\",\"sys_updated_on\":\"2025-01-01\"}\n"
                    "{\"number\":\"CHG-D\",\"sys_updated_on\":\"yesterday\"}\n");
        fclose(fp);
        ck_assert_int_eq(produce_file("itsm.changes", bad, plog), 1);
        ck_assert(itest_file_contains(plog, "bad.jsonl:2: "));
        ck_assert(itest_file_contains(plog, "bad.jsonl:3: number: "));
        ck_assert(itest_file_contains(plog, "bad.jsonl:4: number: required"));
        ck_assert(itest_file_contains(plog, "bad.jsonl:5: sys_updated_on: "));
        ck_assert(itest_file_contains(plog, "produced 1 record(s)"));

        /* 2. bytes that are not a valid record of the topic */
        vg_kafka_t *k = itest_producer();
        vg_avro_registry_t *reg = vg_avro_registry_new(VG_SCHEMA_DIR, NULL,
                                                       errstr, sizeof(errstr));
        ck_assert_ptr_nonnull(reg);
        produce_raw(k, "", 0);                          /* empty */
        produce_raw(k, "\x01\x00\x00\x00\x01xyz", 8);   /* wrong magic */
        produce_raw(k, "\x00\x00\x00\x03\xe7\x02", 6);  /* unknown id 999 */
        encode_json(reg, "ChangeRequest", "{\"number\":\"CHG-T\","
                    "\"sys_updated_on\":1735725600000}", &buf, &len);
        produce_raw(k, buf, len - 3);                   /* truncated */
        vg_free(buf);
        encode_json(reg, "SurveyResponse", "{\"response_id\":\"S1\","
                    "\"submitted_at\":1735725600000}", &buf, &len);
        produce_raw(k, buf, len);                       /* wrong schema */
        vg_free(buf);
        encode_json(reg, "ChangeRequest", "{\"number\":\"POISON\","
                    "\"sys_updated_on\":1735725600000}", &buf, &len);
        produce_raw(k, buf, len);                       /* invalid */
        vg_free(buf);
        encode_json(reg, "ChangeRequest", "{\"number\":\"CHG-GOOD\","
                    "\"sys_updated_on\":1735725600000}", &buf, &len);
        produce_raw(k, buf, len);                       /* good, after */
        vg_free(buf);
        ck_assert_int_eq(vg_kafka_close(k, 10000), 0);

        /* 3. the processor dead-letters six and outputs the two good */
        pid_t p = spawn_echo("g-bad", itest_path("echo.log"));
        ck_assert_int_ge(itest_wait_idle("itsm.deadletter", 6, 60), 6);
        ck_assert_int_ge(itest_wait_idle("itsm.changes.scored", 2, 30), 2);
        ck_assert_int_eq(itest_stop(p, SIGTERM), 0);

        ck_assert_int_eq(itest_consume("itsm.changes.scored", out), 2);
        ck_assert(itest_file_contains(out, "CHG-GOOD"));
        ck_assert(itest_file_contains(out, "CHG-JSON-OK"));
        ck_assert_int_eq(itest_consume("itsm.deadletter", dlq), 6);
        ck_assert(itest_file_contains(dlq, "\"error_class\":\"DECODE\""));
        ck_assert(itest_file_contains(dlq, "magic byte"));
        ck_assert(itest_file_contains(dlq, "unknown schema id 999"));
        ck_assert(itest_file_contains(dlq, "\"error_class\":\"SCHEMA\""));
        ck_assert(itest_file_contains(dlq, "\"error_class\":\"VALIDATION\""));
        ck_assert(itest_file_contains(dlq, "\"source_topic\":\"itsm.changes\""));
        ck_assert(itest_file_contains(dlq, "\"processor\":\"vigie-test-echo\""));
        vg_avro_registry_destroy(reg);
}
END_TEST

/* ------------------------------------------------------------------ */
/* UTF-8: invalid strings are dead-lettered, any key prints as JSON    */

/* Runs vigie-ctl consume ARGS... -o \p out. @returns its exit status. */
static int consume_with(const char *out, const char *a1, const char *a2,
                        const char *a3, const char *a4)
{
        char *argv[] = {(char *)itest_bin("vigie-ctl"), "-b",
                        getenv("VG_BOOTSTRAP"), "consume", "-o", (char *)out,
                        (char *)a1, (char *)a2, (char *)a3, (char *)a4, NULL};
        return itest_run(argv, itest_path("consume-utf8.log"));
}

/* Reads \p path whole (NUL-terminated); vg_free() it. */
static char *read_all(const char *path, size_t *lenp)
{
        FILE *fp  = fopen(path, "rb");
        char *buf = NULL;
        size_t n  = 0, cap = 0, r;
        ck_assert_ptr_nonnull(fp);
        do {
                if (cap - n < 4096)
                        buf = vg_realloc(buf, cap = cap * 2 + 4096);
                r = fread(buf + n, 1, cap - n - 1, fp);
                n += r;
        } while (r > 0);
        fclose(fp);
        buf[n] = '\0';
        *lenp  = n;
        return buf;
}

START_TEST(test_utf8)
{
        const char *dlq = itest_path("dlq.jsonl"), *out = itest_path("out.jsonl");
        const char *meta = itest_path("meta.jsonl"), *fmt = itest_path("fmt.txt");
        const char *log = itest_path("echo.log");
        char errstr[256];
        void *buf;
        size_t len;

        vg_kafka_t *k = itest_producer();
        vg_avro_registry_t *reg = vg_avro_registry_new(VG_SCHEMA_DIR, NULL,
                                                       errstr, sizeof(errstr));
        ck_assert_ptr_nonnull(reg);
        /* 1. "CHG-UTF8-BAD" with its byte 3 made 0xff (an Avro string is
         *    the body's bytes 1..12 after the length), keyed by bytes that
         *    are not UTF-8 either */
        encode_json(reg, "ChangeRequest", "{\"number\":\"CHG-UTF8-BAD\","
                    "\"sys_updated_on\":1735725600000}", &buf, &len);
        ck_assert_int_eq(memcmp((char *)buf + 6, "CHG-UTF8-BAD", 12), 0);
        ((uint8_t *)buf)[6 + 3] = 0xff;
        itest_produce_raw(k, "itsm.changes", "CHG\xff-key", buf, len);
        vg_free(buf);
        /* 2. valid multi-byte UTF-8, under a latin-1 key */
        encode_json(reg, "ChangeRequest", "{\"number\":\"CHG-\xc3\x89t\xc3\xa9"
                    "-\xe2\x98\x83\",\"short_description\":\"Mise \xc3\xa0 "
                    "jour \xf0\x9f\x98\x80\",\"sys_updated_on\":1735725600000}",
                    &buf, &len);
        itest_produce_raw(k, "itsm.changes", "k\xe9y", buf, len);
        vg_free(buf);
        ck_assert_int_eq(vg_kafka_close(k, 10000), 0);

        pid_t p = spawn_echo("g-utf8", log);
        ck_assert_int_ge(itest_wait_idle("itsm.deadletter", 1, 60), 1);
        ck_assert_int_ge(itest_wait_idle("itsm.changes.scored", 1, 30), 1);
        ck_assert_int_eq(itest_stop(p, SIGTERM), 0);

        /* the invalid record is a dead letter that names the field */
        ck_assert_int_eq(itest_consume("itsm.changes.scored", out), 1);
        ck_assert(itest_file_contains(out, "CHG-\xc3\x89t\xc3\xa9-\xe2\x98\x83"));
        ck_assert(itest_file_contains(out, "Mise \xc3\xa0 jour \xf0\x9f\x98\x80"));
        ck_assert_int_eq(itest_consume("itsm.deadletter", dlq), 1);
        ck_assert(itest_file_contains(dlq, "\"error_class\":\"DECODE\""));
        ck_assert(itest_file_contains(dlq, "field \\\"number\\\": invalid "
                                           "UTF-8 at byte 3 (0xff) of 12"));
        /* the processor's log stays UTF-8 */
        char *text = read_all(log, &len);
        ck_assert_msg(vg_utf8_valid(text, len), "echo log not UTF-8 at %zu",
                      vg_utf8_valid_prefix(text, len));
        ck_assert_ptr_nonnull(strstr(text, "invalid UTF-8"));
        vg_free(text);

        /* -m: a line that parses as JSON whatever the key's bytes */
        ck_assert_int_eq(consume_with(meta, "-m", "-t", "itsm.deadletter",
                                      NULL), 0);
        ck_assert_int_eq(itest_count_lines(meta), 1);
        text = read_all(meta, &len);
        json_error_t jerr; /* the DeadLetter's bytes hold \u0000 (valid
                            * JSON, which jansson takes on request) */
        json_t *o = json_loads(text, JSON_ALLOW_NUL, &jerr);
        ck_assert_msg(o != NULL, "-m line is not JSON (%s): %s", jerr.text,
                      text);
        ck_assert_str_eq(json_string_value(json_object_get(o, "key")),
                         "CHG\xef\xbf\xbd-key");
        ck_assert_str_eq(json_string_value(json_object_get(o, "key_hex")),
                         "434847ff2d6b6579");
        ck_assert_str_eq(json_string_value(json_object_get(o, "topic")),
                         "itsm.deadletter");
        ck_assert(json_is_object(json_object_get(o, "value")));
        json_decref(o);
        vg_free(text);
        /* the input topic: the undecodable record is reported, the other
         * one printed with its latin-1 key */
        ck_assert_int_eq(consume_with(meta, "-m", "-t", "itsm.changes", NULL),
                         1);
        ck_assert_int_eq(itest_count_lines(meta), 1);
        ck_assert(itest_file_contains(itest_path("consume-utf8.log"),
                                      "field \"number\": invalid UTF-8"));
        text = read_all(meta, &len);
        o    = json_loads(text, JSON_ALLOW_NUL, &jerr);
        ck_assert_msg(o != NULL, "-m line is not JSON (%s): %s", jerr.text,
                      text);
        ck_assert_str_eq(json_string_value(json_object_get(o, "key")),
                         "k\xef\xbf\xbdy");
        json_decref(o);
        vg_free(text);

        /* -F: every field of a dead letter, enum-like strings and bytes
         * (whose JSON holds \u0000) included */
        ck_assert_int_eq(consume_with(fmt, "-t", "itsm.deadletter", "-F",
                                      "{error_class}|{source_partition}|"
                                      "{original_key}|{processor}|"
                                      "{error_message}\\n"), 0);
        text = read_all(fmt, &len);
        ck_assert_msg(!strncmp(text, "DECODE|", 7), "-F printed: %s", text);
        ck_assert_ptr_nonnull(strstr(text, "|\"CHG\xc3\xbf-key\"|"
                                           "vigie-test-echo|field \"number\": "
                                           "invalid UTF-8 at byte 3"));
        ck_assert_ptr_null(strchr(text, '{'));
        vg_free(text);
        ck_assert_int_eq(consume_with(fmt, "-t", "itsm.deadletter", "-F",
                                      "{original}\\n"), 0);
        ck_assert(itest_file_contains(fmt, "\"\\u0000\\u0000\\u0000\\u0000"));
        vg_avro_registry_destroy(reg);
}
END_TEST

/* ------------------------------------------------------------------ */
/* vigie-broker --port: a fixed bootstrap address                      */

START_TEST(test_broker_fixed_port)
{
        char port[16], boot[32];
        const char *in = itest_path("in.jsonl"), *out = itest_path("out.jsonl");
        const char *blog = itest_path("broker.log");
        int p = 20000 + (int)(getpid() % 20000);

        snprintf(port, sizeof(port), "%d", p);
        snprintf(boot, sizeof(boot), "127.0.0.1:%d", p);
        char *argv[] = {(char *)itest_bin("vigie-broker"), "--port", port,
                        "--partitions", "4", NULL};
        pid_t b = itest_spawn(argv, blog);
        for (int i = 0; i < 100 && !itest_file_contains(blog, boot); i++)
                usleep(50 * 1000);
        ck_assert_msg(itest_file_contains(blog, boot), "broker did not "
                      "print %s", boot);
        write_changes(in, 0, 1000);
        setenv("VG_BOOTSTRAP", boot, 1); /* everything goes through it */
        ck_assert_int_eq(produce_file("itsm.changes", in, NULL), 0);
        ck_assert_int_eq(itest_consume("itsm.changes", out), 1000);
        ck_assert_int_eq(itest_stop(b, SIGTERM), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* CSV export in, the same records out                                 */

/* Writes a ServiceNow-style incident CSV of \p n rows (quoted fields
 * with commas, "" and newlines, ? and empty nulls, both date forms, a
 * column to rename and one to ignore) and, at line *bad_line, a row with
 * an impossible date. @returns the expected records keyed by number. */
static json_t *write_incidents_csv(const char *path, long n, long *bad_line)
{
        json_t *want = json_object();
        FILE *fp     = fopen(path, "w");
        long line    = 1;
        ck_assert_ptr_nonnull(fp);
        fputs("number,incident_state,active,reassignment_count,opened_at,"
              "resolved_at,closed_at,category,description,sys_updated_at\n",
              fp);
        for (long i = 0; i < n; i++) {
                int64_t t = 1456704000000LL + i * 7 * 3600000LL + i * 60000LL;
                time_t s  = (time_t)(t / 1000), r = s + 90;
                struct tm tm;
                char opened[40], resolved[40], num[32], desc[160];
                json_t *o;

                if (i == n / 2) { /* the bad row */
                        *bad_line = ++line;
                        fputs("INC-BAD,New,true,0,30/2/2016 10:00,?,?,?,?,"
                              "30/2/2016 10:00\n", fp);
                }
                gmtime_r(&s, &tm); /* d/m/yyyy H:MM, no padding */
                snprintf(opened, sizeof(opened), "%d/%d/%d %d:%02d",
                         tm.tm_mday, tm.tm_mon + 1, tm.tm_year + 1900,
                         tm.tm_hour, tm.tm_min);
                strftime(resolved, sizeof(resolved), "%Y-%m-%d %H:%M:%S",
                         gmtime_r(&r, &tm));
                snprintf(num, sizeof(num), "INC%07ld", i);
                snprintf(desc, sizeof(desc), "Poste %ld, \"écran\" ☃\n"
                         "seconde ligne", i);
                o = json_pack("{s:s, s:s, s:o, s:I, s:o, s:o, s:o, s:I}",
                              "number", num, "incident_state",
                              i % 3 ? "Active" : "Awaiting User Info",
                              "reassignment_count",
                              i % 5 ? json_integer(i % 7) : json_null(),
                              "opened_at", (json_int_t)t, "resolved_at",
                              i % 4 ? json_integer(r * 1000LL) : json_null(),
                              "category",
                              i % 6 ? json_sprintf("Category %ld", i % 9)
                                    : json_null(),
                              "description",
                              i % 2 ? json_string(desc) : json_null(),
                              "sys_updated_on", (json_int_t)(r * 1000LL));
                json_object_set_new(want, num, o);
                line++;
                fprintf(fp, "%s,\"%s\",%s,", num,
                        json_string_value(json_object_get(o,
                                                          "incident_state")),
                        i % 2 ? "true" : "false");
                if (i % 5)
                        fprintf(fp, "%ld,", i % 7);
                else
                        fputs("?,", fp);
                fprintf(fp, "%s,%s,?,", opened, i % 4 ? resolved : "?");
                if (i % 6)
                        fprintf(fp, "Category %ld,", i % 9);
                else
                        fputc(',', fp);
                if (i % 2) { /* quoted: "" for ", a newline inside */
                        fputs("\"Poste ", fp);
                        fprintf(fp, "%ld, \"\"écran\"\" ☃\nseconde ligne\",",
                                i);
                        line++;
                } else {
                        fputs("?,", fp);
                }
                fprintf(fp, "%s\n", resolved);
        }
        fclose(fp);
        return want;
}

START_TEST(test_csv_roundtrip)
{
        const long n    = 300;
        const char *in  = itest_path("incidents.csv");
        const char *out = itest_path("incidents.out.jsonl");
        const char *log = itest_path("produce-csv.log");
        char bad[160];
        long bad_line = 0, dups;

        json_t *want = write_incidents_csv(in, n, &bad_line);
        char *argv[] = {(char *)itest_bin("vigie-ctl"), "-b",
                        getenv("VG_BOOTSTRAP"), "produce", "-t",
                        "itsm.incidents", "--map",
                        "sys_updated_at=sys_updated_on", (char *)in, NULL};
        ck_assert_int_eq(itest_run(argv, log), 1); /* one row rejected */
        snprintf(bad, sizeof(bad), "incidents.csv:%ld: opened_at: cannot "
                 "parse timestamp \"30/2/2016 10:00\"", bad_line);
        ck_assert_msg(itest_file_contains(log, bad), "no \"%s\" in the log",
                      bad);
        ck_assert(itest_file_contains(log, "incidents.csv: column(s) not "
                                           "in vigie.v1.Incident, ignored: "
                                           "active\n"));
        ck_assert(itest_file_contains(log, "produced 300 record(s)"));
        ck_assert(itest_file_contains(log, "1 line(s) rejected"));

        ck_assert_int_eq(itest_consume("itsm.incidents", out), n);
        json_t *got = load_by(out, NULL, "number", &dups);
        ck_assert_int_eq(dups, 0);
        ck_assert_int_eq(json_object_size(got), n);
        const char *id, *k;
        json_t *w, *v;
        json_object_foreach(want, id, w)
        {
                json_t *o = json_object_get(got, id);
                ck_assert_msg(o != NULL, "%s not consumed", id);
                json_object_foreach(w, k, v)
                {
                        json_t *g = json_object_get(o, k);
                        ck_assert_msg(g != NULL, "%s: no field %s", id, k);
                        if (json_is_integer(v) && strstr(k, "_count") == NULL) {
                                ck_assert_msg(ts_of(g) == json_integer_value(v),
                                              "%s: %s differs", id, k);
                                continue;
                        }
                        ck_assert_msg(json_equal(v, g), "%s: field %s: %s != "
                                      "%s", id, k,
                                      json_dumps(v, JSON_ENCODE_ANY),
                                      json_dumps(g, JSON_ENCODE_ANY));
                }
                /* fields no column fills are null */
                ck_assert(json_is_null(json_object_get(o, "u_cause")));
                ck_assert(json_is_null(json_object_get(o, "closed_at")));
        }
        json_decref(want);
        json_decref(got);
}
END_TEST

/* ------------------------------------------------------------------ */
/* vigie-ctl feedback, read back with vigie-ctl consume               */

/* Runs vigie-ctl feedback INCIDENT ARGS... (NULL-terminated, at most 10),
 * output to \p log. @returns its exit status. */
static int feedback_run(const char *log, const char *incident, ...)
{
        char *argv[16] = {(char *)itest_bin("vigie-ctl"), "-b",
                          getenv("VG_BOOTSTRAP"), "feedback",
                          (char *)incident};
        int n = 5;
        va_list ap;

        va_start(ap, incident);
        for (const char *a; n < 15 && (a = va_arg(ap, const char *));)
                argv[n++] = (char *)a;
        va_end(ap);
        argv[n] = NULL;
        return itest_run(argv, log);
}

/* The feedback id printed on the success line in \p log ("feedback ID
 * ..."), into \p id. */
static void printed_id(const char *log, char *id, size_t size)
{
        size_t len;
        char *text = read_all(log, &len), *p = strstr(text, "feedback ");

        ck_assert_msg(p != NULL, "no success line in %s: %s", log, text);
        snprintf(id, size, "%.*s", (int)strcspn(p + 9, " "), p + 9);
        vg_free(text);
}

START_TEST(test_feedback)
{
        const char *out = itest_path("feedback.jsonl");
        const char *log1 = itest_path("feedback1.log");
        const char *log2 = itest_path("feedback2.log");
        const char *bad = itest_path("feedback-bad.log");
        char id1[64], id2[64];
        long dups;

        ck_assert_int_eq(feedback_run(log1, "INC0010001", "--confirm",
                                      "CHG0000123", "--by", "j.martin",
                                      "--comment", "rollback fixed it ☃",
                                      "--at", "2025-03-01 10:00:00", NULL),
                         0);
        ck_assert(itest_file_contains(log1, " CONFIRM_CHANGE INC0010001 -> "
                                            "CHG0000123 delivered to "
                                            "itsm.feedback ["));
        ck_assert(itest_file_contains(log1, "] at offset 0\n"));
        printed_id(log1, id1, sizeof(id1));
        ck_assert_int_eq(strlen(id1), 19);
        ck_assert(!strncmp(id1, "fb-", 3));
        ck_assert_int_eq(feedback_run(log2, "INC0010001", "--sub-cause",
                                      "Firmware", "--id", "fb-custom",
                                      "--at", "2025-03-01T11:30:00+01:00",
                                      NULL),
                         0);
        ck_assert(itest_file_contains(log2, "feedback fb-custom "
                                            "SET_SUB_CAUSE INC0010001 -> "
                                            "Firmware delivered to "
                                            "itsm.feedback ["));
        ck_assert(itest_file_contains(log2, "] at offset 1\n"));
        printed_id(log2, id2, sizeof(id2));
        /* usage errors: exit 2, nothing sent */
        ck_assert_int_eq(feedback_run(bad, "INC0010002", NULL), 2);
        ck_assert(itest_file_contains(bad, "an action is required"));
        ck_assert_int_eq(feedback_run(bad, "INC0010002", "--reject", "C1",
                                      "--group", "G", NULL), 2);
        ck_assert_int_eq(feedback_run(bad, "INC0010002", "--reject", "C1",
                                      "--at", "yesterday", NULL), 2);
        ck_assert(itest_file_contains(bad, "--at: cannot parse timestamp"));

        ck_assert_int_eq(consume_with(out, "-m", "-t", "itsm.feedback", NULL),
                         0);
        ck_assert_int_eq(itest_count_lines(out), 2);
        json_t *got = load_by(out, "value", "feedback_id", &dups);
        ck_assert_int_eq(dups, 0);
        ck_assert_int_eq(json_object_size(got), 2);

        json_t *a = json_object_get(got, id1), *b = json_object_get(got, id2);
        ck_assert_msg(a && b, "feedback %s or %s not consumed", id1, id2);
        ck_assert_str_eq(json_string_value(json_object_get(a, "incident")),
                         "INC0010001");
        ck_assert_str_eq(json_string_value(json_object_get(a, "action")),
                         "CONFIRM_CHANGE");
        ck_assert_str_eq(json_string_value(json_object_get(a, "change")),
                         "CHG0000123");
        ck_assert(json_is_null(json_object_get(a, "value")));
        ck_assert_str_eq(json_string_value(json_object_get(a, "responder")),
                         "j.martin");
        ck_assert_str_eq(json_string_value(json_object_get(a, "comment")),
                         "rollback fixed it ☃");
        ck_assert_int_eq(ts_of(json_object_get(a, "created_at")),
                         1740823200000LL);
        ck_assert_str_eq(json_string_value(json_object_get(b, "action")),
                         "SET_SUB_CAUSE");
        ck_assert_str_eq(json_string_value(json_object_get(b, "value")),
                         "Firmware");
        ck_assert(json_is_null(json_object_get(b, "change")));
        ck_assert(json_is_null(json_object_get(b, "responder")));
        ck_assert(json_is_null(json_object_get(b, "comment")));
        ck_assert_int_eq(ts_of(json_object_get(b, "created_at")),
                         1740825000000LL);
        json_decref(got);

        /* keyed by the incident: both on one partition, in order */
        ck_assert(itest_file_contains(out, "\"offset\":0,\"key\":"
                                           "\"INC0010001\""));
        ck_assert(itest_file_contains(out, "\"offset\":1,\"key\":"
                                           "\"INC0010001\""));
}
END_TEST

/* ------------------------------------------------------------------ */
/* vigie-ctl produce --merge: two inputs, one stream in event time     */

#define MERGE_N 40

/* The merged stream, in the order it must be produced: event k is a
 * change or an incident (its short_description says "merge #k"), at
 * minute k, but for a tie (10: a change, 11: an incident at the same
 * time: the input given first wins) and a record written late in the
 * change file (21, 30 min before 20: it follows 20, its predecessor in
 * its file). */
static int merge_is_change(int k)
{
        if (k == 10 || k == 20 || k == 21)
                return 1;
        if (k == 11)
                return 0;
        return (k * 5) % 7 >= 3;
}

static int64_t merge_time(int k)
{
        const int64_t t0 = 1735689600000LL; /* 2025-01-01 */
        if (k == 11)
                return merge_time(10);
        if (k == 21)
                return merge_time(20) - 1800000LL;
        return t0 + k * 60000LL;
}

/* Writes the change and incident files of the merged stream, with a
 * record that does not convert at line *bad_line of the incident file. */
static void write_merge_inputs(const char *chg, const char *inc,
                               long *bad_line)
{
        FILE *fc = fopen(chg, "w"), *fi = fopen(inc, "w");
        long iline = 0;
        ck_assert_ptr_nonnull(fc);
        ck_assert_ptr_nonnull(fi);
        for (int k = 0; k < MERGE_N; k++) {
                time_t s = (time_t)(merge_time(k) / 1000);
                char ts[40];
                strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", gmtime(&s));
                if (merge_is_change(k)) {
                        fprintf(fc, "{\"number\":\"CHG%07d\",\"category\":"
                                    "\"Software\",\"short_description\":"
                                    "\"merge #%d\",\"sys_updated_on\":"
                                    "\"%s\"}\n", k, k, ts);
                        continue;
                }
                if (++iline == 4) { /* the bad line, between two others */
                        fprintf(fi, "{\"number\":42,\"sys_updated_on\":"
                                    "\"%s\"}\n", ts);
                        *bad_line = iline++;
                }
                fprintf(fi, "{\"number\":\"INC%07d\",\"category\":"
                            "\"Software\",\"short_description\":\"merge "
                            "#%d\",\"sys_updated_on\":\"%s\"}\n", k, k, ts);
        }
        fclose(fc);
        fclose(fi);
}

/* The "merge #k" of each record of \p topic consumed with -m into
 * \p out, by offset (one partition). @returns the count. */
static int merge_seqs(const char *topic, const char *out, int *seq_at,
                      int max)
{
        char *argv[] = {(char *)itest_bin("vigie-ctl"), "-b",
                        getenv("VG_BOOTSTRAP"), "consume", "-m", "-t",
                        (char *)topic, "-o", (char *)out, NULL};
        char *line = NULL;
        size_t cap = 0;
        int n      = 0, part = -1;

        ck_assert_int_eq(itest_run(argv, itest_path("consume.log")), 0);
        FILE *fp = fopen(out, "r");
        ck_assert_ptr_nonnull(fp);
        while (getline(&line, &cap, fp) != -1) {
                json_error_t jerr;
                json_t *o = json_loads(line, 0, &jerr);
                ck_assert_msg(o != NULL, "bad JSON: %s", line);
                json_t *v = json_object_get(o, "value");
                const char *num = json_string_value(
                        json_object_get(v, "number"));
                const char *d = json_string_value(
                        json_object_get(v, "short_description"));
                json_t *jo = json_object_get(o, "offset");
                json_t *jp = json_object_get(o, "partition");
                int off    = (int)json_integer_value(jo);
                int p      = (int)json_integer_value(jp);
                ck_assert_msg(num && d && !strncmp(d, "merge #", 7),
                              "unexpected record in %s: %s", topic, line);
                /* the right topic: CHG to changes, INC to incidents */
                ck_assert_msg(!strncmp(num, strcmp(topic, "itsm.changes")
                                                    ? "INC" : "CHG", 3),
                              "%s in %s", num, topic);
                ck_assert_msg(part < 0 || p == part, "%s: two partitions "
                              "(keyed by category: one expected)", topic);
                part = p;
                ck_assert_int_lt(off, max);
                seq_at[off] = atoi(d + 7);
                n++;
                json_decref(o);
        }
        free(line);
        fclose(fp);
        return n;
}

START_TEST(test_produce_merge)
{
        const char *chg = itest_path("changes.jsonl");
        const char *inc = itest_path("incidents.jsonl");
        const char *log = itest_path("produce-merge.log");
        int chg_seq[MERGE_N], inc_seq[MERGE_N], nchg = 0, ninc = 0;
        int64_t ts_of_seq[MERGE_N];
        char want[256], merge_c[512], merge_i[512], errstr[256];
        long bad_line = 0;

        for (int k = 0; k < MERGE_N; k++) {
                nchg += merge_is_change(k);
                ts_of_seq[k] = -1;
        }
        ninc = MERGE_N - nchg;
        write_merge_inputs(chg, inc, &bad_line);
        snprintf(merge_c, sizeof(merge_c), "itsm.changes=%s", chg);
        snprintf(merge_i, sizeof(merge_i), "itsm.incidents=%s", inc);
        /* 100 records/s: the merged stream takes 0.4 s; keyed by
         * category (the same for all): one partition per topic */
        char *argv[] = {(char *)itest_bin("vigie-ctl"), "-b",
                        getenv("VG_BOOTSTRAP"), "produce", "--merge",
                        merge_c, "--merge", merge_i, "-r", "100", "-k",
                        "category", NULL};
        ck_assert_int_eq(itest_run(argv, log), 1); /* one line rejected */
        snprintf(want, sizeof(want), "incidents.jsonl:%ld: number: ",
                 bad_line);
        ck_assert_msg(itest_file_contains(log, want), "no \"%s\" in the log",
                      want);
        snprintf(want, sizeof(want), "produced %d record(s) in event-time "
                 "order (acknowledged): %d to itsm.changes, %d to "
                 "itsm.incidents; 1 line(s) rejected (0 for itsm.changes, 1 "
                 "for itsm.incidents)\n", MERGE_N, nchg, ninc);
        ck_assert_msg(itest_file_contains(log, want), "no \"%s\" in the log",
                      want);

        /* each topic holds its records, in its file's order */
        ck_assert_int_eq(merge_seqs("itsm.changes",
                                    itest_path("changes.out.jsonl"),
                                    chg_seq, MERGE_N), nchg);
        ck_assert_int_eq(merge_seqs("itsm.incidents",
                                    itest_path("incidents.out.jsonl"),
                                    inc_seq, MERGE_N), ninc);
        for (int i = 1; i < nchg; i++)
                ck_assert_int_gt(chg_seq[i], chg_seq[i - 1]);
        for (int i = 1; i < ninc; i++)
                ck_assert_int_gt(inc_seq[i], inc_seq[i - 1]);

        /* across topics, the produce time (the records' Kafka timestamps)
         * follows the merged order */
        vg_conf_t *conf = vg_conf_new(NULL);
        vg_conf_set(conf, "bootstrap.servers", getenv("VG_BOOTSTRAP"), errstr,
                    sizeof(errstr));
        const char *topics[] = {"itsm.changes", "itsm.incidents"};
        vg_kafka_t *k = vg_kafka_new(conf, NULL, topics, 2,
                                     VG_KAFKA_F_READALL, errstr,
                                     sizeof(errstr));
        ck_assert_msg(k != NULL, "%s", errstr);
        vg_kafka_rec_t recs[64];
        int got = 0;
        double t0 = itest_now();
        while (got < MERGE_N && itest_now() - t0 < 30) {
                int n = vg_kafka_consume(k, recs, 64, 200);
                for (int i = 0; i < n; i++) {
                        int c     = !strcmp(recs[i].topic, "itsm.changes");
                        int64_t o = recs[i].offset;
                        ck_assert_int_lt(o, c ? nchg : ninc);
                        ts_of_seq[c ? chg_seq[o] : inc_seq[o]] =
                                recs[i].timestamp;
                        got++;
                        vg_kafka_rec_done(k, &recs[i]);
                }
        }
        vg_kafka_close(k, 1000);
        vg_conf_destroy(conf);
        ck_assert_int_eq(got, MERGE_N);
        for (int s = 1; s < MERGE_N; s++)
                ck_assert_msg(ts_of_seq[s] >= ts_of_seq[s - 1],
                              "merge #%d produced before #%d (%lld < %lld "
                              "ms)", s, s - 1, (long long)ts_of_seq[s],
                              (long long)ts_of_seq[s - 1]);
        /* -r paces the merged stream: record k goes at k / 100 s */
        ck_assert_msg(ts_of_seq[MERGE_N - 1] - ts_of_seq[0] >=
                              (MERGE_N - 1) * 10 - 5,
                      "40 records at 100/s took %lld ms",
                      (long long)(ts_of_seq[MERGE_N - 1] - ts_of_seq[0]));
}
END_TEST

int main(void)
{
        const itest_case_t cases[] = {
                {"roundtrip", test_roundtrip_100k},
                {"group", test_group_split_and_rebalance},
                {"sigkill", test_sigkill_restart},
                {"redis_restart", test_redis_restart},
                {"bad_input", test_bad_input_deadletters},
                {"fixed_port", test_broker_fixed_port},
                {"utf8", test_utf8},
                {"csv", test_csv_roundtrip},
                {"feedback", test_feedback},
                {"produce_merge", test_produce_merge},
        };
        return itest_main("pipeline", cases,
                          (int)(sizeof(cases) / sizeof(cases[0])));
}
