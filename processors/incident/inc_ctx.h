/**
 * @file inc_ctx.h
 * @brief What the feature store says about one incident update, as of its
 *        event time (filled by inc_context; read by the models, the
 *        policy and the records, which need no store to use it).
 */
#ifndef INC_CTX_H
#define INC_CTX_H

#include "inc_feedback.h"
#include "vg_work.h"

#include <stddef.h>
#include <stdint.h>

#define INC_MAX_WORK    64 /**< work entries read from ci:{ci}:work */
#define INC_MAX_MEMBERS 10 /**< members named in a recurrence alert */

/** One subject's incident counts (a CI or a cluster). */
typedef struct inc_counts_s {
        long long in_window; /**< in the recurrence window up to opened_at */
        long long in_7d;     /**< in the 7 days up to opened_at */
        long long baseline;  /**< in the baseline days before the window */
        int nmembers;        /**< incidents of the window, oldest first */
        char members[INC_MAX_MEMBERS][48];
} inc_counts_t;

/** The incident's state (inc:{number}:state), as stored. */
typedef struct inc_state_s {
        int seen;       /**< an earlier update of the incident was read */
        int unknown;    /**< the store could not be read: seen or not? */
        uint64_t sig;   /**< its fields at its last enrichment */
        uint64_t by;    /**< the update that enriched it last (its uid) */
        uint64_t open_by; /**< the update that enriched it first */
        char *feat;     /**< features as scored (VGF3 blob), or NULL */
        size_t feat_len;
        char *embed;    /**< embedding as scored (floats), or NULL */
        size_t embed_len;
        char *first;    /**< first predictions, or NULL */
        size_t first_len;
        char *suspects; /**< suspects as scored (work entries), or NULL */
        size_t suspects_len;
        int owned;      /**< the pointers are allocated (vg_free) */
} inc_state_t;

typedef struct inc_ctx_s {
        inc_state_t st;
        inc_fb_state_t fb; /**< responders' feedback on the incident */
        int64_t cluster;   /**< nearest cluster when read, -1: none */
        inc_counts_t ci, cl;
        unsigned alerted;  /**< CHANGE_INDUCED_INCIDENT already out */
        unsigned alerted_ci, alerted_cl; /**< recurrence, this window */
        int degraded;      /**< the store could not be read */
        int nwork;
        vg_work_t work[INC_MAX_WORK]; /**< changes at work on the CI (last:
                                       *   not zeroed) */
} inc_ctx_t;

#endif /* INC_CTX_H */
