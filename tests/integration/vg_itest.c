/**
 * @file vg_itest.c
 * @brief Integration test helpers (see vg_itest.h).
 */
#include "vg_itest.h"
#include "vg_redis.h"

#include <check.h>
#include <librdkafka/rdkafka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *itest_bin(const char *name)
{
        const char *dir = getenv("VG_BIN_DIR");
        char buf[1024];
        snprintf(buf, sizeof(buf), "%s/%s", dir ? dir : ".", name);
        return strdup(buf); /* tests are short-lived: never freed */
}

const char *itest_path(const char *name)
{
        static char dir[512];
        char buf[1024];
        if (!dir[0]) {
                const char *base = getenv("VG_SERVICES_DIR");
                snprintf(dir, sizeof(dir), "%s/itest.%d",
                         base ? base : "/tmp", (int)getpid());
                mkdir(dir, 0700);
        }
        snprintf(buf, sizeof(buf), "%s/%s", dir, name);
        return strdup(buf); /* tests are short-lived: never freed */
}

pid_t itest_spawn(char *const argv[], const char *log)
{
        pid_t pid = fork();
        if (pid == 0) {
                if (log) {
                        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND,
                                      0644);
                        dup2(fd, 1);
                        dup2(fd, 2);
                        close(fd);
                }
                execv(argv[0], argv);
                perror(argv[0]);
                _exit(127);
        }
        return pid;
}

static int itest_status(int status)
{
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
        return -1;
}

int itest_run(char *const argv[], const char *log)
{
        int status;
        pid_t pid = itest_spawn(argv, log);
        if (pid < 0 || waitpid(pid, &status, 0) != pid)
                return -1;
        return itest_status(status);
}

int itest_stop(pid_t pid, int sig)
{
        int status;
        kill(pid, sig);
        if (waitpid(pid, &status, 0) != pid)
                return -1;
        return itest_status(status);
}

long itest_count_lines(const char *path)
{
        FILE *fp = fopen(path, "r");
        long n   = 0;
        int c;
        if (!fp)
                return 0;
        while ((c = getc(fp)) != EOF)
                n += c == '\n';
        fclose(fp);
        return n;
}

int itest_file_contains(const char *path, const char *needle)
{
        char *line = NULL;
        size_t cap = 0;
        int found  = 0;
        FILE *fp   = fopen(path, "r");
        if (!fp)
                return 0;
        while (!found && getline(&line, &cap, fp) != -1)
                found = strstr(line, needle) != NULL;
        free(line);
        fclose(fp);
        return found;
}

long itest_consume(const char *topic, const char *out)
{
        char *argv[] = {(char *)itest_bin("vigie-ctl"), "-b",
                        getenv("VG_BOOTSTRAP"), "consume", "-t",
                        (char *)topic, "-o", (char *)out, NULL};
        if (itest_run(argv, itest_path("consume.log")) > 1)
                return -1;
        return itest_count_lines(out);
}

double itest_now(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

long itest_end_offsets(const char *topic)
{
        const char *out = itest_path("topics.out");
        char *argv[]    = {(char *)itest_bin("vigie-ctl"), "-b",
                           getenv("VG_BOOTSTRAP"), "topics", (char *)topic,
                           NULL};
        char line[512], name[256];
        long parts, sum = -1;
        unlink(out);
        if (itest_run(argv, out) != 0)
                return -1;
        FILE *fp = fopen(out, "r");
        while (fp && fgets(line, sizeof(line), fp))
                if (sscanf(line, "%255s %ld %ld", name, &parts, &sum) == 3 &&
                    !strcmp(name, topic))
                        break;
        if (fp)
                fclose(fp);
        return sum;
}

/* The partition count of \p topic, or -1. */
static int itest_nparts(rd_kafka_t *rk, const char *topic)
{
        const struct rd_kafka_metadata *md;
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
        int n = -1;
        if (rd_kafka_metadata(rk, 0, rkt, &md, 5000) ==
            RD_KAFKA_RESP_ERR_NO_ERROR) {
                if (md->topic_cnt == 1 && !md->topics[0].err)
                        n = md->topics[0].partition_cnt;
                rd_kafka_metadata_destroy(md);
        }
        rd_kafka_topic_destroy(rkt);
        return n;
}

long itest_committed(const char *group, const char *topic)
{
        char errstr[256];
        rd_kafka_conf_t *kc = rd_kafka_conf_new();
        rd_kafka_conf_set(kc, "bootstrap.servers", getenv("VG_BOOTSTRAP"),
                          errstr, sizeof(errstr));
        rd_kafka_conf_set(kc, "group.id", group, errstr, sizeof(errstr));
        rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, kc, errstr,
                                      sizeof(errstr));
        long sum = -1;
        if (!rk)
                return -1;
        int n = itest_nparts(rk, topic);
        rd_kafka_topic_partition_list_t *l =
                rd_kafka_topic_partition_list_new(n > 0 ? n : 1);
        for (int i = 0; i < n; i++)
                rd_kafka_topic_partition_list_add(l, topic, i);
        if (n > 0 && !rd_kafka_committed(rk, l, 5000)) {
                sum = 0;
                for (int i = 0; i < l->cnt; i++)
                        if (l->elems[i].offset > 0)
                                sum += l->elems[i].offset;
        }
        rd_kafka_topic_partition_list_destroy(l);
        rd_kafka_destroy(rk); /* never subscribed: leaves no group */
        return sum;
}

long itest_wait_count(const char *topic, long n, double timeout_s)
{
        double t0 = itest_now();
        long have = 0;
        while ((have = itest_end_offsets(topic)) < n &&
               itest_now() - t0 < timeout_s)
                usleep(200 * 1000);
        return have;
}

long itest_wait_idle(const char *topic, long at_least, double timeout_s)
{
        double t0 = itest_now();
        long last = -1, cur;
        int same  = 0;
        while (itest_now() - t0 < timeout_s) {
                cur  = itest_end_offsets(topic);
                same = cur == last && cur >= at_least ? same + 1 : 0;
                if (same >= 4)
                        return cur;
                last = cur;
                usleep(400 * 1000);
        }
        return last;
}

/* A port in 20000..31999 (below the ephemeral range) nobody binds. */
static int itest_free_port(void)
{
        for (int i = 0; i < 50; i++) {
                struct sockaddr_in sa = {.sin_family = AF_INET};
                int port = 20000 + (int)((unsigned)rand() % 12000u);
                int fd   = socket(AF_INET, SOCK_STREAM, 0);
                sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
                sa.sin_port        = htons((uint16_t)port);
                int ok = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
                close(fd);
                if (ok)
                        return port;
        }
        ck_abort_msg("no free port");
        return -1;
}

/* 1 if the redis-server on \p port answers a PING authenticated with
 * \p password. */
static int itest_redis_up(const char *port, const char *password)
{
        char errstr[256];
        vg_redis_conf_t *conf = vg_redis_conf_new();
        vg_redis_conf_set(conf, "port", port, errstr, sizeof(errstr));
        vg_redis_conf_set(conf, "password", password, errstr,
                          sizeof(errstr));
        vg_redis_t *r = vg_redis_new(conf, errstr, sizeof(errstr));
        if (!r)
                vg_redis_conf_destroy(conf);
        int ok = r && vg_redis_check(r, errstr, sizeof(errstr)) == VG_OK;
        vg_redis_destroy(r);
        return ok;
}

void itest_redis_start_password(itest_redis_t *r, const char *password)
{
        const char *base = getenv("VG_SERVICES_DIR");
        char log[600];
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        srand((unsigned)getpid() ^ (unsigned)ts.tv_nsec);
        snprintf(r->dir, sizeof(r->dir), "%s/pwredis.XXXXXX",
                 base ? base : "/tmp");
        ck_assert_ptr_nonnull(mkdtemp(r->dir));
        snprintf(log, sizeof(log), "%s/redis.log", r->dir);
        for (int attempt = 0; attempt < 5; attempt++) {
                r->port = itest_free_port();
                snprintf(r->port_s, sizeof(r->port_s), "%d", r->port);
                r->pid = fork();
                ck_assert_int_ge(r->pid, 0);
                if (r->pid == 0) {
                        prctl(PR_SET_PDEATHSIG, SIGKILL);
                        execlp("redis-server", "redis-server", "--port",
                               r->port_s, "--bind", "127.0.0.1", "--dir",
                               r->dir, "--save", "", "--appendonly", "no",
                               "--daemonize", "no", "--logfile", log,
                               "--requirepass", password, (char *)NULL);
                        _exit(127);
                }
                /* up once it answers an authenticated PING */
                for (double t0 = itest_now(); itest_now() - t0 < 5;
                     usleep(20 * 1000)) {
                        if (itest_redis_up(r->port_s, password))
                                return;
                        if (waitpid(r->pid, NULL, WNOHANG) == r->pid)
                                break; /* exited: port taken? */
                }
                kill(r->pid, SIGKILL);
                waitpid(r->pid, NULL, 0);
        }
        ck_abort_msg("redis-server with requirepass did not start (%s)",
                     log);
}

void itest_redis_stop(itest_redis_t *r)
{
        kill(r->pid, SIGTERM);
        ck_assert_int_eq(waitpid(r->pid, NULL, 0), r->pid);
}

int itest_main(const char *suite, const itest_case_t *cases, int n)
{
        Suite *s = suite_create(suite);
        for (int i = 0; i < n; i++) {
                TCase *tc = tcase_create(cases[i].name);
                tcase_set_timeout(tc, 400);
                tcase_add_test(tc, (const TTest *)cases[i].test);
                suite_add_tcase(s, tc);
        }
        SRunner *sr = srunner_create(s);
        srunner_run_all(sr, CK_NORMAL);
        int failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
