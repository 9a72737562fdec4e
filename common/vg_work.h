/**
 * @file vg_work.h
 * @brief The changes at work on a CI: one "work entry" per scored record
 *        of a change, written by vigie-change, read by vigie-incident to
 *        find the suspect changes of an incident.
 *
 * @section key The key contract
 *
 * Key: `vigie:ci:{ci}:work` (zset; `{ci}` escaped as every key name, see
 * deploy/REDIS_KEYS.md).
 *
 * - Writer: vigie-change, each time it scores a record of a change that
 *   has a CI: `ZADD vigie:ci:{ci}:work <score> <member>`.
 * - Score: the change's start_date in ms if known, else its opened_at,
 *   else the event time of the record.
 * - Member: vg_work_encode() of the entry, six fields separated by one
 *   tab each, in this order:
 *   `number \t event_time \t start_ms \t end_ms \t p_failure \t type`
 *   - number: the change number, at most 47 bytes (cut at a UTF-8
 *     character boundary), tabs, CR and LF replaced by spaces, not empty;
 *   - event_time: sys_updated_on of the record that wrote it, ms, decimal;
 *   - start_ms, end_ms: start_date and end_date (planned or actual), ms,
 *     decimal, -1 when unknown;
 *   - p_failure: as published by vigie-change for that record, "%.4f"
 *     (0.0000..1.0000);
 *   - type: the change type (Normal, Standard, Emergency...), at most 23
 *     bytes, cut and cleaned as number; may be empty.
 * - Versions: every scored record of a change writes its own member
 *   (its event time differs), so the set holds several versions of a
 *   change. A reader keeps, per number, the entry with the greatest
 *   event_time (vg_work_latest()). The same record scored again (a
 *   redelivery) writes the same member, except that its p_failure may
 *   differ if the model learned in between: two entries with the same
 *   number and event time; vg_work_latest() then keeps one of them,
 *   whatever their order (the greatest by start, end, p, type).
 * - Trimming: the writer removes members whose score is older than its
 *   event-time watermark minus twice `change.work.keep.days` (on one
 *   record in 16, chosen by a hash of the number).
 *
 * Pure functions on caller buffers: no allocation, no I/O, no locale
 * (numbers are parsed by hand).
 *
 * @locality thread-safe.
 */
#ifndef VG_WORK_H
#define VG_WORK_H

#include <stddef.h>
#include <stdint.h>

/** One change at work on a CI. */
typedef struct vg_work_s {
        char number[48];    /**< change number */
        int64_t event_time; /**< sys_updated_on of the change record that
                                 wrote it (ms) */
        int64_t start_ms;   /**< start_date (planned or actual), -1 unknown */
        int64_t end_ms;     /**< end_date, -1 unknown */
        double p_failure;   /**< as published by vigie-change */
        char type[24];      /**< change type, e.g. Normal / Standard /
                                 Emergency */
} vg_work_t;

/** Size of a buffer that always holds vg_work_encode()'s output with its
 *  NUL: number 47 + type 23 + three int64 of 20 + p 6 + 5 tabs + 1 = 142. */
#define VG_WORK_MEMBER_MAX 160

/**
 * @brief Encodes \p w as a member of `ci:{ci}:work` (see @ref key).
 *
 * number and type are read up to their NUL (or their array's end), cut at
 * a character boundary to fit their arrays with a NUL, and their tabs, CR
 * and LF become spaces. p_failure is clamped to [0, 1]; a negative
 * start_ms or end_ms is written -1 (unknown).
 *
 * @param buf NUL-terminated on success.
 * @returns the member's length (without the NUL), or 0 if it does not fit
 *          in \p size bytes (VG_WORK_MEMBER_MAX always does), or if the
 *          number is empty or p_failure is NaN.
 */
size_t vg_work_encode(const vg_work_t *w, char *buf, size_t size);

/**
 * @brief Decodes the member \p s[0..len) (not NUL-terminated: a Redis
 *        reply) into \p w.
 * @returns 0, or -1 if it is not a member vg_work_encode() could have
 *          written (wrong field count, empty or too long number or type,
 *          a NUL, CR or LF, a number that is not a decimal int64, a start
 *          or end below -1, p outside [0, 1]...); \p w is then
 *          unspecified. Never reads past \p len.
 */
int vg_work_decode(const char *s, size_t len, vg_work_t *w);

/**
 * @brief Keeps, in place, one entry per change number: the one with the
 *        greatest event_time (ties: the greatest by start_ms, end_ms,
 *        p_failure, type, so the result does not depend on the input
 *        order), then orders them by start_ms ascending (unknown, -1,
 *        first; ties by number).
 * @returns the number of entries kept, at the start of \p ws.
 */
int vg_work_latest(vg_work_t *ws, int n);

#endif /* VG_WORK_H */
