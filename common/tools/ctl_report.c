/**
 * @file ctl_report.c
 * @brief vigie-ctl report surveys: the survey topics that vigie-survey
 *        keeps in Redis, as aligned text on stdout and, with --html, one
 *        self-contained HTML page (inline CSS, inline SVG charts, no
 *        script, nothing fetched).
 *
 * Keys read (prefix redis.prefix, ids escaped by vg_redis_key()):
 *   srv:all:topics           zset  topic id -> birth time (ms)
 *   srvtopic:{id}:info       hash  born_at born_terms terms state
 *                                  merged_into ended_at size
 *   srvtopic:{id}:responses  zset  response id -> submitted_at (ms)
 *   srvtopic:{id}:negative   zset  the negative ones, same scores
 *   srv:{response}:insight   hash  comment (scrubbed) service
 *                                  submitted_at ... pseudonym
 *
 * Privacy: only aggregates and the scrubbed `comment` (with `service` and
 * the date) of a few negative responses are printed. The `pseudonym` of
 * an insight is read only to blank it out of its own comment, should the
 * scrubber have left it there; response ids are never printed either.
 *
 * Reads are pipelined: one round trip for the topic list, one for every
 * topic's info and latest response, one for every count (weeks, trend),
 * one for the example verbatims of the topics shown.
 */
#include "ctl.h"
#include "vg_mem.h"
#include "vg_redis.h"
#include "vg_time.h"
#include "vg_utf8.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RPT_DAY_MS 86400000LL
#define RPT_WEEK_MS (7 * RPT_DAY_MS)
#define RPT_MAX_WEEKS 104
#define RPT_EXAMPLES 3    /* verbatims shown per topic */
#define RPT_CANDIDATES 10 /* recent negatives fetched to find them */
#define RPT_TREND_EPS                                                          \
        0.05                /* a change of the negative share below 5          \
                             * points is "stable" */
#define RPT_TEXT_COMMENT 96 /* characters of a verbatim in the text */
#define RPT_TEXT_TERMS 48   /* characters of the terms in the table */

#define RPT_K_SRV "srv"
#define RPT_K_TOPIC "srvtopic"

/* One example verbatim: scrubbed comment, service, submitted_at. */
typedef struct rpt_example_s {
        char *comment;
        char *service;
        int64_t at;
} rpt_example_t;

typedef struct rpt_topic_s {
        char *id;
        int64_t listed_at;         /* score in srv:all:topics */
        int has_info;              /* srvtopic:{id}:info exists */
        int64_t born_at, ended_at; /* -1: unknown */
        char *born_terms, *terms, *state, *merged_into;
        int64_t size;                /* -1: unknown */
        long long all_resp, all_neg; /* ZCARD of both sets */
        int64_t latest;              /* latest submitted_at, -1: none */
        long long *wk_resp, *wk_neg; /* per week of the window */
        long long win_resp, win_neg;
        long long last_resp, last_neg, prev_resp, prev_neg;
        char **cand; /* recent negatives, newest first */
        size_t ncand;
        rpt_example_t ex[RPT_EXAMPLES];
        int nex;
} rpt_topic_t;

typedef struct rpt_s {
        vg_redis_t *r;
        rpt_topic_t *topics;
        size_t ntopics, nshown;
        int weeks, top;
        int64_t at; /* the report's now, event time */
        int at_given;
        int64_t win_from; /* Monday 00:00 UTC of the window's first week */
        int64_t generated_at;
        size_t nalive, nmerged, ndead, nother;
} rpt_t;

void ctl_report_usage(FILE *fp)
{
        fprintf(fp,
                "Usage: vigie-ctl [global options] report surveys "
                "[options]\n\n"
                "Reads the survey topics that vigie-survey keeps in Redis "
                "(redis.host,\nredis.port, redis.password, redis.prefix: "
                "-c FILE, -X redis.port=...) and\nprints, per topic: state "
                "(alive, merged into N, dead), size, birth date, top\n"
                "terms now and at birth, satisfaction over the window "
                "(1 - negative/responses),\ntrend (negative share in the "
                "last 7 days of event time vs the 7 days before),\nweekly "
                "responses and negatives per ISO week, and up to 3 recent "
                "negative\nverbatims (scrubbed comments; pseudonyms are "
                "never printed).\nAlive topics first, by negatives in the "
                "last 7 days; then merged and dead\ntopics, most recently "
                "ended first.\n\n"
                "Options:\n"
                "      --html FILE  also write one self-contained HTML page "
                "(inline CSS and SVG\n"
                "                   charts, no script, nothing fetched)\n"
                "      --weeks N    the window: the last N ISO weeks up to "
                "now (default 12)\n"
                "      --top N      topics shown (default 20)\n"
                "      --at TIME    the report's now in event time "
                "(default: the latest\n"
                "                   submitted_at found): 2025-03-01 "
                "10:00:00, ISO-8601, epoch ms\n"
                "  -h, --help       this help\n\n"
                "Exit status: 0 printed (also when there is no topic), 1 "
                "Redis unreachable or\nrefusing, or the page not written, "
                "2 usage error.\n");
}

/* ------------------------------------------------------------------ */
/* Strings                                                              */

/* A copy of \p s[0..n) as valid UTF-8 with every control character
 * (C0, DEL, C1) a space, runs of spaces as one, trimmed: safe for a
 * terminal and for one line of text. Never NULL. */
static char *rpt_clean(const char *s, size_t n)
{
        size_t cap = 3 * n + 1, len, o = 0;
        char *tmp = vg_malloc(cap), *out;
        len       = vg_utf8_sanitize(tmp, cap, s, n);
        out       = vg_malloc(len + 1);
        for (size_t i = 0; i < len;) {
                uint32_t cp;
                size_t l = vg_utf8_decode(tmp + i, len - i, &cp);
                if (l == 0) /* cannot happen after sanitize */
                        l = 1, cp = '?';
                if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) ||
                    cp == ' ') {
                        if (o > 0 && out[o - 1] != ' ')
                                out[o++] = ' ';
                } else {
                        memcpy(out + o, tmp + i, l);
                        o += l;
                }
                i += l;
        }
        while (o > 0 && out[o - 1] == ' ')
                o--;
        out[o] = '\0';
        vg_free(tmp);
        return out;
}

/* Replaces every occurrence of \p needle (not empty) in \p *sp. */
static void rpt_redact(char **sp, const char *needle, const char *with)
{
        size_t nl = strlen(needle), wl = strlen(with), cnt = 0;
        const char *p;
        for (p = *sp; (p = strstr(p, needle)); p += nl)
                cnt++;
        if (!cnt)
                return;
        char *out = vg_malloc(strlen(*sp) + cnt * wl + 1), *o = out;
        const char *s = *sp;
        while ((p = strstr(s, needle))) {
                memcpy(o, s, (size_t)(p - s));
                o += p - s;
                memcpy(o, with, wl);
                o += wl;
                s = p + nl;
        }
        strcpy(o, s);
        vg_free(*sp);
        *sp = out;
}

/* @returns the number of characters (code points) of \p s. */
static size_t rpt_width(const char *s)
{
        size_t w = 0;
        for (; *s; s++)
                w += ((unsigned char)*s & 0xc0) != 0x80;
        return w;
}

/* Copies at most \p max characters of \p s into \p buf, ending with "..."
 * when cut. */
static const char *rpt_cut(const char *s, size_t max, char *buf, size_t size)
{
        size_t w = 0, i = 0;
        if (rpt_width(s) <= max) {
                snprintf(buf, size, "%s", s);
                return buf;
        }
        for (; s[i]; i++) { /* stop at the start of character max - 3 */
                if (((unsigned char)s[i] & 0xc0) == 0x80)
                        continue;
                if (w == max - 3)
                        break;
                w++;
        }
        snprintf(buf, size, "%.*s...", (int)i, s);
        return buf;
}

/* Prints \p s padded to \p width characters (right-aligned if \p right). */
static void rpt_pad(FILE *fp, const char *s, int width, int right)
{
        int pad = width - (int)rpt_width(s);
        if (right)
                fprintf(fp, "%*s%s", pad > 0 ? pad : 0, "", s);
        else
                fprintf(fp, "%s%*s", s, pad > 0 ? pad : 0, "");
}

/* ------------------------------------------------------------------ */
/* Time                                                                 */

static int64_t rpt_floor_div(int64_t a, int64_t b)
{
        int64_t q = a / b;
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static void rpt_tm(int64_t ms, struct tm *tm)
{
        time_t t = (time_t)rpt_floor_div(ms, 1000);
        gmtime_r(&t, tm);
}

/* "YYYY-MM-DD" (\p with_time: "YYYY-MM-DD HH:MM"), or "-" if \p ms < 0. */
static const char *rpt_date(int64_t ms, int with_time, char *buf, size_t size)
{
        struct tm tm;
        if (ms < 0) {
                snprintf(buf, size, "-");
                return buf;
        }
        rpt_tm(ms, &tm);
        strftime(buf, size, with_time ? "%Y-%m-%d %H:%M" : "%Y-%m-%d", &tm);
        return buf;
}

/* Monday 00:00 UTC of the ISO week of \p ms. */
static int64_t rpt_week_start(int64_t ms)
{
        int64_t d  = rpt_floor_div(ms, RPT_DAY_MS);
        int64_t wd = ((d + 3) % 7 + 7) % 7; /* 1970-01-01 was a Thursday */
        return (d - wd) * RPT_DAY_MS;
}

/* The ISO year and week of the week starting at Monday \p monday_ms. */
static void rpt_iso_week(int64_t monday_ms, int *yearp, int *weekp)
{
        struct tm tm;
        rpt_tm(monday_ms + 3 * RPT_DAY_MS, &tm); /* its Thursday */
        *yearp = tm.tm_year + 1900;
        *weekp = tm.tm_yday / 7 + 1;
}

/* ------------------------------------------------------------------ */
/* Redis                                                                */

/* The store of the usual redis.* properties; checked with a PING. */
static vg_redis_t *rpt_redis_new(const vg_conf_t *conf, char *errstr,
                                 size_t errstr_size)
{
        vg_redis_t *r = vg_conf_redis_new(conf, errstr, errstr_size);
        if (!r)
                return NULL;
        if (vg_redis_check(r, errstr, errstr_size)) {
                vg_redis_destroy(r);
                return NULL;
        }
        return r;
}

/* Runs \p b. @returns 0, or -1 with the reason on stderr. */
static int rpt_exec(rpt_t *rp, vg_redis_batch_t *b)
{
        char errstr[512];
        if (vg_redis_batch_exec(rp->r, b, errstr, sizeof(errstr)) == VG_OK)
                return 0;
        fprintf(stderr, "vigie-ctl report: cannot read Redis: %s\n", errstr);
        return -1;
}

/* @returns the reply \p idx of \p b, or NULL (with the reason on stderr)
 * if it is a Redis error (a key of another type...). */
static const vg_redis_reply_t *rpt_reply(const vg_redis_batch_t *b, size_t idx,
                                         const char *key)
{
        const vg_redis_reply_t *rep = vg_redis_batch_reply(b, idx);
        if (vg_redis_reply_type(rep) == VG_REDIS_R_ERROR) {
                fprintf(stderr, "vigie-ctl report: %s: %s\n", key,
                        vg_redis_reply_str(rep, NULL));
                return NULL;
        }
        return rep;
}

static char *rpt_rep_clean(const vg_redis_reply_t *rep)
{
        size_t len;
        const char *s = vg_redis_reply_str(rep, &len);
        return rpt_clean(s ? s : "", s ? len : 0);
}

static int64_t rpt_rep_ms(const vg_redis_reply_t *rep)
{
        const char *s = vg_redis_reply_str(rep, NULL);
        char *end;
        if (!s || !*s)
                return -1;
        errno    = 0;
        double v = strtod(s, &end);
        if (errno || *end || !isfinite(v) || v < 0 || v > 9e15)
                return -1;
        return (int64_t)llround(v);
}

static void rpt_key(const rpt_t *rp, char *buf, size_t size, const char *kind,
                    const char *id, const char *what)
{
        vg_redis_key(rp->r, buf, size, kind, id, what);
}

/* ------------------------------------------------------------------ */
/* Loading                                                              */

static void rpt_topic_free(rpt_topic_t *t)
{
        vg_free(t->id);
        vg_free(t->born_terms);
        vg_free(t->terms);
        vg_free(t->state);
        vg_free(t->merged_into);
        vg_free(t->wk_resp);
        vg_free(t->wk_neg);
        for (size_t i = 0; i < t->ncand; i++)
                vg_free(t->cand[i]);
        vg_free(t->cand);
        for (int i = 0; i < t->nex; i++) {
                vg_free(t->ex[i].comment);
                vg_free(t->ex[i].service);
        }
}

/* ZRANGE srv:all:topics 0 -1 WITHSCORES. @returns 0 or -1. */
static int rpt_load_topics(rpt_t *rp)
{
        char key[512];
        vg_redis_batch_t *b = vg_redis_batch_new();
        int rc              = -1;

        rpt_key(rp, key, sizeof(key), RPT_K_SRV, "all", "topics");
        vg_redis_batch_cmd(b, "ZRANGE", key, "0", "-1", "WITHSCORES", NULL);
        if (rpt_exec(rp, b))
                goto done;
        const vg_redis_reply_t *rep = rpt_reply(b, 0, key);
        if (!rep)
                goto done;
        size_t n    = vg_redis_reply_nelem(rep) / 2;
        rp->topics  = vg_calloc(n ? n : 1, sizeof(*rp->topics));
        rp->ntopics = n;
        for (size_t i = 0; i < n; i++) {
                rpt_topic_t *t = &rp->topics[i];
                t->id          = rpt_rep_clean(vg_redis_reply_elem(rep, 2 * i));
                t->listed_at = rpt_rep_ms(vg_redis_reply_elem(rep, 2 * i + 1));
        }
        rc = 0;
done:
        vg_redis_batch_destroy(b);
        return rc;
}

/* Reads the fields of HGETALL reply \p rep named in \p strs (NULL-ended)
 * into \p sdst (their cleaned text, replacing the one there) and those
 * named in \p nums into \p ndst (rpt_rep_ms()). @returns the number of
 * fields of \p rep. */
static size_t rpt_hash_read(const vg_redis_reply_t *rep,
                            const char *const *strs, char **const *sdst,
                            const char *const *nums, int64_t *const *ndst)
{
        size_t n = vg_redis_reply_nelem(rep) / 2;
        for (size_t i = 0; i < n; i++) {
                const char *f =
                    vg_redis_reply_str(vg_redis_reply_elem(rep, 2 * i), NULL);
                const vg_redis_reply_t *v = vg_redis_reply_elem(rep, 2 * i + 1);
                for (size_t k = 0; f && strs[k]; k++)
                        if (!strcmp(f, strs[k])) {
                                vg_free(*sdst[k]);
                                *sdst[k] = rpt_rep_clean(v);
                        }
                for (size_t k = 0; f && nums[k]; k++)
                        if (!strcmp(f, nums[k]))
                                *ndst[k] = rpt_rep_ms(v);
        }
        return n;
}

/* Parses an HGETALL reply of srvtopic:{id}:info into \p t. */
static void rpt_parse_info(rpt_topic_t *t, const vg_redis_reply_t *rep)
{
        static const char *const strs[] = {"born_terms", "terms", "state",
                                           "merged_into", NULL};
        static const char *const nums[] = {"born_at", "ended_at", "size", NULL};
        char **const sdst[]             = {&t->born_terms, &t->terms, &t->state,
                                           &t->merged_into};
        int64_t *const ndst[]           = {&t->born_at, &t->ended_at, &t->size};
        t->has_info = rpt_hash_read(rep, strs, sdst, nums, ndst) > 0;
}

/* Per topic: its info, the sizes of both sets, its latest response.
 * @returns 0 or -1. */
static int rpt_load_info(rpt_t *rp)
{
        char key[512];
        vg_redis_batch_t *b = vg_redis_batch_new();
        int rc              = -1;

        for (size_t i = 0; i < rp->ntopics; i++) {
                const char *id = rp->topics[i].id;
                rpt_key(rp, key, sizeof(key), RPT_K_TOPIC, id, "info");
                vg_redis_batch_hgetall(b, key);
                rpt_key(rp, key, sizeof(key), RPT_K_TOPIC, id, "responses");
                vg_redis_batch_cmd(b, "ZCARD", key, NULL);
                vg_redis_batch_cmd(b, "ZRANGE", key, "-1", "-1", "WITHSCORES",
                                   NULL);
                rpt_key(rp, key, sizeof(key), RPT_K_TOPIC, id, "negative");
                vg_redis_batch_cmd(b, "ZCARD", key, NULL);
        }
        if (rpt_exec(rp, b))
                goto done;
        for (size_t i = 0; i < rp->ntopics; i++) {
                rpt_topic_t *t = &rp->topics[i];
                const vg_redis_reply_t *rep;
                t->born_at = t->ended_at = t->latest = -1;
                t->size                              = -1;
                rpt_key(rp, key, sizeof(key), RPT_K_TOPIC, t->id, "*");
                for (size_t j = 0; j < 4; j++)
                        if (!rpt_reply(b, 4 * i + j, key))
                                goto done;
                rpt_parse_info(t, vg_redis_batch_reply(b, 4 * i));
                t->all_resp =
                    vg_redis_reply_int(vg_redis_batch_reply(b, 4 * i + 1));
                rep = vg_redis_batch_reply(b, 4 * i + 2);
                if (vg_redis_reply_nelem(rep) == 2)
                        t->latest = rpt_rep_ms(vg_redis_reply_elem(rep, 1));
                t->all_neg =
                    vg_redis_reply_int(vg_redis_batch_reply(b, 4 * i + 3));
                if (!t->state)
                        t->state = vg_strdup(t->has_info ? "alive" : "unknown");
                if (!strcmp(t->state, "alive"))
                        rp->nalive++;
                else if (!strcmp(t->state, "merged"))
                        rp->nmerged++;
                else if (!strcmp(t->state, "dead"))
                        rp->ndead++;
                else
                        rp->nother++;
        }
        rc = 0;
done:
        vg_redis_batch_destroy(b);
        return rc;
}

/* The report's now (--at, else the latest response) and its window. */
static void rpt_window(rpt_t *rp)
{
        if (!rp->at_given) {
                rp->at = -1;
                for (size_t i = 0; i < rp->ntopics; i++)
                        if (rp->topics[i].latest > rp->at)
                                rp->at = rp->topics[i].latest;
                for (size_t i = 0; rp->at < 0 && i < rp->ntopics; i++)
                        if (rp->topics[i].listed_at > rp->at)
                                rp->at = rp->topics[i].listed_at;
                if (rp->at < 0)
                        rp->at = rp->generated_at;
        }
        rp->win_from =
            rpt_week_start(rp->at) - (int64_t)(rp->weeks - 1) * RPT_WEEK_MS;
}

/* Per topic: responses and negatives per week, in the two trend weeks,
 * and its most recent negatives up to now. @returns 0 or -1. */
static int rpt_load_counts(rpt_t *rp)
{
        char key[512], resp[512], neg[512], at[32], lim[16];
        vg_redis_batch_t *b = vg_redis_batch_new();
        size_t per          = 2 * (size_t)rp->weeks + 5;
        int rc              = -1;

        snprintf(at, sizeof(at), "%" PRId64, rp->at);
        snprintf(lim, sizeof(lim), "%d", RPT_CANDIDATES);
        for (size_t i = 0; i < rp->ntopics; i++) {
                const char *id = rp->topics[i].id;
                rpt_key(rp, resp, sizeof(resp), RPT_K_TOPIC, id, "responses");
                rpt_key(rp, neg, sizeof(neg), RPT_K_TOPIC, id, "negative");
                for (int w = 0; w < rp->weeks; w++) {
                        int64_t from = rp->win_from + w * RPT_WEEK_MS;
                        int64_t to   = from + RPT_WEEK_MS - 1;
                        if (to > rp->at)
                                to = rp->at;
                        vg_redis_batch_window_count(b, resp, from, to);
                        vg_redis_batch_window_count(b, neg, from, to);
                }
                /* the last 7 days (at - 7 d, at], the 7 days before */
                int64_t last = rp->at - RPT_WEEK_MS + 1;
                vg_redis_batch_window_count(b, resp, last, rp->at);
                vg_redis_batch_window_count(b, neg, last, rp->at);
                vg_redis_batch_window_count(b, resp, last - RPT_WEEK_MS,
                                            last - 1);
                vg_redis_batch_window_count(b, neg, last - RPT_WEEK_MS,
                                            last - 1);
                vg_redis_batch_cmd(b, "ZREVRANGEBYSCORE", neg, at, "-inf",
                                   "LIMIT", "0", lim, NULL);
        }
        if (rpt_exec(rp, b))
                goto done;
        for (size_t i = 0; i < rp->ntopics; i++) {
                rpt_topic_t *t = &rp->topics[i];
                size_t base    = i * per;
                rpt_key(rp, key, sizeof(key), RPT_K_TOPIC, t->id, "*");
                for (size_t j = 0; j < per; j++)
                        if (!rpt_reply(b, base + j, key))
                                goto done;
                t->wk_resp = vg_calloc((size_t)rp->weeks, sizeof(long long));
                t->wk_neg  = vg_calloc((size_t)rp->weeks, sizeof(long long));
                for (int w = 0; w < rp->weeks; w++) {
                        t->wk_resp[w] = vg_redis_reply_int(
                            vg_redis_batch_reply(b, base + 2 * w));
                        t->wk_neg[w] = vg_redis_reply_int(
                            vg_redis_batch_reply(b, base + 2 * w + 1));
                        t->win_resp += t->wk_resp[w];
                        t->win_neg += t->wk_neg[w];
                }
                base += 2 * (size_t)rp->weeks;
                t->last_resp =
                    vg_redis_reply_int(vg_redis_batch_reply(b, base));
                t->last_neg =
                    vg_redis_reply_int(vg_redis_batch_reply(b, base + 1));
                t->prev_resp =
                    vg_redis_reply_int(vg_redis_batch_reply(b, base + 2));
                t->prev_neg =
                    vg_redis_reply_int(vg_redis_batch_reply(b, base + 3));
                const vg_redis_reply_t *rep = vg_redis_batch_reply(b, base + 4);
                t->ncand                    = vg_redis_reply_nelem(rep);
                t->cand = vg_calloc(t->ncand ? t->ncand : 1, sizeof(*t->cand));
                for (size_t j = 0; j < t->ncand; j++) {
                        size_t len;
                        const char *s = vg_redis_reply_str(
                            vg_redis_reply_elem(rep, j), &len);
                        t->cand[j] = vg_malloc(len + 1);
                        memcpy(t->cand[j], s ? s : "", s ? len : 0);
                        t->cand[j][s ? len : 0] = '\0';
                }
        }
        rc = 0;
done:
        vg_redis_batch_destroy(b);
        return rc;
}

/* Fills the example verbatims of topic \p t from an HGETALL reply of an
 * insight. Never keeps the pseudonym, and blanks it out of the text. */
static void rpt_add_example(rpt_topic_t *t, const vg_redis_reply_t *rep)
{
        static const char *const strs[] = {"comment", "service", "pseudonym",
                                           NULL};
        static const char *const nums[] = {"submitted_at", NULL};
        char *comment = NULL, *service = NULL, *pseudonym = NULL;
        int64_t at = -1;

        rpt_hash_read(rep, strs,
                      (char **const[]){&comment, &service, &pseudonym}, nums,
                      (int64_t *const[]){&at});
        if (comment && *comment && t->nex < RPT_EXAMPLES) {
                if (!service)
                        service = vg_strdup("");
                if (pseudonym && *pseudonym) {
                        rpt_redact(&comment, pseudonym, "<PSEUDONYM>");
                        rpt_redact(&service, pseudonym, "<PSEUDONYM>");
                }
                t->ex[t->nex].comment = comment;
                t->ex[t->nex].service = service;
                t->ex[t->nex++].at    = at;
                comment = service = NULL;
        }
        vg_free(comment);
        vg_free(service);
        vg_free(pseudonym);
}

/* The insights of the recent negatives of the topics shown.
 * @returns 0 or -1. */
static int rpt_load_examples(rpt_t *rp)
{
        char key[512];
        vg_redis_batch_t *b = vg_redis_batch_new();
        int rc              = -1;
        size_t idx          = 0;

        for (size_t i = 0; i < rp->nshown; i++)
                for (size_t j = 0; j < rp->topics[i].ncand; j++) {
                        rpt_key(rp, key, sizeof(key), RPT_K_SRV,
                                rp->topics[i].cand[j], "insight");
                        vg_redis_batch_hgetall(b, key);
                }
        if (vg_redis_batch_cnt(b) == 0 || rpt_exec(rp, b) == 0)
                rc = 0;
        for (size_t i = 0; rc == 0 && i < rp->nshown; i++)
                for (size_t j = 0; j < rp->topics[i].ncand; j++, idx++) {
                        const vg_redis_reply_t *rep =
                            vg_redis_batch_reply(b, idx);
                        /* a response of another type: skip it */
                        if (vg_redis_reply_type(rep) == VG_REDIS_R_ARRAY)
                                rpt_add_example(&rp->topics[i], rep);
                }
        vg_redis_batch_destroy(b);
        return rc;
}

/* ------------------------------------------------------------------ */
/* Order and figures                                                    */

static int rpt_alive(const rpt_topic_t *t)
{
        return !strcmp(t->state, "alive");
}

/* Topic ids are decimal: shorter is smaller, then as strings. */
static int rpt_id_cmp(const char *a, const char *b)
{
        size_t la = strlen(a), lb = strlen(b);
        if (la != lb)
                return la < lb ? -1 : 1;
        return strcmp(a, b);
}

#define RPT_DESC(x, y)                                                         \
        do {                                                                   \
                if ((x) != (y))                                                \
                        return (x) > (y) ? -1 : 1;                             \
        } while (0)

static int rpt_topic_cmp(const void *pa, const void *pb)
{
        const rpt_topic_t *a = pa, *b = pb;
        int aa = rpt_alive(a), ab = rpt_alive(b);
        if (aa != ab)
                return aa ? -1 : 1;
        if (aa) {
                RPT_DESC(a->last_neg, b->last_neg);
                RPT_DESC(a->win_neg, b->win_neg);
                RPT_DESC(a->win_resp, b->win_resp);
        } else {
                RPT_DESC(a->ended_at, b->ended_at);
        }
        return rpt_id_cmp(a->id, b->id);
}

/* "58%" of \p num / \p den, or "-" without a denominator. */
static const char *rpt_pct(long long num, long long den, char *buf, size_t size)
{
        if (den <= 0)
                snprintf(buf, size, "-");
        else
                snprintf(buf, size, "%.0f%%",
                         100.0 * (double)num / (double)den);
        return buf;
}

/* The satisfaction over the window, as a percentage. */
static const char *rpt_satisfaction(const rpt_topic_t *t, char *buf,
                                    size_t size)
{
        return rpt_pct(t->win_resp - t->win_neg, t->win_resp, buf, size);
}

/* The trend of the negative share: 1 worse, -1 better, 0 stable, 2 not
 * known (no response in one of the two weeks). */
static int rpt_trend(const rpt_topic_t *t)
{
        if (t->last_resp <= 0 || t->prev_resp <= 0)
                return 2;
        double d = (double)t->last_neg / (double)t->last_resp -
                   (double)t->prev_neg / (double)t->prev_resp;
        return d >= RPT_TREND_EPS ? 1 : d <= -RPT_TREND_EPS ? -1 : 0;
}

static const char *rpt_trend_arrow(int tr)
{
        return tr == 1    ? "\u2191"
               : tr == -1 ? "\u2193"
               : tr == 0  ? "\u2192"
                          : "\u00b7";
}

static const char *rpt_trend_word(int tr)
{
        return tr == 1    ? "worse"
               : tr == -1 ? "better"
               : tr == 0  ? "stable"
                          : "n/a";
}

/* "alive", "merged into 7", "dead"... */
static const char *rpt_state(const rpt_topic_t *t, char *buf, size_t size)
{
        if (!strcmp(t->state, "merged"))
                snprintf(buf, size, "merged into %s",
                         t->merged_into && *t->merged_into ? t->merged_into
                                                           : "?");
        else
                snprintf(buf, size, "%s", t->state);
        return buf;
}

static long long rpt_size(const rpt_topic_t *t)
{
        return t->size >= 0 ? t->size : t->all_resp;
}

static const char *rpt_or_dash(const char *s)
{
        return s && *s ? s : "-";
}

/* ------------------------------------------------------------------ */
/* Text                                                                 */

static void rpt_text_header(const rpt_t *rp, FILE *fp)
{
        char a[32], b[32], c[32];
        int y0, w0, y1, w1;
        rpt_iso_week(rp->win_from, &y0, &w0);
        rpt_iso_week(rpt_week_start(rp->at), &y1, &w1);
        fprintf(fp, "Survey topics (vigie-ctl report surveys)\n");
        fprintf(fp, "  now (event time)  %s UTC (%s)\n",
                rpt_date(rp->at, 1, a, sizeof(a)),
                rp->at_given ? "--at" : "the latest response");
        fprintf(fp,
                "  window            %s .. %s: %d ISO week%s, "
                "%d-W%02d .. %d-W%02d\n",
                rpt_date(rp->win_from, 0, b, sizeof(b)),
                rpt_date(rp->at, 0, c, sizeof(c)), rp->weeks,
                rp->weeks > 1 ? "s" : "", y0, w0, y1, w1);
        fprintf(fp,
                "  topics            %zu: %zu alive, %zu merged, "
                "%zu dead",
                rp->ntopics, rp->nalive, rp->nmerged, rp->ndead);
        if (rp->nother)
                fprintf(fp, ", %zu other", rp->nother);
        fprintf(fp, "; %zu shown (--top %d)\n", rp->nshown, rp->top);
        fprintf(fp,
                "  satisfaction      1 - negative/responses over the "
                "window\n  neg. share trend  the 7 days before -> "
                "the last 7 days (%s worse, %s better,\n"
                "                    %s within 5 points)\n",
                rpt_trend_arrow(1), rpt_trend_arrow(-1), rpt_trend_arrow(0));
        fprintf(fp, "  generated at      %s UTC\n\n",
                rpt_date(rp->generated_at, 1, a, sizeof(a)));
}

/* "↑ worse   57% -> 86%", or "· n/a     no responses" */
static void rpt_text_trend(const rpt_topic_t *t, char *buf, size_t size)
{
        char a[16], b[16];
        int tr = rpt_trend(t);
        if (t->prev_resp <= 0 && t->last_resp <= 0)
                snprintf(buf, size, "%s %-6s no responses", rpt_trend_arrow(tr),
                         rpt_trend_word(tr));
        else
                snprintf(buf, size, "%s %-6s %4s -> %-4s", rpt_trend_arrow(tr),
                         rpt_trend_word(tr),
                         rpt_pct(t->prev_neg, t->prev_resp, a, sizeof(a)),
                         rpt_pct(t->last_neg, t->last_resp, b, sizeof(b)));
}

static void rpt_text_table(const rpt_t *rp, FILE *fp)
{
        int wid = 5, wstate = 5;
        char buf[512], cut[512];
        for (size_t i = 0; i < rp->nshown; i++) {
                int w = (int)rpt_width(rp->topics[i].id);
                int s =
                    (int)rpt_width(rpt_state(&rp->topics[i], buf, sizeof(buf)));
                wid    = w > wid ? w : wid;
                wstate = s > wstate ? s : wstate;
        }
        fprintf(fp, "   # ");
        rpt_pad(fp, "TOPIC", wid, 0);
        fprintf(fp, "  ");
        rpt_pad(fp, "STATE", wstate, 0);
        fprintf(fp, "   SIZE  BORN        SATISF.  NEG/RESP  NEG. SHARE "
                    "TREND       TOP TERMS\n");
        for (size_t i = 0; i < rp->nshown; i++) {
                const rpt_topic_t *t = &rp->topics[i];
                char sat[16], nr[48], born[32], tr[128];
                fprintf(fp, "%4zu ", i + 1);
                rpt_pad(fp, t->id, wid, 0);
                fprintf(fp, "  ");
                rpt_pad(fp, rpt_state(t, buf, sizeof(buf)), wstate, 0);
                snprintf(nr, sizeof(nr), "%lld/%lld", t->win_neg, t->win_resp);
                rpt_text_trend(t, tr, sizeof(tr));
                fprintf(fp, " %6lld  %-10s  %7s  %8s  ", rpt_size(t),
                        rpt_date(t->born_at, 0, born, sizeof(born)),
                        rpt_satisfaction(t, sat, sizeof(sat)), nr);
                rpt_pad(fp, tr, 22, 0);
                fprintf(fp, " %s\n",
                        rpt_cut(rpt_or_dash(t->terms), RPT_TEXT_TERMS, cut,
                                sizeof(cut)));
        }
        if (rp->nshown < rp->ntopics)
                fprintf(fp, "     (%zu more topic%s not shown: --top)\n",
                        rp->ntopics - rp->nshown,
                        rp->ntopics - rp->nshown > 1 ? "s" : "");
        fprintf(fp, "\n");
}

static void rpt_text_weeks(const rpt_t *rp, const rpt_topic_t *t, FILE *fp)
{
        int y, w;
        fprintf(fp, "  weekly          ISO week  ");
        for (int i = 0; i < rp->weeks; i++) {
                rpt_iso_week(rp->win_from + i * RPT_WEEK_MS, &y, &w);
                fprintf(fp, " W%02d", w);
        }
        fprintf(fp, "\n                  responses ");
        for (int i = 0; i < rp->weeks; i++)
                fprintf(fp, " %3lld", t->wk_resp[i]);
        fprintf(fp, "\n                  negative  ");
        for (int i = 0; i < rp->weeks; i++)
                fprintf(fp, " %3lld", t->wk_neg[i]);
        fprintf(fp, "\n");
}

static void rpt_text_topic(const rpt_t *rp, size_t rank, FILE *fp)
{
        const rpt_topic_t *t = &rp->topics[rank];
        char buf[512], a[32], b[16], c[16], cut[512];
        int tr = rpt_trend(t);

        fprintf(fp, "#%zu topic %s: %s", rank + 1, t->id,
                rpt_state(t, buf, sizeof(buf)));
        if (!rpt_alive(t) && t->ended_at >= 0)
                fprintf(fp, " on %s", rpt_date(t->ended_at, 0, a, sizeof(a)));
        fprintf(fp, ", size %lld, born %s%s\n", rpt_size(t),
                rpt_date(t->born_at, 1, a, sizeof(a)),
                t->born_at >= 0 ? " UTC" : "");
        fprintf(fp, "  terms now       %s\n", rpt_or_dash(t->terms));
        fprintf(fp, "  terms at birth  %s\n", rpt_or_dash(t->born_terms));
        fprintf(fp,
                "  satisfaction    %s over the window (%lld negative of "
                "%lld responses)\n",
                rpt_satisfaction(t, b, sizeof(b)), t->win_neg, t->win_resp);
        fprintf(fp,
                "  trend           %s %s: negative share %s (%lld/%lld) "
                "in the 7 days before, %s (%lld/%lld) in the last 7 "
                "days\n",
                rpt_trend_arrow(tr), rpt_trend_word(tr),
                rpt_pct(t->prev_neg, t->prev_resp, b, sizeof(b)), t->prev_neg,
                t->prev_resp, rpt_pct(t->last_neg, t->last_resp, c, sizeof(c)),
                t->last_neg, t->last_resp);
        rpt_text_weeks(rp, t, fp);
        if (t->nex == 0)
                fprintf(fp, "  examples        (no negative verbatim)\n");
        for (int i = 0; i < t->nex; i++)
                fprintf(fp, "  %-16s%s  %s  \"%s\"\n", i ? "" : "examples",
                        rpt_date(t->ex[i].at, 1, a, sizeof(a)),
                        rpt_or_dash(t->ex[i].service),
                        rpt_cut(t->ex[i].comment, RPT_TEXT_COMMENT, cut,
                                sizeof(cut)));
        fprintf(fp, "\n");
}

/* ------------------------------------------------------------------ */
/* HTML                                                                 */

/* Writes \p s HTML-escaped (text and attribute values alike). */
static void rpt_esc(FILE *fp, const char *s)
{
        static const char chars[]       = "&<>\"'";
        static const char *const ents[] = {"&amp;", "&lt;", "&gt;", "&quot;",
                                           "&#39;"};
        for (; *s; s++) {
                const char *c = strchr(chars, *s);
                if (c)
                        fputs(ents[c - chars], fp);
                else
                        fputc(*s, fp);
        }
}

static const char rpt_css[] =
    "body{font:14px/1.45 'Liberation Sans',Arial,Helvetica,sans-serif;"
    "color:#1d2733;background:#f5f7fa;margin:0;padding:0 24px 32px}\n"
    "header{padding:18px 0 8px;border-bottom:2px solid #c9d3de;"
    "margin-bottom:16px}\n"
    "h1{font-size:22px;margin:0 0 6px}h2{font-size:17px;margin:0 0 8px}"
    "h3{font-size:14px;margin:12px 0 4px}\n"
    ".meta{color:#4a5868;margin:2px 0}\n"
    "table{border-collapse:collapse;background:#fff;width:100%}\n"
    "th,td{padding:5px 8px;border-bottom:1px solid #e1e6ec;"
    "text-align:left;vertical-align:top}\n"
    "td.d,.state{white-space:nowrap}\n"
    "th{background:#e8edf3;font-weight:600}td.n{text-align:right;"
    "font-variant-numeric:tabular-nums}\n"
    ".state{display:inline-block;padding:0 7px;border-radius:9px;"
    "font-size:12px;color:#fff}\n"
    ".s-alive{background:#2e7d4f}.s-merged{background:#6a5acd}"
    ".s-dead{background:#7b8794}.s-other{background:#b07d2a}\n"
    ".up{color:#c0392b;font-weight:700}.down{color:#2e7d4f;"
    "font-weight:700}.flat{color:#4a5868}\n"
    ".bar{display:inline-block;height:8px;background:#e1e6ec;"
    "width:60px;margin-left:6px;vertical-align:middle}"
    ".bar span{display:block;height:8px;background:#2e7d4f}\n"
    "section.topic{background:#fff;border:1px solid #dde3ea;"
    "border-radius:6px;padding:14px 18px;margin:16px 0}\n"
    "dl{display:grid;grid-template-columns:130px 1fr;gap:2px 12px;"
    "margin:0 0 8px}dt{color:#4a5868}dd{margin:0}\n"
    "svg.chart{display:block;max-width:100%;height:auto}\n"
    ".chart text{font:11px 'Liberation Sans',Arial,sans-serif;"
    "fill:#4a5868}\n"
    "blockquote{margin:4px 0 0;padding:6px 10px;border-left:3px solid "
    "#c0392b;background:#fbf3f2;white-space:pre-wrap}\n"
    "ul.verbatims{list-style:none;padding:0;margin:0}"
    "ul.verbatims li{margin:0 0 8px}.src{color:#4a5868;font-size:12px}\n"
    "footer{color:#4a5868;font-size:12px;margin-top:24px}\n";

static const char *rpt_state_class(const rpt_topic_t *t)
{
        return !strcmp(t->state, "alive")    ? "s-alive"
               : !strcmp(t->state, "merged") ? "s-merged"
               : !strcmp(t->state, "dead")   ? "s-dead"
                                             : "s-other";
}

static void rpt_html_trend(FILE *fp, const rpt_topic_t *t)
{
        char a[16], b[16];
        int tr = rpt_trend(t);
        fprintf(fp, "<span class=\"%s\" title=\"%s\">%s</span> ",
                tr == 1    ? "up"
                : tr == -1 ? "down"
                           : "flat",
                rpt_trend_word(tr), rpt_trend_arrow(tr));
        if (t->prev_resp <= 0 && t->last_resp <= 0)
                fprintf(fp, "n/a: no responses");
        else
                fprintf(fp, "%s &#8594; %s",
                        rpt_pct(t->prev_neg, t->prev_resp, a, sizeof(a)),
                        rpt_pct(t->last_neg, t->last_resp, b, sizeof(b)));
}

/* A "nice" step (1, 2 or 5 x 10^k, at least 1) for about 4 ticks. */
static long long rpt_nice_step(long long ymax)
{
        double raw = (double)ymax / 4.0, mag, f;
        if (raw <= 1)
                return 1;
        mag = pow(10, floor(log10(raw)));
        f   = raw / mag;
        return (long long)((f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag);
}

/* The weekly bars of topic \p t: responses and negatives side by side. */
static void rpt_html_chart(const rpt_t *rp, const rpt_topic_t *t, FILE *fp)
{
        const int W = 680, H = 240, ml = 46, mr = 12, mt = 30, mb = 50;
        const double pw = W - ml - mr, ph = H - mt - mb;
        long long ymax = 0, step, top;
        double gw      = pw / rp->weeks;
        int every = (rp->weeks + 12) / 13, y, w, prev_year = -1;

        for (int i = 0; i < rp->weeks; i++) {
                ymax = t->wk_resp[i] > ymax ? t->wk_resp[i] : ymax;
                ymax = t->wk_neg[i] > ymax ? t->wk_neg[i] : ymax;
        }
        step = rpt_nice_step(ymax);
        top  = ymax > 0 ? (ymax + step - 1) / step * step : step;

        fprintf(fp,
                "<svg class=\"chart\" width=\"%d\" height=\"%d\" "
                "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"Weekly "
                "responses and negative responses of topic ",
                W, H, W, H);
        rpt_esc(fp, t->id);
        fprintf(fp, "\"><title>Topic ");
        rpt_esc(fp, t->id);
        fprintf(fp, ": responses and negative responses per ISO week"
                    "</title>\n");
        /* legend */
        fprintf(fp,
                "<rect x=\"%d\" y=\"8\" width=\"12\" height=\"12\" "
                "fill=\"#8fb3d9\"/><text x=\"%d\" y=\"18\">responses"
                "</text><rect x=\"%d\" y=\"8\" width=\"12\" height=\"12\" "
                "fill=\"#c0392b\"/><text x=\"%d\" y=\"18\">negative"
                "</text>\n",
                ml, ml + 16, ml + 100, ml + 116);
        /* y axis: grid lines, tick labels, title */
        for (long long v = 0; v <= top; v += step) {
                double yy = mt + ph - (double)v * ph / (double)top;
                fprintf(fp,
                        "<line x1=\"%d\" x2=\"%.1f\" y1=\"%.1f\" "
                        "y2=\"%.1f\" stroke=\"%s\"/><text x=\"%d\" "
                        "y=\"%.1f\" text-anchor=\"end\">%lld</text>\n",
                        ml, ml + pw, yy, yy, v ? "#e1e6ec" : "#4a5868", ml - 6,
                        yy + 4, v);
        }
        fprintf(fp,
                "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%.1f\" "
                "stroke=\"#4a5868\"/>\n",
                ml, ml, mt, mt + ph);
        fprintf(fp,
                "<text x=\"12\" y=\"%.1f\" text-anchor=\"middle\" "
                "transform=\"rotate(-90 12 %.1f)\">responses per week"
                "</text>\n",
                mt + ph / 2, mt + ph / 2);
        /* bars and week labels */
        for (int i = 0; i < rp->weeks; i++) {
                double x0 = ml + i * gw + gw * 0.12, bw = gw * 0.36;
                double hr = (double)t->wk_resp[i] * ph / (double)top;
                double hn = (double)t->wk_neg[i] * ph / (double)top;
                rpt_iso_week(rp->win_from + i * RPT_WEEK_MS, &y, &w);
                fprintf(fp,
                        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                        "height=\"%.1f\" fill=\"#8fb3d9\"><title>"
                        "%d-W%02d: %lld responses</title></rect>"
                        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                        "height=\"%.1f\" fill=\"#c0392b\"><title>"
                        "%d-W%02d: %lld negative</title></rect>\n",
                        x0, mt + ph - hr, bw, hr, y, w, t->wk_resp[i],
                        x0 + bw + gw * 0.04, mt + ph - hn, bw, hn, y, w,
                        t->wk_neg[i]);
                if (i % every)
                        continue;
                fprintf(fp,
                        "<text x=\"%.1f\" y=\"%.1f\" "
                        "text-anchor=\"middle\">W%02d</text>",
                        ml + (i + 0.5) * gw, mt + ph + 15, w);
                if (y != prev_year)
                        fprintf(fp,
                                "<text x=\"%.1f\" y=\"%.1f\" "
                                "text-anchor=\"middle\">%d</text>",
                                ml + (i + 0.5) * gw, mt + ph + 28, y);
                prev_year = y;
                fprintf(fp, "\n");
        }
        fprintf(fp,
                "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">ISO "
                "week (event time, UTC)</text>\n</svg>\n",
                ml + pw / 2, H - 6);
}

static void rpt_html_summary(const rpt_t *rp, FILE *fp)
{
        char buf[512], a[32];
        fprintf(fp, "<section>\n<h2>Summary</h2>\n<table class=\"summary\">"
                    "\n<thead><tr><th>#</th><th>Topic</th><th>State</th>"
                    "<th>Size</th><th>Born</th><th>Satisfaction</th>"
                    "<th>Negative / responses</th><th>Trend (negative "
                    "share, 7 days before &#8594; last 7 days)</th>"
                    "<th>Top terms</th></tr></thead>\n<tbody>\n");
        for (size_t i = 0; i < rp->nshown; i++) {
                const rpt_topic_t *t = &rp->topics[i];
                long long ok = t->win_resp - t->win_neg;
                double sat   = 0;
                if (t->win_resp > 0)
                        sat = 100.0 * (double)ok / (double)t->win_resp;
                fprintf(fp,
                        "<tr><td class=\"n\">%zu</td><td><a "
                        "href=\"#t%zu\">",
                        i + 1, i + 1);
                rpt_esc(fp, t->id);
                fprintf(fp, "</a></td><td><span class=\"state %s\">",
                        rpt_state_class(t));
                rpt_esc(fp, rpt_state(t, buf, sizeof(buf)));
                fprintf(
                    fp,
                    "</span></td><td class=\"n\">%lld</td><td class=\"d\">%s"
                    "</td><td class=\"n\">%s<span class=\"bar\">"
                    "<span style=\"width:%.0f%%\"></span></span>"
                    "</td><td class=\"n\">%lld / %lld</td><td>",
                    rpt_size(t), rpt_date(t->born_at, 0, a, sizeof(a)),
                    rpt_satisfaction(t, buf, sizeof(buf)), sat, t->win_neg,
                    t->win_resp);
                rpt_html_trend(fp, t);
                fprintf(fp, "</td><td>");
                rpt_esc(fp, rpt_or_dash(t->terms));
                fprintf(fp, "</td></tr>\n");
        }
        fprintf(fp, "</tbody>\n</table>\n");
        if (rp->nshown < rp->ntopics)
                fprintf(fp,
                        "<p class=\"meta\">%zu more topic(s) not shown "
                        "(--top %d).</p>\n",
                        rp->ntopics - rp->nshown, rp->top);
        fprintf(fp, "</section>\n");
}

static void rpt_html_topic(const rpt_t *rp, size_t rank, FILE *fp)
{
        const rpt_topic_t *t = &rp->topics[rank];
        char buf[512], a[32];
        int tr = rpt_trend(t);

        fprintf(fp,
                "<section class=\"topic\" id=\"t%zu\">\n<h2>#%zu "
                "&#183; Topic ",
                rank + 1, rank + 1);
        rpt_esc(fp, t->id);
        fprintf(fp, " <span class=\"state %s\">", rpt_state_class(t));
        rpt_esc(fp, rpt_state(t, buf, sizeof(buf)));
        fprintf(fp, "</span></h2>\n<dl>\n<dt>Top terms now</dt><dd>");
        rpt_esc(fp, rpt_or_dash(t->terms));
        fprintf(fp, "</dd>\n<dt>Terms at birth</dt><dd>");
        rpt_esc(fp, rpt_or_dash(t->born_terms));
        fprintf(fp,
                "</dd>\n<dt>Size</dt><dd>%lld responses</dd>\n"
                "<dt>Born</dt><dd>%s%s</dd>\n",
                rpt_size(t), rpt_date(t->born_at, 1, a, sizeof(a)),
                t->born_at >= 0 ? " UTC" : "");
        if (!rpt_alive(t) && t->ended_at >= 0)
                fprintf(fp, "<dt>Ended</dt><dd>%s UTC</dd>\n",
                        rpt_date(t->ended_at, 1, a, sizeof(a)));
        fprintf(fp,
                "<dt>Satisfaction</dt><dd>%s over the window (%lld "
                "negative of %lld responses)</dd>\n<dt>Trend</dt><dd>",
                rpt_satisfaction(t, buf, sizeof(buf)), t->win_neg, t->win_resp);
        rpt_html_trend(fp, t);
        if (t->prev_resp > 0 || t->last_resp > 0)
                fprintf(fp,
                        " (%s: %lld/%lld negative in the 7 days "
                        "before, %lld/%lld in the last 7 days)",
                        rpt_trend_word(tr), t->prev_neg, t->prev_resp,
                        t->last_neg, t->last_resp);
        fprintf(fp, "</dd>\n</dl>\n");
        fprintf(fp, "<figure>\n");
        rpt_html_chart(rp, t, fp);
        fprintf(fp, "</figure>\n<h3>Recent negative verbatims (scrubbed)"
                    "</h3>\n");
        if (t->nex == 0)
                fprintf(fp, "<p class=\"meta\">No negative verbatim.</p>\n");
        else
                fprintf(fp, "<ul class=\"verbatims\">\n");
        for (int i = 0; i < t->nex; i++) {
                fprintf(fp, "<li><blockquote>");
                rpt_esc(fp, t->ex[i].comment);
                fprintf(fp,
                        "</blockquote><span class=\"src\">%s UTC "
                        "&#183; ",
                        rpt_date(t->ex[i].at, 1, a, sizeof(a)));
                rpt_esc(fp, rpt_or_dash(t->ex[i].service));
                fprintf(fp, "</span></li>\n");
        }
        if (t->nex)
                fprintf(fp, "</ul>\n");
        fprintf(fp, "</section>\n");
}

static void rpt_html(const rpt_t *rp, FILE *fp)
{
        char a[32], b[32], c[32], g[32];
        int y0, w0, y1, w1;
        rpt_iso_week(rp->win_from, &y0, &w0);
        rpt_iso_week(rpt_week_start(rp->at), &y1, &w1);
        rpt_date(rp->win_from, 0, a, sizeof(a));
        rpt_date(rp->at, 0, b, sizeof(b));
        rpt_date(rp->at, 1, c, sizeof(c));
        rpt_date(rp->generated_at, 1, g, sizeof(g));

        fprintf(fp,
                "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
                "<meta charset=\"utf-8\">\n"
                /* nothing may load: no script, no fetch, no font */
                "<meta http-equiv=\"Content-Security-Policy\" "
                "content=\"default-src 'none'; style-src "
                "'unsafe-inline'\">\n"
                "<meta name=\"viewport\" content=\"width=device-width, "
                "initial-scale=1\">\n"
                "<title>vigie: survey topics, %s .. %s</title>\n"
                "<style>\n%s</style>\n</head>\n<body>\n",
                a, b, rpt_css);
        fprintf(fp,
                "<header>\n<h1>Survey topics</h1>\n"
                "<p class=\"meta\">Generated at %s UTC by vigie-ctl "
                "report surveys</p>\n"
                "<p class=\"meta\">Window: %s .. %s, %d ISO week%s "
                "(%d-W%02d .. %d-W%02d), now = %s UTC in event time "
                "(%s)</p>\n"
                "<p class=\"meta\">%zu topic%s: %zu alive, %zu merged, "
                "%zu dead%s; %zu shown</p>\n</header>\n<main>\n",
                g, a, b, rp->weeks, rp->weeks > 1 ? "s" : "", y0, w0, y1, w1, c,
                rp->at_given ? "--at" : "the latest response", rp->ntopics,
                rp->ntopics == 1 ? "" : "s", rp->nalive, rp->nmerged, rp->ndead,
                rp->nother ? ", others" : "", rp->nshown);
        if (rp->ntopics == 0)
                fprintf(fp, "<p>No survey topic in Redis.</p>\n");
        else
                rpt_html_summary(rp, fp);
        for (size_t i = 0; i < rp->nshown; i++)
                rpt_html_topic(rp, i, fp);
        fprintf(fp, "</main>\n<footer>Satisfaction: 1 - negative / "
                    "responses over the window. Trend: the negative share "
                    "of the last 7 days of event time against the 7 days "
                    "before (&#8593; worse, &#8595; better, &#8594; within "
                    "5 points). Verbatims are the scrubbed comments of "
                    "the most recent negative responses; no pseudonym is "
                    "shown.</footer>\n</body>\n</html>\n");
}

/* Writes the page to \p path through a temporary file and a rename (a
 * reader never sees half a page). @returns 0 or -1. */
static int rpt_html_write(const rpt_t *rp, const char *path)
{
        size_t n  = strlen(path) + 8;
        char *tmp = vg_malloc(n);
        int rc    = -1;
        snprintf(tmp, n, "%s.tmp", path);
        FILE *fp = fopen(tmp, "w");
        if (!fp) {
                fprintf(stderr, "vigie-ctl report: %s: %s\n", tmp,
                        strerror(errno));
                goto done;
        }
        rpt_html(rp, fp);
        if (ferror(fp) | fclose(fp)) {
                fprintf(stderr, "vigie-ctl report: %s: %s\n", tmp,
                        strerror(errno));
                unlink(tmp);
                goto done;
        }
        if (rename(tmp, path)) {
                fprintf(stderr, "vigie-ctl report: %s: %s\n", path,
                        strerror(errno));
                unlink(tmp);
                goto done;
        }
        rc = 0;
done:
        vg_free(tmp);
        return rc;
}

/* ------------------------------------------------------------------ */
/* The command                                                          */

enum { RPT_OPT_HTML = 256, RPT_OPT_WEEKS, RPT_OPT_TOP, RPT_OPT_AT };

/* Parses a positive integer in [1, max] of option \p opt. */
static int rpt_parse_int(const char *opt, const char *s, int max, int *out)
{
        char *end;
        errno  = 0;
        long v = strtol(s, &end, 10);
        if (errno || end == s || *end || v < 1 || v > max) {
                fprintf(stderr,
                        "vigie-ctl report: --%s: \"%s\": expected "
                        "an integer from 1 to %d\n",
                        opt, s, max);
                return -1;
        }
        *out = (int)v;
        return 0;
}

int ctl_report_run(vg_conf_t *conf, int argc, char **argv)
{
        static const struct option opts[] = {
            {"html", required_argument, 0, RPT_OPT_HTML},
            {"weeks", required_argument, 0, RPT_OPT_WEEKS},
            {"top", required_argument, 0, RPT_OPT_TOP},
            {"at", required_argument, 0, RPT_OPT_AT},
            {"help", no_argument, 0, 'h'},
            {0, 0, 0, 0},
        };
        rpt_t rp         = {.weeks = 12, .top = 20};
        const char *html = NULL;
        char errstr[512];
        int c, rc = 1;

        if (argc < 2 || strcmp(argv[1], "surveys")) {
                if (argc >= 2 && argv[1][0] != '-')
                        fprintf(stderr,
                                "vigie-ctl report: unknown report "
                                "\"%s\" (surveys is the one)\n",
                                argv[1]);
                ctl_report_usage(stderr);
                return 2;
        }
        optind = 2;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
                switch (c) {
                case RPT_OPT_HTML:
                        html = optarg;
                        break;
                case RPT_OPT_WEEKS:
                        if (rpt_parse_int("weeks", optarg, RPT_MAX_WEEKS,
                                          &rp.weeks))
                                return 2;
                        break;
                case RPT_OPT_TOP:
                        if (rpt_parse_int("top", optarg, 1000000, &rp.top))
                                return 2;
                        break;
                case RPT_OPT_AT:
                        if (vg_time_parse(optarg, &rp.at, errstr,
                                          sizeof(errstr))) {
                                fprintf(stderr,
                                        "vigie-ctl report: --at: "
                                        "%s\n",
                                        errstr);
                                return 2;
                        }
                        rp.at_given = 1;
                        break;
                case 'h':
                        ctl_report_usage(stdout);
                        return 0;
                default:
                        ctl_report_usage(stderr);
                        return 2;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "vigie-ctl report: unexpected \"%s\"\n",
                        argv[optind]);
                return 2;
        }
        if (html && !*html) {
                fprintf(stderr, "vigie-ctl report: --html: empty file "
                                "name\n");
                return 2;
        }
        rp.generated_at = vg_time_now_ms();

        rp.r = rpt_redis_new(conf, errstr, sizeof(errstr));
        if (!rp.r) {
                fprintf(stderr,
                        "vigie-ctl report: cannot read the survey "
                        "topics: %s\n",
                        errstr);
                return 1;
        }
        if (rpt_load_topics(&rp) || rpt_load_info(&rp))
                goto done;
        rpt_window(&rp);
        if (rpt_load_counts(&rp))
                goto done;
        qsort(rp.topics, rp.ntopics, sizeof(*rp.topics), rpt_topic_cmp);
        rp.nshown = rp.ntopics < (size_t)rp.top ? rp.ntopics : (size_t)rp.top;
        if (rpt_load_examples(&rp))
                goto done;

        if (rp.ntopics == 0) {
                char key[512];
                rpt_key(&rp, key, sizeof(key), RPT_K_SRV, "all", "topics");
                printf("No survey topic in Redis (%s is empty or missing): "
                       "has vigie-survey run\nwith this redis.prefix "
                       "(\"%s\")?\n",
                       key, vg_redis_prefix(rp.r));
        } else {
                rpt_text_header(&rp, stdout);
                rpt_text_table(&rp, stdout);
                for (size_t i = 0; i < rp.nshown; i++)
                        rpt_text_topic(&rp, i, stdout);
        }
        rc = 0;
        if (html) {
                if (rpt_html_write(&rp, html))
                        rc = 1;
                else
                        fprintf(stderr, "vigie-ctl report: wrote %s\n", html);
        }
        if (fflush(stdout)) {
                fprintf(stderr, "vigie-ctl report: stdout: %s\n",
                        strerror(errno));
                rc = 1;
        }
done:
        for (size_t i = 0; i < rp.ntopics; i++)
                rpt_topic_free(&rp.topics[i]);
        vg_free(rp.topics);
        vg_redis_destroy(rp.r);
        return rc;
}
