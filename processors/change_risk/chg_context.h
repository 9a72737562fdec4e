/**
 * @file chg_context.h
 * @brief vigie-change's keys in the feature store: the reads a change
 *        event needs (its context) and the writes it makes, declared to
 *        the batch store (vg_store), which pipelines them. Every write is
 *        idempotent (sorted-set members are change numbers, hashes are
 *        keyed by number), so a redelivered event never counts twice.
 *
 * Keys (prefix vigie:, see deploy/REDIS_KEYS.md):
 *   team:{group}:changes  zset  closed changes of the team, at outcome time
 *   team:{group}:failed   zset  the failed ones
 *   ci:{ci}:changes       zset  closed changes on the CI
 *   ci:{ci}:failed        zset  failed changes on the CI
 *   ci:{ci}:incidents     zset  incidents on the CI (incident processor)
 *   ci:{ci}:open          hash  open changes: number -> "start_ms,end_ms"
 *   ci:{ci}:work          zset  changes at work on the CI, one member per
 *                               scored record (vg_work.h), at start time
 *   svc:{service}:changes zset  changes on the business service, at start
 *                               time (read by vigie-survey, its links)
 *   chg:{number}:features blob  features as scored, for learning (TTL)
 *   chg:{number}:alerts   hash  bands already alerted (vg_alerts)
 */
#ifndef CHG_CONTEXT_H
#define CHG_CONTEXT_H

#include "chg_ctx.h"
#include "chg_event.h"
#include "vg_conf.h"
#include "vg_store.h"

typedef struct chg_store_s chg_store_t;

/** @brief vigie-change's keys on the batch store \p s. */
chg_store_t *chg_store_new(vg_store_t *s, const vg_conf_t *conf);
void chg_store_destroy(chg_store_t *cs);

/**
 * @brief Queues and sends the context reads of \p n events (see
 *        vg_store_read_send()) and zeroes every ctx; chg_store_ctx() then
 *        fills them one by one, in order, as their replies arrive.
 */
void chg_store_read(chg_store_t *cs, vg_proc_t *p, const chg_event_t *evs,
                    chg_ctx_t *ctxs, int n);

/** @brief Fills \p ctx, the context of event \p i of the last
 *         chg_store_read() (degraded if the reads failed). In order. */
void chg_store_ctx(chg_store_t *cs, int i, const chg_event_t *ev,
                   chg_ctx_t *ctx);

/** @brief Frees what chg_store_ctx() allocated in \p ctx. */
void chg_ctx_clear(chg_ctx_t *ctx);

/** @name Writes, queued into the batch store. @{ */
void chg_store_put_features(chg_store_t *cs, const chg_event_t *ev,
                            const void *blob, size_t len);
void chg_store_put_open(chg_store_t *cs, const chg_event_t *ev);
/** The outcome in the team's and the CI's windows; trims as of the
 *  watermark \p wm (vg_proc_watermark()). */
void chg_store_put_outcome(chg_store_t *cs, const chg_event_t *ev,
                           int64_t wm);
void chg_store_put_cancel(chg_store_t *cs, const chg_event_t *ev);
/** A scored record of a change with a CI in the CI's changes at work
 *  (ci:{ci}:work, read by vigie-incident): the vg_work_encode() of it
 *  with the published \p p, at its start date (else opened_at, else its
 *  event time); trims as of the watermark \p wm. */
void chg_store_put_work(chg_store_t *cs, const chg_event_t *ev, double p,
                        int64_t wm);
/** A scored record of a change with a business_service in the service's
 *  changes (svc:{service}:changes, read by vigie-survey): its number at
 *  its start date (else opened_at, else its event time); trims as
 *  chg_store_put_work() does, as of the watermark \p wm. */
void chg_store_put_service(chg_store_t *cs, const chg_event_t *ev,
                           int64_t wm);
/** @} */

/** @name Learning: the features each change was scored with. @{ */
/** @brief Queues and sends the features-as-scored reads of the events
 *         \p want[i] marks, among \p n. */
void chg_store_read_scored(chg_store_t *cs, vg_proc_t *p,
                           const chg_event_t *evs, const char *want, int n);
/** @brief \p *blobp: the features event \p i was scored with (NULL if it
 *         never was), valid until the next read. In order of i.
 *  @returns 0, or -1 if the store could not be read (learn it later). */
int chg_store_scored(chg_store_t *cs, int i, const char **blobp,
                     size_t *lenp);
/** @} */

/** @name Alerts: one per change and band (vg_alerts). @{ */
/** @returns 1 if \p ev alerts for \p band now (not alerted yet by another
 *           record of the change, in Redis or earlier in this batch). */
int chg_store_alert_take(chg_store_t *cs, const chg_event_t *ev,
                         const chg_ctx_t *ctx, int band);
/** @brief Marks \p band alerted for \p ev's change: by \p ev if
 *         \p produced, else only marked (warming up: never again). */
void chg_store_put_alerted(chg_store_t *cs, const chg_event_t *ev, int band,
                           int produced);
/** @} */

#endif /* CHG_CONTEXT_H */
