/**
 * @file check_failover.c
 * @brief vigie-change's group failover and its checks at start (issue 12,
 *        findings 6 and 9), as separate processes against a vigie-broker
 *        and real redis-servers:
 *        - kill: two instances in one group on a produced stream, one
 *          killed (-9): how long until the survivor owns every partition
 *          and every partition's output resumes (asserted <= 10 s);
 *        - restart: a restart in place (SIGTERM, then the same command
 *          again): how long until the restarted instance has its share
 *          back and every partition progresses (<= 10 s). vigie-broker
 *          ignores group.instance.id (static membership), so the restart
 *          is a clean one rather than a SIGKILL rejoining under its id;
 *        - auth: a Redis that requires a password it was not given makes
 *          vigie-change exit 1 at start, saying what to set; with the
 *          password it runs;
 *        - auth_runtime: a Redis that starts refusing a running
 *          vigie-change (password set, connections killed): logged once
 *          as an error, redis=auth-failed in the stats line, the stream
 *          goes on without features (context_degraded), and once Redis
 *          accepts it again the kept writes catch up and every offset is
 *          committed.
 *        The measured seconds are printed (they go into the closing note
 *        of issue 12). One TCase per ctest entry (CK_RUN_CASE), see
 *        failover.cmake.
 */
#include "vg_itest.h"
#include "vg_redis.h"

#include <check.h>
#include <librdkafka/rdkafka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define TOPIC "itsm.changes"
#define GROUP "vigie-change"
#define MAXPARTS 64
#define BOUND_S 10.0 /* failover and restart, with the defaults */

static void sleep_ms(int ms)
{
        usleep((useconds_t)ms * 1000);
}

/* vigie-change with the test's broker and Redis, its defaults otherwise
 * (no kafka.session.timeout.ms: the defaults are what is measured), and
 * up to two more -X properties (NULL: none). */
static pid_t spawn_change(const char *log, const char *x1, const char *x2)
{
        char port[64];
        snprintf(port, sizeof(port), "redis.port=%s", getenv("VG_REDIS_PORT"));
        char *argv[16] = {(char *)itest_bin("vigie-change"), "-b",
                          getenv("VG_BOOTSTRAP"), "-X", port, "-X",
                          "stats.interval.ms=1000", "-X",
                          "checkpoint.interval.ms=2000"};
        int argc = 9;
        if (x1) {
                argv[argc++] = "-X";
                argv[argc++] = (char *)x1;
        }
        if (x2) {
                argv[argc++] = "-X";
                argv[argc++] = (char *)x2;
        }
        argv[argc] = NULL;
        return itest_spawn(argv, log);
}

/* The partition count of the last "assigned N partition(s)" of \p log,
 * 0 if a "revoked" came after it, -1 if neither is there. */
static int last_assigned(const char *log)
{
        FILE *fp   = fopen(log, "r");
        char *line = NULL, *m;
        size_t cap = 0;
        int n      = -1, k;
        while (fp && getline(&line, &cap, fp) != -1) {
                if ((m = strstr(line, "msg=\"assigned ")) &&
                    sscanf(m, "msg=\"assigned %d partition", &k) == 1)
                        n = k;
                else if (strstr(line, "msg=\"revoked "))
                        n = 0;
        }
        free(line);
        if (fp)
                fclose(fp);
        return n;
}

/* Number of lines of \p path that contain both \p a and \p b. */
static int count_lines_with(const char *path, const char *a, const char *b)
{
        FILE *fp   = fopen(path, "r");
        char *line = NULL;
        size_t cap = 0;
        int n      = 0;
        while (fp && getline(&line, &cap, fp) != -1)
                n += strstr(line, a) && (!b || strstr(line, b));
        free(line);
        if (fp)
                fclose(fp);
        return n;
}

/* Prints the first line of \p path that contains \p needle. */
static void print_line_with(const char *path, const char *needle,
                            const char *what)
{
        FILE *fp   = fopen(path, "r");
        char *line = NULL;
        size_t cap = 0;
        while (fp && getline(&line, &cap, fp) != -1)
                if (strstr(line, needle)) {
                        printf("failover: %s: %s", what, line);
                        break;
                }
        free(line);
        if (fp)
                fclose(fp);
}

/* ------------------------------------------------------------------ */
/* The group's progress: committed offsets, per partition              */

typedef struct group_s {
        rd_kafka_t *rk; /* never subscribes: not a member */
        int nparts;
        int64_t off[MAXPARTS];     /* last committed offsets read */
        double advanced[MAXPARTS]; /* when each last moved (itest_now) */
} group_t;

static void group_open(group_t *g)
{
        char errstr[256];
        const struct rd_kafka_metadata *md;
        rd_kafka_conf_t *kc = rd_kafka_conf_new();
        memset(g, 0, sizeof(*g));
        rd_kafka_conf_set(kc, "bootstrap.servers", getenv("VG_BOOTSTRAP"),
                          errstr, sizeof(errstr));
        rd_kafka_conf_set(kc, "group.id", GROUP, errstr, sizeof(errstr));
        g->rk = rd_kafka_new(RD_KAFKA_CONSUMER, kc, errstr, sizeof(errstr));
        ck_assert_msg(g->rk != NULL, "%s", errstr);
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(g->rk, TOPIC, NULL);
        ck_assert_int_eq(rd_kafka_metadata(g->rk, 0, rkt, &md, 10000),
                         RD_KAFKA_RESP_ERR_NO_ERROR);
        g->nparts = md->topics[0].partition_cnt;
        rd_kafka_metadata_destroy(md);
        rd_kafka_topic_destroy(rkt);
        ck_assert(g->nparts > 0 && g->nparts <= MAXPARTS);
        for (int i = 0; i < g->nparts; i++)
                g->off[i] = -1;
}

static void group_close(group_t *g)
{
        rd_kafka_destroy(g->rk);
}

/* Reads the committed offsets; notes when each moved. @returns 0, or -1
 * if the query failed (a rebalance in progress: try again). */
static int group_poll(group_t *g)
{
        rd_kafka_topic_partition_list_t *l =
                rd_kafka_topic_partition_list_new(g->nparts);
        double now = itest_now();
        int rc     = -1;
        for (int i = 0; i < g->nparts; i++)
                rd_kafka_topic_partition_list_add(l, TOPIC, i);
        if (!rd_kafka_committed(g->rk, l, 5000)) {
                rc = 0;
                for (int i = 0; i < l->cnt; i++) {
                        int p     = l->elems[i].partition;
                        int64_t o = l->elems[i].err ? -1 : l->elems[i].offset;
                        if (o > g->off[p]) {
                                g->off[p]      = o;
                                g->advanced[p] = now;
                        }
                }
        }
        rd_kafka_topic_partition_list_destroy(l);
        return rc;
}

/* 1 once every partition's committed offset moved after time \p t. */
static int group_all_moved_since(const group_t *g, double t)
{
        for (int i = 0; i < g->nparts; i++)
                if (g->advanced[i] <= t)
                        return 0;
        return 1;
}

/* Notes in \p worst the longest time a partition has gone without a
 * commit, as of now (its last commit may be from before the event). */
static void group_max_stall(const group_t *g, double *worst)
{
        double now = itest_now();
        for (int i = 0; i < g->nparts; i++)
                if (now - g->advanced[i] > *worst)
                        *worst = now - g->advanced[i];
}

/* Two instances A and B in the group, the stream flowing: both have
 * their share and every partition progresses. */
static void start_pair(group_t *g, pid_t *a, pid_t *b, pid_t *prod,
                       const char *la, const char *lb)
{
        const char *in = itest_path("changes.jsonl");
        /* ~18,000 records: > 60 s at 300/s */
        itest_gen("changes", in, NULL, 8000, 12, 0, 1);
        *a = spawn_change(la, NULL, NULL);
        *b = spawn_change(lb, NULL, NULL);
        *prod = itest_produce_paced(TOPIC, in, "300",
                                    itest_path("produce.log"));
        group_open(g);
        double t0 = itest_now();
        int na = -1, nb = -1;
        while (itest_now() - t0 < 60) {
                na = last_assigned(la);
                nb = last_assigned(lb);
                if (na > 0 && nb > 0 && na + nb == g->nparts)
                        break;
                sleep_ms(100);
        }
        ck_assert_msg(na > 0 && nb > 0 && na + nb == g->nparts,
                      "the pair did not share the %d partitions: %d + %d",
                      g->nparts, na, nb);
        printf("failover: pair up in %.1f s (%d + %d partitions)\n",
               itest_now() - t0, na, nb);
        /* every partition's output flowing before anything happens */
        double t1 = itest_now();
        while (!group_all_moved_since(g, t1) && itest_now() - t1 < 30) {
                group_poll(g);
                sleep_ms(100);
        }
        ck_assert_msg(group_all_moved_since(g, t1),
                      "not every partition progresses with two instances");
}

/* Stops the producer, then A once it is alone in a settled group: a
 * SIGTERM during a rebalance cannot commit on vigie-broker (it refuses
 * commits while members rejoin) and exits 1, records to be replayed. */
static void stop_pair(group_t *g, pid_t a, const char *la, pid_t prod)
{
        itest_stop(prod, SIGTERM);
        for (int i = 0; i < 300 && last_assigned(la) != g->nparts; i++)
                sleep_ms(100);
        sleep_ms(500); /* its first commit of the new generation */
        ck_assert_int_eq(itest_stop(a, SIGTERM), 0);
        group_close(g);
}

/* kill -9 of one of two instances: the survivor gets every partition
 * once the group notices (session.timeout.ms) and rebalances. */
START_TEST(test_kill)
{
        const char *la = itest_path("a.log"), *lb = itest_path("b.log");
        double t_all = -1, t_resume = -1, worst = 0;
        group_t g;
        pid_t a, b, prod;

        start_pair(&g, &a, &b, &prod, la, lb);
        double t0 = itest_now();
        ck_assert_int_eq(itest_stop(b, SIGKILL), 128 + SIGKILL);
        while (itest_now() - t0 < 60) {
                if (t_all < 0 && last_assigned(la) == g.nparts)
                        t_all = itest_now() - t0;
                if (group_poll(&g) == 0) {
                        group_max_stall(&g, &worst);
                        if (t_all >= 0 && group_all_moved_since(&g, t0)) {
                                t_resume = itest_now() - t0;
                                break;
                        }
                }
                sleep_ms(100);
        }
        printf("failover: kill -9 of one of two instances: the survivor "
               "had all %d partitions after %.1f s; every partition's "
               "output resumed after %.1f s (longest stall %.1f s)\n",
               g.nparts, t_all, t_resume, worst);
        fflush(stdout);
        ck_assert_msg(t_all >= 0, "the survivor never got every partition");
        ck_assert_msg(t_resume >= 0, "the output did not resume");
        ck_assert_msg(t_resume <= BOUND_S, "failover took %.1f s > %.0f s",
                      t_resume, BOUND_S);
        ck_assert(itest_file_contains(la, "session.timeout.ms="));
        stop_pair(&g, a, la, prod);
}
END_TEST

/* A restart in place: SIGTERM (drain, leave the group), the same
 * command again; the restarted instance gets its share back. */
START_TEST(test_restart)
{
        const char *la = itest_path("a.log"), *lb = itest_path("b.log");
        const char *lb2 = itest_path("b2.log");
        double t_drain, t_back = -1, t_resume = -1, worst = 0;
        group_t g;
        pid_t a, b, prod;

        start_pair(&g, &a, &b, &prod, la, lb);
        double t0 = itest_now();
        ck_assert_int_eq(itest_stop(b, SIGTERM), 0);
        t_drain = itest_now() - t0;
        b = spawn_change(lb2, NULL, NULL);
        while (itest_now() - t0 < 60) {
                if (t_back < 0 && last_assigned(lb2) > 0 &&
                    last_assigned(la) > 0)
                        t_back = itest_now() - t0;
                if (group_poll(&g) == 0) {
                        group_max_stall(&g, &worst);
                        if (t_back >= 0 &&
                            group_all_moved_since(&g, t0 + t_back)) {
                                t_resume = itest_now() - t0;
                                break;
                        }
                }
                sleep_ms(100);
        }
        printf("failover: restart in place (SIGTERM, start again): drained "
               "in %.1f s; the restarted instance had its %d partition(s) "
               "back %.1f s after the SIGTERM; every partition progressing "
               "%.1f s after it (longest stall of a partition %.1f s)\n",
               t_drain, last_assigned(lb2), t_back, t_resume, worst);
        fflush(stdout);
        ck_assert_msg(t_back >= 0, "the restarted instance got nothing");
        ck_assert_msg(t_resume >= 0, "the output did not resume");
        ck_assert_msg(t_resume <= BOUND_S, "restart took %.1f s > %.0f s",
                      t_resume, BOUND_S);
        ck_assert_int_eq(itest_stop(b, SIGTERM), 0);
        stop_pair(&g, a, la, prod);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Redis requiring a password                                          */

/* Waits up to \p timeout_s for \p pid to exit. @returns its status as
 * itest_stop() does, or -1 if it still runs. */
static int wait_exit(pid_t pid, double timeout_s)
{
        int status;
        for (double t0 = itest_now(); itest_now() - t0 < timeout_s;
             sleep_ms(50)) {
                if (waitpid(pid, &status, WNOHANG) == pid)
                        return WIFEXITED(status) ? WEXITSTATUS(status)
                                                 : 128 + WTERMSIG(status);
        }
        return -1;
}

/* Started against a Redis that requires a password, without one: exit 1
 * at start, saying what to set, instead of running without features. */
START_TEST(test_auth_at_start)
{
        const char *log = itest_path("c.log"), *log2 = itest_path("c2.log");
        char port[64];
        itest_redis_t s;

        itest_redis_start_password(&s, "s3cret");
        snprintf(port, sizeof(port), "redis.port=%s", s.port_s);
        char *argv[] = {(char *)itest_bin("vigie-change"), "-b",
                        getenv("VG_BOOTSTRAP"), "-X", port, NULL};
        pid_t p    = itest_spawn(argv, log);
        int status = wait_exit(p, 60);
        if (status < 0)
                itest_stop(p, SIGKILL);
        ck_assert_msg(status == 1, "exit status %d (still running: -1)",
                      status);
        ck_assert(itest_file_contains(log, "level=error"));
        ck_assert(itest_file_contains(log, "NOAUTH"));
        ck_assert(itest_file_contains(log, "set redis.password"));
        ck_assert(!itest_file_contains(log, "started:"));
        print_line_with(log, "NOAUTH", "auth at start, exit 1");

        /* with the password it runs */
        char *argv2[] = {(char *)itest_bin("vigie-change"), "-b",
                         getenv("VG_BOOTSTRAP"), "-X", port, "-X",
                         "redis.password=s3cret", NULL};
        p = itest_spawn(argv2, log2);
        itest_wait_in_file(log2, "started:", 30);
        ck_assert_int_eq(itest_stop(p, SIGTERM), 0);
        ck_assert(itest_file_contains(log2, "started:"));
        ck_assert(!itest_file_contains(log2, "authentication failed"));
        itest_redis_stop(&s);
}
END_TEST

/* One command on the test's shared Redis, as its administrator. */
static void admin_cmd(vg_redis_t *r, const char *a0, const char *a1,
                      const char *a2, const char *a3, const char *a4,
                      const char *a5)
{
        char errstr[256];
        vg_redis_batch_t *b = vg_redis_batch_new();
        vg_redis_batch_cmd(b, a0, a1, a2, a3, a4, a5, NULL);
        ck_assert_msg(vg_redis_batch_exec(r, b, errstr, sizeof(errstr)) ==
                              VG_OK, "%s", errstr);
        ck_assert_int_ne(vg_redis_reply_type(vg_redis_batch_reply(b, 0)),
                         VG_REDIS_R_ERROR);
        vg_redis_batch_destroy(b);
}

/* A running vigie-change that Redis starts refusing (a password is set
 * and the connections are killed: it reconnects without one). */
START_TEST(test_auth_at_runtime)
{
        const char *in = itest_path("changes.jsonl"), *log = itest_path("c.log");
        const char *out = itest_path("scored.jsonl");
        char errstr[256];
        group_t g;

        /* ~3,500 records: ~12 s at 300/s */
        itest_gen("changes", in, NULL, 1500, 31, 0, 1);
        vg_redis_t *admin = itest_redis_connect(getenv("VG_REDIS_PORT"), NULL,
                                                errstr, sizeof(errstr));
        ck_assert_msg(admin != NULL, "%s", errstr);
        pid_t p    = spawn_change(log, NULL, NULL);
        pid_t prod = itest_produce_paced(TOPIC, in, "300",
                                         itest_path("produce.log"));
        ck_assert_int_ge(itest_wait_count("itsm.changes.scored", 200, 60),
                         200);

        admin_cmd(admin, "CONFIG", "SET", "requirepass", "s3cret", NULL,
                  NULL);
        admin_cmd(admin, "CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes");
        itest_wait_in_file(log, "redis=auth-failed", 10);
        ck_assert(itest_file_contains(log, "redis=auth-failed"));
        long during = itest_end_offsets("itsm.changes.scored");
        sleep(3);
        /* the stream goes on, without features */
        ck_assert_int_gt(itest_end_offsets("itsm.changes.scored"), during);

        admin_cmd(admin, "CONFIG", "SET", "requirepass", "", NULL, NULL);
        itest_wait_in_file(log, "caught up", 10);
        ck_assert(itest_file_contains(log, "accepts our commands again"));
        ck_assert(itest_file_contains(log, "caught up"));
        ck_assert_int_eq(wait_exit(prod, 60), 0);

        /* every offset committed once the kept writes are in */
        long end = itest_end_offsets(TOPIC), done = -1;
        group_open(&g);
        for (double t0 = itest_now(); itest_now() - t0 < 30; sleep_ms(200)) {
                done = 0;
                if (group_poll(&g))
                        continue;
                for (int i = 0; i < g.nparts; i++)
                        done += g.off[i] > 0 ? g.off[i] : 0;
                if (done == end)
                        break;
        }
        group_close(&g);
        ck_assert_int_eq(done, end);
        ck_assert_int_eq(itest_stop(p, SIGTERM), 0);

        /* logged once, as an error, with the fix */
        int errors = count_lines_with(log, "level=error",
                                      "authentication failed");
        printf("failover: auth at runtime: %d error line(s), %d stats "
               "line(s) with redis=auth-failed\n", errors,
               count_lines_with(log, "redis=auth-failed", NULL));
        print_line_with(log, "authentication failed", "auth at runtime");
        ck_assert_int_eq(errors, 1);
        ck_assert_int_eq(count_lines_with(log, "level=error",
                                          "set redis.password"), 1);
        ck_assert_int_gt(itest_consume("itsm.changes.scored", out), 0);
        ck_assert(itest_file_contains(out, "\"context_degraded\":true"));
        vg_redis_destroy(admin);
}
END_TEST

int main(void)
{
        const itest_case_t cases[] = {
                {"kill", test_kill},
                {"restart", test_restart},
                {"auth", test_auth_at_start},
                {"auth_runtime", test_auth_at_runtime},
        };
        return itest_main("failover", cases,
                          (int)(sizeof(cases) / sizeof(cases[0])));
}
