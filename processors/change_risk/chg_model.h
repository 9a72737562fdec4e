/**
 * @file chg_model.h
 * @brief The change-risk models: feature extraction, an FTRL logistic
 *        model of p(failure), text features, and streaming k-means over
 *        a text embedding for similar past changes; with checkpoints.
 */
#ifndef CHG_MODEL_H
#define CHG_MODEL_H

#include "chg_ctx.h"
#include "chg_event.h"
#include "vg_conf.h"
#include "vg_features.h"
#include "vg_pii.h"
#include "vg_preq.h"
#include "vg_reservoir.h"

typedef struct chg_model_s chg_model_t;

/** Similar past changes found for a change. */
typedef struct chg_similar_s {
        int64_t cluster_id;
        double cluster_failure_rate; /**< among its members with outcomes,
                                      *   -1 if none yet */
        int n;
        struct {
                char number[48];
                char close_code[48];
                double distance;
        } items[5]; /**< nearest first, only changes with an outcome */
} chg_similar_t;

/** @returns a new model from the change.* properties, or NULL. */
chg_model_t *chg_model_new(const vg_conf_t *conf, char *errstr,
                           size_t errstr_size);
void chg_model_destroy(chg_model_t *m);

/**
 * @brief Builds the features of \p ev in its context into \p x (cleared
 *        first), and its text embedding into the model's buffer. The free
 *        texts (short description, justification, description) are
 *        scrubbed of personal data (vg_pii) before any word is taken.
 */
void chg_model_features(chg_model_t *m, const chg_event_t *ev,
                        const chg_ctx_t *ctx, vg_features_t *x);

/** @returns p(failure) for \p x. */
double chg_model_predict(chg_model_t *m, const vg_features_t *x);

/** @returns the top \p k factors of the last prediction of \p x. */
int chg_model_explain(chg_model_t *m, const vg_features_t *x,
                      vg_contrib_t *out, int k);

/**
 * @brief Finds similar past changes (embedding of the last
 *        chg_model_features() call) and, if \p observe, adds \p ev to
 *        its cluster's members.
 */
void chg_model_similar(chg_model_t *m, const chg_event_t *ev, int observe,
                       chg_similar_t *sim);

/**
 * @brief What scoring \p ev would have taught the model, for a change
 *        this instance never scored (learned by its learner): its text
 *        joins the text statistics and its embedding a cluster of similar
 *        changes. \p scratch receives its features (context-free).
 * @returns the cluster it joined, or -1.
 */
int64_t chg_model_observe(chg_model_t *m, const chg_event_t *ev,
                          vg_features_t *scratch);

/** @brief Learns outcome \p failed for features \p x (may be NULL: no
 *         features as scored) and records \p ev's close code among the
 *         similar changes, in cluster \p cluster (-1: search them all). */
void chg_model_learn(chg_model_t *m, const chg_event_t *ev,
                     const vg_features_t *x, int failed, int64_t cluster);

/** @brief Adds \p p (as published) and the outcome to the live metrics
 *         of published scores. */
void chg_model_score_outcome(chg_model_t *m, double p, int failed);

/** @returns the evaluator of the model (test then train at learn time). */
const vg_preq_t *chg_model_preq(const chg_model_t *m);
/** @returns the evaluator of published scores vs outcomes. */
const vg_preq_t *chg_model_published_preq(const chg_model_t *m);

/** @returns the personal data items scrubbed from the texts so far, per
 *           kind (VG_PII_KINDS counters, indexed by vg_pii_kind_t). */
const uint64_t *chg_model_pii(const chg_model_t *m);

/** @returns the number of outcomes learned. */
uint64_t chg_model_learned(const chg_model_t *m);

/** @returns e.g. "change-ftrl/1 n=12345". */
const char *chg_model_version(chg_model_t *m);

/** @returns the model's memory in bytes. */
size_t chg_model_memory(const chg_model_t *m);

/** @name Checkpoints (vg_snapshot envelope). @{ */
void *chg_model_save(const chg_model_t *m, size_t *lenp);
/** @brief Replaces the state of \p m. @returns 0, or -1 (m unchanged). */
int chg_model_restore(chg_model_t *m, const void *buf, size_t len,
                      char *errstr, size_t errstr_size);
/** @} */

#endif /* CHG_MODEL_H */
