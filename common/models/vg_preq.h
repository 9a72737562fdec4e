/**
 * @file vg_preq.h
 * @brief Prequential ("test then train") evaluation of an online model:
 *        every prediction is scored against its outcome before the model
 *        learns from it.
 *
 * Running figures use a fading factor alpha (each past event weighs
 * alpha^age, alpha = 1 means a plain average), so they follow drift:
 * log-loss, accuracy, precision/recall/F1 at a threshold, calibration
 * (mean predicted probability vs observed positive rate), and for
 * multiclass models top-1 and top-3 accuracy. ROC AUC is exact over a
 * sliding window of the last N binary predictions.
 */
#ifndef VG_PREQ_H
#define VG_PREQ_H

#include <stddef.h>
#include <stdint.h>

#include "vg_err.h"
#include "vg_snapshot.h"

typedef struct vg_preq_s vg_preq_t;

typedef struct vg_preq_conf_s {
        double fading;    /**< alpha in (0, 1]; default 0.999 */
        double threshold; /**< positive if p >= threshold; default 0.5 */
        int auc_window;   /**< last N predictions for AUC; default 10000,
                               0 disables AUC */
} vg_preq_conf_t;

typedef enum {
        VG_PREQ_N,         /**< events seen (not faded) */
        VG_PREQ_LOGLOSS,   /**< faded mean log-loss (nats) */
        VG_PREQ_ACCURACY,  /**< binary: at threshold; multiclass: top-1 */
        VG_PREQ_PRECISION, /**< binary, at threshold */
        VG_PREQ_RECALL,    /**< binary, at threshold */
        VG_PREQ_F1,        /**< binary, at threshold */
        VG_PREQ_AUC,       /**< binary, exact over the window */
        VG_PREQ_MEAN_P,    /**< binary: faded mean predicted probability */
        VG_PREQ_RATE,      /**< binary: faded observed positive rate */
        VG_PREQ_TOP1,      /**< multiclass */
        VG_PREQ_TOP3,      /**< multiclass */
        VG_PREQ__CNT
} vg_preq_metric_t;

/** @brief Fills \p conf with the defaults. */
void vg_preq_conf_init(vg_preq_conf_t *conf);

/**
 * @brief Creates an evaluator. \p conf may be NULL (defaults).
 * @returns the evaluator, or NULL with a reason in \p errstr.
 */
vg_preq_t *vg_preq_new(const vg_preq_conf_t *conf, char *errstr,
                       size_t errstr_size);

/** @brief Frees \p pq. NULL-safe. */
void vg_preq_destroy(vg_preq_t *pq);

/** @brief Scores one binary prediction \p p of outcome \p y (0 or 1). */
void vg_preq_add_binary(vg_preq_t *pq, double p, int y);

/**
 * @brief Scores one multiclass prediction.
 * @param p_true probability given to the true class (0 if unknown).
 * @param rank rank of the true class (0 = top-1), or -1 if it was not
 *        among the predicted classes (e.g. a label never seen before).
 */
void vg_preq_add_multi(vg_preq_t *pq, double p_true, int rank);

/** @returns figure \p m, or NAN while it is undefined. */
double vg_preq_get(const vg_preq_t *pq, vg_preq_metric_t m);

/** @returns the short name of \p m ("logloss", "auc", ...). */
const char *vg_preq_metric_name(vg_preq_metric_t m);

/**
 * @brief Formats the defined figures as one logfmt line
 *        ("n=1000 logloss=0.3412 acc=0.8710 ...").
 * @returns the length snprintf() would have written.
 */
int vg_preq_format(const vg_preq_t *pq, char *buf, size_t size);

/** @returns the memory held, in bytes. */
size_t vg_preq_memory(const vg_preq_t *pq);

/** @brief Appends the state of \p pq to a snapshot being written. */
void vg_preq_write(const vg_preq_t *pq, vg_snap_writer_t *sw);
/** @returns an evaluator read from \p sr, or NULL (reader marked failed). */
vg_preq_t *vg_preq_read(vg_snap_reader_t *sr);

/** @brief Standalone snapshot (kind VG_SNAP_KIND_PREQ); free with vg_free. */
void *vg_preq_save(const vg_preq_t *pq, size_t *lenp);
/** @returns a fresh evaluator from a snapshot, or NULL with \p errstr. */
vg_preq_t *vg_preq_load(const void *buf, size_t len, char *errstr,
                        size_t errstr_size);

#endif /* VG_PREQ_H */
