/**
 * @file ctl_produce.c
 * @brief vigie-ctl produce: JSON Lines or CSV to an Avro topic.
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
                "[options] [FILE.jsonl|FILE.csv ...]\n\n"
                "Reads JSON Lines (one ServiceNow-shaped object per line) "
                "or a CSV export\n(stdin without FILE or with -), converts "
                "each record to the topic's Avro\nschema and produces it in "
                "the Confluent wire format. A record that does not\nconvert "
                "is reported as FILE:LINE: field: reason and skipped; the "
                "others are\nproduced.\n\n"
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
                "  -f, --format FMT      jsonl or csv (default: csv for "
                "files named *.csv,\n"
                "                        else jsonl)\n"
                "  -M, --map COL=FIELD   CSV column COL fills FIELD "
                "(repeatable; COL= ignores COL)\n"
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
                "Exit status: 0 all lines produced and acknowledged, 1 some "
                "lines rejected or\nnot delivered, 2 usage or set-up "
                "error.\n");
}

typedef struct ctl_prod_s {
        vg_kafka_t *k;
        vg_avro_schema_t *sch;
        avro_value_t val;
        const char *topic, *key_field, *format;
        ctl_csv_map_t *map;
        long long lines, total, ok, bad, max_errors;
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

/* Encodes and produces p->val, read from line p->lines of \p file.
 * @returns 0, or -1 when the record was rejected. */
static int ctl_prod_send(ctl_prod_t *p, const char *file)
{
        char errstr[512];
        const char *key = NULL;
        size_t keylen   = 0;
        void *buf;
        size_t blen;

        if (vg_avro_encode(p->sch, &p->val, &buf, &blen, errstr,
                           sizeof(errstr))) {
                fprintf(stderr, "%s%s:%lld: %s\n", p->quiet ? "" : "\r",
                        file, p->lines, errstr);
                return -1;
        }
        if (p->key_field)
                vg_avro_get_str(&p->val, p->key_field, &key, &keylen);
        vg_err_t err = vg_kafka_produce(p->k, NULL, p->topic, key, keylen,
                                        buf, blen, 0, errstr, sizeof(errstr));
        vg_free(buf);
        if (err) {
                fprintf(stderr, "%s:%lld: %s\n", file, p->lines, errstr);
                return -1;
        }
        return 0;
}

/* One JSON line: @returns 0, or -1 when the line was rejected. */
static int ctl_prod_line(ctl_prod_t *p, const char *file, char *line,
                         size_t len)
{
        char errstr[512];

        if (vg_avro_from_json(p->sch, line, len, &p->val, errstr,
                              sizeof(errstr))) {
                fprintf(stderr, "%s%s:%lld: %s\n", p->quiet ? "" : "\r",
                        file, p->lines, errstr);
                return -1;
        }
        return ctl_prod_send(p, file);
}

/* Says which columns of a CSV header are ignored and which fields no
 * column fills (they take their default). */
static void ctl_prod_csv_notice(ctl_prod_t *p, const ctl_csv_t *csv,
                                const char *name)
{
        avro_schema_t schema = vg_avro_schema_avro(p->sch);
        size_t i, n = 0;

        for (i = 0; i < ctl_csv_ncols(csv); i++) {
                if (ctl_csv_col_field(csv, i))
                        continue;
                if (n++ == 0)
                        fprintf(stderr, "vigie-ctl produce: %s: column(s) "
                                "not in %s, ignored: ", name,
                                vg_avro_schema_name(p->sch));
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

static int ctl_prod_csv(ctl_prod_t *p, FILE *fp, const char *name)
{
        ctl_csv_t *csv = ctl_csv_new(fp, name);
        char errstr[1024];
        int r;

        if (ctl_csv_header(csv, p->sch, p->map, errstr, sizeof(errstr))) {
                fprintf(stderr, "vigie-ctl produce: %s\n", errstr);
                ctl_csv_destroy(csv);
                return -1;
        }
        if (!p->quiet)
                ctl_prod_csv_notice(p, csv, name);
        while (!ctl_stop && (r = ctl_csv_read(csv, &p->val, errstr,
                                              sizeof(errstr))) != CTL_CSV_EOF) {
                p->lines = ctl_csv_line(csv);
                p->total++;
                if (r == CTL_CSV_BAD) {
                        fprintf(stderr, "%s%s\n", p->quiet ? "" : "\r",
                                errstr);
                } else {
                        ctl_prod_pace(p);
                        if (ctl_prod_send(p, name) == 0) {
                                p->ok++;
                                goto next;
                        }
                }
                if (++p->bad == p->max_errors)
                        break;
next:
                if ((p->total & 1023) == 0) {
                        vg_kafka_poll(p->k, 0);
                        ctl_prod_progress(p, 0);
                }
        }
        ctl_csv_destroy(csv);
        return 0;
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

static int ctl_prod_file(ctl_prod_t *p, const char *path)
{
        FILE *fp = strcmp(path, "-") ? fopen(path, "r") : stdin;
        const char *name = fp == stdin ? "<stdin>" : path;
        char *line       = NULL;
        size_t cap       = 0;
        ssize_t n;

        if (!fp) {
                fprintf(stderr, "vigie-ctl produce: %s: %s\n", path,
                        strerror(errno));
                return -1;
        }
        p->lines = 0;
        if (ctl_prod_is_csv(p, path)) {
                int rc = ctl_prod_csv(p, fp, name);
                if (fp != stdin)
                        fclose(fp);
                return rc;
        }
        while (!ctl_stop && (n = getline(&line, &cap, fp)) != -1) {
                p->lines++;
                p->total++;
                while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
                        line[--n] = '\0';
                if (n == 0)
                        continue;
                ctl_prod_pace(p);
                if (ctl_prod_line(p, name, line, (size_t)n) == 0)
                        p->ok++;
                else if (++p->bad == p->max_errors)
                        break;
                if ((p->lines & 1023) == 0) {
                        vg_kafka_poll(p->k, 0);
                        ctl_prod_progress(p, 0);
                }
        }
        free(line);
        if (fp != stdin)
                fclose(fp);
        return 0;
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

/* getopt_long value of the long-only --map-file */
#define CTL_OPT_MAP_FILE 256

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
                {0, 0, 0, 0},
        };
        ctl_prod_t p = {0};
        vg_avro_registry_t *reg = NULL;
        char errstr[512];
        int c, rc = 2;

        p.map = ctl_csv_map_new();
        while ((c = getopt_long(argc, argv, "t:k:m:qr:f:M:", opts, NULL)) !=
               -1) {
                vg_err_t err = VG_OK;
                switch (c) {
                case 't': p.topic = optarg; break;
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
                default:
                        ctl_produce_usage(stderr);
                        goto done;
                }
                if (err) {
                        fprintf(stderr, "vigie-ctl produce: %s\n", errstr);
                        goto done;
                }
        }
        if (!p.topic) {
                fprintf(stderr, "vigie-ctl produce: -t TOPIC is required\n");
                goto done;
        }
        if (p.format && strcmp(p.format, "csv") && strcmp(p.format, "jsonl")) {
                fprintf(stderr, "vigie-ctl produce: --format %s: expected "
                                "jsonl or csv\n", p.format);
                goto done;
        }
        p.sch = ctl_topic_schema(conf, "produce", p.topic, &reg);
        if (!p.sch)
                goto done;
        if (ctl_csv_map_check(p.map, p.sch, errstr, sizeof(errstr))) {
                fprintf(stderr, "vigie-ctl produce: %s\n", errstr);
                goto done;
        }
        if (!p.key_field)
                p.key_field = ctl_default_key(p.sch);
        ctl_bulk_linger(conf, p.rate);
        p.k = vg_kafka_new(conf, NULL, NULL, 0, VG_KAFKA_F_PRODUCER, errstr,
                           sizeof(errstr));
        if (!p.k) {
                fprintf(stderr, "vigie-ctl produce: %s\n", errstr);
                goto done;
        }
        rc = 0;
        vg_avro_schema_value_new(p.sch, &p.val);
        clock_gettime(CLOCK_MONOTONIC, &p.t0);
        p.last = p.t0;
        if (optind >= argc)
                rc |= ctl_prod_file(&p, "-");
        for (int i = optind; i < argc && !ctl_stop; i++)
                rc |= ctl_prod_file(&p, argv[i]);

        vg_kafka_stats_t ks;
        int flush_ms = (int)vg_conf_get_int(conf, "flush.timeout.ms");
        vg_kafka_flush_stats(p.k, flush_ms, &ks);
        if (vg_kafka_close(p.k, 0))
                rc = -1;
        ctl_prod_progress(&p, 1);
        fprintf(stderr, "produced %llu record(s) to %s (acknowledged), "
                        "%lld line(s) rejected", (unsigned long long)ks.delivered,
                p.topic, p.bad);
        if (ks.delivered < (uint64_t)p.ok)
                fprintf(stderr, ", %llu NOT delivered (broker %s)",
                        (unsigned long long)((uint64_t)p.ok - ks.delivered),
                        vg_conf_get_str(conf, "bootstrap.servers"));
        fputc('\n', stderr);
        avro_value_decref(&p.val);
        rc = rc || p.bad ? 1 : 0;
done:
        vg_avro_registry_destroy(reg);
        ctl_csv_map_destroy(p.map);
        return rc;
}
