/**
 * @file vg_store.c
 * @brief The batch store: read-ahead and write-behind with offset holds
 *        (see vg_store.h).
 */
#include "vg_store.h"
#include "vg_hash.h"
#include "vg_log.h"
#include "vg_mem.h"
#include "vg_time.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define VG_STORE_WR_PART 256 /**< writes sent once this many are queued */

#define VG_STORE_BUCKETS 4096 /**< window overlay hash buckets */

/** A window count queued for a batch. */
typedef struct vg_store_count_s {
        size_t idx;       /**< reply index */
        uint64_t keyh;
        int64_t from, to;
} vg_store_count_t;

/** A member the batch added to a window (last time wins). */
typedef struct vg_store_add_s {
        uint64_t keyh, memh;
        int64_t t;
        int next; /**< next entry of its bucket, -1 */
} vg_store_add_t;

static long long vg_store_reply_int(const vg_store_t *s, size_t idx);

/* One batch of writes waiting for Redis, with the holds it releases. */
typedef struct vg_store_pending_s {
        struct vg_store_pending_s *next;
        vg_redis_batch_t *b;
        vg_proc_hold_t **holds;
        int nholds;
} vg_store_pending_t;

struct vg_store_s {
        vg_redis_t *r;
        vg_redis_batch_t *rd, *wr;
        size_t *end; /**< per record: replies to read before its own are */
        int nend, end_cap;
        vg_store_pending_t *backlog, *backlog_tail;
        int nbacklog;
        int warned;
        /* Sent, replies not read yet: Redis executes a batch's writes while
         * the next batch is consumed and decoded. */
        vg_store_pending_t *inflight;
        int64_t inflight_us;
        int rd_failed; /**< the batch's reads failed: the rest degraded */
        int wr_failed; /**< sending the batch's first writes failed */
        vg_redis_batch_t *spare; /**< a written batch, for the next writes */
        /* window counts and the batch's own adds (vg_store_read_count) */
        vg_store_count_t *cnt;
        int ncnt, cnt_cap;
        vg_store_add_t *adds;
        int nadds, adds_cap;
        int *bucket; /**< VG_STORE_BUCKETS heads, -1 */
};

static void vg_store_pending_free(vg_store_pending_t *pe)
{
        vg_redis_batch_destroy(pe->b);
        vg_free(pe->holds);
        vg_free(pe);
}

vg_store_t *vg_store_new(vg_redis_t *r)
{
        vg_store_t *s = vg_calloc(1, sizeof(*s));
        s->r          = r;
        s->rd         = vg_redis_batch_new();
        s->wr         = vg_redis_batch_new();
        return s;
}

void vg_store_destroy(vg_store_t *s)
{
        if (!s)
                return;
        if (s->inflight) /* its holds die with the runtime */
                vg_store_pending_free(s->inflight);
        while (s->backlog) {
                vg_store_pending_t *pe = s->backlog;
                s->backlog             = pe->next;
                vg_store_pending_free(pe);
        }
        vg_redis_batch_destroy(s->rd);
        vg_redis_batch_destroy(s->wr);
        vg_redis_batch_destroy(s->spare);
        vg_free(s->end);
        vg_free(s->cnt);
        vg_free(s->adds);
        vg_free(s->bucket);
        vg_free(s);
}

const char *vg_store_key(const vg_store_t *s, char *buf, size_t size,
                         const char *kind, const char *id, const char *what)
{
        vg_redis_key(s->r, buf, size, kind, id, what);
        return buf;
}

/* ---------------------------------------------------------------------- */
/* Writes                                                                 */

static void vg_store_write_failed(vg_store_t *s, const char *errstr)
{
        if (!s->warned++)
                vg_warn("store", "feature store: %s: processing goes on "
                        "(context_degraded), writes are kept and retried",
                        errstr);
}

static int vg_store_exec(vg_store_t *s, vg_redis_batch_t *b)
{
        char errstr[256];
        if (vg_redis_batch_cnt(b) == 0)
                return 0;
        if (vg_redis_batch_exec(s->r, b, errstr, sizeof(errstr)) == VG_OK)
                return 0;
        vg_store_write_failed(s, errstr);
        return -1;
}

/* Written: the holds are released, the batch kept for the next writes. */
static void vg_store_release(vg_store_t *s, vg_store_pending_t *pe,
                             vg_proc_t *p)
{
        for (int i = 0; i < pe->nholds; i++)
                vg_proc_release(p, pe->holds[i]);
        if (!s->spare) { /* its buffers serve the next batch */
                vg_redis_batch_reset(pe->b);
                s->spare = pe->b;
                pe->b    = NULL;
        }
        vg_store_pending_free(pe);
}

/* Writes the backlog in order. @returns 0 once it is empty. */
static int vg_store_backlog_flush(vg_store_t *s, vg_proc_t *p)
{
        while (s->backlog) {
                vg_store_pending_t *pe = s->backlog;
                if (vg_store_exec(s, pe->b))
                        return -1;
                s->backlog = pe->next;
                if (!s->backlog)
                        s->backlog_tail = NULL;
                s->nbacklog--;
                vg_store_release(s, pe, p);
        }
        if (s->warned) {
                vg_info("store", "feature store: back, writes caught up");
                s->warned = 0;
        }
        return 0;
}

/* The pending writes (s->wr) with their holds; s->wr starts anew. */
static vg_store_pending_t *vg_store_take(vg_store_t *s,
                                         vg_proc_hold_t **holds, int nholds)
{
        vg_store_pending_t *pe = vg_calloc(1, sizeof(*pe));
        pe->b                  = s->wr;
        pe->holds = vg_malloc(sizeof(*holds) * (size_t)(nholds + 1));
        if (nholds > 0)
                memcpy(pe->holds, holds, sizeof(*holds) * (size_t)nholds);
        pe->nholds = nholds;
        s->wr      = s->spare ? s->spare : vg_redis_batch_new();
        s->spare   = NULL;
        return pe;
}

static void vg_store_backlog_append(vg_store_t *s, vg_store_pending_t *pe)
{
        if (s->backlog_tail)
                s->backlog_tail->next = pe;
        else
                s->backlog = pe;
        s->backlog_tail = pe;
        s->nbacklog++;
}

/* Reads the replies of the batch in flight: its holds are released, or
 * (Redis failed meanwhile) it heads the backlog. */
static void vg_store_inflight_finish(vg_store_t *s, vg_proc_t *p)
{
        char errstr[256];
        vg_store_pending_t *pe = s->inflight;

        if (!pe)
                return;
        s->inflight = NULL;
        if (vg_redis_batch_wait(s->r, pe->b, errstr, sizeof(errstr)) ==
            VG_OK) {
                vg_store_release(s, pe, p);
                return;
        }
        vg_store_write_failed(s, errstr);
        pe->next   = s->backlog; /* sent when the backlog was empty */
        s->backlog = pe;
        if (!s->backlog_tail)
                s->backlog_tail = pe;
        s->nbacklog++;
}

vg_redis_batch_t *vg_store_writes(vg_store_t *s)
{
        return s->wr;
}

void vg_store_pump(vg_store_t *s)
{
        char errstr[256];
        /* in order: after any backlog; not while Redis fails */
        if (vg_redis_batch_unsent(s->wr) < VG_STORE_WR_PART || s->backlog ||
            s->rd_failed || s->wr_failed)
                return;
        if (vg_redis_batch_send_more(s->r, s->wr, errstr, sizeof(errstr)))
                s->wr_failed = 1; /* the flush sends it all again */
}

int vg_store_flush(vg_store_t *s, vg_proc_t *p, vg_proc_hold_t **holds,
                   int nholds)
{
        char errstr[256];
        vg_store_inflight_finish(s, p);
        while (s->nbacklog >= VG_STORE_BACKLOG_MAX && !vg_proc_stopping(p) &&
               vg_store_backlog_flush(s, p))
                usleep(100 * 1000); /* back-pressure */
        vg_store_pending_t *pe = vg_store_take(s, holds, nholds);
        if (vg_store_backlog_flush(s, p) == 0) {
                if (vg_redis_batch_send_more(s->r, pe->b, errstr,
                                             sizeof(errstr)) == VG_OK) {
                        s->inflight    = pe;
                        s->inflight_us = vg_time_mono_us();
                        return 0;
                }
                vg_store_write_failed(s, errstr);
        }
        vg_store_backlog_append(s, pe);
        return -1;
}

void vg_store_discard(vg_store_t *s)
{
        vg_redis_batch_reset(s->wr);
}

void vg_store_settle(vg_store_t *s, vg_proc_t *p)
{
        vg_store_inflight_finish(s, p);
}

void vg_store_retry(vg_store_t *s, vg_proc_t *p)
{
        /* in flight for a while: no next batch came to collect it */
        if (s->inflight && vg_time_mono_us() - s->inflight_us > 1000)
                vg_store_inflight_finish(s, p);
        if (s->backlog)
                vg_store_backlog_flush(s, p);
}

int vg_store_backlog(const vg_store_t *s)
{
        return s->nbacklog;
}

void vg_store_drain(vg_store_t *s, vg_proc_t *p)
{
        vg_store_inflight_finish(s, p);
        if (vg_store_backlog_flush(s, p) == 0)
                return;
        vg_warn("store", "feature store: %d write batch(es) not written; "
                "their records will be consumed again", s->nbacklog);
        while (s->backlog) {
                vg_store_pending_t *pe = s->backlog;
                s->backlog             = pe->next;
                vg_store_pending_free(pe);
        }
        s->backlog_tail = NULL;
        s->nbacklog     = 0;
}

/* ---------------------------------------------------------------------- */
/* Reads                                                                  */

vg_redis_batch_t *vg_store_read_begin(vg_store_t *s, vg_proc_t *p, int n)
{
        if (s->backlog) /* older writes first, if Redis is back */
                vg_store_backlog_flush(s, p);
        if (n > s->end_cap) {
                s->end     = vg_realloc(s->end, sizeof(*s->end) * (size_t)n);
                s->end_cap = n;
        }
        s->nend = 0;
        vg_redis_batch_reset(s->rd);
        s->ncnt = 0;
        if (s->nadds > 0 || !s->bucket) { /* a new batch: no adds yet */
                if (!s->bucket)
                        s->bucket = vg_malloc(sizeof(int) * VG_STORE_BUCKETS);
                memset(s->bucket, 0xff, sizeof(int) * VG_STORE_BUCKETS);
                s->nadds = 0;
        }
        return s->rd;
}

size_t vg_store_read_count(vg_store_t *s, vg_redis_batch_t *rd,
                           const char *key, int64_t from, int64_t to)
{
        if (s->ncnt == s->cnt_cap) {
                s->cnt_cap = s->cnt_cap ? 2 * s->cnt_cap : 256;
                s->cnt = vg_realloc(s->cnt, sizeof(*s->cnt) * s->cnt_cap);
        }
        s->cnt[s->ncnt] = (vg_store_count_t){
                vg_redis_batch_window_count(rd, key, from, to),
                vg_hash64(key, strlen(key), 0), from, to};
        return (size_t)s->ncnt++;
}

long long vg_store_count(const vg_store_t *s, size_t h)
{
        if (h == VG_STORE_NO_READ || h >= (size_t)s->ncnt)
                return 0;
        const vg_store_count_t *c = &s->cnt[h];
        long long n = vg_store_reply_int(s, c->idx);
        for (int e = s->bucket[c->keyh & (VG_STORE_BUCKETS - 1)]; e >= 0;
             e = s->adds[e].next) {
                const vg_store_add_t *a = &s->adds[e];
                if (a->keyh == c->keyh && a->t >= c->from && a->t <= c->to)
                        n++;
        }
        return n;
}

void vg_store_window_put(vg_store_t *s, const char *key, int64_t t,
                         const char *member, const char *id, int64_t wm,
                         int64_t keep_ms)
{
        vg_store_window_add(s, key, t, member);
        if ((vg_hash64(id, strlen(id), 0) & 15) == 0)
                vg_redis_batch_window_trim(s->wr, key, wm - 2 * keep_ms);
}

void vg_store_window_add(vg_store_t *s, const char *key, int64_t t,
                         const char *member)
{
        uint64_t keyh = vg_hash64(key, strlen(key), 0);
        uint64_t memh = vg_hash64(member, strlen(member), keyh);
        if (!s->bucket) { /* writes before any read */
                s->bucket = vg_malloc(sizeof(int) * VG_STORE_BUCKETS);
                memset(s->bucket, 0xff, sizeof(int) * VG_STORE_BUCKETS);
        }
        int *head = &s->bucket[keyh & (VG_STORE_BUCKETS - 1)];

        vg_redis_batch_window_add(s->wr, key, t, member);
        for (int e = *head; e >= 0; e = s->adds[e].next) {
                if (s->adds[e].keyh == keyh && s->adds[e].memh == memh) {
                        s->adds[e].t = t; /* it moves: last write wins */
                        return;
                }
        }
        if (s->nadds == s->adds_cap) {
                s->adds_cap = s->adds_cap ? 2 * s->adds_cap : 256;
                s->adds = vg_realloc(s->adds, sizeof(*s->adds) * s->adds_cap);
        }
        s->adds[s->nadds] = (vg_store_add_t){keyh, memh, t, *head};
        *head             = s->nadds++;
}

void vg_store_read_next(vg_store_t *s)
{
        s->end[s->nend++] = vg_redis_batch_cnt(s->rd);
}

int vg_store_read_send(vg_store_t *s, vg_proc_t *p)
{
        char errstr[256];
        int rc       = 0;
        s->rd_failed = s->wr_failed = 0;
        /* Sent after the last batch's writes on the same connection, the
         * reads see them: Redis executes commands in the order sent. */
        if (vg_redis_batch_send(s->r, s->rd, errstr, sizeof(errstr))) {
                vg_dbg("store", "context read failed: %s", errstr);
                s->rd_failed = 1;
                rc           = -1;
        }
        vg_store_inflight_finish(s, p); /* its replies come first */
        if (s->backlog && !s->rd_failed) {
                /* writes not in: the reads do not see them */
                s->rd_failed = 1;
                rc           = -1;
        }
        return rc;
}

int vg_store_read_wait(vg_store_t *s, int i)
{
        char errstr[256];
        if (!s->rd_failed &&
            vg_redis_batch_wait_n(s->r, s->rd, s->end[i], errstr,
                                  sizeof(errstr))) {
                vg_dbg("store", "context read failed: %s", errstr);
                s->rd_failed = 1;
        }
        return s->rd_failed ? -1 : 0;
}

const vg_redis_reply_t *vg_store_reply(const vg_store_t *s, size_t idx)
{
        return idx == VG_STORE_NO_READ ? NULL
                                       : vg_redis_batch_reply(s->rd, idx);
}

static long long vg_store_reply_int(const vg_store_t *s, size_t idx)
{
        const vg_redis_reply_t *rep = vg_store_reply(s, idx);
        return rep && vg_redis_reply_type(rep) == VG_REDIS_R_INT
                       ? vg_redis_reply_int(rep)
                       : 0;
}

/* ---------------------------------------------------------------------- */
/* Model checkpoints                                                      */

/* Saves only if no checkpoint of more progress is there, in one step. */
static const char *vg_store_ckpt_lua =
        "local c = tonumber(redis.call('HGET', KEYS[1], 'progress') or '-1') "
        "if c > tonumber(ARGV[1]) then return 0 end "
        "redis.call('HSET', KEYS[1], 'progress', ARGV[1], 'blob', ARGV[2]) "
        "return 1";

int vg_store_save_checkpoint(vg_store_t *s, const char *id, int64_t progress,
                             const void *buf, size_t len)
{
        char k[512], prog[32], errstr[256];
        vg_redis_batch_t *b = vg_redis_batch_new();
        int rc              = -1;

        vg_store_key(s, k, sizeof(k), "model", id, "checkpoint");
        snprintf(prog, sizeof(prog), "%lld", (long long)progress);
        const char *argv[] = {"EVAL", vg_store_ckpt_lua, "1", k, prog, buf};
        size_t argvlen[]   = {4, strlen(vg_store_ckpt_lua), 1, strlen(k),
                              strlen(prog), len};
        vg_redis_batch_argv(b, 6, argv, argvlen);
        if (vg_redis_batch_exec(s->r, b, errstr, sizeof(errstr)) != VG_OK) {
                vg_warn("store", "model checkpoint not saved: %s", errstr);
        } else {
                const vg_redis_reply_t *rep = vg_redis_batch_reply(b, 0);
                if (vg_redis_reply_type(rep) != VG_REDIS_R_INT)
                        vg_warn("store", "model checkpoint not saved: %s",
                                vg_redis_reply_str(rep, NULL));
                else if ((rc = vg_redis_reply_int(rep) ? 0 : 1) == 1)
                        vg_info("store", "model checkpoint not saved: the "
                                "one in Redis has learned more");
        }
        vg_redis_batch_destroy(b);
        return rc;
}

int vg_store_load_checkpoint(vg_store_t *s, const char *id, void **bufp,
                             size_t *lenp)
{
        char k[512], errstr[256];
        vg_redis_batch_t *b = vg_redis_batch_new();
        int rc              = VG_ERR_NOENT;
        size_t len;

        vg_store_key(s, k, sizeof(k), "model", id, "checkpoint");
        vg_redis_batch_cmd(b, "HGET", k, "blob", NULL);
        if (vg_redis_batch_exec(s->r, b, errstr, sizeof(errstr)) != VG_OK) {
                vg_warn("store", "model checkpoint not read: %s", errstr);
                rc = VG_ERR_UNAVAIL;
        } else {
                const vg_redis_reply_t *rep = vg_redis_batch_reply(b, 0);
                const char *str             = vg_redis_reply_str(rep, &len);
                if (vg_redis_reply_type(rep) == VG_REDIS_R_STRING && str) {
                        *bufp = vg_strndup(str, len);
                        *lenp = len;
                        rc    = VG_OK;
                } else if (vg_redis_reply_type(rep) == VG_REDIS_R_ERROR) {
                        vg_warn("store", "model checkpoint not read: %s",
                                str ? str : "error");
                        rc = VG_ERR_IO;
                }
        }
        vg_redis_batch_destroy(b);
        return rc;
}
