/**
 * @file vg_alerts.h
 * @brief Alert deduplication: one alert per (subject, level), for every
 *        processor's alert kinds (deploy/REDIS_KEYS.md).
 *
 * The levels a subject was alerted for are a Redis hash
 * `{kind}:{subject}:alerts`: level name -> event time (ms) of the record
 * that alerted, or 0 if it was only marked (warming up). A later record
 * of the subject does not alert again for a marked level; the alerting
 * record itself, consumed again because its offset was not committed (a
 * crash before its alert was acknowledged), does: its alert may never
 * have reached Kafka, and it comes again with the same alert id
 * (vg_alerts_id()), which downstream consumers deduplicate on. The mark
 * is written only once the alert is produced.
 *
 * Per batch: queue each record's read with vg_alerts_read() (through the
 * batch store), get what is stored with vg_alerts_stored(), decide with
 * vg_alerts_take() (which also remembers the alert for the batch's later
 * records of the subject), and mark with vg_alerts_mark() once produced.
 */
#ifndef VG_ALERTS_H
#define VG_ALERTS_H

#include "vg_store.h"

#include <stdint.h>

/** Levels one kind may have (bits of a mask). */
#define VG_ALERTS_MAX_LEVELS 16

typedef struct vg_alerts_s vg_alerts_t;

/**
 * @param kind the key's kind (`chg` for `chg:{number}:alerts`).
 * @param levels level names, lowest first (borrowed: static strings).
 * @param ttl_s how long a subject's marks are kept (0: forever).
 */
vg_alerts_t *vg_alerts_new(vg_store_t *s, const char *kind,
                           const char *const *levels, int nlevels,
                           int64_t ttl_s);
void vg_alerts_destroy(vg_alerts_t *a);

/** @brief A new batch: forgets the alerts taken in the last one. */
void vg_alerts_begin(vg_alerts_t *a);

/** @brief Queues the read of \p subject's marks into \p rd (a batch of
 *         vg_store_read_begin()). @returns the reply index. */
size_t vg_alerts_read(vg_alerts_t *a, vg_redis_batch_t *rd,
                      const char *subject);

/**
 * @returns the levels (bit 1 << level) already alerted for the subject
 *          of reply \p idx, by records other than the one at
 *          \p event_time (the replay rule).
 */
unsigned vg_alerts_stored(const vg_alerts_t *a, size_t idx,
                          int64_t event_time);

/**
 * @brief Decides whether \p subject alerts now at \p level: not in
 *        \p stored (vg_alerts_stored()) nor taken by an earlier record of
 *        this batch. If so, remembers it for the batch.
 * @returns 1: alert; 0: already alerted.
 */
int vg_alerts_take(vg_alerts_t *a, const char *subject, int level,
                   unsigned stored);

/**
 * @brief Marks \p level as alerted for \p subject, into \p wr (the
 *        store's writes): by the record at \p event_time once its alert is
 *        produced, or with 0 (warming up: no alert is produced, and none
 *        will be for that level).
 */
void vg_alerts_mark(vg_alerts_t *a, vg_redis_batch_t *wr,
                    const char *subject, int level, int64_t event_time);

/** @brief Writes the alert id `{KIND}:{subject}:{level}` into \p buf.
 *  @returns buf. */
const char *vg_alerts_id(char *buf, size_t size, const char *alert_kind,
                         const char *subject, const char *level);

#endif /* VG_ALERTS_H */
