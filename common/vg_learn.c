/**
 * @file vg_learn.c
 * @brief The learner (see vg_learn.h): a consumer of every partition,
 *        outside the group, whose positions move only over what the
 *        processor has learned.
 */
#include "vg_learn.h"
#include "vg_proc_int.h"
#include "vg_log.h"
#include "vg_mem.h"

#include <stdio.h>
#include <string.h>

struct vg_learn_s {
        vg_proc_t *p;
        const char *topic;
        vg_kafka_t *k;        /**< every partition, no group */
        int batch_size;
        vg_kafka_rec_t *krs;
        vg_proc_rec_t *recs;  /**< the records read, [done, n) waiting */
        vg_proc_slot_t *slots;
        int n, done;
        int64_t *next;        /**< per partition: the next offset to learn */
        int64_t *rewind;      /**< per partition: read again from, or -1 */
        int nrewinds;
        int nparts;
};

static int vg_learn_rewinds(vg_learn_t *l);

/* The partition count of \p topic, from the learner's own metadata. */
static int vg_learn_nparts(vg_learn_t *l, const char *topic, char *errstr,
                           size_t errstr_size)
{
        rd_kafka_t *rk = vg_kafka_consumer_handle(l->k);
        const struct rd_kafka_metadata *md;
        rd_kafka_topic_t *rkt  = rd_kafka_topic_new(rk, topic, NULL);
        rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
        int n                   = -1;

        rd_kafka_topic_destroy(rkt);
        if (err) {
                snprintf(errstr, errstr_size, "learner: metadata of %s: %s",
                         topic, rd_kafka_err2str(err));
                return -1;
        }
        if (md->topic_cnt == 1 && !md->topics[0].err)
                n = md->topics[0].partition_cnt;
        else
                snprintf(errstr, errstr_size, "learner: no topic %s", topic);
        rd_kafka_metadata_destroy(md);
        return n;
}

/* Assigns every partition at its next offset to learn. */
static int vg_learn_assign(vg_learn_t *l, const char *topic, char *errstr,
                           size_t errstr_size)
{
        rd_kafka_topic_partition_list_t *tl =
                rd_kafka_topic_partition_list_new(l->nparts);
        for (int i = 0; i < l->nparts; i++)
                rd_kafka_topic_partition_list_add(tl, topic, i)->offset =
                        l->next[i] >= 0 ? l->next[i]
                                        : RD_KAFKA_OFFSET_BEGINNING;
        rd_kafka_resp_err_t err =
                rd_kafka_assign(vg_kafka_consumer_handle(l->k), tl);
        rd_kafka_topic_partition_list_destroy(tl);
        if (err)
                snprintf(errstr, errstr_size, "learner: assign: %s",
                         rd_kafka_err2str(err));
        return err ? -1 : 0;
}

vg_learn_t *vg_learn_new(vg_proc_t *p, const char *topic, int batch_size,
                         const int64_t *next, int nnext, char *errstr,
                         size_t errstr_size)
{
        vg_learn_t *l = vg_calloc(1, sizeof(*l));
        const char *topics[1] = {topic};

        l->p          = p;
        l->topic      = topic;
        l->batch_size = batch_size;
        l->k = vg_kafka_new(vg_proc_conf(p), NULL, topics, 1,
                            VG_KAFKA_F_READALL, errstr, errstr_size);
        if (!l->k || (l->nparts = vg_learn_nparts(l, topic, errstr,
                                                  errstr_size)) < 0) {
                vg_learn_destroy(l);
                return NULL;
        }
        l->next = vg_malloc(sizeof(*l->next) * (size_t)(l->nparts + 1));
        l->rewind = vg_malloc(sizeof(*l->rewind) * (size_t)(l->nparts + 1));
        for (int i = 0; i < l->nparts; i++) {
                l->next[i]   = i < nnext ? next[i] : -1;
                l->rewind[i] = -1;
        }
        if (vg_learn_assign(l, topic, errstr, errstr_size)) {
                vg_learn_destroy(l);
                return NULL;
        }
        l->krs   = vg_calloc((size_t)batch_size, sizeof(*l->krs));
        l->recs  = vg_calloc((size_t)batch_size, sizeof(*l->recs));
        l->slots = vg_calloc((size_t)batch_size, sizeof(*l->slots));
        return l;
}

void vg_learn_destroy(vg_learn_t *l)
{
        if (!l)
                return;
        for (int i = l->done; i < l->n; i++)
                vg_kafka_rec_done(l->k, &l->recs[i].kr);
        for (int i = 0; l->slots && i < l->batch_size; i++)
                if (l->slots[i].has_val)
                        avro_value_decref(&l->slots[i].val);
        if (l->k)
                vg_kafka_close(l->k, 0);
        vg_free(l->krs);
        vg_free(l->recs);
        vg_free(l->slots);
        vg_free(l->next);
        vg_free(l->rewind);
        vg_free(l);
}

/* Reads the next records (decoded only when handed on). */
static void vg_learn_read(vg_learn_t *l, int timeout_ms)
{
        int n = vg_kafka_consume(l->k, l->krs, l->batch_size, timeout_ms);
        for (int i = 0; i < n; i++)
                l->recs[i] = (vg_proc_rec_t){.kr = l->krs[i]};
        l->n    = n;
        l->done = 0;
}

/* Decodes record \p i, once; one that cannot be decoded (or carries
 * another schema than its topic's) is handed on as dead: the scoring side
 * dead-letters it. */
static void vg_learn_decode(vg_learn_t *l, int i)
{
        char errstr[256];
        vg_proc_rec_t *rec = &l->recs[i];
        if (!rec->val && !rec->dead)
                rec->dead = vg_proc_decode_into(l->p, rec, &l->slots[i],
                                                errstr, sizeof(errstr)) != NULL;
}

/* 1 if record \p rec was learned already (in line, by the scoring side:
 * vg_learn_claim()). */
static int vg_learn_before(const vg_learn_t *l, const vg_proc_rec_t *rec)
{
        int32_t part = rec->kr.partition;
        return part >= 0 && part < l->nparts && rec->kr.offset < l->next[part];
}

int vg_learn_step(vg_learn_t *l, int timeout_ms)
{
        if (l->nrewinds && vg_learn_rewinds(l))
                return 0; /* nothing passes a record to read again */
        if (l->done == l->n)
                vg_learn_read(l, timeout_ms);
        if (l->done == l->n)
                return 0;
        /* handed on: up to the first record the scoring side has not
         * processed yet; what it learned in line meanwhile as dead */
        int upto = l->done;
        for (; upto < l->n; upto++) {
                vg_proc_rec_t *rec = &l->recs[upto];
                if (vg_learn_before(l, rec))
                        rec->dead = 1;
                else if (!vg_proc_scored_past(l->p, rec))
                        break;
                else
                        vg_learn_decode(l, upto);
        }
        if (upto == l->done)
                return 0;
        int live = 0;
        for (int i = l->done; i < upto && !live; i++)
                live = !l->recs[i].dead;
        /* nothing to learn (all learned in line): no call */
        int k = live ? vg_proc_learn(l->p, &l->recs[l->done], upto - l->done)
                     : upto - l->done;
        for (int i = l->done; i < l->done + k; i++) {
                vg_kafka_rec_t *kr = &l->recs[i].kr;
                if (kr->partition >= 0 && kr->partition < l->nparts &&
                    kr->offset >= l->next[kr->partition])
                        l->next[kr->partition] = kr->offset + 1;
                vg_kafka_rec_done(l->k, kr);
        }
        l->done += k;
        return k;
}

int vg_learn_claim(vg_learn_t *l, int32_t part, int64_t offset)
{
        if (part < 0 || part >= l->nparts)
                return 1;
        if (l->rewind[part] >= 0) /* to be read again: the learner's */
                return 0;
        if (l->next[part] < 0 && offset == 0) /* nothing learned there */
                l->next[part] = 0;
        if (offset != l->next[part])
                return 0;
        l->next[part] = offset + 1;
        return 1;
}

/* Reads \p part again from \p offset: seeks, then forgets what was read
 * of it from there on (it comes again). @returns 0, or -1 (nothing
 * changed: tried again at the next step). */
static int vg_learn_seek(vg_learn_t *l, int32_t part, int64_t offset)
{
        rd_kafka_topic_partition_list_t *tl =
                rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(tl, l->topic, part)->offset =
                offset;
        rd_kafka_error_t *err = rd_kafka_seek_partitions(
                vg_kafka_consumer_handle(l->k), tl, 1000);
        rd_kafka_topic_partition_list_destroy(tl);
        if (err) {
                vg_warn("learn", "cannot read partition %d again from %lld "
                        "(tried again): %s", (int)part, (long long)offset,
                        rd_kafka_error_string(err));
                rd_kafka_error_destroy(err);
                return -1;
        }
        int m = l->done;
        for (int i = l->done; i < l->n; i++) {
                vg_proc_rec_t *rec = &l->recs[i];
                if (rec->kr.partition == part && rec->kr.offset >= offset) {
                        vg_kafka_rec_done(l->k, &rec->kr);
                        continue;
                }
                if (m != i) { /* keep slot values paired with records */
                        vg_proc_slot_t ts = l->slots[m];
                        l->recs[m]        = *rec;
                        l->slots[m]       = l->slots[i];
                        l->slots[i]       = ts;
                        if (l->recs[m].val) /* decoded: its value moved */
                                l->recs[m].val = &l->slots[m].val;
                }
                m++;
        }
        l->n          = m;
        l->next[part] = offset;
        return 0;
}

/* Does the rewinds asked for. @returns 0 once none is left. */
static int vg_learn_rewinds(vg_learn_t *l)
{
        int left = 0;
        for (int32_t i = 0; l->nrewinds && i < l->nparts; i++) {
                if (l->rewind[i] < 0)
                        continue;
                if (vg_learn_seek(l, i, l->rewind[i])) {
                        left++;
                        continue;
                }
                l->rewind[i] = -1;
                l->nrewinds--;
        }
        return left;
}

int vg_learn_rewind(vg_learn_t *l, int32_t part, int64_t offset)
{
        if (part < 0 || part >= l->nparts || offset >= l->next[part])
                return 0;
        if (l->rewind[part] < 0)
                l->nrewinds++;
        if (l->rewind[part] < 0 || offset < l->rewind[part])
                l->rewind[part] = offset;
        return vg_learn_rewinds(l) ? -1 : 0;
}

int vg_learn_partitions(const vg_learn_t *l)
{
        return l->nparts;
}

const int64_t *vg_learn_next(const vg_learn_t *l)
{
        return l->next;
}

int vg_learn_waiting(const vg_learn_t *l)
{
        return l->n - l->done;
}
