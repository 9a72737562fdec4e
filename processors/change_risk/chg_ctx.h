/**
 * @file chg_ctx.h
 * @brief What the feature store says about one change event, as of its
 *        event time (filled by chg_context; read by the models and the
 *        records, which need no store to use it).
 */
#ifndef CHG_CTX_H
#define CHG_CTX_H

#include <stddef.h>

#define CHG_MAX_COLLISIONS 8

typedef struct chg_ctx_s {
        long long team_changes; /**< team's closed changes in the window */
        long long team_failed;  /**< ... of which failed */
        long long ci_failures;  /**< failed changes on the CI in window */
        long long ci_incidents; /**< incidents on the CI in its window */
        int ncollisions;        /**< open changes overlapping on the CI */
        char collisions[CHG_MAX_COLLISIONS][48];
        unsigned alerted;       /**< bit (1 << band) per band alerted */
        char *features;         /**< stored features blob, or NULL */
        size_t features_len;
        int degraded;           /**< the store could not be read */
} chg_ctx_t;

#endif /* CHG_CTX_H */
