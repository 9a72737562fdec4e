/**
 * @file srv_model.c
 * @brief vigie-survey's models (see srv_model.h).
 */
#include "srv_model.h"
#include "srv_lang.h"
#include "vg_hash.h"
#include "vg_mem.h"
#include "vg_preq.h"
#include "vg_snapshot.h"
#include "vg_softmax.h"
#include "vg_text.h"
#include "vg_utf8.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SRV_SNIPPET 160

struct srv_model_s {
        vg_softmax_t *cls;   /**< NEGATIVE / NEUTRAL / POSITIVE */
        vg_softmax_t *stars; /**< "0.0" .. "5.0" by halves */
        vg_text_t *text;
        srv_topics_t *topics;
        double prior[SRV_NCLASSES]; /**< classes learned, for the decision */
        double balance;             /**< survey.balance */
        int64_t first_ms;           /**< earliest response learned, or -1 */
        /* live quality, predict then learn */
        uint64_t n, conf[SRV_NCLASSES][SRV_NCLASSES];
        double abs_err;
        char version[96];
        /* the last featurised text, for its top terms */
        char last_text[4096];
        size_t last_len;
};

static vg_softmax_t *srv_sm_new(const vg_conf_t *conf, char *errstr,
                                size_t errstr_size)
{
        vg_softmax_conf_t sc;
        vg_softmax_conf_init(&sc);
        sc.hash_bits   = (int)vg_conf_get_int(conf, "survey.hash.bits");
        sc.alpha       = vg_conf_get_double(conf, "survey.softmax.alpha");
        sc.l1          = vg_conf_get_double(conf, "survey.softmax.l1");
        sc.max_classes = 16;
        return vg_softmax_new(&sc, errstr, errstr_size);
}

srv_model_t *srv_model_new(const vg_conf_t *conf, char *errstr,
                           size_t errstr_size)
{
        srv_model_t *m = vg_calloc(1, sizeof(*m));
        vg_text_conf_t tc;
        srv_topics_conf_t tpc = {
                .dim       = SRV_EMBED_DIM,
                .radius    = vg_conf_get_double(conf, "survey.topic.radius"),
                .merge     = vg_conf_get_double(conf, "survey.topic.merge"),
                .half_life = vg_conf_get_double(conf,
                                                "survey.topic.half.life"),
                .k_max     = (int)vg_conf_get_int(conf, "survey.topic.max"),
        };
        vg_text_conf_init(&tc);
        tc.embed_dim = SRV_EMBED_DIM;
        tc.stopwords = 0; /* "pas", "not", "trop": the words of sentiment */
        m->balance   = vg_conf_get_double(conf, "survey.balance");
        m->first_ms  = -1;
        if (!(m->cls = srv_sm_new(conf, errstr, errstr_size)) ||
            !(m->stars = srv_sm_new(conf, errstr, errstr_size)) ||
            !(m->text = vg_text_new(&tc, errstr, errstr_size)) ||
            !(m->topics = srv_topics_new(&tpc, errstr, errstr_size))) {
                srv_model_destroy(m);
                return NULL;
        }
        return m;
}

void srv_model_destroy(srv_model_t *m)
{
        if (!m)
                return;
        vg_softmax_destroy(m->cls);
        vg_softmax_destroy(m->stars);
        vg_text_destroy(m->text);
        srv_topics_destroy(m->topics);
        vg_free(m);
}

srv_topics_t *srv_model_topics(srv_model_t *m)
{
        return m->topics;
}

/* ---------------------------------------------------------------------- */
/* Features                                                               */

static void srv_features0(srv_model_t *m, const char *text, const char *lang,
                          const char *service, vg_features_t *x,
                          double *embed, int flags)
{
        size_t len = strlen(text);
        vg_features_clear(x);
        vg_features_add_kv(x, "lang", lang, 1.0);
        if (*service)
                vg_features_add_kv(x, "service", service, 1.0);
        vg_features_add(x, "bias", 1.0);
        if (len)
                vg_text_featurize(m->text, text, len, "w:", x, embed, flags);
        else if (embed)
                memset(embed, 0, sizeof(double) * SRV_EMBED_DIM);
        m->last_len = vg_strlcpy(m->last_text, text, sizeof(m->last_text));
        if (m->last_len >= sizeof(m->last_text))
                m->last_len = vg_utf8_trim_partial(m->last_text,
                                                   sizeof(m->last_text) - 1);
}

void srv_model_features(srv_model_t *m, const char *text, const char *lang,
                        const char *service, vg_features_t *x, double *embed)
{
        srv_features0(m, text, lang, service, x, embed, 0);
}

/* The verbatim's top terms: its distinct tokens by idf, placeholders of
 * personal data left out. */
static int srv_top_terms(srv_model_t *m, char terms[][SRV_TERM_LEN], int k)
{
        static const char *const skip[] = {"email", "phone", "name", "iban",
                                           "nir", "card", "url", NULL};
        const char *const *toks;
        double best[SRV_TOP_TERMS + 1];
        int n = 0, nt = vg_text_tokenize(m->text, m->last_text, m->last_len,
                                         &toks);
        for (int i = 0; i < nt; i++) {
                int dup = 0, sk = 0;
                double idf = vg_text_idf(m->text, toks[i]);
                if (strlen(toks[i]) < 3)
                        continue;
                for (const char *const *s = skip; *s && !sk; s++)
                        sk = !strcmp(*s, toks[i]);
                for (int j = 0; j < n && !dup; j++)
                        dup = !strncmp(terms[j], toks[i], SRV_TERM_LEN - 1);
                if (sk || dup || srv_lang_function_word(toks[i]))
                        continue;
                int at = n < k ? n++ : k - 1;
                if (at == k - 1 && n == k && idf <= best[at])
                        continue;
                while (at > 0 && best[at - 1] < idf) { /* insertion */
                        best[at] = best[at - 1];
                        memcpy(terms[at], terms[at - 1], SRV_TERM_LEN);
                        at--;
                }
                best[at] = idf;
                vg_strlcpy(terms[at], toks[i], SRV_TERM_LEN);
        }
        return n;
}

/* ---------------------------------------------------------------------- */
/* Predict, learn                                                         */

static const char *const srv_cls_labels[] = {"NEGATIVE", "NEUTRAL",
                                             "POSITIVE"};

static int srv_by_stars(const void *a, const void *b)
{
        double x = atof(((const vg_class_prob_t *)a)->label);
        double y = atof(((const vg_class_prob_t *)b)->label);
        return x < y ? -1 : x > y;
}

/* The median star value of a distribution over star labels. */
static double srv_median(vg_class_prob_t *cp, int n)
{
        double acc = 0;
        qsort(cp, (size_t)n, sizeof(*cp), srv_by_stars);
        for (int i = 0; i < n; i++) {
                acc += cp[i].p;
                if (acc >= 0.5)
                        return atof(cp[i].label);
        }
        return atof(cp[n - 1].label);
}

void srv_model_predict(srv_model_t *m, const vg_features_t *x,
                       srv_pred_t *pr)
{
        vg_class_prob_t cp[16];
        int n = vg_softmax_predict(m->cls, x, cp, 16);
        double best = -1, tot = m->prior[0] + m->prior[1] + m->prior[2] + 3;

        memset(pr, 0, sizeof(*pr));
        for (int c = 0; c < SRV_NCLASSES; c++)
                pr->p[c] = n ? 0 : 1.0 / SRV_NCLASSES;
        for (int i = 0; i < n; i++)
                for (int c = 0; c < SRV_NCLASSES; c++)
                        if (!strcmp(cp[i].label, srv_cls_labels[c]))
                                pr->p[c] = cp[i].p;
        /* balanced decision: p(c | x) / p(c) */
        for (int c = 0; c < SRV_NCLASSES; c++) {
                double s = pr->p[c] /
                           pow((m->prior[c] + 1) / tot, m->balance);
                if (s > best) {
                        best    = s;
                        pr->cls = (srv_class_t)c;
                }
        }
        /* the score: the median of the predicted distribution (what
         * minimises the absolute error) */
        n = vg_softmax_predict(m->stars, x, cp, 16);
        pr->stars = n ? srv_median(cp, n) : 4.0;
        pr->nterms = srv_top_terms(m, pr->terms, SRV_TOP_TERMS);
}

static void srv_outcome(const srv_event_t *ev, const char *text, char *out,
                        size_t size)
{
        size_t n = (size_t)snprintf(out, size, "%s\t",
                                    srv_class_name(ev->cls));
        size_t l = vg_utf8_truncate(text, strlen(text),
                                    size - n - 1 < SRV_SNIPPET
                                            ? size - n - 1
                                            : SRV_SNIPPET);
        memcpy(out + n, text, l);
        out[n + l] = '\0';
        for (char *c = out + n; *c; c++)
                if (*c == '\t' || *c == '\n')
                        *c = ' ';
}

int64_t srv_model_learn(srv_model_t *m, const srv_event_t *ev,
                        const char *text, const char *lang,
                        vg_features_t *scratch)
{
        double embed[SRV_EMBED_DIM];
        char label[8], outcome[SRV_SNIPPET + 16];
        const char *terms[SRV_TOP_TERMS];
        srv_pred_t pr;

        if (!ev->has_score)
                return -1;
        srv_features0(m, text, lang, ev->service, scratch, embed,
                      VG_TEXT_F_LEARN);
        srv_model_predict(m, scratch, &pr); /* test, then train */
        m->n++;
        m->conf[ev->cls][pr.cls]++;
        m->abs_err += fabs(pr.stars - ev->stars);
        /* rare classes weigh more: learned sqrt(most frequent / this)
         * times (importance weighting, as a balanced batch model would) */
        double top = fmax(m->prior[0], fmax(m->prior[1], m->prior[2])) + 1;
        int reps   = (int)floor(sqrt(top / (m->prior[ev->cls] + 1)) + 0.5);
        for (int r = 0; r < (reps < 1 ? 1 : reps > 4 ? 4 : reps); r++)
                vg_softmax_learn(m->cls, scratch, srv_cls_labels[ev->cls]);
        snprintf(label, sizeof(label), "%.1f", floor(ev->stars * 2 + 0.5) / 2);
        vg_softmax_learn(m->stars, scratch, label);
        m->prior[ev->cls]++;
        if (m->first_ms < 0 || ev->submitted_at < m->first_ms)
                m->first_ms = ev->submitted_at;
        for (int i = 0; i < pr.nterms; i++)
                terms[i] = pr.terms[i];
        srv_outcome(ev, text, outcome, sizeof(outcome));
        if (!*text)
                return -1;
        return srv_topics_learn(m->topics, ev->id, embed, terms, pr.nterms,
                                outcome, ev->submitted_at);
}

int64_t srv_model_first(const srv_model_t *m)
{
        return m->first_ms;
}

uint64_t srv_model_learned(const srv_model_t *m)
{
        return m->n;
}

void srv_model_report(const srv_model_t *m, FILE *fp)
{
        double f1 = 0, acc = 0;
        uint64_t births, merges, deaths;
        for (int c = 0; c < SRV_NCLASSES; c++) {
                uint64_t tp = m->conf[c][c], row = 0, col = 0;
                for (int d = 0; d < SRV_NCLASSES; d++) {
                        row += m->conf[c][d];
                        col += m->conf[d][c];
                }
                acc += (double)tp;
                f1 += row + col ? 2.0 * (double)tp / (double)(row + col) : 0;
        }
        uint64_t neg = m->conf[0][0] + m->conf[0][1] + m->conf[0][2];
        int k = srv_topics_count(m->topics, &births, &merges, &deaths);
        fprintf(fp,
                "  satisfaction (predict then learn, %llu responses): "
                "accuracy %.4f, macro-F1 %.4f, recall of negatives %.4f, "
                "MAE of the score %.3f stars\n"
                "  topics: %d live; %llu born, %llu merged, %llu died\n",
                (unsigned long long)m->n, m->n ? acc / (double)m->n : 0,
                f1 / SRV_NCLASSES,
                neg ? (double)m->conf[0][0] / (double)neg : 0,
                m->n ? m->abs_err / (double)m->n : 0, k,
                (unsigned long long)births, (unsigned long long)merges,
                (unsigned long long)deaths);
}

const char *srv_model_version(srv_model_t *m)
{
        uint64_t b, me, d;
        snprintf(m->version, sizeof(m->version), "survey/1 n=%llu k=%d",
                 (unsigned long long)m->n,
                 srv_topics_count(m->topics, &b, &me, &d));
        return m->version;
}

size_t srv_model_memory(const srv_model_t *m)
{
        return sizeof(*m) + vg_softmax_memory(m->cls) +
               vg_softmax_memory(m->stars) + vg_text_memory(m->text) +
               srv_topics_memory(m->topics);
}

/* ---------------------------------------------------------------------- */
/* Checkpoints                                                            */

void *srv_model_save(const srv_model_t *m, size_t *lenp)
{
        vg_snap_writer_t *sw = vg_snap_writer_new(VG_SNAP_KIND_SURVEY);
        VG_SNAP_PUT_SAVED(sw, vg_softmax_save, m->cls);
        VG_SNAP_PUT_SAVED(sw, vg_softmax_save, m->stars);
        VG_SNAP_PUT_SAVED(sw, vg_text_save, m->text);
        srv_topics_write(m->topics, sw);
        vg_snap_put_f64v(sw, m->prior, SRV_NCLASSES);
        vg_snap_put_u64(sw, m->n);
        for (int c = 0; c < SRV_NCLASSES; c++)
                for (int d = 0; d < SRV_NCLASSES; d++)
                        vg_snap_put_u64(sw, m->conf[c][d]);
        vg_snap_put_f64(sw, m->abs_err);
        vg_snap_put_i64(sw, m->first_ms);
        return vg_snap_writer_finish(sw, lenp);
}

int srv_model_restore(srv_model_t *m, const void *buf, size_t len,
                      char *errstr, size_t errstr_size)
{
        vg_snap_reader_t *sr = vg_snap_reader_new(buf, len,
                                                  VG_SNAP_KIND_SURVEY, errstr,
                                                  errstr_size);
        const void *p[3];
        size_t l[3];
        char e2[64];
        if (!sr)
                return -1;
        for (int i = 0; i < 3; i++)
                p[i] = vg_snap_get_bytes(sr, &l[i]);
        vg_softmax_t *c = vg_snap_ok(sr)
                                  ? vg_softmax_load(p[0], l[0], errstr,
                                                    errstr_size)
                                  : NULL;
        vg_softmax_t *s = c ? vg_softmax_load(p[1], l[1], errstr, errstr_size)
                            : NULL;
        vg_text_t *t = s ? vg_text_load(p[2], l[2], errstr, errstr_size)
                         : NULL;
        /* the topics are read into the model only if all the rest is good:
         * read them last, into a copy */
        srv_topics_conf_t none = {.dim = SRV_EMBED_DIM, .radius = 1,
                                  .merge = 0, .half_life = 1, .k_max = 2};
        srv_topics_t *tp = t ? srv_topics_new(&none, errstr, errstr_size)
                             : NULL;
        int rc = !tp || srv_topics_read(tp, sr, errstr, errstr_size);
        double prior[SRV_NCLASSES];
        uint64_t n = 0, conf[SRV_NCLASSES][SRV_NCLASSES];
        double abs_err = 0;
        int64_t first  = -1;
        if (!rc) {
                vg_snap_get_f64v(sr, prior, SRV_NCLASSES);
                n = vg_snap_get_u64(sr);
                for (int i = 0; i < SRV_NCLASSES; i++)
                        for (int j = 0; j < SRV_NCLASSES; j++)
                                conf[i][j] = vg_snap_get_u64(sr);
                abs_err = vg_snap_get_f64(sr);
                first   = vg_snap_get_i64(sr);
        }
        int drc = vg_snap_reader_destroy(sr, rc ? e2 : errstr,
                                         rc ? sizeof(e2) : errstr_size);
        rc = rc || drc;
        if (rc) {
                vg_softmax_destroy(c);
                vg_softmax_destroy(s);
                vg_text_destroy(t);
                srv_topics_destroy(tp);
                return -1;
        }
        vg_softmax_destroy(m->cls);
        vg_softmax_destroy(m->stars);
        vg_text_destroy(m->text);
        m->cls   = c;
        m->stars = s;
        m->text  = t;
        srv_topics_adopt(m->topics, tp);
        memcpy(m->prior, prior, sizeof(prior));
        m->n = n;
        memcpy(m->conf, conf, sizeof(conf));
        m->abs_err  = abs_err;
        m->first_ms = first;
        return 0;
}
