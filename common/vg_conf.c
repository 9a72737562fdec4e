/**
 * @file vg_conf.c
 * @brief The common property table, and the parser of every table
 *        (see vg_conf.h).
 */
#include "vg_conf.h"
#include "vg_mem.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CTL VG_CONF_F_CTL
#define SECRET VG_CONF_F_SECRET
#define URL VG_CONF_F_URL

/* The kafka.* pass-through keys masked in dumps and logs: librdkafka's
 * properties that hold a secret (its _RK_SENSITIVE ones, minus file
 * locations and public certificates, plus the OIDC client secret), or a
 * URL that may carry user-info. sasl.jaas.config is Java's (librdkafka
 * rejects it) but often pasted with a password in it. */
static const struct {
        const char *name; /**< without "kafka." */
        int flags;        /**< VG_CONF_F_SECRET or VG_CONF_F_URL */
} vg_conf_kafka_masked[] = {
        {"sasl.password", SECRET},
        {"sasl.jaas.config", SECRET},
        {"sasl.oauthbearer.config", SECRET},
        {"sasl.oauthbearer.client.secret", SECRET},
        {"ssl.key.password", SECRET},
        {"ssl.key.pem", SECRET},
        {"ssl_key", SECRET},
        {"ssl.keystore.password", SECRET},
        {"sasl.oauthbearer.token.endpoint.url", URL},
};

/* The runtime's own properties; each processor has its group in its
 * folder. Keep it sorted by subsystem, then name. */
static const vg_conf_prop_t vg_conf_common_props[] = {
        /* Kafka */
        {CTL, "bootstrap.servers", VG_CONF_STR, "127.0.0.1:9092", 0, 0, NULL,
         "Kafka bootstrap servers (host:port,...). For the embedded broker, "
         "the address vigie-broker prints."},
        {0, "group.id", VG_CONF_STR, "", 0, 0, NULL,
         "Consumer group id. Empty: the processor's own name "
         "(vigie-change, ...). Instances with one group id split the "
         "partitions."},
        {0, "instance.id", VG_CONF_STR, "", 0, 0, NULL,
         "Static group membership (librdkafka's group.instance.id): an id "
         "unique to this instance and stable across its restarts, e.g. a "
         "StatefulSet's pod name (-X instance.id=$(POD_NAME)). A restart "
         "within the session timeout then gets its partitions back without "
         "a rebalance; but a static member does not leave the group on "
         "SIGTERM, so its partitions wait for it up to the session timeout. "
         "Two running instances with one id fence each other: never share "
         "one. Empty: dynamic membership. Needs Apache Kafka >= 2.3; "
         "vigie-broker ignores it."},
        {0, "input.topic", VG_CONF_STR, "", 0, 0, NULL,
         "Input topic. Empty: the processor's default (itsm.changes, ...)."},
        {0, "output.topic", VG_CONF_STR, "", 0, 0, NULL,
         "Output topic for enriched records. Empty: the processor's "
         "default."},
        {0, "alert.topic", VG_CONF_STR, "itsm.alerts", 0, 0, NULL,
         "Topic for alerts."},
        {CTL, "deadletter.topic", VG_CONF_STR, "itsm.deadletter", 0, 0, NULL,
         "Topic for records that cannot be decoded or validated."},
        {0, "auto.offset.reset", VG_CONF_ENUM, "earliest", 0, 0,
         "earliest,latest",
         "Where a new consumer group starts: earliest replays history."},
        {0, "batch.size", VG_CONF_INT, "500", 1, 100000, NULL,
         "Records consumed per poll batch (features are read from Redis "
         "once per batch)."},
        {0, "batch.max.ms", VG_CONF_INT, "5", 0, 10000, NULL,
         "A batch closes this long after its first record even if not full: "
         "bounds the latency that batching adds when records trickle in."},
        {0, "poll.timeout.ms", VG_CONF_INT, "100", 1, 10000, NULL,
         "How long one poll waits for the first record of a batch."},
        {CTL, "flush.timeout.ms", VG_CONF_INT, "30000", 100, 600000, NULL,
         "On shutdown, how long to wait for outstanding deliveries."},
        {CTL, "kafka.*", VG_CONF_LIST, NULL, 0, 0, NULL,
         "Any librdkafka property, prefix removed: kafka.linger.ms=5 sets "
         "linger.ms (see librdkafka's CONFIGURATION.md)."},
        /* Avro */
        {CTL, "schema.dir", VG_CONF_STR, VG_SCHEMA_DIR, 0, 0, NULL,
         "Directory of the Avro schemas (*.avsc) and of registry.json, the "
         "local registry used when schema.registry.url is empty."},
        {CTL | URL, "schema.registry.url", VG_CONF_STR, "", 0, 0, NULL,
         "Confluent-compatible Schema Registry (http://host:8081, or "
         "http://user:password@host:8081). Empty: schema ids come from "
         "schema.dir/registry.json."},
        /* Redis */
        {0, "redis.host", VG_CONF_STR, "127.0.0.1", 0, 0, NULL,
         "Redis host of the feature store."},
        {0, "redis.port", VG_CONF_INT, "6379", 1, 65535, NULL,
         "Redis port."},
        {0, "redis.db", VG_CONF_INT, "0", 0, 15, NULL, "Redis database."},
        {SECRET, "redis.password", VG_CONF_STR, "", 0, 0, NULL,
         "Redis password (AUTH). Empty: none."},
        {0, "redis.prefix", VG_CONF_STR, "vigie:", 0, 0, NULL,
         "Prefix of every key vigie writes (see deploy/REDIS_KEYS.md)."},
        {0, "redis.timeout.ms", VG_CONF_INT, "1000", 10, 60000, NULL,
         "Connect and command timeout."},
        /* Runtime */
        {CTL, "log.level", VG_CONF_ENUM, "info", 0, 0,
         "error,warn,info,debug", "Log threshold (logfmt on stderr)."},
        {0, "stats.interval.ms", VG_CONF_INT, "10000", 0, 3600000, NULL,
         "Progress line (records in/out, lag, latency) every N ms; 0: off."},
        {0, "metrics.file", VG_CONF_STR, "", 0, 0, NULL,
         "Write metrics in Prometheus text format to this file at every "
         "stats interval (for node_exporter's textfile collector)."},
        {0, "checkpoint.interval.ms", VG_CONF_INT, "30000", 1000, 3600000,
         NULL, "How often model state is checkpointed to Redis, with the "
         "input offsets it has learned up to (a restart resumes learning "
         "there: nothing learned twice, nothing skipped)."},
        /* Event time */
        {0, "event.time.max.ahead.ms", VG_CONF_INT, "172800000", 0,
         3155760000000, NULL,
         "A record whose event time is further ahead than this of the "
         "later of the wall clock and the stream's watermark (the latest "
         "event time accepted) goes to the dead letters (default 2 days)."},
        {0, "event.time.min.ms", VG_CONF_INT, "631152000000", 0,
         4102444800000, NULL,
         "A record whose event time is before this (epoch ms; default "
         "1990-01-01) goes to the dead letters."},
};

static const vg_conf_group_t vg_conf_common = {
        "common", vg_conf_common_props,
        (int)(sizeof(vg_conf_common_props) / sizeof(vg_conf_common_props[0])),
};

typedef struct vg_conf_kv_s {
        char *key, *value;
} vg_conf_kv_t;

typedef struct vg_conf_val_s {
        char *str; /**< every value is kept as its string too */
        int64_t i;
        double d;
} vg_conf_val_t;

struct vg_conf_s {
        const vg_conf_group_t **groups; /**< common first */
        int ngroups;
        const vg_conf_prop_t **props; /**< every group's, in order */
        vg_conf_val_t *vals;          /**< one per props[] entry */
        int nprops;
        vg_conf_kv_t *lists; /**< kafka.* and other list entries */
        int nlists;
};

static const vg_conf_prop_t *vg_conf_find(const vg_conf_t *conf,
                                          const char *name, int *idxp)
{
        for (int i = 0; i < conf->nprops; i++) {
                const vg_conf_prop_t *p = conf->props[i];
                size_t n                = strlen(p->name);
                if (p->type == VG_CONF_LIST) {
                        if (!strncmp(name, p->name, n - 1) && name[n - 1]) {
                                *idxp = i;
                                return p;
                        }
                } else if (!strcmp(name, p->name)) {
                        *idxp = i;
                        return p;
                }
        }
        return NULL;
}

static int vg_conf_parse_bool(const char *v, int *b)
{
        static const char *t[] = {"true", "yes", "on", "1"};
        static const char *f[] = {"false", "no", "off", "0"};
        for (int i = 0; i < 4; i++) {
                if (!strcasecmp(v, t[i]))
                        return (*b = 1), 0;
                if (!strcasecmp(v, f[i]))
                        return (*b = 0), 0;
        }
        return -1;
}

static int vg_conf_enum_ok(const char *enums, const char *v)
{
        size_t n = strlen(v);
        for (const char *s = enums; *s;) {
                const char *e = strchr(s, ',');
                size_t len    = e ? (size_t)(e - s) : strlen(s);
                if (len == n && !strncasecmp(s, v, n))
                        return 1;
                s += len + (e ? 1 : 0);
        }
        return 0;
}

/* Parses \p value for \p p into \p out. @returns NULL or the reason. */
static const char *vg_conf_parse(const vg_conf_prop_t *p, const char *value,
                                 vg_conf_val_t *out, char *buf, size_t bufsz)
{
        char *end;
        int b;

        switch (p->type) {
        case VG_CONF_INT:
                errno  = 0;
                out->i = strtoll(value, &end, 10);
                if (errno || end == value || *end)
                        return "expected an integer";
                if (out->i < p->vmin || out->i > p->vmax) {
                        snprintf(buf, bufsz, "%s is out of range %.0f..%.0f",
                                 value, p->vmin, p->vmax);
                        return buf;
                }
                out->d = (double)out->i;
                return NULL;
        case VG_CONF_DBL:
                errno  = 0;
                out->d = strtod(value, &end);
                if (errno || end == value || *end || !isfinite(out->d))
                        return "expected a number";
                if (out->d < p->vmin || out->d > p->vmax) {
                        snprintf(buf, bufsz, "%s is out of range %g..%g",
                                 value, p->vmin, p->vmax);
                        return buf;
                }
                return NULL;
        case VG_CONF_BOOL:
                if (vg_conf_parse_bool(value, &b) == -1)
                        return "expected true or false";
                out->i = b;
                return NULL;
        case VG_CONF_ENUM:
                if (!vg_conf_enum_ok(p->enums, value)) {
                        snprintf(buf, bufsz, "expected one of %s", p->enums);
                        return buf;
                }
                return NULL;
        default:
                return NULL;
        }
}

static void vg_conf_list_set(vg_conf_t *conf, const char *key,
                             const char *value)
{
        for (int i = 0; i < conf->nlists; i++) {
                if (!strcmp(conf->lists[i].key, key)) {
                        vg_free(conf->lists[i].value);
                        conf->lists[i].value = vg_strdup(value);
                        return;
                }
        }
        conf->lists = vg_realloc(conf->lists,
                                 sizeof(*conf->lists) * (conf->nlists + 1));
        conf->lists[conf->nlists].key   = vg_strdup(key);
        conf->lists[conf->nlists].value = vg_strdup(value);
        conf->nlists++;
}

vg_conf_res_t vg_conf_set(vg_conf_t *conf, const char *name,
                          const char *value, char *errstr, size_t errstr_size)
{
        char buf[256];
        vg_conf_val_t v = {0};
        int idx;
        const vg_conf_prop_t *p = vg_conf_find(conf, name, &idx);

        if (!p) {
                snprintf(errstr, errstr_size,
                         "No such configuration property: \"%s\"", name);
                return VG_CONF_UNKNOWN;
        }
        if (p->type == VG_CONF_LIST) {
                vg_conf_list_set(conf, name, value);
                return VG_CONF_OK;
        }
        const char *why = vg_conf_parse(p, value, &v, buf, sizeof(buf));
        if (why) {
                snprintf(errstr, errstr_size,
                         "Invalid value for configuration property \"%s\": %s",
                         name, why);
                return VG_CONF_INVALID;
        }
        vg_free(conf->vals[idx].str);
        v.str           = vg_strdup(value);
        conf->vals[idx] = v;
        return VG_CONF_OK;
}

vg_conf_res_t vg_conf_set_kv(vg_conf_t *conf, const char *kv, char *errstr,
                             size_t errstr_size)
{
        const char *eq = strchr(kv, '=');
        if (!eq || eq == kv) {
                snprintf(errstr, errstr_size,
                         "Expected key=value, got \"%s\"", kv);
                return VG_CONF_INVALID;
        }
        char *key = vg_strndup(kv, (size_t)(eq - kv));
        vg_conf_res_t r = vg_conf_set(conf, key, eq + 1, errstr, errstr_size);
        vg_free(key);
        return r;
}

static void vg_conf_add_group(vg_conf_t *conf, const vg_conf_group_t *g)
{
        conf->groups = vg_realloc(conf->groups,
                                  sizeof(*conf->groups) * (conf->ngroups + 1));
        conf->groups[conf->ngroups++] = g;
        conf->props = vg_realloc(conf->props, sizeof(*conf->props) *
                                                      (conf->nprops + g->nprops));
        for (int i = 0; i < g->nprops; i++) {
                for (int j = 0; j < conf->nprops; j++) {
                        if (strcmp(conf->props[j]->name, g->props[i].name))
                                continue;
                        fprintf(stderr, "vigie: BUG: property \"%s\" of %s "
                                "is already defined\n", g->props[i].name,
                                g->name);
                        abort();
                }
                conf->props[conf->nprops++] = &g->props[i];
        }
}

vg_conf_t *vg_conf_new(const vg_conf_group_t *const *groups)
{
        vg_conf_t *conf = vg_calloc(1, sizeof(*conf));
        char errstr[256];

        vg_conf_add_group(conf, &vg_conf_common);
        for (; groups && *groups; groups++)
                vg_conf_add_group(conf, *groups);
        conf->vals = vg_calloc((size_t)conf->nprops, sizeof(*conf->vals));
        for (int i = 0; i < conf->nprops; i++) {
                const vg_conf_prop_t *p = conf->props[i];
                if (p->type == VG_CONF_LIST)
                        continue;
                if (vg_conf_set(conf, p->name, p->defval, errstr,
                                sizeof(errstr)) != VG_CONF_OK) {
                        fprintf(stderr, "vigie: bad default: %s\n", errstr);
                        abort();
                }
        }
        return conf;
}

void vg_conf_destroy(vg_conf_t *conf)
{
        if (!conf)
                return;
        for (int i = 0; i < conf->nprops; i++)
                vg_free(conf->vals[i].str);
        for (int i = 0; i < conf->nlists; i++) {
                vg_free(conf->lists[i].key);
                vg_free(conf->lists[i].value);
        }
        vg_free(conf->lists);
        vg_free(conf->vals);
        vg_free(conf->props);
        vg_free(conf->groups);
        vg_free(conf);
}

static char *vg_conf_trim(char *s)
{
        while (isspace((unsigned char)*s))
                s++;
        char *e = s + strlen(s);
        while (e > s && isspace((unsigned char)e[-1]))
                *--e = '\0';
        return s;
}

int vg_conf_load_file(vg_conf_t *conf, const char *path, char *errstr,
                      size_t errstr_size)
{
        char line[8192], err[512];
        int lineno = 0;
        FILE *fp   = fopen(path, "r");

        if (!fp) {
                snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
                return -1;
        }
        while (fgets(line, sizeof(line), fp)) {
                lineno++;
                if (!strchr(line, '\n') && !feof(fp)) {
                        snprintf(errstr, errstr_size,
                                 "%s:%d: line too long (max %zu bytes)", path,
                                 lineno, sizeof(line) - 2);
                        fclose(fp);
                        return -1;
                }
                char *s = vg_conf_trim(line);
                if (!*s || *s == '#')
                        continue;
                char *eq = strchr(s, '=');
                if (!eq) {
                        snprintf(errstr, errstr_size,
                                 "%s:%d: expected key=value", path, lineno);
                        fclose(fp);
                        return -1;
                }
                *eq = '\0';
                if (vg_conf_set(conf, vg_conf_trim(s), vg_conf_trim(eq + 1),
                                err, sizeof(err)) != VG_CONF_OK) {
                        snprintf(errstr, errstr_size, "%s:%d: %s", path,
                                 lineno, err);
                        fclose(fp);
                        return -1;
                }
        }
        fclose(fp);
        return 0;
}

int vg_conf_apply_args(vg_conf_t *conf, const char *file,
                       const char *const *xs, int nx, const char *bootstrap,
                       char *errstr, size_t errstr_size)
{
        char err[512];
        if (file && vg_conf_load_file(conf, file, errstr, errstr_size))
                return -1;
        for (int i = 0; i < nx; i++) {
                if (vg_conf_set_kv(conf, xs[i], err, sizeof(err))) {
                        snprintf(errstr, errstr_size, "-X %s: %s", xs[i],
                                 err);
                        return -1;
                }
        }
        if (bootstrap && vg_conf_set(conf, "bootstrap.servers", bootstrap,
                                     errstr, errstr_size))
                return -1;
        return 0;
}

const char *vg_conf_finalize(vg_conf_t *conf)
{
        if (!*vg_conf_get_str(conf, "bootstrap.servers"))
                return "bootstrap.servers must not be empty";
        if (!*vg_conf_get_str(conf, "deadletter.topic"))
                return "deadletter.topic must not be empty";
        return NULL;
}

static const vg_conf_val_t *vg_conf_val(const vg_conf_t *conf,
                                        const char *name)
{
        int idx;
        const vg_conf_prop_t *p = vg_conf_find(conf, name, &idx);
        if (!p || p->type == VG_CONF_LIST) {
                fprintf(stderr, "vigie: BUG: no scalar property \"%s\"\n",
                        name);
                abort();
        }
        return &conf->vals[idx];
}

const char *vg_conf_get_str(const vg_conf_t *conf, const char *name)
{
        return vg_conf_val(conf, name)->str;
}

int64_t vg_conf_get_int(const vg_conf_t *conf, const char *name)
{
        return vg_conf_val(conf, name)->i;
}

double vg_conf_get_double(const vg_conf_t *conf, const char *name)
{
        return vg_conf_val(conf, name)->d;
}

int vg_conf_get_bool(const vg_conf_t *conf, const char *name)
{
        return (int)vg_conf_val(conf, name)->i;
}

void vg_conf_kafka_foreach(const vg_conf_t *conf,
                           void (*cb)(const char *, const char *, void *),
                           void *opaque)
{
        for (int i = 0; i < conf->nlists; i++)
                if (!strncmp(conf->lists[i].key, "kafka.", 6))
                        cb(conf->lists[i].key + 6, conf->lists[i].value,
                           opaque);
}

static int vg_conf_kv_cmp(const void *a, const void *b)
{
        const vg_conf_kv_t *x = *(vg_conf_kv_t *const *)a;
        const vg_conf_kv_t *y = *(vg_conf_kv_t *const *)b;
        /* natural order: change.rule.2 before change.rule.10 */
        size_t lx = strlen(x->key), ly = strlen(y->key);
        return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x->key, y->key);
}

int vg_conf_list_foreach(const vg_conf_t *conf, const char *prefix,
                         void (*cb)(const char *, const char *, void *),
                         void *opaque)
{
        vg_conf_kv_t **sel = vg_calloc(conf->nlists + 1, sizeof(*sel));
        size_t plen        = strlen(prefix);
        int n              = 0;

        for (int i = 0; i < conf->nlists; i++)
                if (!strncmp(conf->lists[i].key, prefix, plen))
                        sel[n++] = &conf->lists[i];
        qsort(sel, (size_t)n, sizeof(*sel), vg_conf_kv_cmp);
        for (int i = 0; i < n; i++)
                cb(sel[i]->key, sel[i]->value, opaque);
        vg_free(sel);
        return n;
}

static const char *vg_conf_type_name(const vg_conf_prop_t *p)
{
        static const char *names[] = {"string", "integer", "number",
                                      "boolean", "enum", "list"};
        return names[p->type];
}

static void vg_conf_range(const vg_conf_prop_t *p, char *buf, size_t sz)
{
        if (p->type == VG_CONF_INT)
                snprintf(buf, sz, "%.0f .. %.0f", p->vmin, p->vmax);
        else if (p->type == VG_CONF_DBL)
                snprintf(buf, sz, "%g .. %g", p->vmin, p->vmax);
        else if (p->type == VG_CONF_ENUM)
                snprintf(buf, sz, "%s", p->enums);
        else if (p->type == VG_CONF_BOOL)
                snprintf(buf, sz, "true, false");
        else
                buf[0] = '\0';
}

#define VG_CONF_NKAFKA_MASKED                                                  \
        (int)(sizeof(vg_conf_kafka_masked) / sizeof(vg_conf_kafka_masked[0]))

/* Writes what is masked of \p p in dumps and logs, as a sentence. */
static void vg_conf_mask_note(const vg_conf_prop_t *p, FILE *fp)
{
        if (p->flags & VG_CONF_F_SECRET)
                fprintf(fp, " Masked in dumps and logs.");
        if (p->flags & VG_CONF_F_URL)
                fprintf(fp, " Its user-info is masked in dumps and logs.");
        if (strcmp(p->name, "kafka.*"))
                return;
        fprintf(fp, " Masked in dumps and logs:");
        for (int i = 0; i < VG_CONF_NKAFKA_MASKED; i++)
                fprintf(fp, "%s kafka.%s%s", i ? "," : "",
                        vg_conf_kafka_masked[i].name,
                        vg_conf_kafka_masked[i].flags & VG_CONF_F_URL
                                ? " (user-info)" : "");
        fprintf(fp, ".");
}

void vg_conf_print_help(const vg_conf_t *conf, FILE *fp)
{
        char range[256];
        fprintf(fp, "Configuration properties (-X key=value, or key=value "
                    "lines in a -c file):\n");
        for (int g = 0; g < conf->ngroups; g++) {
                const vg_conf_group_t *grp = conf->groups[g];
                fprintf(fp, "\n%s:\n", grp->name);
                for (int i = 0; i < grp->nprops; i++) {
                        const vg_conf_prop_t *p = &grp->props[i];
                        vg_conf_range(p, range, sizeof(range));
                        fprintf(fp, "  %-28s %s", p->name,
                                vg_conf_type_name(p));
                        if (range[0])
                                fprintf(fp, " [%s]", range);
                        if (p->defval)
                                fprintf(fp, " (default: %s)",
                                        *p->defval ? p->defval : "\"\"");
                        fprintf(fp, "\n      %s", p->desc);
                        vg_conf_mask_note(p, fp);
                        fprintf(fp, "\n");
                }
        }
}

void vg_conf_write_markdown(const vg_conf_t *conf, FILE *fp)
{
        char range[256];
        fprintf(fp,
                "# vigie configuration properties\n\n"
                "Generated by `vigie-ctl config --markdown` from the "
                "property tables: the common\none in `common/vg_conf.c`, "
                "each processor's in its folder (`processors/*/`).\n"
                "Do not edit by hand.\n\n"
                "Set them in a properties file (`-c FILE`: `key=value` lines, "
                "`#` comments)\nor on the command line (`-X key=value`, "
                "applied after the file). `--dump-config`\nand `vigie-ctl "
                "config --dump` print secrets as `********` and URLs without "
                "their\nuser-info (`http://***@host:8081`).\n");
        for (int g = 0; g < conf->ngroups; g++) {
                const vg_conf_group_t *grp = conf->groups[g];
                int common                 = grp == &vg_conf_common;
                fprintf(fp, "\n## %s\n\n", grp->name);
                if (common)
                        fprintf(fp, "Read by every processor, and by "
                                    "vigie-ctl where it says so.\n\n"
                                    "| Property | Used by | Type | Range | "
                                    "Default | Description |\n"
                                    "|---|---|---|---|---|---|\n");
                else
                        fprintf(fp, "| Property | Type | Range | Default | "
                                    "Description |\n|---|---|---|---|---|\n");
                for (int i = 0; i < grp->nprops; i++) {
                        const vg_conf_prop_t *p = &grp->props[i];
                        vg_conf_range(p, range, sizeof(range));
                        const char *def = p->defval ? (*p->defval ? p->defval
                                                                  : "\"\"")
                                                    : "";
                        if (p->defval && !strcmp(p->defval, VG_SCHEMA_DIR))
                                def = "the source tree's schemas/"; /* build
                                                                       path */
                        fprintf(fp, "| `%s` | ", p->name);
                        if (common)
                                fprintf(fp, "%s | ",
                                        p->flags & VG_CONF_F_CTL
                                                ? "all processors, vigie-ctl"
                                                : "all processors");
                        fprintf(fp, "%s | %s | %s | %s", vg_conf_type_name(p),
                                range, def, p->desc);
                        vg_conf_mask_note(p, fp);
                        fprintf(fp, " |\n");
                }
        }
}

char *vg_conf_mask_url(const char *url, char *buf, size_t size)
{
        size_t o = 0;

        if (!size)
                return buf;
        for (const char *s = url; *s;) {
                const char *sep  = strstr(s, "://");
                const char *auth = sep ? sep + 3 : s + strlen(s);
                size_t alen      = sep ? strcspn(auth, "/?#, \t\r\n") : 0;
                const char *at   = memchr(auth, '@', alen);
                for (const char *c; at && (c = memchr(at + 1, '@',
                                                     alen - (at + 1 - auth)));)
                        at = c; /* the last '@' of the authority */
                for (; s < auth + alen; s++) {
                        if (s == auth && at) {
                                for (int i = 0; i < 3; i++)
                                        if (o + 1 < size)
                                                buf[o++] = '*';
                                s = at;
                        }
                        if (o + 1 < size)
                                buf[o++] = *s;
                }
        }
        buf[o] = '\0';
        return buf;
}

/* \p value as it may be printed: masked if \p flags say so. May use
 * \p *tmp (to free by the caller). */
static const char *vg_conf_masked(int flags, const char *value, char **tmp)
{
        if ((flags & VG_CONF_F_SECRET) && *value)
                return "********";
        if (flags & VG_CONF_F_URL) {
                size_t size = 2 * strlen(value) + 8; /* "@" -> "***@" */
                *tmp        = vg_malloc(size);
                return vg_conf_mask_url(value, *tmp, size);
        }
        return value;
}

/* The masking flags of list entry \p key. */
static int vg_conf_list_flags(const char *key)
{
        if (strncmp(key, "kafka.", 6))
                return 0;
        for (int i = 0; i < VG_CONF_NKAFKA_MASKED; i++)
                if (!strcmp(vg_conf_kafka_masked[i].name, key + 6))
                        return vg_conf_kafka_masked[i].flags;
        return 0;
}

void vg_conf_dump(const vg_conf_t *conf, FILE *fp)
{
        char *tmp;
        for (int i = 0; i < conf->nprops; i++) {
                const vg_conf_prop_t *p = conf->props[i];
                if (p->type == VG_CONF_LIST)
                        continue;
                tmp = NULL;
                fprintf(fp, "%s=%s\n", p->name,
                        vg_conf_masked(p->flags, conf->vals[i].str, &tmp));
                vg_free(tmp);
        }
        for (int i = 0; i < conf->nlists; i++) {
                const vg_conf_kv_t *kv = &conf->lists[i];
                tmp                    = NULL;
                fprintf(fp, "%s=%s\n", kv->key,
                        vg_conf_masked(vg_conf_list_flags(kv->key),
                                       kv->value, &tmp));
                vg_free(tmp);
        }
}
