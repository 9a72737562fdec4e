/**
 * @file ctl_consume.c
 * @brief vigie-ctl consume: an Avro topic to JSON Lines.
 */
#include "ctl.h"
#include "vg_avro.h"
#include "vg_kafka.h"
#include "vg_mem.h"
#include "vg_utf8.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <string.h>

void ctl_consume_usage(FILE *fp)
{
        fprintf(fp,
                "Usage: vigie-ctl [global options] consume -t TOPIC "
                "[options]\n\n"
                "Decodes a topic's Confluent-framed Avro records and prints "
                "one JSON object per\nline, like "
                "kafka-avro-console-consumer. Without -g it reads every "
                "partition\nfrom the beginning and exits at the end of the "
                "data (-f: keeps following).\n\n"
                "Options:\n"
                "  -t, --topic TOPIC    topic to read (repeatable)\n"
                "  -g, --group GROUP    consume in this consumer group "
                "(committed offsets) and\n"
                "                       run until -n or SIGINT\n"
                "  -n, --count N        stop after N records\n"
                "  -f, --follow         do not exit at the end of the data\n"
                "  -m, --meta           wrap each record: {\"topic\", "
                "\"partition\", \"offset\",\n"
                "                       \"key\", \"value\"}; a key that is "
                "not UTF-8 shows\n"
                "                       bad bytes as U+FFFD, and exactly in "
                "\"key_hex\"\n"
                "  -r, --raw-time       timestamps as epoch milliseconds "
                "(default: ISO-8601)\n"
                "  -o, --output FILE    write to FILE instead of stdout\n"
                "  -F, --format FMT     print FMT per record instead of JSON: "
                "{field} is a\n"
                "                       top-level field (strings bare, "
                "others as JSON),\n"
                "                       \\t and \\n are "
                "tab and newline, e.g.\n"
                "                       -F '{severity}\\t{subject}\\t"
                "{summary}\\n'\n\n"
                "Records that do not decode are reported on stderr "
                "(TOPIC [PARTITION] @OFFSET:\nreason) and counted; exit "
                "status 1 if there were any.\n");
}

typedef struct ctl_cons_s {
        vg_avro_registry_t *reg;
        FILE *out;
        int meta, flags;
        const char *format;
        long long n, bad;
} ctl_cons_t;

/* Writes \p len arbitrary bytes as a JSON string (see
 * vg_utf8_json_escape(): an ill-formed byte is \ufffd). */
static void ctl_cons_json_str(FILE *out, const void *s, size_t len)
{
        char small[512], *buf = small;
        size_t need = VG_UTF8_JSON_MAX_PER_BYTE * len + 1;

        if (need > sizeof(small))
                buf = vg_malloc(need);
        size_t n = vg_utf8_json_escape(buf, need, s, len);
        fputc('"', out);
        fwrite(buf, 1, n, out);
        fputc('"', out);
        if (buf != small)
                vg_free(buf);
}

/* Prints field \p name (\p len bytes) of the record: strings and enum
 * symbols bare, everything else (bytes included: a JSON string, NULs and
 * all escaped) as in the JSON lines; nothing for null or no such field. */
static void ctl_cons_field(FILE *out, const avro_value_t *val, json_t *obj,
                           const char *name, size_t len)
{
        char key[128];
        avro_value_t fv;

        snprintf(key, sizeof(key), "%.*s", (int)len, name);
        json_t *v = json_object_get(obj, key);
        if (!v || json_is_null(v))
                return;
        if (json_is_string(v) && vg_avro_get_field(val, key, &fv) == VG_OK &&
            (avro_value_get_type(&fv) == AVRO_STRING ||
             avro_value_get_type(&fv) == AVRO_ENUM)) {
                fwrite(json_string_value(v), 1, json_string_length(v), out);
                return;
        }
        char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        if (s)
                fputs(s, out);
        free(s);
}

/* Renders record \p val (\p json, as vg_avro_to_json() made it) with the
 * --format template. The JSON holds any byte of a bytes field as
 * \u00XX, \u0000 included: jansson refuses that without JSON_ALLOW_NUL,
 * which left every {field} of a DeadLetter (its "original" starts with
 * the wire format's 0x00) printed as the template itself.
 * @returns 0, or -1 (with the reason in \p errstr) if the JSON does not
 *          parse. */
static int ctl_cons_format(FILE *out, const char *fmt,
                           const avro_value_t *val, const char *json,
                           char *errstr, size_t errstr_size)
{
        json_error_t jerr;
        json_t *obj = json_loads(json, JSON_ALLOW_NUL, &jerr);

        if (!obj) {
                snprintf(errstr, errstr_size, "cannot render as JSON: %s",
                         jerr.text);
                return -1;
        }
        for (const char *s = fmt; *s; s++) {
                const char *e = *s == '{' ? strchr(s, '}') : NULL;
                if (e) {
                        ctl_cons_field(out, val, obj, s + 1,
                                       (size_t)(e - s - 1));
                        s = e;
                } else if (*s == '\\' && (s[1] == 'n' || s[1] == 't')) {
                        fputc(s[1] == 'n' ? '\n' : '\t', out);
                        s++;
                } else {
                        fputc(*s, out);
                }
        }
        json_decref(obj);
        fflush(out);
        return 0;
}

/* -m: {"topic", "partition", "offset", "key", "value"}, each a valid JSON
 * value whatever the bytes: the key is escaped (ill-formed bytes as
 * \ufffd) and, when it is not valid UTF-8, also given exactly as
 * "key_hex"; a record without a key has "key": null. */
static void ctl_cons_meta(FILE *out, const vg_kafka_rec_t *r,
                          const char *json)
{
        const uint8_t *key = r->key;

        fputs("{\"topic\":", out);
        ctl_cons_json_str(out, r->topic, strlen(r->topic));
        fprintf(out, ",\"partition\":%d,\"offset\":%lld,\"key\":",
                r->partition, (long long)r->offset);
        if (!key) {
                fputs("null", out);
        } else {
                ctl_cons_json_str(out, key, r->key_len);
                if (!vg_utf8_valid(key, r->key_len)) {
                        fputs(",\"key_hex\":\"", out);
                        for (size_t i = 0; i < r->key_len; i++)
                                fprintf(out, "%02x", key[i]);
                        fputc('"', out);
                }
        }
        fprintf(out, ",\"value\":%s}\n", json);
}

static void ctl_cons_print(ctl_cons_t *c, const vg_kafka_rec_t *r)
{
        char errstr[512];
        avro_value_t *val;

        if (vg_avro_decode(c->reg, r->value, r->len, NULL, &val, errstr,
                           sizeof(errstr))) {
                fprintf(stderr, "%s [%d] @%lld: %s\n", r->topic, r->partition,
                        (long long)r->offset, errstr);
                c->bad++;
                return;
        }
        char *json = vg_avro_to_json(val, c->flags);
        if (!json) {
                fprintf(stderr, "%s [%d] @%lld: cannot render as JSON\n",
                        r->topic, r->partition, (long long)r->offset);
                c->bad++;
                return;
        }
        if (c->format) {
                if (ctl_cons_format(c->out, c->format, val, json, errstr,
                                    sizeof(errstr))) {
                        fprintf(stderr, "%s [%d] @%lld: %s\n", r->topic,
                                r->partition, (long long)r->offset, errstr);
                        c->bad++;
                        vg_free(json);
                        return;
                }
        } else if (!c->meta) {
                fprintf(c->out, "%s\n", json);
        } else {
                ctl_cons_meta(c->out, r, json);
        }
        vg_free(json);
        c->n++;
}

int ctl_consume_run(vg_conf_t *conf, int argc, char **argv)
{
        static const struct option opts[] = {
                {"topic", required_argument, 0, 't'},
                {"group", required_argument, 0, 'g'},
                {"count", required_argument, 0, 'n'},
                {"follow", no_argument, 0, 'f'},
                {"meta", no_argument, 0, 'm'},
                {"raw-time", no_argument, 0, 'r'},
                {"output", required_argument, 0, 'o'},
                {"format", required_argument, 0, 'F'},
                {0, 0, 0, 0},
        };
        ctl_cons_t c = {.out = stdout, .flags = VG_AVRO_JSON_F_PRETTY};
        const char *topics[32], *group = NULL, *outpath = NULL;
        int ntopics = 0, follow = 0, opt;
        long long max = -1;
        char errstr[512];
        vg_kafka_rec_t recs[256];

        while ((opt = getopt_long(argc, argv, "t:g:n:fmro:F:", opts, NULL)) !=
               -1) {
                switch (opt) {
                case 't':
                        if (ntopics < 32)
                                topics[ntopics++] = optarg;
                        break;
                case 'g': group = optarg; break;
                case 'n': max = atoll(optarg); break;
                case 'f': follow = 1; break;
                case 'm': c.meta = 1; break;
                case 'r': c.flags = VG_AVRO_JSON_F_PLAIN; break;
                case 'o': outpath = optarg; break;
                case 'F': c.format = optarg; break;
                default: ctl_consume_usage(stderr); return 2;
                }
        }
        if (!ntopics) {
                fprintf(stderr, "vigie-ctl consume: -t TOPIC is required\n");
                return 2;
        }
        if (outpath && !(c.out = fopen(outpath, "w"))) {
                fprintf(stderr, "vigie-ctl consume: %s: %s\n", outpath,
                        strerror(errno));
                return 2;
        }
        c.reg = vg_avro_registry_new(
                vg_conf_get_str(conf, "schema.dir"),
                vg_conf_get_str(conf, "schema.registry.url"), errstr,
                sizeof(errstr));
        vg_kafka_t *k = c.reg ? vg_kafka_new(conf, group, topics, ntopics,
                                             group ? VG_KAFKA_F_CONSUMER
                                                   : VG_KAFKA_F_READALL,
                                             errstr, sizeof(errstr))
                              : NULL;
        if (!k) {
                fprintf(stderr, "vigie-ctl consume: %s\n", errstr);
                vg_avro_registry_destroy(c.reg);
                return 2;
        }
        while (!ctl_stop && (max < 0 || c.n + c.bad < max)) {
                int want = max < 0 || max - c.n - c.bad > 256
                                   ? 256
                                   : (int)(max - c.n - c.bad);
                int n = vg_kafka_consume(k, recs, want, 200);
                for (int i = 0; i < n; i++) {
                        ctl_cons_print(&c, &recs[i]);
                        vg_kafka_rec_done(k, &recs[i]);
                }
                if (n > 0)
                        fflush(c.out);
                if (n == 0 && !group && !follow && vg_kafka_at_end(k))
                        break;
        }
        fflush(c.out);
        vg_kafka_close(k, 1000);
        if (c.out != stdout)
                fclose(c.out);
        fprintf(stderr, "consumed %lld record(s), %lld undecodable\n", c.n,
                c.bad);
        vg_avro_registry_destroy(c.reg);
        return c.bad ? 1 : 0;
}
