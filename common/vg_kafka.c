/**
 * @file vg_kafka.c
 * @brief Consumer + producer pair with at-least-once offset tracking.
 */
#include "vg_kafka.h"
#include "vg_log.h"
#include "vg_mem.h"
#include "vg_time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/** One consumed input, tracked until its outputs are acknowledged. */
struct vg_kafka_input_s {
        struct vg_kafka_input_s *next;
        struct vg_kafka_part_s *part; /**< NULL once revoked (orphan) */
        int64_t offset;
        int pending; /**< outputs not acknowledged yet */
        int done;    /**< vg_kafka_rec_done() was called */
};

/** Offset-ordered queue of one assigned partition's inputs. */
typedef struct vg_kafka_part_s {
        rd_kafka_topic_t *rkt;
        int32_t partition;
        vg_kafka_input_t *head, *tail;
        int eof;
        int64_t stored; /**< next offset to consume, as last stored */
        int64_t resume; /**< where to resume if re-assigned right after a
                         *   revoke whose commit failed, else -1 */
} vg_kafka_part_t;

struct vg_kafka_s {
        rd_kafka_t *consumer, *producer;
        int flags;
        int flush_ms;
        int64_t batch_max_us;
        vg_kafka_part_t **parts; /**< every partition ever seen */
        int nparts;
        int assigned, eofs; /**< for VG_KAFKA_F_READALL */
        char fatal[512];
        vg_kafka_stats_t st;
        void (*on_revoke)(void *opaque); /**< see vg_kafka_on_revoke() */
        void *on_revoke_opaque;
};

static void vg_kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac,
                            const char *buf)
{
        /* librdkafka's syslog levels map onto ours (same numbering). */
        if (!strcmp(fac, "CONFWARN")) /* kafka.* goes to both clients */
                level = VG_LOG_DEBUG;
        if (level <= vg_log_threshold)
                vg_log0(level, "rdkafka", "%s: %s: %s", rd_kafka_name(rk),
                        fac, buf);
}

static void vg_kafka_error_cb(rd_kafka_t *rk, int err, const char *reason,
                              void *opaque)
{
        vg_kafka_t *k = opaque;
        if (err == RD_KAFKA_RESP_ERR__FATAL) {
                char fstr[256];
                rd_kafka_fatal_error(rk, fstr, sizeof(fstr));
                snprintf(k->fatal, sizeof(k->fatal), "fatal Kafka error: %s",
                         fstr);
                vg_err("kafka", "%s", k->fatal);
                return;
        }
        /* Most errors are informational and non-permanent. */
        vg_warn("kafka", "%s: %s", rd_kafka_err2name(err), reason);
}

/* ---------------------------------------------------------------------- */
/* Offset tracking                                                        */

static vg_kafka_part_t *vg_kafka_part_find(vg_kafka_t *k, const char *topic,
                                           int32_t partition)
{
        for (int i = 0; i < k->nparts; i++) {
                vg_kafka_part_t *p = k->parts[i];
                if (p->partition == partition &&
                    !strcmp(rd_kafka_topic_name(p->rkt), topic))
                        return p;
        }
        return NULL;
}

static vg_kafka_part_t *vg_kafka_part_get(vg_kafka_t *k,
                                          rd_kafka_topic_t *rkt,
                                          int32_t partition)
{
        const char *name   = rd_kafka_topic_name(rkt);
        vg_kafka_part_t *p = vg_kafka_part_find(k, name, partition);
        if (p)
                return p;
        p = vg_calloc(1, sizeof(*p));
        /* Our own reference: rkm->rkt lives only as long as its message. */
        p->rkt       = rd_kafka_topic_new(k->consumer, name, NULL);
        p->partition       = partition;
        p->stored          = -1;
        p->resume          = -1;
        k->parts = vg_realloc(k->parts, sizeof(*k->parts) * (k->nparts + 1));
        k->parts[k->nparts++] = p;
        return p;
}

/* Pops the completed inputs at the head of \p p and stores the offset
 * after the last of them. */
static void vg_kafka_part_advance(vg_kafka_t *k, vg_kafka_part_t *p)
{
        int64_t last = -1;
        while (p->head && p->head->done && p->head->pending == 0) {
                vg_kafka_input_t *in = p->head;
                last                 = in->offset;
                p->head              = in->next;
                vg_free(in);
        }
        if (!p->head)
                p->tail = NULL;
        if (last < 0 || !k->consumer)
                return;
        rd_kafka_resp_err_t err =
                rd_kafka_offset_store(p->rkt, p->partition, last);
        if (err)
                vg_warn("kafka", "offset store %s [%d] @%lld: %s",
                        rd_kafka_topic_name(p->rkt), p->partition,
                        (long long)last, rd_kafka_err2str(err));
        else {
                k->st.offsets_stored++;
                p->stored = last + 1;
        }
}

/* Forgets the queue of a revoked partition. Inputs with outputs in flight,
 * or whose records are still being processed (a revocation served while a
 * batch was being consumed), become orphans, freed by their last delivery
 * report or by vg_kafka_rec_done(), whichever comes last. */
static void vg_kafka_part_detach(vg_kafka_part_t *p, int force)
{
        vg_kafka_input_t *in = p->head, *next;
        for (; in; in = next) {
                next = in->next;
                if ((in->done && in->pending == 0) || force)
                        vg_free(in);
                else
                        in->part = NULL;
        }
        p->head = p->tail = NULL;
        p->eof            = 0;
}

/* One acknowledgement of \p in (a delivery or a release). */
static void vg_kafka_input_ack(vg_kafka_t *k, vg_kafka_input_t *in)
{
        if (--in->pending > 0)
                return;
        if (!in->part) { /* orphan of a revoked partition */
                if (in->done)
                        vg_free(in);
                return;
        }
        if (in->done && in->part->head == in)
                vg_kafka_part_advance(k, in->part);
}

vg_kafka_input_t *vg_kafka_hold(vg_kafka_t *k, vg_kafka_rec_t *rec)
{
        (void)k;
        if (rec->in)
                rec->in->pending++;
        return rec->in;
}

void vg_kafka_release(vg_kafka_t *k, vg_kafka_input_t *in)
{
        if (in)
                vg_kafka_input_ack(k, in);
}

static void vg_kafka_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm,
                           void *opaque)
{
        vg_kafka_t *k        = opaque;
        vg_kafka_input_t *in = rkm->_private;
        int64_t lat          = rd_kafka_message_latency(rkm);

        if (lat > k->st.dr_latency_us_max)
                k->st.dr_latency_us_max = lat;
        if (rkm->err) {
                k->st.delivery_failed++;
                if (!k->fatal[0])
                        snprintf(k->fatal, sizeof(k->fatal),
                                 "output to %s could not be delivered: %s",
                                 rd_kafka_topic_name(rkm->rkt),
                                 rd_kafka_err2str(rkm->err));
                vg_err("kafka", "delivery to %s [%d] failed: %s",
                       rd_kafka_topic_name(rkm->rkt), rkm->partition,
                       rd_kafka_err2str(rkm->err));
                return; /* the input stays pending: its offset never moves */
        }
        k->st.delivered++;
        k->st.last_partition = rkm->partition;
        k->st.last_offset    = rkm->offset;
        if (in)
                vg_kafka_input_ack(k, in);
}

/* ---------------------------------------------------------------------- */
/* Rebalance                                                              */

static void vg_kafka_revoke(vg_kafka_t *k,
                            rd_kafka_topic_partition_list_t *parts)
{
        if (k->on_revoke) /* holds released now are committed below */
                k->on_revoke(k->on_revoke_opaque);
        if (k->producer && rd_kafka_flush(k->producer, k->flush_ms))
                vg_warn("kafka", "revoke: %d output(s) still in flight",
                        rd_kafka_outq_len(k->producer));
        rd_kafka_resp_err_t err = rd_kafka_commit(k->consumer, NULL, 0);
        int failed = err && err != RD_KAFKA_RESP_ERR__NO_OFFSET;
        if (failed)
                vg_warn("kafka", "commit on revoke: %s: will resume from "
                        "the stored offsets if re-assigned at once",
                        rd_kafka_err2str(err));
        for (int i = 0; i < parts->cnt; i++) {
                vg_kafka_part_t *p = vg_kafka_part_find(
                        k, parts->elems[i].topic, parts->elems[i].partition);
                if (!p)
                        continue;
                p->resume = failed ? p->stored : -1;
                vg_kafka_part_detach(p, 0);
        }
}

/* A partition revoked while its commit failed (e.g. a broker that refuses
 * commits during a rebalance) and re-assigned to us at once resumes from
 * our own stored offset, not the older committed one: no duplicates.
 * A resume point is good for the next assignment only. */
/* Resumes the partitions in \p parts that were revoked while their
 * commit failed at our own stored offset. @returns those partitions (to
 * store again once assigned: their commit is still owed), or NULL. */
static rd_kafka_topic_partition_list_t *
vg_kafka_apply_resume(vg_kafka_t *k, rd_kafka_topic_partition_list_t *parts)
{
        rd_kafka_topic_partition_list_t *owed = NULL;
        for (int i = 0; i < parts->cnt; i++) {
                vg_kafka_part_t *p = vg_kafka_part_find(
                        k, parts->elems[i].topic, parts->elems[i].partition);
                if (p && p->resume >= 0) {
                        parts->elems[i].offset = p->resume;
                        vg_info("kafka", "%s [%d]: resuming at stored "
                                "offset %lld", parts->elems[i].topic,
                                parts->elems[i].partition,
                                (long long)p->resume);
                        if (!owed)
                                owed = rd_kafka_topic_partition_list_new(
                                        parts->cnt);
                        rd_kafka_topic_partition_list_add(
                                owed, parts->elems[i].topic,
                                parts->elems[i].partition)
                                ->offset = p->resume;
                }
        }
        for (int j = 0; j < k->nparts; j++)
                k->parts[j]->resume = -1;
        return owed;
}

static void vg_kafka_rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                                  rd_kafka_topic_partition_list_t *parts,
                                  void *opaque)
{
        vg_kafka_t *k   = opaque;
        int cooperative = !strcmp(rd_kafka_rebalance_protocol(rk),
                                  "COOPERATIVE");
        k->st.rebalances++;
        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
                vg_info("kafka", "assigned %d partition(s)", parts->cnt);
                rd_kafka_topic_partition_list_t *owed =
                        vg_kafka_apply_resume(k, parts);
                if (cooperative)
                        rd_kafka_error_destroy(
                                rd_kafka_incremental_assign(rk, parts));
                else
                        rd_kafka_assign(rk, parts);
                if (owed) { /* the commit that failed: retried by the next
                             * auto-commit, or the final one */
                        rd_kafka_offsets_store(rk, owed);
                        rd_kafka_topic_partition_list_destroy(owed);
                }
                return;
        }
        vg_info("kafka", "revoked %d partition(s)", parts->cnt);
        vg_kafka_revoke(k, parts);
        if (cooperative)
                rd_kafka_error_destroy(rd_kafka_incremental_unassign(rk, parts));
        else
                rd_kafka_assign(rk, NULL);
}

/* ---------------------------------------------------------------------- */
/* Construction                                                           */

typedef struct {
        rd_kafka_conf_t *kconf;
        char *errstr;
        size_t errstr_size;
        int failed;
} vg_kafka_apply_t;

static void vg_kafka_apply_one(const char *name, const char *value,
                               void *opaque)
{
        vg_kafka_apply_t *a = opaque;
        if (a->failed)
                return;
        if (rd_kafka_conf_set(a->kconf, name, value, a->errstr,
                              a->errstr_size) != RD_KAFKA_CONF_OK)
                a->failed = 1;
}

int vg_kafka_conf_apply(const vg_conf_t *conf, rd_kafka_conf_t *kconf,
                        char *errstr, size_t errstr_size)
{
        vg_kafka_apply_t a = {kconf, errstr, errstr_size, 0};
        rd_kafka_conf_set_log_cb(kconf, vg_kafka_log_cb);
        vg_kafka_apply_one("bootstrap.servers",
                           vg_conf_get_str(conf, "bootstrap.servers"), &a);
        vg_conf_kafka_foreach(conf, vg_kafka_apply_one, &a);
        return a.failed ? -1 : 0;
}

#define VG_KSET(kc, n, v)                                                      \
        do {                                                                   \
                if (rd_kafka_conf_set(kc, n, v, errstr, errstr_size)) {        \
                        rd_kafka_conf_destroy(kc);                             \
                        return NULL;                                           \
                }                                                              \
        } while (0)

/* A librdkafka conf reporting its errors to \p k (vg_kafka_conf_apply()
 * routes its logs). */
static rd_kafka_conf_t *vg_kafka_kconf_new(vg_kafka_t *k)
{
        rd_kafka_conf_t *kc = rd_kafka_conf_new();
        rd_kafka_conf_set_error_cb(kc, vg_kafka_error_cb);
        rd_kafka_conf_set_opaque(kc, k);
        return kc;
}

static rd_kafka_t *vg_kafka_producer_new(vg_kafka_t *k, const vg_conf_t *conf,
                                         char *errstr, size_t errstr_size)
{
        rd_kafka_conf_t *kc = vg_kafka_kconf_new(k);
        rd_kafka_conf_set_dr_msg_cb(kc, vg_kafka_dr_cb);
        VG_KSET(kc, "enable.idempotence", "true");
        VG_KSET(kc, "linger.ms", "2"); /* latency first; kafka.* overrides */
        if (vg_kafka_conf_apply(conf, kc, errstr, errstr_size) == -1) {
                rd_kafka_conf_destroy(kc);
                return NULL;
        }
        return rd_kafka_new(RD_KAFKA_PRODUCER, kc, errstr, errstr_size);
}

/*
 * Group membership defaults.
 *
 * A member that dies without leaving (kill -9, a lost node) is noticed by
 * the group coordinator after session.timeout.ms; the survivors learn of
 * the rebalance at their next heartbeat (heartbeat.interval.ms) and take
 * its partitions over. librdkafka's defaults (45 s, 3 s) stalled those
 * partitions for 45 s + the rebalance. 6 s is the least Apache Kafka
 * accepts by default (broker group.min.session.timeout.ms): a failover
 * there takes 6 s + at most a heartbeat (1.5 s) + the rebalance.
 *
 * vigie-broker (the mock cluster of librdkafka 2.0.2) also waits
 * session.timeout.ms - 1 s for the members to rejoin before it reassigns,
 * and checks sessions once a second: 6 s there takes ~12 s, so it gets 3 s
 * (~6 s). It is recognised by its cluster id, "mockCluster<hex>". It
 * ignores group.instance.id (it reads it from JoinGroup v5 and drops it:
 * every join is a new dynamic member).
 *
 * A kafka.session.timeout.ms or kafka.heartbeat.interval.ms of the user
 * wins; the heartbeat then defaults to a quarter of the session timeout,
 * at most 3 s.
 */
#define VG_KAFKA_SESSION_MS          6000
#define VG_KAFKA_SESSION_EMBEDDED_MS 3000
#define VG_KAFKA_HEARTBEAT_MAX_MS    3000
#define VG_KAFKA_PROBE_MS            2000 /**< cluster id query at start */

/* The kafka.* properties of the user that the defaults defer to. */
typedef struct vg_kafka_user_s {
        const char *session;   /**< kafka.session.timeout.ms, or NULL */
        const char *heartbeat; /**< kafka.heartbeat.interval.ms */
} vg_kafka_user_t;

static void vg_kafka_user_one(const char *name, const char *value,
                              void *opaque)
{
        vg_kafka_user_t *u = opaque;
        if (!strcmp(name, "session.timeout.ms"))
                u->session = value;
        else if (!strcmp(name, "heartbeat.interval.ms"))
                u->heartbeat = value;
}

/* 1 if the cluster behind \p rk is vigie-broker. Asks for metadata: up
 * to VG_KAFKA_PROBE_MS when Kafka is not reachable yet (then 0). */
static int vg_kafka_is_embedded(rd_kafka_t *rk)
{
        const struct rd_kafka_metadata *md;
        char *id;
        int embedded;

        if (rd_kafka_metadata(rk, 0, NULL, &md, VG_KAFKA_PROBE_MS))
                return 0;
        rd_kafka_metadata_destroy(md);
        id       = rd_kafka_clusterid(rk, 0);
        embedded = id && !strncmp(id, "mockCluster", 11);
        if (id)
                rd_kafka_mem_free(rk, id);
        return embedded;
}

/* Sets the group membership defaults and instance.id on \p kc (before
 * the kafka.* of the user, which override them). @returns 0 or -1. */
static int vg_kafka_group_conf(vg_kafka_t *k, const vg_conf_t *conf,
                               rd_kafka_conf_t *kc, char *errstr,
                               size_t errstr_size)
{
        vg_kafka_user_t u = {NULL, NULL};
        const char *iid   = vg_conf_get_str(conf, "instance.id");
        int embedded      = 0;
        long session_ms   = VG_KAFKA_SESSION_MS, hb_ms;
        char sv[32], hv[32];

        vg_conf_kafka_foreach(conf, vg_kafka_user_one, &u);
        if (k->producer && (!u.session || *iid))
                embedded = vg_kafka_is_embedded(k->producer);
        if (u.session)
                session_ms = strtol(u.session, NULL, 10);
        else if (embedded)
                session_ms = VG_KAFKA_SESSION_EMBEDDED_MS;
        hb_ms = session_ms / 4 < VG_KAFKA_HEARTBEAT_MAX_MS
                        ? session_ms / 4
                        : VG_KAFKA_HEARTBEAT_MAX_MS;
        snprintf(sv, sizeof(sv), "%ld", session_ms);
        snprintf(hv, sizeof(hv), "%ld", hb_ms);
        if (!u.session && rd_kafka_conf_set(kc, "session.timeout.ms", sv,
                                            errstr, errstr_size))
                return -1;
        if (!u.heartbeat && hb_ms > 0 &&
            rd_kafka_conf_set(kc, "heartbeat.interval.ms", hv, errstr,
                              errstr_size))
                return -1;
        if (*iid && rd_kafka_conf_set(kc, "group.instance.id", iid, errstr,
                                      errstr_size))
                return -1;
        vg_info("kafka", "group membership: %s%s, session.timeout.ms=%s, "
                "heartbeat.interval.ms=%s%s",
                *iid ? "static, group.instance.id=" : "dynamic", iid,
                u.session ? u.session : sv,
                u.heartbeat ? u.heartbeat : hv,
                embedded ? " (vigie-broker)" : "");
        if (embedded && *iid)
                vg_warn("kafka", "vigie-broker ignores group.instance.id: "
                        "membership stays dynamic, and a stopped instance "
                        "(a static member does not leave) holds its "
                        "partitions until session.timeout.ms");
        return 0;
}

static rd_kafka_t *vg_kafka_consumer_new(vg_kafka_t *k, const vg_conf_t *conf,
                                         const char *group_id,
                                         char *errstr, size_t errstr_size)
{
        char gid[128];
        rd_kafka_conf_t *kc = vg_kafka_kconf_new(k);
        if (!group_id) {
                snprintf(gid, sizeof(gid), "vigie-reader-%d", (int)getpid());
                group_id = gid;
        }
        VG_KSET(kc, "group.id", group_id);
        /* Apache Kafka answers a fetch as soon as data is there; the
         * embedded broker waits the whole fetch.wait.max.ms (500 ms by
         * default): keep it short for latency (on a real cluster this
         * only makes idle fetches more frequent). kafka.* overrides it. */
        VG_KSET(kc, "fetch.wait.max.ms", "5");
        VG_KSET(kc, "enable.auto.offset.store", "false");
        /* reading everything (vigie-ctl consume, a learner) starts where
         * the log starts, whatever the groups do */
        VG_KSET(kc, "auto.offset.reset",
                k->flags & VG_KAFKA_F_READALL
                        ? "earliest"
                        : vg_conf_get_str(conf, "auto.offset.reset"));
        if (k->flags & VG_KAFKA_F_READALL) {
                VG_KSET(kc, "enable.auto.commit", "false");
                VG_KSET(kc, "enable.partition.eof", "true");
        } else {
                VG_KSET(kc, "enable.auto.commit", "true");
                /* commit stored offsets often: a group member that leaves
                 * while the broker refuses commits (a rebalance) leaves
                 * less to replay */
                VG_KSET(kc, "auto.commit.interval.ms", "200");
                rd_kafka_conf_set_rebalance_cb(kc, vg_kafka_rebalance_cb);
                if (vg_kafka_group_conf(k, conf, kc, errstr, errstr_size)) {
                        rd_kafka_conf_destroy(kc);
                        return NULL;
                }
        }
        if (vg_kafka_conf_apply(conf, kc, errstr, errstr_size) == -1) {
                rd_kafka_conf_destroy(kc);
                return NULL;
        }
        return rd_kafka_new(RD_KAFKA_CONSUMER, kc, errstr, errstr_size);
}

/* Assigns every partition of \p topics from the beginning (no group). */
static int vg_kafka_assign_all(vg_kafka_t *k, const char *const *topics,
                               int ntopics, char *errstr, size_t errstr_size)
{
        rd_kafka_topic_partition_list_t *tl =
                rd_kafka_topic_partition_list_new(64);
        for (int t = 0; t < ntopics; t++) {
                const struct rd_kafka_metadata *md;
                rd_kafka_topic_t *rkt =
                        rd_kafka_topic_new(k->consumer, topics[t], NULL);
                rd_kafka_resp_err_t err =
                        rd_kafka_metadata(k->consumer, 0, rkt, &md, 10000);
                rd_kafka_topic_destroy(rkt);
                if (err || md->topic_cnt != 1 || md->topics[0].err) {
                        snprintf(errstr, errstr_size,
                                 "cannot read metadata of topic %s: %s",
                                 topics[t],
                                 rd_kafka_err2str(err ? err
                                                      : md->topics[0].err));
                        if (!err)
                                rd_kafka_metadata_destroy(md);
                        rd_kafka_topic_partition_list_destroy(tl);
                        return -1;
                }
                for (int i = 0; i < md->topics[0].partition_cnt; i++)
                        rd_kafka_topic_partition_list_add(
                                tl, topics[t], md->topics[0].partitions[i].id)
                                ->offset = RD_KAFKA_OFFSET_BEGINNING;
                rd_kafka_metadata_destroy(md);
        }
        k->assigned = tl->cnt;
        rd_kafka_resp_err_t err = rd_kafka_assign(k->consumer, tl);
        rd_kafka_topic_partition_list_destroy(tl);
        if (err) {
                snprintf(errstr, errstr_size, "assign: %s",
                         rd_kafka_err2str(err));
                return -1;
        }
        return 0;
}

static int vg_kafka_subscribe(vg_kafka_t *k, const char *const *topics,
                              int ntopics, char *errstr, size_t errstr_size)
{
        rd_kafka_topic_partition_list_t *tl =
                rd_kafka_topic_partition_list_new(ntopics);
        for (int i = 0; i < ntopics; i++)
                rd_kafka_topic_partition_list_add(tl, topics[i],
                                                  RD_KAFKA_PARTITION_UA);
        rd_kafka_resp_err_t err = rd_kafka_subscribe(k->consumer, tl);
        rd_kafka_topic_partition_list_destroy(tl);
        if (err) {
                snprintf(errstr, errstr_size, "subscribe: %s",
                         rd_kafka_err2str(err));
                return -1;
        }
        return 0;
}

vg_kafka_t *vg_kafka_new(const vg_conf_t *conf, const char *group_id,
                         const char *const *topics, int ntopics, int flags,
                         char *errstr, size_t errstr_size)
{
        vg_kafka_t *k = vg_calloc(1, sizeof(*k));
        k->flags      = flags;
        k->flush_ms   = (int)vg_conf_get_int(conf, "flush.timeout.ms");
        k->batch_max_us = vg_conf_get_int(conf, "batch.max.ms") * 1000;
        k->st.last_partition = -1;
        k->st.last_offset    = -1;

        if (flags & VG_KAFKA_F_PRODUCER) {
                k->producer = vg_kafka_producer_new(k, conf, errstr,
                                                    errstr_size);
                if (!k->producer)
                        goto fail;
        }
        if (flags & (VG_KAFKA_F_CONSUMER | VG_KAFKA_F_READALL)) {
                k->consumer = vg_kafka_consumer_new(
                        k, conf, flags & VG_KAFKA_F_READALL ? NULL : group_id,
                        errstr, errstr_size);
                if (!k->consumer)
                        goto fail;
                rd_kafka_poll_set_consumer(k->consumer);
                if ((flags & VG_KAFKA_F_READALL)
                            ? vg_kafka_assign_all(k, topics, ntopics, errstr,
                                                  errstr_size)
                            : vg_kafka_subscribe(k, topics, ntopics, errstr,
                                                 errstr_size))
                        goto fail;
        }
        return k;
fail:
        if (k->consumer)
                rd_kafka_destroy(k->consumer);
        if (k->producer)
                rd_kafka_destroy(k->producer);
        vg_free(k);
        return NULL;
}

/* ---------------------------------------------------------------------- */
/* The loop                                                               */

static int vg_kafka_handle_msg(vg_kafka_t *k, rd_kafka_message_t *rkm,
                               vg_kafka_rec_t *rec)
{
        if (rkm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                vg_kafka_part_t *p =
                        vg_kafka_part_get(k, rkm->rkt, rkm->partition);
                if (!p->eof) {
                        p->eof = 1;
                        k->eofs++;
                }
                rd_kafka_message_destroy(rkm);
                return 0;
        }
        if (rkm->err) {
                vg_warn("kafka", "consume: %s", rd_kafka_message_errstr(rkm));
                if (rkm->err == RD_KAFKA_RESP_ERR__FATAL && !k->fatal[0])
                        snprintf(k->fatal, sizeof(k->fatal), "consumer: %s",
                                 rd_kafka_message_errstr(rkm));
                rd_kafka_message_destroy(rkm);
                return 0;
        }
        vg_kafka_part_t *p   = vg_kafka_part_get(k, rkm->rkt, rkm->partition);
        vg_kafka_input_t *in = vg_calloc(1, sizeof(*in));
        if (p->eof) {
                p->eof = 0;
                k->eofs--;
        }
        in->part   = p;
        in->offset = rkm->offset;
        if (p->tail)
                p->tail->next = in;
        else
                p->head = in;
        p->tail = in;

        rec->topic     = rd_kafka_topic_name(rkm->rkt);
        rec->partition = rkm->partition;
        rec->offset    = rkm->offset;
        rec->timestamp = rd_kafka_message_timestamp(rkm, NULL);
        rec->key       = rkm->key;
        rec->key_len   = rkm->key_len;
        rec->value     = rkm->payload;
        rec->len       = rkm->len;
        rec->rkm       = rkm;
        rec->in        = in;
        k->st.consumed++;
        return 1;
}

int vg_kafka_consume(vg_kafka_t *k, vg_kafka_rec_t *recs, int max,
                     int timeout_ms)
{
        int64_t first = 0;
        int n         = 0;
        if (k->producer)
                rd_kafka_poll(k->producer, 0);
        while (n < max) {
                rd_kafka_message_t *rkm = rd_kafka_consumer_poll(
                        k->consumer, n == 0 ? timeout_ms : 0);
                if (!rkm)
                        break;
                n += vg_kafka_handle_msg(k, rkm, &recs[n]);
                if (n == 0 && vg_kafka_at_end(k))
                        break;
                /* records trickling in must not hold the batch open */
                if (n == 1)
                        first = vg_time_mono_us();
                else if (n > 1 && (n & 15) == 0 &&
                         vg_time_mono_us() - first > k->batch_max_us)
                        break;
        }
        return n;
}

vg_err_t vg_kafka_produce(vg_kafka_t *k, vg_kafka_rec_t *rec,
                          const char *topic, const void *key, size_t key_len,
                          const void *value, size_t len, int64_t timestamp_ms,
                          char *errstr, size_t errstr_size)
{
        vg_kafka_input_t *in = rec ? rec->in : NULL;
        rd_kafka_resp_err_t err;

        for (;;) {
                err = rd_kafka_producev(
                        k->producer, RD_KAFKA_V_TOPIC(topic),
                        RD_KAFKA_V_KEY((void *)key, key_len),
                        RD_KAFKA_V_VALUE((void *)value, len),
                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                        RD_KAFKA_V_TIMESTAMP(timestamp_ms),
                        RD_KAFKA_V_OPAQUE(in), RD_KAFKA_V_END);
                if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                        break;
                rd_kafka_poll(k->producer, 10); /* back-pressure */
        }
        if (err) {
                snprintf(errstr, errstr_size, "produce to %s: %s", topic,
                         rd_kafka_err2str(err));
                return VG_ERR_IO;
        }
        if (in)
                in->pending++;
        k->st.produced++;
        return VG_OK;
}

void vg_kafka_rec_done(vg_kafka_t *k, vg_kafka_rec_t *rec)
{
        vg_kafka_input_t *in = rec->in;
        if (rec->rkm)
                rd_kafka_message_destroy(rec->rkm);
        rec->rkm = NULL;
        rec->in  = NULL;
        if (!in)
                return;
        in->done = 1;
        if (!in->part) { /* orphan: its partition was revoked meanwhile */
                if (in->pending == 0)
                        vg_free(in);
                return;
        }
        if (in->pending == 0 && in->part->head == in)
                vg_kafka_part_advance(k, in->part);
}

void vg_kafka_poll(vg_kafka_t *k, int timeout_ms)
{
        if (k->producer)
                rd_kafka_poll(k->producer, timeout_ms);
}

int vg_kafka_at_end(const vg_kafka_t *k)
{
        return k->assigned > 0 && k->eofs >= k->assigned;
}

int vg_kafka_outq_len(const vg_kafka_t *k)
{
        return k->producer ? rd_kafka_outq_len(k->producer) : 0;
}

const char *vg_kafka_fatal(const vg_kafka_t *k)
{
        return k->fatal[0] ? k->fatal : NULL;
}

void vg_kafka_stats(const vg_kafka_t *k, vg_kafka_stats_t *st)
{
        *st = k->st;
}

void vg_kafka_flush_stats(vg_kafka_t *k, int timeout_ms,
                          vg_kafka_stats_t *st)
{
        if (k->producer)
                rd_kafka_flush(k->producer, timeout_ms);
        *st = k->st;
}

rd_kafka_t *vg_kafka_consumer_handle(vg_kafka_t *k)
{
        return k->consumer;
}

rd_kafka_t *vg_kafka_producer_handle(vg_kafka_t *k)
{
        return k->producer;
}

int vg_kafka_close(vg_kafka_t *k, int flush_timeout_ms)
{
        int ret = 0;
        if (!k)
                return 0;
        if (k->producer) {
                if (rd_kafka_flush(k->producer, flush_timeout_ms)) {
                        vg_err("kafka", "close: %d output(s) not delivered "
                               "in %d ms; their inputs will be consumed "
                               "again", rd_kafka_outq_len(k->producer),
                               flush_timeout_ms);
                        ret = -1;
                }
                if (k->st.delivery_failed)
                        ret = -1;
        }
        if (k->consumer) {
                if (!(k->flags & VG_KAFKA_F_READALL)) {
                        rd_kafka_resp_err_t err =
                                rd_kafka_commit(k->consumer, NULL, 0);
                        if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
                                vg_err("kafka", "final commit: %s",
                                       rd_kafka_err2str(err));
                                ret = -1;
                        }
                }
                rd_kafka_consumer_close(k->consumer);
        }
        if (k->producer)
                rd_kafka_destroy(k->producer); /* last delivery reports */
        for (int i = 0; i < k->nparts; i++) {
                vg_kafka_part_detach(k->parts[i], 1);
                rd_kafka_topic_destroy(k->parts[i]->rkt);
                vg_free(k->parts[i]);
        }
        if (k->consumer)
                rd_kafka_destroy(k->consumer);
        vg_free(k->parts);
        vg_free(k);
        return ret;
}

void vg_kafka_on_revoke(vg_kafka_t *k, void (*cb)(void *opaque),
                        void *opaque)
{
        k->on_revoke        = cb;
        k->on_revoke_opaque = opaque;
}
