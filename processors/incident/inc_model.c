/**
 * @file inc_model.c
 * @brief vigie-incident's models (see inc_model.h).
 */
#include "inc_model.h"
#include "vg_hash.h"
#include "vg_kmeans.h"
#include "vg_mem.h"
#include "vg_pii.h"
#include "vg_preq.h"
#include "vg_snapshot.h"
#include "vg_softmax.h"
#include "vg_text.h"
#include "vg_utf8.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define INC_EMBED_DIM 64
#define INC_MEMBERS   32   /**< members kept per cluster, searched */
#define INC_TEXT_MAX  8192 /**< bytes of an incident's texts featurised */
#define INC_SEEN_KEEP_MS (400LL * 86400000LL) /**< learned set horizon */

/** The incidents learned: an open-addressing set of number hashes, with
 *  the event time each was learned at (old ones are pruned). */
typedef struct inc_seen_s {
        uint64_t *h;
        int64_t *t;
        size_t cap, n;
        int64_t latest;
} inc_seen_t;

struct inc_model_s {
        vg_softmax_t *sm[INC_NLABELS];
        vg_preq_t *published[INC_NLABELS]; /**< first predictions */
        vg_text_t *text;
        vg_kmeans_t *km;
        inc_rank_t *rank;
        inc_seen_t seen;
        int64_t first_ms; /**< earliest opened_at learned, or INT64_MAX */
        double radius;
        double embed[INC_EMBED_DIM];
        vg_similar_t members[INC_MEMBERS];
        float text_embed[INC_EMBED_DIM];
        char version[96];
        char words[INC_TEXT_MAX];
        uint64_t pii[VG_PII_KINDS];
};

/* ---------------------------------------------------------------------- */
/* The learned set                                                        */

static uint64_t inc_seen_hash(const char *number)
{
        uint64_t h = vg_hash64_str(number, 0x1ec1de47ULL);
        return h ? h : 1;
}

static void inc_seen_put(inc_seen_t *s, uint64_t h, int64_t t);

static void inc_seen_rehash(inc_seen_t *s, size_t cap)
{
        uint64_t *oh = s->h;
        int64_t *ot  = s->t;
        size_t ocap  = s->cap;
        s->h   = vg_calloc(cap, sizeof(*s->h));
        s->t   = vg_calloc(cap, sizeof(*s->t));
        s->cap = cap;
        s->n   = 0;
        for (size_t i = 0; i < ocap; i++) /* old entries pruned */
                if (oh[i] && ot[i] >= s->latest - INC_SEEN_KEEP_MS)
                        inc_seen_put(s, oh[i], ot[i]);
        vg_free(oh);
        vg_free(ot);
}

static size_t inc_seen_slot(const inc_seen_t *s, uint64_t h)
{
        size_t i = (size_t)(h & (s->cap - 1));
        while (s->h[i] && s->h[i] != h)
                i = (i + 1) & (s->cap - 1);
        return i;
}

static void inc_seen_put(inc_seen_t *s, uint64_t h, int64_t t)
{
        if ((s->n + 1) * 2 > s->cap)
                inc_seen_rehash(s, s->cap ? s->cap * 2 : 1024);
        size_t i = inc_seen_slot(s, h);
        if (!s->h[i])
                s->n++;
        s->h[i] = h;
        s->t[i] = t;
        if (t > s->latest)
                s->latest = t;
}

static int inc_seen_has(const inc_seen_t *s, uint64_t h)
{
        return s->cap && s->h[inc_seen_slot(s, h)] == h;
}

/* ---------------------------------------------------------------------- */
/* Construction                                                           */

static vg_softmax_t *inc_softmax_new(const vg_conf_t *conf, int label,
                                     char *errstr, size_t errstr_size)
{
        vg_softmax_conf_t sc;
        vg_softmax_conf_init(&sc);
        sc.hash_bits   = (int)vg_conf_get_int(conf, "incident.hash.bits");
        sc.alpha       = vg_conf_get_double(conf, label == INC_L_GROUP
                                                          ? "incident.group.alpha"
                                                          : "incident.softmax.alpha");
        sc.l1          = vg_conf_get_double(conf, "incident.softmax.l1");
        sc.l2          = vg_conf_get_double(conf, "incident.softmax.l2");
        sc.max_classes = (int)vg_conf_get_int(conf, "incident.max.classes");
        return vg_softmax_new(&sc, errstr, errstr_size);
}

static vg_kmeans_t *inc_kmeans_new(const vg_conf_t *conf, char *errstr,
                                   size_t errstr_size)
{
        vg_kmeans_conf_t kc;
        vg_kmeans_conf_init(&kc);
        kc.dim           = INC_EMBED_DIM;
        kc.dist          = VG_DIST_COSINE;
        kc.radius        = vg_conf_get_double(conf, "incident.cluster.radius");
        kc.k_max         = (int)vg_conf_get_int(conf, "incident.cluster.max");
        kc.half_life     = 20000;
        kc.time_unit     = VG_KMEANS_UNIT_POINTS;
        kc.reservoir_cap = INC_MEMBERS;
        return vg_kmeans_new(&kc, errstr, errstr_size);
}

inc_model_t *inc_model_new(const vg_conf_t *conf, char *errstr,
                           size_t errstr_size)
{
        inc_model_t *m = vg_calloc(1, sizeof(*m));
        vg_text_conf_t tc;

        vg_text_conf_init(&tc);
        tc.embed_dim = INC_EMBED_DIM;
        m->radius    = vg_conf_get_double(conf, "incident.cluster.radius");
        m->first_ms  = INT64_MAX;
        for (int l = 0; l < INC_NLABELS; l++)
                if (!(m->sm[l] = inc_softmax_new(conf, l, errstr,
                                                 errstr_size)) ||
                    !(m->published[l] = vg_preq_new(NULL, errstr,
                                                    errstr_size)))
                        goto fail;
        if (!(m->text = vg_text_new(&tc, errstr, errstr_size)) ||
            !(m->km = inc_kmeans_new(conf, errstr, errstr_size)) ||
            !(m->rank = inc_rank_new(errstr, errstr_size)))
                goto fail;
        return m;
fail:
        inc_model_destroy(m);
        return NULL;
}

void inc_model_destroy(inc_model_t *m)
{
        if (!m)
                return;
        for (int l = 0; l < INC_NLABELS; l++) {
                vg_softmax_destroy(m->sm[l]);
                vg_preq_destroy(m->published[l]);
        }
        vg_text_destroy(m->text);
        vg_kmeans_destroy(m->km);
        inc_rank_destroy(m->rank);
        vg_free(m->seen.h);
        vg_free(m->seen.t);
        vg_free(m);
}

int inc_model_embed_dim(void)
{
        return INC_EMBED_DIM;
}

/* ---------------------------------------------------------------------- */
/* Features                                                               */

static void inc_cat(vg_features_t *x, const char *key, const char *val)
{
        vg_features_add_kv(x, key, *val ? val : "(none)", 1.0);
}

static void inc_cross(vg_features_t *x, const char *key, const char *a,
                      const char *b)
{
        char v[256];
        snprintf(v, sizeof(v), "%s|%s", *a ? a : "-", *b ? b : "-");
        vg_features_add_kv(x, key, v, 1.0);
}

/* When it was opened: hour and weekday (UTC). */
static void inc_timing(vg_features_t *x, const inc_event_t *ev)
{
        static const char *days[] = {"sun", "mon", "tue", "wed",
                                     "thu", "fri", "sat"};
        time_t t = (time_t)(ev->opened_at / 1000);
        struct tm tm;
        char hour[4];
        gmtime_r(&t, &tm);
        snprintf(hour, sizeof(hour), "%02d", tm.tm_hour);
        vg_features_add_kv(x, "opened_hour", hour, 1.0);
        vg_features_add_kv(x, "opened_weekday", days[tm.tm_wday], 1.0);
}

/* The texts, scrubbed of personal data, into m->words. @returns length. */
static size_t inc_scrub_texts(inc_model_t *m, const inc_event_t *ev)
{
        const char *free_text[] = {ev->short_description, ev->description};
        size_t n = 0;
        for (size_t i = 0; i < 2; i++) {
                vg_pii_counts_t pc;
                if (!*free_text[i] || n + 2 >= sizeof(m->words))
                        continue;
                if (n)
                        m->words[n++] = '\n';
                n += vg_pii_scrub(free_text[i], strlen(free_text[i]),
                                  m->words + n, sizeof(m->words) - n, &pc);
                for (int k = 0; k < VG_PII_KINDS; k++)
                        m->pii[k] += pc.n[k];
        }
        m->words[n] = '\0';
        return n;
}

/* Adds field \p key = \p val to the embedding, by a signed hash into two
 * coordinates. */
static void inc_embed_cat(double *e, const char *key, const char *val,
                          double w)
{
        if (!*val)
                return;
        uint64_t h = vg_hash64_str(val, vg_hash64_str(key, 77));
        for (int k = 0; k < 2; k++, h = vg_hash_mix64(h)) {
                int i = (int)(h % INC_EMBED_DIM);
                e[i] += (h >> 63) ? w : -w;
        }
}

/* The embedding: the classification fields and the texts' words. */
static void inc_embed(inc_model_t *m, const inc_event_t *ev, size_t nwords,
                      float *out)
{
        double norm = 0;
        memset(m->embed, 0, sizeof(m->embed));
        if (nwords) {
                vg_text_featurize(m->text, m->words, nwords, NULL, NULL,
                                  m->embed, 0);
        }
        inc_embed_cat(m->embed, "category", ev->category, 0.6);
        inc_embed_cat(m->embed, "subcategory", ev->subcategory, 0.6);
        inc_embed_cat(m->embed, "symptom", ev->symptom, 0.6);
        inc_embed_cat(m->embed, "ci", ev->ci, 0.4);
        for (int i = 0; i < INC_EMBED_DIM; i++)
                norm += m->embed[i] * m->embed[i];
        norm = norm > 0 ? 1.0 / sqrt(norm) : 0;
        for (int i = 0; i < INC_EMBED_DIM; i++)
                out[i] = (float)(m->embed[i] * norm);
}

void inc_model_features(inc_model_t *m, const inc_event_t *ev,
                        vg_features_t *x, float *embed)
{
        size_t nwords = inc_scrub_texts(m, ev);

        vg_features_clear(x);
        inc_cat(x, "category", ev->category);
        inc_cat(x, "subcategory", ev->subcategory);
        inc_cat(x, "symptom", ev->symptom);
        inc_cat(x, "cmdb_ci", ev->ci);
        inc_cat(x, "impact", ev->impact);
        inc_cat(x, "urgency", ev->urgency);
        inc_cat(x, "priority", ev->priority);
        inc_cat(x, "assignment_group", ev->group);
        inc_cat(x, "contact_type", ev->contact_type);
        inc_cat(x, "location", ev->location);
        inc_cross(x, "category|subcategory", ev->category, ev->subcategory);
        inc_cross(x, "subcategory|symptom", ev->subcategory, ev->symptom);
        inc_timing(x, ev);
        if (ev->reassignments > 0)
                vg_features_add(x, "reassignments",
                                log1p((double)ev->reassignments));
        if (ev->reopens > 0)
                vg_features_add(x, "reopens", log1p((double)ev->reopens));
        if (nwords)
                vg_text_featurize(m->text, m->words, nwords, "w:", x, NULL,
                                  0);
        vg_features_add(x, "bias", 1.0);
        if (embed)
                inc_embed(m, ev, nwords, embed);
}

/* ---------------------------------------------------------------------- */
/* Scoring                                                                */

static void inc_label_copy(char *dst, const char *src)
{
        size_t i = 0;
        for (; src[i] && i < INC_LABEL_MAX - 1; i++)
                dst[i] = (src[i] == '\t' || src[i] == '\n') ? ' ' : src[i];
        /* cut: never end inside a UTF-8 character */
        dst[src[i] ? vg_utf8_trim_partial(dst, i) : i] = '\0';
}

void inc_model_predict(inc_model_t *m, const vg_features_t *x,
                       inc_top_t tops[INC_NLABELS])
{
        for (int l = 0; l < INC_NLABELS; l++) {
                vg_class_prob_t cp[3];
                int n = vg_softmax_predict(m->sm[l], x, cp, 3);
                tops[l].n = n;
                for (int i = 0; i < n; i++) {
                        inc_label_copy(tops[l].top[i].label, cp[i].label);
                        tops[l].top[i].p = cp[i].p;
                }
        }
}

int inc_model_explain(inc_model_t *m, const vg_features_t *x,
                      vg_contrib_t *out, int k)
{
        int l = vg_softmax_n_classes(m->sm[INC_L_CAUSE]) ? INC_L_CAUSE
                                                          : INC_L_CLOSE;
        vg_class_prob_t top;
        vg_contrib_t all[16];
        int o = 0;
        if (vg_softmax_predict(m->sm[l], x, &top, 1) < 1)
                return 0;
        int n = vg_softmax_explain(m->sm[l], x, top.cls, all,
                                   k + 1 < 16 ? k + 1 : 16);
        for (int i = 0; i < n && o < k; i++)
                if (strcmp(all[i].name, "bias"))
                        out[o++] = all[i];
        return o;
}

static const double *inc_embed_d(inc_model_t *m, const float *embed)
{
        for (int i = 0; i < INC_EMBED_DIM; i++)
                m->embed[i] = embed[i];
        return m->embed;
}

int64_t inc_model_cluster(inc_model_t *m, const float *embed)
{
        double d;
        int64_t id = vg_kmeans_assign(m->km, inc_embed_d(m, embed), &d);
        return id >= 0 && d <= m->radius ? id : -1;
}

/* A member's outcome: "close_code\tcause\tresolve_hours". */
static void inc_outcome_split(const char *o, char *code, char *cause,
                              double *hours)
{
        const char *t1 = strchr(o, '\t');
        const char *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        size_t l1      = t1 ? (size_t)(t1 - o) : strlen(o);
        size_t l2      = t2 ? (size_t)(t2 - t1 - 1) : 0;
        if (l1 >= INC_LABEL_MAX)
                l1 = INC_LABEL_MAX - 1;
        if (l2 >= INC_LABEL_MAX)
                l2 = INC_LABEL_MAX - 1;
        memcpy(code, o, l1);
        code[l1] = '\0';
        if (t1)
                memcpy(cause, t1 + 1, l2);
        cause[l2] = '\0';
        *hours    = t2 ? atof(t2 + 1) : -1;
}

void inc_model_similar(inc_model_t *m, const float *embed, const char *number,
                       inc_similar_t *sim)
{
        int64_t id = -1;
        int n = vg_kmeans_similar(m->km, inc_embed_d(m, embed), INC_MEMBERS,
                                  m->members, &id);
        sim->n = 0;
        for (int i = 0; i < n && sim->n < 5; i++) {
                const vg_similar_t *it = &m->members[i];
                if (!it->outcome || !strcmp(it->id, number))
                        continue;
                vg_strlcpy(sim->items[sim->n].number, it->id,
                           sizeof(sim->items[0].number));
                inc_outcome_split(it->outcome, sim->items[sim->n].close_code,
                                  sim->items[sim->n].cause,
                                  &sim->items[sim->n].resolve_hours);
                sim->items[sim->n++].distance = it->dist;
        }
}

inc_rank_t *inc_model_rank(inc_model_t *m)
{
        return m->rank;
}

size_t inc_model_encode_first(const inc_top_t tops[INC_NLABELS], char *buf,
                              size_t size)
{
        size_t off = 0;
        for (int l = 0; l < INC_NLABELS && off < size; l++) {
                for (int i = 0; i < tops[l].n && off < size; i++)
                        off += (size_t)snprintf(buf + off, size - off,
                                                "%s%s\t%.4f", i ? "\t" : "",
                                                tops[l].top[i].label,
                                                tops[l].top[i].p);
                if (off < size)
                        off += (size_t)snprintf(buf + off, size - off, "\n");
        }
        return off < size ? off : size - 1;
}

/* ---------------------------------------------------------------------- */
/* Learning                                                               */

/* Line \p l of the first predictions: the rank and p of \p truth. */
static void inc_first_rank(const char *first, size_t len, int l,
                           const char *truth, int *rank, double *p)
{
        const char *end = first + len, *s = first;
        char label[INC_LABEL_MAX];
        *rank = -1;
        *p    = 0;
        for (int i = 0; i < l && s < end; i++) {
                const char *nl = memchr(s, '\n', (size_t)(end - s));
                s = nl ? nl + 1 : end;
        }
        inc_label_copy(label, truth);
        for (int r = 0; r < 3 && s < end && *s != '\n'; r++) {
                const char *tab = memchr(s, '\t', (size_t)(end - s));
                if (!tab)
                        return;
                if ((size_t)(tab - s) == strlen(label) &&
                    !memcmp(s, label, (size_t)(tab - s))) {
                        *rank = r;
                        *p    = atof(tab + 1);
                        return;
                }
                s = tab + 1;
                while (s < end && *s != '\t' && *s != '\n')
                        s++;
                if (s < end && *s == '\t')
                        s++;
        }
}

/* Label \p l of a lesson: corrected, else the record's. */
static const char *inc_lesson_label(const inc_lesson_t *ls, int l)
{
        return ls->labels[l] ? ls->labels[l] : ls->ev->labels[l];
}

static void inc_learn_published(inc_model_t *m, const inc_lesson_t *ls)
{
        if (!ls->first)
                return;
        for (int l = 0; l < INC_NLABELS; l++) {
                int rank;
                double p;
                if (!*inc_lesson_label(ls, l))
                        continue;
                inc_first_rank(ls->first, ls->first_len, l,
                               inc_lesson_label(ls, l), &rank, &p);
                vg_preq_add_multi(m->published[l], p, rank);
        }
}

static void inc_learn_cluster(inc_model_t *m, const inc_lesson_t *ls,
                              const float *embed)
{
        const inc_event_t *ev = ls->ev;
        char outcome[3 * INC_LABEL_MAX];
        double hours = ev->resolved_at >= 0
                               ? (double)(ev->resolved_at - ev->opened_at) /
                                         3600000.0
                               : -1;
        snprintf(outcome, sizeof(outcome), "%.63s\t%.63s\t%.2f",
                 inc_lesson_label(ls, INC_L_CLOSE),
                 inc_lesson_label(ls, INC_L_CAUSE), hours);
        vg_kmeans_observe(m->km, ev->number, inc_embed_d(m, embed), outcome,
                          ev->opened_at, NULL);
}

int inc_model_learn(inc_model_t *m, const inc_lesson_t *ls,
                    vg_features_t *scratch)
{
        const inc_event_t *ev = ls->ev;
        uint64_t h            = inc_seen_hash(ev->number);
        const vg_features_t *x = ls->x;
        float own[INC_EMBED_DIM];
        const float *embed = ls->embed;

        if (inc_seen_has(&m->seen, h))
                return 0;
        if (!x || !embed) { /* never scored: as it is now */
                inc_model_features(m, ev, scratch, own);
                x     = x ? x : scratch;
                embed = embed ? embed : own;
        }
        inc_learn_published(m, ls);
        for (int l = 0; l < INC_NLABELS; l++)
                if (*inc_lesson_label(ls, l))
                        vg_softmax_learn(m->sm[l], x, inc_lesson_label(ls, l));
        inc_learn_cluster(m, ls, embed);
        inc_rank_learn(m->rank, ls->suspects, ls->nsuspects,
                       ls->cause ? ls->cause : inc_event_cause_change(ev));
        inc_seen_put(&m->seen, h, ev->event_time);
        if (ev->opened_at < m->first_ms)
                m->first_ms = ev->opened_at;
        return 1;
}

int64_t inc_model_first_opened(const inc_model_t *m)
{
        return m->first_ms == INT64_MAX ? -1 : m->first_ms;
}

int inc_model_learned_incident(const inc_model_t *m, const char *number)
{
        return inc_seen_has(&m->seen, inc_seen_hash(number));
}

uint64_t inc_model_learned(const inc_model_t *m)
{
        return m->seen.n;
}

void inc_model_report(const inc_model_t *m, FILE *fp)
{
        char line[512];
        for (int l = 0; l < INC_NLABELS; l++) {
                const vg_preq_t *pq = m->published[l];
                /* only the top 3 are kept as published: no log-loss */
                fprintf(fp, "  %-17s %3d classes  first predictions: n=%.0f "
                        "top1=%.4f top3=%.4f (faded)\n",
                        inc_label_field(l), vg_softmax_n_classes(m->sm[l]),
                        vg_preq_get(pq, VG_PREQ_N),
                        vg_preq_get(pq, VG_PREQ_TOP1),
                        vg_preq_get(pq, VG_PREQ_TOP3));
        }
        inc_rank_quality(m->rank, line, sizeof(line));
        fprintf(fp, "  %-17s %llu incident(s) with suspects: %s\n",
                "suspect ranking",
                (unsigned long long)inc_rank_learned(m->rank), line);
        fprintf(fp, "  %-17s %d live cluster(s)\n", "clusters",
                vg_kmeans_k(m->km));
}

const uint64_t *inc_model_pii(const inc_model_t *m)
{
        return m->pii;
}

const char *inc_model_version(inc_model_t *m)
{
        snprintf(m->version, sizeof(m->version), "incident/1 n=%llu k=%d",
                 (unsigned long long)m->seen.n, vg_kmeans_k(m->km));
        return m->version;
}

size_t inc_model_memory(const inc_model_t *m)
{
        size_t n = sizeof(*m) + vg_text_memory(m->text) +
                   vg_kmeans_memory(m->km) + inc_rank_memory(m->rank) +
                   m->seen.cap * 16;
        for (int l = 0; l < INC_NLABELS; l++)
                n += vg_softmax_memory(m->sm[l]) +
                     vg_preq_memory(m->published[l]);
        return n;
}

/* ---------------------------------------------------------------------- */
/* Checkpoints                                                            */

void *inc_model_save(const inc_model_t *m, size_t *lenp)
{
        vg_snap_writer_t *sw = vg_snap_writer_new(VG_SNAP_KIND_INCIDENT);
        for (int l = 0; l < INC_NLABELS; l++) {
                VG_SNAP_PUT_SAVED(sw, vg_softmax_save, m->sm[l]);
                VG_SNAP_PUT_SAVED(sw, vg_preq_save, m->published[l]);
        }
        VG_SNAP_PUT_SAVED(sw, vg_kmeans_save, m->km);
        inc_rank_write(m->rank, sw);
        vg_snap_put_u64(sw, m->seen.n);
        for (size_t i = 0; i < m->seen.cap; i++) {
                if (!m->seen.h[i])
                        continue;
                vg_snap_put_u64(sw, m->seen.h[i]);
                vg_snap_put_i64(sw, m->seen.t[i]);
        }
        vg_snap_put_i64(sw, m->first_ms);
        return vg_snap_writer_finish(sw, lenp);
}

/* The parts of a checkpoint, loaded into a fresh model \p n. */
static int inc_model_read(inc_model_t *n, vg_snap_reader_t *sr, char *errstr,
                          size_t errstr_size)
{
        size_t len;
        const void *b;
        for (int l = 0; l < INC_NLABELS; l++) {
                vg_softmax_destroy(n->sm[l]);
                vg_preq_destroy(n->published[l]);
                n->published[l] = NULL;
                b = vg_snap_get_bytes(sr, &len);
                if (!vg_snap_ok(sr) ||
                    !(n->sm[l] = vg_softmax_load(b, len, errstr,
                                                 errstr_size)))
                        return -1;
                b = vg_snap_get_bytes(sr, &len);
                if (!vg_snap_ok(sr) ||
                    !(n->published[l] = vg_preq_load(b, len, errstr,
                                                     errstr_size)))
                        return -1;
        }
        vg_kmeans_destroy(n->km);
        b = vg_snap_get_bytes(sr, &len);
        if (!vg_snap_ok(sr) ||
            !(n->km = vg_kmeans_load(b, len, errstr, errstr_size)))
                return -1;
        if (inc_rank_read(n->rank, sr, errstr, errstr_size))
                return -1;
        uint64_t cnt = vg_snap_get_u64(sr);
        if (cnt > vg_snap_remaining(sr) / 16) {
                snprintf(errstr, errstr_size, "learned set: truncated");
                return -1;
        }
        for (uint64_t i = 0; i < cnt; i++) {
                uint64_t h = vg_snap_get_u64(sr);
                inc_seen_put(&n->seen, h, vg_snap_get_i64(sr));
        }
        n->first_ms = vg_snap_get_i64(sr);
        return vg_snap_ok(sr) ? 0 : -1;
}

/* Moves the state of \p from into \p to (\p from is freed). */
static void inc_model_move(inc_model_t *to, inc_model_t *from)
{
        inc_model_t tmp = *to;
        memcpy(to->sm, from->sm, sizeof(to->sm));
        memcpy(to->published, from->published, sizeof(to->published));
        to->km   = from->km;
        to->rank = from->rank;
        to->seen = from->seen;
        to->first_ms = from->first_ms;
        memcpy(from->sm, tmp.sm, sizeof(tmp.sm));
        memcpy(from->published, tmp.published, sizeof(tmp.published));
        from->km   = tmp.km;
        from->rank = tmp.rank;
        from->seen = tmp.seen;
        inc_model_destroy(from);
}

int inc_model_restore(inc_model_t *m, const void *buf, size_t len,
                      char *errstr, size_t errstr_size)
{
        vg_snap_reader_t *sr = vg_snap_reader_new(buf, len,
                                                  VG_SNAP_KIND_INCIDENT,
                                                  errstr, errstr_size);
        inc_model_t *n;
        char e2[256];
        if (!sr)
                return -1;
        /* a fresh model of the same configuration, filled: all or nothing */
        n = vg_calloc(1, sizeof(*n));
        *n = (inc_model_t){.radius = m->radius};
        n->rank = inc_rank_new(errstr, errstr_size);
        if (!n->rank || inc_model_read(n, sr, errstr, errstr_size)) {
                vg_snap_reader_destroy(sr, e2, sizeof(e2));
                inc_model_destroy(n);
                return -1;
        }
        if (vg_snap_reader_destroy(sr, errstr, errstr_size)) {
                inc_model_destroy(n);
                return -1;
        }
        inc_model_move(m, n);
        return 0;
}
