/**
 * @file bench_surveys.c
 * @brief vigie-bench surveys: the survey processor (vigie-survey) end to
 *        end, against private vigie-brokers and redis-servers.
 *
 *   1. quality on French reviews (tests/bench/REFERENCE.md, "Survey
 *      satisfaction (French reviews)"): each review a SurveyResponse on
 *      one partition, in file order, predict before learn; satisfaction
 *      class and score of the second half next to the majority class and
 *      the batch TF-IDF + logistic regression of ref_surveys.py; the
 *      language detected;
 *   2. generated surveys (vg_gen) with the planted dissatisfaction spike
 *      on vpn_disconnects: the first SATISFACTION_DROP about it, the
 *      alerts elsewhere, and the stability of the topics (Redis registry:
 *      births, merges, deaths, birth terms, ids never reused);
 *   3. privacy: the PII corpus (tests/data/pii_corpus.tsv) as comments,
 *      respondents as e-mail addresses, a few invalid records; every
 *      output record, every Redis key and value and the processor's log
 *      scanned for each planted string and each respondent; then strict
 *      mode (no pseudonym anywhere);
 *   4. speed: verbatims/s over a backlog of ~200-character French
 *      comments, the bare consume-produce pipe of the same records,
 *      latency at a steady rate, RSS.
 *
 * The pseudonym key of the processors spawned here is the bench's own
 * (VIGIE_PSEUDONYM_KEY in their environment), never a key of the user.
 *
 * Prints a report with MET / NOT MET per target; exits 0, or 1 when a
 * measurement itself failed, 2 on usage.
 */
#include <ctype.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <jansson.h>

#include "bench_svc.h"
#include "vg_avro.h"
#include "vg_log.h"
#include "vg_mem.h"
#include "vg_pii.h"
#include "vg_utf8.h"

/* The reviews, beside the repository: ../shared/data from its root. */
#define BS_REVIEWS_REL "/../shared/data/fr-book-reviews"
#define BS_PII_REL     "/tests/data/pii_corpus.tsv"

/* The pseudonym key of the processors spawned here (32 bytes). */
#define BS_KEY_ENV "VIGIE_PSEUDONYM_KEY"
#define BS_KEY     "vigie-bench-surveys-pseudonym-k1"

#define BS_T_IN     "itsm.surveys"
#define BS_T_OUT    "itsm.surveys.insights"
#define BS_T_ALERTS "itsm.alerts"
#define BS_T_DLQ    "itsm.deadletter"

#define BS_MIN_MS  60000LL
#define BS_HOUR_MS 3600000LL
#define BS_DAY_MS  86400000LL
/* 2025-01-01 00:00:00 UTC */
#define BS_T0_MS 1735689600000LL

enum { BS_REVIEWS, BS_SPIKE, BS_PRIVACY, BS_SPEED, BS_NPARTS };
static const char *const bs_part_names[BS_NPARTS] = {"reviews", "spike",
                                                     "privacy", "speed"};

enum { BS_NEG, BS_NEU, BS_POS, BS_NCLS };
static const char *const bs_cls_names[BS_NCLS] = {"NEGATIVE", "NEUTRAL",
                                                  "POSITIVE"};

/* ---------------------------------------------------------------------- */
/* The figures of REFERENCE.md, printed when no --ref JSON is given       */

#define BS_REF_DATE     "2026-12-02"
#define BS_REF_VERSIONS "scikit-learn 1.2.1, numpy 1.24.2, Python 3.11.2"

/* Figures of a model: macro-F1, accuracy, recall of negatives, F1 of
 * each class, MAE of the score. */
enum { BS_F_MACRO, BS_F_ACC, BS_F_RECNEG, BS_F_F1NEG, BS_F_F1NEU,
       BS_F_F1POS, BS_F_MAE, BS_NF };

/* [majority, logreg][figure] */
static const double bs_ref_const[2][BS_NF] = {
        {0.2737, 0.6967, 0.0000, 0.0000, 0.0000, 0.8212, 0.7521},
        {0.4558, 0.6029, 0.3404, 0.3145, 0.3073, 0.7458, 0.7269},
};

typedef struct bs_ref_s {
        double v[2][BS_NF];
        char source[PATH_MAX + 128];
} bs_ref_t;

static void bs_ref_load(const char *path, bs_ref_t *ref)
{
        static const char *models[2] = {"majority", "logreg"};
        json_t *root = bench_ref_open(path, BS_REF_DATE, BS_REF_VERSIONS,
                                      ref->source, sizeof(ref->source));
        int ok       = 1;

        memcpy(ref->v, bs_ref_const, sizeof(ref->v));
        if (!root)
                return;
        json_t *res = json_object_get(root, "results");
        for (int m = 0; m < 2 && ok; m++) {
                json_t *r  = json_object_get(res, models[m]);
                json_t *f1 = json_object_get(r, "f1");
                json_t *v[BS_NF] = {
                        json_object_get(r, "macro_f1"),
                        json_object_get(r, "accuracy"),
                        json_object_get(r, "recall_negative"),
                        json_object_get(f1, "negative"),
                        json_object_get(f1, "neutral"),
                        json_object_get(f1, "positive"),
                        json_object_get(r, "mae"),
                };
                for (int i = 0; i < BS_NF && ok; i++)
                        if ((ok = json_is_number(v[i])))
                                ref->v[m][i] = json_number_value(v[i]);
        }
        if (!ok)
                memcpy(ref->v, bs_ref_const, sizeof(ref->v));
        bench_ref_close(root, ok, path, "ref_surveys.py", ref->source,
                        sizeof(ref->source));
}

/* ---------------------------------------------------------------------- */
/* Options                                                                */

typedef struct bs_opts_s {
        bench_opts_t base;    /**< with ref, skip and quick */
        const char *reviews;
        int64_t max_lag;      /**< reviews, spike: ahead of the committed */
        int64_t responses;    /**< spike: generated responses */
        double interarrival;  /**< spike: mean seconds between two */
        int64_t backlog;      /**< speed: records */
        double rate, secs;    /**< speed: latency run */
        int64_t window_h;     /**< survey.alert.window.hours in effect */
} bs_opts_t;

static const char *bs_reviews_default(void)
{
        static char path[PATH_MAX + 80], real[PATH_MAX];
        snprintf(path, sizeof(path), "%s" BS_REVIEWS_REL, bench_src_dir());
        return realpath(path, real) ? real : path;
}

static void bs_usage(FILE *fp)
{
        fprintf(fp,
                "Usage: vigie-bench surveys [options]\n\n"
                "vigie-survey end to end, each part against its own "
                "vigie-broker and redis-server:\n"
                "  reviews  satisfaction on French book reviews (one "
                "partition, predict before learn)\n"
                "           vs the majority class and the batch TF-IDF + "
                "logistic regression\n"
                "           of ref_surveys.py (tests/bench/REFERENCE.md); "
                "language detection\n"
                "  spike    generated surveys with the planted VPN "
                "dissatisfaction spike:\n"
                "           SATISFACTION_DROP alerts, topic stability\n"
                "  privacy  the PII corpus as comments: every output, Redis "
                "key and value and the\n"
                "           log scanned for planted strings and "
                "respondents; strict mode\n"
                "  speed    verbatims/s over a backlog, bare pipe ratio, "
                "latency, RSS\n\n"
                "Options:\n"
                "  --reviews DIR       babelio_reviews.jsonl and "
                "critiques_libres_reviews.jsonl (default:\n"
                "                      ../shared/data/fr-book-reviews from "
                "the repository's root)\n"
                "  --ref FILE          ref_surveys.py --json output "
                "(default: the figures of\n"
                "                      tests/bench/REFERENCE.md)\n"
                "  --skip PART         skip reviews, spike, privacy or "
                "speed (repeatable, or\n"
                "                      comma-separated)\n"
                "  --quick             small run: 2,000 reviews, 5,000 "
                "responses, 5,000-record\n"
                "                      backlog, 5 s of latency (figures "
                "not comparable)\n"
                "  --responses N       spike: generated responses (default "
                "20000)\n"
                "  --interarrival S    spike: mean seconds between two "
                "responses (default 600)\n"
                "  --seed S            spike: generator seed (default 7)\n"
                "  --max-lag N         reviews, spike: records produced "
                "ahead of vigie-survey's\n"
                "                      committed offset (default 2000)\n"
                "  --backlog N         speed: records of the backlog "
                "(default 40000)\n"
                "  --rate R            speed: latency run input rate, "
                "responses/s (default 500)\n"
                "  --duration S        speed: seconds of the latency run "
                "(default 20)\n"
                "  -X key=value        extra property of vigie-survey "
                "(repeatable)\n"
                "  --keep              keep the temporary directories "
                "(logs, data)\n");
}

static int bs_opts(bs_opts_t *o, int argc, char **argv)
{
        static const struct option lopts[] = {
                {"reviews", required_argument, 0, 'v'},
                BENCH_LOPTS_PARTS,
                {"responses", required_argument, 0, 'n'},
                {"interarrival", required_argument, 0, 'i'},
                {"max-lag", required_argument, 0, 'L'},
                {"backlog", required_argument, 0, 'B'},
                {"rate", required_argument, 0, 'R'},
                {"duration", required_argument, 0, 'd'},
                BENCH_LOPTS_TAIL,
        };
        int c, n_set = 0, b_set = 0, d_set = 0;
        memset(o, 0, sizeof(*o));
        o->base.full_updates = 1;
        o->base.partitions   = 8;
        o->base.seed         = 7;
        o->base.parts        = bs_part_names;
        o->base.nparts       = BS_NPARTS;
        o->reviews           = bs_reviews_default();
        o->max_lag           = 2000;
        o->responses         = 20000;
        o->interarrival      = 600;
        o->backlog           = 40000;
        o->rate              = 500;
        o->secs              = 20;
        o->window_h          = 72;
        optind               = 1;
        while ((c = getopt_long(argc, argv, "X:h", lopts, NULL)) != -1) {
                switch (c) {
                case 'v': o->reviews = optarg; break;
                case 'n': o->responses = atoll(optarg); n_set = 1; break;
                case 'i': o->interarrival = atof(optarg); break;
                case 'L': o->max_lag = atoll(optarg); break;
                case 'B': o->backlog = atoll(optarg); b_set = 1; break;
                case 'R': o->rate = atof(optarg); break;
                case 'd': o->secs = atof(optarg); d_set = 1; break;
                case 'h': bs_usage(stdout); return 0;
                default:
                        if (bench_opts_common(&o->base, c, optarg))
                                return 2;
                }
        }
        if (optind < argc)
                return 2;
        if (o->base.quick) {
                if (!n_set)
                        o->responses = 5000;
                if (!b_set)
                        o->backlog = 5000;
                if (!d_set)
                        o->secs = 5;
        }
        for (int i = 0; i < o->base.nx; i++) {
                static const char w[] = "survey.alert.window.hours=";
                if (!strncmp(o->base.xs[i], w, sizeof(w) - 1))
                        o->window_h = atoll(o->base.xs[i] + sizeof(w) - 1);
        }
        if (o->max_lag < 100 || o->responses < 100 ||
            o->interarrival <= 0 || o->backlog < 100 || o->rate <= 0 ||
            o->secs <= 0 || o->window_h < 1)
                return 2;
        return -1; /* go on */
}

/* ---------------------------------------------------------------------- */
/* Records                                                                */

/** A record to produce. */
typedef struct bs_rec_s {
        char id[32];
        void *buf;
        size_t len;
        int64_t t;  /**< submitted_at, ms */
        int valid;  /**< vigie-survey publishes an insight for it */
} bs_rec_t;

typedef struct bs_recs_s {
        bs_rec_t *r;
        size_t n, cap;
        int64_t bytes;
} bs_recs_t;

static void bs_recs_free(bs_recs_t *rs)
{
        for (size_t i = 0; i < rs->n; i++)
                vg_free(rs->r[i].buf);
        vg_free(rs->r);
        memset(rs, 0, sizeof(*rs));
}

static bs_rec_t *bs_recs_add(bs_recs_t *rs)
{
        if (rs->n == rs->cap) {
                rs->cap = rs->cap ? 2 * rs->cap : 1024;
                rs->r   = vg_realloc(rs->r, rs->cap * sizeof(*rs->r));
        }
        bs_rec_t *r = &rs->r[rs->n++];
        memset(r, 0, sizeof(*r));
        r->valid = 1;
        return r;
}

/** A SurveyResponse to encode (NULL or < 0: the field is null). */
typedef struct bs_resp_s {
        const char *id, *survey, *respondent, *entity, *service, *comment,
                *language;
        int score, scale_max; /**< < 0: null */
        int64_t t;
} bs_resp_t;

static void bs_opt_str(avro_value_t *val, const char *f, const char *s)
{
        if (s)
                vg_avro_set_str(val, f, s);
        else
                vg_avro_set_null(val, f);
}

/** @brief Encodes \p rp (a value of \p sch in \p val) into a new record
 *         of \p rs. @returns 0, or -1. */
static int bs_encode(bs_recs_t *rs, const vg_avro_schema_t *sch,
                     avro_value_t *val, const bs_resp_t *rp)
{
        char errstr[512];
        vg_avro_value_reset(val);
        vg_avro_set_str(val, "response_id", rp->id);
        bs_opt_str(val, "survey", rp->survey);
        bs_opt_str(val, "respondent", rp->respondent);
        bs_opt_str(val, "entity", rp->entity);
        bs_opt_str(val, "service", rp->service);
        bs_opt_str(val, "comment", rp->comment);
        bs_opt_str(val, "language", rp->language);
        vg_avro_set_long(val, "submitted_at", rp->t);
        if (rp->score >= 0)
                vg_avro_set_int(val, "score", rp->score);
        else
                vg_avro_set_null(val, "score");
        if (rp->scale_max >= 0)
                vg_avro_set_int(val, "scale_max", rp->scale_max);
        else
                vg_avro_set_null(val, "scale_max");
        bs_rec_t *r = bs_recs_add(rs);
        snprintf(r->id, sizeof(r->id), "%s", rp->id);
        r->t = rp->t;
        if (vg_avro_encode(sch, val, &r->buf, &r->len, errstr,
                           sizeof(errstr))) {
                fprintf(stderr, "vigie-bench: %s: %s\n", rp->id, errstr);
                rs->n--;
                return -1;
        }
        rs->bytes += (int64_t)r->len;
        return 0;
}

static int bs_produce(vg_kafka_t *k, const bs_rec_t *r)
{
        return bench_produce_buf(k, BS_T_IN, r->id, r->buf, r->len, 0);
}

/** @returns the Avro schema of itsm.surveys (borrowed from \p reg). */
static vg_avro_schema_t *bs_schema(vg_avro_registry_t *reg)
{
        return vg_avro_registry_by_topic(reg, BS_T_IN);
}

/* ---------------------------------------------------------------------- */
/* Reading outputs                                                        */

/** What an insight says. */
typedef struct bs_ins_s {
        const char *id;
        int cls;             /**< BS_NEG.., -1 */
        double score;        /**< predicted_score, stars */
        double p_neg;
        const char *language;
        int detected;
        int64_t topic;
        int64_t et;          /**< event_time */
        long long learned;   /**< n= of model_version, -1 */
        int has_pseudonym;
        unsigned pii;        /**< kinds in pii_found, bit per vg_pii_kind_t */
} bs_ins_t;

static int bs_cls_of(const char *s)
{
        for (int c = 0; c < BS_NCLS; c++)
                if (!strcmp(s, bs_cls_names[c]))
                        return c;
        return -1;
}

static void bs_ins_read(const avro_value_t *val, bs_ins_t *in)
{
        const char *sat = "", *mv;
        int det = 0;
        memset(in, 0, sizeof(*in));
        in->id = vg_avro_str_or(val, "response_id", "");
        vg_avro_get_enum(val, "satisfaction", &sat);
        in->cls   = bs_cls_of(sat ? sat : "");
        in->score = NAN;
        in->p_neg = NAN;
        vg_avro_get_double(val, "predicted_score", &in->score);
        vg_avro_get_double(val, "p_negative", &in->p_neg);
        in->language = vg_avro_str_or(val, "language", "");
        vg_avro_get_bool(val, "language_detected", &det);
        in->detected = det;
        in->topic    = vg_avro_long_or(val, "topic_id", -1);
        in->et       = vg_avro_long_or(val, "event_time", -1);
        mv           = vg_avro_str_or(val, "model_version", "");
        in->learned  = -1;
        if ((mv = strstr(mv, "n=")))
                in->learned = atoll(mv + 2);
        in->has_pseudonym = *vg_avro_str_or(val, "respondent_pseudonym",
                                            "") != '\0';
        avro_value_t arr, el;
        size_t n = 0;
        if (vg_avro_get_field(val, "pii_found", &arr) == VG_OK &&
            !avro_value_get_size(&arr, &n))
                for (size_t i = 0; i < n; i++) {
                        const char *k = NULL;
                        size_t len;
                        int kind;
                        if (!avro_value_get_by_index(&arr, i, &el, NULL) &&
                            !avro_value_get_string(&el, &k, &len) && k &&
                            (kind = vg_pii_kind_from_name(k)) >= 0)
                                in->pii |= 1u << kind;
                }
}

typedef void (*bs_ins_cb_t)(void *opaque, const bs_ins_t *in);

/** A tail consumer of the insights, decoding each one for a callback. */
typedef struct bs_tail_s {
        bench_svc_t *svc;
        rd_kafka_t *cons;
        bs_ins_cb_t cb;
        void *opaque;
        int64_t read, bad;
        /* called at most every second while bench_pace() waits */
        void (*tick)(void *opaque);
        void *tick_opaque;
        uint64_t last_tick;
} bs_tail_t;

static void bs_tail_drain(void *opaque, int timeout_ms)
{
        bs_tail_t *t = opaque;
        char errstr[256];
        rd_kafka_message_t *rkm = rd_kafka_consumer_poll(t->cons,
                                                         timeout_ms);
        while (rkm) {
                avro_value_t *val;
                if (rkm->err) {
                        if (rkm->err != RD_KAFKA_RESP_ERR__PARTITION_EOF &&
                            t->bad++ < 3)
                                bench_note("insights: %s",
                                           rd_kafka_message_errstr(rkm));
                } else if (vg_avro_decode(t->svc->reg, rkm->payload, rkm->len,
                                          NULL, &val, errstr,
                                          sizeof(errstr))) {
                        t->bad++;
                } else {
                        bs_ins_t in;
                        bs_ins_read(val, &in);
                        t->read++;
                        t->cb(t->opaque, &in);
                }
                rd_kafka_message_destroy(rkm);
                rkm = rd_kafka_consumer_poll(t->cons, 0);
        }
        if (t->tick && bench_secs(t->last_tick, bench_now_ns()) >= 1.0) {
                t->last_tick = bench_now_ns();
                t->tick(t->tick_opaque);
        }
}

/**
 * @brief Produces \p rs in order to itsm.surveys, at most \p max_lag
 *        records ahead of the committed offset of \p bp's group, serving
 *        \p tail meanwhile; then waits until everything is committed and
 *        every insight of the end offsets is read.
 * @returns 0, or -1.
 */
static int bs_produce_paced(bench_svc_t *svc, const bench_proc_t *bp,
                            const bs_recs_t *rs, int64_t max_lag,
                            bs_tail_t *tail, int64_t *waits)
{
        static const char *const kv[] = {"kafka.linger.ms=20",
                                         "kafka.batch.num.messages=10000",
                                         NULL};
        int np         = bench_parts(svc->rk, BS_T_IN);
        rd_kafka_t *gh = bench_group_handle(svc, bp->group);
        vg_kafka_t *k  = gh ? bench_zproducer(svc, kv) : NULL;
        int64_t committed = 0;
        int rc            = -1;

        if (!k)
                goto done;
        for (size_t i = 0; i < rs->n; i++) {
                if ((int64_t)i - committed >= max_lag) {
                        (*waits)++;
                        committed = bench_pace(k, gh, BS_T_IN, np, bp,
                                               bs_tail_drain, tail,
                                               (int64_t)i, max_lag / 2,
                                               committed);
                        if (committed < 0)
                                goto done;
                }
                if (bs_produce(k, &rs->r[i]))
                        goto done;
                if ((i & 255) == 0)
                        vg_kafka_poll(k, 0);
        }
        if (bench_flush(k))
                goto done;
        committed = bench_pace(k, gh, BS_T_IN, np, bp, bs_tail_drain, tail,
                               (int64_t)rs->n, 0, committed);
        if (committed < 0)
                goto done;
        int nout    = bench_parts(svc->rk, BS_T_OUT);
        int64_t end = bench_end_offsets(svc->rk, BS_T_OUT, nout);
        uint64_t tw = bench_now_ns();
        while (tail->read + tail->bad < end &&
               bench_secs(tw, bench_now_ns()) < 30)
                bs_tail_drain(tail, 100);
        rc = 0;
done:
        if (k)
                vg_kafka_close(k, 5000);
        if (gh)
                rd_kafka_destroy(gh);
        return rc;
}

/* ---------------------------------------------------------------------- */
/* Redis                                                                  */

static redisContext *bs_redis(const bench_svc_t *svc)
{
        struct timeval tv = {5, 0};
        redisContext *c = redisConnectWithTimeout("127.0.0.1",
                                                  svc->redis_port, tv);
        if (!c || c->err) {
                fprintf(stderr, "vigie-bench: Redis: %s\n",
                        c ? c->errstr : "cannot connect");
                if (c)
                        redisFree(c);
                return NULL;
        }
        return c;
}

/** @brief Calls \p cb with every key matching \p match (SCAN).
 *  @returns the keys seen, or -1. */
static long bs_scan(redisContext *c, const char *match,
                    void (*cb)(redisContext *c, const char *key, size_t len,
                               void *opaque),
                    void *opaque)
{
        char cursor[32] = "0";
        long n = 0;
        do {
                redisReply *r = redisCommand(c, "SCAN %s MATCH %s COUNT 1000",
                                             cursor, match);
                if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
                        if (r)
                                freeReplyObject(r);
                        return -1;
                }
                snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
                for (size_t i = 0; i < r->element[1]->elements; i++) {
                        redisReply *k = r->element[1]->element[i];
                        cb(c, k->str, k->len, opaque);
                        n++;
                }
                freeReplyObject(r);
        } while (strcmp(cursor, "0"));
        return n;
}

/** A topic's registry entry (srvtopic:{id}:info). */
typedef struct bs_topic_s {
        int64_t id;
        int64_t born_at, first_born_at; /**< as read now, as first read */
        int reborn;                     /**< born_at changed between reads */
        char state[16];
        int64_t merged_into;
        long long size;
        char born_terms[400], terms[400];
        int seen; /**< in the last read */
} bs_topic_t;

typedef struct bs_topics_s {
        bs_topic_t *t;
        size_t n, cap;
        const bench_svc_t *svc;
        redisContext *c;
        int reads, failed;
} bs_topics_t;

static bs_topic_t *bs_topic_get(bs_topics_t *ts, int64_t id, int create)
{
        for (size_t i = 0; i < ts->n; i++)
                if (ts->t[i].id == id)
                        return &ts->t[i];
        if (!create)
                return NULL;
        if (ts->n == ts->cap) {
                ts->cap = ts->cap ? 2 * ts->cap : 64;
                ts->t   = vg_realloc(ts->t, ts->cap * sizeof(*ts->t));
        }
        bs_topic_t *t = &ts->t[ts->n++];
        memset(t, 0, sizeof(*t));
        t->id            = id;
        t->first_born_at = -1;
        t->merged_into   = -1;
        return t;
}

static void bs_topic_key(redisContext *c, const char *key, size_t len,
                         void *opaque)
{
        bs_topics_t *ts = opaque;
        const char *at  = strstr(key, "srvtopic:");
        (void)len;
        if (!at)
                return;
        bs_topic_t *t = bs_topic_get(ts, atoll(at + 9), 1);
        redisReply *r = redisCommand(c, "HGETALL %s", key);
        if (!r || r->type != REDIS_REPLY_ARRAY) {
                ts->failed++;
                if (r)
                        freeReplyObject(r);
                return;
        }
        t->seen = 1;
        for (size_t i = 0; i + 1 < r->elements; i += 2) {
                const char *f = r->element[i]->str, *v = r->element[i + 1]->str;
                if (!strcmp(f, "born_at"))
                        t->born_at = atoll(v);
                else if (!strcmp(f, "state"))
                        snprintf(t->state, sizeof(t->state), "%s", v);
                else if (!strcmp(f, "merged_into"))
                        t->merged_into = atoll(v);
                else if (!strcmp(f, "size"))
                        t->size = atoll(v);
                else if (!strcmp(f, "born_terms"))
                        snprintf(t->born_terms, sizeof(t->born_terms), "%s",
                                 v);
                else if (!strcmp(f, "terms"))
                        snprintf(t->terms, sizeof(t->terms), "%s", v);
        }
        freeReplyObject(r);
        if (t->first_born_at < 0)
                t->first_born_at = t->born_at;
        else if (t->born_at != t->first_born_at)
                t->reborn = 1;
}

/** @brief Reads every srvtopic:{id}:info of this run's prefix. */
static void bs_topics_read(void *opaque)
{
        bs_topics_t *ts = opaque;
        char match[160];
        if (!ts->c && !(ts->c = bs_redis(ts->svc))) {
                ts->failed++;
                return;
        }
        for (size_t i = 0; i < ts->n; i++)
                ts->t[i].seen = 0;
        snprintf(match, sizeof(match), "%ssrvtopic:*:info", ts->svc->prefix);
        if (bs_scan(ts->c, match, bs_topic_key, ts) < 0)
                ts->failed++;
        ts->reads++;
}

static void bs_topics_free(bs_topics_t *ts)
{
        if (ts->c)
                redisFree(ts->c);
        vg_free(ts->t);
        memset(ts, 0, sizeof(*ts));
}

/* ---------------------------------------------------------------------- */
/* Confusion and scores                                                   */

typedef struct bs_score_s {
        double f[BS_NF];
        int64_t conf[BS_NCLS][BS_NCLS]; /**< [true][predicted] */
        int64_t truth_n[BS_NCLS];       /**< support, missing included */
        int64_t n, missing, n_mae;
        double abs_err;
} bs_score_t;

/** @brief Counts a prediction (\p pred -1: none, a miss) and its score
 *         error (NAN: none). */
static void bs_score_add(bs_score_t *s, int truth, int pred, double abs_err)
{
        s->n++;
        s->truth_n[truth]++;
        if (pred < 0)
                s->missing++;
        else
                s->conf[truth][pred]++;
        if (!isnan(abs_err)) {
                s->abs_err += abs_err;
                s->n_mae++;
        }
}

/** @brief The figures of REFERENCE.md's protocol (sklearn's f1_score
 *         macro over the 3 classes, zero_division=0). */
static void bs_score_finish(bs_score_t *s)
{
        double macro = 0, hit = 0;
        for (int c = 0; c < BS_NCLS; c++) {
                int64_t tp = s->conf[c][c], col = 0;
                for (int d = 0; d < BS_NCLS; d++)
                        col += s->conf[d][c];
                double den = (double)(s->truth_n[c] + col);
                double f1  = den > 0 ? 2.0 * (double)tp / den : 0;
                s->f[BS_F_F1NEG + c] = f1;
                macro += f1;
                hit += (double)tp;
        }
        s->f[BS_F_RECNEG] = s->truth_n[BS_NEG]
                                    ? (double)s->conf[BS_NEG][BS_NEG] /
                                              (double)s->truth_n[BS_NEG]
                                    : 0;
        s->f[BS_F_MACRO] = macro / BS_NCLS;
        s->f[BS_F_ACC]   = s->n ? hit / (double)s->n : NAN;
        s->f[BS_F_MAE]   = s->n_mae ? s->abs_err / (double)s->n_mae : NAN;
}

/* ---------------------------------------------------------------------- */
/* Part 1: French reviews                                                 */

/** A review kept, and what vigie-survey said of it first. */
typedef struct bs_review_s {
        char *text;
        double rating; /**< clamped to 0.5..5 */
        int cls;
        int file;      /**< 0 babelio, 1 critiques_libres */
        long line;
        /* its first insight */
        int got;
        int pred;
        double score;
        int fr, detected;
        char lang[8];
        unsigned pii;
        long long learned;
} bs_review_t;

typedef struct bs_reviews_s {
        bs_review_t *v;
        size_t n, cap;
        int64_t read, dropped_empty, clamped, bad;
        char test_from[64];
} bs_reviews_t;

static const char *const bs_review_files[2] = {
        "babelio_reviews.jsonl", "critiques_libres_reviews.jsonl"};

static void bs_reviews_free(bs_reviews_t *rv)
{
        for (size_t i = 0; i < rv->n; i++)
                vg_free(rv->v[i].text);
        vg_free(rv->v);
        memset(rv, 0, sizeof(*rv));
}

static int bs_class_of(double rating)
{
        return rating <= 2.5 ? BS_NEG : rating < 4.0 ? BS_NEU : BS_POS;
}

/**
 * @brief Reads the reviews of \p dir as REFERENCE.md's protocol: babelio
 *        then critiques_libres, line order, empty reviews dropped, ratings
 *        above 5 clamped.
 * @returns 0, or -1.
 */
static int bs_reviews_load(bs_reviews_t *rv, const char *dir)
{
        char path[PATH_MAX + 64];
        char *line = NULL;
        size_t cap = 0;
        int rc     = 0;
        for (int f = 0; f < 2 && !rc; f++) {
                snprintf(path, sizeof(path), "%s/%s", dir,
                         bs_review_files[f]);
                FILE *fp = fopen(path, "r");
                long lineno = 0;
                ssize_t len;
                if (!fp) {
                        fprintf(stderr, "vigie-bench: cannot read %s "
                                "(--reviews)\n", path);
                        rc = -1;
                        break;
                }
                while ((len = getline(&line, &cap, fp)) >= 0) {
                        json_error_t jerr;
                        lineno++;
                        int blank = 1;
                        for (ssize_t i = 0; i < len && blank; i++)
                                blank = isspace((unsigned char)line[i]);
                        if (blank)
                                continue;
                        json_t *o = json_loadb(line, (size_t)len, 0, &jerr);
                        json_t *t = json_object_get(o, "reader_review");
                        json_t *r = json_object_get(o, "rating");
                        rv->read++;
                        if (!o || !json_is_number(r)) {
                                rv->bad++;
                                json_decref(o);
                                continue;
                        }
                        const char *text = json_string_value(t);
                        if (!text || !*text) {
                                rv->dropped_empty++;
                                json_decref(o);
                                continue;
                        }
                        if (rv->n == rv->cap) {
                                rv->cap = rv->cap ? 2 * rv->cap : 1024;
                                rv->v   = vg_realloc(rv->v, rv->cap *
                                                              sizeof(*rv->v));
                        }
                        bs_review_t *x = &rv->v[rv->n++];
                        memset(x, 0, sizeof(*x));
                        x->text   = vg_strdup(text);
                        x->rating = json_number_value(r);
                        if (x->rating > 5) {
                                x->rating = 5;
                                rv->clamped++;
                        }
                        x->cls  = bs_class_of(x->rating);
                        x->file = f;
                        x->line = lineno;
                        x->pred = -1;
                        x->score = NAN;
                        json_decref(o);
                }
                fclose(fp);
        }
        free(line);
        return rc;
}

/** @returns the score of a rating on a 1..10 scale (half stars). */
static int bs_score10(double rating)
{
        long s = lround(rating * 2);
        return (int)(s < 1 ? 1 : s > 10 ? 10 : s);
}

/** @brief The reviews as SurveyResponses "FR<index>" (\p n of them). */
static int bs_reviews_encode(const bs_reviews_t *rv, size_t n,
                             vg_avro_registry_t *reg, bs_recs_t *rs)
{
        vg_avro_schema_t *sch = bs_schema(reg);
        avro_value_t val;
        char id[32];
        int rc = 0;
        vg_avro_schema_value_new(sch, &val);
        for (size_t i = 0; i < n && !rc; i++) {
                bs_resp_t rp = {.id = id, .comment = rv->v[i].text,
                                .score = bs_score10(rv->v[i].rating),
                                .scale_max = 10,
                                .t = BS_T0_MS + (int64_t)i * BS_MIN_MS};
                snprintf(id, sizeof(id), "FR%zu", i);
                rc = bs_encode(rs, sch, &val, &rp);
        }
        avro_value_decref(&val);
        return rc;
}

typedef struct bs_rev_res_s {
        int ok;
        size_t n;          /**< reviews used */
        double secs;
        int64_t produced, waits, insights, dup, unknown, dropped, dlq;
        int64_t learned_self; /**< insights whose model had learned it */
        bs_score_t online, majority;
        int majority_cls;
        double median;
        int64_t fr, detected, got;
        int64_t score_hist[11]; /**< test: predicted_score by half star */
        int64_t en, lang_unknown; /**< languages but fr */
        int64_t pii_any, pii_kind[VG_PII_KINDS]; /**< reviews scrubbed */
        bench_proc_t proc;
} bs_rev_res_t;

typedef struct bs_rev_ctx_s {
        bs_reviews_t *rv;
        bs_rev_res_t *res;
} bs_rev_ctx_t;

static void bs_rev_insight(void *opaque, const bs_ins_t *in)
{
        bs_rev_ctx_t *x = opaque;
        char *end;
        long i;
        x->res->insights++;
        if (strncmp(in->id, "FR", 2) ||
            (i = strtol(in->id + 2, &end, 10)) < 0 || *end ||
            (size_t)i >= x->res->n) {
                x->res->unknown++;
                return;
        }
        bs_review_t *r = &x->rv->v[i];
        if (r->got++) {
                x->res->dup++;
                return;
        }
        r->pred     = in->cls;
        r->score    = in->score;
        r->fr       = !strcmp(in->language, "fr");
        r->pii      = in->pii;
        snprintf(r->lang, sizeof(r->lang), "%s", in->language);
        r->detected = in->detected;
        r->learned  = in->learned;
        x->res->learned_self += in->learned > i;
}

static int bs_reviews_run(bench_svc_t *svc, const bs_opts_t *o,
                          bs_reviews_t *rv, bs_rev_res_t *res)
{
        bs_recs_t rs       = {0};
        bs_rev_ctx_t ctx   = {rv, res};
        bs_tail_t tail     = {.svc = svc, .cb = bs_rev_insight,
                              .opaque = &ctx};
        uint64_t t0        = bench_now_ns();
        int rc             = -1;

        if (bs_reviews_encode(rv, res->n, svc->reg, &rs))
                goto done;
        if (bench_proc_start(svc, &o->base, &res->proc, "vigie-survey",
                             "survey-reviews", NULL))
                goto done;
        if (!(tail.cons = bench_tail_consumer(svc, BS_T_OUT, 1)))
                goto done;
        bench_note("reviews: producing %s responses to %s (%d partition), "
                   "at most %s ahead of vigie-survey's committed offset",
                   BENCH_INT(rs.n), BS_T_IN, bench_parts(svc->rk, BS_T_IN),
                   BENCH_INT(o->max_lag));
        if (bs_produce_paced(svc, &res->proc, &rs, o->max_lag, &tail,
                             &res->waits))
                goto done;
        res->produced = (int64_t)rs.n;
        res->dropped  = bench_start_offsets(svc->rk, BS_T_IN, 1);
        res->dlq      = bench_end_offsets(svc->rk, BS_T_DLQ,
                                          bench_parts(svc->rk, BS_T_DLQ));
        rc = 0;
done:
        res->secs = bench_secs(t0, bench_now_ns());
        if (tail.cons) {
                rd_kafka_consumer_close(tail.cons);
                rd_kafka_destroy(tail.cons);
        }
        if (rc && res->proc.pid > 0)
                bench_log_tail(res->proc.log, 30);
        bench_proc_finish(&res->proc, "vigie-survey summary");
        bs_recs_free(&rs);
        return rc;
}

static int bs_dbl_cmp(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

static void bs_reviews_eval(bs_reviews_t *rv, bs_rev_res_t *res)
{
        size_t n = res->n, half = n / 2;
        int64_t cnt[BS_NCLS] = {0};
        double *r = vg_malloc((half + 1) * sizeof(double));
        for (size_t i = 0; i < half; i++) {
                cnt[rv->v[i].cls]++;
                r[i] = rv->v[i].rating;
        }
        qsort(r, half, sizeof(double), bs_dbl_cmp);
        res->median = half ? (half % 2 ? r[half / 2]
                                       : (r[half / 2 - 1] + r[half / 2]) / 2)
                           : NAN;
        vg_free(r);
        res->majority_cls = BS_NEG;
        for (int c = 1; c < BS_NCLS; c++)
                if (cnt[c] > cnt[res->majority_cls])
                        res->majority_cls = c;
        for (size_t i = 0; i < n; i++) {
                const bs_review_t *x = &rv->v[i];
                res->got += x->got > 0;
                res->fr += x->got && x->fr;
                res->detected += x->got && x->detected;
                res->en += x->got && !strcmp(x->lang, "en");
                res->lang_unknown += x->got && !strcmp(x->lang, "unknown");
                res->pii_any += x->got && x->pii;
                for (int k = 0; k < VG_PII_KINDS; k++)
                        res->pii_kind[k] += x->got && (x->pii >> k & 1);
                if (i < half)
                        continue;
                double s = x->score < 0.5 ? 0.5 : x->score > 5 ? 5
                                                               : x->score;
                if (x->got && !isnan(x->score))
                        res->score_hist[(int)lround(s * 2)]++;
                bs_score_add(&res->online, x->cls, x->got ? x->pred : -1,
                             x->got ? fabs(x->rating - s) : NAN);
                bs_score_add(&res->majority, x->cls, res->majority_cls,
                             fabs(x->rating - res->median));
        }
        bs_score_finish(&res->online);
        bs_score_finish(&res->majority);
        if (half < n)
                snprintf(rv->test_from, sizeof(rv->test_from), "%s line %ld",
                         bs_review_files[rv->v[half].file],
                         rv->v[half].line);
}

static void bs_print_row(const char *name, const double *f, const char *tail)
{
        printf("   %-28s %6.4f  %6.4f  %6.4f  %6.4f  %6.4f  %6.4f  %6.4f%s\n",
               name, f[BS_F_MACRO], f[BS_F_ACC], f[BS_F_RECNEG],
               f[BS_F_F1NEG], f[BS_F_F1NEU], f[BS_F_F1POS], f[BS_F_MAE],
               tail);
}

static void bs_reviews_report(const bs_opts_t *o, const bs_reviews_t *rv,
                              const bs_rev_res_t *r, const bs_ref_t *ref)
{
        printf("\n1. Quality on French reviews (one partition, file order, "
               "predict before learn)\n");
        if (bench_failed(r->ok))
                return;
        printf("   data           %s: %s records read, %s empty dropped, "
               "%s rating(s) 5.5 clamped to 5,\n"
               "                  %s kept%s; %s unreadable line(s)\n",
               o->reviews, BENCH_INT(rv->read), BENCH_INT(rv->dropped_empty),
               BENCH_INT(rv->clamped), BENCH_INT(rv->n),
               r->n < rv->n ? " (--quick: the first ones used)" : "",
               BENCH_INT(rv->bad));
        printf("   responses      FR<index>: comment = reader_review, score "
               "= round(rating x 2) in 1..10,\n"
               "                  scale_max 10, submitted_at 2025-01-01 + "
               "index minutes, no language,\n"
               "                  no respondent, no service\n");
        printf("   run            %s produced (zstd), at most %s ahead of "
               "vigie-survey's committed offset\n"
               "                  (%s waits); %.0f s; %s dropped by the "
               "broker, %s dead letters\n",
               BENCH_INT(r->produced), BENCH_INT(o->max_lag),
               BENCH_INT(r->waits), r->secs, BENCH_INT(r->dropped),
               BENCH_INT(r->dlq));
        printf("   insights       %s read (%s duplicate, %s unknown); "
               "responses with an insight %s of %s   %s\n",
               BENCH_INT(r->insights), BENCH_INT(r->dup),
               BENCH_INT(r->unknown), BENCH_INT(r->got), BENCH_INT(r->n),
               bench_met(r->got == (int64_t)r->n));
        printf("   predict before learn: insights whose model had already "
               "learned their own score\n"
               "                  (model_version n= > index): %s   "
               "target 0   %s\n",
               BENCH_INT(r->learned_self), bench_met(r->learned_self == 0));
        printf("   protocol       tests/bench/REFERENCE.md: first %s = "
               "train (learned online), last %s =\n"
               "                  test (from %s); classes negative <= 2.5, "
               "neutral 3-3.5,\n"
               "                  positive >= 4; online = the insight's "
               "satisfaction (no insight: a miss)\n"
               "                  and predicted_score (stars, clipped to "
               "0.5..5) vs the rating\n",
               BENCH_INT(r->n / 2), BENCH_INT(r->n - r->n / 2),
               rv->test_from);
        printf("   test classes   %s negative, %s neutral, %s positive\n",
               BENCH_INT(r->online.truth_n[BS_NEG]),
               BENCH_INT(r->online.truth_n[BS_NEU]),
               BENCH_INT(r->online.truth_n[BS_POS]));
        printf("   reference      %s\n", ref->source);
        printf("\n   %-28s %-7s %-7s %-7s %-7s %-7s %-7s %s\n", "model",
               "macroF1", "accur.", "recNeg", "F1neg", "F1neu", "F1pos",
               "MAE");
        bs_print_row("vigie-survey (online)", r->online.f,
                     r->online.missing ? "  SOME MISSING" : "");
        char maj[96];
        snprintf(maj, sizeof(maj), "  (%s, score %.1f)",
                 bs_cls_names[r->majority_cls], r->median);
        bs_print_row("majority (this run)", r->majority.f, maj);
        bs_print_row("majority (reference)", ref->v[0], "");
        bs_print_row("TF-IDF + logreg (reference)", ref->v[1], "");
        printf("\n   online macro-F1 >= the reference's: %.4f vs %.4f "
               "(%+.4f)   %s\n", r->online.f[BS_F_MACRO],
               ref->v[1][BS_F_MACRO],
               r->online.f[BS_F_MACRO] - ref->v[1][BS_F_MACRO],
               bench_met(r->online.f[BS_F_MACRO] >= ref->v[1][BS_F_MACRO]));
        printf("   online confusion on test (rows = true, cols = predicted "
               "neg/neu/pos):\n");
        for (int c = 0; c < BS_NCLS; c++)
                printf("     %-9s %6" PRId64 " %6" PRId64 " %6" PRId64 "\n",
                       bs_cls_names[c], r->online.conf[c][0],
                       r->online.conf[c][1], r->online.conf[c][2]);
        printf("   predicted_score on test (stars: responses)");
        for (int h = 1; h <= 10; h++)
                if (r->score_hist[h])
                        printf("  %.1f: %s", h / 2.0,
                               BENCH_INT(r->score_hist[h]));
        printf("\n");
        printf("   language       %s of %s insights say \"fr\" (%.1f%%), %s "
               "\"en\", %s \"unknown\";\n"
               "                  language_detected on %s (every review "
               "is French)\n",
               BENCH_INT(r->fr), BENCH_INT(r->got),
               r->got ? 100.0 * (double)r->fr / (double)r->got : NAN,
               BENCH_INT(r->en), BENCH_INT(r->lang_unknown),
               BENCH_INT(r->detected));
        printf("   scrubbed       %s reviews had personal data replaced "
               "(pii_found):", BENCH_INT(r->pii_any));
        for (int k = 0; k < VG_PII_KINDS; k++)
                if (r->pii_kind[k])
                        printf(" %s %s", vg_pii_kind_name((vg_pii_kind_t)k),
                               BENCH_INT(r->pii_kind[k]));
        printf("\n");
        bench_print_summary("vigie-survey's closing summary (its own live "
                            "quality is over every response)",
                            &r->proc);
}

/* ---------------------------------------------------------------------- */
/* Part 2: generated surveys with the planted spike                       */

/** A generated response: the truth, and its insight. */
typedef struct bs_gresp_s {
        int64_t t;        /**< submitted_at */
        char topic[32];   /**< truth topic */
        int spike;        /**< truth spike (in the spike's days) */
        int empty;        /**< no comment */
        int negative;     /**< score <= 2 of 5 */
        int got;
        int64_t tid;      /**< insight topic_id */
} bs_gresp_t;

typedef struct bs_alert_s {
        char subject[160];
        char summary[200];
        int64_t et;
        int is_topic;
        int64_t tid;      /**< topic id, or -1 */
        char service[64];
        int64_t window;
        int about;        /**< about the spike */
        int in_days;
        int64_t members, members_spike, members_vpn;
        int64_t neg, neg_spike; /**< negative members */
} bs_alert_t;

typedef struct bs_spike_res_s {
        int ok;
        double secs;
        int64_t nresp, produced, waits, dropped, dlq, insights, unknown;
        bs_gresp_t *g;
        int64_t spike_n, spike_vpn;
        int64_t spike_start, spike_end;
        bs_alert_t *alerts;
        size_t nalerts, cap_alerts;
        int64_t other_kinds;
        bs_topics_t topics;
        int64_t ins_none, ins_none_empty, ins_unregistered;
        bench_proc_t proc;
} bs_spike_res_t;

static int64_t bs_srv_index(const char *id, int64_t n)
{
        char *end;
        long long i;
        if (strncmp(id, "SRV", 3))
                return -1;
        i = strtoll(id + 3, &end, 10);
        return *end || i < 1 || i > n ? -1 : (int64_t)(i - 1);
}

/* A row of the truth (response_id,topic,spike,...) into r->g. */
static void bs_truth_row(void *opaque, char **f, int n)
{
        bs_spike_res_t *r = opaque;
        int64_t i         = n >= 3 ? bs_srv_index(f[0], r->nresp) : -1;
        if (i < 0)
                return;
        snprintf(r->g[i].topic, sizeof(r->g[i].topic), "%s", f[1]);
        r->g[i].spike = atoi(f[2]) == 1;
}

/** @brief The generated responses of \p path into \p rs (in file order)
 *         and their times into r->g. */
static int bs_gen_load(bs_spike_res_t *r, bench_svc_t *svc, const char *path,
                       bs_recs_t *rs)
{
        vg_avro_schema_t *sch = bs_schema(svc->reg);
        avro_value_t val;
        bench_src_t src;
        int got;
        if (bench_src_open(&src, path))
                return -1;
        vg_avro_schema_value_new(sch, &val);
        while ((got = bench_src_read(&src, sch, &val)) > 0) {
                char errstr[512];
                const char *id = vg_avro_str_or(&val, "response_id", "");
                int64_t i      = bs_srv_index(id, r->nresp);
                bs_rec_t *rec  = bs_recs_add(rs);
                snprintf(rec->id, sizeof(rec->id), "%s", id);
                rec->t = vg_avro_long_or(&val, "submitted_at", -1);
                if (i >= 0) {
                        r->g[i].t     = rec->t;
                        r->g[i].empty = !*vg_avro_str_or(&val, "comment",
                                                         "");
                        r->g[i].negative = vg_avro_int_or(&val, "score",
                                                          5) <= 2;
                }
                if (vg_avro_encode(sch, &val, &rec->buf, &rec->len, errstr,
                                   sizeof(errstr))) {
                        fprintf(stderr, "vigie-bench: %s\n", errstr);
                        got = -1;
                        break;
                }
                rs->bytes += (int64_t)rec->len;
        }
        avro_value_decref(&val);
        bench_src_close(&src);
        return got;
}

static void bs_spike_insight(void *opaque, const bs_ins_t *in)
{
        bs_spike_res_t *r = opaque;
        int64_t i         = bs_srv_index(in->id, r->nresp);
        r->insights++;
        if (i < 0) {
                r->unknown++;
                return;
        }
        if (r->g[i].got++)
                return;
        r->g[i].tid = in->topic;
}

static void bs_spike_alert(const avro_value_t *val, void *opaque)
{
        bs_spike_res_t *r = opaque;
        const char *kind  = vg_avro_str_or(val, "kind", "");
        const char *subj  = vg_avro_str_or(val, "subject", "");
        if (strcmp(kind, "SATISFACTION_DROP")) {
                r->other_kinds++;
                return;
        }
        if (r->nalerts == r->cap_alerts) {
                r->cap_alerts = r->cap_alerts ? 2 * r->cap_alerts : 32;
                r->alerts     = vg_realloc(r->alerts,
                                           r->cap_alerts * sizeof(*r->alerts));
        }
        bs_alert_t *a = &r->alerts[r->nalerts++];
        memset(a, 0, sizeof(*a));
        snprintf(a->subject, sizeof(a->subject), "%s", subj);
        snprintf(a->summary, sizeof(a->summary), "%s",
                 vg_avro_str_or(val, "summary", ""));
        a->et  = vg_avro_long_or(val, "event_time", -1);
        a->tid = -1;
        const char *at = strrchr(subj, '@');
        a->window = at ? atoll(at + 1) : -1;
        if (!strncmp(subj, "topic:", 6)) {
                a->is_topic = 1;
                a->tid      = atoll(subj + 6);
        } else if (!strncmp(subj, "service:", 8)) {
                size_t len = at ? (size_t)(at - subj - 8) : strlen(subj + 8);
                snprintf(a->service, sizeof(a->service), "%.*s", (int)len,
                         subj + 8);
        }
}

static int bs_alert_cmp(const void *a, const void *b)
{
        const bs_alert_t *x = a, *y = b;
        return x->et < y->et ? -1 : x->et > y->et;
}

static void bs_spike_eval(const bs_opts_t *o, bs_spike_res_t *r)
{
        int64_t win = o->window_h * BS_HOUR_MS;
        r->spike_start = INT64_MAX;
        r->spike_end   = INT64_MIN;
        for (int64_t i = 0; i < r->nresp; i++) {
                const bs_gresp_t *g = &r->g[i];
                if (!g->spike)
                        continue;
                r->spike_n++;
                r->spike_vpn += !strcmp(g->topic, "vpn_disconnects");
                if (g->t < r->spike_start)
                        r->spike_start = g->t;
                if (g->t > r->spike_end)
                        r->spike_end = g->t;
        }
        qsort(r->alerts, r->nalerts, sizeof(*r->alerts), bs_alert_cmp);
        for (size_t k = 0; k < r->nalerts; k++) {
                bs_alert_t *a = &r->alerts[k];
                a->in_days = a->et >= r->spike_start && a->et <= r->spike_end;
                if (a->is_topic) {
                        for (int64_t i = 0; i < r->nresp; i++) {
                                const bs_gresp_t *g = &r->g[i];
                                if (!g->got || g->tid != a->tid ||
                                    g->t <= a->et - win || g->t > a->et)
                                        continue;
                                int vpn = !strcmp(g->topic,
                                                  "vpn_disconnects");
                                a->members++;
                                a->members_spike += g->spike && vpn;
                                a->members_vpn += vpn;
                                a->neg += g->negative;
                                a->neg_spike += g->negative && g->spike &&
                                                vpn;
                        }
                        /* a drop is made of negatives: it is the spike's
                         * if most of its window's negatives are */
                        a->about = a->in_days && 2 * a->neg_spike > a->neg;
                } else {
                        a->about = a->in_days && !strcmp(a->service, "VPN");
                }
        }
        /* topics: every insight's topic registered */
        for (int64_t i = 0; i < r->nresp; i++) {
                const bs_gresp_t *g = &r->g[i];
                if (!g->got)
                        continue;
                if (g->tid < 0) {
                        r->ins_none++;
                        r->ins_none_empty += g->empty;
                }
                else if (!bs_topic_get(&r->topics, g->tid, 0))
                        r->ins_unregistered++;
        }
}

static int bs_spike_run(bench_svc_t *svc, const bs_opts_t *o,
                        bs_spike_res_t *r)
{
        const char *events = bench_tmp("surveys.jsonl");
        const char *truth  = bench_tmp("surveys_truth.csv");
        char ev[PATH_MAX], tr[PATH_MAX];
        bs_recs_t rs   = {0};
        bs_tail_t tail = {.svc = svc, .cb = bs_spike_insight, .opaque = r,
                          .tick = bs_topics_read, .tick_opaque = &r->topics};
        uint64_t t0 = bench_now_ns();
        int rc      = -1;

        snprintf(ev, sizeof(ev), "%s", events);
        snprintf(tr, sizeof(tr), "%s", truth);
        r->nresp        = o->responses;
        r->g            = vg_calloc((size_t)r->nresp + 1, sizeof(*r->g));
        r->topics.svc   = svc;
        bench_note("spike: generating %s responses (seed %" PRIu64 ", mean "
                   "inter-arrival %.0f s)", BENCH_INT(r->nresp), o->base.seed,
                   o->interarrival);
        if (bench_gen_at("surveys", ev, tr, o->base.seed, r->nresp, 1,
                         o->interarrival) ||
            bench_csv_each(tr, 4, bs_truth_row, r) ||
            bs_gen_load(r, svc, ev, &rs) < 0)
                goto done;
        if (bench_proc_start(svc, &o->base, &r->proc, "vigie-survey",
                             "survey-spike", NULL) ||
            !(tail.cons = bench_tail_consumer(svc, BS_T_OUT, 1)))
                goto done;
        bench_note("spike: producing %s responses to %s (%d partitions), "
                   "at most %s ahead of vigie-survey's committed offsets",
                   BENCH_INT(rs.n), BS_T_IN, bench_parts(svc->rk, BS_T_IN),
                   BENCH_INT(o->max_lag));
        if (bs_produce_paced(svc, &r->proc, &rs, o->max_lag, &tail,
                             &r->waits))
                goto done;
        r->produced = (int64_t)rs.n;
        r->dropped  = bench_start_offsets(svc->rk, BS_T_IN,
                                          bench_parts(svc->rk, BS_T_IN));
        r->dlq      = bench_end_offsets(svc->rk, BS_T_DLQ,
                                        bench_parts(svc->rk, BS_T_DLQ));
        bench_proc_finish(&r->proc, "vigie-survey summary");
        bs_topics_read(&r->topics); /* after its drain: the last state */
        if (bench_read_all(svc, BS_T_ALERTS, bs_spike_alert, r) < 0)
                goto done;
        rc = 0;
done:
        r->secs = bench_secs(t0, bench_now_ns());
        if (tail.cons) {
                rd_kafka_consumer_close(tail.cons);
                rd_kafka_destroy(tail.cons);
        }
        if (rc && r->proc.pid > 0)
                bench_log_tail(r->proc.log, 30);
        bench_proc_finish(&r->proc, "vigie-survey summary");
        bs_recs_free(&rs);
        return rc;
}

static void bs_time(int64_t ms, char *buf, size_t size)
{
        time_t t = (time_t)(ms / 1000);
        strftime(buf, size, "%Y-%m-%d %H:%M", gmtime(&t));
}

/** @returns how many of the words of \p born are in \p now (both
 *           space-separated), their count in \p *nborn. */
static int bs_terms_kept(const char *born, const char *now, int *nborn)
{
        char b[400], *save = NULL;
        int kept = 0;
        *nborn   = 0;
        snprintf(b, sizeof(b), "%s", born);
        for (char *w = strtok_r(b, " ", &save); w;
             w = strtok_r(NULL, " ", &save)) {
                size_t len = strlen(w);
                (*nborn)++;
                for (const char *p = now; (p = strstr(p, w)); p += len)
                        if ((p == now || p[-1] == ' ') &&
                            (p[len] == ' ' || !p[len])) {
                                kept++;
                                break;
                        }
        }
        return kept;
}

static void bs_spike_report(const bs_opts_t *o, bs_spike_res_t *r)
{
        char t1[32], t2[32];
        printf("\n2. Generated surveys with the planted spike (vg_gen "
               "seed %" PRIu64 ": %s responses, mean\n"
               "   inter-arrival %.0f s; %d partitions, produced in "
               "order at most %s ahead of the\n"
               "   committed offsets)\n", o->base.seed,
               BENCH_INT(r->nresp), o->interarrival, o->base.partitions,
               BENCH_INT(o->max_lag));
        if (bench_failed(r->ok))
                return;
        int64_t got = 0;
        for (int64_t i = 0; i < r->nresp; i++)
                got += r->g[i].got > 0;
        printf("   run            %s produced, %.0f s (%s waits); %s dropped "
               "by the broker, %s dead letters;\n"
               "                  %s insights read, responses with one %s "
               "of %s\n",
               BENCH_INT(r->produced), r->secs, BENCH_INT(r->waits),
               BENCH_INT(r->dropped), BENCH_INT(r->dlq),
               BENCH_INT(r->insights), BENCH_INT(got), BENCH_INT(r->nresp));
        if (r->spike_n == 0) {
                printf("   no spike response in the truth\n");
                return;
        }
        bs_time(r->spike_start, t1, sizeof(t1));
        bs_time(r->spike_end, t2, sizeof(t2));
        printf("   spike          truth: %s responses with spike=1 from %s "
               "to %s UTC,\n"
               "                  %s of them on vpn_disconnects\n",
               BENCH_INT(r->spike_n), t1, t2, BENCH_INT(r->spike_vpn));
        /* the topics of the spike's vpn_disconnects responses */
        {
                int64_t ids[4] = {-2, -2, -2, -2}, cnt[4] = {0};
                for (int pass = 0; pass < 3; pass++) {
                        int64_t best = -2, bc = 0;
                        for (int64_t i = 0; i < r->nresp; i++) {
                                const bs_gresp_t *g = &r->g[i];
                                if (!g->got || !g->spike ||
                                    strcmp(g->topic, "vpn_disconnects") ||
                                    g->tid == ids[0] || g->tid == ids[1])
                                        continue;
                                int64_t c = 0;
                                for (int64_t j = 0; j < r->nresp; j++)
                                        c += r->g[j].got && r->g[j].spike &&
                                             r->g[j].tid == g->tid &&
                                             !strcmp(r->g[j].topic,
                                                     "vpn_disconnects");
                                if (c > bc) {
                                        bc   = c;
                                        best = g->tid;
                                }
                        }
                        ids[pass] = best;
                        cnt[pass] = bc;
                }
                printf("                  their topics (insights' topic_id): ");
                for (int k = 0; k < 3 && ids[k] != -2; k++) {
                        const bs_topic_t *t = bs_topic_get(&r->topics,
                                                           ids[k], 0);
                        printf("%s%" PRId64 " (%s, %.0f%%%s%s)", k ? ", " : "",
                               ids[k], BENCH_INT(cnt[k]),
                               100.0 * (double)cnt[k] /
                                       (double)r->spike_vpn,
                               t ? ": " : "", t ? t->terms : "");
                }
                printf("\n");
        }
        int64_t win = o->window_h * BS_HOUR_MS;
        const bs_alert_t *first = NULL;
        int64_t about = 0, elsewhere = 0;
        for (size_t k = 0; k < r->nalerts; k++) {
                about += r->alerts[k].about;
                elsewhere += !r->alerts[k].about;
                if (r->alerts[k].about && !first)
                        first = &r->alerts[k];
        }
        printf("   alerts         %s SATISFACTION_DROP (%s other kinds); "
               "window survey.alert.window.hours = %" PRId64 "\n"
               "                  about the spike = service VPN, or a "
               "topic whose negative insights in the\n"
               "                  alert's window (the window hours up to "
               "it) are mostly spike vpn_disconnects\n"
               "                  responses, raised between the first and "
               "the last spike response\n",
               BENCH_INT(r->nalerts), BENCH_INT(r->other_kinds), o->window_h);
        if (first) {
                double h = (double)(first->et - r->spike_start) /
                           (double)BS_HOUR_MS;
                bs_time(first->et, t1, sizeof(t1));
                printf("   first alert about the spike   %s: %s at %s UTC\n"
                       "                  %s\n"
                       "                  delay %.1f h after the spike's "
                       "start (window %" PRId64 " h)   target within one "
                       "window   %s\n",
                       first->subject,
                       first->is_topic ? "topic" : "service", t1,
                       first->summary, h, o->window_h,
                       bench_met(h >= 0 && h <= (double)o->window_h));
        } else {
                printf("   first alert about the spike   NONE   target "
                       "within one window   %s\n", bench_met(0));
        }
        printf("   alerts about the spike        %s\n", BENCH_INT(about));
        printf("   alerts elsewhere              %s   target 0   %s\n",
               BENCH_INT(elsewhere), bench_met(elsewhere == 0));
        int listed = 0;
        for (size_t k = 0; k < r->nalerts && listed < 12; k++) {
                const bs_alert_t *a = &r->alerts[k];
                bs_time(a->et, t1, sizeof(t1));
                printf("     %s %-22s %s%s", a->about ? "spike" : "ELSE ",
                       a->subject, t1,
                       a->in_days ? "" : " (outside the spike's days)");
                if (a->is_topic)
                        printf(": window's insights %s, spike "
                               "vpn_disconnects %s\n"
                               "           (vpn_disconnects %s); negative "
                               "%s, spike vpn_disconnects %s",
                               BENCH_INT(a->members),
                               BENCH_INT(a->members_spike),
                               BENCH_INT(a->members_vpn), BENCH_INT(a->neg),
                               BENCH_INT(a->neg_spike));
                printf("\n");
                if (!a->about)
                        printf("           %s\n", a->summary);
                listed++;
        }
        if ((size_t)listed < r->nalerts)
                printf("     ... %zu more\n", r->nalerts - (size_t)listed);
        (void)win;

        /* topic stability */
        int64_t alive = 0, merged = 0, dead = 0, reborn = 0;
        int64_t with_birth = 0, stable = 0, alive_birth = 0, alive_stable = 0;
        for (size_t i = 0; i < r->topics.n; i++) {
                const bs_topic_t *t = &r->topics.t[i];
                int nborn, kept;
                alive += !strcmp(t->state, "alive");
                merged += !strcmp(t->state, "merged");
                dead += !strcmp(t->state, "dead");
                reborn += t->reborn;
                if (!*t->born_terms)
                        continue;
                kept = bs_terms_kept(t->born_terms, t->terms, &nborn);
                with_birth++;
                stable += 2 * kept >= nborn;
                if (!strcmp(t->state, "alive")) {
                        alive_birth++;
                        alive_stable += 2 * kept >= nborn;
                }
        }
        printf("   topics (Redis srvtopic:{id}:info after the run, read "
               "%d times during it)\n", r->topics.reads);
        printf("                  %s registered: %s alive, %s merged, %s "
               "dead (births %s, merges %s, deaths %s)\n",
               BENCH_INT(r->topics.n), BENCH_INT(alive), BENCH_INT(merged),
               BENCH_INT(dead), BENCH_INT(r->topics.n), BENCH_INT(merged),
               BENCH_INT(dead));
        printf("                  born with >= 10 verbatims (birth terms): "
               "%s; current terms hold >= half\n"
               "                  of the birth terms: %s (%.1f%%); of the "
               "alive ones %s of %s\n",
               BENCH_INT(with_birth), BENCH_INT(stable),
               with_birth ? 100.0 * (double)stable / (double)with_birth : NAN,
               BENCH_INT(alive_stable), BENCH_INT(alive_birth));
        printf("                  ids reused (birth time changed between "
               "reads): %s   target 0   %s\n",
               BENCH_INT(reborn), bench_met(reborn == 0));
        printf("                  insights with a topic_id not registered: "
               "%s   target 0   %s\n"
               "                  (%s insights with topic_id -1, %s of "
               "them without a comment)\n",
               BENCH_INT(r->ins_unregistered),
               bench_met(r->ins_unregistered == 0), BENCH_INT(r->ins_none),
               BENCH_INT(r->ins_none_empty));
        if (r->topics.failed)
                printf("                  %d Redis read(s) FAILED\n",
                       r->topics.failed);
        bench_print_summary("vigie-survey's closing summary", &r->proc);
}

/* ---------------------------------------------------------------------- */
/* Part 3: privacy                                                        */

/** A string that must not come out: a planted item or a respondent. */
typedef struct bs_needle_s {
        char s[256];
        char kind[12];   /**< "email", ..., or "respondent" */
        size_t len;
        int ambiguous;   /**< also in the corpus's text that stays */
        /* occurrences found, per sink */
        int64_t found[5];
} bs_needle_t;

enum { BS_SINK_KAFKA, BS_SINK_REDIS_KEY, BS_SINK_REDIS_VAL, BS_SINK_LOG,
       BS_NSINKS };
static const char *const bs_sink_names[BS_NSINKS] = {
        "topic records", "Redis keys", "Redis values", "vigie-survey's log"};

typedef struct bs_leak_s {
        int needle;
        int sink;
        char where[200];
} bs_leak_t;

/** One run of the privacy part (pseudonymised, or strict). */
typedef struct bs_priv_run_s {
        int ok, strict;
        int64_t insights, with_pseudonym, dlq, alerts, redis_keys,
                redis_pseudonym_fields, redis_p_values, topic_records;
        int64_t found[BS_NSINKS], total;
        int64_t ctl_total, ctl_distinct; /**< the input, as a check */
        bs_leak_t leaks[40];
        int nleaks;
        char dlq_reasons[8][200];
        int ndlq_reasons;
        bench_proc_t proc;
} bs_priv_run_t;

typedef struct bs_priv_s {
        char (*sentences)[1024];
        size_t nsent;
        bs_needle_t *nd;
        size_t nnd, cap;
        int64_t planted;   /**< items planted (with repeats) */
        int ninvalid;
        bs_priv_run_t run[2];
} bs_priv_t;

static int bs_needle_add(bs_priv_t *pv, const char *s, const char *kind)
{
        for (size_t i = 0; i < pv->nnd; i++)
                if (!strcmp(pv->nd[i].s, s))
                        return (int)i;
        if (pv->nnd == pv->cap) {
                pv->cap = pv->cap ? 2 * pv->cap : 256;
                pv->nd  = vg_realloc(pv->nd, pv->cap * sizeof(*pv->nd));
        }
        bs_needle_t *n = &pv->nd[pv->nnd];
        memset(n, 0, sizeof(*n));
        snprintf(n->s, sizeof(n->s), "%s", s);
        snprintf(n->kind, sizeof(n->kind), "%s", kind);
        n->len = strlen(n->s);
        return (int)pv->nnd++;
}

/* Replaces every occurrence of \p v in \p s with '\x01's. */
static void bs_blank(char *s, const char *v)
{
        size_t len = strlen(v);
        for (char *p = s; len && (p = strstr(p, v)); p += len)
                memset(p, 1, len);
}

/**
 * @brief Reads the corpus (check_pii.c's format: sentence TAB items
 *        "kind=value;..." or "-" / "~"), its planted values as needles.
 *        A value that also occurs in the text the scrubber must keep (the
 *        corpus with every planted value blanked) is marked ambiguous.
 * @returns 0, or -1.
 */
static int bs_priv_load(bs_priv_t *pv, const char *path)
{
        char line[2048];
        size_t cap = 0;
        FILE *fp   = fopen(path, "r");
        if (!fp) {
                fprintf(stderr, "vigie-bench: cannot read %s\n", path);
                return -1;
        }
        char (*items)[1024] = NULL;
        while (fgets(line, sizeof(line), fp)) {
                line[strcspn(line, "\r\n")] = '\0';
                char *tab = strchr(line, '\t');
                if (line[0] == '#' || !line[0] || !tab)
                        continue;
                *tab = '\0';
                if (pv->nsent == cap) {
                        cap           = cap ? 2 * cap : 512;
                        pv->sentences = vg_realloc(pv->sentences,
                                                   cap * sizeof(*pv->sentences));
                        items = vg_realloc(items, cap * sizeof(*items));
                }
                snprintf(pv->sentences[pv->nsent], sizeof(pv->sentences[0]),
                         "%.1000s", line);
                snprintf(items[pv->nsent], sizeof(items[0]), "%s", tab + 1);
                pv->nsent++;
                if (!strcmp(tab + 1, "-") || !strcmp(tab + 1, "~"))
                        continue;
                char *save = NULL;
                for (char *t = strtok_r(tab + 1, ";", &save); t;
                     t = strtok_r(NULL, ";", &save)) {
                        char *eq = strchr(t, '=');
                        if (!eq || vg_pii_kind_from_name(
                                           (*eq = '\0', t)) < 0) {
                                fprintf(stderr, "vigie-bench: %s: bad item "
                                        "%s\n", path, t);
                                continue;
                        }
                        bs_needle_add(pv, eq + 1, t);
                        pv->planted++;
                }
        }
        fclose(fp);
        /* ambiguity: the text that must stay, every planted value blanked */
        for (size_t i = 0; i < pv->nsent; i++) {
                char kept[1024], it[1024], *save = NULL;
                snprintf(kept, sizeof(kept), "%s", pv->sentences[i]);
                snprintf(it, sizeof(it), "%s", items[i]);
                if (strcmp(it, "-") && strcmp(it, "~"))
                        for (char *t = strtok_r(it, ";", &save); t;
                             t = strtok_r(NULL, ";", &save))
                                if (strchr(t, '='))
                                        bs_blank(kept, strchr(t, '=') + 1);
                if (!strcmp(items[i], "~"))
                        continue; /* scrubbed anyway: nothing must stay */
                for (size_t k = 0; k < pv->nnd; k++)
                        if (strstr(kept, pv->nd[k].s))
                                pv->nd[k].ambiguous = 1;
        }
        vg_free(items);
        return 0;
}

/** @returns the respondent e-mail of sentence \p i. */
static const char *bs_respondent(size_t i, char *buf, size_t size)
{
        snprintf(buf, size, "repondant.%03zu@enquete-bench.example", i);
        return buf;
}

static const char *const bs_services[] = {"VPN", "Printing", "Email",
                                          "Service Desk", "Laptop", "Wi-Fi"};
#define BS_NSERVICES (sizeof(bs_services) / sizeof(bs_services[0]))

/** @brief The corpus as responses, then invalid records. */
static int bs_priv_records(bs_priv_t *pv, vg_avro_registry_t *reg,
                           bs_recs_t *rs)
{
        vg_avro_schema_t *sch = bs_schema(reg);
        avro_value_t val;
        char id[32], who[96];
        int rc = 0;
        pv->ninvalid = 0;
        vg_avro_schema_value_new(sch, &val);
        for (size_t i = 0; i < pv->nsent && !rc; i++) {
                bs_resp_t rp = {
                        .id = id, .survey = "IT support satisfaction",
                        .respondent = bs_respondent(i, who, sizeof(who)),
                        .service = bs_services[i % BS_NSERVICES],
                        .comment = pv->sentences[i],
                        .score = (int)(i % 5) + 1, .scale_max = -1,
                        .t = BS_T0_MS + 60 * BS_DAY_MS +
                             (int64_t)i * BS_MIN_MS};
                snprintf(id, sizeof(id), "PII%03zu", i);
                bs_needle_add(pv, who, "respondent");
                rc = bs_encode(rs, sch, &val, &rp);
        }
        /* invalid ones, with personal data in them: dead letters */
        static const struct {
                int score, scale;
                const char *id;
        } bad[] = {{12, 10, "PIIBAD1"}, {3, 0, "PIIBAD2"}, {-1, -1, ""},
                   {-1, -1, "PIIBAD4"}};
        for (size_t b = 0; b < sizeof(bad) / sizeof(bad[0]) && !rc; b++) {
                size_t s = b * 7 % pv->nsent;
                bs_resp_t rp = {.id = bad[b].id,
                                .respondent = bs_respondent(s, who,
                                                            sizeof(who)),
                                .service = "VPN",
                                .comment = pv->sentences[s],
                                .score = bad[b].score,
                                .scale_max = bad[b].scale,
                                .t = BS_T0_MS + 61 * BS_DAY_MS};
                if (b == 3) /* too far in the past: before 1990 */
                        rp.t = 100000;
                rc = bs_encode(rs, sch, &val, &rp);
                if (!rc) {
                        rs->r[rs->n - 1].valid = 0;
                        if (!*bad[b].id)
                                snprintf(rs->r[rs->n - 1].id, 32, "PIIBAD3");
                        pv->ninvalid++;
                }
        }
        avro_value_decref(&val);
        if (rc)
                return rc;
        /* not Avro: personal data in the raw bytes */
        bs_rec_t *r = bs_recs_add(rs);
        char raw[512];
        int n = snprintf(raw, sizeof(raw), "%c%c%c%c%cnot avro: %s from %s",
                         0, 0, 0, 0, 9, pv->sentences[0],
                         bs_respondent(0, who, sizeof(who)));
        snprintf(r->id, sizeof(r->id), "PIIBAD5");
        r->buf   = vg_malloc((size_t)n);
        r->len   = (size_t)n;
        r->valid = 0;
        memcpy(r->buf, raw, (size_t)n);
        pv->ninvalid++;
        /* invalid UTF-8 in the comment */
        r = bs_recs_add(rs);
        {
                avro_value_t v2;
                char cm[1200], errstr[256];
                snprintf(cm, sizeof(cm), "%s \xff\xfe %s", pv->sentences[1],
                         bs_respondent(1, who, sizeof(who)));
                vg_avro_schema_value_new(sch, &v2);
                vg_avro_value_reset(&v2);
                vg_avro_set_str(&v2, "response_id", "PIIBAD6");
                vg_avro_set_str(&v2, "respondent", who);
                vg_avro_set_str(&v2, "comment", cm);
                vg_avro_set_long(&v2, "submitted_at",
                                 BS_T0_MS + 61 * BS_DAY_MS);
                vg_avro_set_int(&v2, "score", 2);
                snprintf(r->id, sizeof(r->id), "PIIBAD6");
                r->valid = 0;
                if (vg_avro_encode(sch, &v2, &r->buf, &r->len, errstr,
                                   sizeof(errstr))) {
                        bench_note("privacy: cannot encode invalid UTF-8 "
                                   "(%s): left out", errstr);
                        rs->n--;
                } else {
                        pv->ninvalid++;
                }
                avro_value_decref(&v2);
        }
        return 0;
}

typedef struct bs_scan_s {
        bs_priv_t *pv;
        bs_priv_run_t *run;
} bs_scan_t;

/* Needles shorter than this match only as a whole word: "Ng" or "Kim"
 * inside another word is not that surname. */
#define BS_SHORT 5

static int bs_word_char(unsigned char c)
{
        return isalnum(c) || c >= 0x80;
}

/** @returns the occurrences of needle \p n in \p p[0..len). */
static int64_t bs_count(const bs_needle_t *n, const char *p, size_t len)
{
        const char *start = p, *end = p + len;
        int64_t c = 0;
        while (p < end && (p = memmem(p, (size_t)(end - p), n->s, n->len))) {
                int whole = (p == start || !bs_word_char((unsigned char)p[-1])) &&
                            (p + n->len == end ||
                             !bs_word_char((unsigned char)p[n->len]));
                c += n->len >= BS_SHORT || whole;
                p += n->len;
        }
        return c;
}

static void bs_hit_text(bs_scan_t *sc, int sink, const char *buf, size_t len,
                        const char *where)
{
        for (size_t k = 0; k < sc->pv->nnd; k++) {
                bs_needle_t *n = &sc->pv->nd[k];
                int64_t c      = bs_count(n, buf, len);
                if (!c)
                        continue;
                n->found[sink] += c;
                sc->run->found[sink] += c;
                sc->run->total += c;
                if (sc->run->nleaks < 40) {
                        bs_leak_t *l = &sc->run->leaks[sc->run->nleaks++];
                        l->needle = (int)k;
                        l->sink   = sink;
                        snprintf(l->where, sizeof(l->where), "%s", where);
                }
        }
}

/**
 * @brief Counts the needles in \p buf[0..len) for \p sink; \p fmt says
 *        where. Text (valid UTF-8, no control byte but tab and newlines)
 *        is searched whole; binary data (a checkpoint, Avro) only in its
 *        printable runs of 8 bytes or more, as strings(1) would show
 *        them: a short needle inside random bytes is not a leak.
 */
static void bs_hit(bs_scan_t *sc, int sink, const void *buf, size_t len,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void bs_hit(bs_scan_t *sc, int sink, const void *buf, size_t len,
                   const char *fmt, ...)
{
        const unsigned char *b = buf;
        char where[200];
        va_list ap;
        int binary = !vg_utf8_valid(buf, len);
        va_start(ap, fmt);
        vsnprintf(where, sizeof(where), fmt, ap);
        va_end(ap);
        for (size_t i = 0; i < len && !binary; i++)
                binary = b[i] < 0x20 && b[i] != '\t' && b[i] != '\n' &&
                         b[i] != '\r';
        if (!binary) {
                bs_hit_text(sc, sink, buf, len, where);
                return;
        }
        for (size_t i = 0; i < len;) {
                size_t j = i;
                while (j < len && (b[j] >= 0x20 || b[j] == '\t') &&
                       b[j] != 0x7f)
                        j++;
                size_t run = vg_utf8_valid_prefix(b + i, j - i);
                if (run >= 8)
                        bs_hit_text(sc, sink, (const char *)b + i, run,
                                    where);
                i += run > 0 ? run : 1;
        }
}

/** @brief Scans every string (and map key, and bytes) of Avro value
 *         \p v. */
static void bs_hit_avro(bs_scan_t *sc, int sink, avro_value_t *v,
                        const char *where)
{
        size_t n = 0;
        switch (avro_value_get_type(v)) {
        case AVRO_STRING: {
                const char *s = NULL;
                if (!avro_value_get_string(v, &s, &n) && s)
                        bs_hit(sc, sink, s, n ? n - 1 : 0, "%s", where);
                break;
        }
        case AVRO_BYTES: {
                const void *b = NULL;
                if (!avro_value_get_bytes(v, &b, &n) && b)
                        bs_hit(sc, sink, b, n, "%s (bytes)", where);
                break;
        }
        case AVRO_UNION: {
                avro_value_t br;
                if (!avro_value_get_current_branch(v, &br))
                        bs_hit_avro(sc, sink, &br, where);
                break;
        }
        case AVRO_RECORD:
        case AVRO_ARRAY:
        case AVRO_MAP:
                avro_value_get_size(v, &n);
                for (size_t i = 0; i < n; i++) {
                        avro_value_t el;
                        const char *name = NULL;
                        if (avro_value_get_by_index(v, i, &el, &name))
                                break;
                        if (name && avro_value_get_type(v) == AVRO_MAP)
                                bs_hit(sc, sink, name, strlen(name),
                                       "%s (map key)", where);
                        bs_hit_avro(sc, sink, &el, where);
                }
                break;
        default:
                break;
        }
}

/* "p-" + 32 hex digits */
static int bs_has_pseudonym(const char *s, size_t len)
{
        for (size_t i = 0; i + 34 <= len; i++) {
                if (s[i] != 'p' || s[i + 1] != '-')
                        continue;
                size_t j = 0;
                while (j < 32 && isxdigit((unsigned char)s[i + 2 + j]) &&
                       !isupper((unsigned char)s[i + 2 + j]))
                        j++;
                if (j == 32)
                        return 1;
        }
        return 0;
}

static void bs_scan_value(bs_scan_t *sc, const char *key, const char *v,
                          size_t len, const char *what)
{
        bs_hit(sc, BS_SINK_REDIS_VAL, v, len, "%s (%s)", key, what);
        sc->run->redis_p_values += bs_has_pseudonym(v, len);
}

static void bs_scan_reply(bs_scan_t *sc, const char *key, redisReply *r,
                          const char *what)
{
        if (!r)
                return;
        if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)
                bs_scan_value(sc, key, r->str, r->len, what);
        for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements;
             i++)
                bs_scan_reply(sc, key, r->element[i], what);
}

static void bs_scan_key(redisContext *c, const char *key, size_t len,
                        void *opaque)
{
        bs_scan_t *sc = opaque;
        redisReply *t = redisCommand(c, "TYPE %b", key, len), *v = NULL;
        const char *type = t && t->type == REDIS_REPLY_STATUS ? t->str : "?";
        sc->run->redis_keys++;
        bs_hit(sc, BS_SINK_REDIS_KEY, key, len, "key %s", key);
        if (!strcmp(type, "string"))
                v = redisCommand(c, "GET %b", key, len);
        else if (!strcmp(type, "hash"))
                v = redisCommand(c, "HGETALL %b", key, len);
        else if (!strcmp(type, "zset"))
                v = redisCommand(c, "ZRANGE %b 0 -1 WITHSCORES", key, len);
        else if (!strcmp(type, "set"))
                v = redisCommand(c, "SMEMBERS %b", key, len);
        else if (!strcmp(type, "list"))
                v = redisCommand(c, "LRANGE %b 0 -1", key, len);
        else if (!strcmp(type, "stream"))
                v = redisCommand(c, "XRANGE %b - +", key, len);
        if (v && !strcmp(type, "hash"))
                for (size_t i = 0; i + 1 < v->elements; i += 2)
                        sc->run->redis_pseudonym_fields +=
                                !strcmp(v->element[i]->str, "pseudonym");
        bs_scan_reply(sc, key, v, type);
        if (v)
                freeReplyObject(v);
        if (t)
                freeReplyObject(t);
}

/** A topic bs_scan_topics() reads. */
typedef struct bs_scan_topic_s {
        bench_svc_t *svc;
        bs_scan_t *sc;
        const char *topic;
} bs_scan_topic_t;

/** @brief Scans record \p r (key, value, headers) of st->topic, and
 *         counts the outputs. */
static void bs_scan_rec(const vg_kafka_rec_t *r, void *opaque)
{
        const bs_scan_topic_t *st = opaque;
        bench_svc_t *svc          = st->svc;
        bs_scan_t *sc             = st->sc;
        const char *topic         = st->topic;
        char errstr[512];
        rd_kafka_headers_t *hs = NULL;
        sc->run->topic_records++;
        bs_hit(sc, BS_SINK_KAFKA, r->key, r->key_len,
               "%s [%d] @%" PRId64 " key", topic, r->partition, r->offset);
        char where[160];
        avro_value_t *dv;
        snprintf(where, sizeof(where), "%s [%d] @%" PRId64, topic, r->partition,
                 r->offset);
        if (vg_avro_decode(svc->reg, r->value, r->len, NULL, &dv, errstr,
                           sizeof(errstr)) == VG_OK)
                bs_hit_avro(sc, BS_SINK_KAFKA, dv, where);
        else
                bs_hit(sc, BS_SINK_KAFKA, r->value, r->len, "%s (raw)", where);
        if (r->rkm && !rd_kafka_message_headers(r->rkm, &hs)) {
                const char *name;
                const void *hv;
                size_t hl;
                for (size_t h = 0;
                     !rd_kafka_header_get_all(hs, h, &name, &hv, &hl); h++)
                        bs_hit(sc, BS_SINK_KAFKA, hv, hl,
                               "%s @%" PRId64 " header %s", topic, r->offset,
                               name);
        }
        if (!strcmp(topic, BS_T_OUT)) {
                avro_value_t *val;
                if (!vg_avro_decode(svc->reg, r->value, r->len, NULL, &val,
                                    errstr, sizeof(errstr))) {
                        bs_ins_t in;
                        bs_ins_read(val, &in);
                        sc->run->insights++;
                        sc->run->with_pseudonym += in.has_pseudonym;
                }
        } else if (!strcmp(topic, BS_T_DLQ)) {
                avro_value_t *val;
                sc->run->dlq++;
                if (!vg_avro_decode(svc->reg, r->value, r->len, NULL, &val,
                                    errstr, sizeof(errstr)) &&
                    sc->run->ndlq_reasons < 8)
                        snprintf(sc->run->dlq_reasons[sc->run->ndlq_reasons++],
                                 200, "%s: %s",
                                 vg_avro_str_or(val, "error_class", "?"),
                                 vg_avro_str_or(val, "error_message", "?"));
        } else if (!strcmp(topic, BS_T_ALERTS)) {
                sc->run->alerts++;
        }
}

/** @brief Scans every record (key, value, headers) of every topic but
 *         the input. @returns 0, or -1. */
static int bs_scan_topics(bench_svc_t *svc, bs_scan_t *sc, int input)
{
        const struct rd_kafka_metadata *md;
        if (rd_kafka_metadata(svc->rk, 1, NULL, &md, 10000))
                return -1;
        for (int t = 0; t < md->topic_cnt; t++) {
                bs_scan_topic_t st = {svc, sc, md->topics[t].topic};
                if ((strcmp(st.topic, BS_T_IN) == 0) != input ||
                    st.topic[0] == '_')
                        continue;
                if (bench_read_raw(svc, st.topic, 120, bs_scan_rec, &st) ==
                    -1) {
                        rd_kafka_metadata_destroy(md);
                        return -1;
                }
        }
        rd_kafka_metadata_destroy(md);
        return 0;
}

/** @brief Scans the whole file \p path (its bytes) for the needles. */
static void bs_scan_file(bs_scan_t *sc, const char *path)
{
        char *line = NULL;
        size_t cap = 0;
        long no    = 0;
        ssize_t n;
        FILE *fp = fopen(path, "r");
        while (fp && (n = getline(&line, &cap, fp)) >= 0)
                bs_hit(sc, BS_SINK_LOG, line, (size_t)n, "log line %ld",
                       ++no);
        free(line);
        if (fp)
                fclose(fp);
}

static int bs_priv_run(bench_svc_t *svc, const bs_opts_t *o, bs_priv_t *pv,
                       int strict)
{
        bs_priv_run_t *run = &pv->run[strict];
        bs_recs_t rs       = {0};
        bs_scan_t sc       = {pv, run};
        static const char *const kv[] = {"kafka.linger.ms=5", NULL};
        const char *const xs[] = {"survey.strict=true", NULL};
        vg_kafka_t *k = NULL;
        redisContext *c = NULL;
        int rc = -1, valid = 0;

        run->strict = strict;
        if (bs_priv_records(pv, svc->reg, &rs))
                goto done;
        for (size_t i = 0; i < rs.n; i++)
                valid += rs.r[i].valid;
        if (strict) /* no key at all: strict mode needs none */
                unsetenv(BS_KEY_ENV);
        int started = bench_proc_start(svc, &o->base, &run->proc,
                                       "vigie-survey",
                                       strict ? "survey-strict"
                                              : "survey-privacy",
                                       strict ? xs : NULL);
        setenv(BS_KEY_ENV, BS_KEY, 1);
        if (started || !(k = bench_producer(svc, kv)))
                goto done;
        bench_note("privacy%s: %zu responses (%d invalid) to %s",
                   strict ? " (strict)" : "", rs.n, pv->ninvalid, BS_T_IN);
        for (size_t i = 0; i < rs.n; i++)
                if (bs_produce(k, &rs.r[i]))
                        goto done;
        if (bench_flush(k))
                goto done;
        /* every insight and dead letter out, then the drain */
        int nout = bench_parts(svc->rk, BS_T_OUT);
        int ndlq = bench_parts(svc->rk, BS_T_DLQ);
        uint64_t t0 = bench_now_ns();
        while ((bench_end_offsets(svc->rk, BS_T_OUT, nout) < valid ||
                bench_end_offsets(svc->rk, BS_T_DLQ, ndlq) <
                        (int64_t)rs.n - valid) &&
               bench_secs(t0, bench_now_ns()) < 60 &&
               bench_alive(run->proc.pid, NULL))
                bench_sleep_ms(50);
        bench_settle(svc, &run->proc, BS_T_IN, 30);
        bench_proc_finish(&run->proc, "vigie-survey summary");
        /* scan */
        if (bs_scan_topics(svc, &sc, 0))
                goto done;
        /* the scanner's check: the raw input holds every string */
        {
                bs_priv_run_t *ctl = vg_calloc(1, sizeof(*ctl));
                bs_scan_t csc      = {pv, ctl};
                int64_t before[1024];
                size_t m = pv->nnd < 1024 ? pv->nnd : 1024;
                for (size_t i = 0; i < m; i++)
                        before[i] = pv->nd[i].found[BS_SINK_KAFKA];
                if (bs_scan_topics(svc, &csc, 1) == 0) {
                        run->ctl_total = ctl->total;
                        for (size_t i = 0; i < m; i++)
                                run->ctl_distinct +=
                                        pv->nd[i].found[BS_SINK_KAFKA] >
                                        before[i];
                }
                vg_free(ctl);
        }
        char match[160];
        if (!(c = bs_redis(svc)))
                goto done;
        snprintf(match, sizeof(match), "*");
        if (bs_scan(c, match, bs_scan_key, &sc) < 0)
                goto done;
        bs_scan_file(&sc, run->proc.log);
        rc = 0;
done:
        if (c)
                redisFree(c);
        if (k)
                vg_kafka_close(k, 5000);
        if (rc && run->proc.pid > 0)
                bench_log_tail(run->proc.log, 30);
        bench_proc_finish(&run->proc, "vigie-survey summary");
        bs_recs_free(&rs);
        run->ok = rc == 0;
        return rc;
}

static void bs_priv_report(const bs_priv_t *pv, int64_t valid)
{
        int64_t amb = 0, resp = 0;
        for (size_t k = 0; k < pv->nnd; k++) {
                amb += pv->nd[k].ambiguous;
                resp += !strcmp(pv->nd[k].kind, "respondent");
        }
        printf("\n3. Privacy scan (tests/data/pii_corpus.tsv as comments, "
               "respondents as e-mail addresses)\n");
        printf("   corpus         %zu sentences, %s planted items (%s "
               "distinct strings, %s of them also\n"
               "                  inside text that must stay, e.g. a "
               "surname in a kept sentence: marked ~);\n"
               "                  %s respondent e-mails; %d invalid "
               "records with personal data (dead letters)\n",
               pv->nsent, BENCH_INT(pv->planted),
               BENCH_INT((int64_t)pv->nnd - resp), BENCH_INT(amb),
               BENCH_INT(resp), pv->ninvalid);
        for (int s = 0; s < 2; s++) {
                const bs_priv_run_t *r = &pv->run[s];
                printf("\n   %s\n", s ? "strict mode (-X survey.strict=true, "
                                          "no pseudonym key in the "
                                          "environment)"
                                        : "pseudonymised (key from "
                                          "VIGIE_PSEUDONYM_KEY)");
                if (!r->ok) {
                        printf("   measurement FAILED (see messages "
                               "above)\n");
                        continue;
                }
                printf("   scanned        %s records of every topic but "
                       "%s (%s insights of %s expected,\n"
                       "                  %s dead letters, %s alerts), %s "
                       "Redis keys (SCAN, TYPE, content),\n"
                       "                  vigie-survey's log\n",
                       BENCH_INT(r->topic_records), BS_T_IN,
                       BENCH_INT(r->insights), BENCH_INT(valid),
                       BENCH_INT(r->dlq), BENCH_INT(r->alerts),
                       BENCH_INT(r->redis_keys));
                for (int i = 0; i < r->ndlq_reasons; i++)
                        printf("                  dead letter: %s\n",
                               r->dlq_reasons[i]);
                printf("   scanner check  the raw input (%s, not an output) "
                       "holds %s of the %s strings\n"
                       "                  (%s occurrences): the scan "
                       "finds them where they are\n", BS_T_IN,
                       BENCH_INT(r->ctl_distinct),
                       BENCH_INT((int64_t)pv->nnd),
                       BENCH_INT(r->ctl_total));
                printf("   found          %s occurrence(s) of planted "
                       "strings or respondents   target 0   %s\n",
                       BENCH_INT(r->total), bench_met(r->total == 0));
                for (int k = 0; k < BS_NSINKS; k++)
                        printf("                    %-20s %s\n",
                               bs_sink_names[k], BENCH_INT(r->found[k]));
                for (int i = 0; i < r->nleaks; i++) {
                        const bs_needle_t *n = &pv->nd[r->leaks[i].needle];
                        printf("     LEAK %s%s \"%s\" in %s: %s\n",
                               n->ambiguous ? "~" : "", n->kind, n->s,
                               bs_sink_names[r->leaks[i].sink],
                               r->leaks[i].where);
                }
                if (r->nleaks == 40)
                        printf("     ... (only the first 40 places "
                               "listed)\n");
                if (!s)
                        printf("   pseudonyms     %s insights carry a "
                               "respondent_pseudonym, %s Redis insights a "
                               "pseudonym field\n",
                               BENCH_INT(r->with_pseudonym),
                               BENCH_INT(r->redis_pseudonym_fields));
                else
                        printf("   pseudonyms     insights with a "
                               "respondent_pseudonym: %s, Redis values "
                               "holding \"p-<32 hex>\": %s,\n"
                               "                  pseudonym fields: %s   "
                               "target 0   %s\n",
                               BENCH_INT(r->with_pseudonym),
                               BENCH_INT(r->redis_p_values),
                               BENCH_INT(r->redis_pseudonym_fields),
                               bench_met(r->with_pseudonym == 0 &&
                                         r->redis_p_values == 0 &&
                                         r->redis_pseudonym_fields == 0));
                bench_print_summary("vigie-survey's closing summary",
                                    &r->proc);
        }
}

static void bs_priv_free(bs_priv_t *pv)
{
        vg_free(pv->sentences);
        vg_free(pv->nd);
        memset(pv, 0, sizeof(*pv));
}

/* ---------------------------------------------------------------------- */
/* Part 4: speed                                                          */

/** Comments of ~200 characters cut from the reviews. */
typedef struct bs_pool_s {
        char (*c)[512];
        double *rating;
        size_t n;
        double mean_chars;
} bs_pool_t;

/* The first \p max characters (code points) of \p s: their bytes. */
static size_t bs_chars(const char *s, size_t max, size_t *nchars)
{
        size_t i = 0, n = 0, len = strlen(s);
        while (i < len && n < max) {
                uint32_t cp;
                size_t k = vg_utf8_decode(s + i, len - i, &cp);
                i += k ? k : 1;
                n++;
        }
        *nchars = n;
        return i;
}

static void bs_pool_make(bs_pool_t *pl, const bs_reviews_t *rv)
{
        double sum = 0;
        memset(pl, 0, sizeof(*pl));
        pl->c      = vg_malloc((rv->n + 1) * sizeof(*pl->c));
        pl->rating = vg_malloc((rv->n + 1) * sizeof(double));
        for (size_t i = 0; i < rv->n; i++) {
                size_t nch, b = bs_chars(rv->v[i].text, 200, &nch);
                if (nch < 200 || b >= sizeof(pl->c[0]))
                        continue;
                memcpy(pl->c[pl->n], rv->v[i].text, b);
                pl->c[pl->n][b]   = '\0';
                pl->rating[pl->n] = rv->v[i].rating;
                sum += (double)nch;
                pl->n++;
        }
        pl->mean_chars = pl->n ? sum / (double)pl->n : 0;
}

static void bs_pool_free(bs_pool_t *pl)
{
        vg_free(pl->c);
        vg_free(pl->rating);
        memset(pl, 0, sizeof(*pl));
}

/** Response \p i of the speed part ("<prefix><i>"), encoded into \p val. */
static void bs_speed_resp(const bs_pool_t *pl, const char *prefix,
                          int64_t i, char *id, size_t idsize, char *who,
                          size_t whosize, bs_resp_t *rp)
{
        size_t k = (size_t)i % pl->n;
        snprintf(id, idsize, "%s%06" PRId64, prefix, i);
        snprintf(who, whosize, "user%04d@corp.example", (int)(i % 3000));
        memset(rp, 0, sizeof(*rp));
        rp->id         = id;
        rp->survey     = "IT support satisfaction";
        rp->respondent = who;
        rp->service    = bs_services[i % (int64_t)BS_NSERVICES];
        rp->comment    = pl->c[k];
        rp->score      = bs_score10(pl->rating[k]);
        rp->scale_max  = 10;
        rp->t          = BS_T0_MS + i * 30000;
}

typedef struct bs_speed_res_s {
        bench_speed_t s;
        int64_t n, bytes;
        char stats[512], ckpt[512];
        int nckpt;
} bs_speed_res_t;

/* The latency run's inputs: "L<i>", after the backlog in event time. */
typedef struct bs_lat_src_s {
        const bs_pool_t *pl;
        vg_avro_schema_t *sch;
        avro_value_t val;
        int64_t next, base;
} bs_lat_src_t;

static int bs_lat_next(void *opaque, bench_ev_t *ev)
{
        bs_lat_src_t *ls = opaque;
        char id[32], who[64], errstr[256];
        bs_resp_t rp;
        bs_recs_t one = {0};
        bs_speed_resp(ls->pl, "L", ls->base + ls->next++, id, sizeof(id),
                      who, sizeof(who), &rp);
        if (bs_encode(&one, ls->sch, &ls->val, &rp)) {
                bs_recs_free(&one);
                return -1;
        }
        memset(ev, 0, sizeof(*ev));
        snprintf(ev->number, sizeof(ev->number), "%s", id);
        ev->event_time = rp.t;
        ev->scored     = 1;
        ev->buf        = one.r[0].buf;
        ev->len        = one.r[0].len;
        one.r[0].buf   = NULL;
        bs_recs_free(&one);
        (void)errstr;
        return 1;
}

/* Record \p i of the backlog (bench_rec_at_t). */
static const char *bs_rec_at(void *opaque, size_t i, const void **buf,
                             size_t *len)
{
        const bs_rec_t *r = &((const bs_recs_t *)opaque)->r[i];
        *buf              = r->buf;
        *len              = r->len;
        return r->id;
}

static int bs_speed_run(bench_svc_t *svc, const bs_opts_t *o,
                        const bs_pool_t *pl, bs_speed_res_t *res)
{
        vg_avro_schema_t *sch = bs_schema(svc->reg);
        bs_recs_t rs = {0};
        avro_value_t val;
        char id[32], who[64];
        int rc = -1;

        if (!pl->n) {
                fprintf(stderr, "vigie-bench: speed: no review of 200 "
                        "characters or more\n");
                return -1;
        }
        vg_avro_schema_value_new(sch, &val);
        for (int64_t i = 0; i < o->backlog; i++) {
                bs_resp_t rp;
                bs_speed_resp(pl, "SP", i, id, sizeof(id), who, sizeof(who),
                              &rp);
                if (bs_encode(&rs, sch, &val, &rp))
                        break;
        }
        avro_value_decref(&val);
        res->n     = (int64_t)rs.n;
        res->bytes = rs.bytes;
        if (res->n != o->backlog ||
            bench_speed_produce(svc, &res->s, BS_T_IN, bs_rec_at, &rs, rs.n,
                                "responses") ||
            bench_speed_backlog(svc, &o->base, &res->s, "vigie-survey",
                                "survey-speed", BS_T_IN, BS_T_OUT, res->n,
                                res->n))
                goto done;

        bs_lat_src_t ls = {pl, sch, {0}, 0, o->backlog};
        vg_avro_schema_value_new(sch, &ls.val);
        bench_lat_io_t io = {
                .in_topic  = BS_T_IN,
                .out_topic = BS_T_OUT,
                .next      = bs_lat_next,
                .out_id    = "response_id",
                .opaque    = &ls,
                .proc_name = "vigie-survey",
        };
        bench_speed_latency(svc, &res->s, &io, o->rate, o->secs, "responses");
        avro_value_decref(&ls.val);
        rc = 0;
done:
        bench_proc_finish(&res->s.proc, "vigie-survey summary");
        /* what the report quotes of the log, before its directory goes */
        if (bench_log_last(res->s.proc.log, "in=", res->stats,
                           sizeof(res->stats)))
                res->stats[strcspn(res->stats, "\"")] = '\0';
        res->nckpt = bench_log_count(res->s.proc.log, "checkpoint: ");
        if (bench_log_last(res->s.proc.log, "checkpoint: ", res->ckpt,
                           sizeof(res->ckpt)))
                res->ckpt[strcspn(res->ckpt, "\"")] = '\0';
        bs_recs_free(&rs);
        return rc;
}

static void bs_speed_report(const bs_opts_t *o, const bs_pool_t *pl,
                            bs_speed_res_t *sr)
{
        bench_speed_t *r = &sr->s;
        printf("\n4. Speed (%d partitions, one vigie-survey, pre-produced "
               "backlog)\n", o->base.partitions);
        if (bench_failed(r->tp_ok))
                return;
        printf("   backlog                            %s responses (%.0f "
               "B/record Avro), produced zstd in %.1f s;\n"
               "                                      comments: %s reviews "
               "cut to 200 characters (mean %.0f),\n"
               "                                      language to detect, "
               "a respondent e-mail and a service each;\n"
               "                                      %s dropped by the "
               "broker (log start offsets)\n",
               BENCH_INT(sr->n), (double)sr->bytes / (double)sr->n,
               r->produce_s, BENCH_INT(pl->n), pl->mean_chars,
               BENCH_INT(r->dropped));
        printf("   insights                           %s of %s%s; %s of %s "
               "input offsets committed\n",
               BENCH_INT(r->w.reached), BENCH_INT(sr->n),
               r->w.reached < sr->n ? " (STOPPED GROWING)" : "",
               BENCH_INT(r->committed), BENCH_INT(sr->n));
        bench_speed_print_rate(r, "verbatims");
        if (r->pipe_rate > 0)
                printf("   bare pipe (same records, same run) %s records/s\n"
                       "   vigie-survey = %.3f x bare pipe\n",
                       BENCH_INT((int64_t)r->pipe_rate),
                       r->rate / r->pipe_rate);
        else
                printf("   bare pipe: measurement FAILED\n");
        bench_speed_print_cpu(r, sr->n, "vigie-survey");
        if (*sr->stats)
                printf("   %-34s %s\n", "vigie-survey's last stats line:",
                       sr->stats);
        printf("\n   latency, vigie-survey running, paced producer "
               "(CreateTime = now; new responses L<i>)\n");
        bench_print_lat("vigie defaults (vigie-survey: linger.ms 2, "
                        "fetch.wait.max.ms 5; producer: linger.ms 2)",
                        "to score", "insight", &r->lat, r->lat_ok, 0);
        if (*sr->ckpt)
                printf("     vigie-survey's model checkpoints (they pause "
                       "its batches): %d in this part's\n"
                       "     log, the last (at SIGTERM): %s\n", sr->nckpt,
                       sr->ckpt);
        bench_speed_print_memory(r, "vigie-survey");
        bench_print_summary("vigie-survey's closing summary", &r->proc);
}

/* ---------------------------------------------------------------------- */
/* Main                                                                   */

static void bs_print_header(const bs_opts_t *o)
{
        printf("\nvigie-bench surveys: survey processor, end to end\n"
               "=================================================\n");
        bench_print_run();
        printf("setup: private vigie-broker and redis-server per part, "
               "vigie-survey as a separate process,\n"
               "       pseudonym key: the bench's own (%s)%s\n", BS_KEY_ENV,
               o->base.quick ? "; --quick: small run, figures NOT comparable"
                        : "");
        for (int i = 0; i < o->base.nx; i++)
                printf("       -X %s\n", o->base.xs[i]);
}

int bench_surveys_main(int argc, char **argv)
{
        static const char *const need[] = {BS_T_IN, BS_T_OUT, BS_T_ALERTS,
                                           BS_T_DLQ};
        bs_opts_t o;
        bench_svc_t svc;
        bs_ref_t ref;
        bs_reviews_t rv         = {0};
        bs_pool_t pool          = {0};
        bs_rev_res_t *rres      = vg_calloc(1, sizeof(*rres));
        bs_spike_res_t *sres    = vg_calloc(1, sizeof(*sres));
        bs_priv_t *pv           = vg_calloc(1, sizeof(*pv));
        bs_speed_res_t *speed   = vg_calloc(1, sizeof(*speed));
        int rc = bs_opts(&o, argc, argv), failed = 0;
        int partitions = o.base.partitions;
        int64_t priv_valid = 0;
        uint64_t t0 = bench_now_ns();

        if (rc >= 0) {
                if (rc)
                        bs_usage(stderr);
                goto out;
        }
        rc = 0;
        vg_log_set_level_name("warn");
        setenv(BS_KEY_ENV, BS_KEY, 1);
        bs_ref_load(o.base.ref, &ref);
        if (!o.base.skip[BS_REVIEWS] || !o.base.skip[BS_SPEED]) {
                bench_note("reading %s", o.reviews);
                if (bs_reviews_load(&rv, o.reviews)) {
                        rc = 1;
                        goto out;
                }
        }
        if (!o.base.skip[BS_REVIEWS]) {
                rres->n = o.base.quick && rv.n > 2000 ? 2000 : rv.n;
                o.base.partitions = 1;
                if (bench_svc_start(&svc, &o.base, need, 4, need, 4) == 0)
                        rres->ok = bs_reviews_run(&svc, &o, &rv, rres) == 0;
                bs_reviews_eval(&rv, rres);
                bench_part_stop(&svc);
                failed |= !rres->ok;
        }
        o.base.partitions = partitions;
        if (!o.base.skip[BS_SPIKE]) {
                if (bench_svc_start(&svc, &o.base, need, 4, need, 4) == 0)
                        sres->ok = bs_spike_run(&svc, &o, sres) == 0;
                if (sres->ok)
                        bs_spike_eval(&o, sres);
                bench_part_stop(&svc);
                failed |= !sres->ok;
        }
        if (!o.base.skip[BS_PRIVACY]) {
                char path[PATH_MAX + 64];
                snprintf(path, sizeof(path), "%s" BS_PII_REL,
                         bench_src_dir());
                if (bs_priv_load(pv, path)) {
                        failed = 1;
                } else {
                        for (int strict = 0; strict < 2; strict++) {
                                if (bench_svc_start(&svc, &o.base, need, 4,
                                                    need, 4) ||
                                    bs_priv_run(&svc, &o, pv, strict))
                                        failed = 1;
                                bench_part_stop(&svc);
                        }
                        priv_valid = (int64_t)pv->nsent;
                }
        }
        if (!o.base.skip[BS_SPEED]) {
                bs_pool_make(&pool, &rv);
                if (bench_svc_start(&svc, &o.base, need, 4, need, 4) == 0)
                        failed |= bs_speed_run(&svc, &o, &pool, speed) != 0;
                else
                        failed = 1;
                bench_part_stop(&svc);
        }

        bs_print_header(&o);
        if (!o.base.skip[BS_REVIEWS])
                bs_reviews_report(&o, &rv, rres, &ref);
        if (!o.base.skip[BS_SPIKE])
                bs_spike_report(&o, sres);
        if (!o.base.skip[BS_PRIVACY])
                bs_priv_report(pv, priv_valid);
        if (!o.base.skip[BS_SPEED])
                bs_speed_report(&o, &pool, speed);
        printf("\ntotal time %.0f s\n", bench_secs(t0, bench_now_ns()));
        bench_print_kept();
        rc = failed;
out:
        fflush(stdout);
        bench_lat_free(&speed->s.lat);
        bs_pool_free(&pool);
        bs_reviews_free(&rv);
        bs_topics_free(&sres->topics);
        vg_free(sres->g);
        vg_free(sres->alerts);
        bs_priv_free(pv);
        vg_free(rres);
        vg_free(sres);
        vg_free(pv);
        vg_free(speed);
        return rc;
}
