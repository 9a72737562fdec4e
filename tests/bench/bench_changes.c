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
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <librdkafka/rdkafka.h>

#include "bench.h"
#include "vg_avro.h"
#include "vg_conf.h"
#include "vg_gen.h"
#include "vg_kafka.h"
#include "vg_log.h"
#include "vg_mem.h"
#include "vg_time.h"
#include "vigie_conf_groups.h"

#define BENCH_PARTITIONS 32
#define BENCH_MAX_CHILD  16
#define BENCH_MAX_X      32

/* Topics created on the private broker besides vigie's own. */
#define BENCH_T_PIPE        "bench.pipe"
#define BENCH_T_PAIR_IN     "bench.pair.changes"
#define BENCH_T_PAIR_OUT    "bench.pair.scored"
#define BENCH_T_PAIR_ALERTS "bench.pair.alerts"

static const char *bench_topics[] = {
        "itsm.changes",          "itsm.incidents",  "itsm.surveys",
        "itsm.changes.scored",   "itsm.incidents.enriched",
        "itsm.surveys.insights", "itsm.alerts",     "itsm.deadletter",
        BENCH_T_PIPE,            BENCH_T_PAIR_IN,   BENCH_T_PAIR_OUT,
        BENCH_T_PAIR_ALERTS,
};
#define BENCH_TOPIC_CNT (sizeof(bench_topics) / sizeof(bench_topics[0]))

/* ---------------------------------------------------------------------- */
/* Small helpers                                                          */

static void bench_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void bench_note(const char *fmt, ...)
{
        va_list ap;
        fputs("# ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

/** @returns \p v with thousands separators, in \p buf. */
static const char *bench_int(char *buf, size_t size, int64_t v)
{
        char tmp[32];
        int n = snprintf(tmp, sizeof(tmp), "%" PRId64, v < 0 ? -v : v);
        size_t o = 0;
        if (v < 0 && o + 1 < size)
                buf[o++] = '-';
        for (int i = 0; i < n && o + 2 < size; i++) {
                if (i > 0 && (n - i) % 3 == 0)
                        buf[o++] = ',';
                buf[o++] = tmp[i];
        }
        buf[o] = '\0';
        return buf;
}
#define BENCH_INT(v) bench_int((char[32]){0}, 32, (int64_t)(v))

static const char *bench_met(int ok)
{
        return ok ? "MET" : "NOT MET";
}

static int64_t bench_wall_us(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static double bench_secs(uint64_t from_ns, uint64_t to_ns)
{
        return (double)(to_ns - from_ns) / 1e9;
}

static void bench_sleep_ms(int ms)
{
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
}

/* ---------------------------------------------------------------------- */
/* Child processes and clean-up                                           */

static pid_t bench_children[BENCH_MAX_CHILD];
static char bench_tmpdir[256];
static int bench_keep_tmp;

static void bench_child_add(pid_t pid)
{
        for (int i = 0; i < BENCH_MAX_CHILD; i++)
                if (!bench_children[i]) {
                        bench_children[i] = pid;
                        return;
                }
}

static void bench_child_del(pid_t pid)
{
        for (int i = 0; i < BENCH_MAX_CHILD; i++)
                if (bench_children[i] == pid)
                        bench_children[i] = 0;
}

static int bench_status(int status)
{
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        if (WIFSIGNALED(status))
                return 128 + WTERMSIG(status);
        return -1;
}

/**
 * @brief Sends \p sig to \p pid and reaps it; SIGKILL after \p timeout_s.
 * @returns its exit status (128 + signal when killed by one), or -1.
 */
static int bench_stop(pid_t pid, int sig, double timeout_s)
{
        int status;
        uint64_t t0 = bench_now_ns();
        if (pid <= 0)
                return -1;
        kill(pid, sig);
        for (;;) {
                pid_t r = waitpid(pid, &status, WNOHANG);
                if (r == pid)
                        break;
                if (r < 0) {
                        bench_child_del(pid);
                        return -1;
                }
                if (bench_secs(t0, bench_now_ns()) > timeout_s) {
                        kill(pid, SIGKILL);
                        waitpid(pid, &status, 0);
                        break;
                }
                bench_sleep_ms(20);
        }
        bench_child_del(pid);
        return bench_status(status);
}

/** @returns 1 while \p pid runs; reaps it (and stores its status in
 *           \p statusp, if not NULL) once it exited. */
static int bench_alive(pid_t pid, int *statusp)
{
        int status;
        if (waitpid(pid, &status, WNOHANG) == 0)
                return 1;
        bench_child_del(pid);
        if (statusp)
                *statusp = bench_status(status);
        return 0;
}

static int bench_rm_one(const char *path, const struct stat *sb, int flag,
                        struct FTW *ftw)
{
        remove(path);
        return 0;
}

static void bench_cleanup(void)
{
        for (int i = 0; i < BENCH_MAX_CHILD; i++)
                if (bench_children[i])
                        bench_stop(bench_children[i], SIGTERM, 10);
        if (bench_tmpdir[0] && !bench_keep_tmp)
                nftw(bench_tmpdir, bench_rm_one, 16, FTW_DEPTH | FTW_PHYS);
        bench_tmpdir[0] = '\0';
}

static void bench_on_signal(int sig)
{
        for (int i = 0; i < BENCH_MAX_CHILD; i++)
                if (bench_children[i])
                        kill(bench_children[i], SIGTERM);
        _exit(128 + sig);
}

/**
 * @brief Starts argv (argv[0] a full path) with stdout and stderr to
 *        \p log. The child gets SIGTERM if the bench dies.
 * @returns its pid, or -1.
 */
static pid_t bench_spawn(char *const argv[], const char *log)
{
        pid_t parent = getpid();
        int fd       = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd < 0)
                return -1;
        pid_t pid = fork();
        if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGTERM);
                if (getppid() != parent)
                        _exit(127);
                dup2(fd, 1);
                dup2(fd, 2);
                close(fd);
                execv(argv[0], argv);
                static const char msg[] = "bench: exec failed\n";
                ssize_t w = write(2, msg, sizeof(msg) - 1);
                (void)w;
                _exit(127);
        }
        close(fd);
        if (pid > 0)
                bench_child_add(pid);
        return pid;
}

/** @returns a free TCP port on 127.0.0.1 (bound then released), or -1. */
static int bench_free_port(void)
{
        struct sockaddr_in sa = {.sin_family = AF_INET};
        socklen_t len         = sizeof(sa);
        int fd                = socket(AF_INET, SOCK_STREAM, 0);
        int port              = -1;
        sa.sin_addr.s_addr    = htonl(INADDR_LOOPBACK);
        if (fd < 0)
                return -1;
        if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
            getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
                port = ntohs(sa.sin_port);
        close(fd);
        return port;
}

/** @returns 1 if a Redis server answers PING on 127.0.0.1:\p port. */
static int bench_redis_ping(int port)
{
        struct sockaddr_in sa = {.sin_family = AF_INET,
                                 .sin_port   = htons((uint16_t)port)};
        char buf[16]          = {0};
        int ok                = 0;
        int fd                = socket(AF_INET, SOCK_STREAM, 0);
        sa.sin_addr.s_addr    = htonl(INADDR_LOOPBACK);
        if (fd < 0)
                return 0;
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
            write(fd, "PING\r\n", 6) == 6 && read(fd, buf, 5) == 5)
                ok = !strncmp(buf, "+PONG", 5);
        close(fd);
        return ok;
}

/** @returns the full path of \p name in $PATH, or NULL (caller frees). */
static char *bench_which(const char *name)
{
        const char *path = getenv("PATH");
        char *dirs       = vg_strdup(path ? path : "/usr/bin:/bin");
        char *save = NULL, *found = NULL, buf[PATH_MAX];
        for (char *d = strtok_r(dirs, ":", &save); d && !found;
             d = strtok_r(NULL, ":", &save)) {
                snprintf(buf, sizeof(buf), "%s/%s", d, name);
                if (access(buf, X_OK) == 0)
                        found = vg_strdup(buf);
        }
        vg_free(dirs);
        return found;
}

/** @returns the value in kB of \p field ("VmRSS", "VmHWM") of \p pid,
 *           or -1. */
static long bench_proc_kb(pid_t pid, const char *field)
{
        char path[64], line[256];
        long kb      = -1;
        size_t flen  = strlen(field);
        snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
        FILE *fp = fopen(path, "r");
        while (fp && fgets(line, sizeof(line), fp))
                if (!strncmp(line, field, flen) && line[flen] == ':') {
                        kb = strtol(line + flen + 1, NULL, 10);
                        break;
                }
        if (fp)
                fclose(fp);
        return kb;
}

/**
 * @brief User and system CPU seconds used so far by \p path, a
 *        /proc/.../stat file (a process's, or one thread's under task/).
 * @returns user + system, or -1.
 */
static double bench_stat_cpu(const char *path, double *user, double *sys)
{
        char buf[1024];
        unsigned long long ut = 0, st = 0;
        double hz = (double)sysconf(_SC_CLK_TCK);
        FILE *fp = fopen(path, "r");
        size_t n = fp ? fread(buf, 1, sizeof(buf) - 1, fp) : 0;
        if (fp)
                fclose(fp);
        buf[n]  = '\0';
        char *r = strrchr(buf, ')');
        /* after "pid (comm)": state is field 3, utime 14, stime 15 */
        if (!r || sscanf(r + 2, "%*c %*s %*s %*s %*s %*s %*s %*s %*s %*s "
                         "%*s %llu %llu", &ut, &st) != 2)
                return -1;
        if (user)
                *user = (double)ut / hz;
        if (sys)
                *sys = (double)st / hz;
        return (double)(ut + st) / hz;
}

/** @returns user + system CPU seconds used so far by \p pid, or -1. */
static double bench_proc_cpu(pid_t pid)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        return bench_stat_cpu(path, NULL, NULL);
}

/** CPU seconds of the main thread of \p pid (its own task), -1 if gone. */
static double bench_main_thread_cpu(pid_t pid, double *user, double *sys)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid,
                 (int)pid);
        return bench_stat_cpu(path, user, sys);
}

/* ---------------------------------------------------------------------- */
/* Logs of the spawned programs                                           */

/** @returns how many lines of \p path contain \p needle. */
static int bench_log_count(const char *path, const char *needle)
{
        char *line = NULL;
        size_t cap = 0;
        int n      = 0;
        FILE *fp   = fopen(path, "r");
        while (fp && getline(&line, &cap, fp) != -1)
                n += strstr(line, needle) != NULL;
        free(line);
        if (fp)
                fclose(fp);
        return n;
}

/** @brief Copies the last line of \p path containing \p needle (from the
 *         needle on) to \p out. @returns 1 if found. */
static int bench_log_last(const char *path, const char *needle, char *out,
                          size_t size)
{
        char *line = NULL, *at;
        size_t cap = 0;
        int found  = 0;
        FILE *fp   = fopen(path, "r");
        while (fp && getline(&line, &cap, fp) != -1)
                if ((at = strstr(line, needle))) {
                        at[strcspn(at, "\n")] = '\0';
                        snprintf(out, size, "%s", at);
                        found = 1;
                }
        free(line);
        if (fp)
                fclose(fp);
        return found;
}

/** @returns N of the last "assigned N partition(s)" of \p path, or -1. */
static int bench_log_assigned(const char *path)
{
        char last[256];
        if (!bench_log_last(path, "assigned ", last, sizeof(last)))
                return -1;
        return atoi(last + strlen("assigned "));
}

/** @brief Prints the last \p n lines of \p path to stderr. */
static void bench_log_tail(const char *path, int n)
{
        char *lines[64] = {0};
        char *line      = NULL;
        size_t cap      = 0;
        long cnt        = 0;
        FILE *fp        = fopen(path, "r");
        if (n > 64)
                n = 64;
        while (fp && getline(&line, &cap, fp) != -1) {
                vg_free(lines[cnt % n]);
                lines[cnt % n] = vg_strdup(line);
                cnt++;
        }
        free(line);
        if (fp)
                fclose(fp);
        fprintf(stderr, "--- last lines of %s ---\n", path);
        for (long i = cnt > n ? cnt - n : 0; i < cnt; i++)
                fputs(lines[i % n], stderr);
        for (int i = 0; i < n; i++)
                vg_free(lines[i]);
}

/* ---------------------------------------------------------------------- */
/* Services                                                               */

/** Options shared by both sub-commands. */
typedef struct bench_opts_s {
        const char *bootstrap; /**< NULL: start a vigie-broker */
        int redis_port;        /**< 0: start a redis-server */
        const char *xs[BENCH_MAX_X]; /**< extra -X for vigie-change */
        int nx;
        int full_updates;
        uint64_t seed;
} bench_opts_t;

/** The broker, Redis and the bench's own Kafka/Avro handles. */
typedef struct bench_svc_s {
        char bin_dir[PATH_MAX];
        char bootstrap[512];
        int redis_port;
        pid_t broker_pid, redis_pid;
        rd_kafka_t *rk;          /**< metadata and watermark queries */
        vg_avro_registry_t *reg; /**< this thread's registry */
        vg_avro_schema_t *chg_sch;
        avro_value_t chg_val;
        int has_val;
        char prefix[64];         /**< Redis key prefix of this run */
        char run_id[32];
} bench_svc_t;

static const char *bench_tmp(const char *name)
{
        static char buf[8][PATH_MAX];
        static int i;
        char *p = buf[i++ % 8];
        snprintf(p, PATH_MAX, "%s/%s", bench_tmpdir, name);
        return p;
}

static int bench_svc_start_redis(bench_svc_t *svc)
{
        char port[16], *exe = bench_which("redis-server");
        if (!exe) {
                fprintf(stderr, "vigie-bench: redis-server not found in "
                        "PATH (deploy/install-deps.sh), or give "
                        "--redis-port\n");
                return -1;
        }
        for (int attempt = 0; attempt < 5; attempt++) {
                svc->redis_port = bench_free_port();
                snprintf(port, sizeof(port), "%d", svc->redis_port);
                char *argv[] = {exe, "--port", port, "--bind", "127.0.0.1",
                                "--save", "", "--appendonly", "no",
                                "--dir", bench_tmpdir, NULL};
                svc->redis_pid = bench_spawn(argv, bench_tmp("redis.log"));
                for (int i = 0; i < 200 && bench_alive(svc->redis_pid, NULL);
                     i++) {
                        if (bench_redis_ping(svc->redis_port)) {
                                vg_free(exe);
                                return 0;
                        }
                        bench_sleep_ms(25);
                }
                bench_stop(svc->redis_pid, SIGKILL, 2);
        }
        vg_free(exe);
        fprintf(stderr, "vigie-bench: redis-server did not start\n");
        bench_log_tail(bench_tmp("redis.log"), 20);
        return -1;
}

static int bench_svc_start_broker(bench_svc_t *svc)
{
        char exe[PATH_MAX + 16], parts[16];
        const char *bf = bench_tmp("bootstrap");
        char *argv[8 + 2 * BENCH_TOPIC_CNT];
        int a = 0;
        snprintf(exe, sizeof(exe), "%s/vigie-broker", svc->bin_dir);
        snprintf(parts, sizeof(parts), "%d", BENCH_PARTITIONS);
        argv[a++] = exe;
        argv[a++] = "--partitions";
        argv[a++] = parts;
        argv[a++] = "--bootstrap-file";
        argv[a++] = (char *)bf;
        for (size_t i = 0; i < BENCH_TOPIC_CNT; i++) {
                argv[a++] = "-t";
                argv[a++] = (char *)bench_topics[i];
        }
        argv[a] = NULL;
        svc->broker_pid = bench_spawn(argv, bench_tmp("broker.log"));
        for (int i = 0; i < 400 && bench_alive(svc->broker_pid, NULL); i++) {
                FILE *fp = fopen(bf, "r");
                if (fp) {
                        int ok = fgets(svc->bootstrap,
                                       sizeof(svc->bootstrap), fp) != NULL;
                        fclose(fp);
                        svc->bootstrap[strcspn(svc->bootstrap, "\n")] = 0;
                        if (ok && svc->bootstrap[0])
                                return 0;
                }
                bench_sleep_ms(25);
        }
        fprintf(stderr, "vigie-bench: vigie-broker did not start\n");
        bench_log_tail(bench_tmp("broker.log"), 20);
        return -1;
}

/** @returns the partition count of \p topic, or -1 if it does not exist. */
static int bench_parts(rd_kafka_t *rk, const char *topic)
{
        const struct rd_kafka_metadata *md;
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
        int n                 = -1;
        if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) == 0) {
                if (md->topic_cnt == 1 && !md->topics[0].err)
                        n = md->topics[0].partition_cnt;
                rd_kafka_metadata_destroy(md);
        }
        rd_kafka_topic_destroy(rkt);
        return n;
}

/** @returns the sum of the end offsets of \p topic, or -1. */
/* The sum of \p topic's end offsets, in one ListOffsets request
 * (timestamp -1 = latest): polling every few ms must not load the broker
 * being measured. */
static int64_t bench_end_offsets(rd_kafka_t *rk, const char *topic,
                                 int nparts)
{
        rd_kafka_topic_partition_list_t *l =
                rd_kafka_topic_partition_list_new(nparts);
        int64_t sum = 0;
        for (int p = 0; p < nparts; p++)
                rd_kafka_topic_partition_list_add(l, topic, p)->offset =
                        RD_KAFKA_OFFSET_END;
        if (rd_kafka_offsets_for_times(rk, l, 5000))
                sum = -1;
        for (int i = 0; i < l->cnt && sum >= 0; i++) {
                if (l->elems[i].err || l->elems[i].offset < 0)
                        sum = -1;
                else
                        sum += l->elems[i].offset;
        }
        rd_kafka_topic_partition_list_destroy(l);
        return sum;
}

static vg_conf_t *bench_conf(const bench_svc_t *svc, const char *const *kv)
{
        char errstr[256];
        vg_conf_t *conf = vg_conf_new(NULL);
        vg_conf_set(conf, "bootstrap.servers", svc->bootstrap, errstr,
                    sizeof(errstr));
        for (; kv && *kv; kv++)
                if (vg_conf_set_kv(conf, *kv, errstr, sizeof(errstr)))
                        bench_note("ignored %s: %s", *kv, errstr);
        return conf;
}

/**
 * @brief Starts (or connects to) the broker and Redis, creates the
 *        temporary directory, the query handle and the Avro registry.
 *        With an external broker, \p topics must exist and \p empty ones
 *        must hold no record (the bench needs a fresh broker).
 */
static int bench_svc_start(bench_svc_t *svc, const bench_opts_t *o,
                           const char *const *topics, int ntopics,
                           const char *const *empty, int nempty)
{
        char errstr[512], exe[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

        memset(svc, 0, sizeof(*svc));
        if (n <= 0) {
                fprintf(stderr, "vigie-bench: cannot read /proc/self/exe\n");
                return -1;
        }
        exe[n] = '\0';
        *strrchr(exe, '/') = '\0';
        snprintf(svc->bin_dir, sizeof(svc->bin_dir), "%s", exe);
        snprintf(svc->run_id, sizeof(svc->run_id), "%d-%" PRId64,
                 (int)getpid(), vg_time_now_ms() % 100000);
        snprintf(svc->prefix, sizeof(svc->prefix), "vigie-bench:%s:",
                 svc->run_id);

        snprintf(bench_tmpdir, sizeof(bench_tmpdir),
                 "/tmp/vigie-bench.XXXXXX");
        if (!mkdtemp(bench_tmpdir)) {
                fprintf(stderr, "vigie-bench: mkdtemp: %s\n",
                        strerror(errno));
                bench_tmpdir[0] = '\0';
                return -1;
        }
        atexit(bench_cleanup);
        signal(SIGINT, bench_on_signal);
        signal(SIGTERM, bench_on_signal);

        if (o->redis_port) {
                svc->redis_port = o->redis_port;
                if (!bench_redis_ping(svc->redis_port)) {
                        fprintf(stderr, "vigie-bench: no Redis answers on "
                                "127.0.0.1:%d\n", svc->redis_port);
                        return -1;
                }
        } else if (bench_svc_start_redis(svc)) {
                return -1;
        }
        if (o->bootstrap)
                snprintf(svc->bootstrap, sizeof(svc->bootstrap), "%s",
                         o->bootstrap);
        else if (bench_svc_start_broker(svc))
                return -1;

        rd_kafka_conf_t *kc = rd_kafka_conf_new();
        rd_kafka_conf_set(kc, "bootstrap.servers", svc->bootstrap, NULL, 0);
        rd_kafka_conf_set(kc, "log_level", "3", NULL, 0);
        if (!(svc->rk = rd_kafka_new(RD_KAFKA_PRODUCER, kc, errstr,
                                     sizeof(errstr)))) {
                fprintf(stderr, "vigie-bench: %s\n", errstr);
                return -1;
        }
        for (int i = 0; i < ntopics; i++) {
                int np = bench_parts(svc->rk, topics[i]);
                if (np < 1) {
                        fprintf(stderr,
                                "vigie-bench: topic %s not found on %s: "
                                "start vigie-broker with -p %d and -t for "
                                "every topic of this bench, or let the bench "
                                "start its own broker (no --bootstrap)\n",
                                topics[i], svc->bootstrap, BENCH_PARTITIONS);
                        return -1;
                }
        }
        for (int i = 0; i < nempty; i++) {
                int np      = bench_parts(svc->rk, empty[i]);
                int64_t end = bench_end_offsets(svc->rk, empty[i], np);
                if (end != 0) {
                        fprintf(stderr, "vigie-bench: topic %s already "
                                "holds %" PRId64 " record(s): the bench "
                                "needs a fresh broker\n", empty[i], end);
                        return -1;
                }
        }
        if (!(svc->reg = vg_avro_registry_new(VG_SCHEMA_DIR, NULL, errstr,
                                              sizeof(errstr)))) {
                fprintf(stderr, "vigie-bench: %s\n", errstr);
                return -1;
        }
        svc->chg_sch = vg_avro_registry_by_topic(svc->reg, "itsm.changes");
        vg_avro_schema_value_new(svc->chg_sch, &svc->chg_val);
        svc->has_val = 1;
        return 0;
}

static void bench_svc_stop(bench_svc_t *svc)
{
        if (svc->has_val)
                avro_value_decref(&svc->chg_val);
        svc->has_val = 0;
        vg_avro_registry_destroy(svc->reg);
        svc->reg = NULL;
        if (svc->rk)
                rd_kafka_destroy(svc->rk);
        svc->rk = NULL;
        if (svc->broker_pid > 0)
                bench_stop(svc->broker_pid, SIGTERM, 10);
        if (svc->redis_pid > 0)
                bench_stop(svc->redis_pid, SIGTERM, 10);
        svc->broker_pid = svc->redis_pid = 0;
        bench_cleanup();
}

/**
 * @brief Starts vigie-change with its log in the temporary directory:
 *        -b, redis.port, this run's redis.prefix, stats every second, then
 *        \p xs (NULL-terminated), then the user's -X options.
 */
static pid_t bench_change_spawn(const bench_svc_t *svc, const bench_opts_t *o,
                                const char *log, const char *const *xs)
{
        char exe[PATH_MAX + 16], port[48], prefix[128];
        char *argv[16 + 2 * (BENCH_MAX_X + 16)];
        int a = 0;
        snprintf(exe, sizeof(exe), "%s/vigie-change", svc->bin_dir);
        snprintf(port, sizeof(port), "redis.port=%d", svc->redis_port);
        snprintf(prefix, sizeof(prefix), "redis.prefix=%s", svc->prefix);
        argv[a++] = exe;
        argv[a++] = "-b";
        argv[a++] = (char *)svc->bootstrap;
        argv[a++] = "-X";
        argv[a++] = port;
        argv[a++] = "-X";
        argv[a++] = prefix;
        argv[a++] = "-X";
        argv[a++] = "stats.interval.ms=1000";
        /* a large generated world runs years past today's date, and
         * partitions are read one backlog at a time: no record of it is
         * "too far ahead" (event.time.max.ahead.ms, 100 years) */
        argv[a++] = "-X";
        argv[a++] = "event.time.max.ahead.ms=3155760000000";
        for (; xs && *xs && a < 16 + 2 * 16; xs++) {
                argv[a++] = "-X";
                argv[a++] = (char *)*xs;
        }
        for (int i = 0; i < o->nx; i++) {
                argv[a++] = "-X";
                argv[a++] = (char *)o->xs[i];
        }
        argv[a] = NULL;
        return bench_spawn(argv, log);
}

/* ---------------------------------------------------------------------- */
/* Generated events                                                       */

/** A generated change record, converted for producing. */
typedef struct bench_ev_s {
        char number[32];
        int64_t event_time; /**< sys_updated_on, ms */
        int scored;         /**< vigie-change publishes a score for it */
        void *buf;          /**< wire format, vg_free() */
        size_t len;
} bench_ev_t;

/** A JSON Lines file of generated records, read one at a time. */
typedef struct bench_src_s {
        FILE *fp;
        char *line;
        size_t cap;
        long lineno;
} bench_src_t;

static int bench_gen(const char *events, const char *truth, uint64_t seed,
                     int64_t count, int full_updates)
{
        char errstr[256];
        vg_gen_opts_t go;
        vg_gen_opts_init(&go);
        go.seed         = seed;
        go.count        = count;
        go.full_updates = full_updates;
        vg_gen_t *gen   = vg_gen_new(&go, errstr, sizeof(errstr));
        FILE *ef        = fopen(events, "w");
        FILE *tf        = truth ? fopen(truth, "w") : NULL;
        int rc          = -1;
        if (!gen)
                fprintf(stderr, "vigie-bench: generator: %s\n", errstr);
        else if (!ef || (truth && !tf))
                fprintf(stderr, "vigie-bench: cannot write %s: %s\n",
                        events, strerror(errno));
        else if (vg_gen_changes(gen, ef, tf, errstr, sizeof(errstr)))
                fprintf(stderr, "vigie-bench: generator: %s\n", errstr);
        else
                rc = 0;
        if (ef && fclose(ef))
                rc = -1;
        if (tf && fclose(tf))
                rc = -1;
        vg_gen_destroy(gen);
        return rc;
}

static int bench_src_open(bench_src_t *src, const char *path)
{
        memset(src, 0, sizeof(*src));
        if (!(src->fp = fopen(path, "r"))) {
                fprintf(stderr, "vigie-bench: %s: %s\n", path,
                        strerror(errno));
                return -1;
        }
        return 0;
}

static void bench_src_close(bench_src_t *src)
{
        if (src->fp)
                fclose(src->fp);
        free(src->line);
        memset(src, 0, sizeof(*src));
}

/* States for which vigie-change publishes no score (chg_event.c). */
static int bench_state_final(const char *state, const char *close_code)
{
        static const char *fin[] = {"Closed", "Complete", "Canceled",
                                    "Cancelled"};
        for (size_t i = 0; i < sizeof(fin) / sizeof(fin[0]); i++)
                if (!strcmp(state, fin[i]))
                        return 1;
        return !*state && close_code && *close_code;
}

/**
 * @brief Reads and encodes the next record of \p src.
 * @returns 1 with \p ev filled (free ev->buf), 0 at the end, -1 on error.
 */
static int bench_src_next(bench_svc_t *svc, bench_src_t *src, bench_ev_t *ev)
{
        char errstr[512];
        const char *s = NULL, *cc = NULL;
        ssize_t n     = getline(&src->line, &src->cap, src->fp);
        if (n < 0)
                return 0;
        src->lineno++;
        while (n > 0 && (src->line[n - 1] == '\n' || src->line[n - 1] == '\r'))
                src->line[--n] = '\0';
        if (vg_avro_from_json(svc->chg_sch, src->line, (size_t)n,
                              &svc->chg_val, errstr, sizeof(errstr)) ||
            vg_avro_encode(svc->chg_sch, &svc->chg_val, &ev->buf, &ev->len,
                           errstr, sizeof(errstr))) {
                fprintf(stderr, "vigie-bench: generated line %ld: %s\n",
                        src->lineno, errstr);
                return -1;
        }
        vg_avro_get_str(&svc->chg_val, "number", &s, NULL);
        snprintf(ev->number, sizeof(ev->number), "%s", s ? s : "");
        vg_avro_get_long(&svc->chg_val, "sys_updated_on", &ev->event_time);
        s = "";
        vg_avro_get_str(&svc->chg_val, "state", &s, NULL);
        vg_avro_get_str(&svc->chg_val, "close_code", &cc, NULL);
        ev->scored = !bench_state_final(s ? s : "", cc);
        return 1;
}

static int bench_produce_ev(vg_kafka_t *k, const char *topic, bench_ev_t *ev,
                            int64_t ts_ms)
{
        char errstr[256];
        vg_err_t err = vg_kafka_produce(k, NULL, topic, ev->number,
                                        strlen(ev->number), ev->buf, ev->len,
                                        ts_ms, errstr, sizeof(errstr));
        vg_free(ev->buf);
        ev->buf = NULL;
        if (err)
                fprintf(stderr, "vigie-bench: %s\n", errstr);
        return err ? -1 : 0;
}

/** @brief Waits until every output of \p k is acknowledged.
 *  @returns 0, or -1 on a delivery failure or after 60 s. */
static int bench_flush(vg_kafka_t *k)
{
        vg_kafka_stats_t st;
        uint64_t t0 = bench_now_ns();
        for (;;) {
                vg_kafka_poll(k, 20);
                vg_kafka_stats(k, &st);
                if (st.delivery_failed || vg_kafka_fatal(k)) {
                        fprintf(stderr, "vigie-bench: delivery failed: %s\n",
                                vg_kafka_fatal(k) ? vg_kafka_fatal(k) : "?");
                        return -1;
                }
                if (st.delivered == st.produced)
                        return 0;
                if (bench_secs(t0, bench_now_ns()) > 60) {
                        fprintf(stderr, "vigie-bench: %" PRIu64
                                " output(s) not acknowledged in 60 s\n",
                                st.produced - st.delivered);
                        return -1;
                }
        }
}

/* ---------------------------------------------------------------------- */
/* Record keys: (number, event_time) -> counters                          */

typedef struct bench_slot_s {
        char number[24];
        int64_t et;
        int used;
        int expected, seen;
        int64_t in_ts_ms; /**< input record timestamp */
        int64_t in_us;    /**< wall clock at produce, us */
        double p;         /**< quality: p_failure of the latest record */
        int64_t p_et;     /**< quality: event_time of that record */
} bench_slot_t;

typedef struct bench_map_s {
        bench_slot_t *s;
        size_t cap, n;
} bench_map_t;

static void bench_map_init(bench_map_t *m, size_t max)
{
        m->cap = 64;
        while (m->cap < 2 * max)
                m->cap <<= 1;
        m->s = vg_calloc(m->cap, sizeof(*m->s));
        m->n = 0;
}

static void bench_map_free(bench_map_t *m)
{
        vg_free(m->s);
        memset(m, 0, sizeof(*m));
}

/** @returns the slot of (number, et), created if \p create (NULL if
 *           absent, or if the map is full). */
static bench_slot_t *bench_map_get(bench_map_t *m, const char *number,
                                   int64_t et, int create)
{
        uint64_t h = 1469598103934665603ull ^ (uint64_t)et;
        for (const char *c = number; *c; c++)
                h = (h ^ (unsigned char)*c) * 1099511628211ull;
        h ^= h >> 29;
        for (size_t i = h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
                bench_slot_t *s = &m->s[i];
                if (!s->used) {
                        if (!create || m->n + 1 >= m->cap)
                                return NULL;
                        s->used = 1;
                        s->et   = et;
                        snprintf(s->number, sizeof(s->number), "%s", number);
                        m->n++;
                        return s;
                }
                if (s->et == et && !strcmp(s->number, number))
                        return s;
        }
}

/** One decoded ChangeRisk record. */
typedef struct bench_risk_s {
        const char *number;
        int64_t event_time, scored_at;
        double p;
} bench_risk_t;

static int bench_risk_decode(bench_svc_t *svc, const void *buf, size_t len,
                             bench_risk_t *r)
{
        char errstr[256];
        avro_value_t *val;
        if (vg_avro_decode(svc->reg, buf, len, NULL, &val, errstr,
                           sizeof(errstr)))
                return -1;
        r->number = "";
        vg_avro_get_str(val, "number", &r->number, NULL);
        r->event_time = r->scored_at = -1;
        r->p                         = -1;
        vg_avro_get_long(val, "event_time", &r->event_time);
        vg_avro_get_long(val, "scored_at", &r->scored_at);
        vg_avro_get_double(val, "p_failure", &r->p);
        return 0;
}

/**
 * @brief Reads all of \p topic (no group, from the beginning) and calls
 *        \p cb with each decoded ChangeRisk. @returns the records read,
 *        or -1.
 */
static long bench_read_all(bench_svc_t *svc, const char *topic,
                           void (*cb)(const bench_risk_t *r, void *opaque),
                           void *opaque)
{
        char errstr[512];
        const char *topics[] = {topic};
        vg_kafka_rec_t recs[500];
        vg_conf_t *conf = bench_conf(svc, NULL);
        vg_kafka_t *k   = vg_kafka_new(conf, NULL, topics, 1,
                                       VG_KAFKA_F_READALL, errstr,
                                       sizeof(errstr));
        long n = 0, bad = 0;
        uint64_t t0 = bench_now_ns();
        vg_conf_destroy(conf);
        if (!k) {
                fprintf(stderr, "vigie-bench: %s\n", errstr);
                return -1;
        }
        for (;;) {
                int got = vg_kafka_consume(k, recs, 500, 200);
                for (int i = 0; i < got; i++) {
                        bench_risk_t r;
                        if (bench_risk_decode(svc, recs[i].value, recs[i].len,
                                              &r) == 0)
                                cb(&r, opaque);
                        else
                                bad++;
                        vg_kafka_rec_done(k, &recs[i]);
                        n++;
                }
                if (got == 0 && vg_kafka_at_end(k))
                        break;
                if (bench_secs(t0, bench_now_ns()) > 300) {
                        fprintf(stderr, "vigie-bench: reading %s timed "
                                "out\n", topic);
                        n = -1;
                        break;
                }
        }
        vg_kafka_close(k, 1000);
        if (bad)
                bench_note("%ld record(s) of %s could not be decoded", bad,
                           topic);
        return n;
}

/* ---------------------------------------------------------------------- */
/* Waiting for outputs                                                    */

/* CPU seconds used so far by the processes sharing the machine. */
typedef struct bench_cpu_s {
        double change, broker, redis, self;
        double main_user, main_sys; /**< vigie-change's main thread */
        double busy, all; /**< whole machine (/proc/stat), CPU seconds */
} bench_cpu_t;

static void bench_machine_cpu(double *busy, double *all)
{
        unsigned long long v[8] = {0};
        FILE *fp = fopen("/proc/stat", "r");
        double hz = (double)sysconf(_SC_CLK_TCK), sum = 0;
        if (!fp || fscanf(fp, "cpu %llu %llu %llu %llu %llu %llu %llu %llu",
                          &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
                          &v[7]) != 8)
                memset(v, 0, sizeof(v));
        if (fp)
                fclose(fp);
        for (int i = 0; i < 8; i++)
                sum += (double)v[i];
        *all  = sum / hz;
        *busy = (sum - (double)v[3] - (double)v[4]) / hz; /* - idle, iowait */
}

/* 0 for a process not started by the bench (external broker, Redis). */
static double bench_cpu_of(pid_t pid)
{
        return pid > 0 ? bench_proc_cpu(pid) : 0;
}

static void bench_cpu_read(const bench_svc_t *svc, pid_t change,
                           bench_cpu_t *c)
{
        c->change    = bench_cpu_of(change);
        c->main_user = c->main_sys = 0;
        if (change > 0)
                bench_main_thread_cpu(change, &c->main_user, &c->main_sys);
        c->broker = bench_cpu_of(svc->broker_pid);
        c->redis  = bench_cpu_of(svc->redis_pid);
        c->self   = bench_cpu_of(getpid());
        bench_machine_cpu(&c->busy, &c->all);
}

typedef struct bench_wait_s {
        int64_t reached;    /**< outputs counted (end offsets - base) */
        uint64_t t_first;   /**< first poll that saw an output, ns */
        uint64_t t_last;    /**< poll that saw the last growth, ns */
        int died;           /**< a process exited meanwhile */
        bench_cpu_t c_first, c_last; /**< CPU at t_first and t_last */
} bench_wait_t;

/**
 * @brief Polls the end offsets of \p topic (every \p poll_ms) until they
 *        reach \p base + \p want, or stop growing for \p idle_s once
 *        started, or nothing comes in \p start_s, or one of \p pids exits.
 */
static void bench_wait_outputs(bench_svc_t *svc, const char *topic,
                               int64_t base, int64_t want, const pid_t *pids,
                               int npids, double start_s, double idle_s,
                               int poll_ms, bench_wait_t *w)
{
        int np       = bench_parts(svc->rk, topic);
        uint64_t t0  = bench_now_ns();
        int64_t last = 0;
        memset(w, 0, sizeof(*w));
        for (;;) {
                int64_t end = bench_end_offsets(svc->rk, topic, np);
                uint64_t now = bench_now_ns();
                if (end >= 0 && end - base > last) {
                        last = end - base;
                        if (!w->t_first) {
                                w->t_first = now;
                                bench_cpu_read(svc, pids[0], &w->c_first);
                        }
                        w->t_last = now;
                        bench_cpu_read(svc, pids[0], &w->c_last);
                }
                w->reached = last;
                if (last >= want)
                        return;
                if (!w->t_first && bench_secs(t0, now) > start_s)
                        return;
                if (w->t_first && bench_secs(w->t_last, now) > idle_s)
                        return;
                for (int i = 0; i < npids; i++)
                        if (!bench_alive(pids[i], NULL)) {
                                w->died = 1;
                                return;
                        }
                bench_sleep_ms(poll_ms);
        }
}

/* ---------------------------------------------------------------------- */
/* vigie-bench changes                                                    */

typedef struct bench_lat_s {
        int64_t produced, expected, matched;
        double rate;            /**< achieved input rate, /s */
        double *scored, *seen;  /**< ms, by sample */
        int64_t n;
} bench_lat_t;

static int bench_dbl_cmp(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

/** Nearest-rank percentile of sorted \p v. */
static double bench_pct(const double *v, int64_t n, double q)
{
        if (n == 0)
                return NAN;
        int64_t i = (int64_t)ceil(q * (double)n) - 1;
        return v[i < 0 ? 0 : i >= n ? n - 1 : i];
}

/** A consumer of every partition of \p topic from its current end. */
static rd_kafka_t *bench_tail_consumer(bench_svc_t *svc, const char *topic)
{
        char errstr[512], gid[64];
        rd_kafka_conf_t *kc = rd_kafka_conf_new();
        snprintf(gid, sizeof(gid), "vigie-bench-tail-%s", svc->run_id);
        rd_kafka_conf_set(kc, "bootstrap.servers", svc->bootstrap, NULL, 0);
        rd_kafka_conf_set(kc, "group.id", gid, NULL, 0);
        rd_kafka_conf_set(kc, "enable.auto.commit", "false", NULL, 0);
        rd_kafka_conf_set(kc, "fetch.wait.max.ms", "10", NULL, 0);
        rd_kafka_conf_set(kc, "log_level", "3", NULL, 0);
        rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, kc, errstr,
                                      sizeof(errstr));
        if (!rk) {
                fprintf(stderr, "vigie-bench: %s\n", errstr);
                return NULL;
        }
        rd_kafka_poll_set_consumer(rk);
        int np = bench_parts(svc->rk, topic);
        rd_kafka_topic_partition_list_t *tl =
                rd_kafka_topic_partition_list_new(np);
        for (int p = 0; p < np; p++) {
                int64_t lo, hi;
                rd_kafka_query_watermark_offsets(svc->rk, topic, p, &lo, &hi,
                                                 5000);
                rd_kafka_topic_partition_list_add(tl, topic, p)->offset = hi;
        }
        rd_kafka_assign(rk, tl);
        rd_kafka_topic_partition_list_destroy(tl);
        return rk;
}

/** Handles one output of the latency run. */
static void bench_lat_output(bench_svc_t *svc, bench_map_t *m,
                             bench_lat_t *lat, rd_kafka_message_t *rkm)
{
        int64_t now_us = bench_wall_us();
        bench_risk_t r;
        if (rkm->err ||
            bench_risk_decode(svc, rkm->payload, rkm->len, &r) != 0)
                return;
        bench_slot_t *s = bench_map_get(m, r.number, r.event_time, 0);
        if (!s || s->seen++)
                return;
        lat->scored[lat->n] = (double)(r.scored_at - s->in_ts_ms);
        lat->seen[lat->n]   = (double)(now_us - s->in_us) / 1000.0;
        lat->n++;
        lat->matched++;
}

/**
 * @brief Produces the next \p rate * \p secs records of \p src to
 *        itsm.changes at a steady \p rate, with timestamp = now, while a
 *        consumer reads itsm.changes.scored; matches outputs to inputs by
 *        (number, event_time).
 */
static int bench_latency(bench_svc_t *svc, bench_src_t *src, double rate,
                         double secs, const char *const *prod_kv,
                         pid_t change_pid, bench_lat_t *lat)
{
        char errstr[512];
        int64_t total = (int64_t)(rate * secs);
        bench_map_t m = {0};
        vg_conf_t *conf = bench_conf(svc, prod_kv);
        vg_kafka_t *k   = vg_kafka_new(conf, NULL, NULL, 0,
                                       VG_KAFKA_F_PRODUCER, errstr,
                                       sizeof(errstr));
        rd_kafka_t *cons = bench_tail_consumer(svc, "itsm.changes.scored");
        int rc           = -1;

        vg_conf_destroy(conf);
        memset(lat, 0, sizeof(*lat));
        if (!k || !cons) {
                if (!k)
                        fprintf(stderr, "vigie-bench: %s\n", errstr);
                goto done;
        }
        bench_map_init(&m, (size_t)total);
        lat->scored = vg_calloc((size_t)total + 1, sizeof(double));
        lat->seen   = vg_calloc((size_t)total + 1, sizeof(double));
        /* Warm the producer up (idempotent producer id, metadata of the
         * input topic), or its start-up lands on the first inputs'
         * latency: one record to bench.pipe, acknowledged. */
        {
                const struct rd_kafka_metadata *md;
                rd_kafka_t *prk   = vg_kafka_producer_handle(k);
                rd_kafka_topic_t *rkt = rd_kafka_topic_new(prk, "itsm.changes",
                                                           NULL);
                if (!rd_kafka_metadata(prk, 0, rkt, &md, 5000))
                        rd_kafka_metadata_destroy(md);
                rd_kafka_topic_destroy(rkt);
                if (vg_kafka_produce(k, NULL, "bench.pipe", "warmup", 6, "x",
                                     1, 0, errstr, sizeof(errstr)) == VG_OK)
                        rd_kafka_flush(prk, 5000);
        }
        /* Let the consumer start fetching before the first input. */
        for (int i = 0; i < 50; i++) {
                rd_kafka_message_t *rkm = rd_kafka_consumer_poll(cons, 10);
                if (rkm)
                        rd_kafka_message_destroy(rkm);
        }

        uint64_t t0 = bench_now_ns(), t_end = 0, now;
        int eof     = 0;
        for (;;) {
                now = bench_now_ns();
                int64_t due = (int64_t)(bench_secs(t0, now) * rate);
                while (!eof && lat->produced < total && lat->produced < due) {
                        bench_ev_t ev;
                        int r = bench_src_next(svc, src, &ev);
                        if (r <= 0) {
                                eof = 1;
                                if (r < 0)
                                        goto done;
                                break;
                        }
                        int64_t us = bench_wall_us();
                        if (ev.scored) {
                                bench_slot_t *s = bench_map_get(
                                        &m, ev.number, ev.event_time, 1);
                                s->expected++;
                                s->in_ts_ms = us / 1000;
                                s->in_us    = us;
                                lat->expected++;
                        }
                        if (bench_produce_ev(k, "itsm.changes", &ev,
                                             us / 1000))
                                goto done;
                        lat->produced++;
                }
                if (!t_end && (eof || lat->produced >= total)) {
                        t_end     = bench_now_ns();
                        lat->rate = (double)lat->produced /
                                    bench_secs(t0, t_end);
                }
                vg_kafka_poll(k, 0);
                rd_kafka_message_t *rkm = rd_kafka_consumer_poll(cons, 1);
                while (rkm) {
                        bench_lat_output(svc, &m, lat, rkm);
                        rd_kafka_message_destroy(rkm);
                        rkm = rd_kafka_consumer_poll(cons, 0);
                }
                if (t_end && (lat->matched >= lat->expected ||
                              bench_secs(t_end, bench_now_ns()) > 15))
                        break;
                if (!bench_alive(change_pid, NULL)) {
                        fprintf(stderr, "vigie-bench: vigie-change exited "
                                "during the latency run\n");
                        goto done;
                }
        }
        rc = bench_flush(k);
done:
        if (m.s)
                bench_map_free(&m);
        if (cons) {
                rd_kafka_consumer_close(cons);
                rd_kafka_destroy(cons);
        }
        vg_kafka_close(k, 5000);
        qsort(lat->scored, (size_t)lat->n, sizeof(double), bench_dbl_cmp);
        qsort(lat->seen, (size_t)lat->n, sizeof(double), bench_dbl_cmp);
        return rc;
}

static void bench_lat_free(bench_lat_t *lat)
{
        vg_free(lat->scored);
        vg_free(lat->seen);
        memset(lat, 0, sizeof(*lat));
}

/**
 * @brief The bare pipe: consumes itsm.changes in a group, produces the
 *        same bytes to bench.pipe, stores offsets once acknowledged.
 * @returns events/s from the first batch consumed to the last output
 *          acknowledged, or -1.
 */
static double bench_pipe(bench_svc_t *svc, int64_t total, bench_cpu_t cpu[2])
{
        char errstr[512], gid[64];
        const char *topics[] = {"itsm.changes"};
        vg_kafka_rec_t recs[500];
        vg_kafka_stats_t st;
        vg_conf_t *conf = bench_conf(svc, NULL);
        snprintf(gid, sizeof(gid), "vigie-bench-pipe-%s", svc->run_id);
        vg_kafka_t *k = vg_kafka_new(conf, gid, topics, 1,
                                     VG_KAFKA_F_CONSUMER |
                                             VG_KAFKA_F_PRODUCER,
                                     errstr, sizeof(errstr));
        uint64_t t0 = bench_now_ns(), t_first = 0, t_last = 0;
        double rate = -1;
        vg_conf_destroy(conf);
        if (!k) {
                fprintf(stderr, "vigie-bench: %s\n", errstr);
                return -1;
        }
        for (;;) {
                int n = vg_kafka_consume(k, recs, 500, 100);
                for (int i = 0; i < n; i++) {
                        if (vg_kafka_produce(k, &recs[i], BENCH_T_PIPE,
                                             recs[i].key, recs[i].key_len,
                                             recs[i].value, recs[i].len, 0,
                                             errstr, sizeof(errstr)))
                                fprintf(stderr, "vigie-bench: %s\n", errstr);
                        vg_kafka_rec_done(k, &recs[i]);
                }
                vg_kafka_stats(k, &st);
                if (st.consumed >= (uint64_t)total)
                        vg_kafka_poll(k, 1);
                vg_kafka_stats(k, &st);
                uint64_t now = bench_now_ns();
                if (n > 0 && !t_first) {
                        t_first = now;
                        bench_cpu_read(svc, 0, &cpu[0]);
                }
                if (st.delivered >= (uint64_t)total) {
                        t_last = now;
                        bench_cpu_read(svc, 0, &cpu[1]);
                        break;
                }
                if (vg_kafka_fatal(k) || bench_secs(t0, now) > 300) {
                        fprintf(stderr, "vigie-bench: bare pipe failed: "
                                "%s\n", vg_kafka_fatal(k) ? vg_kafka_fatal(k)
                                                          : "timed out");
                        break;
                }
        }
        if (t_last > t_first)
                rate = (double)total / bench_secs(t_first, t_last);
        vg_kafka_close(k, 10000);
        return rate;
}

/** Two-instance run: the expected keys, and the outputs read back. */
static void bench_pair_cb(const bench_risk_t *r, void *opaque)
{
        bench_map_t *m  = opaque;
        bench_slot_t *s = bench_map_get(m, r->number, r->event_time, 1);
        if (s)
                s->seen++;
}

/* Where the machine's CPU went over the output window: the budget that
 * bounds the throughput of one instance on this machine. */
static void bench_print_cpu(const bench_wait_t *w, double secs,
                            int64_t events)
{
        const bench_cpu_t *a = &w->c_first, *b = &w->c_last;
        double ev = (double)events; /* every input of the window */
        if (secs <= 0 || !w->reached || b->all <= a->all)
                return;
        struct { const char *name; double s; } p[] = {
                {"vigie-change", b->change - a->change},
                {"redis-server", b->redis - a->redis},
                {"vigie-broker", b->broker - a->broker},
                {"vigie-bench (this program)", b->self - a->self},
        };
        double ncpu = (b->all - a->all) / secs;
        printf("   CPU over the output window        cores used (of %.0f), "
               "and us of CPU per input event:\n", ncpu);
        double mu = b->main_user - a->main_user;
        double ms = b->main_sys - a->main_sys;
        struct { const char *name; double s; } t[] = {
                {"main thread, user", mu},
                {"main thread, system (syscalls)", ms},
                {"other threads (rdkafka, render)", p[0].s - mu - ms},
        };
        for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
                if (p[i].s <= 0)
                        continue;
                printf("     %-32s %.2f cores  %6.1f us/event\n",
                       p[i].name, p[i].s / secs, 1e6 * p[i].s / ev);
                for (size_t j = 0; i == 0 && j < sizeof(t) / sizeof(t[0]);
                     j++)
                        printf("       %-30s %.2f cores  %6.1f us/event\n",
                               t[j].name, t[j].s / secs, 1e6 * t[j].s / ev);
        }
        printf("     %-32s %.2f cores  %6.1f us/event\n", "whole machine",
               (b->busy - a->busy) / secs, 1e6 * (b->busy - a->busy) / ev);
        printf("     at 50,000 events/s the same work would need %.2f cores "
               "(%.2f for redis-server alone)\n",
               50000 * (b->busy - a->busy) / ev,
               50000 * (b->redis - a->redis) / ev);
}

static void bench_print_stats_line(const char *what, const char *log)
{
        char line[512];
        if (bench_log_last(log, "in=", line, sizeof(line)) &&
            (line[strcspn(line, "\"")] = '\0', 1))
                printf("   %-34s %s\n", what, line);
}

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
        char errstr[512], gid[96];
        vg_conf_t *conf = bench_conf(svc, bench_backlog_kv);
        vg_kafka_t *k   = vg_kafka_new(conf, NULL, NULL, 0,
                                       VG_KAFKA_F_PRODUCER, errstr,
                                       sizeof(errstr));
        vg_conf_destroy(conf);
        if (!k) {
                fprintf(stderr, "vigie-bench: %s\n", errstr);
                return -1;
        }
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
        int frc = bench_flush(k);
        vg_kafka_close(k, 10000);
        if (frc)
                return -1;
        res->produce_s = bench_secs(t0, bench_now_ns());

        bench_note("bare pipe: consume itsm.changes -> produce %s",
                   BENCH_T_PIPE);
        res->pipe_rate = bench_pipe(svc, res->events, res->pipe_cpu);

        snprintf(gid, sizeof(gid), "group.id=vigie-bench-%s", svc->run_id);
        const char *xs[] = {gid, NULL};
        snprintf(res->change_log[0], PATH_MAX, "%s", bench_tmp("change.log"));
        bench_note("vigie-change on the backlog (expecting %s scored "
                   "records)", BENCH_INT(res->to_score));
        *pidp = bench_change_spawn(svc, o, res->change_log[0], xs);
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
        res->lat_ok[0] = bench_latency(svc, src, rate, secs, NULL, *pidp,
                                       &res->lat[0]) == 0;
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
                *pidp = bench_change_spawn(svc, o, res->change_log[r + 1],
                                           xs);
                uint64_t t0 = bench_now_ns();
                while (bench_log_count(res->change_log[r + 1],
                                       "assigned ") == 0) {
                        if (!bench_alive(*pidp, NULL) ||
                            bench_secs(t0, bench_now_ns()) > 60) {
                                fprintf(stderr, "vigie-bench: restarted "
                                        "vigie-change did not join its "
                                        "group\n");
                                bench_log_tail(res->change_log[r + 1], 30);
                                return -1;
                        }
                        bench_sleep_ms(50);
                }
                bench_sleep_ms(1000); /* first fetches */
                res->lat_ok[r + 1] = bench_latency(svc, src, rate, secs,
                                                   prod_kv, *pidp,
                                                   &res->lat[r + 1]) == 0;
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
        char src[PATH_MAX + 64], dst[PATH_MAX + 64], *text;
        static const char *files[] = {"Alert.avsc", "ChangeRequest.avsc",
                                      "ChangeRisk.avsc", "DeadLetter.avsc",
                                      "Incident.avsc", "IncidentEnriched.avsc",
                                      "SurveyInsight.avsc",
                                      "SurveyResponse.avsc"};
        snprintf(dir, sizeof(dir), "%s", bench_tmp("schemas"));
        if (mkdir(dir, 0700))
                return NULL;
        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
                snprintf(src, sizeof(src), "%s/%s", VG_SCHEMA_DIR, files[i]);
                snprintf(dst, sizeof(dst), "%s/%s", dir, files[i]);
                if (symlink(src, dst))
                        return NULL;
        }
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
        char errstr[512], gid[96], prefix[160];
        const char *events = bench_tmp("pair.jsonl");
        pid_t pids[2]      = {0, 0};
        const char *logs[2];
        bench_src_t src;
        bench_map_t m;
        bench_wait_t w;
        int rc = -1;

        bench_note("two instances: generating %s changes",
                   BENCH_INT(nchanges));
        if (bench_gen(events, NULL, o->seed + 1000, nchanges, o->full_updates) ||
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
                pids[i] = bench_change_spawn(svc, o, logs[i], xs);
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

        vg_conf_t *conf = bench_conf(svc, NULL);
        vg_kafka_t *k   = vg_kafka_new(conf, NULL, NULL, 0,
                                       VG_KAFKA_F_PRODUCER, errstr,
                                       sizeof(errstr));
        vg_conf_destroy(conf);
        if (!k) {
                fprintf(stderr, "vigie-bench: %s\n", errstr);
                goto done;
        }
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
        int frc = bench_flush(k);
        vg_kafka_close(k, 10000);
        if (frc)
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

static void bench_print_lat(const char *title, const bench_lat_t *lat,
                            int ok, double target)
{
        printf("   %s\n", title);
        if (!ok || lat->n == 0) {
                printf("     measurement FAILED (%s outputs matched)\n",
                       BENCH_INT(lat->n));
                return;
        }
        printf("     input %s events at %.0f events/s, %s to score, %s "
               "matched%s\n",
               BENCH_INT(lat->produced), lat->rate, BENCH_INT(lat->expected),
               BENCH_INT(lat->matched),
               lat->matched < lat->expected ? " (SOME MISSING)" : "");
        double p99 = bench_pct(lat->scored, lat->n, 0.99);
        printf("     produce -> scored (scored_at - input CreateTime)   "
               "p50 %4.0f  p99 %4.0f  max %5.0f ms   target p99 <= %.0f ms "
               "%s\n",
               bench_pct(lat->scored, lat->n, 0.50), p99,
               lat->scored[lat->n - 1], target, bench_met(p99 <= target));
        printf("     produce -> read by a consumer of the output topic  "
               "p50 %4.1f  p99 %4.1f  max %5.1f ms   (for information)\n",
               bench_pct(lat->seen, lat->n, 0.50),
               bench_pct(lat->seen, lat->n, 0.99), lat->seen[lat->n - 1]);
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
                bench_print_cpu(&r->w, secs, r->events);
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
                                &r->lat[0], r->lat_ok[0], 25);
                bench_print_lat("b) kafka.linger.ms = 0 in vigie-change "
                                "(restarted) and in the producer",
                                &r->lat[1], r->lat_ok[1], 25);
                bench_print_lat("c) as b) plus kafka.fetch.wait.max.ms = 10 "
                                "in vigie-change (vigie's default: 5)",
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
        if (!pair_ok) {
                printf("   measurement FAILED (see messages above)\n");
                return;
        }
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

static int bench_opts_common(bench_opts_t *o, int c, const char *arg)
{
        switch (c) {
        case 'b': o->bootstrap = arg; return 0;
        case 'r': o->redis_port = atoi(arg); return 0;
        case 'S': o->seed = strtoull(arg, NULL, 10); return 0;
        case 'F': o->full_updates = 0; return 0;
        case 'K': bench_keep_tmp = 1; return 0;
        case 'X':
                if (o->nx < BENCH_MAX_X)
                        o->xs[o->nx++] = arg;
                return 0;
        }
        return -1;
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
                {"seed", required_argument, 0, 'S'},
                {"slim-updates", no_argument, 0, 'F'},
                {"keep", no_argument, 0, 'K'},
                {"help", no_argument, 0, 'h'},
                {0, 0, 0, 0},
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
        if (bench_gen(gen, NULL, o.seed, res->changes, o.full_updates) == 0 &&
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
static void bench_quality_cb(const bench_risk_t *r, void *opaque)
{
        bench_map_t *m  = opaque;
        bench_slot_t *s = bench_map_get(m, r->number, 0, 1);
        if (!s)
                return;
        if (!s->seen || r->event_time >= s->p_et) {
                s->p_et = r->event_time;
                s->p    = r->p;
        }
        s->seen++;
}

typedef struct bench_truth_s {
        char number[24];
        double p_true;
        int failed; /**< 1, 0, or -1 for a canceled change */
} bench_truth_t;

static int bench_truth_cmp(const void *a, const void *b)
{
        return strcmp(((const bench_truth_t *)a)->number,
                      ((const bench_truth_t *)b)->number);
}

/** @returns the rows of the truth CSV (number,p_true,failed), or NULL. */
static bench_truth_t *bench_truth_read(const char *path, size_t *np)
{
        char line[256];
        size_t n = 0, cap = 1024;
        FILE *fp = fopen(path, "r");
        if (!fp)
                return NULL;
        bench_truth_t *t = vg_malloc(cap * sizeof(*t));
        while (fgets(line, sizeof(line), fp)) {
                char *c1 = strchr(line, ','), *c2;
                if (!c1 || !(c2 = strchr(c1 + 1, ',')) ||
                    !strncmp(line, "number,", 7))
                        continue;
                if (n == cap)
                        t = vg_realloc(t, (cap *= 2) * sizeof(*t));
                *c1 = '\0';
                snprintf(t[n].number, sizeof(t[n].number), "%.23s", line);
                t[n].p_true = atof(c1 + 1);
                t[n].failed = c2[1] == '1' ? 1 : c2[1] == '0' ? 0 : -1;
                n++;
        }
        fclose(fp);
        *np = n;
        return t;
}

typedef struct bench_sc_s {
        double s;
        int y;
} bench_sc_t;

static int bench_sc_cmp(const void *a, const void *b)
{
        double x = ((const bench_sc_t *)a)->s, y = ((const bench_sc_t *)b)->s;
        return x < y ? -1 : x > y;
}

/** @returns the ROC AUC of scores \p v (sorted in place), ties given
 *           their average rank (Mann-Whitney U), or NAN. */
static double bench_auc(bench_sc_t *v, size_t n)
{
        double pos = 0, rank_sum = 0;
        qsort(v, n, sizeof(*v), bench_sc_cmp);
        for (size_t i = 0; i < n;) {
                size_t j = i;
                while (j < n && v[j].s == v[i].s)
                        j++;
                double avg = (double)(i + 1 + j) / 2.0; /* ranks i+1..j */
                for (size_t k = i; k < j; k++)
                        if (v[k].y) {
                                rank_sum += avg;
                                pos++;
                        }
                i = j;
        }
        double neg = (double)n - pos;
        if (pos == 0 || neg == 0)
                return NAN;
        return (rank_sum - pos * (pos + 1) / 2.0) / (pos * neg);
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
                {"seed", required_argument, 0, 'S'},
                {"slim-updates", no_argument, 0, 'F'},
                {"keep", no_argument, 0, 'K'},
                {"help", no_argument, 0, 'h'},
                {0, 0, 0, 0},
        };
        bench_opts_t o = {.seed = 7, .full_updates = 1};
        int64_t count  = 20000, events = 0, to_score = 0;
        char errstr[512], gid[96], summary[8][512];
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
        if (bench_gen(events_path, truth_path, o.seed, count,
                      o.full_updates) ||
            bench_src_open(&src, events_path))
                goto out;

        vg_conf_t *conf = bench_conf(&svc, NULL);
        vg_kafka_t *k   = vg_kafka_new(conf, NULL, NULL, 0,
                                       VG_KAFKA_F_PRODUCER, errstr,
                                       sizeof(errstr));
        vg_conf_destroy(conf);
        if (!k) {
                fprintf(stderr, "vigie-bench: %s\n", errstr);
                goto out;
        }
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
        int frc = bench_flush(k);
        vg_kafka_close(k, 10000);
        if (frc)
                goto out;

        snprintf(gid, sizeof(gid), "group.id=vigie-bench-quality-%s",
                 svc.run_id);
        const char *xs[] = {gid, NULL};
        const char *log  = bench_tmp("change.log");
        bench_note("vigie-change on %s records (%s to score)",
                   BENCH_INT(events), BENCH_INT(to_score));
        pid = bench_change_spawn(&svc, &o, log, xs);
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
                FILE *fp   = fopen(log, "r");
                char *line = NULL;
                size_t cap = 0;
                int on     = 0;
                while (fp && getline(&line, &cap, fp) != -1 && nsum < 8) {
                        if (strstr(line, "vigie-change summary"))
                                on = 1;
                        if (on && (strstr(line, "quality") ||
                                   strstr(line, "p_failure:") ||
                                   strstr(line, "learn time:") ||
                                   strstr(line, "scored "))) {
                                line[strcspn(line, "\n")] = '\0';
                                snprintf(summary[nsum++], sizeof(summary[0]),
                                         "%s", line);
                        }
                }
                free(line);
                if (fp)
                        fclose(fp);
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
        qsort(truth, ntruth, sizeof(*truth), bench_truth_cmp);

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
