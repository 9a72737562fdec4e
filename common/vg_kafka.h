/**
 * @file vg_kafka.h
 * @brief A consumer + producer pair with at-least-once delivery.
 *
 * Every consumed record (a vg_kafka_rec_t) is tracked until every output
 * produced on its behalf is acknowledged by the broker (delivery report).
 * Only then is its offset stored, and only in offset order per partition,
 * so a committed offset never passes an input whose outputs could be lost.
 * librdkafka auto-commits stored offsets; on partition revoke and on close
 * the producer is flushed and the stored offsets committed synchronously.
 *
 * The producer is idempotent. Everything runs on the caller's thread:
 * delivery reports and rebalances are served inside vg_kafka_consume(),
 * vg_kafka_poll() and vg_kafka_close().
 *
 * @locality one thread per vg_kafka_t.
 */
#ifndef VG_KAFKA_H
#define VG_KAFKA_H

#include "vg_conf.h"
#include "vg_err.h"

#include <librdkafka/rdkafka.h>
#include <stdint.h>

typedef struct vg_kafka_s vg_kafka_t;
typedef struct vg_kafka_input_s vg_kafka_input_t;

/** Modes of vg_kafka_new(). */
#define VG_KAFKA_F_CONSUMER 0x1 /**< subscribe to topics in a group */
#define VG_KAFKA_F_PRODUCER 0x2 /**< produce outputs */
#define VG_KAFKA_F_READALL  0x4 /**< no group: assign every partition from
                                 *   the beginning, report end of data */

/** One consumed record: a view valid until vg_kafka_rec_done(). */
typedef struct vg_kafka_rec_s {
        const char *topic;
        int32_t partition;
        int64_t offset;
        int64_t timestamp; /**< record timestamp, ms (-1 if none) */
        const void *key;
        size_t key_len;
        const void *value;
        size_t len;
        rd_kafka_message_t *rkm; /**< owned until vg_kafka_rec_done() */
        vg_kafka_input_t *in;    /**< the offset tracker */
} vg_kafka_rec_t;

/** Counters, read with vg_kafka_stats(). */
typedef struct vg_kafka_stats_s {
        uint64_t consumed;      /**< records handed to the caller */
        uint64_t produced;      /**< outputs queued */
        uint64_t delivered;     /**< outputs acknowledged */
        uint64_t delivery_failed;
        uint64_t offsets_stored;
        uint64_t rebalances;
        int64_t dr_latency_us_max;
        int32_t last_partition; /**< partition of the last acknowledged
                                 *   output (-1: none yet) */
        int64_t last_offset;    /**< its offset (-1: none yet) */
} vg_kafka_stats_t;

/**
 * @brief Creates the client.
 * @param conf       configuration (bootstrap.servers, kafka.*, ...); not
 *                   kept beyond the call.
 * @param group_id   consumer group (VG_KAFKA_F_CONSUMER).
 * @param topics     topics to subscribe to or read (NULL with producer only).
 * @param flags      VG_KAFKA_F_* bits.
 * @returns the client, or NULL with \p errstr filled.
 * @remark In a group (VG_KAFKA_F_CONSUMER), unless kafka.* sets them:
 *         session.timeout.ms 6 s (3 s on vigie-broker, found by asking
 *         the cluster id with the producer, at most 2 s when Kafka is not
 *         reachable yet), heartbeat.interval.ms a quarter of it (at most
 *         3 s), and group.instance.id from the instance.id property
 *         (static membership; empty: dynamic). See vg_kafka.c.
 */
vg_kafka_t *vg_kafka_new(const vg_conf_t *conf, const char *group_id,
                         const char *const *topics, int ntopics, int flags,
                         char *errstr, size_t errstr_size);

/**
 * @brief Consumes up to \p max records, waiting at most \p timeout_ms for
 *        the first. Serves delivery reports and rebalances.
 * @returns the number of records in \p recs (0 on timeout). Each must be
 *          given back with vg_kafka_rec_done().
 */
int vg_kafka_consume(vg_kafka_t *k, vg_kafka_rec_t *recs, int max,
                     int timeout_ms);

/**
 * @brief Produces one output (payload copied) on behalf of \p rec (NULL: no
 *        input, e.g. vigie-ctl produce). Blocks while the local queue is
 *        full (back-pressure), serving delivery reports meanwhile.
 * @param timestamp_ms record timestamp; 0 lets librdkafka use now.
 */
vg_err_t vg_kafka_produce(vg_kafka_t *k, vg_kafka_rec_t *rec,
                          const char *topic, const void *key, size_t key_len,
                          const void *value, size_t len, int64_t timestamp_ms,
                          char *errstr, size_t errstr_size);

/**
 * @brief Says that \p rec has no more outputs: its offset is stored once
 *        they are all acknowledged. Frees the message (rec->rkm).
 */
void vg_kafka_rec_done(vg_kafka_t *k, vg_kafka_rec_t *rec);

/**
 * @brief Holds \p rec's offset back until vg_kafka_release() (e.g. until
 *        side effects that failed are retried): counts as one more
 *        output to acknowledge. Call before vg_kafka_rec_done().
 * @returns the token to release.
 */
vg_kafka_input_t *vg_kafka_hold(vg_kafka_t *k, vg_kafka_rec_t *rec);

/** @brief Releases a hold: the offset may move once all else is done. */
void vg_kafka_release(vg_kafka_t *k, vg_kafka_input_t *in);

/** @brief Serves delivery reports for up to \p timeout_ms. */
void vg_kafka_poll(vg_kafka_t *k, int timeout_ms);

/**
 * @brief With VG_KAFKA_F_READALL: 1 once every assigned partition reached
 *        its end (as of when it was reached), else 0.
 */
int vg_kafka_at_end(const vg_kafka_t *k);

/** @brief Outputs queued but not yet acknowledged. */
int vg_kafka_outq_len(const vg_kafka_t *k);

/**
 * @brief A permanent failure (an output that could not be delivered, a fatal
 *        client error): the caller must stop; offsets beyond it are never
 *        stored. @returns the reason, or NULL.
 */
const char *vg_kafka_fatal(const vg_kafka_t *k);

/** @brief Current counters. */
void vg_kafka_stats(const vg_kafka_t *k, vg_kafka_stats_t *st);

/** @brief Waits up to \p timeout_ms for outstanding outputs, then fills
 *         \p st (e.g. to report what was delivered before closing). */
void vg_kafka_flush_stats(vg_kafka_t *k, int timeout_ms,
                          vg_kafka_stats_t *st);

/** @brief The underlying handles (for metadata queries). */
rd_kafka_t *vg_kafka_consumer_handle(vg_kafka_t *k);
rd_kafka_t *vg_kafka_producer_handle(vg_kafka_t *k);

/**
 * @brief Drains: flushes outputs (up to \p flush_timeout_ms), stores and
 *        commits offsets, leaves the group, destroys the client.
 *        NULL is allowed.
 * @returns 0 if every output was delivered and offsets committed, else -1.
 */
int vg_kafka_close(vg_kafka_t *k, int flush_timeout_ms);

/** @brief Applies the conf's `kafka.*` pass-through and bootstrap.servers
 *         to a librdkafka conf, and routes its logs to vg_log (for tools
 *         that build their own handles). */
int vg_kafka_conf_apply(const vg_conf_t *conf, rd_kafka_conf_t *kconf,
                        char *errstr, size_t errstr_size);

/**
 * @brief Sets \p cb, called when partitions are about to be revoked
 *        (rebalance, close), before the outputs are flushed and the
 *        offsets committed, from the thread that polls: the place to
 *        release holds whose work is done, so that their offsets are
 *        committed rather than replayed by the next owner.
 */
void vg_kafka_on_revoke(vg_kafka_t *k, void (*cb)(void *opaque),
                        void *opaque);

#endif /* VG_KAFKA_H */
