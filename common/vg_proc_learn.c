/**
 * @file vg_proc_learn.c
 * @brief The runtime's learning side: the learner that every instance
 *        runs over every partition (vg_learn.h), when a record may be
 *        learned (vg_proc_scored_past), checkpoints that carry the
 *        learned offsets, and event-time sanity.
 */
#include "vg_ckpt.h"
#include "vg_dlq.h"
#include "vg_log.h"
#include "vg_mem.h"
#include "vg_proc_int.h"
#include "vg_time.h"

#include <string.h>
#include <unistd.h>

/* ---------------------------------------------------------------------- */
/* Checkpoints                                                            */

int vg_proc_checkpoint(vg_proc_t *p)
{
        size_t mlen, len;
        if (!p->def->save || !p->st)
                return 0;
        if (p->failed) {
                vg_warn("proc", "model not checkpointed: a batch failed "
                        "after the model learned from it, and will be "
                        "consumed again");
                return -1;
        }
        const int64_t *next = p->learn ? vg_learn_next(p->learn) : NULL;
        int nparts          = p->learn ? vg_learn_partitions(p->learn) : 0;
        int64_t t0          = vg_time_now_ms();
        void *model         = p->def->save(p->st, &mlen);
        void *buf = vg_ckpt_encode(next, nparts, model, mlen, &len);
        int64_t t1 = vg_time_now_ms();
        int rc     = vg_store_save_checkpoint(p->store, p->model_id,
                                              vg_ckpt_progress(next, nparts),
                                              buf, len);
        vg_free(model);
        vg_free(buf);
        if (rc == 0)
                vg_info("proc", "checkpoint: %zu bytes, %d partition "
                        "offset(s), serialised in %lld ms, stored in %lld "
                        "ms", len, nparts, (long long)(t1 - t0),
                        (long long)(vg_time_now_ms() - t1));
        return rc < 0 ? -1 : 0;
}

int vg_proc_restore(vg_proc_t *p)
{
        void *buf;
        const void *model;
        size_t len, mlen;
        char errstr[256];
        int err = VG_ERR_UNAVAIL;
        if (!p->def->restore)
                return 0;
        /* a checkpoint that cannot be read is not "none": starting from
         * scratch would relearn from the log's start and could replace it */
        for (int i = 0; i < 30 && !vg_proc_stopping(p); i++) {
                err = vg_store_load_checkpoint(p->store, p->model_id, &buf,
                                               &len);
                if (err == VG_OK || err == VG_ERR_NOENT)
                        break;
                sleep(1);
        }
        if (err == VG_ERR_NOENT) {
                vg_info("proc", "no model checkpoint: starting to learn "
                        "from scratch");
                return 0;
        }
        if (err) {
                vg_err("proc", "the model checkpoint could not be read "
                       "(%s): not starting without it", vg_err_name(err));
                return -1;
        }
        if (vg_ckpt_decode(buf, len, &p->ckpt_next, &p->ckpt_nparts, &model,
                           &mlen, errstr, sizeof(errstr)) ||
            p->def->restore(p->st, model, mlen, errstr, sizeof(errstr))) {
                vg_err("proc", "model checkpoint refused, starting from "
                       "scratch: %s", errstr);
                vg_free(p->ckpt_next);
                p->ckpt_next   = NULL;
                p->ckpt_nparts = 0;
        } else {
                vg_info("proc", "model restored from checkpoint (%zu "
                        "bytes, learned up to %lld offset(s) over %d "
                        "partition(s)): %s", len,
                        (long long)vg_ckpt_progress(p->ckpt_next,
                                                    p->ckpt_nparts),
                        p->ckpt_nparts,
                        p->def->model_version ? p->def->model_version(p->st)
                                              : "");
        }
        vg_free(buf);
        return 0;
}

/* ---------------------------------------------------------------------- */
/* The learner                                                            */

int vg_proc_learn(vg_proc_t *p, vg_proc_rec_t *recs, int n)
{
        int k = p->def->learn(p->st, p, recs, n);
        k     = k < 0 ? 0 : k > n ? n : k;
        p->n_learned_recs += (uint64_t)k;
        return k;
}

int vg_proc_learn_start(vg_proc_t *p, char *errstr, size_t errstr_size)
{
        if (!p->def->learn)
                return 0;
        p->learn = vg_learn_new(p, p->in_topic, p->batch_size, p->ckpt_next,
                                p->ckpt_nparts, errstr, errstr_size);
        if (!p->learn)
                return -1;
        p->nparts      = vg_learn_partitions(p->learn);
        p->scored_next = vg_malloc(sizeof(int64_t) * (size_t)p->nparts);
        p->committed   = vg_malloc(sizeof(int64_t) * (size_t)p->nparts);
        p->deferred    = vg_malloc(sizeof(int64_t) * (size_t)p->nparts);
        for (int i = 0; i < p->nparts; i++)
                p->scored_next[i] = p->committed[i] = p->deferred[i] = -1;
        return 0;
}

void vg_proc_learn_after(vg_proc_t *p, int n, uint64_t revokes)
{
        if (!p->learn)
                return;
        for (int i = 0; i < n && p->revokes == revokes; i++) {
                const vg_kafka_rec_t *kr = &p->recs[i].kr;
                if (!p->recs[i].side && kr->partition >= 0 && kr->partition < p->nparts &&
                    kr->offset + 1 > p->scored_next[kr->partition])
                        p->scored_next[kr->partition] = kr->offset + 1;
        }
        /* catch up with the scoring side (it stops at what is not scored
         * yet), within a bound that keeps the next batch's latency */
        int64_t until = vg_time_mono_us() + 20 * 1000;
        while (vg_learn_step(p->learn, 0) > 0 && vg_time_mono_us() < until)
                ;
}

void vg_proc_learn_stop(vg_proc_t *p)
{
        int64_t until = vg_time_mono_us() + 10 * 1000000LL;
        if (!p->learn)
                return;
        /* what the scoring side has processed can all be learned now (the
         * group's committed offsets are read again at every step) */
        while (vg_time_mono_us() < until) {
                if (vg_learn_step(p->learn, 200) > 0)
                        continue;
                if (vg_learn_waiting(p->learn) == 0 &&
                    vg_learn_step(p->learn, 500) == 0)
                        break; /* nothing more to read */
                if (vg_learn_waiting(p->learn) > 0 &&
                    vg_learn_step(p->learn, 0) == 0)
                        break; /* ahead of the scoring group */
        }
        if (vg_learn_waiting(p->learn))
                vg_info("proc", "learner: %d record(s) not learned yet "
                        "(ahead of the scoring group): learned after the "
                        "restart", vg_learn_waiting(p->learn));
}

/* Reads the scoring group's committed offsets (at most once a second,
 * waiting 100 ms at most while scoring; on stop, every time, 2 s). */
static void vg_proc_committed(vg_proc_t *p)
{
        int64_t now = vg_time_mono_us();
        int stopping = vg_proc_stopping(p);
        if (!p->k || (!stopping && now - p->committed_us < 1000 * 1000))
                return;
        p->committed_us = now;
        rd_kafka_topic_partition_list_t *tl =
                rd_kafka_topic_partition_list_new(p->nparts);
        for (int i = 0; i < p->nparts; i++)
                rd_kafka_topic_partition_list_add(tl, p->in_topic, i);
        if (rd_kafka_committed(vg_kafka_consumer_handle(p->k), tl,
                               stopping ? 2000 : 100) ==
            RD_KAFKA_RESP_ERR_NO_ERROR)
                for (int i = 0; i < tl->cnt; i++)
                        if (!tl->elems[i].err &&
                            tl->elems[i].partition < p->nparts)
                                p->committed[tl->elems[i].partition] =
                                        tl->elems[i].offset;
        rd_kafka_topic_partition_list_destroy(tl);
}

int vg_proc_learn_claim(vg_proc_t *p, const vg_proc_rec_t *rec)
{
        int32_t part = rec->kr.partition;
        /* after a deferral in its partition, the learner learns the rest */
        return rec->learn &&
               !(p->learn && part >= 0 && part < p->nparts &&
                 p->deferred[part] >= 0 && p->deferred[part] < rec->kr.offset);
}

int vg_proc_learn_defer(vg_proc_t *p, const vg_proc_rec_t *rec)
{
        int32_t part = rec->kr.partition;
        if (!p->learn || p->bootstrapping || rec->side || part < 0 ||
            part >= p->nparts)
                return 0;
        if (p->deferred[part] < 0 || rec->kr.offset < p->deferred[part])
                p->deferred[part] = rec->kr.offset;
        return 1;
}

void vg_proc_learn_apply(vg_proc_t *p)
{
        for (int i = 0; p->learn && i < p->nparts; i++) {
                if (p->deferred[i] < 0)
                        continue;
                vg_learn_rewind(p->learn, i, p->deferred[i]);
                p->deferred[i] = -1;
        }
}

/* 1 if the learner has learned everything of \p rec's partition before
 * it (a partition it never learned from: it starts there). */
static int vg_proc_learned_before(vg_proc_t *p, const vg_proc_rec_t *rec)
{
        int32_t part       = rec->kr.partition;
        const int64_t *nxt = vg_learn_next(p->learn);
        return rec->side || part < 0 || part >= p->nparts || nxt[part] >= rec->kr.offset ||
               (nxt[part] < 0 && rec->kr.offset == 0);
}

void vg_proc_learn_catch_up(vg_proc_t *p, int n)
{
        int64_t until = vg_time_mono_us() + 30 * 1000000LL;
        if (!p->learn || p->bootstrapping)
                return;
        int idle = 0;
        for (int i = 0; i < n; i++) {
                while (!vg_proc_learned_before(p, &p->recs[i]) &&
                       !vg_proc_stopping(p) && vg_time_mono_us() < until) {
                        if (vg_learn_step(p->learn, 100) > 0) {
                                idle = 0;
                                continue;
                        }
                        /* stuck (on what is not scored yet, on Redis, or
                         * nothing to read for a second): score on, the
                         * learner follows */
                        if (vg_learn_waiting(p->learn) > 0 || ++idle >= 10)
                                return;
                }
        }
}

void vg_proc_learn_mark(vg_proc_t *p, int n)
{
        for (int i = 0; i < n; i++) {
                vg_proc_rec_t *rec = &p->recs[i];
                rec->learn         = !rec->side &&
                             (!p->learn || p->bootstrapping ||
                              vg_learn_claim(p->learn, rec->kr.partition,
                                             rec->kr.offset));
        }
}

int vg_proc_scored_past(vg_proc_t *p, const vg_proc_rec_t *rec)
{
        int32_t part = rec->kr.partition;
        if (p->bootstrapping || rec->side || part < 0 || part >= p->nparts)
                return 1;
        if (rec->kr.offset < p->scored_next[part] ||
            rec->kr.offset < p->committed[part])
                return 1;
        /* a partition this instance scores: it comes to it (in line) */
        if (p->scored_next[part] >= 0)
                return 0;
        vg_proc_committed(p);
        return rec->kr.offset < p->committed[part];
}

void vg_proc_learn_revoked(vg_proc_t *p)
{
        /* which partitions stay ours is not known: ask the group */
        p->revokes++;
        for (int i = 0; p->learn && i < p->nparts; i++)
                p->scored_next[i] = -1;
}

/* ---------------------------------------------------------------------- */
/* Event time                                                             */

void vg_proc_event_time_init(vg_proc_t *p)
{
        p->ev_ahead_ms = vg_conf_get_int(p->conf, "event.time.max.ahead.ms");
        p->ev_min_ms   = vg_conf_get_int(p->conf, "event.time.min.ms");
}

int vg_proc_event_time_ok(const vg_proc_t *p, int64_t t_ms)
{
        int64_t now = vg_time_now_ms();
        int64_t ref = p->watermark > now ? p->watermark : now;
        return t_ms >= p->ev_min_ms && t_ms <= ref + p->ev_ahead_ms;
}

int vg_proc_event_time(vg_proc_t *p, vg_proc_rec_t *rec, const char *what,
                       int64_t t_ms)
{
        char when[40];
        if (!vg_proc_event_time_ok(p, t_ms)) {
                vg_time_format(t_ms, when, sizeof(when));
                vg_proc_deadletter(p, rec, VG_DLQ_VALIDATION,
                                   "%s: event time %s is %s", what, when,
                                   t_ms < p->ev_min_ms
                                           ? "before event.time.min.ms"
                                           : "further ahead of the clock "
                                             "and the stream than "
                                             "event.time.max.ahead.ms");
                return -1;
        }
        if (t_ms > p->watermark)
                p->watermark = t_ms;
        return 0;
}

int64_t vg_proc_watermark(const vg_proc_t *p)
{
        return p->watermark;
}
