/**
 * @file vg_softmax.h
 * @brief Online multiclass logistic (softmax) regression trained with
 *        per-coordinate FTRL-Proximal, over hashed sparse features.
 *        Classes are discovered online: a label never seen before becomes a
 *        new class (up to max_classes; later new labels are counted and
 *        ignored).
 *
 * The weights live in one table of at most 2^hash_bits coordinates, so
 * memory does not grow with the classes: one row per hashed feature, and
 * in a row the weights of that feature for every class, contiguous, by
 * groups of 4 classes per 64-byte cache line (as Vowpal Wabbit lays out
 * the classes of --oaa), so that scoring and learning an event read and
 * write one run of cache lines per non-zero. A feature's row is given by
 * the top bits of its hash; the table has 2^hash_bits / c rows, c the
 * class count rounded up to a power of 2 (at least 4), so it halves its
 * rows as c doubles with new classes, each pair of rows folded into one
 * (their coordinates added, as those of colliding features would be).
 * Numeric features go into the sparse part as named features with their
 * value (vg_features_add(x, "reopen_count", 3)); the dense block of
 * vg_features_t is ignored here.
 *
 * @locality not thread-safe.
 */
#ifndef VG_SOFTMAX_H
#define VG_SOFTMAX_H

#include <stddef.h>
#include <stdint.h>

#include "vg_features.h"
#include "vg_preq.h"

typedef struct vg_softmax_s vg_softmax_t;

typedef struct vg_softmax_conf_s {
        double alpha;        /**< default 0.1 */
        double beta;         /**< default 1.0 */
        double l1;           /**< default 0.5 */
        double l2;           /**< default 1.0 */
        int hash_bits;       /**< 2^hash_bits coordinates; default 20 */
        int max_classes;     /**< default 256, at most 65536 and at most
                                  2^(hash_bits - 4) (16 rows) */
        vg_preq_conf_t preq; /**< evaluation (top-1/top-3, log-loss) */
} vg_softmax_conf_t;

/** One entry of a top-k answer. */
typedef struct vg_class_prob_s {
        int cls;           /**< class index, stable (0, 1, ... by discovery) */
        const char *label; /**< borrowed, lives with the model */
        double p;
} vg_class_prob_t;

/** @brief Fills \p conf with the defaults. */
void vg_softmax_conf_init(vg_softmax_conf_t *conf);

/** @returns a model without classes, or NULL with a reason in \p errstr. */
vg_softmax_t *vg_softmax_new(const vg_softmax_conf_t *conf, char *errstr,
                             size_t errstr_size);

/** @brief Frees \p sm. NULL-safe. */
void vg_softmax_destroy(vg_softmax_t *sm);

/**
 * @brief Predicts the class distribution of \p x.
 * @param top out: the \p k most probable classes, most probable first.
 * @returns the number written (min(k, classes); 0 before any class).
 */
int vg_softmax_predict(vg_softmax_t *sm, const vg_features_t *x,
                       vg_class_prob_t *top, int k);

/**
 * @brief Learns that \p x has class \p label (copied if new), after scoring
 *        the pre-update prediction (top-1, top-3, log-loss) in the
 *        evaluator. Reuses the last predict() of the same unchanged \p x.
 * @returns the class index, or -1 if \p label is new and the cap is hit.
 */
int vg_softmax_learn(vg_softmax_t *sm, const vg_features_t *x,
                     const char *label);

/** @returns the index of \p label, or -1 if unknown. */
int vg_softmax_class(const vg_softmax_t *sm, const char *label);
/** @returns the label of class \p cls (borrowed), or NULL. */
const char *vg_softmax_label(const vg_softmax_t *sm, int cls);
/** @returns the number of classes. */
int vg_softmax_n_classes(const vg_softmax_t *sm);
/** @returns the number of new labels refused because of max_classes. */
uint64_t vg_softmax_n_refused(const vg_softmax_t *sm);

/**
 * @brief Explains the score of class \p cls for \p x: the \p k features
 *        with the largest |weight x value| for that class.
 * @returns the number of terms written to \p out.
 */
int vg_softmax_explain(vg_softmax_t *sm, const vg_features_t *x, int cls,
                       vg_contrib_t *out, int k);

/** @returns the evaluator (borrowed). */
const vg_preq_t *vg_softmax_preq(const vg_softmax_t *sm);
/** @returns the memory held, in bytes. */
size_t vg_softmax_memory(const vg_softmax_t *sm);

/**
 * @brief Snapshot of kind VG_SNAP_KIND_SOFTMAX, layout 2 (rows of classes);
 *        free with vg_free().
 * @remark Snapshots of layout 1 (hashed blocks of 16 classes, before the
 *         rows) are refused by vg_softmax_load(): such a model is retrained.
 */
void *vg_softmax_save(const vg_softmax_t *sm, size_t *lenp);
/** @returns a fresh model from a snapshot, or NULL with \p errstr. */
vg_softmax_t *vg_softmax_load(const void *buf, size_t len, char *errstr,
                              size_t errstr_size);

#endif /* VG_SOFTMAX_H */
