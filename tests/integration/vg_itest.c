/**
 * @file vg_itest.c
 * @brief Integration test helpers (see vg_itest.h).
 */
#include "vg_itest.h"
#include "vg_gen.h"
#include "vg_kafka.h"
#include "vg_redis.h"
#include "vg_time.h"

#include <check.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
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

int itest_wait_pid(pid_t pid)
{
        int status = -1;
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int64_t itest_parse_time(const char *s)
{
        char errstr[128];
        int64_t t = -1;
        if (!s || !*s || vg_time_parse(s, &t, errstr, sizeof(errstr)))
                return -1;
        return t;
}

char *itest_slurp(const char *path, size_t *lenp)
{
        FILE *fp = fopen(path, "rb");
        size_t cap = 4096, len = 0, n;
        if (!fp)
                return NULL;
        char *buf = malloc(cap);
        while ((n = fread(buf + len, 1, cap - len - 1, fp)) > 0) {
                len += n;
                if (cap - len < 2)
                        buf = realloc(buf, cap *= 2);
        }
        fclose(fp);
        buf[len] = '\0';
        if (lenp)
                *lenp = len;
        return buf;
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

/* The number of lines of \p path that contain \p needle, counted up to
 * \p max (0 if missing). */
static long itest_count_upto(const char *path, const char *needle, long max)
{
        char *line = NULL;
        size_t cap = 0;
        long n     = 0;
        FILE *fp   = fopen(path, "r");
        while (fp && n < max && getline(&line, &cap, fp) != -1)
                n += strstr(line, needle) != NULL;
        free(line);
        if (fp)
                fclose(fp);
        return n;
}

int itest_file_contains(const char *path, const char *needle)
{
        return itest_count_upto(path, needle, 1) > 0;
}

long itest_count_in_file(const char *path, const char *needle)
{
        return itest_count_upto(path, needle, LONG_MAX);
}

double itest_last_number(const char *path, const char *needle,
                         const char *key)
{
        char *line = NULL;
        size_t cap = 0;
        double v   = -1;
        FILE *fp   = fopen(path, "r");
        while (fp && getline(&line, &cap, fp) != -1) {
                const char *s = strstr(line, needle);
                if (s && key)
                        s = strstr(s, key);
                if (s)
                        v = atof(s + strlen(key ? key : needle));
        }
        free(line);
        if (fp)
                fclose(fp);
        return v;
}

void itest_print_summary(const char *log, const char *ere, int tail)
{
        char cmd[1024], last[32] = "";
        if (tail > 0)
                snprintf(last, sizeof(last), " | tail -%d", tail);
        snprintf(cmd, sizeof(cmd), "grep -E '%s' %s%s", ere, log, last);
        fflush(stdout);
        if (system(cmd) != 0)
                printf("(no summary in %s)\n", log);
        fflush(stdout);
}

int itest_wait_in_file(const char *path, const char *needle,
                       double timeout_s)
{
        for (double t0 = itest_now(); itest_now() - t0 < timeout_s;
             usleep(100 * 1000))
                if (itest_file_contains(path, needle))
                        return 1;
        return itest_file_contains(path, needle);
}

void itest_gen(const char *kind, const char *path, const char *truth,
               long count, uint64_t seed, int64_t start_ms,
               int full_updates)
{
        itest_gen_at(kind, path, truth, count, seed, start_ms, full_updates,
                     0);
}

void itest_gen_at(const char *kind, const char *path, const char *truth,
                  long count, uint64_t seed, int64_t start_ms,
                  int full_updates, double interarrival_s)
{
        vg_gen_opts_t o;
        char errstr[256];
        vg_gen_opts_init(&o);
        o.count               = count;
        o.seed                = seed;
        o.full_updates        = full_updates;
        o.mean_interarrival_s = interarrival_s;
        if (start_ms)
                o.start_ms = start_ms;
        vg_gen_t *g = vg_gen_new(&o, errstr, sizeof(errstr));
        ck_assert_msg(g != NULL, "%s", errstr);
        FILE *fp = fopen(path, "w"), *tp = truth ? fopen(truth, "w") : NULL;
        ck_assert_int_eq(vg_gen_run(g, kind, fp, tp, errstr, sizeof(errstr)),
                         VG_OK);
        fclose(fp);
        if (tp)
                fclose(tp);
        vg_gen_destroy(g);
}

void itest_load_changes(const char *path, itest_changes_t *in)
{
        char *line = NULL;
        size_t cap = 0;
        FILE *fp   = fopen(path, "r");
        memset(in, 0, sizeof(*in));
        while (getline(&line, &cap, fp) != -1) {
                json_t *o = json_loads(line, 0, NULL);
                const char *st =
                        json_string_value(json_object_get(o, "state"));
                const char *cc =
                        json_string_value(json_object_get(o, "close_code"));
                in->records++;
                if (!strcmp(st, "Closed") && cc && *cc)
                        in->outcomes++;
                else if (strcmp(st, "Closed") && strcmp(st, "Canceled"))
                        in->scorable++;
                json_decref(o);
        }
        free(line);
        fclose(fp);
}

void itest_renumber(const char *path, const char *kind, const char *prefix)
{
        char tmp[1024], needle[16], *line = NULL;
        size_t cap = 0;
        size_t at  = 1 + strlen(kind); /* the quote, the kind */
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        snprintf(needle, sizeof(needle), "\"%s00", kind);
        FILE *in = fopen(path, "r"), *out = fopen(tmp, "w");
        while (getline(&line, &cap, in) != -1) {
                for (char *s = line; (s = strstr(s, needle));)
                        memcpy(s + at, prefix, 2), s += at + 2;
                fputs(line, out);
        }
        free(line);
        fclose(in);
        fclose(out);
        rename(tmp, path);
}

int itest_produce(const char *topic, const char *file)
{
        char *argv[] = {(char *)itest_bin("vigie-ctl"), "-b",
                        getenv("VG_BOOTSTRAP"), "produce", "-q", "-t",
                        (char *)topic, (char *)file, NULL};
        return itest_run(argv, itest_path("produce.log"));
}

pid_t itest_produce_paced(const char *topic, const char *file,
                          const char *rate, const char *log)
{
        char *argv[] = {(char *)itest_bin("vigie-ctl"), "-b",
                        getenv("VG_BOOTSTRAP"), "produce", "-q", "-r",
                        (char *)rate, "-t", (char *)topic, (char *)file,
                        NULL};
        return itest_spawn(argv, log);
}

vg_kafka_t *itest_producer(void)
{
        char errstr[256];
        vg_conf_t *conf = vg_conf_new(NULL);
        vg_conf_set(conf, "bootstrap.servers", getenv("VG_BOOTSTRAP"), errstr,
                    sizeof(errstr));
        vg_kafka_t *k = vg_kafka_new(conf, NULL, NULL, 0, VG_KAFKA_F_PRODUCER,
                                     errstr, sizeof(errstr));
        vg_conf_destroy(conf); /* not kept by vg_kafka_new() */
        ck_assert_msg(k != NULL, "%s", errstr);
        return k;
}

void itest_produce_raw(vg_kafka_t *k, const char *topic, const char *key,
                       const void *buf, size_t len)
{
        char errstr[256];
        ck_assert_int_eq(vg_kafka_produce(k, NULL, topic, key, strlen(key),
                                          buf, len, 0, errstr,
                                          sizeof(errstr)),
                         VG_OK);
}

pid_t itest_spawn_with(const char *prog, const char *log, ...)
{
        char port[64];
        char *argv[40] = {(char *)itest_bin(prog), "-b",
                          getenv("VG_BOOTSTRAP"), "-X", port, "-X",
                          "stats.interval.ms=1000", "-X",
                          "checkpoint.interval.ms=1000", "-X",
                          "kafka.session.timeout.ms=6000"};
        int n = 11;
        va_list ap;
        snprintf(port, sizeof(port), "redis.port=%s", getenv("VG_REDIS_PORT"));
        if (!strcmp(prog, "vigie-change")) {
                argv[n++] = "-X";
                argv[n++] = "change.alert.min.learned=100";
        }
        va_start(ap, log);
        for (const char *x; (x = va_arg(ap, const char *)) && n < 37;) {
                argv[n++] = "-X";
                argv[n++] = (char *)x;
        }
        va_end(ap);
        argv[n] = NULL;
        return itest_spawn(argv, log);
}

int itest_learned_exactly(const char *log, const char *model, long n)
{
        char want[96];
        snprintf(want, sizeof(want), "  model %s n=%ld,", model, n);
        if (itest_file_contains(log, want))
                return 1;
        want[strlen(want) - 1] = ' '; /* "incident/1 n=N k=K" */
        if (itest_file_contains(log, want))
                return 1;
        /* for the failure message: what it did learn */
        itest_print_summary(log, "summary|resolutions|outcomes|model |learn|"
                            "restored", 12);
        return 0;
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

long itest_wait_committed(const char *group, const char *topic,
                          long records, double timeout_s)
{
        long done = -1;
        for (double t0 = itest_now();
             (done = itest_committed(group, topic)) < records &&
             itest_now() - t0 < timeout_s;)
                usleep(200 * 1000);
        return done;
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

vg_redis_t *itest_redis_connect(const char *port, const char *password,
                                char *errstr, size_t size)
{
        vg_redis_conf_t *conf = vg_redis_conf_new();
        vg_redis_conf_set(conf, "port", port, errstr, size);
        if (password)
                vg_redis_conf_set(conf, "password", password, errstr, size);
        vg_redis_t *r = vg_redis_new(conf, errstr, size);
        if (!r)
                vg_redis_conf_destroy(conf);
        return r;
}

vg_redis_t *itest_redis_open(void)
{
        char errstr[256];
        vg_redis_t *r = itest_redis_connect(getenv("VG_REDIS_PORT"), NULL,
                                            errstr, sizeof(errstr));
        ck_assert_msg(r != NULL, "%s", errstr);
        return r;
}

int itest_redis_up(const char *port, const char *password)
{
        char errstr[256];
        vg_redis_t *r = itest_redis_connect(port, password, errstr,
                                            sizeof(errstr));
        int ok = r && vg_redis_check(r, errstr, sizeof(errstr)) == VG_OK;
        vg_redis_destroy(r);
        return ok;
}

vg_redis_batch_t *itest_redis_cmd(vg_redis_t *r, const char *a0,
                                  const char *a1, const char *a2,
                                  const char *a3)
{
        char errstr[256];
        const char *argv[] = {a0, a1, a2, a3};
        int argc = a3 ? 4 : a2 ? 3 : a1 ? 2 : 1;
        vg_redis_batch_t *b = vg_redis_batch_new();
        vg_redis_batch_argv(b, argc, argv, NULL);
        ck_assert_int_eq(vg_redis_batch_exec(r, b, errstr, sizeof(errstr)),
                         VG_OK);
        return b;
}

json_t *itest_redis_keys(vg_redis_t *r, const char *pattern)
{
        vg_redis_batch_t *b = itest_redis_cmd(r, "KEYS", pattern, NULL, NULL);
        const vg_redis_reply_t *rep = vg_redis_batch_reply(b, 0);
        json_t *keys = json_array();
        for (size_t i = 0; i < vg_redis_reply_nelem(rep); i++)
                json_array_append_new(
                        keys, json_string(vg_redis_reply_str(
                                      vg_redis_reply_elem(rep, i), NULL)));
        vg_redis_batch_destroy(b);
        return keys;
}

json_t *itest_redis_members(vg_redis_t *r, const char *key)
{
        vg_redis_batch_t *b = itest_redis_cmd(r, "ZRANGE", key, "0", "-1");
        const vg_redis_reply_t *rep = vg_redis_batch_reply(b, 0);
        json_t *set = json_object();
        for (size_t i = 0; i < vg_redis_reply_nelem(rep); i++)
                json_object_set_new(set,
                                    vg_redis_reply_str(
                                            vg_redis_reply_elem(rep, i), NULL),
                                    json_true());
        vg_redis_batch_destroy(b);
        return set;
}

void itest_set_add(json_t *sets, const char *key, const char *member)
{
        json_t *set = json_object_get(sets, key);
        if (!set) {
                set = json_object();
                json_object_set_new(sets, key, set);
        }
        json_object_set_new(set, member, json_true());
}

void itest_set_add_id(json_t *sets, const char *key, long long member)
{
        char id[32];
        snprintf(id, sizeof(id), "%lld", member);
        itest_set_add(sets, key, id);
}

long itest_windows_diff(json_t *sets, const char *kind, const char *what,
                        const char *label)
{
        vg_redis_t *r = itest_redis_open();
        const char *id, *m;
        json_t *want, *v;
        char key[512], pattern[256];
        long diff = 0, members = 0;
        json_object_foreach(sets, id, want) {
                vg_redis_key(r, key, sizeof(key), kind, id, what);
                json_t *got = itest_redis_members(r, key);
                members += (long)json_object_size(got);
                json_object_foreach(want, m, v) {
                        if (!json_object_get(got, m) && diff++ < 5)
                                printf("%s: %s missing\n", key, m);
                }
                json_object_foreach(got, m, v) {
                        if (!json_object_get(want, m) && diff++ < 5)
                                printf("%s: %s extra\n", key, m);
                }
                json_decref(got);
        }
        snprintf(pattern, sizeof(pattern), "vigie:%s:*:%s", kind, what);
        json_t *keys = itest_redis_keys(r, pattern);
        if (json_array_size(keys) != json_object_size(sets)) {
                printf("%zu %s:*:%s keys for %zu %ss\n",
                       json_array_size(keys), kind, what,
                       json_object_size(sets), label);
                diff++;
        }
        printf("%s windows: %zu %ss, %ld members, %ld difference(s) with "
               "the input\n", label, json_object_size(sets), label, members,
               diff);
        fflush(stdout);
        json_decref(keys);
        vg_redis_destroy(r);
        return diff;
}

long itest_team_changes_counted(void)
{
        vg_redis_t *r = itest_redis_open();
        json_t *keys  = itest_redis_keys(r, "vigie:team:*:changes"), *k;
        long sum      = 0;
        size_t i;
        json_array_foreach(keys, i, k) {
                vg_redis_batch_t *b = itest_redis_cmd(r, "ZCARD",
                                                      json_string_value(k),
                                                      NULL, NULL);
                sum += (long)vg_redis_reply_int(vg_redis_batch_reply(b, 0));
                vg_redis_batch_destroy(b);
        }
        json_decref(keys);
        vg_redis_destroy(r);
        return sum;
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

void itest_finish(const itest_proc_t *pr, pid_t p, long records,
                  long outputs, double timeout_s)
{
        ck_assert_int_eq(itest_wait_committed(pr->prog, pr->in, records,
                                              timeout_s),
                         records);
        itest_wait_idle(pr->out, outputs, 10);
        ck_assert_int_eq(itest_stop(p, SIGTERM), 0);
}

/* 1 if the test's Redis answers. */
static int itest_redis_test_up(void)
{
        return itest_redis_up(getenv("VG_REDIS_PORT"), NULL);
}

long itest_outage_produce(const itest_proc_t *pr, const char *file,
                          long more)
{
        char cmd[512];
        long before = itest_end_offsets(pr->out);
        snprintf(cmd, sizeof(cmd), "%s/tests/restart_redis.sh 10 "
                 ">/dev/null 2>&1 &", getenv("VG_SOURCE_DIR"));
        ck_assert_int_eq(system(cmd), 0);
        double t0 = itest_now();
        while (itest_redis_test_up() && itest_now() - t0 < 5)
                usleep(50 * 1000);
        ck_assert_msg(!itest_redis_test_up(), "Redis did not stop");
        t0 = itest_now();
        ck_assert_int_eq(itest_produce(pr->in, file), 0);
        long want      = before + more;
        long during    = itest_wait_count(pr->out, want, 8);
        double in_s    = itest_now() - t0;
        int still_down = !itest_redis_test_up();
        printf("redis_down: %ld %s before, %ld %.1f s into the outage "
               "(Redis %s)\n", before, pr->what, during, in_s,
               still_down ? "still down" : "back");
        fflush(stdout);
        ck_assert_msg(still_down, "Redis came back too early to tell");
        ck_assert_msg(during >= want, "%s stalled while Redis was down: %ld "
                      "of %ld in %.1f s", pr->out, during, want, in_s);
        return want;
}

void itest_bad_records(const itest_proc_t *pr, const char *log,
                       const char *bad, void (*garbage)(void),
                       const char *more, long dead, long ok,
                       const char *dlq)
{
        pid_t p = itest_spawn_with(pr->prog, log, NULL);
        ck_assert_int_eq(itest_produce(pr->in, bad), 0);
        garbage();
        ck_assert_int_ge(itest_wait_idle("itsm.deadletter", dead, 60), dead);
        ck_assert_int_ge(itest_wait_idle(pr->out, ok, 30), ok);
        /* it keeps running: a later valid record gets its output */
        ck_assert_int_eq(kill(p, 0), 0);
        ck_assert_int_eq(itest_produce(pr->in, more), 0);
        ck_assert_int_ge(itest_wait_count(pr->out, ok + 1, 30), ok + 1);
        ck_assert_int_eq(itest_stop(p, SIGTERM), 0);
        ck_assert_int_eq(itest_consume("itsm.deadletter", dlq), dead);
}

void itest_sigkill_restart(const itest_proc_t *pr, const char *file,
                           long records, long outputs, const char *rate,
                           const char *log1, const char *log2)
{
        pid_t p = itest_spawn_with(pr->prog, log1, NULL);
        ck_assert(itest_wait_in_file(log1, "assigned", 30));
        pid_t prod = itest_produce_paced(pr->in, file, rate,
                                         itest_path("prod.log"));
        ck_assert_int_ge(itest_wait_count(pr->out, 300, 60), 300);
        /* a checkpoint taken since (checkpoint.interval.ms=1000) */
        long c0 = itest_count_in_file(log1, "checkpoint: ");
        for (int i = 0;
             i < 50 && itest_count_in_file(log1, "checkpoint: ") <= c0; i++)
                usleep(100 * 1000);
        ck_assert_int_gt(itest_count_in_file(log1, "checkpoint: "), c0);
        ck_assert_int_eq(itest_stop(p, SIGKILL), 128 + SIGKILL);
        long at_kill   = itest_end_offsets(pr->out);
        long committed = itest_committed(pr->prog, pr->in);

        p = itest_spawn_with(pr->prog, log2, NULL);
        ck_assert_int_eq(itest_wait_pid(prod), 0);
        itest_finish(pr, p, records, outputs, 120);
        printf("sigkill: killed at %ld %s, %ld of %ld input records "
               "committed\n", at_kill, pr->what, committed, records);
        fflush(stdout);
        ck_assert_int_lt(committed, records); /* killed mid-stream */
        ck_assert(itest_file_contains(log2, "model restored from checkpoint"));
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
