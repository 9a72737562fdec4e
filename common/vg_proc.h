/**
 * @file vg_proc.h
 * @brief The processor runtime: a processor is a descriptor table
 *        (nginx-module style) and vg_proc_main() does the rest.
 *
 * vg_proc_main() parses the command line (-c FILE, -X key=value, -b,
 * --bootstrap FILE.jsonl, --help), builds the Avro registry, the Redis
 * store and the at-least-once Kafka client, then loops:
 *
 *   consume a batch -> decode each record (failures: dead letter)
 *   -> def->process(batch) -> outputs acknowledged -> offsets stored
 *
 * until SIGTERM/SIGINT, when it drains, flushes, checkpoints, commits and
 * exits 0. A progress line is logged every stats.interval.ms.
 */
#ifndef VG_PROC_H
#define VG_PROC_H

#include "vg_avro.h"
#include "vg_conf.h"
#include "vg_kafka.h"
#include "vg_redis.h"

#include <stdarg.h>

typedef struct vg_proc_s vg_proc_t;
typedef struct vg_store_s vg_store_t; /* vg_store.h */

/** One input record of a batch, as handed to def->process(). */
typedef struct vg_proc_rec_s {
        vg_kafka_rec_t kr;     /**< raw record (kr.rkm NULL in bootstrap) */
        avro_value_t *val;     /**< decoded value, valid during process() */
        vg_avro_schema_t *sch; /**< its writer schema */
        int dead;              /**< set by vg_proc_deadletter() */
        int learn;             /**< process(): learn it in line (see
                                *   vg_proc_learn_claim()) */
        int side;              /**< a record of the side topic (see
                                *   vg_processor_def_t.side_topic_prop) */
} vg_proc_rec_t;

/** A processor. Every callback but process may be NULL. */
typedef struct vg_processor_def_s {
        const char *name;         /**< program and default group id */
        const char *summary;      /**< one line for --help */
        const char *input_topic;  /**< default input.topic */
        const char *output_topic; /**< default output.topic */
        /** Its configuration properties, besides the common ones (NULL:
         *  none), e.g. &chg_conf_group (processors/change_risk/chg_conf.c).
         *  --help and the configuration are built from them. */
        const vg_conf_group_t *conf_group;
        /** The property (may be NULL) naming a second topic that the same
         *  consumer group consumes, e.g. responders' feedback: its records
         *  come to process() with rec->side set, mixed with the input's,
         *  and are committed the same way (at least once: what they write
         *  must be idempotent). The learner never reads it: what such a
         *  record teaches must be learned through the input topic's
         *  records (e.g. stored, then read when an outcome is learned).
         *  An empty value: no side topic. */
        const char *side_topic_prop;
        /** 1: a dead letter never carries its record's value (it may hold
         *  personal data: a survey's raw comment and respondent); the key,
         *  topic, partition, offset and reason still tell which record. */
        int deadletter_redact;
        /** Creates the processor state. @returns NULL + errstr on error. */
        void *(*init)(vg_proc_t *p, char *errstr, size_t errstr_size);
        /** Processes \p n decoded records (predict, emit, learn).
         *  @returns 0, or -1 on a failure that must stop the processor
         *  (the batch's offsets are then not stored). */
        int (*process)(void *st, vg_proc_t *p, vg_proc_rec_t *recs, int n);
        /** Learns from \p n records of the input topic (optional). Every
         *  instance learns from every partition (vg_learn.h), in order per
         *  partition; process() learns those of its own partitions in
         *  line (vg_proc_learn_claim()), this the others, once the scoring
         *  side has processed them (vg_proc_scored_past(): their writes
         *  are in the store); a record that could not be decoded, or was
         *  learned in line, comes with rec->dead set (skip it). Reads go
         *  through the batch store like process()'s.
         *  @returns how many of the first records it is done with; the
         *  others come again at the next step (e.g. Redis is down). */
        int (*learn)(void *st, vg_proc_t *p, vg_proc_rec_t *recs, int n);
        /** Called on every loop turn, records or not (the batch store's
         *  retries are the runtime's own). */
        void (*tick)(void *st, vg_proc_t *p);
        /** Called before partitions are revoked (rebalance, shutdown),
         *  after the batch store settled its writes in flight. */
        void (*revoke)(void *st, vg_proc_t *p);
        /** @name Model checkpoints (optional), taken by the runtime every
         *  checkpoint.interval.ms and on stop, never after a failed batch
         *  (it will be consumed again: the model must not have learned
         *  it), and restored at start. @{ */
        /** The property whose value names the model: its checkpoint is
         *  model:{id}:snapshot in the store. */
        const char *model_key_prop;
        /** Serialises the model. @returns a buffer (vg_free()). */
        void *(*save)(void *st, size_t *lenp);
        /** Replaces the model. @returns 0, or -1 + errstr (unchanged). */
        int (*restore)(void *st, const void *buf, size_t len, char *errstr,
                       size_t errstr_size);
        /** @returns the model's version line for the log. */
        const char *(*model_version)(void *st);
        /** @} */
        /** Writes a closing report (metrics, quality) to \p fp. */
        void (*report)(void *st, vg_proc_t *p, FILE *fp);
        void (*destroy)(void *st);
} vg_processor_def_t;

/** @brief Runs processor \p def. @returns the process exit code. */
int vg_proc_main(const vg_processor_def_t *def, int argc, char **argv);

/** @name Runtime services, valid from init() to destroy(). @{ */
const vg_conf_t *vg_proc_conf(const vg_proc_t *p);
vg_avro_registry_t *vg_proc_registry(vg_proc_t *p);
vg_redis_t *vg_proc_redis(vg_proc_t *p);
/** The batch store (vg_store.h) on vg_proc_redis(), driven by the
 *  runtime: after each batch it flushes the writes the batch queued,
 *  holding the batch's offsets until they are in. */
vg_store_t *vg_proc_store(vg_proc_t *p);
const char *vg_proc_name(const vg_proc_t *p);
const char *vg_proc_output_topic(const vg_proc_t *p);
/** 1 while warming up from --bootstrap FILE (outputs are not produced). */
int vg_proc_bootstrapping(const vg_proc_t *p);
/** @} */

/**
 * @brief Encodes \p val (a value of \p sch) and produces it to \p topic
 *        on behalf of \p rec: \p rec's offset is stored only once this
 *        output is acknowledged. In bootstrap mode, counts and drops it.
 * @param timestamp_ms record timestamp (0: now).
 */
vg_err_t vg_proc_emit(vg_proc_t *p, vg_proc_rec_t *rec, const char *topic,
                      vg_avro_schema_t *sch, avro_value_t *val,
                      const char *key, int64_t timestamp_ms);

/**
 * @brief vg_proc_emit() of a record already encoded (wire format, e.g.
 *        with vg_avro_encode_into()): \p buf is copied.
 */
vg_err_t vg_proc_emit_encoded(vg_proc_t *p, vg_proc_rec_t *rec,
                              const char *topic, const void *buf, size_t len,
                              const char *key, int64_t timestamp_ms);

/** A held offset (see vg_proc_hold()). */
typedef struct vg_kafka_input_s vg_proc_hold_t;

/**
 * @brief Keeps \p rec's offset from being committed until
 *        vg_proc_release(): for side effects (Redis writes) that are
 *        retried after process() returned. NULL in bootstrap mode.
 */
vg_proc_hold_t *vg_proc_hold(vg_proc_t *p, vg_proc_rec_t *rec);

/**
 * @brief From def->process, for a record to learn from: 1 if it is the
 *        next one to learn of its partition (learn it now, in line: the
 *        learner will skip it), 0 if it was learned already or earlier ones
 *        of its partition are not yet (the learner will learn it, through
 *        def->learn). Always 1 without a learner (warming up). The runtime
 *        decides it for the whole batch before process(): every record the
 *        scoring side passes in order is one the learner need not learn.
 */
int vg_proc_learn_claim(vg_proc_t *p, const vg_proc_rec_t *rec);

/**
 * @brief From def->process: \p rec was claimed (vg_proc_learn_claim()) but
 *        cannot be learned now (e.g. the features it was scored with could
 *        not be read: Redis is down). It, and what follows it in its
 *        partition, go back to the learner, which learns them once it can:
 *        an outage delays learning, never drops it.
 * @returns 1, or 0 if it cannot be deferred (warming up from a file: no
 *          learner; learn what can be learned now).
 */
int vg_proc_learn_defer(vg_proc_t *p, const vg_proc_rec_t *rec);

/** @name Event time. @{ */
/**
 * @brief Checks an event time of \p rec (\p what names it, e.g.
 *        "closed_at"): one more than event.time.max.ahead.ms ahead of the
 *        later of the wall clock and the watermark, or before
 *        event.time.min, sends \p rec to the dead letters with the reason.
 *        Else the watermark moves up to it.
 * @returns 0, or -1 (dead-lettered).
 */
int vg_proc_event_time(vg_proc_t *p, vg_proc_rec_t *rec, const char *what,
                       int64_t t_ms);
/** @returns 1 if vg_proc_event_time() would accept \p t_ms (no change). */
int vg_proc_event_time_ok(const vg_proc_t *p, int64_t t_ms);
/** @returns the watermark: the latest event time accepted, ms (0 before
 *           any). Trims of event-time windows use it, never one record's
 *           time. */
int64_t vg_proc_watermark(const vg_proc_t *p);
/** @} */

/** @brief Releases a hold from vg_proc_hold(). NULL is allowed. */
void vg_proc_release(vg_proc_t *p, vg_proc_hold_t *h);

/** @returns non-zero once SIGTERM/SIGINT asked the processor to stop. */
int vg_proc_stopping(const vg_proc_t *p);

/**
 * @brief Sends \p rec to the dead-letter topic with \p error_class
 *        (VG_DLQ_*) and a printf-style reason, logs it, marks rec->dead.
 */
void vg_proc_deadletter(vg_proc_t *p, vg_proc_rec_t *rec,
                        const char *error_class, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

#endif /* VG_PROC_H */
