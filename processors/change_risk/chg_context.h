/**
 * @file chg_context.h
 * @brief A change's context from the feature store (Redis), read for a
 *        whole batch in one round trip, and the writes an event causes,
 *        also one round trip per batch. Every write is idempotent
 *        (sorted-set members are change numbers, hashes are keyed by
 *        number), so a redelivered event never counts twice.
 *
 * Keys (prefix vigie:, see deploy/REDIS_KEYS.md):
 *   team:{group}:changes  zset  closed changes of the team, at outcome time
 *   team:{group}:failed   zset  the failed ones
 *   ci:{ci}:changes       zset  closed changes on the CI
 *   ci:{ci}:failed        zset  failed changes on the CI
 *   ci:{ci}:incidents     zset  incidents on the CI (incident processor)
 *   ci:{ci}:open          hash  open changes: number -> "start_ms,end_ms"
 *   chg:{number}:features blob  features as scored, for learning (TTL)
 *   chg:{number}:alerts   hash  bands already alerted: band -> event ms
 */
#ifndef CHG_CONTEXT_H
#define CHG_CONTEXT_H

#include "chg_event.h"
#include "vg_conf.h"
#include "vg_proc.h"
#include "vg_redis.h"

#define CHG_MAX_COLLISIONS 8
#define CHG_BACKLOG_MAX    2000

/** What the store says about one change event, as of its event time. */
typedef struct chg_ctx_s {
        long long team_changes; /**< team's closed changes in the window */
        long long team_failed;  /**< ... of which failed */
        long long ci_failures;  /**< failed changes on the CI in window */
        long long ci_incidents; /**< incidents on the CI in its window */
        int ncollisions;        /**< open changes overlapping on the CI */
        char collisions[CHG_MAX_COLLISIONS][48];
        int alerted;            /**< bit (1 << band) per band alerted */
        char *features;         /**< stored features blob, or NULL */
        size_t features_len;
        int degraded;           /**< the store could not be read */
} chg_ctx_t;

typedef struct chg_store_s chg_store_t;

/** @brief A store on \p r; the model checkpoint key comes from
 *         change.model.key. */
chg_store_t *chg_store_new(vg_redis_t *r, const vg_conf_t *conf);
void chg_store_destroy(chg_store_t *s);

/**
 * @brief Sends the context reads of \p n events in one batch (after the
 *        writes of the previous batch, and after any backlog of writes
 *        kept while Redis was down: if it cannot be written, the reads
 *        could not see it and every ctx is flagged degraded) and zeroes
 *        every ctx;
 *        chg_store_ctx() then fills them one by one, in order, as their
 *        replies arrive, so the first events are processed while Redis
 *        still answers for the last.
 * @returns 0, or -1 if the reads could not be sent (every ctx degraded).
 */
int chg_store_read(chg_store_t *s, vg_proc_t *p, const chg_event_t *evs,
                   chg_ctx_t *ctxs, int n);

/**
 * @brief Fills \p ctx, the context of event \p i of the last
 *        chg_store_read(), waiting for its replies; flags it
 *        degraded if the reads failed (Redis down). Call in order of i.
 */
void chg_store_ctx(chg_store_t *s, int i, const chg_event_t *ev,
                   chg_ctx_t *ctx);

/** @brief Frees what chg_store_read() allocated in \p ctx. */
void chg_ctx_clear(chg_ctx_t *ctx);

/** @name Writes, queued into the store's pending batch. @{ */
void chg_store_put_features(chg_store_t *s, const chg_event_t *ev,
                            const void *blob, size_t len);
void chg_store_put_open(chg_store_t *s, const chg_event_t *ev);
void chg_store_put_outcome(chg_store_t *s, const chg_event_t *ev);
void chg_store_put_cancel(chg_store_t *s, const chg_event_t *ev);
/** Records that \p band (0..3) was alerted for \p ev's change: by \p ev
 *  if \p produced (the same event consumed again alerts again, in case
 *  its alert was lost), else only marked (warming up: never again). */
void chg_store_put_alerted(chg_store_t *s, const chg_event_t *ev, int band,
                           int produced);
/** @} */

/**
 * @brief Sends the writes queued so far for this batch once there are
 *        enough of them, so that Redis executes them while the batch is
 *        still being scored (call after each event). Never while a
 *        backlog waits or Redis failed in this batch; chg_store_flush()
 *        sends the rest, or all of it again after a failure.
 */
void chg_store_pump(chg_store_t *s);

/**
 * @brief Sends the pending writes of a batch; their replies are read
 *        (and the holds released) by the next read, flush, drain, or a
 *        retry once they have been in flight for 1 ms. If Redis is down they are
 *        kept, in order, with the offset holds of their records (the
 *        offsets are not committed meanwhile) and retried at the next
 *        flush; scoring goes on in degraded mode. Past
 *        CHG_BACKLOG_MAX batches the flush blocks until Redis is back.
 * @param holds holds to release once the writes are in (taken over).
 * @returns 0 if everything is written, -1 if a backlog remains.
 */
int chg_store_flush(chg_store_t *s, vg_proc_t *p, vg_proc_hold_t **holds,
                    int nholds);

/** @brief Reads the replies of the writes in flight, if any (their holds
 *         are released, or they join the backlog). For a revocation. */
void chg_store_settle(chg_store_t *s, vg_proc_t *p);

/** @brief Retries the backlog, if any (cheap when empty, and while
 *         Redis is in back-off). */
void chg_store_retry(chg_store_t *s, vg_proc_t *p);

/** @returns the number of write batches waiting for Redis. */
int chg_store_backlog(const chg_store_t *s);

/**
 * @brief Tries once more to write the backlog; what still fails is
 *        dropped with its holds unreleased (the records will be consumed
 *        again). For shutdown.
 */
void chg_store_drain(chg_store_t *s, vg_proc_t *p);

/** @brief Saves the model checkpoint. @returns 0 or -1 (Redis down). */
int chg_store_save_model(chg_store_t *s, const void *buf, size_t len);

/**
 * @brief Loads the model checkpoint into \p *bufp (free with vg_free()).
 * @returns 0, VG_ERR_NOENT (none yet) or another vg_err_t.
 */
int chg_store_load_model(chg_store_t *s, void **bufp, size_t *lenp);

#endif /* CHG_CONTEXT_H */
