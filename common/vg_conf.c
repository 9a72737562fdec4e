/**
 * @file vg_conf.c
 * @brief The property table and its parser (see vg_conf.h).
 */
#include "vg_conf.h"
#include "vg_mem.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef enum {
        VG_C_STR,
        VG_C_INT,
        VG_C_DBL,
        VG_C_BOOL,
        VG_C_ENUM, /**< string, one of vdef->enums */
        VG_C_LIST, /**< name ends in '*': any number of sub-keys */
} vg_conf_type_t;

typedef struct vg_conf_prop_s {
        int scope;
        const char *name;
        vg_conf_type_t type;
        const char *defval;
        double vmin, vmax;
        const char *enums; /**< comma-separated, for VG_C_ENUM */
        const char *desc;
} vg_conf_prop_t;

#define ALL VG_CONF_F_ALL
#define CHG VG_CONF_F_CHANGE
#define INC VG_CONF_F_INCIDENT
#define SUR VG_CONF_F_SURVEY
#define CTL VG_CONF_F_CTL

/* The one table. Keep it sorted by subsystem, then name. */
static const vg_conf_prop_t vg_conf_props[] = {
        /* Kafka */
        {ALL | CTL, "bootstrap.servers", VG_C_STR, "127.0.0.1:9092", 0, 0, NULL,
         "Kafka bootstrap servers (host:port,...). For the embedded broker, "
         "the address vigie-broker prints."},
        {ALL, "group.id", VG_C_STR, "", 0, 0, NULL,
         "Consumer group id. Empty: the processor's own name "
         "(vigie-change, ...). Instances with one group id split the "
         "partitions."},
        {ALL, "input.topic", VG_C_STR, "", 0, 0, NULL,
         "Input topic. Empty: the processor's default (itsm.changes, ...)."},
        {ALL, "output.topic", VG_C_STR, "", 0, 0, NULL,
         "Output topic for enriched records. Empty: the processor's "
         "default."},
        {ALL, "alert.topic", VG_C_STR, "itsm.alerts", 0, 0, NULL,
         "Topic for alerts."},
        {ALL | CTL, "deadletter.topic", VG_C_STR, "itsm.deadletter", 0, 0, NULL,
         "Topic for records that cannot be decoded or validated."},
        {ALL, "auto.offset.reset", VG_C_ENUM, "earliest", 0, 0,
         "earliest,latest",
         "Where a new consumer group starts: earliest replays history."},
        {ALL, "batch.size", VG_C_INT, "500", 1, 100000, NULL,
         "Records consumed per poll batch (features are read from Redis "
         "once per batch)."},
        {ALL, "batch.max.ms", VG_C_INT, "5", 0, 10000, NULL,
         "A batch closes this long after its first record even if not full: "
         "bounds the latency that batching adds when records trickle in."},
        {ALL, "poll.timeout.ms", VG_C_INT, "100", 1, 10000, NULL,
         "How long one poll waits for the first record of a batch."},
        {ALL | CTL, "flush.timeout.ms", VG_C_INT, "30000", 100, 600000, NULL,
         "On shutdown, how long to wait for outstanding deliveries."},
        {ALL | CTL, "kafka.*", VG_C_LIST, NULL, 0, 0, NULL,
         "Any librdkafka property, prefix removed: kafka.linger.ms=5 sets "
         "linger.ms (see librdkafka's CONFIGURATION.md)."},
        /* Avro */
        {ALL | CTL, "schema.dir", VG_C_STR, VG_SCHEMA_DIR, 0, 0, NULL,
         "Directory of the Avro schemas (*.avsc) and of registry.json, the "
         "local registry used when schema.registry.url is empty."},
        {ALL | CTL, "schema.registry.url", VG_C_STR, "", 0, 0, NULL,
         "Confluent-compatible Schema Registry (http://host:8081). Empty: "
         "schema ids come from schema.dir/registry.json."},
        /* Redis */
        {ALL, "redis.host", VG_C_STR, "127.0.0.1", 0, 0, NULL,
         "Redis host of the feature store."},
        {ALL, "redis.port", VG_C_INT, "6379", 1, 65535, NULL,
         "Redis port."},
        {ALL, "redis.db", VG_C_INT, "0", 0, 15, NULL, "Redis database."},
        {ALL, "redis.password", VG_C_STR, "", 0, 0, NULL,
         "Redis password (AUTH). Empty: none."},
        {ALL, "redis.prefix", VG_C_STR, "vigie:", 0, 0, NULL,
         "Prefix of every key vigie writes (see deploy/REDIS_KEYS.md)."},
        {ALL, "redis.timeout.ms", VG_C_INT, "1000", 10, 60000, NULL,
         "Connect and command timeout."},
        /* Runtime */
        {ALL | CTL, "log.level", VG_C_ENUM, "info", 0, 0,
         "error,warn,info,debug", "Log threshold (logfmt on stderr)."},
        {ALL, "stats.interval.ms", VG_C_INT, "10000", 0, 3600000, NULL,
         "Progress line (records in/out, lag, latency) every N ms; 0: off."},
        {ALL, "metrics.file", VG_C_STR, "", 0, 0, NULL,
         "Write metrics in Prometheus text format to this file at every "
         "stats interval (for node_exporter's textfile collector)."},
        {ALL, "checkpoint.interval.ms", VG_C_INT, "30000", 1000, 3600000,
         NULL, "How often model state is checkpointed to Redis."},
        /* vigie-change */
        {CHG, "change.band.medium", VG_C_DBL, "0.15", 0, 1, NULL,
         "p_failure from which a change is MEDIUM risk (below: LOW)."},
        {CHG, "change.band.high", VG_C_DBL, "0.30", 0, 1, NULL,
         "p_failure from which a change is HIGH risk."},
        {CHG, "change.band.critical", VG_C_DBL, "0.50", 0, 1, NULL,
         "p_failure from which a change is CRITICAL risk."},
        {CHG, "change.alert.band", VG_C_ENUM, "HIGH", 0, 0,
         "MEDIUM,HIGH,CRITICAL",
         "Alert (itsm.alerts, kind RISKY_CHANGE) from this band up, once "
         "per change and band."},
        {CHG, "change.alert.min.learned", VG_C_INT, "200", 0, 100000000,
         NULL,
         "No alert until the model has learned from this many outcomes "
         "(a cold model scores everything near 50%); scores are published "
         "all the same."},
        {CHG, "change.team.window.days", VG_C_INT, "90", 1, 3650, NULL,
         "Event-time window of a team's change record "
         "(team_changes_90d, team_failure_rate_90d)."},
        {CHG, "change.ci.window.days", VG_C_INT, "90", 1, 3650, NULL,
         "Event-time window of a CI's failed changes (ci_failures_90d)."},
        {CHG, "change.incident.window.days", VG_C_INT, "30", 1, 3650, NULL,
         "Event-time window of incidents on a CI (ci_incidents_30d), as "
         "written by the incident processor."},
        {CHG, "change.hash.bits", VG_C_INT, "18", 10, 26, NULL,
         "Feature hashing: 2^bits weights in the logistic model."},
        {CHG, "change.ftrl.alpha", VG_C_DBL, "0.1", 1e-6, 10, NULL,
         "FTRL-Proximal learning rate scale."},
        {CHG, "change.ftrl.l1", VG_C_DBL, "0.5", 0, 100, NULL,
         "FTRL-Proximal L1 strength (sparsity)."},
        {CHG, "change.ftrl.l2", VG_C_DBL, "1.0", 0, 100, NULL,
         "FTRL-Proximal L2 strength."},
        {CHG, "change.cluster.radius", VG_C_DBL, "0.75", 0.01, 2, NULL,
         "Cosine distance beyond which a change opens a new cluster of "
         "similar changes."},
        {CHG, "change.cluster.max", VG_C_INT, "64", 1, 1024, NULL,
         "Maximum number of clusters of similar changes."},
        {CHG, "change.features.ttl.days", VG_C_INT, "180", 1, 3650, NULL,
         "How long the features of a scored change are kept in Redis for "
         "learning when its outcome arrives."},
        {CHG, "change.model.key", VG_C_STR, "change", 0, 0, NULL,
         "Redis id of the model checkpoint (vigie:model:<id>:snapshot). "
         "Give instances that must not share a checkpoint their own."},
        {CHG, "change.rule.*", VG_C_LIST, NULL, 0, 0, NULL,
         "Recommendation rules, applied in order: change.rule.N = "
         "CONDITION => SENTENCE. CONDITION: terms joined by '&', each "
         "FIELD OP VALUE (OP: = != < <= > >=) or a bare flag; SENTENCE "
         "may use {field}. Fields: type, category, band, p_failure, "
         "night, weekend, lead_hours, duration_hours, backout_plan, "
         "test_plan, team_failure_rate_90d, team_changes_90d, "
         "ci_failures_90d, ci_incidents_30d, collisions. Empty: the "
         "built-in rules (see processors/change_risk/chg_rules.c)."},
};

#define VG_CONF_NPROPS (sizeof(vg_conf_props) / sizeof(vg_conf_props[0]))

typedef struct vg_conf_kv_s {
        char *key, *value;
} vg_conf_kv_t;

typedef struct vg_conf_val_s {
        char *str; /**< every value is kept as its string too */
        int64_t i;
        double d;
} vg_conf_val_t;

struct vg_conf_s {
        vg_conf_val_t vals[VG_CONF_NPROPS];
        vg_conf_kv_t *lists; /**< kafka.* and other list entries */
        int nlists;
};

static const vg_conf_prop_t *vg_conf_find(const char *name, int *idxp)
{
        for (size_t i = 0; i < VG_CONF_NPROPS; i++) {
                const vg_conf_prop_t *p = &vg_conf_props[i];
                size_t n                = strlen(p->name);
                if (p->type == VG_C_LIST) {
                        if (!strncmp(name, p->name, n - 1) && name[n - 1]) {
                                *idxp = (int)i;
                                return p;
                        }
                } else if (!strcmp(name, p->name)) {
                        *idxp = (int)i;
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
        case VG_C_INT:
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
        case VG_C_DBL:
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
        case VG_C_BOOL:
                if (vg_conf_parse_bool(value, &b) == -1)
                        return "expected true or false";
                out->i = b;
                return NULL;
        case VG_C_ENUM:
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
        const vg_conf_prop_t *p = vg_conf_find(name, &idx);

        if (!p) {
                snprintf(errstr, errstr_size,
                         "No such configuration property: \"%s\"", name);
                return VG_CONF_UNKNOWN;
        }
        if (p->type == VG_C_LIST) {
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

vg_conf_t *vg_conf_new(void)
{
        vg_conf_t *conf = vg_calloc(1, sizeof(*conf));
        char errstr[256];

        for (size_t i = 0; i < VG_CONF_NPROPS; i++) {
                const vg_conf_prop_t *p = &vg_conf_props[i];
                if (p->type == VG_C_LIST)
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
        for (size_t i = 0; i < VG_CONF_NPROPS; i++)
                vg_free(conf->vals[i].str);
        for (int i = 0; i < conf->nlists; i++) {
                vg_free(conf->lists[i].key);
                vg_free(conf->lists[i].value);
        }
        vg_free(conf->lists);
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
        const vg_conf_prop_t *p = vg_conf_find(name, &idx);
        if (!p || p->type == VG_C_LIST) {
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
        if (p->type == VG_C_INT)
                snprintf(buf, sz, "%.0f .. %.0f", p->vmin, p->vmax);
        else if (p->type == VG_C_DBL)
                snprintf(buf, sz, "%g .. %g", p->vmin, p->vmax);
        else if (p->type == VG_C_ENUM)
                snprintf(buf, sz, "%s", p->enums);
        else if (p->type == VG_C_BOOL)
                snprintf(buf, sz, "true, false");
        else
                buf[0] = '\0';
}

void vg_conf_print_help(FILE *fp, int scope_flags)
{
        char range[256];
        fprintf(fp, "Configuration properties (-X key=value, or key=value "
                    "lines in a -c file):\n");
        for (size_t i = 0; i < VG_CONF_NPROPS; i++) {
                const vg_conf_prop_t *p = &vg_conf_props[i];
                if (!(p->scope & scope_flags))
                        continue;
                vg_conf_range(p, range, sizeof(range));
                fprintf(fp, "  %-28s %s", p->name, vg_conf_type_name(p));
                if (range[0])
                        fprintf(fp, " [%s]", range);
                if (p->defval)
                        fprintf(fp, " (default: %s)",
                                *p->defval ? p->defval : "\"\"");
                fprintf(fp, "\n      %s\n", p->desc);
        }
}

void vg_conf_write_markdown(FILE *fp)
{
        char range[256];
        fprintf(fp,
                "# vigie configuration properties\n\n"
                "Generated by `vigie-ctl config --markdown` from the "
                "property table in\n`common/vg_conf.c`: do not edit by "
                "hand.\n\n"
                "Set them in a properties file (`-c FILE`: `key=value` lines, "
                "`#` comments)\nor on the command line (`-X key=value`, "
                "applied after the file).\n\n"
                "| Property | Used by | Type | Range | Default | Description "
                "|\n|---|---|---|---|---|---|\n");
        for (size_t i = 0; i < VG_CONF_NPROPS; i++) {
                const vg_conf_prop_t *p = &vg_conf_props[i];
                char scope[96] = "";
                if (p->scope & VG_CONF_F_ALL)
                        strcat(scope, "all processors ");
                if (p->scope & VG_CONF_F_CHANGE)
                        strcat(scope, "vigie-change ");
                if (p->scope & VG_CONF_F_INCIDENT)
                        strcat(scope, "vigie-incident ");
                if (p->scope & VG_CONF_F_SURVEY)
                        strcat(scope, "vigie-survey ");
                if (p->scope & VG_CONF_F_CTL)
                        strcat(scope, "vigie-ctl ");
                vg_conf_range(p, range, sizeof(range));
                const char *def = p->defval ? (*p->defval ? p->defval
                                                          : "\"\"")
                                            : "";
                if (p->defval && !strcmp(p->defval, VG_SCHEMA_DIR))
                        def = "the source tree's schemas/"; /* build path */
                fprintf(fp, "| `%s` | %s| %s | %s | %s | %s |\n", p->name,
                        scope, vg_conf_type_name(p), range, def, p->desc);
        }
}

void vg_conf_dump(const vg_conf_t *conf, FILE *fp)
{
        for (size_t i = 0; i < VG_CONF_NPROPS; i++) {
                const vg_conf_prop_t *p = &vg_conf_props[i];
                if (p->type == VG_C_LIST)
                        continue;
                int secret = strstr(p->name, "password") != NULL &&
                             *conf->vals[i].str;
                fprintf(fp, "%s=%s\n", p->name,
                        secret ? "********" : conf->vals[i].str);
        }
        for (int i = 0; i < conf->nlists; i++) {
                int secret = strstr(conf->lists[i].key, "password") ||
                             strstr(conf->lists[i].key, "secret");
                fprintf(fp, "%s=%s\n", conf->lists[i].key,
                        secret ? "********" : conf->lists[i].value);
        }
}
