/**
 * @file vg_learn.h
 * @brief The learner: every instance of a processor learns from every
 *        record of its input topic, exactly once.
 *
 * Scoring is partitioned (a consumer group); learning is not. Each
 * instance runs one learner: a consumer of every partition of the input
 * topic, outside the group, like a Kafka Streams global table. A record of
 * the instance's own partitions is learned in line by the scoring side as
 * it processes it (vg_proc_learn_claim(): predict first, then learn, in
 * stream order), when it is the next one to learn of its partition; every
 * other one is learned by the learner: the processor's learn callback
 * (vg_processor_def_t.learn) is handed its records in order per partition
 * (those learned in line as dead) and says how many it is done with; the
 * rest are handed again on the next step (e.g. while Redis is down, or
 * while the record is ahead of what the scoring group has processed:
 * vg_proc_scored_past()). The positions (per partition, the next offset
 * to learn) move only over what is done, and are saved with the model in
 * its checkpoint: a restart resumes learning at exactly those offsets, so
 * nothing is learned twice and nothing is skipped, whatever the kill.
 *
 * Driven by vg_proc: one step after each scoring batch, and steps until
 * nothing moves on stop, before the last checkpoint.
 */
#ifndef VG_LEARN_H
#define VG_LEARN_H

#include "vg_proc.h"

typedef struct vg_learn_s vg_learn_t;

/**
 * @brief A learner of \p topic (every partition, \p batch_size records
 *        at a time), starting at \p next
 *        (next offset to learn per partition, \p nnext entries; a
 *        partition beyond them, or with -1, starts at the beginning).
 * @returns NULL + errstr if the topic's metadata cannot be read.
 */
vg_learn_t *vg_learn_new(vg_proc_t *p, const char *topic, int batch_size,
                         const int64_t *next, int nnext, char *errstr,
                         size_t errstr_size);

/** @brief Closes the learner's consumer and frees it. NULL-safe. */
void vg_learn_destroy(vg_learn_t *l);

/**
 * @brief One step: reads the next records if none wait (for up to
 *        \p timeout_ms), then hands the waiting ones to def->learn.
 * @returns the number of records done in this step (0: nothing moved).
 */
int vg_learn_step(vg_learn_t *l, int timeout_ms);

/**
 * @brief Claims record (\p part, \p offset) for learning in line (by the
 *        scoring side, as it processes it): only the next one to learn of
 *        its partition can be; the learner then skips it.
 * @returns 1 if claimed (learn it now), 0 if it was learned already or
 *          earlier ones of the partition are not (the learner will).
 */
int vg_learn_claim(vg_learn_t *l, int32_t part, int64_t offset);

/**
 * @brief Makes (\p part, \p offset) the next record to learn of its
 *        partition again (it was claimed, but could not be learned in
 *        line: e.g. Redis was down): the learner reads it again.
 * @returns 0, or -1 if the consumer could not seek yet (logged; tried
 *          again at every step, and nothing is learned meanwhile).
 */
int vg_learn_rewind(vg_learn_t *l, int32_t part, int64_t offset);

/** @returns the number of partitions (entries of vg_learn_next()). */
int vg_learn_partitions(const vg_learn_t *l);

/** @returns the next offset to learn of each partition (borrowed). */
const int64_t *vg_learn_next(const vg_learn_t *l);

/** @returns records waiting (read, not yet done). */
int vg_learn_waiting(const vg_learn_t *l);

/** @brief Hands \p n records to def->learn (implemented by vg_proc).
 *  @returns how many it is done with. */
int vg_proc_learn(vg_proc_t *p, vg_proc_rec_t *recs, int n);

#endif /* VG_LEARN_H */
