/**
 * @file bench_svc.c
 * @brief The services, processes and measurements that the end-to-end
 *        sub-commands of vigie-bench share (see bench_svc.h).
 */
#include "bench_svc.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "vg_gen.h"
#include "vg_mem.h"
#include "vg_time.h"

/* Topics created on the private broker besides vigie's own. */
static const char *bench_topics[] = {
        "itsm.changes",          "itsm.incidents",  "itsm.surveys",
        "itsm.changes.scored",   "itsm.incidents.enriched",
        "itsm.surveys.insights", "itsm.alerts",     "itsm.deadletter",
        "itsm.feedback",         BENCH_T_PIPE,      BENCH_T_PAIR_IN,
        BENCH_T_PAIR_OUT,        BENCH_T_PAIR_ALERTS,
};
#define BENCH_TOPIC_CNT (sizeof(bench_topics) / sizeof(bench_topics[0]))

char bench_tmpdir[256];
int bench_keep_tmp;

/* ---------------------------------------------------------------------- */
/* Small helpers                                                          */

void bench_note(const char *fmt, ...)
{
        va_list ap;
        fputs("# ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

const char *bench_int(char *buf, size_t size, int64_t v)
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

const char *bench_met(int ok)
{
        return ok ? "MET" : "NOT MET";
}

int64_t bench_wall_us(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

double bench_secs(uint64_t from_ns, uint64_t to_ns)
{
        return (double)(to_ns - from_ns) / 1e9;
}

void bench_sleep_ms(int ms)
{
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
}

const char *bench_tmp(const char *name)
{
        static char buf[8][PATH_MAX];
        static int i;
        char *p = buf[i++ % 8];
        snprintf(p, PATH_MAX, "%s/%s", bench_tmpdir, name);
        return p;
}

/* ---------------------------------------------------------------------- */
/* Child processes and clean-up                                           */

static pid_t bench_children[BENCH_MAX_CHILD];

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

int bench_stop(pid_t pid, int sig, double timeout_s)
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

int bench_alive(pid_t pid, int *statusp)
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

pid_t bench_spawn(char *const argv[], const char *log)
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

long bench_proc_kb(pid_t pid, const char *field)
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

double bench_proc_cpu(pid_t pid)
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

int bench_log_count(const char *path, const char *needle)
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

int bench_log_last(const char *path, const char *needle, char *out,
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

int bench_log_assigned(const char *path)
{
        char last[256];
        if (!bench_log_last(path, "assigned ", last, sizeof(last)))
                return -1;
        return atoi(last + strlen("assigned "));
}

void bench_log_tail(const char *path, int n)
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

int bench_log_block(const char *path, const char *start,
                    const char *const *filters, char (*lines)[512], int max)
{
        FILE *fp   = fopen(path, "r");
        char *line = NULL;
        size_t cap = 0;
        int on = 0, n = 0;
        while (fp && getline(&line, &cap, fp) != -1 && n < max) {
                int keep = !filters;
                if (strstr(line, start))
                        on = 1;
                for (const char *const *f = filters; f && *f && !keep; f++)
                        keep = strstr(line, *f) != NULL;
                if (on && keep) {
                        line[strcspn(line, "\n")] = '\0';
                        snprintf(lines[n++], 512, "%s", line);
                }
        }
        free(line);
        if (fp)
                fclose(fp);
        return n;
}

void bench_print_stats_line(const char *what, const char *log)
{
        char line[512];
        if (bench_log_last(log, "in=", line, sizeof(line)) &&
            (line[strcspn(line, "\"")] = '\0', 1))
                printf("   %-34s %s\n", what, line);
}

/* ---------------------------------------------------------------------- */
/* Services                                                               */

int bench_opts_common(bench_opts_t *o, int c, const char *arg)
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
        case 'f': o->ref = arg; return 0;
        case 'q': o->quick = 1; return 0;
        case 's':
                return o->parts ? bench_skip_parse(arg, o->parts, o->nparts,
                                                   o->skip)
                                : -1;
        }
        return -1;
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
        snprintf(parts, sizeof(parts), "%d", svc->partitions);
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

int bench_parts(rd_kafka_t *rk, const char *topic)
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

/* The sum of \p topic's offsets at \p which (RD_KAFKA_OFFSET_END or
 * _BEGINNING), in one ListOffsets request: polling every few ms must not
 * load the broker being measured. */
static int64_t bench_offsets(rd_kafka_t *rk, const char *topic, int nparts,
                             int64_t which)
{
        rd_kafka_topic_partition_list_t *l =
                rd_kafka_topic_partition_list_new(nparts);
        int64_t sum = 0;
        for (int p = 0; p < nparts; p++)
                rd_kafka_topic_partition_list_add(l, topic, p)->offset =
                        which;
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

int64_t bench_end_offsets(rd_kafka_t *rk, const char *topic, int nparts)
{
        return bench_offsets(rk, topic, nparts, RD_KAFKA_OFFSET_END);
}

int64_t bench_start_offsets(rd_kafka_t *rk, const char *topic, int nparts)
{
        return bench_offsets(rk, topic, nparts, RD_KAFKA_OFFSET_BEGINNING);
}

vg_conf_t *bench_conf(const bench_svc_t *svc, const char *const *kv)
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

/* Topics given must exist; those in \p empty must hold nothing. */
static int bench_svc_check_topics(bench_svc_t *svc,
                                  const char *const *topics, int ntopics,
                                  const char *const *empty, int nempty)
{
        for (int i = 0; i < ntopics; i++) {
                int np = bench_parts(svc->rk, topics[i]);
                if (np < 1) {
                        fprintf(stderr,
                                "vigie-bench: topic %s not found on %s: "
                                "start vigie-broker with -p %d and -t for "
                                "every topic of this bench, or let the bench "
                                "start its own broker (no --bootstrap)\n",
                                topics[i], svc->bootstrap, svc->partitions);
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
        return 0;
}

int bench_svc_start(bench_svc_t *svc, const bench_opts_t *o,
                    const char *const *topics, int ntopics,
                    const char *const *empty, int nempty)
{
        static int hooked;
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
        svc->partitions = o->partitions > 0 ? o->partitions
                                            : BENCH_PARTITIONS;
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
        if (!hooked) {
                hooked = 1;
                atexit(bench_cleanup);
                signal(SIGINT, bench_on_signal);
                signal(SIGTERM, bench_on_signal);
        }

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
        if (bench_svc_check_topics(svc, topics, ntopics, empty, nempty))
                return -1;
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

void bench_svc_stop(bench_svc_t *svc)
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

pid_t bench_proc_spawn(const bench_svc_t *svc, const bench_opts_t *o,
                       const char *prog, const char *log,
                       const char *const *xs)
{
        char exe[PATH_MAX + 16], port[48], prefix[128];
        char *argv[16 + 2 * (BENCH_MAX_X + 16)];
        int a = 0;
        snprintf(exe, sizeof(exe), "%s/%s", svc->bin_dir, prog);
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

int bench_wait_assigned(pid_t pid, const char *log, double timeout_s)
{
        uint64_t t0 = bench_now_ns();
        while (bench_log_count(log, "assigned ") == 0) {
                if (!bench_alive(pid, NULL) ||
                    bench_secs(t0, bench_now_ns()) > timeout_s)
                        return -1;
                bench_sleep_ms(50);
        }
        return 0;
}

rd_kafka_t *bench_group_handle(const bench_svc_t *svc, const char *group)
{
        char errstr[512];
        rd_kafka_conf_t *kc = rd_kafka_conf_new();
        rd_kafka_conf_set(kc, "bootstrap.servers", svc->bootstrap, NULL, 0);
        rd_kafka_conf_set(kc, "group.id", group, NULL, 0);
        rd_kafka_conf_set(kc, "enable.auto.commit", "false", NULL, 0);
        rd_kafka_conf_set(kc, "log_level", "3", NULL, 0);
        rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, kc, errstr,
                                      sizeof(errstr));
        if (!rk)
                fprintf(stderr, "vigie-bench: %s\n", errstr);
        return rk;
}

int64_t bench_committed(rd_kafka_t *rk, const char *topic, int nparts)
{
        rd_kafka_topic_partition_list_t *l =
                rd_kafka_topic_partition_list_new(nparts);
        int64_t sum = 0;
        for (int p = 0; p < nparts; p++)
                rd_kafka_topic_partition_list_add(l, topic, p);
        if (rd_kafka_committed(rk, l, 5000))
                sum = -1;
        for (int i = 0; i < l->cnt && sum >= 0; i++)
                if (l->elems[i].err)
                        sum = -1;
                else if (l->elems[i].offset > 0)
                        sum += l->elems[i].offset;
        rd_kafka_topic_partition_list_destroy(l);
        return sum;
}

/* ---------------------------------------------------------------------- */
/* Processors of a part                                                   */

int bench_proc_start(bench_svc_t *svc, const bench_opts_t *o,
                     bench_proc_t *bp, const char *prog, const char *tag,
                     const char *const *xs)
{
        char gid[128], name[96];
        const char *all[BENCH_MAX_X + 2] = {gid};
        int n = 1;
        for (; xs && *xs && n < BENCH_MAX_X; xs++)
                all[n++] = *xs;
        all[n] = NULL;
        snprintf(bp->name, sizeof(bp->name), "%s", prog);
        snprintf(name, sizeof(name), "%s.log", tag);
        snprintf(bp->log, sizeof(bp->log), "%s", bench_tmp(name));
        snprintf(bp->group, sizeof(bp->group), "vigie-bench-%s-%s", tag,
                 svc->run_id);
        snprintf(gid, sizeof(gid), "group.id=%s", bp->group);
        bp->pid = bench_proc_spawn(svc, o, prog, bp->log, all);
        if (bp->pid < 0 || bench_wait_assigned(bp->pid, bp->log, 60)) {
                fprintf(stderr, "vigie-bench: %s did not join its group\n",
                        prog);
                bench_log_tail(bp->log, 30);
                return -1;
        }
        return 0;
}

int bench_summary(const char *log, const char *start, char (*lines)[512],
                  int max)
{
        int n = bench_log_block(log, start, NULL, lines, max), k = 1;
        if (n == 0)
                return 0;
        while (k < n && lines[k][0] == ' ')
                k++;
        return k;
}

void bench_proc_finish(bench_proc_t *bp, const char *start)
{
        if (bp->pid <= 0)
                return;
        bp->exit_status = bench_stop(bp->pid, SIGTERM, 60);
        bp->pid         = 0;
        bp->nsum        = bench_summary(bp->log, start, bp->summary, 20);
}

void bench_print_summary(const char *title, const bench_proc_t *bp)
{
        printf("   %s (exit status %d):\n", title, bp->exit_status);
        for (int i = 0; i < bp->nsum; i++)
                printf("   | %s\n", bp->summary[i]);
}

int64_t bench_settle(bench_svc_t *svc, const bench_proc_t *bp,
                     const char *topic, double timeout_s)
{
        int np         = bench_parts(svc->rk, topic);
        int64_t end    = bench_end_offsets(svc->rk, topic, np), c = -1;
        rd_kafka_t *gh = bench_group_handle(svc, bp->group);
        uint64_t t0    = bench_now_ns();
        while (gh && (c = bench_committed(gh, topic, np)) < end &&
               bench_secs(t0, bench_now_ns()) < timeout_s)
                bench_sleep_ms(100);
        if (gh)
                rd_kafka_destroy(gh);
        return c;
}

int64_t bench_pace(vg_kafka_t *k, rd_kafka_t *gh, const char *topic, int np,
                   const bench_proc_t *bp, bench_drain_cb_t drain,
                   void *opaque, int64_t produced, int64_t lag,
                   int64_t committed)
{
        uint64_t t_prog = bench_now_ns();
        while (produced - committed > lag) {
                vg_kafka_poll(k, 0);
                if (drain)
                        drain(opaque, 30);
                else
                        bench_sleep_ms(30);
                int64_t c = bench_committed(gh, topic, np);
                if (c > committed) {
                        committed = c;
                        t_prog    = bench_now_ns();
                }
                if (!bench_alive(bp->pid, NULL)) {
                        fprintf(stderr, "vigie-bench: %s exited\n",
                                bp->name);
                        return -1;
                }
                if (bench_secs(t_prog, bench_now_ns()) > 120) {
                        fprintf(stderr, "vigie-bench: %s stalled at offset %"
                                PRId64 " of %" PRId64 "\n", bp->name,
                                committed, produced);
                        return -1;
                }
        }
        return committed;
}

/* The temporary directories kept (--keep), one per part. */
static char bench_kept[8][256];
static int bench_nkept;

void bench_part_stop(bench_svc_t *svc)
{
        if (bench_keep_tmp && bench_tmpdir[0] && bench_nkept < 8)
                snprintf(bench_kept[bench_nkept++], sizeof(bench_kept[0]),
                         "%s", bench_tmpdir);
        bench_svc_stop(svc);
}

void bench_print_kept(void)
{
        for (int i = 0; i < bench_nkept; i++)
                printf("logs kept in %s\n", bench_kept[i]);
}

/* ---------------------------------------------------------------------- */
/* Report header and options                                              */

const char *bench_src_dir(void)
{
        static char dir[PATH_MAX];
        snprintf(dir, sizeof(dir), "%s", VG_SCHEMA_DIR);
        char *slash = strrchr(dir, '/');
        if (slash)
                *slash = '\0';
        return dir;
}

void bench_cmd_line(const char *cmd, char *out, size_t size)
{
        FILE *fp = popen(cmd, "r");
        out[0]   = '\0';
        if (!fp)
                return;
        if (fgets(out, (int)size, fp))
                out[strcspn(out, "\n")] = '\0';
        pclose(fp);
}

void bench_print_run(void)
{
        char cmd[PATH_MAX + 96], commit[64], dirty[256], date[64];
        time_t now = time(NULL);
        strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", gmtime(&now));
        snprintf(cmd, sizeof(cmd), "git -C '%s' rev-parse --short HEAD "
                 "2>/dev/null", bench_src_dir());
        bench_cmd_line(cmd, commit, sizeof(commit));
        snprintf(cmd, sizeof(cmd), "git -C '%s' status --porcelain "
                 "--untracked-files=no 2>/dev/null", bench_src_dir());
        bench_cmd_line(cmd, dirty, sizeof(dirty));
        printf("date %s, commit %s%s, %ld CPU(s) online, librdkafka %s\n",
               date, commit[0] ? commit : "(no git)",
               dirty[0] ? " + uncommitted changes" : "",
               sysconf(_SC_NPROCESSORS_ONLN), rd_kafka_version_str());
}

int bench_skip_parse(const char *arg, const char *const *names, int n,
                     int *skip)
{
        char buf[128], *save = NULL;
        snprintf(buf, sizeof(buf), "%s", arg);
        for (char *t = strtok_r(buf, ",", &save); t;
             t = strtok_r(NULL, ",", &save)) {
                int p = 0;
                while (p < n && strcmp(t, names[p]))
                        p++;
                if (p == n)
                        return -1;
                skip[p] = 1;
        }
        return 0;
}

int bench_failed(int ok)
{
        if (!ok)
                printf("   measurement FAILED (see messages above)\n");
        return !ok;
}

json_t *bench_ref_open(const char *path, const char *date,
                       const char *versions, char *source, size_t size)
{
        json_error_t jerr;
        json_t *root = path ? json_load_file(path, 0, &jerr) : NULL;
        snprintf(source, size,
                 "constants recorded in tests/bench/REFERENCE.md (run of "
                 "%s, %s), NOT recomputed", date, versions);
        if (path && !root)
                bench_note("--ref %s: %s (using REFERENCE.md's figures)",
                           path, jerr.text);
        return root;
}

void bench_ref_close(json_t *root, int ok, const char *path,
                     const char *script, char *source, size_t size)
{
        if (!ok) {
                bench_note("--ref %s: not %s's JSON (using REFERENCE.md's "
                           "figures)", path, script);
        } else {
                json_t *ver = json_object_get(root, "versions");
                snprintf(source, size,
                         "%s (%s --json, run of %s, scikit-learn %s)", path,
                         script,
                         json_string_value(json_object_get(root, "date"))
                                 ?: "?",
                         json_string_value(json_object_get(ver, "sklearn"))
                                 ?: "?");
        }
        json_decref(root);
}

int bench_csv_each(const char *path, int max,
                   void (*row)(void *opaque, char **f, int n), void *opaque)
{
        char line[1024], *f[16];
        FILE *fp = fopen(path, "r");
        if (!fp || max > 16) {
                if (fp)
                        fclose(fp);
                return -1;
        }
        while (fgets(line, sizeof(line), fp)) {
                int n = 1;
                f[0]  = line;
                line[strcspn(line, "\r\n")] = '\0';
                for (char *c = line; *c && n < max; c++)
                        if (*c == ',') {
                                *c     = '\0';
                                f[n++] = c + 1;
                        }
                row(opaque, f, n);
        }
        fclose(fp);
        return 0;
}

/* ---------------------------------------------------------------------- */
/* Producing                                                              */

int bench_ev_encode(const vg_avro_schema_t *sch, avro_value_t *val,
                    bench_ev_t *ev)
{
        char errstr[512];
        const char *s = NULL;
        if (vg_avro_encode(sch, val, &ev->buf, &ev->len, errstr,
                           sizeof(errstr))) {
                fprintf(stderr, "vigie-bench: %s\n", errstr);
                return -1;
        }
        vg_avro_get_str(val, "number", &s, NULL);
        snprintf(ev->number, sizeof(ev->number), "%s", s ? s : "");
        ev->event_time = -1;
        vg_avro_get_long(val, "sys_updated_on", &ev->event_time);
        ev->scored = 1;
        return 0;
}

/* States for which vigie-change publishes no score (chg_event.c). */
int bench_change_scored(const avro_value_t *val)
{
        static const char *fin[] = {"Closed", "Complete", "Canceled",
                                    "Cancelled"};
        const char *state = "", *cc = NULL;
        vg_avro_get_str(val, "state", &state, NULL);
        vg_avro_get_str(val, "close_code", &cc, NULL);
        state = state ? state : "";
        for (size_t i = 0; i < sizeof(fin) / sizeof(fin[0]); i++)
                if (!strcmp(state, fin[i]))
                        return 0;
        return !(!*state && cc && *cc);
}

int bench_produce_buf(vg_kafka_t *k, const char *topic, const char *key,
                      const void *buf, size_t len, int64_t ts_ms)
{
        char errstr[256];
        if (vg_kafka_produce(k, NULL, topic, key, strlen(key), buf, len,
                             ts_ms, errstr, sizeof(errstr)) == VG_OK)
                return 0;
        fprintf(stderr, "vigie-bench: %s\n", errstr);
        return -1;
}

int bench_produce_ev(vg_kafka_t *k, const char *topic, bench_ev_t *ev,
                     int64_t ts_ms)
{
        int rc = bench_produce_buf(k, topic, ev->number, ev->buf, ev->len,
                                   ts_ms);
        vg_free(ev->buf);
        ev->buf = NULL;
        return rc;
}

vg_kafka_t *bench_producer(const bench_svc_t *svc, const char *const *kv)
{
        char errstr[512];
        vg_conf_t *conf = bench_conf(svc, kv);
        vg_kafka_t *k   = vg_kafka_new(conf, NULL, NULL, 0,
                                       VG_KAFKA_F_PRODUCER, errstr,
                                       sizeof(errstr));
        vg_conf_destroy(conf);
        if (!k)
                fprintf(stderr, "vigie-bench: %s\n", errstr);
        return k;
}

vg_kafka_t *bench_zproducer(const bench_svc_t *svc, const char *const *kv)
{
        const char *all[8] = {"kafka.compression.type=zstd"};
        int n = 1;
        for (; kv && *kv && n < 7; kv++)
                all[n++] = *kv;
        all[n] = NULL;
        return bench_producer(svc, all);
}

int bench_flush_close(vg_kafka_t *k)
{
        int rc = bench_flush(k);
        vg_kafka_close(k, 10000);
        return rc;
}

int bench_flush(vg_kafka_t *k)
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

int bench_src_open(bench_src_t *src, const char *path)
{
        memset(src, 0, sizeof(*src));
        if (!(src->fp = fopen(path, "r"))) {
                fprintf(stderr, "vigie-bench: %s: %s\n", path,
                        strerror(errno));
                return -1;
        }
        return 0;
}

void bench_src_close(bench_src_t *src)
{
        if (src->fp)
                fclose(src->fp);
        free(src->line);
        memset(src, 0, sizeof(*src));
}

int bench_src_read(bench_src_t *src, const vg_avro_schema_t *sch,
                   avro_value_t *val)
{
        char errstr[512];
        ssize_t n = getline(&src->line, &src->cap, src->fp);
        if (n < 0)
                return 0;
        src->lineno++;
        while (n > 0 && (src->line[n - 1] == '\n' || src->line[n - 1] == '\r'))
                src->line[--n] = '\0';
        if (vg_avro_from_json(sch, src->line, (size_t)n, val, errstr,
                              sizeof(errstr))) {
                fprintf(stderr, "vigie-bench: generated line %ld: %s\n",
                        src->lineno, errstr);
                return -1;
        }
        return 1;
}

int bench_gen(const char *kind, const char *events, const char *truth,
              uint64_t seed, int64_t count, int full_updates)
{
        return bench_gen_at(kind, events, truth, seed, count, full_updates,
                            0);
}

int bench_gen_at(const char *kind, const char *events, const char *truth,
                 uint64_t seed, int64_t count, int full_updates,
                 double mean_interarrival_s)
{
        char errstr[256];
        vg_gen_opts_t go;
        vg_gen_opts_init(&go);
        go.seed         = seed;
        go.count        = count;
        go.full_updates = full_updates;
        go.mean_interarrival_s = mean_interarrival_s;
        vg_gen_t *gen   = vg_gen_new(&go, errstr, sizeof(errstr));
        FILE *ef        = fopen(events, "w");
        FILE *tf        = truth ? fopen(truth, "w") : NULL;
        int rc          = -1;
        if (!gen)
                fprintf(stderr, "vigie-bench: generator: %s\n", errstr);
        else if (!ef || (truth && !tf))
                fprintf(stderr, "vigie-bench: cannot write %s: %s\n",
                        events, strerror(errno));
        else if (vg_gen_run(gen, kind, ef, tf, errstr, sizeof(errstr)))
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

/* ---------------------------------------------------------------------- */
/* Record keys: (number, event_time) -> counters                          */

void bench_map_init(bench_map_t *m, size_t max)
{
        m->cap = 64;
        while (m->cap < 2 * max)
                m->cap <<= 1;
        m->s = vg_calloc(m->cap, sizeof(*m->s));
        m->n = 0;
}

void bench_map_free(bench_map_t *m)
{
        vg_free(m->s);
        memset(m, 0, sizeof(*m));
}

bench_slot_t *bench_map_get(bench_map_t *m, const char *number, int64_t et,
                            int create)
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
                        snprintf(s->number, sizeof(s->number), "%.23s", number);
                        m->n++;
                        return s;
                }
                if (s->et == et && !strcmp(s->number, number))
                        return s;
        }
}

const char *bench_evidence(const avro_value_t *val, const char *key)
{
        avro_value_t map, v;
        const char *s = NULL;
        size_t len;
        if (vg_avro_get_field(val, "evidence", &map) != VG_OK ||
            avro_value_get_by_name(&map, key, &v, NULL) ||
            avro_value_get_string(&v, &s, &len))
                return "";
        return s ? s : "";
}

long bench_read_raw(bench_svc_t *svc, const char *topic, double timeout_s,
                    void (*cb)(const vg_kafka_rec_t *rec, void *opaque),
                    void *opaque)
{
        char errstr[512];
        const char *topics[] = {topic};
        vg_kafka_rec_t recs[500];
        vg_conf_t *conf = bench_conf(svc, NULL);
        vg_kafka_t *k   = vg_kafka_new(conf, NULL, topics, 1,
                                       VG_KAFKA_F_READALL, errstr,
                                       sizeof(errstr));
        long n      = 0;
        uint64_t t0 = bench_now_ns();
        vg_conf_destroy(conf);
        if (!k) {
                fprintf(stderr, "vigie-bench: %s\n", errstr);
                return -1;
        }
        for (;;) {
                int got = vg_kafka_consume(k, recs, 500, 200);
                for (int i = 0; i < got; i++) {
                        cb(&recs[i], opaque);
                        vg_kafka_rec_done(k, &recs[i]);
                        n++;
                }
                if (got == 0 && vg_kafka_at_end(k))
                        break;
                if (bench_secs(t0, bench_now_ns()) > timeout_s) {
                        n = -2;
                        break;
                }
        }
        vg_kafka_close(k, 1000);
        return n;
}

/** bench_read_all()'s callback, and what it could not decode. */
typedef struct bench_read_all_s {
        bench_svc_t *svc;
        void (*cb)(const avro_value_t *val, void *opaque);
        void *opaque;
        long bad;
} bench_read_all_t;

static void bench_read_all_rec(const vg_kafka_rec_t *rec, void *opaque)
{
        bench_read_all_t *ra = opaque;
        char errstr[512];
        avro_value_t *val;
        if (vg_avro_decode(ra->svc->reg, rec->value, rec->len, NULL, &val,
                           errstr, sizeof(errstr)) == 0)
                ra->cb(val, ra->opaque);
        else
                ra->bad++;
}

long bench_read_all(bench_svc_t *svc, const char *topic,
                    void (*cb)(const avro_value_t *val, void *opaque),
                    void *opaque)
{
        bench_read_all_t ra = {svc, cb, opaque, 0};
        long n = bench_read_raw(svc, topic, 300, bench_read_all_rec, &ra);
        if (n == -2) {
                fprintf(stderr, "vigie-bench: reading %s timed out\n",
                        topic);
                n = -1;
        }
        if (ra.bad)
                bench_note("%ld record(s) of %s could not be decoded", ra.bad,
                           topic);
        return n;
}

rd_kafka_t *bench_tail_consumer(bench_svc_t *svc, const char *topic,
                                int from_start)
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
                rd_kafka_topic_partition_list_add(tl, topic, p)->offset =
                        from_start ? RD_KAFKA_OFFSET_BEGINNING : hi;
        }
        rd_kafka_assign(rk, tl);
        rd_kafka_topic_partition_list_destroy(tl);
        return rk;
}

/* ---------------------------------------------------------------------- */
/* Waiting for outputs, CPU                                               */

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

void bench_cpu_read(const bench_svc_t *svc, pid_t pid, bench_cpu_t *c)
{
        c->proc      = bench_cpu_of(pid);
        c->main_user = c->main_sys = 0;
        if (pid > 0)
                bench_main_thread_cpu(pid, &c->main_user, &c->main_sys);
        c->broker = bench_cpu_of(svc->broker_pid);
        c->redis  = bench_cpu_of(svc->redis_pid);
        c->self   = bench_cpu_of(getpid());
        bench_machine_cpu(&c->busy, &c->all);
}

void bench_wait_outputs(bench_svc_t *svc, const char *topic, int64_t base,
                        int64_t want, const pid_t *pids, int npids,
                        double start_s, double idle_s, int poll_ms,
                        bench_wait_t *w)
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

void bench_print_cpu(const bench_wait_t *w, double secs, int64_t events,
                     const char *name, double target_rate)
{
        const bench_cpu_t *a = &w->c_first, *b = &w->c_last;
        double ev = (double)events; /* every input of the window */
        if (secs <= 0 || !w->reached || b->all <= a->all)
                return;
        struct { const char *name; double s; } p[] = {
                {name, b->proc - a->proc},
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
        if (target_rate > 0)
                printf("     at %s events/s the same work would need %.2f "
                       "cores (%.2f for redis-server alone)\n",
                       BENCH_INT((int64_t)target_rate),
                       target_rate * (b->busy - a->busy) / ev,
                       target_rate * (b->redis - a->redis) / ev);
}

double bench_pipe(bench_svc_t *svc, const char *in_topic, int64_t total,
                  bench_cpu_t cpu[2])
{
        char errstr[512], gid[64];
        const char *topics[] = {in_topic};
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

/* ---------------------------------------------------------------------- */
/* Latency at a steady rate                                               */

static int bench_dbl_cmp(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

double bench_pct(const double *v, int64_t n, double q)
{
        if (n == 0)
                return NAN;
        int64_t i = (int64_t)ceil(q * (double)n) - 1;
        return v[i < 0 ? 0 : i >= n ? n - 1 : i];
}

/** The id (field \p id), event time and scored_at of output \p buf.
 *  @returns 0, or -1 if it does not decode. */
static int bench_lat_out_id(vg_avro_registry_t *reg, const char *id,
                            const void *buf, size_t len, const char **number,
                            int64_t *event_time, int64_t *scored_at)
{
        char errstr[256];
        avro_value_t *val;
        if (vg_avro_decode(reg, buf, len, NULL, &val, errstr,
                           sizeof(errstr)))
                return -1;
        *number     = vg_avro_str_or(val, id, "");
        *event_time = vg_avro_long_or(val, "event_time", -1);
        *scored_at  = vg_avro_long_or(val, "scored_at", -1);
        return 0;
}

/** Handles one output of the latency run. */
static void bench_lat_output(bench_svc_t *svc, const bench_lat_io_t *io,
                             bench_map_t *m, bench_lat_t *lat,
                             rd_kafka_message_t *rkm)
{
        int64_t now_us = bench_wall_us();
        const char *number;
        int64_t et, scored_at;
        if (rkm->err ||
            (io->out_key ? io->out_key(io->opaque, rkm->payload, rkm->len,
                                       &number, &et, &scored_at)
                         : bench_lat_out_id(svc->reg, io->out_id,
                                            rkm->payload, rkm->len, &number,
                                            &et, &scored_at)) != 0)
                return;
        bench_slot_t *s = bench_map_get(m, number, et, 0);
        if (!s || s->seen++)
                return;
        lat->scored[lat->n] = (double)(scored_at - s->in_ts_ms);
        lat->seen[lat->n]   = (double)(now_us - s->in_us) / 1000.0;
        lat->n++;
        lat->matched++;
}

/* Warms the producer up (idempotent producer id, metadata of the input
 * topic), or its start-up lands on the first inputs' latency: one record
 * to bench.pipe, acknowledged. */
static void bench_lat_warmup(vg_kafka_t *k, const char *in_topic)
{
        char errstr[256];
        const struct rd_kafka_metadata *md;
        rd_kafka_t *prk       = vg_kafka_producer_handle(k);
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(prk, in_topic, NULL);
        if (!rd_kafka_metadata(prk, 0, rkt, &md, 5000))
                rd_kafka_metadata_destroy(md);
        rd_kafka_topic_destroy(rkt);
        if (vg_kafka_produce(k, NULL, BENCH_T_PIPE, "warmup", 6, "x", 1, 0,
                             errstr, sizeof(errstr)) == VG_OK)
                rd_kafka_flush(prk, 5000);
}

int bench_latency(bench_svc_t *svc, const bench_lat_io_t *io, double rate,
                  double secs, const char *const *prod_kv, pid_t proc_pid,
                  bench_lat_t *lat)
{
        int64_t total    = (int64_t)(rate * secs);
        bench_map_t m    = {0};
        vg_kafka_t *k    = bench_producer(svc, prod_kv);
        rd_kafka_t *cons = bench_tail_consumer(svc, io->out_topic, 0);
        int rc           = -1;

        memset(lat, 0, sizeof(*lat));
        if (!k || !cons)
                goto done;
        bench_map_init(&m, (size_t)total);
        lat->scored = vg_calloc((size_t)total + 1, sizeof(double));
        lat->seen   = vg_calloc((size_t)total + 1, sizeof(double));
        bench_lat_warmup(k, io->in_topic);
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
                        int r = io->next(io->opaque, &ev);
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
                                /* one output answers a key: two inputs
                                 * with the same key expect one */
                                if (!s->expected++) {
                                        s->in_ts_ms = us / 1000;
                                        s->in_us    = us;
                                        lat->expected++;
                                }
                        }
                        if (bench_produce_ev(k, io->in_topic, &ev,
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
                        bench_lat_output(svc, io, &m, lat, rkm);
                        rd_kafka_message_destroy(rkm);
                        rkm = rd_kafka_consumer_poll(cons, 0);
                }
                if (t_end && (lat->matched >= lat->expected ||
                              bench_secs(t_end, bench_now_ns()) > 15))
                        break;
                if (!bench_alive(proc_pid, NULL)) {
                        fprintf(stderr, "vigie-bench: %s exited during the "
                                "latency run\n", io->proc_name);
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

void bench_lat_free(bench_lat_t *lat)
{
        vg_free(lat->scored);
        vg_free(lat->seen);
        memset(lat, 0, sizeof(*lat));
}

void bench_print_lat(const char *title, const char *to_do,
                     const char *done, const bench_lat_t *lat, int ok,
                     double target)
{
        char head[96];
        printf("   %s\n", title);
        if (!ok || lat->n == 0) {
                printf("     measurement FAILED (%s outputs matched)\n",
                       BENCH_INT(lat->n));
                return;
        }
        printf("     input %s events at %.0f events/s, %s %s, %s "
               "matched%s\n",
               BENCH_INT(lat->produced), lat->rate, BENCH_INT(lat->expected),
               to_do, BENCH_INT(lat->matched),
               lat->matched < lat->expected ? " (SOME MISSING)" : "");
        double p99 = bench_pct(lat->scored, lat->n, 0.99);
        snprintf(head, sizeof(head), "produce -> %s (scored_at - input "
                 "CreateTime)", done);
        printf("     %-51sp50 %4.0f  p99 %4.0f  max %5.0f ms", head,
               bench_pct(lat->scored, lat->n, 0.50), p99,
               lat->scored[lat->n - 1]);
        if (target > 0)
                printf("   target p99 <= %.0f ms %s", target,
                       bench_met(p99 <= target));
        printf("\n");
        printf("     produce -> read by a consumer of the output topic  "
               "p50 %4.1f  p99 %4.1f  max %5.1f ms   (for information)\n",
               bench_pct(lat->seen, lat->n, 0.50),
               bench_pct(lat->seen, lat->n, 0.99), lat->seen[lat->n - 1]);
}

/* ---------------------------------------------------------------------- */
/* The speed part of a processor's sub-command                            */

int bench_speed_produce(bench_svc_t *svc, bench_speed_t *res,
                        const char *topic, bench_rec_at_t at, void *opaque,
                        size_t n, const char *what)
{
        /* a bulk load: large batches (the embedded broker answers a fetch
         * with one batch per partition) */
        static const char *const kv[] = {"kafka.linger.ms=100",
                                         "kafka.batch.num.messages=10000",
                                         NULL};
        int np        = bench_parts(svc->rk, topic);
        vg_kafka_t *k = bench_zproducer(svc, kv);
        if (!k)
                return -1;
        bench_note("speed: pre-producing %s %s to %s (%d partitions)",
                   BENCH_INT(n), what, topic, np);
        uint64_t t0 = bench_now_ns();
        for (size_t i = 0; i < n; i++) {
                const void *buf;
                size_t len;
                const char *key = at(opaque, i, &buf, &len);
                if (bench_produce_buf(k, topic, key, buf, len, 0)) {
                        vg_kafka_close(k, 1000);
                        return -1;
                }
                if ((i & 1023) == 0)
                        vg_kafka_poll(k, 0);
        }
        if (bench_flush_close(k))
                return -1;
        res->produce_s = bench_secs(t0, bench_now_ns());
        res->dropped   = bench_start_offsets(svc->rk, topic, np);
        return 0;
}

int bench_speed_backlog(bench_svc_t *svc, const bench_opts_t *o,
                        bench_speed_t *res, const char *prog, const char *tag,
                        const char *in, const char *out, int64_t n,
                        int64_t expect)
{
        bench_proc_t *bp = &res->proc;
        bench_note("speed: bare pipe %s -> %s", in, BENCH_T_PIPE);
        res->pipe_rate = bench_pipe(svc, in, n, res->pipe_cpu);

        bench_note("speed: %s on the backlog (expecting %s outputs)", prog,
                   BENCH_INT(expect));
        if (bench_proc_start(svc, o, bp, prog, tag, NULL))
                return -1;
        bench_wait_outputs(svc, out, 0, expect, &bp->pid, 1, 120, 10, 10,
                           &res->w);
        if (res->w.died || !res->w.t_first) {
                fprintf(stderr, "vigie-bench: %s %s\n", prog,
                        res->w.died ? "exited" : "produced nothing in 120 s");
                bench_log_tail(bp->log, 30);
                return -1;
        }
        res->cpu    = bench_proc_cpu(bp->pid);
        double secs = bench_secs(res->w.t_first, res->w.t_last);
        res->rate   = secs > 0 ? (double)n * (double)res->w.reached /
                                       (double)expect / secs
                               : 0;
        res->committed = bench_settle(svc, bp, in, 30);
        bench_sleep_ms(1500);
        res->rss_after_tp = bench_proc_kb(bp->pid, "VmRSS");
        res->tp_ok        = 1;
        return 0;
}

void bench_speed_latency(bench_svc_t *svc, bench_speed_t *res,
                         const bench_lat_io_t *io, double rate, double secs,
                         const char *unit)
{
        bench_note("speed: latency, %.0f %s/s for %.0f s", rate, unit, secs);
        res->lat_ok = bench_latency(svc, io, rate, secs, NULL, res->proc.pid,
                                    &res->lat) == 0;
        res->rss_after_lat = bench_proc_kb(res->proc.pid, "VmRSS");
        res->hwm           = bench_proc_kb(res->proc.pid, "VmHWM");
}

void bench_speed_print_rate(const bench_speed_t *r, const char *unit)
{
        printf("   first -> last output               %.2f s (end offsets "
               "polled every 10 ms)\n", bench_secs(r->w.t_first,
                                                   r->w.t_last));
        printf("   sustained throughput               %s %s/s\n",
               BENCH_INT((int64_t)r->rate), unit);
}

void bench_speed_print_cpu(const bench_speed_t *r, int64_t events,
                           const char *name)
{
        char what[64];
        snprintf(what, sizeof(what), "%s CPU time", name);
        printf("   %-34s %.2f s since start\n", what, r->cpu);
        bench_print_cpu(&r->w, bench_secs(r->w.t_first, r->w.t_last), events,
                        name, 0);
}

void bench_speed_print_memory(const bench_speed_t *r, const char *name)
{
        printf("\n   memory of %s (/proc/PID/status)\n", name);
        printf("   VmRSS after the backlog            %.1f MiB\n",
               r->rss_after_tp / 1024.0);
        printf("   VmRSS after the latency run        %.1f MiB (peak VmHWM "
               "%.1f MiB), read before SIGTERM\n",
               r->rss_after_lat / 1024.0, r->hwm / 1024.0);
}

/* ---------------------------------------------------------------------- */
/* Quality figures                                                        */

static int bench_sc_cmp(const void *a, const void *b)
{
        double x = ((const bench_sc_t *)a)->s, y = ((const bench_sc_t *)b)->s;
        return x < y ? -1 : x > y;
}

double bench_auc(bench_sc_t *v, size_t n)
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

static int bench_truth_cmp(const void *a, const void *b)
{
        return strcmp(((const bench_truth_t *)a)->number,
                      ((const bench_truth_t *)b)->number);
}

bench_truth_t *bench_truth_read(const char *path, size_t *np)
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
        qsort(t, n, sizeof(*t), bench_truth_cmp);
        *np = n;
        return t;
}

const bench_truth_t *bench_truth_find(const bench_truth_t *t, size_t n,
                                      const char *number)
{
        bench_truth_t key;
        snprintf(key.number, sizeof(key.number), "%.23s", number);
        return bsearch(&key, t, n, sizeof(*t), bench_truth_cmp);
}
