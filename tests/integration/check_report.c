/**
 * @file check_report.c
 * @brief vigie-ctl report surveys against a private redis-server
 *        (tests/run_with_services.sh --redis): a fixture of three survey
 *        topics written straight into Redis with the key contract of
 *        vigie-survey, then the text report, the HTML page, and the page
 *        opened in headless Chromium (DOM and a screenshot).
 *
 * Cases (CK_RUN_CASE): "text", "chromium". Without chromium on PATH (or
 * VG_CHROMIUM), the chromium case is SKIPPED: exit status 77, ctest's
 * SKIP_RETURN_CODE, with a message (tests/install-chromium.sh installs
 * it). The page and the screenshot stay in VG_REPORT_DIR (the build
 * tree's tests/report/) for a look after the run.
 */
#include "vg_itest.h"
#include "vg_redis.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SKIP_CODE 77

#define DAY_MS 86400000LL
#define WEEK_MS (7 * DAY_MS)
#define T0 1736121600000LL /* 2025-01-06T00:00:00Z, a Monday (W02) */

/* The words the test looks for in the pages */
#define TERMS_7 "vpn disconnect laptop wifi timeout"
#define TERMS_5 "printer toner queue"
#define TERMS_3 "vpn password reset"

/* ------------------------------------------------------------------ */
/* Helpers                                                              */

static long count_of(const char *hay, const char *needle)
{
        long n = 0;
        for (const char *p = hay; (p = strstr(p, needle)); p++)
                n++;
        return n;
}

/* The line of \p text that contains \p needle, as a new string (NULL if
 * none). */
static char *line_with(const char *text, const char *needle)
{
        const char *p = strstr(text, needle);
        if (!p)
                return NULL;
        const char *b = p, *e = strchr(p, '\n');
        while (b > text && b[-1] != '\n')
                b--;
        if (!e)
                e = p + strlen(p);
        return strndup(b, (size_t)(e - b));
}

/* Runs argv with stdout to \p out and stderr to \p err (NULL: inherited),
 * killed after \p timeout_s. @returns its exit status, 128+signal if
 * killed, or -1. */
static int run_to(char *const argv[], const char *out, const char *err,
                  int timeout_s)
{
        int status;
        pid_t pid = fork();
        if (pid == 0) {
                if (out) {
                        int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
                        dup2(fd, 1);
                        close(fd);
                }
                if (err) {
                        int fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
                        dup2(fd, 2);
                        close(fd);
                }
                execv(argv[0], argv);
                _exit(127);
        }
        if (pid < 0)
                return -1;
        time_t end = time(NULL) + timeout_s;
        for (;;) {
                pid_t w = waitpid(pid, &status, WNOHANG);
                if (w == pid)
                        break;
                if (w < 0)
                        return -1;
                if (time(NULL) > end) {
                        kill(pid, SIGKILL);
                        waitpid(pid, &status, 0);
                        break;
                }
                usleep(50 * 1000);
        }
        if (WIFEXITED(status))
                return WEXITSTATUS(status);
        return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/* The report's scratch directory: VG_REPORT_DIR (kept after the run),
 * else the test's own. Ends with "/". */
static const char *report_dir(void)
{
        static char dir[1024];
        if (!dir[0]) {
                const char *d = getenv("VG_REPORT_DIR");
                if (d && *d) {
                        mkdir(d, 0755);
                        snprintf(dir, sizeof(dir), "%s/", d);
                } else {
                        snprintf(dir, sizeof(dir), "%s", itest_path(""));
                }
        }
        return dir;
}

static const char *report_path(const char *name)
{
        char buf[1200];
        snprintf(buf, sizeof(buf), "%s%s", report_dir(), name);
        return strdup(buf); /* tests are short-lived: never freed */
}

/* @returns the path of chromium (VG_CHROMIUM, else on PATH), or NULL. */
static const char *find_chromium(void)
{
        static char found[1024];
        const char *env = getenv("VG_CHROMIUM");
        if (env && *env)
                return access(env, X_OK) == 0 ? env : NULL;
        const char *path = getenv("PATH");
        if (!path)
                return NULL;
        char *dup = strdup(path), *save = NULL;
        for (char *d = strtok_r(dup, ":", &save); d;
             d       = strtok_r(NULL, ":", &save)) {
                snprintf(found, sizeof(found), "%s/chromium", d);
                if (access(found, X_OK) == 0) {
                        free(dup);
                        return found;
                }
        }
        free(dup);
        return NULL;
}

/* ------------------------------------------------------------------ */
/* The fixture                                                          */

static vg_redis_t *open_redis(void)
{
        char errstr[256];
        vg_redis_conf_t *rc = vg_redis_conf_new();
        ck_assert(!vg_redis_conf_set(rc, "host", "127.0.0.1", errstr,
                                     sizeof(errstr)));
        ck_assert_msg(getenv("VG_REDIS_PORT"),
                      "VG_REDIS_PORT not set: run "
                      "under tests/run_with_services.sh --redis");
        ck_assert(!vg_redis_conf_set(rc, "port", getenv("VG_REDIS_PORT"),
                                     errstr, sizeof(errstr)));
        vg_redis_t *r = vg_redis_new(rc, errstr, sizeof(errstr));
        ck_assert_msg(r != NULL, "%s", errstr);
        return r;
}

static void hset_str(vg_redis_batch_t *b, const char *key, const char *f,
                     const char *v)
{
        vg_redis_batch_hset(b, key, f, v, strlen(v));
}

static void hset_ms(vg_redis_batch_t *b, const char *key, const char *f,
                    int64_t ms)
{
        char v[32];
        snprintf(v, sizeof(v), "%" PRId64, ms);
        hset_str(b, key, f, v);
}

/* One topic of the fixture: responses and negatives per week (from
 * T0), each at day k of its week at \p hour; the negatives are the last
 * ones of their week. */
typedef struct fx_topic_s {
        const char *id, *state, *merged_into, *terms, *born_terms;
        const char *service;
        int hour;
        int weeks;
        int resp[6], neg[6];
        int64_t born_at, ended_at;
} fx_topic_t;

static const fx_topic_t fx_topics[] = {
    /* alive, getting worse: neg. share 4/7 then 6/7 */
    {"7",
     "alive",
     NULL,
     TERMS_7,
     "vpn slow",
     "Network & VPN",
     10,
     6,
     {5, 5, 6, 6, 7, 7},
     {1, 1, 1, 2, 4, 6},
     T0 + 9 * 3600000LL,
     -1},
    /* merged into 7 at the start of W05 */
    {"3",
     "merged",
     "7",
     TERMS_3,
     "password reset",
     "Identity",
     14,
     3,
     {4, 4, 4},
     {2, 1, 1},
     T0 + 11 * 3600000LL,
     T0 + 3 * WEEK_MS + 8 * 3600000LL},
    /* dead at the start of W06 */
    {"5",
     "dead",
     NULL,
     TERMS_5,
     "printer toner",
     "Print",
     12,
     4,
     {3, 3, 3, 3},
     {1, 1, 0, 0},
     T0 + 12 * 3600000LL,
     T0 + 4 * WEEK_MS + 9 * 3600000LL},
};
#define FX_NTOPICS 3

/* The comment of response \p rid (negative or not). */
static void fx_comment(const fx_topic_t *t, const char *rid, int negative,
                       int last, char *buf, size_t size)
{
        if (!negative)
                snprintf(buf, size, "All good, thanks (%s)", rid);
        else if (last && !strcmp(t->id, "7"))
                /* markup, quotes, an ampersand, UTF-8, a newline and a
                 * terminal escape: all must come out harmless */
                snprintf(buf, size,
                         "Still no fix <script>alert('x')"
                         "</script> \"again\" & <EMAIL> caf\xc3\xa9\n"
                         "\x1b[31mred (%s)",
                         rid);
        else if (!strcmp(rid, "r7-35"))
                /* a pseudonym the scrubber missed: never printed */
                snprintf(buf, size,
                         "<NAME> (PSN-7-35-c0ffee) waited 3 days "
                         "for a call back (%s)",
                         rid);
        else if (!strcmp(t->id, "7"))
                snprintf(buf, size,
                         "VPN dropped during a call, <NAME> says "
                         "it is the third time & nobody called back (%s)",
                         rid);
        else
                snprintf(buf, size,
                         "%s: still broken after a week, <NAME> "
                         "lost half a day (%s)",
                         t->service, rid);
}

/* Writes the fixture: 3 topics, 60 responses over 6 weeks. @returns the
 * latest submitted_at. */
static int64_t write_fixture(void)
{
        vg_redis_t *r       = open_redis();
        vg_redis_batch_t *b = vg_redis_batch_new();
        char key[512], info[512], resp[512], neg[512], rid[32];
        char comment[512], pseudo[64], errstr[256];
        int64_t latest = 0;
        int total      = 0;

        vg_redis_key(r, key, sizeof(key), "srv", "all", "topics");
        for (int i = 0; i < FX_NTOPICS; i++) {
                const fx_topic_t *t = &fx_topics[i];
                vg_redis_batch_window_add(b, key, t->born_at, t->id);
                vg_redis_key(r, info, sizeof(info), "srvtopic", t->id, "info");
                vg_redis_key(r, resp, sizeof(resp), "srvtopic", t->id,
                             "responses");
                vg_redis_key(r, neg, sizeof(neg), "srvtopic", t->id,
                             "negative");
                hset_ms(b, info, "born_at", t->born_at);
                hset_str(b, info, "born_terms", t->born_terms);
                hset_str(b, info, "terms", t->terms);
                hset_str(b, info, "state", t->state);
                if (t->merged_into)
                        hset_str(b, info, "merged_into", t->merged_into);
                if (t->ended_at >= 0)
                        hset_ms(b, info, "ended_at", t->ended_at);
                int n = 0;
                for (int w = 0; w < t->weeks; w++) {
                        for (int k = 0; k < t->resp[w]; k++) {
                                int64_t at = T0 + w * WEEK_MS + k * DAY_MS +
                                             t->hour * 3600000LL;
                                int negative = k >= t->resp[w] - t->neg[w];
                                int last =
                                    w == t->weeks - 1 && k == t->resp[w] - 1;
                                n++;
                                snprintf(rid, sizeof(rid), "r%s-%02d", t->id,
                                         n);
                                snprintf(pseudo, sizeof(pseudo),
                                         "PSN-%s-%02d-c0ffee", t->id, n);
                                fx_comment(t, rid, negative, last, comment,
                                           sizeof(comment));
                                vg_redis_batch_window_add(b, resp, at, rid);
                                if (negative)
                                        vg_redis_batch_window_add(b, neg, at,
                                                                  rid);
                                vg_redis_key(r, key, sizeof(key), "srv", rid,
                                             "insight");
                                hset_str(b, key, "topic", t->id);
                                hset_str(b, key, "class",
                                         negative ? "negative" : "positive");
                                hset_str(b, key, "score_pred",
                                         negative ? "2.1" : "8.7");
                                hset_str(b, key, "comment", comment);
                                hset_str(b, key, "service", t->service);
                                hset_ms(b, key, "submitted_at", at);
                                hset_str(b, key, "pseudonym", pseudo);
                                latest = at > latest ? at : latest;
                                total++;
                        }
                }
                char size[16];
                snprintf(size, sizeof(size), "%d", n);
                hset_str(b, info, "size", size);
                vg_redis_key(r, key, sizeof(key), "srv", "all", "topics");
        }
        ck_assert_int_eq(total, 60);
        ck_assert_msg(vg_redis_batch_exec(r, b, errstr, sizeof(errstr)) ==
                          VG_OK,
                      "%s", errstr);
        for (size_t i = 0; i < vg_redis_batch_cnt(b); i++)
                ck_assert_int_ne(
                    vg_redis_reply_type(vg_redis_batch_reply(b, i)),
                    VG_REDIS_R_ERROR);
        vg_redis_batch_destroy(b);
        vg_redis_destroy(r);
        return latest;
}

/* Runs `vigie-ctl -X redis.port=PORT [-X extra] report surveys ARGS...`
 * (NULL-terminated), stdout to \p out, stderr to \p err. @returns its exit
 * status. */
static int run_report(const char *extra, const char *out, const char *err, ...)
{
        char port[64];
        char *argv[24];
        int n = 0;
        va_list ap;

        snprintf(port, sizeof(port), "redis.port=%s", getenv("VG_REDIS_PORT"));
        argv[n++] = (char *)itest_bin("vigie-ctl");
        argv[n++] = "-X";
        argv[n++] = "redis.host=127.0.0.1";
        argv[n++] = "-X";
        argv[n++] = port;
        if (extra) {
                argv[n++] = "-X";
                argv[n++] = (char *)extra;
        }
        argv[n++] = "report";
        va_start(ap, err);
        for (char *a; n < 23 && (a = va_arg(ap, char *));)
                argv[n++] = a;
        va_end(ap);
        argv[n] = NULL;
        return run_to(argv, out, err, 60);
}

/* Asserts that \p text has \p a before \p b. */
static void assert_before(const char *text, const char *a, const char *b)
{
        const char *pa = strstr(text, a), *pb = strstr(text, b);
        ck_assert_msg(pa, "missing \"%s\" in:\n%s", a, text);
        ck_assert_msg(pb, "missing \"%s\" in:\n%s", b, text);
        ck_assert_msg(pa < pb, "\"%s\" should come before \"%s\" in:\n%s", a, b,
                      text);
}

#define ASSERT_HAS(text, needle)                                               \
        ck_assert_msg(strstr((text), (needle)), "missing \"%s\" in:\n%s",      \
                      (needle), (text))
#define ASSERT_HASNT(text, needle)                                             \
        ck_assert_msg(!strstr((text), (needle)), "unexpected \"%s\" in:\n%s",  \
                      (needle), (text))

/* The assertions every page of the fixture passes (source or DOM). */
static void assert_page(const char *html, const char *what)
{
        ck_assert_msg(count_of(html, "<svg") == FX_NTOPICS,
                      "%s: %ld <svg> elements, expected %d", what,
                      count_of(html, "<svg"), FX_NTOPICS);
        ASSERT_HAS(html, TERMS_7);
        ASSERT_HAS(html, TERMS_5);
        ASSERT_HAS(html, TERMS_3);
        ASSERT_HAS(html, "&lt;script&gt;alert(");
        ASSERT_HAS(html, "&lt;EMAIL&gt;");
        ASSERT_HAS(html, "caf\xc3\xa9");
        ASSERT_HASNT(html, "<script");
        ASSERT_HASNT(html, "PSN-");
        ASSERT_HASNT(html, "\x1b");
        ASSERT_HASNT(html, "http://");
        ASSERT_HASNT(html, "https://");
        ASSERT_HASNT(html, "src=");
}

/* ------------------------------------------------------------------ */
/* Text, the HTML source, options and errors                            */

START_TEST(test_text)
{
        int64_t latest   = write_fixture();
        const char *out  = report_path("report.txt");
        const char *err  = report_path("report.err");
        const char *html = report_path("report.html");
        char *text, *page, *all, *line;

        ck_assert_int_eq(latest,
                         T0 + 5 * WEEK_MS + 6 * DAY_MS + 10 * 3600000LL);
        unlink(html);
        ck_assert_int_eq(
            run_report(NULL, out, err, "surveys", "--html", html, NULL), 0);
        text = itest_slurp(out, NULL);
        all  = itest_slurp(err, NULL);
        ck_assert(text && all);
        printf("---- vigie-ctl report surveys (%s)\n%s----\n", out, text);

        /* header: now = the latest response, a 12-week window */
        ASSERT_HAS(text, "now (event time)  2025-02-16 10:00 UTC (the "
                         "latest response)");
        ASSERT_HAS(text, "2024-11-25 .. 2025-02-16: 12 ISO weeks, "
                         "2024-W48 .. 2025-W07");
        ASSERT_HAS(text, "3: 1 alive, 1 merged, 1 dead; 3 shown");

        /* order: alive first, then merged/dead by the latest end */
        assert_before(text, "#1 topic 7: alive", "#2 topic 5: dead");
        assert_before(text, "#2 topic 5: dead", "#3 topic 3: merged into 7");

        /* the table: satisfaction, counts, trend */
        line = line_with(text, "   1 7 ");
        ck_assert_msg(line, "no table row of topic 7 in:\n%s", text);
        ASSERT_HAS(line, "alive");
        ASSERT_HAS(line, " 58% ");
        ASSERT_HAS(line, "15/36");
        ASSERT_HAS(line, "\u2191 worse");
        ASSERT_HAS(line, "57% -> 86%");
        ASSERT_HAS(line, TERMS_7);
        free(line);
        line = line_with(text, "   2 5 ");
        ck_assert_msg(line, "no table row of topic 5 in:\n%s", text);
        ASSERT_HAS(line, "dead");
        ASSERT_HAS(line, " 83% ");
        ASSERT_HAS(line, "2/12");
        ASSERT_HAS(line, "\u00b7 n/a    no responses");
        free(line);
        line = line_with(text, "   3 3 ");
        ck_assert_msg(line, "no table row of topic 3 in:\n%s", text);
        ASSERT_HAS(line, "merged into 7");
        ASSERT_HAS(line, " 67% ");
        ASSERT_HAS(line, "4/12");
        free(line);

        /* the details */
        ASSERT_HAS(text, "terms at birth  vpn slow\n");
        ASSERT_HAS(text, "satisfaction    58% over the window (15 negative "
                         "of 36 responses)");
        ASSERT_HAS(text, "trend           \u2191 worse: negative share 57% "
                         "(4/7) in the 7 days before, 86% (6/7) in the "
                         "last 7 days");
        ASSERT_HAS(text, "#3 topic 3: merged into 7 on 2025-01-27");
        ASSERT_HAS(text, "#2 topic 5: dead on 2025-02-03");
        ASSERT_HAS(text, "responses    0   0   0   0   0   0   5   5   6   "
                         "6   7   7\n");
        ASSERT_HAS(text, "negative     0   0   0   0   0   0   1   1   1   "
                         "2   4   6\n");

        /* examples: the 3 most recent negatives of topic 7, scrubbed,
         * made harmless for a terminal, pseudonyms blanked */
        assert_before(text,
                      "examples        2025-02-16 10:00  Network & "
                      "VPN  \"Still no fix <script>",
                      "(<PSEUDONYM>) waited");
        ASSERT_HAS(text, "caf\xc3\xa9 [31mred (r7-36)");
        ASSERT_HAS(text, "<NAME> (<PSEUDONYM>) waited 3 days for a call "
                         "back (r7-35)");
        ASSERT_HAS(text, "(r7-34)");
        ASSERT_HASNT(text, "(r7-33)");
        ASSERT_HAS(text, "(r3-"); /* the merged topic's examples too */
        ASSERT_HAS(text, "(r5-");
        ASSERT_HASNT(text, "\x1b");
        ASSERT_HASNT(text, "PSN-");
        ASSERT_HASNT(all, "PSN-");
        ASSERT_HASNT(text, "All good"); /* positives are no examples */

        /* the page */
        page = itest_slurp(html, NULL);
        ck_assert_msg(page, "no page %s", html);
        ck_assert_msg(!strncmp(page, "<!DOCTYPE html>\n<html lang=\"en\">", 31),
                      "not an HTML5 page");
        ASSERT_HAS(page, "<meta charset=\"utf-8\">");
        ASSERT_HAS(page, "</html>\n");
        assert_page(page, "page");
        ASSERT_HAS(page, "&amp; &lt;EMAIL&gt; caf\xc3\xa9 [31mred");
        ASSERT_HAS(page, "Network &amp; VPN");
        assert_before(page, ">7</a>", ">5</a>");
        assert_before(page, ">5</a>", ">3</a>");
        ck_assert_int_eq(count_of(page, "<section class=\"topic\""), 3);
        free(page);
        free(text);
        free(all);

        /* --weeks 2: the window is W06-W07 (14 responses, 10 negative) */
        ck_assert_int_eq(
            run_report(NULL, out, err, "surveys", "--weeks", "2", NULL), 0);
        text = itest_slurp(out, NULL);
        line = line_with(text, "   1 7 ");
        ck_assert_msg(line, "no row of topic 7 in:\n%s", text);
        ASSERT_HAS(line, " 29% ");
        ASSERT_HAS(line, "10/14");
        free(line);
        free(text);

        /* --at: now is the end of W05 (the stream up to then) */
        ck_assert_int_eq(run_report(NULL, out, err, "surveys", "--at",
                                    "2025-02-02T23:00:00Z", "--top", "1", NULL),
                         0);
        text = itest_slurp(out, NULL);
        ASSERT_HAS(text, "now (event time)  2025-02-02 23:00 UTC (--at)");
        line = line_with(text, "   1 7 ");
        ck_assert_msg(line, "no row of topic 7 in:\n%s", text);
        ASSERT_HAS(line, "5/22");
        ASSERT_HAS(line, "17% -> 33%");
        free(line);
        ASSERT_HAS(text, "(2 more topics not shown: --top)");
        ASSERT_HASNT(text, "#2 topic");
        ASSERT_HASNT(text, "Still no fix"); /* after --at */
        free(text);

        /* no topic under another prefix: said, exit 0 */
        ck_assert_int_eq(
            run_report("redis.prefix=empty:", out, err, "surveys", NULL), 0);
        text = itest_slurp(out, NULL);
        ASSERT_HAS(text, "No survey topic in Redis (empty:srv:all:topics");
        free(text);

        /* Redis down: said, exit 1 */
        ck_assert_int_eq(run_report("redis.port=1", out, err, "surveys", NULL),
                         1);
        all = itest_slurp(err, NULL);
        ASSERT_HAS(all, "vigie-ctl report: cannot read the survey topics: "
                        "redis 127.0.0.1:1");
        free(all);

        /* usage errors: exit 2 */
        ck_assert_int_eq(run_report(NULL, out, err, NULL), 2);
        ck_assert_int_eq(run_report(NULL, out, err, "incidents", NULL), 2);
        ck_assert_int_eq(
            run_report(NULL, out, err, "surveys", "--weeks", "0", NULL), 2);
        ck_assert_int_eq(
            run_report(NULL, out, err, "surveys", "--at", "yesterday", NULL),
            2);
        ck_assert_int_eq(run_report(NULL, out, err, "surveys", "--help", NULL),
                         0);
        text = itest_slurp(out, NULL);
        ASSERT_HAS(text, "Usage: vigie-ctl [global options] report surveys");
        free(text);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The page in headless Chromium                                        */

/* Runs \p chromium headless with \p args (NULL-terminated, at most 22)
 * after the options every run takes, stdout to \p out (NULL: none),
 * stderr to \p log, for 120 s at the most. @returns its exit status. */
static int run_chromium(const char *chromium, const char *const *args,
                        const char *out, const char *log)
{
        /* Debian's chromium, as root in a container: --no-sandbox; no
         * network here: no background connections either */
        char *argv[32] = {(char *)chromium,
                          "--headless=new",
                          "--no-sandbox",
                          "--disable-gpu",
                          "--disable-quic",
                          "--no-first-run",
                          "--disable-background-networking",
                          "--disable-component-update",
                          "--disable-sync"};
        int n          = 9;
        for (int i = 0; args[i] && n < 31; i++)
                argv[n++] = (char *)args[i];
        argv[n] = NULL;
        return run_to(argv, out, log, 120);
}

START_TEST(test_chromium)
{
        const char *chromium = find_chromium();
        const char *html     = report_path("chromium.html");
        const char *dom      = report_path("chromium.dom.html");
        const char *png      = report_path("report.png");
        const char *log      = report_path("chromium.log");
        const char *profile  = report_path("chromium-profile");
        char url[1200], user_dir[1200], shot[1200];
        struct stat st;

        ck_assert_msg(chromium, "chromium vanished");
        write_fixture();
        ck_assert_int_eq(run_report(NULL, report_path("chromium.txt"), NULL,
                                    "surveys", "--html", html, NULL),
                         0);
        snprintf(url, sizeof(url), "file://%s", html);
        snprintf(user_dir, sizeof(user_dir), "--user-data-dir=%s", profile);
        snprintf(shot, sizeof(shot), "--screenshot=%s", png);

        const char *dump[] = {user_dir, "--dump-dom", url, NULL};
        int rc             = run_chromium(chromium, dump, dom, log);
        ck_assert_msg(rc == 0, "chromium --dump-dom exited %d (see %s)", rc,
                      log);
        char *page = itest_slurp(dom, NULL);
        ck_assert_msg(page && *page, "empty DOM from chromium (see %s)", log);
        assert_page(page, "DOM");
        ASSERT_HAS(page, "Survey topics");
        ASSERT_HAS(page, "merged into 7");
        free(page);

        unlink(png);
        const char *snap[] = {"--hide-scrollbars",       user_dir, shot,
                              "--window-size=1200,1600", url,      NULL};
        rc                 = run_chromium(chromium, snap, NULL, log);
        ck_assert_msg(rc == 0, "chromium --screenshot exited %d (see %s)", rc,
                      log);
        ck_assert_msg(stat(png, &st) == 0, "no screenshot %s", png);
        ck_assert_msg(st.st_size > 10 * 1024, "screenshot %s: %lld bytes", png,
                      (long long)st.st_size);
        printf("check_report: page %s, screenshot %s (%lld bytes)\n", html, png,
               (long long)st.st_size);
}
END_TEST

int main(void)
{
        const itest_case_t cases[] = {
            {"text", test_text},
            {"chromium", test_chromium},
        };
        const char *run_case = getenv("CK_RUN_CASE");
        int want_chromium    = !run_case || !strcmp(run_case, "chromium");
        int skip             = 0;

        if (want_chromium && !find_chromium()) {
                printf("check_report: SKIPPED the chromium case: chromium "
                       "is not installed (tests/install-chromium.sh "
                       "installs Debian's; or set VG_CHROMIUM)\n");
                fflush(stdout);
                if (run_case)
                        return SKIP_CODE;
                setenv("CK_RUN_CASE", "text", 1);
                skip = 1;
        }
        int rc = itest_main("report", cases,
                            (int)(sizeof(cases) / sizeof(cases[0])));
        return rc ? rc : skip ? SKIP_CODE : 0;
}
