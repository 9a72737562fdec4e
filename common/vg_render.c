/**
 * @file vg_render.c
 * @brief The ordered rendering stage (see vg_render.h): a job queue
 *        handed to one helper thread in chunks, read back in order.
 */
#include "vg_render.h"
#include "vg_log.h"
#include "vg_mem.h"

#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define VG_RENDER_CHUNK 64 /**< jobs handed over at a time */

struct vg_render_job_s {
        int idx;
        const char *name;
        vg_err_t err;
        int nout;
        vg_render_rec_t out[VG_RENDER_MAX_OUT];
        uint8_t *buf[VG_RENDER_MAX_OUT]; /**< encodings, reused */
        size_t size[VG_RENDER_MAX_OUT];
        char errstr[256];
};

struct vg_render_s {
        vg_render_cb_t *render;
        void *opaque;
        size_t job_size;   /**< rounded up to max_align_t */
        vg_render_job_t *jobs;
        char *mem;         /**< the processor's jobs, job_size each */
        int cap, n;        /**< capacity (grown in begin only), queued */
        int published;     /**< jobs handed to the helper (under mu) */
        int rendered;      /**< jobs the helper finished (under mu) */
        int seen;          /**< rendered, as the caller last read it */
        int sleeping;      /**< the helper waits for work (under mu) */
        int stop, threaded;
        pthread_t thread;
        pthread_mutex_t mu;
        pthread_cond_t work, done;
};

static void vg_render_one(vg_render_t *r, int k)
{
        vg_render_job_t *j = &r->jobs[k];
        j->err             = VG_OK;
        j->nout            = 0;
        j->errstr[0]       = '\0';
        r->render(r->opaque, r->mem + (size_t)k * r->job_size, j);
}

/* The helper: renders what is published, sleeps when it has caught up. */
static void *vg_render_main(void *arg)
{
        vg_render_t *r = arg;

        pthread_mutex_lock(&r->mu);
        for (;;) {
                while (r->rendered >= r->published && !r->stop) {
                        r->sleeping = 1;
                        pthread_cond_wait(&r->work, &r->mu);
                        r->sleeping = 0;
                }
                if (r->rendered >= r->published)
                        break; /* stopping, nothing left */
                int from = r->rendered, to = r->published;
                pthread_mutex_unlock(&r->mu);
                for (int k = from; k < to; k++)
                        vg_render_one(r, k);
                pthread_mutex_lock(&r->mu);
                r->rendered = to;
                pthread_cond_signal(&r->done);
        }
        pthread_mutex_unlock(&r->mu);
        vg_avro_thread_done();
        return NULL;
}

vg_render_t *vg_render_new(size_t job_size, vg_render_cb_t *render,
                           void *opaque, int threaded)
{
        vg_render_t *r  = vg_calloc(1, sizeof(*r));
        size_t align    = _Alignof(max_align_t);
        r->render       = render;
        r->opaque       = opaque;
        r->job_size     = (job_size + align - 1) / align * align;
        pthread_mutex_init(&r->mu, NULL);
        pthread_cond_init(&r->work, NULL);
        pthread_cond_init(&r->done, NULL);
        if (threaded && pthread_create(&r->thread, NULL, vg_render_main, r))
                vg_warn("render", "no rendering thread: records are built "
                        "on the processing thread");
        else
                r->threaded = threaded;
        if (r->threaded) {
                /* Waking it must not preempt the processing thread, which
                 * only ever waits for it at the end of a batch. */
                struct sched_param sp = {0};
                pthread_setschedparam(r->thread, SCHED_BATCH, &sp);
        }
        return r;
}

void vg_render_destroy(vg_render_t *r)
{
        if (!r)
                return;
        if (r->threaded) {
                pthread_mutex_lock(&r->mu);
                r->stop = 1;
                pthread_cond_signal(&r->work);
                pthread_mutex_unlock(&r->mu);
                pthread_join(r->thread, NULL);
        }
        for (int k = 0; k < r->cap; k++)
                for (int o = 0; o < VG_RENDER_MAX_OUT; o++)
                        vg_free(r->jobs[k].buf[o]);
        vg_free(r->jobs);
        vg_free(r->mem);
        pthread_cond_destroy(&r->work);
        pthread_cond_destroy(&r->done);
        pthread_mutex_destroy(&r->mu);
        vg_free(r);
}

int vg_render_threaded(const vg_render_t *r)
{
        return r->threaded;
}

/* Waits until job \p k is rendered. */
static void vg_render_wait(vg_render_t *r, int k);

void vg_render_begin(vg_render_t *r, int max)
{
        if (r->n > 0)
                vg_render_wait(r, r->n - 1); /* the helper is idle now */
        if (max > r->cap) { /* safe: the helper is idle */
                size_t grow = (size_t)(max - r->cap);
                r->jobs     = vg_realloc(r->jobs, sizeof(*r->jobs) * max);
                memset(r->jobs + r->cap, 0, sizeof(*r->jobs) * grow);
                r->mem = vg_realloc(r->mem, r->job_size * (size_t)max);
                memset(r->mem + r->job_size * (size_t)r->cap, 0,
                       r->job_size * grow);
                r->cap = max;
        }
        pthread_mutex_lock(&r->mu);
        r->n = r->published = r->rendered = r->seen = 0;
        pthread_mutex_unlock(&r->mu);
}

void *vg_render_job(vg_render_t *r)
{
        return r->mem + (size_t)r->n * r->job_size;
}

/* Hands the queued jobs to the helper, waking it only if it sleeps (a
 * busy helper takes them when it finishes its chunk). */
static void vg_render_publish(vg_render_t *r)
{
        pthread_mutex_lock(&r->mu);
        r->published = r->n;
        if (r->sleeping)
                pthread_cond_signal(&r->work);
        pthread_mutex_unlock(&r->mu);
}

void vg_render_push(vg_render_t *r, int idx, const char *name)
{
        vg_render_job_t *j = &r->jobs[r->n];
        j->idx             = idx;
        j->name            = name;
        r->n++;
        if (!r->threaded)
                vg_render_one(r, r->n - 1);
        else if (r->n - r->published >= VG_RENDER_CHUNK)
                vg_render_publish(r);
}

vg_err_t vg_render_put(vg_render_job_t *rj, vg_avro_schema_t *sch,
                       avro_value_t *val, const char *topic, const char *key)
{
        int o = rj->nout;
        if (rj->err)
                return rj->err;
        if (o == VG_RENDER_MAX_OUT) {
                vg_render_fail(rj, VG_ERR_INVALID, "too many records");
                return rj->err;
        }
        vg_render_rec_t *out = &rj->out[o];
        rj->err = vg_avro_encode_into(sch, val, &rj->buf[o], &rj->size[o],
                                      &out->len, rj->errstr,
                                      sizeof(rj->errstr));
        if (rj->err)
                return rj->err;
        out->buf   = rj->buf[o];
        out->topic = topic;
        out->key   = key;
        rj->nout++;
        return VG_OK;
}

void vg_render_fail(vg_render_job_t *rj, vg_err_t err, const char *errstr)
{
        rj->err = err ? err : VG_ERR_INVALID;
        vg_strlcpy(rj->errstr, errstr, sizeof(rj->errstr));
}

int vg_render_count(const vg_render_t *r)
{
        return r->n;
}

static void vg_render_wait(vg_render_t *r, int k)
{
        if (!r->threaded || k < r->seen)
                return;
        if (r->published <= k)
                vg_render_publish(r);
        pthread_mutex_lock(&r->mu);
        while (r->rendered <= k)
                pthread_cond_wait(&r->done, &r->mu);
        r->seen = r->rendered;
        pthread_mutex_unlock(&r->mu);
}

int vg_render_get(vg_render_t *r, int k, const vg_render_rec_t **recsp,
                  const char **errstrp)
{
        if (k < 0 || k >= r->n)
                return -1;
        vg_render_wait(r, k);
        const vg_render_job_t *j = &r->jobs[k];
        if (recsp)
                *recsp = j->out;
        if (errstrp)
                *errstrp = j->errstr;
        return j->err ? -1 : j->nout;
}

int vg_render_idx(const vg_render_t *r, int k)
{
        return r->jobs[k].idx;
}

/* Produces job \p k's records. @returns 0 or -1 (logged). */
static int vg_render_emit_one(vg_render_t *r, int k, vg_proc_t *p,
                              vg_proc_rec_t *rec,
                              vg_render_produced_cb_t *produced, void *opaque)
{
        const vg_render_job_t *j = &r->jobs[k];
        if (j->err) {
                vg_err("render", "cannot encode the records of %s: %s",
                       j->name, j->errstr);
                return -1;
        }
        for (int o = 0; o < j->nout; o++) {
                const vg_render_rec_t *out = &j->out[o];
                if (vg_proc_emit_encoded(p, rec, out->topic, out->buf,
                                         out->len, out->key, 0))
                        return -1;
                if (produced)
                        produced(opaque, r->mem + (size_t)k * r->job_size, o);
        }
        return 0;
}

int vg_render_emit(vg_render_t *r, vg_proc_t *p, vg_proc_rec_t *const *recs,
                   vg_render_produced_cb_t *produced, void *opaque)
{
        int rc = 0;
        if (r->threaded && r->published < r->n)
                vg_render_publish(r);
        for (int k = 0; k < r->n && rc == 0; k++) {
                vg_render_wait(r, k);
                rc = vg_render_emit_one(r, k, p, recs[r->jobs[k].idx],
                                        produced, opaque);
                if (rc)
                        vg_err("render", "the records of %s could not be "
                               "produced: the batch fails, to be consumed "
                               "again", r->jobs[k].name);
        }
        if (r->n > 0)
                vg_render_wait(r, r->n - 1); /* the helper is done */
        return rc;
}
