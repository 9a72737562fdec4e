/**
 * @file ctl_produce.c
 * @brief vigie-ctl produce: JSON Lines or CSV to an Avro topic, or several
 *        inputs to their topics as one stream merged in event time.
 *
 * Every file is an input (ctl_in_t) read one record ahead: the record is
 * converted to its topic's schema and encoded before it is due, so that
 * the merge (--merge) can compare the next record of every input by its
 * event time. Without --merge the files are read one after the other.
 */
#include "ctl.h"
#include "ctl_csv.h"
#include "vg_avro.h"
#include "vg_kafka.h"
#include "vg_log.h"
#include "vg_mem.h"

#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

void ctl_produce_usage(FILE *fp)
{
        fprintf(fp,
                "Usage: vigie-ctl [global options] produce -t TOPIC "
                "[options] [FILE.jsonl|FILE.csv ...]\n"
                "       vigie-ctl [global options] produce --merge "
                "TOPIC=FILE [--merge TOPIC=FILE ...]\n"
                "                 [--time-field [TOPIC=]FIELD] "
                "[options]\n\n"
                "Reads JSON Lines (one ServiceNow-shaped object per line) "
                "or a CSV export\n(stdin without FILE or with -), converts "
                "each record to the topic's Avro\nschema and produces it in "
                "the Confluent wire format. A record that does not\nconvert "
                "is reported as FILE:LINE: field: reason and skipped; the "
                "others are\nproduced.\n\n"
                "--merge: each input goes to its own topic, and the inputs "
                "are produced as one\nstream in event-time order: the next "
                "record produced is, of every input's next\nrecord, the one "
                "with the earliest time field once converted (ties: the "
                "input\ngiven first). Each input is in event-time order "
                "itself, as vigie-ctl gen writes\nthem; its own order is "
                "always kept, so a record written late in its file goes\n"
                "out late, as it would live. A record whose time field is "
                "null keeps its\ninput's previous time. -r paces the merged "
                "stream; the summary counts each\ntopic.\n\n"
                "CSV (RFC 4180; FILE.csv, or --format csv): a header line of "
                "column names, then\none record per line (a quoted field "
                "may hold commas, \"\" and newlines). A column\nfills the "
                "field of its name (or of its --map); other columns are "
                "ignored. An\nunquoted field that is empty or ? is null. "
                "Timestamps: 2016-02-29 01:16:00,\n29/2/2016 01:16, "
                "ISO-8601 or epoch millis.\n\n"
                "Options:\n"
                "  -t, --topic TOPIC     destination topic (its schema: "
                "schema.dir/registry.json)\n"
                "      --merge TOPIC=FILE\n"
                "                        FILE to TOPIC, merged in event time "
                "with the other\n"
                "                        --merge inputs (repeatable; "
                "instead of -t and FILE)\n"
                "      --time-field [TOPIC=]FIELD\n"
                "                        the event time of --merge (default "
                "sys_updated_on);\n"
                "                        TOPIC= sets it for one topic, e.g.\n"
                "                        itsm.surveys=submitted_at "
                "(repeatable, in order)\n"
                "  -f, --format FMT      jsonl or csv (default: csv for "
                "files named *.csv,\n"
                "                        else jsonl)\n"
                "  -M, --map COL=FIELD   CSV column COL fills FIELD "
                "(repeatable; COL= ignores COL;\n"
                "                        with --merge, FIELD must be in "
                "every CSV input's schema)\n"
                "      --map-file FILE   --map lines from FILE (COL=FIELD, "
                "# comments)\n"
                "  -k, --key FIELD       record key from this field "
                "(default: the first field)\n"
                "  -m, --max-errors N    stop after N bad lines (default "
                "0: never)\n"
                "  -r, --rate N          at most N records/s (default: as "
                "fast as possible,\n"
                "                        in batches: kafka.linger.ms=50 "
                "unless set)\n"
                "  -q, --quiet           no progress line\n\n"
                "Examples:\n"
                "  vigie-ctl produce -t itsm.changes changes.jsonl\n"
                "  vigie-ctl produce --merge itsm.changes=changes.jsonl "
                "--merge \\\n"
                "      itsm.incidents=incidents.jsonl -r 2000\n\n"
                "Exit status: 0 all lines produced and acknowledged, 1 some "
                "lines rejected or\nnot delivered, 2 usage or set-up "
                "error.\n");
}

/* A destination topic and its counts. */
typedef struct ctl_topic_s {
        const char *topic;
        vg_avro_schema_t *sch;
        const char *time_field; /* --merge: the event time */
        const char *key_field;  /* -k, or the schema's first field */
        long long ok, bad;
} ctl_topic_t;

/* One input file, read one record ahead. */
typedef struct ctl_in_s {
        const char *path; /* as given ("-": stdin) */
        const char *name; /* in messages: path, or "<stdin>" */
        ctl_topic_t *tp;
        FILE *fp;
        ctl_csv_t *csv; /* a CSV input, else NULL */
        char *line;     /* JSON Lines: getline()'s buffer */
        size_t cap;
        long long lines;  /* the line of the record in val */
        avro_value_t val; /* the record, converted */
        void *buf;        /* ... and encoded (ready) */
        size_t blen;
        const char *key; /* borrowed from val */
        size_t keylen;
        int64_t t; /* its event time (--merge) */
        int ready; /* 1: val, buf, key and t hold the next record */
} ctl_in_t;

typedef struct ctl_prod_s {
        vg_kafka_t *k;
        const char *key_field, *format;
        ctl_csv_map_t *map;
        ctl_topic_t *topics;
        int ntopics;
        ctl_in_t *ins;
        int nins, merge;
        long long total, ok, bad, max_errors;
        int stop; /* --max-errors reached */
        double rate;
        int quiet;
        struct timespec t0, last;
} ctl_prod_t;

static double ctl_elapsed(const struct timespec *a, const struct timespec *b)
{
        return (double)(b->tv_sec - a->tv_sec) +
               (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void ctl_prod_progress(ctl_prod_t *p, int final)
{
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (!final && (p->quiet || ctl_elapsed(&p->last, &now) < 1.0))
                return;
        p->last  = now;
        double s = ctl_elapsed(&p->t0, &now);
        fprintf(stderr, "%s%lld lines, %lld queued, %lld rejected, "
                        "%.1f s, %.0f records/s%s",
                p->quiet ? "" : "\r", p->total, p->ok, p->bad, s,
                s > 0 ? (double)p->ok / s : 0.0, final ? "\n" : "");
}

/* With --rate, sleeps until the next record is due. */
static void ctl_prod_pace(ctl_prod_t *p)
{
        struct timespec now;
        if (p->rate <= 0)
                return;
        double due = (double)p->ok / p->rate;
        for (;;) {
                clock_gettime(CLOCK_MONOTONIC, &now);
                double late = ctl_elapsed(&p->t0, &now) - due;
                if (late >= 0)
                        return;
                vg_kafka_poll(p->k, 0);
                usleep(late < -0.001 ? 1000 : (useconds_t)(-late * 1e6));
        }
}

/* Counts a rejected line of \p in; --max-errors stops the run. */
static void ctl_prod_reject(ctl_prod_t *p, ctl_in_t *in)
{
        in->tp->bad++;
        if (++p->bad == p->max_errors)
                p->stop = 1;
}

/* Encodes in->val into in->buf, with its key and (--merge) its time.
 * @returns 0, or -1 when the record was rejected. */
static int ctl_in_encode(ctl_prod_t *p, ctl_in_t *in)
{
        char errstr[512];
        int64_t t;

        if (vg_avro_encode(in->tp->sch, &in->val, &in->buf, &in->blen,
                           errstr, sizeof(errstr))) {
                in->buf = NULL;
                fprintf(stderr, "%s%s:%lld: %s\n", p->quiet ? "" : "\r",
                        in->name, in->lines, errstr);
                return -1;
        }
        in->key    = NULL;
        in->keylen = 0;
        vg_avro_get_str(&in->val, in->tp->key_field, &in->key, &in->keylen);
        if (p->merge &&
            vg_avro_get_long(&in->val, in->tp->time_field, &t) == VG_OK)
                in->t = t; /* else (null): the input's previous time */
        return 0;
}

/* Reads the next record of a JSON Lines input into in->val.
 * @returns 1 (a record), 0 (a rejected line) or -1 (end of input). */
static int ctl_in_read_json(ctl_prod_t *p, ctl_in_t *in)
{
        char errstr[512];
        ssize_t n;

        do {
                if ((n = getline(&in->line, &in->cap, in->fp)) == -1)
                        return -1;
                in->lines++;
                p->total++;
                while (n > 0 && (in->line[n - 1] == '\n' ||
                                 in->line[n - 1] == '\r'))
                        in->line[--n] = '\0';
        } while (n == 0);
        if (vg_avro_from_json(in->tp->sch, in->line, (size_t)n, &in->val,
                              errstr, sizeof(errstr))) {
                fprintf(stderr, "%s%s:%lld: %s\n", p->quiet ? "" : "\r",
                        in->name, in->lines, errstr);
                return 0;
        }
        return 1;
}

/* The same for a CSV input. */
static int ctl_in_read_csv(ctl_prod_t *p, ctl_in_t *in)
{
        char errstr[1024];
        int r = ctl_csv_read(in->csv, &in->val, errstr, sizeof(errstr));

        if (r == CTL_CSV_EOF)
                return -1;
        in->lines = ctl_csv_line(in->csv);
        p->total++;
        if (r == CTL_CSV_BAD) {
                fprintf(stderr, "%s%s\n", p->quiet ? "" : "\r", errstr);
                return 0;
        }
        return 1;
}

/* Makes the next good record of \p in ready, reporting and counting the
 * bad ones on the way. @returns in->ready. */
static int ctl_in_next(ctl_prod_t *p, ctl_in_t *in)
{
        in->ready = 0;
        while (!ctl_stop && !p->stop) {
                int r = in->csv ? ctl_in_read_csv(p, in)
                                : ctl_in_read_json(p, in);
                if (r < 0)
                        break;
                if ((p->total & 1023) == 0) {
                        vg_kafka_poll(p->k, 0);
                        ctl_prod_progress(p, 0);
                }
                if (r > 0 && ctl_in_encode(p, in) == 0)
                        return in->ready = 1;
                ctl_prod_reject(p, in);
        }
        return 0;
}

/* Produces the ready record of \p in (when it is due, with --rate). */
static void ctl_in_send(ctl_prod_t *p, ctl_in_t *in)
{
        char errstr[512];

        ctl_prod_pace(p);
        vg_err_t err = vg_kafka_produce(p->k, NULL, in->tp->topic, in->key,
                                        in->keylen, in->buf, in->blen, 0,
                                        errstr, sizeof(errstr));
        vg_free(in->buf);
        in->buf   = NULL;
        in->ready = 0;
        if (err) {
                fprintf(stderr, "%s:%lld: %s\n", in->name, in->lines, errstr);
                ctl_prod_reject(p, in);
                return;
        }
        p->ok++;
        in->tp->ok++;
}

/* Says which columns of a CSV header are ignored and which fields no
 * column fills (they take their default). */
static void ctl_prod_csv_notice(const vg_avro_schema_t *sch,
                                const ctl_csv_t *csv, const char *name)
{
        avro_schema_t schema = vg_avro_schema_avro(sch);
        size_t i, n = 0;

        for (i = 0; i < ctl_csv_ncols(csv); i++) {
                if (ctl_csv_col_field(csv, i))
                        continue;
                if (n++ == 0)
                        fprintf(stderr, "vigie-ctl produce: %s: column(s) "
                                "not in %s, ignored: ", name,
                                vg_avro_schema_name(sch));
                fprintf(stderr, "%s%s", n > 1 ? ", " : "",
                        ctl_csv_col_name(csv, i));
        }
        if (n)
                fputc('\n', stderr);
        n = 0;
        for (i = 0; i < avro_schema_record_size(schema); i++) {
                const char *f = avro_schema_record_field_name(schema, (int)i);
                if (ctl_csv_field_col(csv, f) >= 0)
                        continue;
                if (n++ == 0)
                        fprintf(stderr, "vigie-ctl produce: %s: no column "
                                "for field(s), left to their default: ",
                                name);
                fprintf(stderr, "%s%s", n > 1 ? ", " : "", f);
        }
        if (n)
                fputc('\n', stderr);
}

/* @returns 1 if \p path is read as CSV: --format csv, or no --format and
 *          a name ending in .csv. */
static int ctl_prod_is_csv(const ctl_prod_t *p, const char *path)
{
        size_t n = strlen(path);

        if (p->format)
                return !strcmp(p->format, "csv");
        return n > 4 && !strcasecmp(path + n - 4, ".csv");
}

/* Closes \p in (NULL-safe fields: also after a failed open). */
static void ctl_in_close(ctl_in_t *in)
{
        ctl_csv_destroy(in->csv);
        in->csv = NULL;
        if (in->fp && in->fp != stdin)
                fclose(in->fp);
        in->fp = NULL;
        free(in->line);
        in->line = NULL;
        vg_free(in->buf);
        in->buf   = NULL;
        in->ready = 0;
}

/* Opens \p in (a CSV input's header is read) and makes its first record
 * ready. @returns 0, or -1 (said why) when it cannot be read. */
static int ctl_in_open(ctl_prod_t *p, ctl_in_t *in)
{
        char errstr[1024];

        in->fp    = strcmp(in->path, "-") ? fopen(in->path, "r") : stdin;
        in->name  = in->fp == stdin ? "<stdin>" : in->path;
        in->lines = 0;
        in->t     = INT64_MIN;
        if (!in->fp) {
                fprintf(stderr, "vigie-ctl produce: %s: %s\n", in->path,
                        strerror(errno));
                return -1;
        }
        if (ctl_prod_is_csv(p, in->path)) {
                in->csv = ctl_csv_new(in->fp, in->name);
                if (ctl_csv_header(in->csv, in->tp->sch, p->map, errstr,
                                   sizeof(errstr))) {
                        fprintf(stderr, "vigie-ctl produce: %s\n", errstr);
                        ctl_in_close(in);
                        return -1;
                }
                if (!p->quiet)
                        ctl_prod_csv_notice(in->tp->sch, in->csv, in->name);
        }
        ctl_in_next(p, in);
        return 0;
}

/* Without --merge: every file in turn. @returns 0, or -1 if a file
 * could not be read. */
static int ctl_prod_sequence(ctl_prod_t *p)
{
        int rc = 0;

        for (int i = 0; i < p->nins && !ctl_stop && !p->stop; i++) {
                ctl_in_t *in = &p->ins[i];
                if (ctl_in_open(p, in)) {
                        rc = -1;
                        continue;
                }
                while (in->ready) {
                        ctl_in_send(p, in);
                        ctl_in_next(p, in);
                }
                ctl_in_close(in);
        }
        return rc;
}

/* --merge: always the ready record of earliest time, the first input on
 * ties. @returns 0, or -1 if an input could not be read. */
static int ctl_prod_merged(ctl_prod_t *p)
{
        int rc = 0;

        for (int i = 0; i < p->nins; i++)
                if (ctl_in_open(p, &p->ins[i]))
                        rc = -1;
        for (;;) {
                ctl_in_t *best = NULL;
                for (int i = 0; i < p->nins; i++) {
                        ctl_in_t *in = &p->ins[i];
                        if (in->ready && (!best || in->t < best->t))
                                best = in;
                }
                if (!best)
                        break;
                ctl_in_send(p, best);
                ctl_in_next(p, best);
        }
        for (int i = 0; i < p->nins; i++)
                ctl_in_close(&p->ins[i]);
        return rc;
}

static const char *ctl_default_key(vg_avro_schema_t *sch)
{
        return avro_schema_record_field_name(vg_avro_schema_avro(sch), 0);
}

static void ctl_linger_seen(const char *name, const char *value,
                            void *opaque)
{
        (void)value;
        if (!strcmp(name, "linger.ms"))
                *(int *)opaque = 1;
}

/* A bulk load (no --rate) is written in large batches: fewer produce
 * requests, and readers of vigie-broker, which answers a fetch with one
 * batch per partition, read it fast. kafka.linger.ms overrides it. */
static void ctl_bulk_linger(vg_conf_t *conf, double rate)
{
        char errstr[128];
        int seen = 0;
        vg_conf_kafka_foreach(conf, ctl_linger_seen, &seen);
        if (rate <= 0 && !seen)
                vg_conf_set_kv(conf, "kafka.linger.ms=50", errstr,
                               sizeof(errstr));
}

/* @returns NULL if field \p name of \p sch is a long or an int (maybe
 *          nullable), else why not. */
static const char *ctl_time_field_why(const vg_avro_schema_t *sch,
                                      const char *name)
{
        avro_schema_t rec = vg_avro_schema_avro(sch);
        int i = avro_schema_record_field_get_index(rec, name);
        avro_schema_t f;

        if (i < 0) /* (avro_schema_record_field_get() needs a field) */
                return "no such field";
        f = avro_schema_record_field_get_by_index(rec, i);
        if (avro_typeof(f) == AVRO_UNION) {
                avro_schema_t u = f;
                f = NULL;
                for (size_t j = 0; j < avro_schema_union_size(u); j++) {
                        avro_schema_t b = avro_schema_union_branch(u, (int)j);
                        if (avro_typeof(b) != AVRO_NULL) {
                                f = b;
                                break;
                        }
                }
        }
        if (!f || (avro_typeof(f) != AVRO_INT64 &&
                   avro_typeof(f) != AVRO_INT32))
                return "not a timestamp (long or int)";
        return NULL;
}

/* The entry of \p topic in p->topics, added with its schema if new.
 * @returns it, or NULL (said why) if the topic has no schema. */
static ctl_topic_t *ctl_prod_topic(ctl_prod_t *p, vg_avro_registry_t *reg,
                                   const vg_conf_t *conf, const char *topic)
{
        for (int i = 0; i < p->ntopics; i++)
                if (!strcmp(p->topics[i].topic, topic))
                        return &p->topics[i];
        vg_avro_schema_t *sch = vg_avro_registry_by_topic(reg, topic);
        if (!sch) {
                fprintf(stderr, "vigie-ctl produce: no schema for topic "
                                "\"%s\" in %s/registry.json\n", topic,
                        vg_conf_get_str(conf, "schema.dir"));
                return NULL;
        }
        ctl_topic_t *tp = &p->topics[p->ntopics++]; /* room for all */
        tp->topic      = topic;
        tp->sch        = sch;
        tp->time_field = "sys_updated_on";
        tp->key_field  = p->key_field ? p->key_field : ctl_default_key(sch);
        return tp;
}

/* Adds an input: \p path to topic \p tp. */
static void ctl_prod_add_input(ctl_prod_t *p, const char *path,
                               ctl_topic_t *tp)
{
        p->ins = vg_realloc(p->ins, sizeof(*p->ins) * (size_t)(p->nins + 1));
        ctl_in_t *in = &p->ins[p->nins++];
        memset(in, 0, sizeof(*in));
        in->path = path;
        in->tp   = tp;
}

/* The topics and inputs: -t TOPIC and FILE arguments, or --merge
 * TOPIC=FILE (\p merges, \p nmerge) with the --time-field settings
 * (\p tfields, \p ntf). @returns 0, or -1 (said why). */
static int ctl_prod_inputs(ctl_prod_t *p, vg_avro_registry_t *reg,
                           const vg_conf_t *conf, const char *topic,
                           char **files, int nfiles, char **merges,
                           int nmerge, char **tfields, int ntf)
{
        ctl_topic_t *tp;
        char errstr[512];
        int stdins = 0;

        /* one topic per --merge at most: inputs point into topics[] */
        p->topics = vg_calloc((size_t)nmerge + 1, sizeof(*p->topics));
        if (!nmerge) {
                if (!(tp = ctl_prod_topic(p, reg, conf, topic)))
                        return -1;
                for (int i = 0; i < nfiles; i++)
                        ctl_prod_add_input(p, files[i], tp);
                if (!nfiles)
                        ctl_prod_add_input(p, "-", tp);
        }
        for (int i = 0; i < nmerge; i++) {
                char *eq = strchr(merges[i], '=');
                if (!eq || eq == merges[i] || !eq[1]) {
                        fprintf(stderr, "vigie-ctl produce: --merge %s: "
                                        "expected TOPIC=FILE\n", merges[i]);
                        return -1;
                }
                *eq = '\0';
                if (!ctl_prod_topic(p, reg, conf, merges[i]))
                        return -1;
        }
        for (int i = 0; i < ntf; i++) {
                char *eq = strchr(tfields[i], '=');
                const char *field = eq ? eq + 1 : tfields[i];
                int found = 0;
                if (eq)
                        *eq = '\0';
                for (int j = 0; j < p->ntopics; j++) {
                        if (eq && strcmp(p->topics[j].topic, tfields[i]))
                                continue;
                        p->topics[j].time_field = field;
                        found = 1;
                }
                if (eq && !found) {
                        fprintf(stderr, "vigie-ctl produce: --time-field "
                                        "%s=%s: no --merge input to %s\n",
                                tfields[i], field, tfields[i]);
                        return -1;
                }
        }
        for (int i = 0; i < nmerge; i++) {
                const char *file = merges[i] + strlen(merges[i]) + 1;
                tp = ctl_prod_topic(p, reg, conf, merges[i]);
                if (!strcmp(file, "-") && stdins++) {
                        fprintf(stderr, "vigie-ctl produce: --merge: stdin "
                                        "(-) can be one input only\n");
                        return -1;
                }
                ctl_prod_add_input(p, file, tp);
        }
        for (int j = 0; nmerge && j < p->ntopics; j++) {
                const char *why = ctl_time_field_why(p->topics[j].sch,
                                                     p->topics[j].time_field);
                if (why) {
                        fprintf(stderr, "vigie-ctl produce: --time-field "
                                        "%s of %s (%s): %s\n",
                                p->topics[j].time_field, p->topics[j].topic,
                                vg_avro_schema_name(p->topics[j].sch), why);
                        return -1;
                }
        }
        /* --map names fields of the topic, or of every CSV input's */
        for (int j = 0; j < p->ntopics; j++) {
                int csv = !nmerge;
                for (int i = 0; i < p->nins && !csv; i++)
                        csv = p->ins[i].tp == &p->topics[j] &&
                              ctl_prod_is_csv(p, p->ins[i].path);
                if (csv && ctl_csv_map_check(p->map, p->topics[j].sch,
                                             errstr, sizeof(errstr))) {
                        fprintf(stderr, "vigie-ctl produce: %s\n", errstr);
                        return -1;
                }
        }
        return 0;
}

/* The last line: what was produced, per topic with --merge. */
static void ctl_prod_summary(const ctl_prod_t *p, const vg_conf_t *conf,
                             const vg_kafka_stats_t *ks)
{
        if (!p->merge) {
                fprintf(stderr, "produced %llu record(s) to %s "
                                "(acknowledged), %lld line(s) rejected",
                        (unsigned long long)ks->delivered, p->topics[0].topic,
                        p->bad);
        } else {
                fprintf(stderr, "produced %llu record(s) in event-time order "
                                "(acknowledged):",
                        (unsigned long long)ks->delivered);
                for (int j = 0; j < p->ntopics; j++)
                        fprintf(stderr, "%s %lld to %s", j ? "," : "",
                                p->topics[j].ok, p->topics[j].topic);
                fprintf(stderr, "; %lld line(s) rejected", p->bad);
                for (int j = 0; p->bad && j < p->ntopics; j++)
                        fprintf(stderr, "%s%lld for %s", j ? ", " : " (",
                                p->topics[j].bad, p->topics[j].topic);
                if (p->bad)
                        fputc(')', stderr);
        }
        if (ks->delivered < (uint64_t)p->ok)
                fprintf(stderr, ", %llu NOT delivered (broker %s)",
                        (unsigned long long)((uint64_t)p->ok - ks->delivered),
                        vg_conf_get_str(conf, "bootstrap.servers"));
        fputc('\n', stderr);
}

/* getopt_long values of the long-only options */
#define CTL_OPT_MAP_FILE   256
#define CTL_OPT_MERGE      257
#define CTL_OPT_TIME_FIELD 258

int ctl_produce_run(vg_conf_t *conf, int argc, char **argv)
{
        static const struct option opts[] = {
                {"topic", required_argument, 0, 't'},
                {"key", required_argument, 0, 'k'},
                {"max-errors", required_argument, 0, 'm'},
                {"quiet", no_argument, 0, 'q'},
                {"rate", required_argument, 0, 'r'},
                {"format", required_argument, 0, 'f'},
                {"map", required_argument, 0, 'M'},
                {"map-file", required_argument, 0, CTL_OPT_MAP_FILE},
                {"merge", required_argument, 0, CTL_OPT_MERGE},
                {"time-field", required_argument, 0, CTL_OPT_TIME_FIELD},
                {0, 0, 0, 0},
        };
        ctl_prod_t p = {0};
        vg_avro_registry_t *reg = NULL;
        const char *topic = NULL;
        char errstr[512];
        char **merges  = vg_calloc((size_t)argc + 1, sizeof(*merges));
        char **tfields = vg_calloc((size_t)argc + 1, sizeof(*tfields));
        int nmerge = 0, ntf = 0;
        int c, rc = 2;

        p.map = ctl_csv_map_new();
        while ((c = getopt_long(argc, argv, "t:k:m:qr:f:M:", opts, NULL)) !=
               -1) {
                vg_err_t err = VG_OK;
                switch (c) {
                case 't': topic = optarg; break;
                case 'k': p.key_field = optarg; break;
                case 'm': p.max_errors = atoll(optarg); break;
                case 'q': p.quiet = 1; break;
                case 'r': p.rate = atof(optarg); break;
                case 'f': p.format = optarg; break;
                case 'M':
                        err = ctl_csv_map_add(p.map, optarg, errstr,
                                              sizeof(errstr));
                        break;
                case CTL_OPT_MAP_FILE:
                        err = ctl_csv_map_load(p.map, optarg, errstr,
                                               sizeof(errstr));
                        break;
                case CTL_OPT_MERGE: merges[nmerge++] = optarg; break;
                case CTL_OPT_TIME_FIELD: tfields[ntf++] = optarg; break;
                default:
                        ctl_produce_usage(stderr);
                        goto done;
                }
                if (err) {
                        fprintf(stderr, "vigie-ctl produce: %s\n", errstr);
                        goto done;
                }
        }
        p.merge = nmerge > 0;
        if (p.merge && (topic || optind < argc)) {
                fprintf(stderr, "vigie-ctl produce: --merge TOPIC=FILE "
                                "takes neither -t nor FILE arguments\n");
                goto done;
        }
        if (!p.merge && !topic) {
                fprintf(stderr, "vigie-ctl produce: -t TOPIC (or --merge "
                                "TOPIC=FILE) is required\n");
                goto done;
        }
        if (!p.merge && ntf) {
                fprintf(stderr, "vigie-ctl produce: --time-field goes with "
                                "--merge\n");
                goto done;
        }
        if (p.format && strcmp(p.format, "csv") && strcmp(p.format, "jsonl")) {
                fprintf(stderr, "vigie-ctl produce: --format %s: expected "
                                "jsonl or csv\n", p.format);
                goto done;
        }
        reg = vg_avro_registry_new(vg_conf_get_str(conf, "schema.dir"),
                                   vg_conf_get_str(conf,
                                                   "schema.registry.url"),
                                   errstr, sizeof(errstr));
        if (!reg) {
                fprintf(stderr, "vigie-ctl produce: %s\n", errstr);
                goto done;
        }
        if (ctl_prod_inputs(&p, reg, conf, topic, argv + optind,
                            argc - optind, merges, nmerge, tfields, ntf))
                goto done;
        ctl_bulk_linger(conf, p.rate);
        p.k = vg_kafka_new(conf, NULL, NULL, 0, VG_KAFKA_F_PRODUCER, errstr,
                           sizeof(errstr));
        if (!p.k) {
                fprintf(stderr, "vigie-ctl produce: %s\n", errstr);
                goto done;
        }
        rc = 0;
        for (int i = 0; i < p.nins; i++)
                vg_avro_schema_value_new(p.ins[i].tp->sch, &p.ins[i].val);
        clock_gettime(CLOCK_MONOTONIC, &p.t0);
        p.last = p.t0;
        rc = p.merge ? ctl_prod_merged(&p) : ctl_prod_sequence(&p);

        vg_kafka_stats_t ks;
        int flush_ms = (int)vg_conf_get_int(conf, "flush.timeout.ms");
        vg_kafka_flush_stats(p.k, flush_ms, &ks);
        if (vg_kafka_close(p.k, 0))
                rc = -1;
        ctl_prod_progress(&p, 1);
        ctl_prod_summary(&p, conf, &ks);
        for (int i = 0; i < p.nins; i++)
                avro_value_decref(&p.ins[i].val);
        rc = rc || p.bad ? 1 : 0;
done:
        vg_free(p.ins);
        vg_free(p.topics);
        vg_free(merges);
        vg_free(tfields);
        vg_avro_registry_destroy(reg);
        ctl_csv_map_destroy(p.map);
        return rc;
}
