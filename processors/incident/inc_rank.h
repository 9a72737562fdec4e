/**
 * @file inc_rank.h
 * @brief Suspect changes: which changes at work on an incident's CI
 *        (ci:{ci}:work, written by vigie-change) probably caused it,
 *        ranked by a learned logistic score (FTRL) over the pair: time
 *        from the change's start to opened_at, whether the work was still
 *        going on, the change's published p_failure and type, and how
 *        many changes compete. It learns when an incident is resolved,
 *        from the candidates as scored, with the change the incident names
 *        as its cause (caused_by, else rfc) as the positive.
 */
#ifndef INC_RANK_H
#define INC_RANK_H

#include "vg_snapshot.h"
#include "vg_work.h"

#include <stddef.h>
#include <stdint.h>

#define INC_MAX_SUSPECTS 5

typedef struct inc_rank_s inc_rank_t;

/** A suspect change of an incident. */
typedef struct inc_suspect_s {
        vg_work_t w;
        double hours_before; /**< from the change's start to opened_at */
        int during;          /**< opened before the work's end */
        int ncand;           /**< candidates of the incident */
        int latest;          /**< the most recent start among them */
        double score;        /**< learned p(caused it) */
} inc_suspect_t;

inc_rank_t *inc_rank_new(char *errstr, size_t errstr_size);
void inc_rank_destroy(inc_rank_t *r);

/**
 * @brief Keeps the entries of \p ws (decoded ci:{ci}:work members, any
 *        order, versions deduplicated here) whose work started in
 *        [opened_at - window_ms, opened_at], scores them and writes the
 *        \p max best into \p out, most suspect first (ties: latest start).
 * @returns the number written.
 */
int inc_rank_score(inc_rank_t *r, vg_work_t *ws, int n, int64_t opened_at,
                   int64_t window_ms, inc_suspect_t *out, int max);

/** @brief Learns from the suspects an incident was scored with: the one
 *         numbered \p cause (may be "": none) caused it, the others not. */
void inc_rank_learn(inc_rank_t *r, const inc_suspect_t *s, int n,
                    const char *cause);

/** @returns incidents with suspects learned so far. */
uint64_t inc_rank_learned(const inc_rank_t *r);

/** @returns the ranking's live quality line (vg_preq_format()). */
int inc_rank_quality(const inc_rank_t *r, char *buf, size_t size);

/** @name State of the suspects as scored: the work entries, one per line
 *  (re-scored identically at learn time). @{ */
size_t inc_rank_encode(const inc_suspect_t *s, int n, char *buf,
                       size_t size);
int inc_rank_decode(const char *buf, size_t len, int64_t opened_at,
                    inc_suspect_t *s, int max);
/** @} */

void inc_rank_write(const inc_rank_t *r, vg_snap_writer_t *sw);
/** @returns 0, or -1 (\p r unchanged). */
int inc_rank_read(inc_rank_t *r, vg_snap_reader_t *sr, char *errstr,
                  size_t errstr_size);
size_t inc_rank_memory(const inc_rank_t *r);

#endif /* INC_RANK_H */
