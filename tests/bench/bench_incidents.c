/**
 * @file bench_incidents.c
 * @brief vigie-bench incidents: the incident processor (vigie-incident)
 *        end to end, against private vigie-brokers and redis-servers.
 *
 *   1. quality on the UCI incident event log (one partition, records in
 *      event-time order, predict before learn): close code and final
 *      assignment group of each incident's first enrichment, on the
 *      second half by opened_at, next to the majority class and to the
 *      batch logistic regression of ref_incidents.py (REFERENCE.md);
 *   2. speed on the same log: sustained events/s of one instance over a
 *      pre-produced backlog, ratio to a bare consume-produce pipe,
 *      latency at a steady rate, CPU and RSS;
 *   3. a generated world (vg_gen: changes and incidents of one seed) run
 *      through vigie-change and vigie-incident together: suspect changes
 *      against the true causing change, CHANGE_INDUCED_INCIDENT and
 *      RECURRING_INCIDENTS alerts, cause prediction;
 *   4. vigie-change's AUC on that world with vigie-incident running (its
 *      ci:{ci}:incidents windows feed ci_incidents_30d) and without.
 *
 * Each part runs against its own broker and Redis (bench_svc), started
 * and stopped here. The embedded broker keeps only ~5 MB per partition:
 * inputs are compressed (zstd) and, where one partition must hold the
 * whole log, produced in steps that wait for the processor's committed
 * offset.
 *
 * Prints a report with MET / NOT MET per target; exits 0, or 1 when a
 * measurement itself failed, 2 on usage.
 */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "bench_svc.h"
#include "ctl_csv.h"
#include "vg_avro.h"
#include "vg_hash.h"
#include "vg_log.h"
#include "vg_mem.h"

#define BI_LAB 64 /* bytes kept of a label or a CI */
#define BI_NUM 24 /* bytes of a record key (incident or change number) */

/* The log, beside the repository: ../shared/data from its root. */
#define BI_UCI_REL                                                             \
        "/../shared/data/uci-incident-event-log/incident_event_log.csv.xz"

enum { BI_UCI, BI_SPEED, BI_WORLD, BI_AUC, BI_NPARTS };
static const char *const bi_part_names[BI_NPARTS] = {"uci", "speed",
                                                     "world", "auc"};

/* ---------------------------------------------------------------------- */
/* The figures of REFERENCE.md, printed when no --ref JSON is given       */

#define BI_REF_DATE "2026-12-02"
#define BI_REF_VERSIONS "scikit-learn 1.2.1, numpy 1.24.2, Python 3.11.2"

/* [label][model]: top-1, top-3, macro-F1; labels close code, group;
 * models majority, logistic regression. */
static const double bi_ref_const[2][2][3] = {
        {{0.5901, 0.8965, 0.0437}, {0.5912, 0.9028, 0.0620}},
        {{0.4943, 0.5900, 0.0096}, {0.6951, 0.8745, 0.3709}},
};

/* ---------------------------------------------------------------------- */
/* Data: incidents and the records to produce                             */

/** An incident, its labels, and what vigie-incident published first. */
typedef struct bench_inc_s {
        char number[BI_NUM];
        char ci[BI_LAB];
        int64_t opened;          /**< opened_at of its first record, ms */
        int64_t first_key[3];    /**< (event time, mod count, line) of its */
        int64_t last_key[3];     /**< first and last records */
        char label[2][BI_LAB];   /**< UCI: close code, final group;
                                  *   world: u_cause ("" = none) */
        int resolved;            /**< has a record in a resolved state */
        int dropped;             /**< left out (--quick) */
        /* the simulation of its enrichments */
        int seen;
        uint64_t sig;
        /* its first ("opened") enrichment */
        int nopened, nupdated;
        int ntop[2];
        char top[2][3][BI_LAB];
        int nsus;
        char sus[3][BI_NUM];
        /* world truth */
        char true_change[BI_NUM];
        int recurring;
        int alerted;             /**< CHANGE_INDUCED_INCIDENT alerts */
        char alert_change[BI_NUM];
} bench_inc_t;

/** A record to produce, in the order of production. */
typedef struct bench_rec_s {
        void *buf;
        size_t len;
        char key[BI_NUM];
        int64_t et;      /**< sys_updated_on, ms */
        int32_t mod;     /**< sys_mod_count, -1 */
        int32_t line;    /**< file order */
        int32_t idx;     /**< its incident (incident records) */
        uint64_t sig;    /**< what an enrichment depends on */
        uint8_t change;  /**< a change record (world) */
        uint8_t resolved;
        uint8_t invalid; /**< vigie-incident dead-letters it */
        uint8_t expect;  /**< an output is expected for it */
} bench_rec_t;

typedef struct bench_data_s {
        bench_rec_t *recs;
        size_t nrec, caprec;
        bench_inc_t *incs;
        size_t ninc, capinc;
        bench_map_t index;      /**< incident number -> incs index */
        int64_t rejected;       /**< input rows that did not convert */
        int64_t expect_enr;     /**< enrichments expected */
        int64_t expect_scored;  /**< change scores expected */
        int64_t nchg_recs, ninc_recs, bytes;
} bench_data_t;

static void bench_data_init(bench_data_t *d, size_t max_incidents)
{
        memset(d, 0, sizeof(*d));
        bench_map_init(&d->index, max_incidents);
}

static void bench_data_free(bench_data_t *d)
{
        for (size_t i = 0; i < d->nrec; i++)
                vg_free(d->recs[i].buf);
        vg_free(d->recs);
        vg_free(d->incs);
        bench_map_free(&d->index);
        memset(d, 0, sizeof(*d));
}

static bench_inc_t *bench_inc_find(bench_data_t *d, const char *number)
{
        bench_slot_t *s = bench_map_get(&d->index, number, 0, 0);
        return s ? &d->incs[s->idx] : NULL;
}

static bench_inc_t *bench_inc_get(bench_data_t *d, const char *number)
{
        bench_slot_t *s = bench_map_get(&d->index, number, 0, 1);
        if (!s)
                return NULL;
        if (!s->seen++) {
                if (d->ninc == d->capinc) {
                        d->capinc = d->capinc ? 2 * d->capinc : 1024;
                        d->incs   = vg_realloc(d->incs, d->capinc *
                                                              sizeof(*d->incs));
                }
                bench_inc_t *inc = &d->incs[d->ninc];
                memset(inc, 0, sizeof(*inc));
                snprintf(inc->number, sizeof(inc->number), "%s", number);
                inc->first_key[0] = INT64_MAX;
                inc->last_key[0]  = INT64_MIN;
                s->idx            = (int64_t)d->ninc++;
        }
        return &d->incs[s->idx];
}

static int bench_key_cmp(const int64_t a[3], const int64_t b[3])
{
        for (int i = 0; i < 3; i++)
                if (a[i] != b[i])
                        return a[i] < b[i] ? -1 : 1;
        return 0;
}

/* What vigie-incident's enrichment depends on (inc_event.c: category,
 * subcategory, symptom, CI, texts): only its equality matters here. */
static uint64_t bench_inc_sig(const avro_value_t *val)
{
        static const char *const fields[] = {
                "category", "subcategory", "u_symptom", "cmdb_ci",
                "short_description", "description"};
        uint64_t h = 0x9e3779b97f4a7c15ULL;
        for (size_t i = 0; i < sizeof(fields) / sizeof(*fields); i++) {
                const char *s = vg_avro_str_or(val, fields[i], "");
                h = vg_hash64(s, strlen(s), h + i);
        }
        return h;
}

/* The UCI labels (close code, final group) of a record. */
static void bench_inc_labels(bench_inc_t *inc, const avro_value_t *val)
{
        snprintf(inc->label[0], BI_LAB, "%s",
                 vg_avro_str_or(val, "closed_code", ""));
        snprintf(inc->label[1], BI_LAB, "%s",
                 vg_avro_str_or(val, "assignment_group", ""));
}

/** @brief Adds the record \p val (a change if \p change) to \p d.
 *  @returns 0, or -1. */
static int bench_data_add(bench_data_t *d, const vg_avro_schema_t *sch,
                          avro_value_t *val, int change)
{
        bench_ev_t ev;
        if (bench_ev_encode(sch, val, &ev))
                return -1;
        if (d->nrec == d->caprec) {
                d->caprec = d->caprec ? 2 * d->caprec : 4096;
                d->recs   = vg_realloc(d->recs, d->caprec * sizeof(*d->recs));
        }
        bench_rec_t *r = &d->recs[d->nrec];
        memset(r, 0, sizeof(*r));
        r->buf  = ev.buf;
        r->len  = ev.len;
        r->et   = ev.event_time;
        r->line = (int32_t)d->nrec++;
        r->mod  = -1;
        r->idx  = -1;
        snprintf(r->key, sizeof(r->key), "%.23s", ev.number);
        d->bytes += (int64_t)ev.len;
        if (change) {
                r->change = 1;
                r->expect = (uint8_t)bench_change_scored(val);
                d->nchg_recs++;
                d->expect_scored += r->expect;
                return 0;
        }
        d->ninc_recs++;
        r->mod = vg_avro_int_or(val, "sys_mod_count", -1);
        const char *state = vg_avro_str_or(val, "incident_state", "");
        r->resolved = !strcasecmp(state, "Resolved") ||
                      !strcasecmp(state, "Closed");
        r->sig      = bench_inc_sig(val);
        int64_t opened = vg_avro_long_or(val, "opened_at", -1);
        int64_t res_at = vg_avro_long_or(val, "resolved_at", -1);
        if (opened < 0)
                opened = r->et;
        r->invalid = res_at >= 0 && res_at < opened;

        bench_inc_t *inc = bench_inc_get(d, r->key);
        if (!inc)
                return -1;
        r->idx = (int32_t)(inc - d->incs);
        int64_t key[3] = {r->et, r->mod, r->line};
        if (bench_key_cmp(key, inc->first_key) < 0) {
                memcpy(inc->first_key, key, sizeof(key));
                inc->opened = opened;
                snprintf(inc->ci, sizeof(inc->ci), "%s",
                         vg_avro_str_or(val, "cmdb_ci", ""));
        }
        if (bench_key_cmp(key, inc->last_key) > 0) {
                memcpy(inc->last_key, key, sizeof(key));
                bench_inc_labels(inc, val);
        }
        inc->resolved |= r->resolved;
        return 0;
}

/* Production order: event time, changes before incidents (a change at
 * work at T comes before an incident opened at T), sys_mod_count, file
 * order. */
static int bench_rec_cmp(const void *a, const void *b)
{
        const bench_rec_t *x = a, *y = b;
        if (x->et != y->et)
                return x->et < y->et ? -1 : 1;
        if (x->change != y->change)
                return x->change ? -1 : 1;
        if (x->mod != y->mod)
                return x->mod < y->mod ? -1 : 1;
        return (x->line > y->line) - (x->line < y->line);
}

/* Which records vigie-incident enriches (inc_proc.c inc_update): an
 * incident's first record, and a later one that is not resolved and
 * changes what the last enrichment depended on. Invalid records are
 * dead-lettered. */
static void bench_data_expect(bench_data_t *d)
{
        d->expect_enr = 0;
        for (size_t i = 0; i < d->nrec; i++) {
                bench_rec_t *r = &d->recs[i];
                if (r->change)
                        continue;
                bench_inc_t *inc = &d->incs[r->idx];
                r->expect = !r->invalid &&
                            (!inc->seen ||
                             (!r->resolved && r->sig != inc->sig));
                if (r->expect) {
                        inc->seen = 1;
                        inc->sig  = r->sig;
                        d->expect_enr++;
                }
        }
}

/* Incidents by (opened_at, number), the split of REFERENCE.md. */
static int bench_inc_order_cmp(const void *a, const void *b, void *arg)
{
        const bench_inc_t *incs = arg;
        const bench_inc_t *x = &incs[*(const size_t *)a];
        const bench_inc_t *y = &incs[*(const size_t *)b];
        if (x->opened != y->opened)
                return x->opened < y->opened ? -1 : 1;
        return strcmp(x->number, y->number);
}

/** @returns the kept incidents' indices by (opened_at, number)
 *           (vg_free()), their count in \p np. */
static size_t *bench_inc_order(const bench_data_t *d, size_t *np)
{
        size_t *o = vg_malloc((d->ninc + 1) * sizeof(*o)), n = 0;
        for (size_t i = 0; i < d->ninc; i++)
                if (!d->incs[i].dropped)
                        o[n++] = i;
        qsort_r(o, n, sizeof(*o), bench_inc_order_cmp, d->incs);
        *np = n;
        return o;
}

/* --quick: only the first \p keep incidents by opened_at, all of their
 * records. */
static void bench_data_keep(bench_data_t *d, size_t keep)
{
        size_t n, m = 0;
        size_t *o = bench_inc_order(d, &n);
        for (size_t i = keep; i < n; i++)
                d->incs[o[i]].dropped = 1;
        vg_free(o);
        d->ninc_recs = d->bytes = 0;
        for (size_t i = 0; i < d->nrec; i++) {
                bench_rec_t *r = &d->recs[i];
                if (!r->change && d->incs[r->idx].dropped) {
                        vg_free(r->buf);
                        continue;
                }
                d->ninc_recs += !r->change;
                d->bytes += (int64_t)r->len;
                d->recs[m++] = *r;
        }
        d->nrec = m;
}

/**
 * @brief Reads the UCI log (CSV, xz-compressed) into \p d, each row
 *        converted by vigie-ctl produce's CSV reader
 *        (sys_updated_at=sys_updated_on), in production order.
 * @returns 0, or -1.
 */
static int bench_uci_load(bench_data_t *d, const vg_avro_schema_t *sch,
                          const char *path)
{
        char cmd[PATH_MAX + 32], errstr[1024];
        ctl_csv_map_t *map = ctl_csv_map_new();
        avro_value_t val;
        int r, rc = -1;

        if (access(path, R_OK) || strchr(path, '\'')) {
                fprintf(stderr, "vigie-bench: cannot read %s (--uci)\n",
                        path);
                ctl_csv_map_destroy(map);
                return -1;
        }
        snprintf(cmd, sizeof(cmd), "xz -dc '%s'", path);
        FILE *fp = popen(cmd, "r");
        if (!fp) {
                fprintf(stderr, "vigie-bench: cannot run %s\n", cmd);
                ctl_csv_map_destroy(map);
                return -1;
        }
        ctl_csv_t *csv = ctl_csv_new(fp, path);
        vg_avro_schema_value_new(sch, &val);
        ctl_csv_map_add(map, "sys_updated_at=sys_updated_on", errstr,
                        sizeof(errstr));
        if (ctl_csv_header(csv, sch, map, errstr, sizeof(errstr))) {
                fprintf(stderr, "vigie-bench: %s\n", errstr);
                goto done;
        }
        while ((r = ctl_csv_read(csv, &val, errstr, sizeof(errstr))) !=
               CTL_CSV_EOF) {
                if (r == CTL_CSV_BAD) {
                        if (d->rejected++ < 5)
                                bench_note("%s", errstr);
                        continue;
                }
                if (bench_data_add(d, sch, &val, 0))
                        goto done;
        }
        rc = 0;
done:
        avro_value_decref(&val);
        ctl_csv_destroy(csv);
        ctl_csv_map_destroy(map);
        if (pclose(fp) != 0 && rc == 0) {
                fprintf(stderr, "vigie-bench: %s failed\n", cmd);
                rc = -1;
        }
        return rc;
}

/* ---------------------------------------------------------------------- */
/* Outputs read back                                                      */

/** Reads the labels of array \p field (records with a string \p sub)
 *  into \p out, at most 3. @returns how many. */
static int bench_top3(const avro_value_t *val, const char *field,
                      const char *sub, char (*out)[BI_LAB], size_t size)
{
        avro_value_t arr, elem;
        size_t n = 0;
        int k    = 0;
        if (vg_avro_get_field(val, field, &arr) != VG_OK ||
            avro_value_get_size(&arr, &n))
                return 0;
        for (size_t i = 0; i < n && k < 3; i++) {
                if (avro_value_get_by_index(&arr, i, &elem, NULL))
                        break;
                snprintf(out[k++], size, "%s",
                         vg_avro_str_or(&elem, sub, ""));
        }
        return k;
}

/** What the enriched records of a run say. */
typedef struct bench_collect_s {
        bench_data_t *d;
        const char *top_field[2]; /**< e.g. "top_close_codes" (or NULL) */
        int64_t records, opened, updated, unknown, bad;
} bench_collect_t;

static void bench_collect_enriched(const avro_value_t *val, void *opaque)
{
        bench_collect_t *c = opaque;
        const char *reason = vg_avro_str_or(val, "reason", "");
        bench_inc_t *inc   = bench_inc_find(c->d,
                                          vg_avro_str_or(val, "number", ""));
        char sus[3][BI_LAB];
        c->records++;
        if (!inc) {
                c->unknown++;
                return;
        }
        if (strcmp(reason, "opened")) {
                c->updated++;
                inc->nupdated++;
                return;
        }
        c->opened++;
        if (inc->nopened++)
                return; /* its first enrichment only */
        for (int l = 0; l < 2; l++)
                if (c->top_field[l])
                        inc->ntop[l] = bench_top3(val, c->top_field[l],
                                                  "label", inc->top[l],
                                                  BI_LAB);
        inc->nsus = bench_top3(val, "suspect_changes", "number", sus,
                               BI_LAB);
        for (int i = 0; i < inc->nsus; i++)
                snprintf(inc->sus[i], BI_NUM, "%.23s", sus[i]);
}

/* Decodes one message of a tail consumer for bench_collect_enriched. */
static void bench_collect_msg(bench_svc_t *svc, bench_collect_t *c,
                              const rd_kafka_message_t *rkm)
{
        char errstr[256];
        avro_value_t *val;
        if (rkm->err) {
                if (rkm->err != RD_KAFKA_RESP_ERR__PARTITION_EOF &&
                    c->bad++ < 3)
                        bench_note("enriched topic: %s",
                                   rd_kafka_message_errstr(rkm));
                return;
        }
        if (vg_avro_decode(svc->reg, rkm->payload, rkm->len, NULL, &val,
                           errstr, sizeof(errstr))) {
                c->bad++;
                return;
        }
        bench_collect_enriched(val, c);
}

/** @brief Serves \p cons (waiting up to \p timeout_ms for the first
 *         message), collecting enrichments. */
static void bench_drain(bench_svc_t *svc, rd_kafka_t *cons,
                        bench_collect_t *c, int timeout_ms)
{
        rd_kafka_message_t *rkm = rd_kafka_consumer_poll(cons, timeout_ms);
        while (rkm) {
                bench_collect_msg(svc, c, rkm);
                rd_kafka_message_destroy(rkm);
                rkm = rd_kafka_consumer_poll(cons, 0);
        }
}

/* ---------------------------------------------------------------------- */
/* Label scores                                                           */

/** Interned labels, with counts for the majority and the F1. */
typedef struct bench_cls_s {
        char (*name)[BI_LAB];
        int64_t *train, *first;     /**< train count, first train index */
        int64_t (*c)[2][3];         /**< [online|majority][tp, fp, fn] */
        int *in_test;
        int n, cap;
} bench_cls_t;

static int bench_cls_id(bench_cls_t *c, const char *s)
{
        for (int i = 0; i < c->n; i++)
                if (!strcmp(c->name[i], s))
                        return i;
        if (c->n == c->cap) {
                c->cap     = c->cap ? 2 * c->cap : 64;
                c->name    = vg_realloc(c->name, c->cap * sizeof(*c->name));
                c->train   = vg_realloc(c->train, c->cap * sizeof(*c->train));
                c->first   = vg_realloc(c->first, c->cap * sizeof(*c->first));
                c->c       = vg_realloc(c->c, c->cap * sizeof(*c->c));
                c->in_test = vg_realloc(c->in_test,
                                        c->cap * sizeof(*c->in_test));
        }
        snprintf(c->name[c->n], BI_LAB, "%s", s);
        c->train[c->n]   = 0;
        c->first[c->n]   = INT64_MAX;
        c->in_test[c->n] = 0;
        memset(c->c[c->n], 0, sizeof(c->c[0]));
        return c->n++;
}

static void bench_cls_free(bench_cls_t *c)
{
        vg_free(c->name);
        vg_free(c->train);
        vg_free(c->first);
        vg_free(c->c);
        vg_free(c->in_test);
}

typedef struct bench_score_s {
        double top1, top3, f1;
} bench_score_t;

typedef struct bench_eval_s {
        bench_score_t online, majority;
        int64_t n_train, n_test, no_enrichment, cls_train, cls_test;
        char majority_class[BI_LAB];
} bench_eval_t;

/* Updates the tp/fp/fn of \p m (0 online, 1 majority) for a prediction. */
static void bench_cls_count(bench_cls_t *c, int m, int truth, int pred)
{
        if (pred == truth) {
                c->c[truth][m][0]++;
                return;
        }
        c->c[truth][m][2]++;
        if (pred >= 0)
                c->c[pred][m][1]++;
}

/**
 * @brief Scores label \p l of the incidents in \p order (by opened_at):
 *        train = first half, test = second half (null labels dropped
 *        after the split), as REFERENCE.md: the first enrichment's
 *        top-1/top-3/macro-F1, and the train majority's.
 */
static void bench_eval_label(const bench_data_t *d, const size_t *order,
                             size_t n, int l, bench_eval_t *e)
{
        bench_cls_t c = {0};
        size_t half   = n / 2;
        int maj[3]    = {-1, -1, -1};
        int64_t hit[2][2] = {{0}};

        memset(e, 0, sizeof(*e));
        for (size_t i = 0; i < half; i++) {
                const bench_inc_t *inc = &d->incs[order[i]];
                if (!*inc->label[l])
                        continue;
                int id = bench_cls_id(&c, inc->label[l]);
                if (!c.train[id]++) {
                        c.first[id] = (int64_t)i;
                        e->cls_train++;
                }
                e->n_train++;
        }
        /* the 3 most frequent train classes (ties: first seen) */
        for (int k = 0; k < 3; k++)
                for (int id = 0; id < c.n; id++) {
                        if (!c.train[id] || id == maj[0] || id == maj[1])
                                continue;
                        if (maj[k] < 0 || c.train[id] > c.train[maj[k]] ||
                            (c.train[id] == c.train[maj[k]] &&
                             c.first[id] < c.first[maj[k]]))
                                maj[k] = id;
                }
        if (maj[0] >= 0)
                snprintf(e->majority_class, BI_LAB, "%s", c.name[maj[0]]);
        for (size_t i = half; i < n; i++) {
                const bench_inc_t *inc = &d->incs[order[i]];
                if (!*inc->label[l])
                        continue;
                int y = bench_cls_id(&c, inc->label[l]);
                if (!c.in_test[y]++)
                        e->cls_test++;
                e->n_test++;
                e->no_enrichment += !inc->nopened;
                int p = inc->ntop[l] ? bench_cls_id(&c, inc->top[l][0]) : -1;
                bench_cls_count(&c, 0, y, p);
                bench_cls_count(&c, 1, y, maj[0]);
                hit[0][0] += p == y;
                for (int k = 0; k < inc->ntop[l]; k++)
                        hit[0][1] += !strcmp(inc->top[l][k], inc->label[l]);
                hit[1][0] += maj[0] == y;
                hit[1][1] += maj[0] == y || maj[1] == y || maj[2] == y;
        }
        bench_score_t *s[2] = {&e->online, &e->majority};
        for (int m = 0; m < 2; m++) {
                double f1 = 0;
                for (int id = 0; id < c.n; id++) {
                        int64_t *t = c.c[id][m];
                        if (c.in_test[id] && t[0])
                                f1 += 2.0 * (double)t[0] /
                                      (double)(2 * t[0] + t[1] + t[2]);
                }
                double nt  = e->n_test ? (double)e->n_test : NAN;
                s[m]->top1 = (double)hit[m][0] / nt;
                s[m]->top3 = (double)hit[m][1] / nt;
                s[m]->f1   = e->cls_test ? f1 / (double)e->cls_test : NAN;
        }
        bench_cls_free(&c);
}

/* ---------------------------------------------------------------------- */
/* Options, report header                                                 */

typedef struct bench_inc_opts_s {
        bench_opts_t base; /**< with ref, skip and quick */
        const char *uci;
        double rate, secs;
        int64_t world_incidents, world_changes, max_lag;
        uint64_t world_seed;
} bench_inc_opts_t;

/* The default --uci: the shared data beside the repository. */
static const char *bench_uci_default(void)
{
        static char path[PATH_MAX + 80], real[PATH_MAX];
        snprintf(path, sizeof(path), "%s" BI_UCI_REL, bench_src_dir());
        return realpath(path, real) ? real : path;
}

static void bench_print_header(const bench_inc_opts_t *o)
{
        printf("\nvigie-bench incidents: incident processor, end to end\n"
               "=====================================================\n");
        bench_print_run();
        printf("setup: private vigie-broker and redis-server per part, "
               "processors as separate processes%s\n",
               o->base.quick ? "; --quick: small run, figures NOT comparable" :
                          "");
}

/** @returns the "resolutions N: M learned" figures of vigie-incident's
 *           summary (-1 if absent). */
static void bench_learned(const bench_proc_t *bp, long long *res,
                          long long *learned)
{
        *res = *learned = -1;
        for (int i = 0; i < bp->nsum; i++) {
                const char *at = strstr(bp->summary[i], "resolutions ");
                if (at && sscanf(at, "resolutions %lld: %lld learned", res,
                                 learned) == 2)
                        return;
        }
}

static int bench_produce_rec(vg_kafka_t *k, const char *topic,
                             const bench_rec_t *r)
{
        return bench_produce_buf(k, topic, r->key, r->buf, r->len, 0);
}

/* ---------------------------------------------------------------------- */
/* 1. Quality on the UCI log                                              */

typedef struct bench_uci_res_s {
        int ok;
        double secs;
        int64_t produced, committed, enriched_end, deadletters, dropped;
        int64_t got_first, resolved_incidents, waits;
        long long resolutions, learned;
        bench_collect_t col;
        bench_proc_t proc;
        bench_eval_t ev[2];
        size_t nincidents;
        char test_from[32];
} bench_uci_res_t;

/* What bench_pace() serves while it waits: the enriched records. */
typedef struct bench_uci_drain_s {
        bench_svc_t *svc;
        rd_kafka_t *cons;
        bench_collect_t *col;
} bench_uci_drain_t;

static void bench_uci_drain(void *opaque, int timeout_ms)
{
        bench_uci_drain_t *dr = opaque;
        bench_drain(dr->svc, dr->cons, dr->col, timeout_ms);
}

static int bench_uci_run(bench_svc_t *svc, const bench_inc_opts_t *o,
                         bench_data_t *d, bench_uci_res_t *res)
{
        static const char *const kv[] = {"kafka.linger.ms=20",
                                         "kafka.batch.num.messages=10000",
                                         NULL};
        bench_proc_t *bp = &res->proc;
        rd_kafka_t *gh = NULL, *cons = NULL;
        vg_kafka_t *k  = NULL;
        int np         = bench_parts(svc->rk, "itsm.incidents");
        int rc         = -1;
        uint64_t t0    = bench_now_ns();

        res->col.d            = d;
        res->col.top_field[0] = "top_close_codes";
        res->col.top_field[1] = "top_groups";
        if (bench_proc_start(svc, &o->base, bp, "vigie-incident",
                             "incident-uci", NULL))
                return -1;
        if (!(gh = bench_group_handle(svc, bp->group)) ||
            !(cons = bench_tail_consumer(svc, "itsm.incidents.enriched", 1)) ||
            !(k = bench_zproducer(svc, kv)))
                goto done;
        bench_note("UCI log: producing %s records to itsm.incidents (%d "
                   "partition), at most %s ahead of vigie-incident's "
                   "committed offset", BENCH_INT(d->nrec), np,
                   BENCH_INT(o->max_lag));
        int64_t committed = 0;
        bench_uci_drain_t dr = {svc, cons, &res->col};
        for (size_t i = 0; i < d->nrec; i++) {
                if ((int64_t)i - committed >= o->max_lag) {
                        res->waits++;
                        committed = bench_pace(k, gh, "itsm.incidents", np,
                                               bp, bench_uci_drain, &dr,
                                               (int64_t)i, o->max_lag / 2,
                                               committed);
                        if (committed < 0)
                                goto done;
                }
                if (bench_produce_rec(k, "itsm.incidents", &d->recs[i]))
                        goto done;
                res->produced++;
                if ((i & 1023) == 0)
                        vg_kafka_poll(k, 0);
        }
        if (bench_flush(k))
                goto done;
        committed = bench_pace(k, gh, "itsm.incidents", np, bp,
                               bench_uci_drain, &dr, res->produced, 0,
                               committed);
        if (committed < 0)
                goto done;
        res->committed = committed;
        /* the last enrichments, read */
        int nout      = bench_parts(svc->rk, "itsm.incidents.enriched");
        uint64_t tw   = bench_now_ns();
        res->enriched_end = bench_end_offsets(svc->rk,
                                              "itsm.incidents.enriched", nout);
        while (res->col.records < res->enriched_end &&
               bench_secs(tw, bench_now_ns()) < 30)
                bench_drain(svc, cons, &res->col, 100);
        res->dropped = bench_start_offsets(svc->rk, "itsm.incidents", np);
        res->deadletters = bench_end_offsets(
                svc->rk, "itsm.deadletter",
                bench_parts(svc->rk, "itsm.deadletter"));
        rc = 0;
done:
        res->secs = bench_secs(t0, bench_now_ns());
        if (k)
                vg_kafka_close(k, 5000);
        if (cons) {
                rd_kafka_consumer_close(cons);
                rd_kafka_destroy(cons);
        }
        if (gh)
                rd_kafka_destroy(gh);
        if (rc)
                bench_log_tail(bp->log, 30);
        bench_proc_finish(bp, "vigie-incident summary");
        return rc;
}

/* The reference figures: from ref_incidents.py's JSON, else the
 * constants of REFERENCE.md. [label][majority|logreg][top1, top3, f1] */
typedef struct bench_ref_s {
        double v[2][2][3];
        char source[PATH_MAX + 128];
        int from_json;
} bench_ref_t;

static void bench_ref_load(const char *path, bench_ref_t *ref)
{
        static const char *labels[2] = {"closed_code", "assignment_group"};
        static const char *models[2] = {"majority", "logreg"};
        static const char *keys[3]   = {"top1", "top3", "macro_f1"};
        json_t *root = bench_ref_open(path, BI_REF_DATE, BI_REF_VERSIONS,
                                      ref->source, sizeof(ref->source));

        memcpy(ref->v, bi_ref_const, sizeof(ref->v));
        ref->from_json = 0;
        if (!root)
                return;
        json_t *res = json_object_get(root, "results");
        int ok      = res != NULL;
        for (int l = 0; l < 2 && ok; l++)
                for (int m = 0; m < 2 && ok; m++)
                        for (int i = 0; i < 3 && ok; i++) {
                                json_t *v = json_object_get(
                                        json_object_get(
                                                json_object_get(res,
                                                                labels[l]),
                                                models[m]),
                                        keys[i]);
                                ok = json_is_number(v);
                                if (ok)
                                        ref->v[l][m][i] = json_number_value(v);
                        }
        if (!ok)
                memcpy(ref->v, bi_ref_const, sizeof(ref->v));
        ref->from_json = ok;
        bench_ref_close(root, ok, path, "ref_incidents.py", ref->source,
                        sizeof(ref->source));
}

static void bench_uci_eval(bench_data_t *d, bench_uci_res_t *res)
{
        size_t n;
        size_t *order = bench_inc_order(d, &n);
        res->nincidents = n;
        for (size_t i = 0; i < n; i++) {
                const bench_inc_t *inc = &d->incs[order[i]];
                res->got_first += inc->nopened > 0;
                res->resolved_incidents += inc->resolved;
        }
        if (n) {
                time_t t = (time_t)(d->incs[order[n / 2]].opened / 1000);
                strftime(res->test_from, sizeof(res->test_from),
                         "%Y-%m-%d %H:%M", gmtime(&t));
        }
        for (int l = 0; l < 2; l++)
                bench_eval_label(d, order, n, l, &res->ev[l]);
        bench_learned(&res->proc, &res->resolutions, &res->learned);
        vg_free(order);
}

static void bench_uci_report(const bench_inc_opts_t *o, const bench_data_t *d,
                             const bench_uci_res_t *r, const bench_ref_t *ref)
{
        static const char *titles[2] = {"close code", "final group"};
        printf("\n1. Quality on the UCI incident event log (one partition, "
               "event-time order, predict before learn)\n");
        if (bench_failed(r->ok))
                return;
        printf("   data           %s: %s rows (%s rejected), %s "
               "incidents%s\n", o->uci, BENCH_INT(d->nrec),
               BENCH_INT(d->rejected), BENCH_INT(r->nincidents),
               o->base.quick ? " (--quick: the first ones by opened_at)" : "");
        printf("   run            %s records produced (zstd), at most %s "
               "ahead of vigie-incident's committed\n"
               "                  offset (%s waits); %s committed; "
               "%.0f s; %s dropped by the broker, %s dead letters\n",
               BENCH_INT(r->produced), BENCH_INT(o->max_lag),
               BENCH_INT(r->waits), BENCH_INT(r->committed), r->secs,
               BENCH_INT(r->dropped), BENCH_INT(r->deadletters));
        printf("   enrichments    %s records read back (end offset %s): "
               "%s \"opened\", %s \"updated\"\n",
               BENCH_INT(r->col.records), BENCH_INT(r->enriched_end),
               BENCH_INT(r->col.opened), BENCH_INT(r->col.updated));
        printf("   incidents with a first (\"opened\") enrichment   %s of %s"
               "   %s\n", BENCH_INT(r->got_first),
               BENCH_INT(r->nincidents),
               bench_met(r->got_first == (int64_t)r->nincidents));
        printf("   learned (vigie-incident's summary)             %lld of "
               "%lld resolutions; incidents with a\n"
               "                  resolved record: %s   learned == that "
               "count: %s\n",
               r->learned, r->resolutions,
               BENCH_INT(r->resolved_incidents),
               bench_met(r->learned == r->resolved_incidents));
        printf("   protocol       tests/bench/REFERENCE.md: incidents by "
               "(opened_at, number), second half = test\n"
               "                  (%s incidents, opened from %s); labels "
               "of each incident's last row;\n"
               "                  online = its first enrichment's top-3 "
               "(no enrichment or none learned: a miss)\n",
               BENCH_INT(r->nincidents - r->nincidents / 2), r->test_from);
        printf("   reference      %s\n", ref->source);
        printf("\n                                          top-1   top-3  "
               "macro-F1   n test  (n train)\n");
        for (int l = 0; l < 2; l++) {
                const bench_eval_t *e = &r->ev[l];
                const double *lr      = ref->v[l][1];
                const double *mj      = ref->v[l][0];
                printf("   %-12s vigie-incident (online)   %.4f  %.4f   "
                       "%.4f  %7s  (%s)%s\n", titles[l], e->online.top1,
                       e->online.top3, e->online.f1, BENCH_INT(e->n_test),
                       BENCH_INT(e->n_train),
                       e->no_enrichment ? "  SOME NOT ENRICHED" : "");
                printf("   %-12s majority (this run)       %.4f  %.4f   "
                       "%.4f  (\"%s\")\n", "", e->majority.top1,
                       e->majority.top3, e->majority.f1, e->majority_class);
                printf("   %-12s majority (reference)      %.4f  %.4f   "
                       "%.4f\n", "", mj[0], mj[1], mj[2]);
                printf("   %-12s logistic regression (ref) %.4f  %.4f   "
                       "%.4f\n", "", lr[0], lr[1], lr[2]);
                printf("   %-12s online >= reference:  top-1 %+.4f %s,  "
                       "top-3 %+.4f %s\n\n", "",
                       e->online.top1 - lr[0],
                       bench_met(e->online.top1 >= lr[0]),
                       e->online.top3 - lr[1],
                       bench_met(e->online.top3 >= lr[1]));
        }
        bench_print_summary("vigie-incident's closing summary", &r->proc);
}

/* ---------------------------------------------------------------------- */
/* 2. Speed on the UCI log                                                */

/* The latency run's inputs: the log again from its start, each incident
 * renamed ("L" + number) so that it is new to vigie-incident. */
typedef struct bench_lat_src_s {
        bench_svc_t *svc;
        bench_data_t *d;
        vg_avro_schema_t *sch;
        size_t next;
} bench_lat_src_t;

static int bench_inc_lat_next(void *opaque, bench_ev_t *ev)
{
        bench_lat_src_t *ls = opaque;
        char errstr[256], name[BI_NUM];
        avro_value_t *val;
        if (ls->next >= ls->d->nrec)
                return 0;
        const bench_rec_t *r = &ls->d->recs[ls->next++];
        if (vg_avro_decode(ls->svc->reg, r->buf, r->len, NULL, &val, errstr,
                           sizeof(errstr))) {
                fprintf(stderr, "vigie-bench: %s\n", errstr);
                return -1;
        }
        snprintf(name, sizeof(name), "L%.22s", r->key);
        vg_avro_set_str(val, "number", name);
        if (bench_ev_encode(ls->sch, val, ev))
                return -1;
        ev->scored = r->expect;
        return 1;
}

/* Record \p i of the log (bench_rec_at_t). */
static const char *bench_inc_rec_at(void *opaque, size_t i, const void **buf,
                                    size_t *len)
{
        const bench_rec_t *r = &((const bench_data_t *)opaque)->recs[i];
        *buf                 = r->buf;
        *len                 = r->len;
        return r->key;
}

static int bench_speed_run(bench_svc_t *svc, const bench_inc_opts_t *o,
                           bench_data_t *d, bench_speed_t *res)
{
        if (bench_speed_produce(svc, res, "itsm.incidents", bench_inc_rec_at,
                                d, d->nrec, "records") ||
            bench_speed_backlog(svc, &o->base, res, "vigie-incident",
                                "incident-speed", "itsm.incidents",
                                "itsm.incidents.enriched", (int64_t)d->nrec,
                                d->expect_enr))
                return -1;

        bench_lat_src_t ls = {svc, d,
                              vg_avro_registry_by_topic(svc->reg,
                                                        "itsm.incidents"),
                              0};
        bench_lat_io_t io  = {
                .in_topic  = "itsm.incidents",
                .out_topic = "itsm.incidents.enriched",
                .next      = bench_inc_lat_next,
                .out_id    = "number",
                .opaque    = &ls,
                .proc_name = "vigie-incident",
        };
        bench_speed_latency(svc, res, &io, o->rate, o->secs, "events");
        bench_proc_finish(&res->proc, "vigie-incident summary");
        return 0;
}

static void bench_speed_report(const bench_inc_opts_t *o,
                               const bench_data_t *d, bench_speed_t *r,
                               int partitions)
{
        printf("\n2. Speed on the UCI log (%d partitions, one "
               "vigie-incident, pre-produced backlog)\n", partitions);
        if (bench_failed(r->tp_ok))
                return;
        printf("   backlog                            %s records (%.0f "
               "B/record Avro), produced zstd in %.1f s;\n"
               "                                      %s dropped by the "
               "broker (log start offsets)\n",
               BENCH_INT(d->nrec), (double)d->bytes / (double)d->nrec,
               r->produce_s, BENCH_INT(r->dropped));
        printf("   enrichments                        %s of %s expected%s; "
               "%s of %s input offsets committed\n",
               BENCH_INT(r->w.reached), BENCH_INT(d->expect_enr),
               r->w.reached < d->expect_enr ? " (STOPPED GROWING)" : "",
               BENCH_INT(r->committed), BENCH_INT(d->nrec));
        bench_speed_print_rate(r, "events");
        if (r->pipe_rate > 0)
                printf("   bare pipe (same records, same run) %s events/s\n"
                       "   vigie-incident = %.2f x bare pipe"
                       "                  target >= 0.25 x   %s\n",
                       BENCH_INT((int64_t)r->pipe_rate),
                       r->rate / r->pipe_rate,
                       bench_met(r->rate / r->pipe_rate >= 0.25));
        else
                printf("   bare pipe: measurement FAILED\n");
        bench_speed_print_cpu(r, (int64_t)d->nrec, "vigie-incident");
        bench_print_stats_line("vigie-incident's last stats line:",
                               r->proc.log);
        printf("\n   latency, vigie-incident running, paced producer "
               "(CreateTime = now; the log again,\n   incidents renamed "
               "L<number> so they are new)\n");
        bench_print_lat("vigie defaults (vigie-incident: linger.ms 2, "
                        "fetch.wait.max.ms 5; producer: linger.ms 2)",
                        "to enrich", "enriched", &r->lat, r->lat_ok, 15);
        char ck[512];
        if (bench_log_last(r->proc.log, "checkpoint: ", ck, sizeof(ck))) {
                ck[strcspn(ck, "\"")] = '\0';
                printf("     vigie-incident's model checkpoints (every "
                       "checkpoint.interval.ms) block its batches:\n"
                       "     %d in this part's log, the last: %s\n",
                       bench_log_count(r->proc.log, "checkpoint: "), ck);
        }
        bench_speed_print_memory(r, "vigie-incident");
        (void)o;
}

/* ---------------------------------------------------------------------- */
/* 3, 4. Generated world                                                  */

/** What one run of the world gives. */
typedef struct bench_world_res_s {
        int ok;
        double secs;
        int64_t syncs, produced_chg, produced_inc;
        bench_proc_t chg, inc;
        bench_map_t first_p;   /**< change number -> first scored p */
        double ci_inc_sum;     /**< ci_incidents_30d of first records */
        int64_t ci_inc_pos, nscored_first;
        /* alerts */
        int64_t a_chg, a_chg_ok, a_chg_wrong;
        int64_t a_recur_ci_planted, a_recur_ci_other, a_recur_cl_planted,
                a_recur_cl_other, a_other;
        int planted_hit[64];
} bench_world_res_t;

/** The world's truth and figures. */
typedef struct bench_world_s {
        bench_data_t d;
        bench_truth_t *truth;  /**< changes */
        size_t ntruth;
        int64_t nchanges, nincidents;
        char planted[64][BI_LAB]; /**< CIs of the planted recurrences */
        int nplanted;
        bench_world_res_t run[2]; /**< with vigie-incident, changes only */
        bench_collect_t col;
} bench_world_t;

/* A row of the incident truth (number,true_change,u_cause,u_sub_cause,
 * recurring[,spike]) into its incident. */
static void bench_world_truth_row(void *opaque, char **f, int n)
{
        bench_world_t *w = opaque;
        bench_inc_t *inc = n >= 5 ? bench_inc_find(&w->d, f[0]) : NULL;
        if (!inc)
                return;
        snprintf(inc->true_change, BI_NUM, "%s", f[1]);
        snprintf(inc->label[0], BI_LAB, "%s", f[2]);
        inc->label[1][0] = '\0';
        inc->recurring   = *f[4] != '\0';
        int k            = 0;
        while (inc->recurring && k < w->nplanted &&
               strcmp(w->planted[k], inc->ci))
                k++;
        if (inc->recurring && k == w->nplanted && k < 64)
                snprintf(w->planted[w->nplanted++], BI_LAB, "%s", inc->ci);
}

static int bench_world_read(bench_world_t *w, bench_svc_t *svc,
                            const char *path, const char *topic, int change)
{
        vg_avro_schema_t *sch = vg_avro_registry_by_topic(svc->reg, topic);
        avro_value_t val;
        bench_src_t src;
        int r;
        if (bench_src_open(&src, path))
                return -1;
        vg_avro_schema_value_new(sch, &val);
        while ((r = bench_src_read(&src, sch, &val)) > 0)
                if (bench_data_add(&w->d, sch, &val, change)) {
                        r = -1;
                        break;
                }
        avro_value_decref(&val);
        bench_src_close(&src);
        return r;
}

/* Generates the world in the temporary directory of \p svc and loads it
 * in production order. */
static int bench_world_make(bench_world_t *w, bench_svc_t *svc,
                            const bench_inc_opts_t *o)
{
        const char *ce = bench_tmp("changes.jsonl");
        const char *ct = bench_tmp("changes_truth.csv");
        char ie[PATH_MAX], it[PATH_MAX];
        snprintf(ie, sizeof(ie), "%s", bench_tmp("incidents.jsonl"));
        snprintf(it, sizeof(it), "%s", bench_tmp("incidents_truth.csv"));
        bench_note("world: generating %s changes and %s incidents, seed %"
                   PRIu64, BENCH_INT(w->nchanges), BENCH_INT(w->nincidents),
                   o->world_seed);
        if (bench_gen("changes", ce, ct, o->world_seed, w->nchanges,
                      o->base.full_updates) ||
            bench_gen("incidents", ie, it, o->world_seed, w->nincidents,
                      o->base.full_updates) ||
            bench_world_read(w, svc, ce, "itsm.changes", 1) ||
            bench_world_read(w, svc, ie, "itsm.incidents", 0) ||
            bench_csv_each(it, 8, bench_world_truth_row, w) ||
            !(w->truth = bench_truth_read(ct, &w->ntruth)))
                return -1;
        qsort(w->d.recs, w->d.nrec, sizeof(*w->d.recs), bench_rec_cmp);
        bench_data_expect(&w->d);
        return 0;
}

/** Change records read back: the p_failure of each change's first
 *  scored record. */
static void bench_world_scored_cb(const avro_value_t *val, void *opaque)
{
        bench_world_res_t *r = opaque;
        double p             = -1;
        int32_t ci_inc       = 0;
        bench_slot_t *s = bench_map_get(
                &r->first_p, vg_avro_str_or(val, "number", ""), 0, 1);
        if (!s || s->seen++)
                return;
        vg_avro_get_double(val, "p_failure", &p);
        vg_avro_get_int(val, "ci_incidents_30d", &ci_inc);
        s->p = p;
        r->nscored_first++;
        r->ci_inc_sum += ci_inc;
        r->ci_inc_pos += ci_inc > 0;
}

typedef struct bench_alert_ctx_s {
        bench_world_t *w;
        bench_world_res_t *r;
} bench_alert_ctx_t;

/* A cluster's members (comma-separated incident numbers): 1 if most of
 * them are planted recurrences. */
static int bench_members_planted(bench_world_t *w, const char *members)
{
        char buf[4096], *save = NULL;
        int n = 0, planted = 0;
        snprintf(buf, sizeof(buf), "%s", members);
        for (char *t = strtok_r(buf, ",", &save); t;
             t = strtok_r(NULL, ",", &save)) {
                const bench_inc_t *inc = bench_inc_find(&w->d, t);
                n++;
                planted += inc && inc->recurring;
        }
        return n && 2 * planted > n;
}

static void bench_world_alert_cb(const avro_value_t *val, void *opaque)
{
        bench_alert_ctx_t *a = opaque;
        bench_world_res_t *r = a->r;
        const char *kind     = vg_avro_str_or(val, "kind", "");
        const char *subject  = vg_avro_str_or(val, "subject", "");
        if (!strcmp(kind, "CHANGE_INDUCED_INCIDENT")) {
                bench_inc_t *inc = bench_inc_find(&a->w->d, subject);
                if (!inc || inc->alerted++)
                        return; /* one per incident */
                snprintf(inc->alert_change, BI_NUM, "%s",
                         bench_evidence(val, "change"));
                r->a_chg++;
                if (!*inc->true_change)
                        return;
                if (!strcmp(inc->true_change, inc->alert_change))
                        r->a_chg_ok++;
                else
                        r->a_chg_wrong++;
        } else if (!strcmp(kind, "RECURRING_INCIDENTS")) {
                if (!strncmp(subject, "ci:", 3)) {
                        char ci[BI_LAB];
                        int k = 0;
                        snprintf(ci, sizeof(ci), "%s", subject + 3);
                        if (strrchr(ci, '@'))
                                *strrchr(ci, '@') = '\0';
                        while (k < a->w->nplanted && strcmp(a->w->planted[k],
                                                            ci))
                                k++;
                        if (k < a->w->nplanted) {
                                r->a_recur_ci_planted++;
                                r->planted_hit[k]++;
                        } else {
                                r->a_recur_ci_other++;
                        }
                } else if (bench_members_planted(
                                   a->w, bench_evidence(val, "members"))) {
                        r->a_recur_cl_planted++;
                } else {
                        r->a_recur_cl_other++;
                }
        } else {
                r->a_other++;
        }
}

/* Flushes \p k and waits until \p topic's end offsets reach \p want.
 * @returns 0, or -1 (a processor exited, or 60 s without output). */
static int bench_world_sync(bench_svc_t *svc, vg_kafka_t *k,
                            const char *topic, int np, int64_t want,
                            const pid_t *pids, int npids)
{
        uint64_t t0 = bench_now_ns();
        if (bench_flush(k))
                return -1;
        for (;;) {
                if (bench_end_offsets(svc->rk, topic, np) >= want)
                        return 0;
                for (int i = 0; i < npids; i++)
                        if (!bench_alive(pids[i], NULL)) {
                                fprintf(stderr, "vigie-bench: a processor "
                                        "exited\n");
                                return -1;
                        }
                if (bench_secs(t0, bench_now_ns()) > 60) {
                        fprintf(stderr, "vigie-bench: %s stayed below %"
                                PRId64 " records for 60 s\n", topic, want);
                        return -1;
                }
                bench_sleep_ms(1);
        }
}

/**
 * @brief One run of the world: vigie-change (and vigie-incident if
 *        \p with_inc) on the merged stream. Before an incident's first
 *        record, every change record produced so far is scored; before a
 *        change record that is scored, every incident record produced so
 *        far is enriched: each processor sees the other's writes of the
 *        past. The changes-only run waits at the same points.
 */
static int bench_world_run(bench_svc_t *svc, const bench_inc_opts_t *o,
                           bench_world_t *w, int with_inc)
{
        static const char *const kv[] = {"kafka.linger.ms=0", NULL};
        bench_world_res_t *r = &w->run[!with_inc];
        bench_data_t *d      = &w->d;
        pid_t pids[2];
        int npids = 0, rc = -1;
        int64_t chg_want = 0, inc_want = 0;
        int chg_pending = 0, inc_pending = 0;
        int npc = bench_parts(svc->rk, "itsm.changes.scored");
        int npi = bench_parts(svc->rk, "itsm.incidents.enriched");
        vg_kafka_t *k = NULL;
        uint64_t t0   = bench_now_ns();

        bench_map_init(&r->first_p, (size_t)w->nchanges * 2);
        if (bench_proc_start(svc, &o->base, &r->chg, "vigie-change",
                             with_inc ? "change-world" : "change-only", NULL))
                goto done;
        pids[npids++] = r->chg.pid;
        if (with_inc) {
                if (bench_proc_start(svc, &o->base, &r->inc,
                                     "vigie-incident", "incident-world",
                                     NULL))
                        goto done;
                pids[npids++] = r->inc.pid;
        }
        if (!(k = bench_zproducer(svc, kv)))
                goto done;
        bench_note("world: producing %s records%s", BENCH_INT(d->nrec),
                   with_inc ? "" : " (changes only)");
        for (size_t i = 0; i < d->nrec; i++) {
                const bench_rec_t *rec = &d->recs[i];
                if (rec->change && rec->expect && inc_pending) {
                        r->syncs++;
                        if (bench_world_sync(svc, k,
                                             "itsm.incidents.enriched", npi,
                                             inc_want, pids, npids))
                                goto done;
                        inc_pending = 0;
                }
                if (!rec->change && rec->expect && chg_pending) {
                        r->syncs++;
                        if (bench_world_sync(svc, k, "itsm.changes.scored",
                                             npc, chg_want, pids, npids))
                                goto done;
                        chg_pending = 0;
                }
                if (!rec->change && !with_inc)
                        continue;
                if (bench_produce_rec(k, rec->change ? "itsm.changes"
                                                     : "itsm.incidents",
                                      rec))
                        goto done;
                if (rec->change) {
                        r->produced_chg++;
                        chg_want += rec->expect;
                        chg_pending |= rec->expect;
                } else {
                        r->produced_inc++;
                        inc_want += rec->expect;
                        inc_pending |= rec->expect;
                }
                vg_kafka_poll(k, 0);
        }
        if (bench_world_sync(svc, k, "itsm.changes.scored", npc, chg_want,
                             pids, npids) ||
            (with_inc && bench_world_sync(svc, k, "itsm.incidents.enriched",
                                          npi, inc_want, pids, npids)))
                goto done;
        bench_settle(svc, &r->chg, "itsm.changes", 60);
        if (with_inc)
                bench_settle(svc, &r->inc, "itsm.incidents", 60);
        r->secs = bench_secs(t0, bench_now_ns());
        rc      = 0;
done:
        if (k)
                vg_kafka_close(k, 5000);
        if (rc) {
                bench_log_tail(r->chg.log, 20);
                if (with_inc)
                        bench_log_tail(r->inc.log, 20);
        }
        bench_proc_finish(&r->chg, "vigie-change summary");
        bench_proc_finish(&r->inc, "vigie-incident summary");
        if (rc)
                return rc;
        bench_alert_ctx_t actx = {w, r};
        if (bench_read_all(svc, "itsm.changes.scored", bench_world_scored_cb,
                           r) < 0 ||
            (with_inc && (bench_read_all(svc, "itsm.incidents.enriched",
                                         bench_collect_enriched,
                                         &w->col) < 0 ||
                          bench_read_all(svc, "itsm.alerts",
                                         bench_world_alert_cb, &actx) < 0)))
                return -1;
        r->ok = 1;
        return 0;
}

/* The AUC of the first scored p_failure of the changes of \p r with an
 * outcome: all of them and the second half by number. */
static void bench_world_auc(const bench_world_t *w, bench_world_res_t *r,
                            double auc[3], size_t n[2])
{
        bench_sc_t *v  = vg_malloc((w->ntruth + 1) * sizeof(*v));
        bench_sc_t *vt = vg_malloc((w->ntruth + 1) * sizeof(*vt));
        for (int h = 0; h < 2; h++) {
                size_t m = 0;
                for (size_t i = h ? w->ntruth / 2 : 0; i < w->ntruth; i++) {
                        const bench_truth_t *t = &w->truth[i];
                        bench_slot_t *s = bench_map_get(&r->first_p,
                                                        t->number, 0, 0);
                        if (t->failed < 0 || !s)
                                continue;
                        v[m]  = (bench_sc_t){s->p, t->failed};
                        vt[m] = (bench_sc_t){t->p_true, t->failed};
                        m++;
                }
                n[h]   = m;
                auc[h] = bench_auc(v, m);
                if (h)
                        auc[2] = bench_auc(vt, m);
        }
        vg_free(v);
        vg_free(vt);
}

static void bench_world_report(const bench_inc_opts_t *o, bench_world_t *w,
                               int partitions)
{
        bench_world_res_t *r = &w->run[0];
        bench_data_t *d      = &w->d;
        size_t n;
        size_t *order = bench_inc_order(d, &n);
        int64_t ci = 0, top1 = 0, top3 = 0, any = 0, in_stream = 0;
        int64_t h_ci = 0, h_top1 = 0, h_top3 = 0;

        printf("\n3. Generated world (vg_gen seed %" PRIu64 ": %s changes, "
               "%s incidents, %s update records),\n   vigie-change and "
               "vigie-incident together, %d partitions\n", o->world_seed,
               BENCH_INT(w->nchanges), BENCH_INT(w->nincidents),
               o->base.full_updates ? "full" : "slim", partitions);
        if (!r->ok) {
                printf("   measurement FAILED (see messages above)\n");
                vg_free(order);
                return;
        }
        printf("   stream         %s change records (%s scored) and %s "
               "incident records (%s enriched)\n"
               "                  merged by sys_updated_on; %s syncs (before "
               "an incident's first record every change\n"
               "                  record so far is scored, before a scored "
               "change every incident so far enriched); %.0f s\n",
               BENCH_INT(d->nchg_recs), BENCH_INT(d->expect_scored),
               BENCH_INT(d->ninc_recs), BENCH_INT(d->expect_enr),
               BENCH_INT(r->syncs), r->secs);
        printf("   enrichments    %s read: %s \"opened\", %s \"updated\"\n",
               BENCH_INT(w->col.records), BENCH_INT(w->col.opened),
               BENCH_INT(w->col.updated));
        for (size_t i = 0; i < n; i++) {
                const bench_inc_t *inc = &d->incs[order[i]];
                if (!*inc->true_change)
                        continue;
                int hit = -1;
                for (int k = 0; k < inc->nsus; k++)
                        if (hit < 0 && !strcmp(inc->sus[k], inc->true_change))
                                hit = k;
                ci++;
                in_stream += bench_truth_find(w->truth, w->ntruth,
                                              inc->true_change) != NULL;
                top1 += hit == 0;
                top3 += hit >= 0 && hit < 3;
                any += inc->nsus > 0 && hit >= 0;
                if (i >= n / 2) {
                        h_ci++;
                        h_top1 += hit == 0;
                        h_top3 += hit >= 0 && hit < 3;
                }
        }
        double p1 = ci ? (double)top1 / (double)ci : NAN;
        double p3 = ci ? (double)top3 / (double)ci : NAN;
        printf("   suspect changes, first enrichment of each change-induced "
               "incident (truth true_change):\n"
               "                  %s incidents (their change in the "
               "stream: %s)\n", BENCH_INT(ci), BENCH_INT(in_stream));
        printf("                  true change top-1  %5.1f%% (%s)   target "
               ">= 80%%   %s\n", 100 * p1, BENCH_INT(top1),
               bench_met(p1 >= 0.80));
        printf("                  true change top-3  %5.1f%% (%s)   target "
               ">= 95%%   %s\n", 100 * p3, BENCH_INT(top3),
               bench_met(p3 >= 0.95));
        printf("                  second half by opened_at: top-1 %.1f%%, "
               "top-3 %.1f%% of %s\n",
               h_ci ? 100.0 * (double)h_top1 / (double)h_ci : NAN,
               h_ci ? 100.0 * (double)h_top3 / (double)h_ci : NAN,
               BENCH_INT(h_ci));
        double prec = r->a_chg ? (double)r->a_chg_ok / (double)r->a_chg : NAN;
        double rec  = ci ? (double)r->a_chg_ok / (double)ci : NAN;
        printf("   CHANGE_INDUCED_INCIDENT alerts  %s (one per incident): %s "
               "name the true change, %s another\n"
               "                  change of a change-induced incident, %s "
               "are on incidents no change caused;\n"
               "                  precision %.1f%%, recall %.1f%% (of the %s "
               "change-induced incidents)\n",
               BENCH_INT(r->a_chg), BENCH_INT(r->a_chg_ok),
               BENCH_INT(r->a_chg_wrong),
               BENCH_INT(r->a_chg - r->a_chg_ok - r->a_chg_wrong),
               100 * prec, 100 * rec, BENCH_INT(ci));
        int covered = 0;
        int64_t planted_inc = 0;
        for (int k = 0; k < w->nplanted; k++)
                covered += r->planted_hit[k] > 0;
        for (size_t i = 0; i < n; i++)
                planted_inc += d->incs[order[i]].recurring;
        printf("   RECURRING_INCIDENTS alerts      on a CI: %s on the %d "
               "planted recurring CIs (%d of them alerted),\n"
               "                  %s on other CIs; on a cluster: %s mostly "
               "of planted recurrences, %s others\n"
               "                  (%s incidents of planted recurrences)\n",
               BENCH_INT(r->a_recur_ci_planted), w->nplanted, covered,
               BENCH_INT(r->a_recur_ci_other),
               BENCH_INT(r->a_recur_cl_planted),
               BENCH_INT(r->a_recur_cl_other), BENCH_INT(planted_inc));
        bench_eval_t e;
        bench_eval_label(d, order, n, 0, &e);
        printf("   cause (u_cause), second half by opened_at, first "
               "enrichment:   top-1 %.4f  top-3 %.4f  macro-F1 %.4f\n"
               "                  (%s incidents; train-half majority \"%s\": "
               "top-1 %.4f  top-3 %.4f)\n",
               e.online.top1, e.online.top3, e.online.f1,
               BENCH_INT(e.n_test), e.majority_class, e.majority.top1,
               e.majority.top3);
        vg_free(order);
}

static void bench_auc_report(bench_world_t *w)
{
        static const char *what[2] = {"with vigie-incident   ",
                                      "changes only          "};
        double auc[2][3] = {{NAN, NAN, NAN}, {NAN, NAN, NAN}};
        size_t n[2][2]   = {{0}};
        printf("\n4. Change risk with incidents: vigie-change's ROC AUC "
               "(p_failure of each change's first\n   scored record vs the "
               "truth's failed; canceled changes left out), same world, "
               "same pacing\n");
        for (int i = 0; i < 2; i++) {
                bench_world_res_t *r = &w->run[i];
                if (!r->ok) {
                        printf("   %s measurement FAILED\n", what[i]);
                        continue;
                }
                bench_world_auc(w, r, auc[i], n[i]);
                printf("   %s AUC second half %.4f (%s changes), all %.4f "
                       "(%s); ci_incidents_30d > 0 on\n"
                       "                          %.1f%% of first scores "
                       "(mean %.2f)\n", what[i], auc[i][1],
                       BENCH_INT(n[i][1]), auc[i][0], BENCH_INT(n[i][0]),
                       r->nscored_first
                               ? 100.0 * (double)r->ci_inc_pos /
                                         (double)r->nscored_first
                               : NAN,
                       r->nscored_first ? r->ci_inc_sum /
                                                  (double)r->nscored_first
                                        : NAN);
        }
        if (w->run[0].ok && w->run[1].ok)
                printf("   difference (with - without)  second half %+.4f, "
                       "all %+.4f; AUC of the generator's p_true\n"
                       "                          (second half) %.4f\n",
                       auc[0][1] - auc[1][1], auc[0][0] - auc[1][0],
                       auc[0][2]);
}

/* ---------------------------------------------------------------------- */
/* Main                                                                   */

static void bench_incidents_usage(FILE *fp)
{
        fprintf(fp,
                "Usage: vigie-bench incidents [options]\n\n"
                "vigie-incident end to end, each part against its own "
                "vigie-broker and redis-server:\n"
                "  uci    quality on the UCI incident event log (close code, "
                "final group) vs the\n"
                "         majority class and the batch logistic regression "
                "of ref_incidents.py\n"
                "  speed  events/s over the log as a backlog, ratio to a "
                "bare pipe, latency, RSS\n"
                "  world  a generated world through vigie-change and "
                "vigie-incident: suspect\n"
                "         changes, alerts, causes\n"
                "  auc    vigie-change's AUC on that world with and without "
                "vigie-incident\n\n"
                "Options:\n"
                "  --uci FILE          the log, .csv.xz (default: "
                "../shared/data/uci-incident-event-log/\n"
                "                      incident_event_log.csv.xz from the "
                "repository's root)\n"
                "  --ref FILE          ref_incidents.py --json output "
                "(default: the figures of\n"
                "                      tests/bench/REFERENCE.md)\n"
                "  --skip PART         skip uci, speed, world or auc "
                "(repeatable, or comma-separated)\n"
                "  --quick             small run: 3,000 UCI incidents, 5 s "
                "of latency, a world of 800\n"
                "                      incidents (figures not comparable)\n"
                "  --partitions N      partitions of the speed and world "
                "brokers (default 8; uci: 1)\n"
                "  --rate R            latency run input rate, events/s "
                "(default 2000)\n"
                "  --duration S        seconds of the latency run (default "
                "20)\n"
                "  --max-lag N         uci: records produced ahead of "
                "vigie-incident's committed\n"
                "                      offset (default 5000)\n"
                "  --incidents N       world incidents (default 3000)\n"
                "  --changes N         world changes (default: incidents x "
                "2400/3600 + 5%%)\n"
                "  --seed S            world seed (default 11)\n"
                "  --slim-updates      world update records without the "
                "long texts\n"
                "  -X key=value        extra property of the processors "
                "(repeatable)\n"
                "  --keep              keep the temporary directories "
                "(logs, data)\n");
}

static int bench_incidents_opts(bench_inc_opts_t *o, int argc, char **argv)
{
        static const struct option lopts[] = {
                {"uci", required_argument, 0, 'u'},
                BENCH_LOPTS_PARTS,
                {"partitions", required_argument, 0, 'p'},
                {"rate", required_argument, 0, 'R'},
                {"duration", required_argument, 0, 'd'},
                {"max-lag", required_argument, 0, 'L'},
                {"incidents", required_argument, 0, 'i'},
                {"changes", required_argument, 0, 'c'},
                BENCH_LOPTS_TAIL,
        };
        int c, rate_set = 0, secs_set = 0, inc_set = 0;
        memset(o, 0, sizeof(*o));
        o->base.full_updates = 1;
        o->base.partitions   = 8;
        o->base.parts        = bi_part_names;
        o->base.nparts       = BI_NPARTS;
        o->uci               = bench_uci_default();
        o->rate              = 2000;
        o->secs              = 20;
        o->max_lag           = 5000;
        o->world_incidents   = 3000;
        o->world_seed        = 11;
        while ((c = getopt_long(argc, argv, "X:h", lopts, NULL)) != -1) {
                switch (c) {
                case 'u': o->uci = optarg; break;
                case 'p': o->base.partitions = atoi(optarg); break;
                case 'R': o->rate = atof(optarg); rate_set = 1; break;
                case 'd': o->secs = atof(optarg); secs_set = 1; break;
                case 'L': o->max_lag = atoll(optarg); break;
                case 'i': o->world_incidents = atoll(optarg); inc_set = 1;
                          break;
                case 'c': o->world_changes = atoll(optarg); break;
                case 'S': o->world_seed = strtoull(optarg, NULL, 10); break;
                case 'h': bench_incidents_usage(stdout); return 0;
                default:
                        if (bench_opts_common(&o->base, c, optarg))
                                return 2;
                }
        }
        if (o->base.quick) {
                if (!secs_set)
                        o->secs = 5;
                if (!inc_set)
                        o->world_incidents = 800;
        }
        (void)rate_set;
        if (o->world_changes <= 0) /* cover the incidents' span, + 5% */
                o->world_changes = (o->world_incidents * 2400 + 3599) / 3600 *
                                   105 / 100;
        if (o->base.partitions < 1 || o->rate <= 0 || o->secs <= 0 ||
            o->max_lag < 100 || o->world_incidents < 100)
                return 2;
        return -1; /* go on */
}

int bench_incidents_main(int argc, char **argv)
{
        static const char *const need[] = {
                "itsm.changes", "itsm.incidents", "itsm.changes.scored",
                "itsm.incidents.enriched", "itsm.alerts", "itsm.feedback"};
        bench_inc_opts_t o;
        bench_svc_t svc;
        bench_data_t uci        = {0};
        bench_uci_res_t *ures   = vg_calloc(1, sizeof(*ures));
        bench_speed_t *sres     = vg_calloc(1, sizeof(*sres));
        bench_world_t *w        = vg_calloc(1, sizeof(*w));
        bench_ref_t ref;
        int rc = bench_incidents_opts(&o, argc, argv), failed = 0;
        int partitions = o.base.partitions;
        uint64_t t0    = bench_now_ns();

        if (rc >= 0) {
                if (rc)
                        bench_incidents_usage(stderr);
                goto out;
        }
        rc = 0;
        vg_log_set_level_name("warn");
        bench_ref_load(o.base.ref, &ref);
        bench_data_init(&uci, 40000);
        if (!o.base.skip[BI_UCI] || !o.base.skip[BI_SPEED]) {
                vg_avro_registry_t *reg;
                char errstr[512];
                bench_note("reading %s", o.uci);
                if (!(reg = vg_avro_registry_new(VG_SCHEMA_DIR, NULL, errstr,
                                                 sizeof(errstr))) ||
                    bench_uci_load(&uci, vg_avro_registry_by_topic(
                                                 reg, "itsm.incidents"),
                                   o.uci)) {
                        vg_avro_registry_destroy(reg);
                        rc = 1;
                        goto out;
                }
                vg_avro_registry_destroy(reg);
                qsort(uci.recs, uci.nrec, sizeof(*uci.recs), bench_rec_cmp);
                if (o.base.quick)
                        bench_data_keep(&uci, 3000);
                bench_data_expect(&uci);
        }
        if (!o.base.skip[BI_UCI]) {
                o.base.partitions = 1;
                if (bench_svc_start(&svc, &o.base, need, 6, need, 4) == 0)
                        ures->ok = bench_uci_run(&svc, &o, &uci, ures) == 0;
                bench_uci_eval(&uci, ures);
                bench_part_stop(&svc);
                failed |= !ures->ok;
        }
        o.base.partitions = partitions;
        if (!o.base.skip[BI_SPEED]) {
                if (bench_svc_start(&svc, &o.base, need, 6, need, 4) == 0)
                        failed |= bench_speed_run(&svc, &o, &uci, sres) != 0;
                else
                        failed = 1;
                bench_part_stop(&svc);
        }
        if (!o.base.skip[BI_WORLD] || !o.base.skip[BI_AUC]) {
                w->nchanges   = o.world_changes;
                w->nincidents = o.world_incidents;
                bench_data_init(&w->d, (size_t)w->nincidents * 2);
                w->col.d            = &w->d;
                w->col.top_field[0] = "top_causes";
                for (int with = 1; with >= 0; with--) {
                        int made = 1;
                        if (!with && o.base.skip[BI_AUC])
                                break;
                        if (bench_svc_start(&svc, &o.base, need, 6, need,
                                            4) ||
                            (with && !(made = !bench_world_make(w, &svc,
                                                                &o))) ||
                            bench_world_run(&svc, &o, w, with))
                                failed = 1;
                        bench_part_stop(&svc);
                        if (!made)
                                break; /* no world */
                }
        }

        bench_print_header(&o);
        if (!o.base.skip[BI_UCI])
                bench_uci_report(&o, &uci, ures, &ref);
        if (!o.base.skip[BI_SPEED])
                bench_speed_report(&o, &uci, sres, partitions);
        if (!o.base.skip[BI_WORLD])
                bench_world_report(&o, w, partitions);
        if (!o.base.skip[BI_AUC])
                bench_auc_report(w);
        printf("\ntotal time %.0f s\n", bench_secs(t0, bench_now_ns()));
        bench_print_kept();
        rc = failed;
out:
        fflush(stdout);
        bench_lat_free(&sres->lat);
        for (int i = 0; i < 2; i++)
                if (w->run[i].first_p.s)
                        bench_map_free(&w->run[i].first_p);
        if (w->d.index.s)
                bench_data_free(&w->d);
        vg_free(w->truth);
        if (uci.index.s)
                bench_data_free(&uci);
        vg_free(ures);
        vg_free(sres);
        vg_free(w);
        return rc;
}
