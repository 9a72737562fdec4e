/**
 * @file vg_proc_int.h
 * @brief The processor runtime's state, shared by its files (vg_proc.c:
 *        command line, loop, outputs; vg_proc_learn.c: learning,
 *        checkpoints, event time). Not for processors.
 */
#ifndef VG_PROC_INT_H
#define VG_PROC_INT_H

#include "vg_learn.h"
#include "vg_metrics.h"
#include "vg_proc.h"
#include "vg_store.h"

/** A batch slot: the record and a value of its own to decode into. */
typedef struct vg_proc_slot_s {
        vg_avro_schema_t *sch;
        avro_value_t val;
        int has_val;
} vg_proc_slot_t;

struct vg_proc_s {
        const vg_processor_def_t *def;
        vg_conf_t *conf;
        vg_avro_registry_t *reg;
        vg_redis_t *redis;
        vg_store_t *store;
        vg_kafka_t *k;
        void *st;
        const char *in_topic, *out_topic, *group;
        const char *side_topic; /**< def->side_topic_prop's value, or NULL */
        int bootstrapping;
        int batch_size;
        vg_proc_rec_t *recs;
        vg_proc_slot_t *slots;
        vg_proc_hold_t **holds; /**< a batch's, for vg_store_flush() */
        const char *model_id;   /**< def->model_key_prop's value */
        int failed; /**< a batch failed: its learning is not checkpointed */
        /* learning (vg_proc_learn.c) */
        vg_learn_t *learn;
        int64_t *scored_next; /**< per partition: next offset processed */
        int64_t *committed;   /**< the group's committed offsets */
        int64_t *deferred;    /**< this batch: first offset not learned
                               *   in line, per partition (-1: none) */
        int nparts;           /**< partitions of the input topic */
        int64_t committed_us; /**< when committed was read */
        uint64_t revokes;     /**< revocations served so far */
        int64_t *ckpt_next;   /**< the restored checkpoint's offsets */
        int ckpt_nparts;
        uint64_t n_learned_recs;
        /* event time */
        int64_t watermark, ev_ahead_ms, ev_min_ms;
        /* counters */
        uint64_t n_in, n_out, n_dead, n_boot_dropped;
        vg_metrics_t *metrics;
        vg_counter_t *m_in, *m_out, *m_dead;
        vg_histo_t *m_lag;   /**< record timestamp -> processed */
        vg_histo_t *m_batch; /**< process() time of a batch */
        int64_t t_start_ms, t_stats_ms, t_ckpt_ms;
        int64_t stats_every_ms, ckpt_every_ms; /**< from the conf */
        uint64_t stats_in_prev;
        uint8_t *enc_buf; /**< vg_proc_emit()'s encoding, reused */
        size_t enc_size;
};

/** @brief vg_avro_decode_to()'s dst_for: makes slot \p opaque (a
 *         vg_proc_slot_t) hold a value of \p sch. */
avro_value_t *vg_proc_slot_for(vg_avro_schema_t *sch, void *opaque);

/**
 * @brief Decodes \p rec into \p slot and checks that its schema is its
 *        topic's (sets rec->sch, rec->val).
 * @returns NULL, or the dead-letter class (VG_DLQ_*) with the reason in
 *          \p errstr.
 */
const char *vg_proc_decode_into(vg_proc_t *p, vg_proc_rec_t *rec,
                                vg_proc_slot_t *slot, char *errstr,
                                size_t errstr_size);

/** @name vg_proc_learn.c @{ */
/** @brief Restores the model and its offsets from the checkpoint (none:
 *         from scratch). @returns 0, or -1 if it cannot be read (Redis
 *         down for 30 s at start: the processor does not start). */
int vg_proc_restore(vg_proc_t *p);
/** @brief Saves the checkpoint. @returns 0, or -1 if none was saved. */
int vg_proc_checkpoint(vg_proc_t *p);
/** @brief Starts the learner (after the Kafka client). @returns 0/-1. */
int vg_proc_learn_start(vg_proc_t *p, char *errstr, size_t errstr_size);
/** @brief After a scoring batch of \p n records (recs[], all of them,
 *         dead ones included), consumed while vg_proc_t.revokes was
 *         \p revokes: positions (unless a revocation came meanwhile: which
 *         partitions are still ours is not known), then learning steps. */
void vg_proc_learn_after(vg_proc_t *p, int n, uint64_t revokes);
/** @brief Before a scoring batch of \p n records: which ones process()
 *         learns in line (vg_learn_claim(), in order). */
void vg_proc_learn_mark(vg_proc_t *p, int n);
/** @brief After process(): what was claimed but deferred goes back to
 *         the learner (vg_learn_rewind()). */
void vg_proc_learn_apply(vg_proc_t *p);
/** @brief Before a scoring batch of \p n records: lets the learner
 *         learn every earlier record of their partitions first (bounded
 *         in time; not while Redis is down), so that each is predicted
 *         after what came before it is learned. */
void vg_proc_learn_catch_up(vg_proc_t *p, int n);
/**
 * @brief For the learner: 1 if the scoring side has processed \p rec (this
 *        instance, if the partition is or was its own, else the group's
 *        committed offset), so that its writes are in the store; 0 if not
 *        yet. Always 1 while warming up.
 */
int vg_proc_scored_past(vg_proc_t *p, const vg_proc_rec_t *rec);
/** @brief Partitions are being revoked: forget which ones this instance
 *         scores (vg_proc_scored_past() asks the group until it scores
 *         them again). */
void vg_proc_learn_revoked(vg_proc_t *p);
/** @brief On stop: learns what can be learned, then closes the learner. */
void vg_proc_learn_stop(vg_proc_t *p);
/** @brief Reads the event-time properties. */
void vg_proc_event_time_init(vg_proc_t *p);
/** @} */

#endif /* VG_PROC_INT_H */
