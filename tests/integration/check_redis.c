/*
 * Integration tests of vg_redis against the private redis-server started by
 * tests/run_with_services.sh --redis (VG_REDIS_HOST, VG_REDIS_PORT,
 * VG_REDIS_PIDFILE). Uses DB 9 and refuses to run if it is not empty.
 * The "Auth" case starts a second redis-server of its own, with a
 * password (requirepass), on a free loopback port.
 */
#include "vg_alerts.h"
#include "vg_itest.h"
#include "vg_mem.h"
#include "vg_redis.h"
#include "vg_store.h"

#include <check.h>

#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TEST_DB "9"

static int64_t now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

        nanosleep(&ts, NULL);
}

static vg_redis_conf_t *test_conf(void)
{
        vg_redis_conf_t *conf = vg_redis_conf_new();
        char errstr[256];

        ck_assert(!vg_redis_conf_set(conf, "host", getenv("VG_REDIS_HOST"),
                                     errstr, sizeof(errstr)));
        ck_assert(!vg_redis_conf_set(conf, "port", getenv("VG_REDIS_PORT"),
                                     errstr, sizeof(errstr)));
        ck_assert(!vg_redis_conf_set(conf, "db", TEST_DB, errstr,
                                     sizeof(errstr)));
        return conf;
}

static vg_redis_t *test_connect(void)
{
        vg_redis_conf_t *conf = test_conf();
        char errstr[256];
        vg_redis_t *r = vg_redis_new(conf, errstr, sizeof(errstr));

        ck_assert_msg(r != NULL, "connect: %s", errstr);
        return r;
}

static void exec_ok(vg_redis_t *r, vg_redis_batch_t *b)
{
        char errstr[256];
        vg_err_t err = vg_redis_batch_exec(r, b, errstr, sizeof(errstr));

        ck_assert_msg(err == VG_OK, "exec: %s: %s", vg_err_name(err), errstr);
}

/* One integer command, checked. */
static long long cmd_int(vg_redis_t *r, const char *a0, const char *a1)
{
        vg_redis_batch_t *b = vg_redis_batch_new();
        long long v;

        vg_redis_batch_cmd(b, a0, a1, NULL);
        exec_ok(r, b);
        ck_assert_int_eq(vg_redis_reply_type(vg_redis_batch_reply(b, 0)),
                         VG_REDIS_R_INT);
        v = vg_redis_reply_int(vg_redis_batch_reply(b, 0));
        vg_redis_batch_destroy(b);
        return v;
}

START_TEST(test_pipeline_10k)
{
        vg_redis_t *r       = test_connect();
        vg_redis_batch_t *b = vg_redis_batch_new();
        char key[128], member[32];
        const size_t n = 9999;
        int64_t t0;

        vg_redis_key(r, key, sizeof(key), VG_REDIS_K_TEAM, "pipeline",
                     VG_REDIS_S_CHANGES);
        for (size_t i = 0; i < n; i++) {
                snprintf(member, sizeof(member), "CHG%06zu", i);
                ck_assert_uint_eq(vg_redis_batch_window_add(
                                          b, key, (int64_t)(n - i), member),
                                  i);
        }
        vg_redis_batch_cmd(b, "ZCARD", key, NULL);
        ck_assert_uint_eq(vg_redis_batch_cnt(b), 10000);

        t0 = now_ms();
        exec_ok(r, b);
        printf("redis: batch of 10000 commands (first run): %" PRId64
               " ms\n", now_ms() - t0);
        for (size_t i = 0; i < n; i++)
                ck_assert_int_eq(
                        vg_redis_reply_int(vg_redis_batch_reply(b, i)), 1);
        ck_assert_int_eq(vg_redis_reply_int(vg_redis_batch_reply(b, n)),
                         (long long)n);
        ck_assert_ptr_null(vg_redis_batch_reply(b, n + 1));

        /* The same batch again (a retry): nothing is added twice. */
        t0 = now_ms();
        exec_ok(r, b);
        printf("redis: batch of 10000 commands (re-run): %" PRId64 " ms\n",
               now_ms() - t0);
        for (size_t i = 0; i < n; i++)
                ck_assert_int_eq(
                        vg_redis_reply_int(vg_redis_batch_reply(b, i)), 0);
        ck_assert_int_eq(vg_redis_reply_int(vg_redis_batch_reply(b, n)),
                         (long long)n);
        vg_redis_batch_destroy(b);
        vg_redis_destroy(r);
}
END_TEST

START_TEST(test_reply_types)
{
        vg_redis_t *r       = test_connect();
        vg_redis_batch_t *b = vg_redis_batch_new();
        static const char bin[] = "a\0b\r\n$3\r\n*\xff";
        const size_t binlen     = sizeof(bin) - 1;
        const char *argv[]      = {"SET", "vg:t:bin", bin};
        size_t argvlen[]        = {3, 8, binlen};
        const vg_redis_reply_t *rep;
        size_t len;

        vg_redis_batch_argv(b, 3, argv, argvlen);             /* 0 status */
        vg_redis_batch_blob_get(b, "vg:t:bin");               /* 1 string */
        vg_redis_batch_blob_get(b, "vg:t:absent");            /* 2 nil */
        vg_redis_batch_cmd(b, "LPUSH", "vg:t:bin", "x", NULL); /* 3 error */
        vg_redis_batch_cmd(b, "STRLEN", "vg:t:bin", NULL);    /* 4 int */
        vg_redis_batch_window_members(b, "vg:t:absent", 0, 1, 0, 0); /* 5 */
        ck_assert_ptr_null(vg_redis_batch_reply(b, 0)); /* not executed */
        exec_ok(r, b);

        rep = vg_redis_batch_reply(b, 0);
        ck_assert_int_eq(vg_redis_reply_type(rep), VG_REDIS_R_STATUS);
        ck_assert_str_eq(vg_redis_reply_str(rep, NULL), "OK");
        rep = vg_redis_batch_reply(b, 1);
        ck_assert_int_eq(vg_redis_reply_type(rep), VG_REDIS_R_STRING);
        ck_assert_mem_eq(vg_redis_reply_str(rep, &len), bin, binlen);
        ck_assert_uint_eq(len, binlen);
        ck_assert_int_eq(vg_redis_reply_type(vg_redis_batch_reply(b, 2)),
                         VG_REDIS_R_NIL);
        rep = vg_redis_batch_reply(b, 3);
        ck_assert_int_eq(vg_redis_reply_type(rep), VG_REDIS_R_ERROR);
        ck_assert(!strncmp(vg_redis_reply_str(rep, NULL), "WRONGTYPE", 9));
        ck_assert_int_eq(vg_redis_reply_int(vg_redis_batch_reply(b, 4)),
                         (long long)binlen);
        rep = vg_redis_batch_reply(b, 5);
        ck_assert_int_eq(vg_redis_reply_type(rep), VG_REDIS_R_ARRAY);
        ck_assert_uint_eq(vg_redis_reply_nelem(rep), 0);
        ck_assert_ptr_null(vg_redis_reply_elem(rep, 0));
        /* Accessors on the wrong type or NULL are harmless. */
        ck_assert_int_eq(vg_redis_reply_type(NULL), VG_REDIS_R_NONE);
        ck_assert_ptr_null(vg_redis_reply_str(vg_redis_batch_reply(b, 4),
                                              NULL));
        ck_assert_int_eq(vg_redis_reply_int(vg_redis_batch_reply(b, 1)), 0);

        /* An empty batch succeeds without I/O. */
        vg_redis_batch_reset(b);
        exec_ok(r, b);
        ck_assert_ptr_null(vg_redis_batch_reply(b, 0));
        vg_redis_batch_destroy(b);
        vg_redis_destroy(r);
}
END_TEST

START_TEST(test_window_event_time)
{
        vg_redis_t *r = test_connect();
        /* Out of order, with duplicates (same event delivered twice). */
        static const struct { int64_t ts; const char *id; } ev[] = {
                {5000, "CHG5"}, {1000, "CHG1"}, {9000, "CHG9"},
                {3000, "CHG3"}, {1000, "CHG1"}, {7000, "CHG7"},
                {5000, "CHG5"}, {2000, "CHG2"}, {9000, "CHG9"},
        };
        static const int added[] = {1, 1, 1, 1, 0, 1, 0, 1, 0};
        char key[128], errstr[256], **m;
        long long cnt;
        size_t n;
        int a;

        vg_redis_key(r, key, sizeof(key), VG_REDIS_K_CI, "srv-01",
                     VG_REDIS_S_FAILED);
        ck_assert_str_eq(key, "vigie:ci:srv-01:failed");
        for (size_t i = 0; i < sizeof(ev) / sizeof(ev[0]); i++) {
                ck_assert(!vg_redis_window_add(r, key, ev[i].ts, ev[i].id, &a,
                                               errstr, sizeof(errstr)));
                ck_assert_int_eq(a, added[i]);
        }
        /* Windows by event time, both ends inclusive. */
        ck_assert(!vg_redis_window_count(r, key, 0, 10000, &cnt, errstr,
                                         sizeof(errstr)));
        ck_assert_int_eq(cnt, 6);
        ck_assert(!vg_redis_window_count(r, key, 2000, 5000, &cnt, errstr,
                                         sizeof(errstr)));
        ck_assert_int_eq(cnt, 3);
        ck_assert(!vg_redis_window_count(r, key, 5001, 6999, &cnt, errstr,
                                         sizeof(errstr)));
        ck_assert_int_eq(cnt, 0);

        /* A late event lands in its own window. */
        ck_assert(!vg_redis_window_add(r, key, 6000, "CHG6", &a, errstr,
                                       sizeof(errstr)));
        ck_assert(!vg_redis_window_count(r, key, 5001, 6999, &cnt, errstr,
                                         sizeof(errstr)));
        ck_assert_int_eq(cnt, 1);

        ck_assert(!vg_redis_window_members(r, key, 2000, 7000, 3, &m, &n,
                                           errstr, sizeof(errstr)));
        ck_assert_uint_eq(n, 3);
        ck_assert_str_eq(m[0], "CHG2");
        ck_assert_str_eq(m[1], "CHG3");
        ck_assert_str_eq(m[2], "CHG5");
        ck_assert_ptr_null(m[3]);
        vg_redis_strv_free(m);
        vg_redis_strv_free(NULL);

        /* Trim strictly before 3000 (relative to event time 9000 - 6000). */
        ck_assert(!vg_redis_window_trim(r, key, 3000, &cnt, errstr,
                                        sizeof(errstr)));
        ck_assert_int_eq(cnt, 2);
        ck_assert(!vg_redis_window_count(r, key, 0, 10000, &cnt, errstr,
                                         sizeof(errstr)));
        ck_assert_int_eq(cnt, 5);
        vg_redis_destroy(r);
}
END_TEST

START_TEST(test_window_batch_withscores)
{
        vg_redis_t *r       = test_connect();
        vg_redis_batch_t *b = vg_redis_batch_new();
        const vg_redis_reply_t *rep;
        size_t i0, i1;

        vg_redis_batch_window_add(b, "vg:t:ws", 200, "B");
        vg_redis_batch_window_add(b, "vg:t:ws", 100, "A");
        i0 = vg_redis_batch_window_members(b, "vg:t:ws", 0, 1000, 0, 1);
        i1 = vg_redis_batch_window_count(b, "vg:t:ws", 150, 1000);
        exec_ok(r, b);
        rep = vg_redis_batch_reply(b, i0);
        ck_assert_uint_eq(vg_redis_reply_nelem(rep), 4);
        ck_assert_str_eq(vg_redis_reply_str(vg_redis_reply_elem(rep, 0),
                                            NULL), "A");
        ck_assert_str_eq(vg_redis_reply_str(vg_redis_reply_elem(rep, 1),
                                            NULL), "100");
        ck_assert_str_eq(vg_redis_reply_str(vg_redis_reply_elem(rep, 3),
                                            NULL), "200");
        ck_assert_int_eq(vg_redis_reply_int(vg_redis_batch_reply(b, i1)), 1);
        vg_redis_batch_destroy(b);
        vg_redis_destroy(r);
}
END_TEST

START_TEST(test_blob_ttl)
{
        vg_redis_t *r = test_connect();
        vg_redis_batch_t *b;
        static const char feat[] = "\x01\x00\x02\x00 features \r\n";
        char errstr[256];
        void *data;
        size_t len;
        long long ttl;

        ck_assert(!vg_redis_blob_set(r, "vg:t:blob", feat, sizeof(feat), 3600,
                                     errstr, sizeof(errstr)));
        ttl = cmd_int(r, "TTL", "vg:t:blob");
        ck_assert_msg(ttl > 3590 && ttl <= 3600, "ttl %lld", ttl);
        ck_assert(!vg_redis_blob_get(r, "vg:t:blob", &data, &len, errstr,
                                     sizeof(errstr)));
        ck_assert_uint_eq(len, sizeof(feat));
        ck_assert_mem_eq(data, feat, sizeof(feat));
        vg_free(data);

        /* No TTL. */
        ck_assert(!vg_redis_blob_set(r, "vg:t:blob0", "x", 1, 0, errstr,
                                     sizeof(errstr)));
        ck_assert_int_eq(cmd_int(r, "TTL", "vg:t:blob0"), -1);

        /* Absent, then expired. */
        ck_assert_int_eq(vg_redis_blob_get(r, "vg:t:none", &data, &len,
                                           errstr, sizeof(errstr)),
                         VG_ERR_NOENT);
        b = vg_redis_batch_new();
        vg_redis_batch_blob_set(b, "vg:t:short", "y", 1, 1);
        exec_ok(r, b);
        sleep_ms(1100);
        ck_assert_int_eq(vg_redis_blob_get(r, "vg:t:short", &data, &len,
                                           errstr, sizeof(errstr)),
                         VG_ERR_NOENT);
        vg_redis_batch_destroy(b);
        vg_redis_destroy(r);
}
END_TEST

START_TEST(test_mark_once)
{
        vg_redis_t *r       = test_connect();
        vg_redis_batch_t *b = vg_redis_batch_new();
        vg_redis_batch_t *o = vg_redis_batch_new();
        char errstr[256];
        long long ttl;
        size_t i, j;
        int fresh;

        ck_assert(!vg_redis_mark_once(r, "vg:t:mark1", 600, &fresh, errstr,
                                      sizeof(errstr)));
        ck_assert_int_eq(fresh, 1);
        ck_assert(!vg_redis_mark_once(r, "vg:t:mark1", 600, &fresh, errstr,
                                      sizeof(errstr)));
        ck_assert_int_eq(fresh, 0);
        ttl = cmd_int(r, "TTL", "vg:t:mark1");
        ck_assert(ttl > 590 && ttl <= 600);

        /* A batch re-executed (retry after a lost reply) still reports its
         * own marker as newly set; another batch does not. */
        vg_redis_batch_cmd(b, "PING", NULL);
        i = vg_redis_batch_mark_once(b, "vg:t:mark2", 600);
        exec_ok(r, b);
        ck_assert_int_eq(vg_redis_batch_marked(b, i), 1);
        exec_ok(r, b);
        ck_assert_int_eq(vg_redis_batch_marked(b, i), 1);
        j = vg_redis_batch_mark_once(o, "vg:t:mark2", 600);
        exec_ok(r, o);
        ck_assert_int_eq(vg_redis_batch_marked(o, j), 0);
        ck_assert_int_eq(vg_redis_batch_marked(o, j + 1), -1);
        /* After a reset the batch is a new one. */
        vg_redis_batch_reset(b);
        i = vg_redis_batch_mark_once(b, "vg:t:mark2", 600);
        exec_ok(r, b);
        ck_assert_int_eq(vg_redis_batch_marked(b, i), 0);
        vg_redis_batch_destroy(b);
        vg_redis_batch_destroy(o);
        vg_redis_destroy(r);
}
END_TEST

static void hash_cb(void *opaque, const char *field, size_t flen,
                    const char *value, size_t vlen)
{
        char *out = opaque;

        strncat(out, field, flen);
        strcat(out, "=");
        strncat(out, value, vlen);
        strcat(out, ";");
}

START_TEST(test_hash)
{
        vg_redis_t *r = test_connect();
        char key[128], out[256] = "", errstr[256];

        vg_redis_key(r, key, sizeof(key), VG_REDIS_K_CI, "db:main",
                     VG_REDIS_S_OPEN);
        ck_assert_str_eq(key, "vigie:ci:db%3Amain:open");
        ck_assert(!vg_redis_hset(r, key, "CHG1", "1000,2000", 9, errstr,
                                 sizeof(errstr)));
        ck_assert(!vg_redis_hset(r, key, "CHG2", "1500,2500", 9, errstr,
                                 sizeof(errstr)));
        ck_assert(!vg_redis_hdel(r, key, "CHG1", errstr, sizeof(errstr)));
        ck_assert(!vg_redis_hgetall(r, key, hash_cb, out, errstr,
                                    sizeof(errstr)));
        ck_assert_str_eq(out, "CHG2=1500,2500;");
        out[0] = '\0';
        ck_assert(!vg_redis_hgetall(r, "vg:t:nohash", hash_cb, out, errstr,
                                    sizeof(errstr)));
        ck_assert_str_eq(out, "");
        /* A Redis error reply is VG_ERR_INVALID with its message. */
        ck_assert(!vg_redis_blob_set(r, "vg:t:str", "x", 1, 0, errstr,
                                     sizeof(errstr)));
        ck_assert_int_eq(vg_redis_hset(r, "vg:t:str", "f", "v", 1, errstr,
                                       sizeof(errstr)),
                         VG_ERR_INVALID);
        ck_assert_msg(strstr(errstr, "WRONGTYPE") != NULL, "%s", errstr);
        vg_redis_destroy(r);
}
END_TEST

START_TEST(test_key_escape)
{
        static const char *const names[] = {
                "Team A: Ops {EU}", "Team A", "Team_A", "Team%20A",
                "ci:web/01",        "Ünïcødé 東京", "", "}{", "a:b:c",
                "%41",              "A",
        };
        const size_t cnt = sizeof(names) / sizeof(names[0]);
        vg_redis_t *r    = test_connect();
        vg_redis_batch_t *b = vg_redis_batch_new();
        char keys[16][256], dec[256], small[8];

        for (size_t i = 0; i < cnt; i++) {
                size_t n = vg_redis_key(r, keys[i], sizeof(keys[i]),
                                        VG_REDIS_K_TEAM, names[i],
                                        VG_REDIS_S_CHANGES);
                const char *id = keys[i] + strlen("vigie:team:");
                char *end      = strrchr(keys[i], ':');
                ck_assert_uint_eq(n, strlen(keys[i]));
                ck_assert_str_eq(end, ":changes");
                *end = '\0';
                /* Only safe printable bytes; decodes back exactly. */
                ck_assert_msg(strpbrk(id, ":{} ") == NULL, "%s", id);
                for (const char *p = id; *p; p++)
                        ck_assert(*p > 0x20 && *p < 0x7f);
                ck_assert_int_eq(vg_redis_key_unescape(dec, id),
                                 (long)strlen(names[i]));
                ck_assert_str_eq(dec, names[i]);
                *end = ':';
                for (size_t j = 0; j < i; j++)
                        ck_assert_str_ne(keys[i], keys[j]);
                vg_redis_batch_window_add(b, keys[i], 1000, "CHG1");
                vg_redis_batch_window_add(b, keys[i], 2000 + (int64_t)i,
                                          "CHG2");
        }
        ck_assert_str_eq(keys[0], "vigie:team:Team%20A%3A%20Ops%20%7BEU%7D:"
                                  "changes");
        /* Each awkward key is its own window in Redis. */
        for (size_t i = 0; i < cnt; i++)
                vg_redis_batch_window_count(b, keys[i], 0, 10000);
        exec_ok(r, b);
        for (size_t i = 0; i < cnt; i++)
                ck_assert_int_eq(vg_redis_reply_int(vg_redis_batch_reply(
                                         b, 2 * cnt + i)),
                                 2);

        /* Binary names (NUL inside), invalid escapes, truncation. */
        ck_assert_uint_eq(vg_redis_key_escape(dec, sizeof(dec), "a\0b", 3),
                          5);
        ck_assert_str_eq(dec, "a%00b");
        ck_assert_int_eq(vg_redis_key_unescape(dec, "a%00b"), 3);
        ck_assert_mem_eq(dec, "a\0b", 3);
        ck_assert_int_eq(vg_redis_key_unescape(dec, "a%4"), -1);
        ck_assert_int_eq(vg_redis_key_unescape(dec, "a:b"), -1);
        ck_assert_int_eq(vg_redis_key_unescape(dec, "%zz"), -1);
        ck_assert_uint_eq(vg_redis_key(r, small, sizeof(small), "ci", "x y",
                                       "open"),
                          strlen("vigie:ci:x%20y:open"));
        ck_assert_str_eq(small, "vigie:c");
        vg_redis_batch_destroy(b);
        vg_redis_destroy(r);
}
END_TEST

/* A loopback port nobody listens on. */
static int closed_port(void)
{
        struct sockaddr_in sa = {.sin_family = AF_INET};
        socklen_t len         = sizeof(sa);
        int fd                = socket(AF_INET, SOCK_STREAM, 0);
        int port;

        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ck_assert(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
        ck_assert(getsockname(fd, (struct sockaddr *)&sa, &len) == 0);
        port = ntohs(sa.sin_port);
        close(fd);
        return port;
}

START_TEST(test_refused_and_conf)
{
        vg_redis_conf_t *conf = vg_redis_conf_new();
        char errstr[256], port[16], expect[64];
        int64_t t0;

        snprintf(port, sizeof(port), "%d", closed_port());
        ck_assert(!vg_redis_conf_set(conf, "port", port, errstr,
                                     sizeof(errstr)));
        t0 = now_ms();
        ck_assert_ptr_null(vg_redis_new(conf, errstr, sizeof(errstr)));
        ck_assert_int_lt(now_ms() - t0, 1000);
        snprintf(expect, sizeof(expect), "redis 127.0.0.1:%s: ", port);
        ck_assert_msg(strstr(errstr, expect) && strstr(errstr, "refused"),
                      "%s", errstr);

        ck_assert_int_eq(vg_redis_conf_set(conf, "port", "70000", errstr,
                                           sizeof(errstr)),
                         VG_ERR_INVALID);
        ck_assert_msg(strstr(errstr, "Invalid value for configuration "
                                     "property \"port\""), "%s", errstr);
        ck_assert_int_eq(vg_redis_conf_set(conf, "db", "x", errstr,
                                           sizeof(errstr)),
                         VG_ERR_INVALID);
        ck_assert_int_eq(vg_redis_conf_set(conf, "nope", "1", errstr,
                                           sizeof(errstr)),
                         VG_ERR_NOENT);
        ck_assert_str_eq(errstr,
                         "No such configuration property: \"nope\"");

        /* A wrong password is a clear error too. */
        vg_redis_conf_destroy(conf);
        conf = test_conf();
        ck_assert(!vg_redis_conf_set(conf, "password", "secret", errstr,
                                     sizeof(errstr)));
        ck_assert_ptr_null(vg_redis_new(conf, errstr, sizeof(errstr)));
        ck_assert_msg(strstr(errstr, "AUTH: ") != NULL, "%s", errstr);
        vg_redis_conf_destroy(conf);

        /* NULL-safe destroys. */
        vg_redis_destroy(NULL);
        vg_redis_conf_destroy(NULL);
        vg_redis_batch_destroy(NULL);
}
END_TEST

static pid_t redis_pid(void)
{
        FILE *fp = fopen(getenv("VG_REDIS_PIDFILE"), "r");
        long pid = 0;

        ck_assert_ptr_nonnull(fp);
        ck_assert_int_eq(fscanf(fp, "%ld", &pid), 1);
        fclose(fp);
        return (pid_t)pid;
}

/* Window adds of events first..last-1 of "INC<i>" at 1000 + i. */
static void add_events(vg_redis_batch_t *b, const char *key, int first,
                       int last)
{
        char id[32];

        for (int i = first; i < last; i++) {
                snprintf(id, sizeof(id), "INC%d", i);
                vg_redis_batch_window_add(b, key, 1000 + i, id);
        }
}

START_TEST(test_down_and_recover)
{
        vg_redis_t *r       = test_connect();
        vg_redis_batch_t *a = vg_redis_batch_new();
        vg_redis_batch_t *b = vg_redis_batch_new();
        char key[128], errstr[256];
        int64_t t0, dt, tmax = 0;
        int attempts = 0, mark;
        pid_t pid;
        vg_err_t err;

        vg_redis_key(r, key, sizeof(key), VG_REDIS_K_CI, "web 01",
                     VG_REDIS_S_INCIDENTS);
        add_events(a, key, 0, 100);
        vg_redis_batch_blob_set(a, "vg:t:before", "kept", 4, 0);
        exec_ok(r, a);

        /* The batch to retry: 100 duplicates, 50 new, a marker, a count. */
        add_events(b, key, 0, 150);
        mark = (int)vg_redis_batch_mark_once(b, "vg:t:alert", 600);
        vg_redis_batch_window_count(b, key, 0, 1000000);

        pid = redis_pid();
        ck_assert_int_eq(system(VG_TESTS_DIR
                                "/restart_redis.sh 2 >/dev/null 2>&1 &"),
                         0);
        for (t0 = now_ms(); kill(pid, 0) == 0 && now_ms() - t0 < 5000;)
                sleep_ms(5);
        ck_assert_msg(kill(pid, 0) != 0, "redis-server did not stop");

        /* Down: calls fail fast (bounded, no long block). */
        for (int i = 0; i < 20; i++) {
                t0  = now_ms();
                err = vg_redis_batch_exec(r, b, errstr, sizeof(errstr));
                dt  = now_ms() - t0;
                tmax = dt > tmax ? dt : tmax;
                ck_assert_int_eq(err, VG_ERR_UNAVAIL);
                ck_assert_ptr_null(vg_redis_batch_reply(b, 0));
        }
        printf("redis: down: 20 failed calls, slowest %" PRId64 " ms, "
               "last: %s\n", tmax, errstr);
        ck_assert_int_lt(tmax, 250);
        ck_assert_int_eq(vg_redis_err(r), VG_ERR_UNAVAIL);
        ck_assert_str_ne(vg_redis_errstr(r), "");
        ck_assert(!vg_redis_connected(r));
        ck_assert_uint_gt(vg_redis_fastfails(r), 10);

        /* Retry the same batch until the server is back (~2 s). */
        t0 = now_ms();
        while ((err = vg_redis_batch_exec(r, b, errstr, sizeof(errstr))) &&
               now_ms() - t0 < 20000) {
                ck_assert_int_eq(err, VG_ERR_UNAVAIL);
                attempts++;
                sleep_ms(20);
        }
        ck_assert_msg(err == VG_OK, "%s", errstr);
        printf("redis: recovered after %" PRId64 " ms, %d retries, "
               "%" PRIu64 " connection errors, %" PRIu64 " fast fails\n",
               now_ms() - t0, attempts, vg_redis_errors(r),
               vg_redis_fastfails(r));
        ck_assert_uint_eq(vg_redis_reconnects(r), 1);
        ck_assert_int_eq(vg_redis_err(r), VG_OK);
        ck_assert(vg_redis_connected(r));
        /* Backoff: far fewer connection attempts than calls. */
        ck_assert_uint_lt(vg_redis_errors(r), 20);

        /* AOF kept the earlier data: the duplicates were not re-added. */
        for (int i = 0; i < 150; i++)
                ck_assert_int_eq(vg_redis_reply_int(vg_redis_batch_reply(b,
                                                                       i)),
                                 i < 100 ? 0 : 1);
        ck_assert_int_eq(vg_redis_batch_marked(b, (size_t)mark), 1);
        ck_assert_int_eq(vg_redis_reply_int(vg_redis_batch_reply(b, 151)),
                         150);
        ck_assert_int_eq(cmd_int(r, "STRLEN", "vg:t:before"), 4);

        /* Applied once more: still counted once, marker still ours. */
        exec_ok(r, b);
        ck_assert_int_eq(vg_redis_reply_int(vg_redis_batch_reply(b, 151)),
                         150);
        ck_assert_int_eq(vg_redis_batch_marked(b, (size_t)mark), 1);
        vg_redis_batch_destroy(a);
        vg_redis_batch_destroy(b);
        vg_redis_destroy(r);
}
END_TEST

/* A hung server (SIGSTOP): a call blocks at most about the command
 * timeout, then calls fail fast; after SIGCONT the store recovers. */
START_TEST(test_hung_server)
{
        vg_redis_conf_t *conf = test_conf();
        vg_redis_batch_t *b   = vg_redis_batch_new();
        char errstr[256], errstr2[256];
        int64_t t0, dt1, dt2, dt3;
        vg_err_t err1, err2, err3, err4 = VG_ERR_UNAVAIL;
        vg_redis_t *r;
        pid_t pid = redis_pid();

        ck_assert(!vg_redis_conf_set(conf, "command.timeout.ms", "200",
                                     errstr, sizeof(errstr)));
        r = vg_redis_new(conf, errstr, sizeof(errstr));
        ck_assert_msg(r != NULL, "%s", errstr);
        vg_redis_batch_window_add(b, "vg:t:hung", 1, "E1");
        exec_ok(r, b);

        ck_assert_int_eq(kill(pid, SIGSTOP), 0);
        t0   = now_ms();
        err1 = vg_redis_batch_exec(r, b, errstr, sizeof(errstr));
        dt1  = now_ms() - t0;
        t0   = now_ms();
        err2 = vg_redis_batch_exec(r, b, errstr2, sizeof(errstr2));
        dt2  = now_ms() - t0;
        t0   = now_ms();
        err3 = vg_redis_batch_exec(r, b, NULL, 0);
        dt3  = now_ms() - t0;
        kill(pid, SIGCONT); /* before any assert: never leave it stopped */

        printf("redis: hung server: %" PRId64 " ms, %" PRId64 " ms, "
               "%" PRId64 " ms: %s\n", dt1, dt2, dt3, errstr);
        ck_assert_int_eq(err1, VG_ERR_UNAVAIL);
        ck_assert_msg(strstr(errstr, "timed out") != NULL, "%s", errstr);
        ck_assert(dt1 >= 150 && dt1 < 1000);
        ck_assert_int_eq(err2, VG_ERR_UNAVAIL); /* reconnect, timed out */
        ck_assert_int_lt(dt2, 1000);
        ck_assert_int_eq(err3, VG_ERR_UNAVAIL); /* in backoff: no I/O */
        ck_assert_int_lt(dt3, 50);
        ck_assert_uint_eq(vg_redis_fastfails(r), 1);

        for (t0 = now_ms(); err4 && now_ms() - t0 < 10000; sleep_ms(20))
                err4 = vg_redis_batch_exec(r, b, errstr, sizeof(errstr));
        ck_assert_msg(err4 == VG_OK, "%s", errstr);
        ck_assert_int_eq(vg_redis_reply_int(vg_redis_batch_reply(b, 0)), 0);
        vg_redis_batch_destroy(b);
        vg_redis_destroy(r);
}
END_TEST

/* A batch sent without waiting: other commands on the connection read its
 * replies first (kept for it); a wait after a lost connection fails. */
START_TEST(test_send_wait)
{
        vg_redis_t *r       = test_connect();
        vg_redis_t *r2      = test_connect();
        vg_redis_batch_t *a = vg_redis_batch_new();
        vg_redis_batch_t *k = vg_redis_batch_new();
        char key[128], id[32], errstr[256];

        vg_redis_key(r, key, sizeof(key), VG_REDIS_K_CI, "send", NULL);
        add_events(a, key, 0, 10);
        vg_redis_batch_window_count(a, key, 0, 1000000);
        ck_assert_int_eq(vg_redis_batch_send(r, a, errstr, sizeof(errstr)),
                         VG_OK);
        ck_assert_ptr_null(vg_redis_batch_reply(a, 0)); /* not read yet */
        /* a synchronous command in between sees a's writes */
        ck_assert_int_eq(cmd_int(r, "ZCARD", key), 10);
        ck_assert_int_eq(vg_redis_batch_wait(r, a, errstr, sizeof(errstr)),
                         VG_OK);
        ck_assert_int_eq(vg_redis_reply_int(vg_redis_batch_reply(a, 10)), 10);
        /* the head of a batch in flight, then the rest */
        vg_redis_batch_reset(a);
        for (int i = 0; i < 1000; i++)
                vg_redis_batch_window_count(a, key, 0, 1000000 + i);
        ck_assert_int_eq(vg_redis_batch_send(r, a, errstr, sizeof(errstr)),
                         VG_OK);
        ck_assert_int_eq(vg_redis_batch_wait_n(r, a, 10, errstr,
                                               sizeof(errstr)),
                         VG_OK);
        ck_assert_int_eq(vg_redis_reply_int(vg_redis_batch_reply(a, 9)), 10);
        ck_assert_ptr_null(vg_redis_batch_reply(a, 10));
        ck_assert_int_eq(vg_redis_batch_wait(r, a, errstr, sizeof(errstr)),
                         VG_OK);
        ck_assert_int_eq(vg_redis_reply_int(vg_redis_batch_reply(a, 999)),
                         10);
        /* resending and resetting a batch in flight reads its replies */
        ck_assert_int_eq(vg_redis_batch_send(r, a, errstr, sizeof(errstr)),
                         VG_OK);
        vg_redis_batch_reset(a);
        ck_assert_int_eq(cmd_int(r, "ZCARD", key), 10);

        /* the connection killed while a blocking command is in flight */
        snprintf(id, sizeof(id), "%lld", cmd_int(r, "CLIENT", "ID"));
        vg_redis_batch_cmd(a, "BLPOP", "vg:t:never", "5", NULL);
        ck_assert_int_eq(vg_redis_batch_send(r, a, errstr, sizeof(errstr)),
                         VG_OK);
        vg_redis_batch_cmd(k, "CLIENT", "KILL", "ID", id, NULL);
        exec_ok(r2, k);
        ck_assert_int_eq(vg_redis_batch_wait(r, a, errstr, sizeof(errstr)),
                         VG_ERR_UNAVAIL);
        ck_assert_str_ne(errstr, "");
        ck_assert_ptr_null(vg_redis_batch_reply(a, 0));
        /* and the store reconnects for the next call */
        ck_assert_int_eq(cmd_int(r, "ZCARD", key), 10);
        vg_redis_batch_destroy(a);
        vg_redis_batch_destroy(k);
        vg_redis_destroy(r);
        vg_redis_destroy(r2);
}
END_TEST

/* Several batches in flight on one connection, and a batch sent in parts
 * as it is built (vg_redis_batch_send_more). */
START_TEST(test_send_more)
{
        vg_redis_t *r       = test_connect();
        vg_redis_t *r2      = test_connect();
        vg_redis_batch_t *a = vg_redis_batch_new();
        vg_redis_batch_t *c = vg_redis_batch_new();
        vg_redis_batch_t *m = vg_redis_batch_new();
        vg_redis_batch_t *k = vg_redis_batch_new();
        char key[128], id[32], errstr[256];

        vg_redis_key(r, key, sizeof(key), VG_REDIS_K_CI, "more", NULL);
        /* two in flight: waiting for the second reads the first's too */
        add_events(a, key, 0, 10);
        vg_redis_batch_window_count(c, key, 0, 1000000);
        ck_assert_int_eq(vg_redis_batch_send(r, a, errstr, sizeof(errstr)),
                         VG_OK);
        ck_assert_int_eq(vg_redis_batch_send(r, c, errstr, sizeof(errstr)),
                         VG_OK);
        ck_assert_int_eq(vg_redis_batch_wait(r, c, errstr, sizeof(errstr)),
                         VG_OK);
        ck_assert_int_eq(vg_redis_reply_int(vg_redis_batch_reply(c, 0)), 10);
        ck_assert_ptr_nonnull(vg_redis_batch_reply(a, 9));
        ck_assert_int_eq(vg_redis_batch_wait(r, a, errstr, sizeof(errstr)),
                         VG_OK);

        /* a batch in three parts, with another batch sent in between:
         * the replies keep the indexes of the commands */
        add_events(m, key, 10, 15);
        ck_assert_int_eq(vg_redis_batch_send_more(r, m, errstr,
                                                  sizeof(errstr)), VG_OK);
        add_events(m, key, 15, 20);
        ck_assert_int_eq(vg_redis_batch_send_more(r, m, errstr,
                                                  sizeof(errstr)), VG_OK);
        vg_redis_batch_reset(c);
        vg_redis_batch_window_count(c, key, 0, 1000000);
        ck_assert_int_eq(vg_redis_batch_send(r, c, errstr, sizeof(errstr)),
                         VG_OK);
        vg_redis_batch_window_count(m, key, 0, 1000000);
        ck_assert_int_eq(vg_redis_batch_send_more(r, m, errstr,
                                                  sizeof(errstr)), VG_OK);
        ck_assert_int_eq(vg_redis_batch_send_more(r, m, errstr,
                                                  sizeof(errstr)), VG_OK);
        ck_assert_int_eq(vg_redis_batch_wait(r, m, errstr, sizeof(errstr)),
                         VG_OK);
        for (size_t i = 0; i < 10; i++)
                ck_assert_int_eq(vg_redis_reply_int(vg_redis_batch_reply(m, i)),
                                 1); /* ZADD: one new member each */
        ck_assert_int_eq(vg_redis_reply_int(vg_redis_batch_reply(m, 10)), 20);
        ck_assert_int_eq(vg_redis_batch_wait(r, c, errstr, sizeof(errstr)),
                         VG_OK);
        ck_assert_int_eq(vg_redis_reply_int(vg_redis_batch_reply(c, 0)), 20);

        /* the connection lost after a first part: the next send_more sends
         * the whole batch again on the new connection */
        snprintf(id, sizeof(id), "%lld", cmd_int(r, "CLIENT", "ID"));
        vg_redis_batch_reset(m);
        add_events(m, key, 20, 25);
        ck_assert_int_eq(vg_redis_batch_send_more(r, m, errstr,
                                                  sizeof(errstr)), VG_OK);
        vg_redis_batch_cmd(m, "BLPOP", "vg:t:never", "5", NULL);
        ck_assert_int_eq(vg_redis_batch_send_more(r, m, errstr,
                                                  sizeof(errstr)), VG_OK);
        vg_redis_batch_cmd(k, "CLIENT", "KILL", "ID", id, NULL);
        exec_ok(r2, k);
        ck_assert_int_eq(vg_redis_batch_wait(r, m, errstr, sizeof(errstr)),
                         VG_ERR_UNAVAIL);
        ck_assert_ptr_null(vg_redis_batch_reply(m, 0));
        vg_redis_batch_reset(k);
        vg_redis_batch_cmd(k, "DEL", "vg:t:never", NULL);
        exec_ok(r2, k);
        vg_redis_batch_reset(k); /* m's BLPOP gets an element at once */
        vg_redis_batch_cmd(k, "RPUSH", "vg:t:never", "x", NULL);
        exec_ok(r2, k);
        vg_redis_batch_window_count(m, key, 0, 1000000);
        for (int i = 0; i < 100 && vg_redis_batch_send_more(r, m, errstr,
                                                            sizeof(errstr));
             i++)
                usleep(20000); /* the reconnection's backoff */
        ck_assert_int_eq(vg_redis_batch_wait(r, m, errstr, sizeof(errstr)),
                         VG_OK);
        /* the first part again (ZADD of members already in: 0) */
        ck_assert_int_eq(vg_redis_reply_type(vg_redis_batch_reply(m, 0)),
                         VG_REDIS_R_INT);
        ck_assert_int_eq(vg_redis_reply_nelem(vg_redis_batch_reply(m, 5)), 2);
        ck_assert_int_eq(vg_redis_reply_int(vg_redis_batch_reply(m, 6)), 25);
        vg_redis_batch_destroy(a);
        vg_redis_batch_destroy(c);
        vg_redis_batch_destroy(m);
        vg_redis_batch_destroy(k);
        vg_redis_destroy(r);
        vg_redis_destroy(r2);
}
END_TEST

/* Redis at maxmemory (noeviction) answers writes with OOM: the batch fails
 * as if Redis were down (kept and retried by its owner), never taken for
 * written. */
START_TEST(test_oom_is_transient)
{
        vg_redis_t *r       = test_connect();
        vg_redis_batch_t *b = vg_redis_batch_new();
        vg_redis_batch_t *c = vg_redis_batch_new();
        char errstr[256];

        vg_redis_batch_cmd(c, "CONFIG", "SET", "maxmemory", "1", NULL);
        exec_ok(r, c);
        vg_redis_batch_blob_set(b, "vg:t:oom", "x", 1, 0);
        ck_assert_int_eq(vg_redis_batch_exec(r, b, errstr, sizeof(errstr)),
                         VG_ERR_UNAVAIL);
        ck_assert_msg(strstr(errstr, "OOM") != NULL, "%s", errstr);
        ck_assert_ptr_null(vg_redis_batch_reply(b, 0));
        vg_redis_batch_reset(c);
        vg_redis_batch_cmd(c, "CONFIG", "SET", "maxmemory", "0", NULL);
        exec_ok(r, c);
        exec_ok(r, b); /* the same batch, retried */
        ck_assert_int_eq(cmd_int(r, "STRLEN", "vg:t:oom"), 1);
        vg_redis_batch_destroy(b);
        vg_redis_batch_destroy(c);
        vg_redis_destroy(r);
}
END_TEST

/* The batch store's ordering (a batch's reads see the previous batch's
 * writes) and alert deduplication: once per (subject, level), in Redis and
 * within a batch; the alerting record itself, read again, is not
 * suppressed (the replay rule); a mark made while warming up (0) always
 * suppresses. */
START_TEST(test_store_alerts)
{
        static const char *const levels[] = {"LOW", "HIGH"};
        vg_redis_t *r    = test_connect();
        vg_store_t *s    = vg_store_new(r);
        vg_alerts_t *a   = vg_alerts_new(s, "tchg", levels, 2, 60);
        char id[64];
        size_t ix[3];

        /* batch 1: two records of C1, nothing stored yet */
        vg_redis_batch_t *rd = vg_store_read_begin(s, NULL, 2);
        vg_alerts_begin(a);
        for (int i = 0; i < 2; i++) {
                ix[i] = vg_alerts_read(a, rd, "C1");
                vg_store_read_next(s);
        }
        ck_assert_int_eq(vg_store_read_send(s, NULL), 0);
        ck_assert_int_eq(vg_store_read_wait(s, 0), 0);
        ck_assert_uint_eq(vg_alerts_stored(a, ix[0], 1000), 0);
        ck_assert_int_eq(vg_alerts_take(a, "C1", 1, 0), 1);
        ck_assert_int_eq(vg_store_read_wait(s, 1), 0);
        ck_assert_uint_eq(vg_alerts_stored(a, ix[1], 1500), 0);
        ck_assert_int_eq(vg_alerts_take(a, "C1", 1, 0), 0); /* same batch */
        ck_assert_int_eq(vg_alerts_take(a, "C2", 1, 0), 1); /* other one */
        vg_alerts_mark(a, vg_store_writes(s), "C1", 1, 1000);
        vg_alerts_mark(a, vg_store_writes(s), "C3", 0, 0); /* warming up */
        ck_assert_int_eq(vg_store_flush(s, NULL, NULL, 0), 0);

        /* batch 2, sent behind batch 1's writes: it sees them */
        rd = vg_store_read_begin(s, NULL, 3);
        vg_alerts_begin(a);
        ix[0] = vg_alerts_read(a, rd, "C1");
        vg_store_read_next(s);
        ix[1] = vg_alerts_read(a, rd, "C1");
        vg_store_read_next(s);
        ix[2] = vg_alerts_read(a, rd, "C3");
        vg_store_read_next(s);
        ck_assert_int_eq(vg_store_read_send(s, NULL), 0);
        ck_assert_int_eq(vg_store_read_wait(s, 2), 0);
        /* the alerting record, consumed again: alerts again */
        ck_assert_uint_eq(vg_alerts_stored(a, ix[0], 1000), 0);
        ck_assert_int_eq(vg_alerts_take(a, "C1", 1, 0), 1);
        /* another record of C1: suppressed, the lower level is not */
        unsigned st = vg_alerts_stored(a, ix[1], 2000);
        ck_assert_uint_eq(st, 1u << 1);
        ck_assert_int_eq(vg_alerts_take(a, "C1", 0, st), 1);
        ck_assert_int_eq(vg_alerts_take(a, "C1", 1, st), 0);
        /* marked while warming up: suppressed whatever the record */
        ck_assert_uint_eq(vg_alerts_stored(a, ix[2], 0), 1u << 0);
        ck_assert_uint_eq(vg_alerts_stored(a, VG_STORE_NO_READ, 0), 0);
        ck_assert_str_eq(vg_alerts_id(id, sizeof(id), "RISKY", "C1", "HIGH"),
                         "RISKY:C1:HIGH");
        ck_assert_int_eq(vg_store_backlog(s), 0);
        vg_store_drain(s, NULL);
        vg_alerts_destroy(a);
        vg_alerts_destroy(NULL);
        vg_store_destroy(s);
        vg_store_destroy(NULL);
        vg_redis_destroy(r);
}
END_TEST

/* ------------------------------------------------------------------ */
/* A Redis that requires a password (issue 12, finding 6)              */

/* A connection to the private Redis of \p s (itest_redis_start_password),
 * with password \p pw if any. */
static vg_redis_conf_t *pwredis_conf(const itest_redis_t *s,
                                     const char *pw)
{
        vg_redis_conf_t *conf = vg_redis_conf_new();
        char errstr[256];

        ck_assert(!vg_redis_conf_set(conf, "port", s->port_s, errstr,
                                     sizeof(errstr)));
        /* a short backoff keeps the test short; the shape is the same */
        ck_assert(!vg_redis_conf_set(conf, "reconnect.backoff.max.ms", "400",
                                     errstr, sizeof(errstr)));
        if (pw)
                ck_assert(!vg_redis_conf_set(conf, "password", pw, errstr,
                                             sizeof(errstr)));
        return conf;
}

/* One command on \p r, by an administrator: must succeed. */
static void admin_cmd(vg_redis_t *r, const char *a0, const char *a1,
                      const char *a2, const char *a3)
{
        vg_redis_batch_t *b = vg_redis_batch_new();

        vg_redis_batch_cmd(b, a0, a1, a2, a3, NULL);
        exec_ok(r, b);
        ck_assert_int_ne(vg_redis_reply_type(vg_redis_batch_reply(b, 0)),
                         VG_REDIS_R_ERROR);
        vg_redis_batch_destroy(b);
}

/* Retries \p b on \p r until it succeeds (at most 5 s). @returns the
 * number of failed attempts, each VG_ERR_AUTH. */
static int retry_until_ok(vg_redis_t *r, vg_redis_batch_t *b)
{
        char errstr[256];
        vg_err_t err;
        int fails = 0;

        for (int64_t t0 = now_ms();
             (err = vg_redis_batch_exec(r, b, errstr, sizeof(errstr))) &&
             now_ms() - t0 < 5000;
             sleep_ms(20)) {
                ck_assert_msg(err == VG_ERR_AUTH, "%s: %s", vg_err_name(err),
                              errstr);
                fails++;
        }
        ck_assert_msg(err == VG_OK, "%s", errstr);
        return fails;
}

/* Without a password, a Redis with requirepass accepts the connection
 * and refuses every command (NOAUTH): vg_redis_check() says so with the
 * fix; a batch fails as if Redis were down (no reply, VG_ERR_AUTH,
 * sticky, backoff: no hammering) and is applied by a retry once the
 * server is fixed; NOPERM (ACL) is the same. A wrong password is refused
 * at connect; the right one works. */
START_TEST(test_auth_refused)
{
        itest_redis_t s;
        char errstr[256];
        vg_redis_batch_t *b = vg_redis_batch_new();
        vg_redis_t *r, *admin;
        vg_redis_conf_t *conf;
        uint64_t errors0;
        int calls = 0, fails;

        itest_redis_start_password(&s, "s3cret");
        admin = vg_redis_new(pwredis_conf(&s, "s3cret"), errstr,
                             sizeof(errstr));
        ck_assert_msg(admin != NULL, "%s", errstr);

        /* No password: connected, but refused, with what to set. */
        r = vg_redis_new(pwredis_conf(&s, NULL), errstr, sizeof(errstr));
        ck_assert_msg(r != NULL, "%s", errstr);
        ck_assert_int_eq(vg_redis_check(r, errstr, sizeof(errstr)),
                         VG_ERR_AUTH);
        printf("redis: check without a password: %s\n", errstr);
        ck_assert_msg(strstr(errstr, "NOAUTH") &&
                      strstr(errstr, "set redis.password"), "%s", errstr);
        ck_assert_int_eq(vg_redis_err(r), VG_ERR_AUTH);
        ck_assert_msg(strstr(vg_redis_errstr(r), "redis.password"), "%s",
                      vg_redis_errstr(r));

        /* A batch of writes and reads fails whole, for 1 s of calls. */
        vg_redis_batch_window_add(b, "vg:t:auth", 1000, "E1");
        vg_redis_batch_window_count(b, "vg:t:auth", 0, 2000);
        vg_redis_batch_blob_set(b, "vg:t:authblob", "x", 1, 0);
        errors0 = vg_redis_errors(r);
        for (int64_t t0 = now_ms(); now_ms() - t0 < 1000; sleep_ms(20)) {
                ck_assert_int_eq(vg_redis_batch_exec(r, b, errstr,
                                                     sizeof(errstr)),
                                 VG_ERR_AUTH);
                ck_assert_ptr_null(vg_redis_batch_reply(b, 0));
                ck_assert_int_eq(vg_redis_err(r), VG_ERR_AUTH);
                calls++;
        }
        printf("redis: refused: %d calls in 1 s, %" PRIu64 " attempts on "
               "the server, %" PRIu64 " fast fails; last: %s\n", calls,
               vg_redis_errors(r) - errors0, vg_redis_fastfails(r), errstr);
        ck_assert_msg(strstr(errstr, "redis.password"), "%s", errstr);
        ck_assert_int_ge(calls, 20);
        /* backoff 50, 100, 200, 400, 400 ms: about 5, never per call */
        ck_assert_uint_le(vg_redis_errors(r) - errors0, 8);
        ck_assert_uint_ge(vg_redis_fastfails(r), (uint64_t)calls - 8);

        /* Fixed server-side: the kept batch is applied by a retry. */
        admin_cmd(admin, "CONFIG", "SET", "requirepass", "");
        fails = retry_until_ok(r, b);
        printf("redis: applied after the fix, %d more refusal(s)\n", fails);
        ck_assert_int_eq(vg_redis_reply_int(vg_redis_batch_reply(b, 0)), 1);
        ck_assert_int_eq(vg_redis_reply_int(vg_redis_batch_reply(b, 1)), 1);
        ck_assert_int_eq(vg_redis_err(r), VG_OK);
        ck_assert_int_eq(vg_redis_check(r, errstr, sizeof(errstr)), VG_OK);

        /* NOPERM (an ACL without our commands) is a refusal too. */
        admin_cmd(admin, "ACL", "SETUSER", "default", "-zcount");
        ck_assert_int_eq(vg_redis_batch_exec(r, b, errstr, sizeof(errstr)),
                         VG_ERR_AUTH);
        ck_assert_msg(strstr(errstr, "NOPERM") && strstr(errstr, "ACL"),
                      "%s", errstr);
        ck_assert_ptr_null(vg_redis_batch_reply(b, 0));
        admin_cmd(admin, "ACL", "SETUSER", "default", "+@all");
        retry_until_ok(r, b);
        ck_assert_int_eq(vg_redis_reply_int(vg_redis_batch_reply(b, 1)), 1);
        vg_redis_destroy(r);

        /* A wrong password: refused at connect, with the fix. */
        admin_cmd(admin, "CONFIG", "SET", "requirepass", "s3cret");
        conf = pwredis_conf(&s, "wrong");
        ck_assert_ptr_null(vg_redis_new(conf, errstr, sizeof(errstr)));
        printf("redis: wrong password: %s\n", errstr);
        ck_assert_msg(strstr(errstr, "WRONGPASS") &&
                      strstr(errstr, "redis.password"), "%s", errstr);
        vg_redis_conf_destroy(conf);

        /* The right one works. */
        r = vg_redis_new(pwredis_conf(&s, "s3cret"), errstr,
                         sizeof(errstr));
        ck_assert_msg(r != NULL, "%s", errstr);
        ck_assert_int_eq(vg_redis_check(r, errstr, sizeof(errstr)), VG_OK);
        exec_ok(r, b);
        ck_assert_int_eq(vg_redis_reply_int(vg_redis_batch_reply(b, 1)), 1);
        ck_assert_int_eq(vg_redis_err(r), VG_OK);

        vg_redis_batch_destroy(b);
        vg_redis_destroy(r);
        vg_redis_destroy(admin);
        itest_redis_stop(&s);
}
END_TEST

/* A model checkpoint is never overwritten by one of less progress. */
START_TEST(test_checkpoint_cas)
{
        vg_redis_t *r = test_connect();
        vg_store_t *s = vg_store_new(r);
        void *buf;
        size_t len;

        ck_assert_int_eq(vg_store_load_checkpoint(s, "cas", &buf, &len),
                         VG_ERR_NOENT);
        ck_assert_int_eq(vg_store_save_checkpoint(s, "cas", 10, "ten\0x", 5),
                         0);
        ck_assert_int_eq(vg_store_save_checkpoint(s, "cas", 5, "five", 4), 1);
        ck_assert_int_eq(vg_store_load_checkpoint(s, "cas", &buf, &len), 0);
        ck_assert_uint_eq(len, 5);
        ck_assert(!memcmp(buf, "ten\0x", 5)); /* binary-safe, kept */
        vg_free(buf);
        ck_assert_int_eq(vg_store_save_checkpoint(s, "cas", 10, "TEN", 3),
                         0); /* as far: replaced */
        ck_assert_int_eq(vg_store_load_checkpoint(s, "cas", &buf, &len), 0);
        ck_assert_uint_eq(len, 3);
        vg_free(buf);
        vg_store_destroy(s);
        vg_redis_destroy(r);
}
END_TEST

static Suite *redis_suite(void)
{
        Suite *s = suite_create("redis");
        TCase *tc;

        tc = tcase_create("Core");
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_pipeline_10k);
        tcase_add_test(tc, test_reply_types);
        tcase_add_test(tc, test_window_event_time);
        tcase_add_test(tc, test_window_batch_withscores);
        tcase_add_test(tc, test_blob_ttl);
        tcase_add_test(tc, test_mark_once);
        tcase_add_test(tc, test_hash);
        tcase_add_test(tc, test_key_escape);
        tcase_add_test(tc, test_send_wait);
        tcase_add_test(tc, test_send_more);
        tcase_add_test(tc, test_oom_is_transient);
        tcase_add_test(tc, test_store_alerts);
        tcase_add_test(tc, test_checkpoint_cas);
        suite_add_tcase(s, tc);

        tc = tcase_create("Failures");
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_refused_and_conf);
        tcase_add_test(tc, test_hung_server);
        tcase_add_test(tc, test_down_and_recover);
        suite_add_tcase(s, tc);

        tc = tcase_create("Auth");
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_auth_refused);
        suite_add_tcase(s, tc);
        return s;
}

/* Refuses to run on a non-empty test DB (hiredis' select_database).
 * Plain checks: ck_assert only works inside a test. */
static int db_is_empty(void)
{
        vg_redis_conf_t *conf = vg_redis_conf_new();
        vg_redis_batch_t *b   = vg_redis_batch_new();
        char errstr[256];
        vg_redis_t *r;
        long long n = -1;

        if (vg_redis_conf_set(conf, "host", getenv("VG_REDIS_HOST"), errstr,
                              sizeof(errstr)) ||
            vg_redis_conf_set(conf, "port", getenv("VG_REDIS_PORT"), errstr,
                              sizeof(errstr)) ||
            vg_redis_conf_set(conf, "db", TEST_DB, errstr, sizeof(errstr)) ||
            !(r = vg_redis_new(conf, errstr, sizeof(errstr)))) {
                fprintf(stderr, "%s\n", errstr);
                vg_redis_conf_destroy(conf);
                vg_redis_batch_destroy(b);
                return 0;
        }
        vg_redis_batch_cmd(b, "DBSIZE", NULL);
        if (vg_redis_batch_exec(r, b, errstr, sizeof(errstr)) == VG_OK)
                n = vg_redis_reply_int(vg_redis_batch_reply(b, 0));
        else
                fprintf(stderr, "%s\n", errstr);
        vg_redis_batch_destroy(b);
        vg_redis_destroy(r);
        return n == 0;
}

int main(void)
{
        SRunner *sr;
        int failed;

        if (!getenv("VG_REDIS_PORT") || !getenv("VG_REDIS_PIDFILE")) {
                fprintf(stderr, "run me with tests/run_with_services.sh "
                                "--redis\n");
                return 2;
        }
        if (!db_is_empty()) {
                fprintf(stderr, "redis DB " TEST_DB " is not empty\n");
                return 2;
        }
        sr = srunner_create(redis_suite());
        srunner_run_all(sr, CK_NORMAL);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? 1 : 0;
}
