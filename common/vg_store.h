/**
 * @file vg_store.h
 * @brief The batch store: a processor's reads and writes of the feature
 *        store (Redis), pipelined per batch, with one failure policy for
 *        every processor.
 *
 * The runtime (vg_proc) owns one store and drives it: after a batch is
 * processed it flushes the batch's writes with the offset holds of its
 * records, on every loop turn it retries what failed, before partitions
 * are revoked it settles the writes in flight, and on stop it drains. A
 * processor only declares, per record, the reads it needs and the writes
 * it makes:
 *
 *   rd = vg_store_read_begin(s, p, n);     reads of record 0 into rd,
 *   vg_store_read_next(s);                 then of record 1, ...
 *   vg_store_read_send(s, p);
 *   for each record i, in order:
 *           if (vg_store_read_wait(s, i) == 0)  use vg_store_reply()
 *           else                                context degraded
 *           writes into vg_store_writes(s); vg_store_pump(s);
 *
 * Ordering: a batch's reads are sent after the previous batch's writes on
 * the same connection (and after any backlog), so they see them; Redis
 * executes commands in the order sent. Writes are sent in parts while the
 * batch is processed (vg_store_pump) and their replies read with the next
 * batch's reads. While Redis is down, write batches are kept in order with
 * their holds (the offsets are not committed meanwhile) and retried; the
 * reads that could not see them are flagged degraded. Every write must be
 * idempotent: a batch is sent again whole after a failure.
 *
 * Model checkpoints are hashes model:{id}:checkpoint (progress, blob).
 */
#ifndef VG_STORE_H
#define VG_STORE_H

#include "vg_proc.h"
#include "vg_redis.h"

typedef struct vg_store_s vg_store_t;

/** Write batches kept while Redis is down before a flush blocks. */
#define VG_STORE_BACKLOG_MAX 2000

/** A reply index for a read that was not queued. */
#define VG_STORE_NO_READ ((size_t)-1)

/** @brief A store on \p r (borrowed). */
vg_store_t *vg_store_new(vg_redis_t *r);

/** @brief Frees \p s; writes not written are dropped (their offsets were
 *         held, so their records will be consumed again). NULL-safe. */
void vg_store_destroy(vg_store_t *s);

/** @brief Builds the key `{prefix}{kind}:{id}:{what}` into \p buf
 *         (parts escaped). @returns buf. */
const char *vg_store_key(const vg_store_t *s, char *buf, size_t size,
                         const char *kind, const char *id, const char *what);

/** @name Reads of a batch, declared record by record. @{ */
/**
 * @brief Starts the reads of a batch of \p n records; writes any backlog
 *        first if Redis is back. @returns the batch to queue record 0's
 *        reads into (valid until the next vg_store_read_begin()).
 */
vg_redis_batch_t *vg_store_read_begin(vg_store_t *s, vg_proc_t *p, int n);

/** @brief Closes the reads of the current record: the next ones queued
 *         belong to the next record. Call once per record, in order. */
void vg_store_read_next(vg_store_t *s);

/**
 * @brief Sends the batch's reads (behind the writes in flight, whose
 *        replies are read meanwhile: their holds are released).
 * @returns 0, or -1 if the reads failed or cannot see earlier writes (a
 *          backlog remains): every record of the batch is degraded.
 */
int vg_store_read_send(vg_store_t *s, vg_proc_t *p);

/**
 * @brief Waits for the replies of record \p i (in order of i), so the
 *        first records are processed while Redis answers for the last.
 * @returns 0, or -1: the reads failed, the record's context is degraded.
 */
int vg_store_read_wait(vg_store_t *s, int i);

/** @returns reply \p idx of the reads (NULL for VG_STORE_NO_READ). */
const vg_redis_reply_t *vg_store_reply(const vg_store_t *s, size_t idx);

/** @} */

/** @name Event-time windows whose counts include the batch's own writes.
 *
 * A batch's reads are sent before it is processed, so Redis answers them
 * as of the batch's start; a window count queued with
 * vg_store_read_count() is answered by vg_store_count() with that, plus
 * the members that the batch's earlier records added with
 * vg_store_window_add(): a record's context includes every write before
 * it, whatever the batch size, so a full-speed replay gives the answers of
 * a paced run. (A member already in Redis before the batch and added again
 * by it, e.g. a redelivered record, counts twice for the rest of that
 * batch.) @{ */
/** @brief Queues ZCOUNT \p key \p from \p to into \p rd (the batch of
 *         vg_store_read_begin()). @returns a handle for vg_store_count(). */
size_t vg_store_read_count(vg_store_t *s, vg_redis_batch_t *rd,
                           const char *key, int64_t from, int64_t to);
/** @returns the count of \p h (VG_STORE_NO_READ: 0), after the record's
 *           vg_store_read_wait(). */
long long vg_store_count(const vg_store_t *s, size_t h);
/** @brief Adds \p member at \p t to the window \p key (ZADD, queued with
 *         the batch's writes), and for the batch's later counts. */
void vg_store_window_add(vg_store_t *s, const char *key, int64_t t,
                         const char *member);
/**
 * @brief vg_store_window_add() of \p member at \p t into \p key, and, on
 *        one record in 16 (chosen by a hash of \p id, e.g. the record's
 *        number, so that a redelivered record does the same), a trim of
 *        what is older than \p wm - 2 x \p keep_ms: \p wm is the
 *        watermark (vg_proc_watermark()), never one record's time, which a
 *        poison time far ahead would make wipe the window.
 */
void vg_store_window_put(vg_store_t *s, const char *key, int64_t t,
                         const char *member, const char *id, int64_t wm,
                         int64_t keep_ms);
/** @} */

/** @name Writes of a batch. @{ */
/** @returns the batch collecting this batch's writes. */
vg_redis_batch_t *vg_store_writes(vg_store_t *s);

/**
 * @brief Sends the writes queued so far once there are enough of them, so
 *        that Redis executes them while the batch is processed (call after
 *        each record). Never while a backlog waits or Redis failed in this
 *        batch: the flush sends the rest, or all of it again.
 */
void vg_store_pump(vg_store_t *s);

/**
 * @brief Sends the batch's writes; their replies are read (and \p holds
 *        released) by the next read, flush, drain, or a retry once they
 *        have been in flight for 1 ms. If Redis is down they are kept, in
 *        order, with their holds, and retried at the next flush. Past
 *        VG_STORE_BACKLOG_MAX batches the flush blocks until Redis is back
 *        (or the processor stops).
 * @param holds holds to release once the writes are in (copied).
 * @returns 0 if sent, -1 if a backlog remains.
 */
int vg_store_flush(vg_store_t *s, vg_proc_t *p, vg_proc_hold_t **holds,
                   int nholds);

/** @brief Forgets the writes queued for a batch that failed (it will be
 *         consumed again). */
void vg_store_discard(vg_store_t *s);
/** @} */

/** @name Driven by the runtime. @{ */
/** @brief Reads the replies of the writes in flight (before a
 *         revocation: their offsets can then be committed). */
void vg_store_settle(vg_store_t *s, vg_proc_t *p);
/** @brief Collects writes in flight for over 1 ms and retries the
 *         backlog (cheap when empty, and while Redis is in back-off). */
void vg_store_retry(vg_store_t *s, vg_proc_t *p);
/** @returns the number of write batches waiting for Redis. */
int vg_store_backlog(const vg_store_t *s);
/** @brief Tries once more to write everything; what still fails is
 *         dropped with its holds unreleased. For shutdown. */
void vg_store_drain(vg_store_t *s, vg_proc_t *p);
/** @} */

/** @name Model checkpoints: a hash model:{id}:checkpoint (progress,
 *  blob), shared by a processor's instances. @{ */
/**
 * @brief Saves \p buf as model \p id's checkpoint unless the one there
 *        has more \p progress (e.g. the offsets it has learned up to,
 *        summed): a checkpoint is never overwritten by a lesser one.
 * @returns 0 saved, 1 not saved (a better one is there), -1 error.
 */
int vg_store_save_checkpoint(vg_store_t *s, const char *id, int64_t progress,
                             const void *buf, size_t len);
/** @brief Loads model \p id's checkpoint into \p *bufp (vg_free()).
 *  @returns 0, VG_ERR_NOENT (none yet) or another vg_err_t. */
int vg_store_load_checkpoint(vg_store_t *s, const char *id, void **bufp,
                             size_t *lenp);
/** @} */

#endif /* VG_STORE_H */
