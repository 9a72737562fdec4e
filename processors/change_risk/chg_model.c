/**
 * @file chg_model.c
 * @brief Change-risk models (see chg_model.h).
 */
#include "chg_model.h"
#include "vg_ftrl.h"
#include "vg_hash.h"
#include "vg_kmeans.h"
#include "vg_mem.h"
#include "vg_pii.h"
#include "vg_snapshot.h"
#include "vg_text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define CHG_EMBED_DIM 128
#define CHG_MEMBERS   32 /**< members kept per cluster, searched */
#define CHG_TEXT_MAX  8192 /**< bytes of a change's texts featurised */

struct chg_model_s {
        vg_ftrl_t *ftrl;
        vg_text_t *text;
        vg_kmeans_t *km;
        vg_preq_t *published; /**< published p vs outcome */
        double embed[CHG_EMBED_DIM];
        vg_similar_t members[CHG_MEMBERS]; /**< scratch for similar() */
        char version[64];
        char words[CHG_TEXT_MAX]; /**< the texts of a change, scrubbed */
        uint64_t pii[VG_PII_KINDS]; /**< personal data items scrubbed */
};

/* ---------------------------------------------------------------------- */
/* Construction                                                           */

static vg_ftrl_t *chg_ftrl_new(const vg_conf_t *conf, char *errstr,
                               size_t errstr_size)
{
        vg_ftrl_conf_t fc;
        vg_ftrl_conf_init(&fc);
        fc.hash_bits      = (int)vg_conf_get_int(conf, "change.hash.bits");
        fc.alpha          = vg_conf_get_double(conf, "change.ftrl.alpha");
        fc.l1             = vg_conf_get_double(conf, "change.ftrl.l1");
        fc.l2             = vg_conf_get_double(conf, "change.ftrl.l2");
        fc.preq.threshold = vg_conf_get_double(conf, "change.band.high");
        return vg_ftrl_new(&fc, errstr, errstr_size);
}

static vg_kmeans_t *chg_kmeans_new(const vg_conf_t *conf, char *errstr,
                                   size_t errstr_size)
{
        vg_kmeans_conf_t kc;
        vg_kmeans_conf_init(&kc);
        kc.dim           = CHG_EMBED_DIM;
        kc.dist          = VG_DIST_COSINE;
        kc.radius        = vg_conf_get_double(conf, "change.cluster.radius");
        kc.k_max         = (int)vg_conf_get_int(conf, "change.cluster.max");
        kc.half_life     = 20000; /* changes: old patterns fade */
        kc.time_unit     = VG_KMEANS_UNIT_POINTS;
        kc.reservoir_cap = CHG_MEMBERS;
        return vg_kmeans_new(&kc, errstr, errstr_size);
}

chg_model_t *chg_model_new(const vg_conf_t *conf, char *errstr,
                           size_t errstr_size)
{
        chg_model_t *m = vg_calloc(1, sizeof(*m));
        vg_text_conf_t tc;
        vg_preq_conf_t pc;

        vg_text_conf_init(&tc);
        tc.embed_dim = CHG_EMBED_DIM;
        vg_preq_conf_init(&pc);
        pc.threshold = vg_conf_get_double(conf, "change.band.high");
        if (!(m->ftrl = chg_ftrl_new(conf, errstr, errstr_size)) ||
            !(m->text = vg_text_new(&tc, errstr, errstr_size)) ||
            !(m->km = chg_kmeans_new(conf, errstr, errstr_size)) ||
            !(m->published = vg_preq_new(&pc, errstr, errstr_size))) {
                chg_model_destroy(m);
                return NULL;
        }
        return m;
}

void chg_model_destroy(chg_model_t *m)
{
        if (!m)
                return;
        vg_ftrl_destroy(m->ftrl);
        vg_text_destroy(m->text);
        vg_kmeans_destroy(m->km);
        vg_preq_destroy(m->published);
        vg_free(m);
}

/* ---------------------------------------------------------------------- */
/* Features                                                               */

static void chg_cat(vg_features_t *x, const char *key, const char *val)
{
        vg_features_add_kv(x, key, *val ? val : "(none)", 1.0);
}

static const char *chg_bucket(double v, const double *edges,
                              const char *const *names, int n)
{
        for (int i = 0; i < n - 1; i++)
                if (v < edges[i])
                        return names[i];
        return names[n - 1];
}

/* When the work happens: hour, weekday, night, weekend (UTC). */
static void chg_timing(vg_features_t *x, const chg_event_t *ev)
{
        static const char *days[] = {"sun", "mon", "tue", "wed",
                                     "thu", "fri", "sat"};
        char hour[8];
        struct tm tm;
        int night, weekend;

        if (chg_event_start(ev, &tm, &night, &weekend)) {
                vg_features_add(x, "start=unknown", 1.0);
                return;
        }
        hour[0] = (char)('0' + tm.tm_hour / 10);
        hour[1] = (char)('0' + tm.tm_hour % 10);
        hour[2] = '\0';
        vg_features_add_kv(x, "start_hour", hour, 1.0);
        vg_features_add_kv(x, "weekday", days[tm.tm_wday], 1.0);
        if (night) {
                vg_features_add(x, "night", 1.0);
                vg_features_add_kv(x, "night_type", ev->type, 1.0);
        }
        if (weekend)
                vg_features_add(x, "weekend", 1.0);
}

/* Lead time (opened -> planned start) and planned duration. */
static void chg_durations(vg_features_t *x, const chg_event_t *ev)
{
        static const double lead_e[] = {4, 24, 72, 168};
        static const char *lead_n[]  = {"<4h", "<24h", "<3d", "<1w", ">=1w"};
        static const double dur_e[]  = {1, 4, 12};
        static const char *dur_n[]   = {"<1h", "<4h", "<12h", ">=12h"};
        double h;

        if (chg_event_lead_hours(ev, &h) == 0) {
                vg_features_add_kv(x, "lead",
                                   chg_bucket(h, lead_e, lead_n, 5), 1.0);
                if (h < 24)
                        vg_features_add(x, "rushed", 1.0);
        }
        if (chg_event_duration_hours(ev, &h) == 0)
                vg_features_add_kv(x, "duration",
                                   chg_bucket(h, dur_e, dur_n, 4), 1.0);
}

/* Presence and size of the plans. */
static void chg_plans(vg_features_t *x, const chg_event_t *ev)
{
        static const double len_e[] = {1, 80, 300};
        static const char *len_n[]  = {"missing", "short", "medium", "long"};
        vg_features_add_kv(x, "backout_plan",
                           chg_bucket((double)strlen(ev->backout_plan), len_e,
                                      len_n, 4),
                           1.0);
        vg_features_add_kv(x, "test_plan",
                           chg_bucket((double)strlen(ev->test_plan), len_e,
                                      len_n, 4),
                           1.0);
}

/* Track records from the store, in event time. */
static void chg_history(vg_features_t *x, const chg_ctx_t *ctx)
{
        double rate = ((double)ctx->team_failed + 0.75) /
                      ((double)ctx->team_changes + 5.0);
        vg_features_add(x, "team_failure_rate_90d", rate * 4.0);
        vg_features_add(x, "team_changes_90d_log",
                        log1p((double)ctx->team_changes) / 5.0);
        vg_features_add(x, "ci_failures_90d",
                        (double)(ctx->ci_failures < 5 ? ctx->ci_failures : 5));
        vg_features_add(x, "ci_incidents_30d",
                        (double)(ctx->ci_incidents < 10 ? ctx->ci_incidents
                                                        : 10) / 2.0);
        if (ctx->ncollisions)
                vg_features_add(x, "collisions", (double)ctx->ncollisions);
        if (ctx->degraded)
                vg_features_add(x, "context_degraded", 1.0);
}

/* Appends \p src to the text at \p n. @returns the new length. */
static size_t chg_text_put(chg_model_t *m, size_t n, const char *src)
{
        size_t room = sizeof(m->words) - n;
        size_t len  = vg_strlcpy(m->words + n, src, room);
        return n + (len < room ? len : room - 1);
}

/* Words of the texts (hashed, tf-idf) and, from the same pass, the
 * embedding for clusters of similar changes. The free texts are scrubbed
 * of personal data first (vg_pii), so that no e-mail, phone number, name...
 * becomes a feature name, an explanation, a dictionary entry of the model
 * or a term of its vocabulary: only their placeholders do. */
static void chg_words(chg_model_t *m, vg_features_t *x,
                      const chg_event_t *ev)
{
        const char *free_text[] = {ev->short_description, ev->justification,
                                   ev->description};
        size_t n = 0;

        /* choice fields, not free text */
        n = chg_text_put(m, n, ev->category);
        n = chg_text_put(m, n, " ");
        n = chg_text_put(m, n, ev->type);
        for (size_t i = 0; i < sizeof(free_text) / sizeof(*free_text); i++) {
                vg_pii_counts_t pc;
                n = chg_text_put(m, n, "\n");
                n += vg_pii_scrub(free_text[i], strlen(free_text[i]),
                                  m->words + n, sizeof(m->words) - n, &pc);
                for (int k = 0; k < VG_PII_KINDS; k++)
                        m->pii[k] += pc.n[k];
        }
        vg_text_featurize(m->text, m->words, n, "w:", x, m->embed,
                          VG_TEXT_F_LEARN);
}

void chg_model_features(chg_model_t *m, const chg_event_t *ev,
                        const chg_ctx_t *ctx, vg_features_t *x)
{
        vg_features_clear(x);
        chg_cat(x, "type", ev->type);
        chg_cat(x, "category", ev->category);
        chg_cat(x, "assignment_group", ev->group);
        chg_cat(x, "cmdb_ci", ev->ci);
        chg_cat(x, "risk", ev->risk);
        chg_cat(x, "impact", ev->impact);
        chg_cat(x, "priority", ev->priority);
        chg_timing(x, ev);
        chg_durations(x, ev);
        chg_plans(x, ev);
        chg_history(x, ctx);
        chg_words(m, x, ev);
}

/* ---------------------------------------------------------------------- */
/* Scoring and learning                                                   */

double chg_model_predict(chg_model_t *m, const vg_features_t *x)
{
        return vg_ftrl_predict(m->ftrl, x);
}

int chg_model_explain(chg_model_t *m, const vg_features_t *x,
                      vg_contrib_t *out, int k)
{
        vg_contrib_t all[16];
        int n = vg_ftrl_explain(m->ftrl, x, all, k + 1 < 16 ? k + 1 : 16);
        int o = 0;
        for (int i = 0; i < n && o < k; i++)
                if (strcmp(all[i].name, "bias")) /* features only */
                        out[o++] = all[i];
        return o;
}

static int chg_failed_code(const char *code)
{
        return code && strcasecmp(code, "Successful") != 0;
}

void chg_model_similar(chg_model_t *m, const chg_event_t *ev, int observe,
                       chg_similar_t *sim)
{
        int64_t id = -1;
        int n      = vg_kmeans_similar(m->km, m->embed, CHG_MEMBERS,
                                       m->members, &id);
        int known = 0, failed = 0;

        sim->n = 0;
        for (int i = 0; i < n; i++) {
                const vg_similar_t *it = &m->members[i];
                if (!it->outcome)
                        continue;
                known++;
                failed += chg_failed_code(it->outcome);
                if (sim->n < 5 && strcmp(it->id, ev->number)) {
                        vg_strlcpy(sim->items[sim->n].number, it->id,
                                   sizeof(sim->items[0].number));
                        vg_strlcpy(sim->items[sim->n].close_code,
                                   it->outcome,
                                   sizeof(sim->items[0].close_code));
                        sim->items[sim->n++].distance = it->dist;
                }
        }
        sim->cluster_failure_rate = known ? (double)failed / known : -1.0;
        sim->cluster_id           = id;
        if (observe)
                sim->cluster_id = vg_kmeans_observe(m->km, ev->number,
                                                    m->embed, NULL,
                                                    ev->event_time, NULL);
}

int64_t chg_model_observe(chg_model_t *m, const chg_event_t *ev,
                          vg_features_t *scratch)
{
        chg_ctx_t none = {0};
        chg_model_features(m, ev, &none, scratch); /* text, embedding */
        return vg_kmeans_observe(m->km, ev->number, m->embed, NULL,
                                 ev->event_time, NULL);
}

void chg_model_learn(chg_model_t *m, const chg_event_t *ev,
                     const vg_features_t *x, int failed, int64_t cluster)
{
        if (x)
                vg_ftrl_learn(m->ftrl, x, failed);
        /* a known cluster spares a search through every reservoir */
        vg_kmeans_set_outcome(m->km, cluster, ev->number, ev->close_code);
}

void chg_model_score_outcome(chg_model_t *m, double p, int failed)
{
        vg_preq_add_binary(m->published, p, failed);
}

const vg_preq_t *chg_model_preq(const chg_model_t *m)
{
        return vg_ftrl_preq(m->ftrl);
}

const vg_preq_t *chg_model_published_preq(const chg_model_t *m)
{
        return m->published;
}

const uint64_t *chg_model_pii(const chg_model_t *m)
{
        return m->pii;
}

uint64_t chg_model_learned(const chg_model_t *m)
{
        return vg_ftrl_n_learned(m->ftrl);
}

const char *chg_model_version(chg_model_t *m)
{
        snprintf(m->version, sizeof(m->version), "change-ftrl/1 n=%llu",
                 (unsigned long long)vg_ftrl_n_learned(m->ftrl));
        return m->version;
}

size_t chg_model_memory(const chg_model_t *m)
{
        return sizeof(*m) + vg_ftrl_memory(m->ftrl) +
               vg_text_memory(m->text) + vg_kmeans_memory(m->km) +
               vg_preq_memory(m->published);
}

/* ---------------------------------------------------------------------- */
/* Checkpoints                                                            */

void *chg_model_save(const chg_model_t *m, size_t *lenp)
{
        vg_snap_writer_t *sw = vg_snap_writer_new(VG_SNAP_KIND_CHANGE);
        VG_SNAP_PUT_SAVED(sw, vg_ftrl_save, m->ftrl);
        VG_SNAP_PUT_SAVED(sw, vg_text_save, m->text);
        VG_SNAP_PUT_SAVED(sw, vg_kmeans_save, m->km);
        VG_SNAP_PUT_SAVED(sw, vg_preq_save, m->published);
        return vg_snap_writer_finish(sw, lenp);
}

int chg_model_restore(chg_model_t *m, const void *buf, size_t len,
                      char *errstr, size_t errstr_size)
{
        vg_snap_reader_t *sr = vg_snap_reader_new(buf, len,
                                                  VG_SNAP_KIND_CHANGE, errstr,
                                                  errstr_size);
        const void *p[4];
        size_t l[4];

        if (!sr)
                return -1;
        for (int i = 0; i < 4; i++)
                p[i] = vg_snap_get_bytes(sr, &l[i]);
        if (!vg_snap_ok(sr)) {
                vg_snap_reader_destroy(sr, errstr, errstr_size);
                return -1;
        }
        vg_ftrl_t *f   = vg_ftrl_load(p[0], l[0], errstr, errstr_size);
        vg_text_t *t   = f ? vg_text_load(p[1], l[1], errstr, errstr_size)
                           : NULL;
        vg_kmeans_t *k = t ? vg_kmeans_load(p[2], l[2], errstr, errstr_size)
                           : NULL;
        vg_preq_t *q   = k ? vg_preq_load(p[3], l[3], errstr, errstr_size)
                           : NULL;
        int rc = vg_snap_reader_destroy(sr, errstr, errstr_size) || !q;
        if (rc) { /* all or nothing: never loaded half-way */
                vg_ftrl_destroy(f);
                vg_text_destroy(t);
                vg_kmeans_destroy(k);
                vg_preq_destroy(q);
                return -1;
        }
        vg_ftrl_destroy(m->ftrl);
        vg_text_destroy(m->text);
        vg_kmeans_destroy(m->km);
        vg_preq_destroy(m->published);
        m->ftrl      = f;
        m->text      = t;
        m->km        = k;
        m->published = q;
        return 0;
}
