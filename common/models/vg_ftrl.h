/**
 * @file vg_ftrl.h
 * @brief Online binary logistic regression trained by FTRL-Proximal
 *        (McMahan et al. 2013, "Ad Click Prediction: a View from the
 *        Trenches", algorithm 1) with per-coordinate learning rates and
 *        L1/L2 regularisation, over hashed sparse features plus an optional
 *        dense block scored with cblas_ddot().
 *
 * Usage per event: p = vg_ftrl_predict(m, x); ... later, when the outcome is
 * known, vg_ftrl_learn(m, x, y). learn() scores the prediction in the
 * model's prequential evaluator (test then train) and reuses the work of
 * the last predict() when called with the same unchanged \p x.
 *
 * @locality not thread-safe: one model per thread, or lock around it.
 */
#ifndef VG_FTRL_H
#define VG_FTRL_H

#include <stddef.h>
#include <stdint.h>

#include "vg_features.h"
#include "vg_preq.h"

typedef struct vg_ftrl_s vg_ftrl_t;

typedef struct vg_ftrl_conf_s {
        double alpha;      /**< learning-rate scale; default 0.1 */
        double beta;       /**< learning-rate smoothing; default 1.0 */
        double l1;         /**< L1 strength (sparsity); default 1.0 */
        double l2;         /**< L2 strength; default 1.0 */
        double pos_weight; /**< weight of positive examples (class
                                imbalance); default 1.0 */
        int hash_bits;     /**< 2^hash_bits sparse slots; default 18 */
        int n_dense;       /**< dense numeric features; default 0 */
        size_t names_cap;  /**< entries of the slot -> name dictionary used
                                by explanations; default 4096, 0 = none */
        vg_preq_conf_t preq; /**< prequential evaluation settings */
} vg_ftrl_conf_t;

/** @brief Fills \p conf with the defaults. */
void vg_ftrl_conf_init(vg_ftrl_conf_t *conf);

/**
 * @brief Creates a model with all weights at zero (predicts 0.5).
 * @returns the model, or NULL with a reason in \p errstr on a bad conf.
 */
vg_ftrl_t *vg_ftrl_new(const vg_ftrl_conf_t *conf, char *errstr,
                       size_t errstr_size);

/** @brief Frees \p m. NULL-safe. */
void vg_ftrl_destroy(vg_ftrl_t *m);

/**
 * @brief Names dense feature \p i for explanations (copied).
 *        Unnamed dense features read "dense[i]".
 */
void vg_ftrl_set_dense_name(vg_ftrl_t *m, int i, const char *name);

/**
 * @brief Predicts P(y = 1 | x).
 * @returns p in [0, 1] (the margin is clamped to +-35, so p is never NaN).
 * @remark \p x must be built with the model's hash_bits and n_dense; only
 *         its first n_dense dense values are read.
 */
double vg_ftrl_predict(vg_ftrl_t *m, const vg_features_t *x);

/**
 * @brief Learns the outcome \p y (0 or 1; anything else is ignored) of
 *        \p x, after scoring the pre-update prediction in the evaluator.
 */
void vg_ftrl_learn(vg_ftrl_t *m, const vg_features_t *x, int y);

/**
 * @brief Explains the prediction for \p x: the \p k terms (features, dense
 *        features, "bias") of largest |weight x value|, in \p out, sorted.
 *        Contributions add up (with the rest) to the logit.
 * @returns the number of terms written (<= k).
 */
int vg_ftrl_explain(vg_ftrl_t *m, const vg_features_t *x, vg_contrib_t *out,
                    int k);

/** @returns the prequential evaluator (borrowed, lives with \p m). */
const vg_preq_t *vg_ftrl_preq(const vg_ftrl_t *m);

/** @returns the number of outcomes learned. */
uint64_t vg_ftrl_n_learned(const vg_ftrl_t *m);

/** @returns the number of non-zero sparse weights (a scan: slow). */
size_t vg_ftrl_nnz_weights(const vg_ftrl_t *m);

/** @returns the memory held by the model, in bytes. */
size_t vg_ftrl_memory(const vg_ftrl_t *m);

/**
 * @brief Serialises the model (weights, dictionary, evaluator).
 * @returns a snapshot of kind VG_SNAP_KIND_FTRL; the caller frees it with
 *          vg_free(). Its length goes to \p *lenp.
 */
void *vg_ftrl_save(const vg_ftrl_t *m, size_t *lenp);

/**
 * @brief Builds a fresh model from a snapshot; it resumes bit-exactly.
 * @returns the model, or NULL with a reason in \p errstr (corrupt,
 *          truncated, other kind or version).
 */
vg_ftrl_t *vg_ftrl_load(const void *buf, size_t len, char *errstr,
                        size_t errstr_size);

#endif /* VG_FTRL_H */
