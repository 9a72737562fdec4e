/**
 * @file inc_context.h
 * @brief vigie-incident's keys in the feature store: the reads an
 *        incident update needs and the writes it makes, declared to the
 *        batch store (vg_store), which pipelines them. Every write is
 *        idempotent (sorted-set members are incident numbers, hash fields
 *        are overwritten with the same values), so a redelivered update
 *        never counts twice.
 *
 * Keys (prefix vigie:, see deploy/REDIS_KEYS.md):
 *   inc:{number}:state      hash  sig, feat, embed, first, suspects (TTL)
 *   ci:{ci}:incidents       zset  incidents on the CI, at opened_at (read
 *                                 by vigie-change as ci_incidents_30d)
 *   inccl:{id}:incidents    zset  incidents of a cluster, at opened_at
 *   svc:{service}:incidents zset  incidents on a business service, at
 *                                 opened_at (read by vigie-survey, its
 *                                 links)
 *   ci:{ci}:work            zset  changes at work (vigie-change, vg_work.h)
 *   inc:{number}:feedback   hash  responders' feedback (inc_feedback.h)
 *   inc:{number}:alerts     hash  CHANGE_INDUCED_INCIDENT (vg_alerts)
 *   recur:{subject}:alerts  hash  RECURRING_INCIDENTS per subject and
 *                                 window (vg_alerts)
 */
#ifndef INC_CONTEXT_H
#define INC_CONTEXT_H

#include "inc_ctx.h"
#include "inc_event.h"
#include "vg_conf.h"
#include "vg_store.h"

typedef struct inc_store_s inc_store_t;

/** What to read for an update. */
typedef enum {
        INC_READ_NONE  = 0,
        INC_READ_STATE = 1, /**< its state only (to learn it) */
        INC_READ_ALL   = 2, /**< its whole context (to enrich it) */
} inc_read_t;

inc_store_t *inc_store_new(vg_store_t *s, const vg_conf_t *conf);
void inc_store_destroy(inc_store_t *cs);

/**
 * @brief Queues and sends the reads of \p n updates: \p want[i] says what,
 *        \p clusters[i] is the cluster whose counts to read (-1: none).
 */
void inc_store_read(inc_store_t *cs, vg_proc_t *p, const inc_event_t *evs,
                    const char *want, const int64_t *clusters, int n);

/** @brief Fills \p ctx (zeroed first) from the replies of update \p i, in
 *         order of i. @returns 0, or -1 if the store could not be read
 *         (\p ctx->degraded). */
int inc_store_ctx(inc_store_t *cs, int i, const inc_event_t *ev,
                  int64_t cluster, inc_ctx_t *ctx);

/** @brief Frees what inc_store_ctx() allocated in \p ctx. */
void inc_ctx_clear(inc_ctx_t *ctx);
/** @brief Frees the blobs of \p st if it owns them. */
void inc_state_clear(inc_state_t *st);

/** @name Writes, queued into the batch store. @{ */
/** @brief The incident's state after an enrichment by \p ev (\p st's
 *         blobs; "by" is \p ev, "open_by" too if \p st->open_by is);
 *         \p st->first is written only if \p first. */
void inc_store_put_state(inc_store_t *cs, const inc_event_t *ev,
                         const inc_state_t *st, int first);
/** @brief A responder's feedback, into the incident's feedback hash. */
void inc_store_put_feedback(inc_store_t *cs, const inc_fb_t *fb);
/** @brief The incident in its CI's window (idempotent: any update may
 *         add it); trims as of the watermark \p wm. */
void inc_store_put_ci_window(inc_store_t *cs, const inc_event_t *ev,
                             int64_t wm);
/** @brief The incident in its business service's window, if it names
 *         one (as the CI's window: any update may add it, trimmed
 *         alike). */
void inc_store_put_svc_window(inc_store_t *cs, const inc_event_t *ev,
                              int64_t wm);
/** @brief The incident in cluster \p cluster's window (>= 0; the cluster
 *         it joined when first enriched). */
void inc_store_put_cluster_window(inc_store_t *cs, const inc_event_t *ev,
                                  int64_t cluster, int64_t wm);
/** @} */

/** @name Alerts (vg_alerts): CHANGE_INDUCED_INCIDENT once per incident,
 *  RECURRING_INCIDENTS once per subject and window. @{ */
#define INC_RECUR_CI      0
#define INC_RECUR_CLUSTER 1
/** @brief The subject of a recurrence, e.g. "ci:db-01@20412" (the window
 *         index). @returns buf. */
const char *inc_store_recur_subject(const inc_store_t *cs,
                                    const inc_event_t *ev, int which,
                                    int64_t cluster, char *buf, size_t size);
int inc_store_alert_take(inc_store_t *cs, const inc_event_t *ev,
                         const inc_ctx_t *ctx);
void inc_store_put_alerted(inc_store_t *cs, const inc_event_t *ev,
                           int produced);
int inc_store_recur_take(inc_store_t *cs, const char *subject,
                         unsigned stored);
void inc_store_put_recurred(inc_store_t *cs, const char *subject,
                            int64_t event_time);
/** @} */

/** @returns the recurrence window, ms. */
int64_t inc_store_recur_window(const inc_store_t *cs);

#endif /* INC_CONTEXT_H */
