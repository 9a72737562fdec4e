/**
 * @file chg_render.c
 * @brief Records of scored changes rendered on a helper thread (see
 *        chg_render.h).
 */
#include "chg_render.h"
#include "vg_log.h"
#include "vg_mem.h"

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#define CHG_RENDER_CHUNK 64 /**< jobs handed over at a time */

typedef struct chg_job_s {
        chg_score_t sc;
        char version[64]; /**< sc.model_version points here */
        chg_rendered_t out;
        uint8_t *risk, *alert; /**< encodings, reused across batches */
        size_t risk_size, alert_size;
        char errstr[256];
} chg_job_t;

struct chg_render_s {
        vg_avro_schema_t *risk_sch, *alert_sch;
        const chg_rules_t *rules;
        const char *source_topic;
        avro_value_t risk_val, alert_val; /**< the rendering thread's */
        chg_job_t *jobs;
        int cap, n;      /**< capacity (grown in begin only), queued */
        int published;   /**< jobs handed to the helper (under mu) */
        int rendered;    /**< jobs the helper finished (under mu) */
        int seen;        /**< rendered, as the caller last read it */
        int sleeping;    /**< the helper waits for work (under mu) */
        int stop, threaded;
        pthread_t thread;
        pthread_mutex_t mu;
        pthread_cond_t work, done;
};

static void chg_render_one(chg_render_t *r, chg_job_t *j)
{
        chg_rendered_t *o = &j->out;

        o->err    = VG_OK;
        o->errstr = j->errstr;
        chg_output_risk(&r->risk_val, &j->sc, r->rules);
        o->err = vg_avro_encode_into(r->risk_sch, &r->risk_val, &j->risk,
                                     &j->risk_size, &o->risk_len, j->errstr,
                                     sizeof(j->errstr));
        o->risk = j->risk;
        if (o->err || !o->alert)
                return;
        chg_output_alert(&r->alert_val, &j->sc, r->source_topic);
        o->err = vg_avro_encode_into(r->alert_sch, &r->alert_val, &j->alert,
                                     &j->alert_size, &o->alert_len,
                                     j->errstr, sizeof(j->errstr));
        o->alert_buf = j->alert;
}

/* The helper: renders what is published, sleeps when it has caught up. */
static void *chg_render_main(void *arg)
{
        chg_render_t *r = arg;

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
                        chg_render_one(r, &r->jobs[k]);
                pthread_mutex_lock(&r->mu);
                r->rendered = to;
                pthread_cond_signal(&r->done);
        }
        pthread_mutex_unlock(&r->mu);
        vg_avro_thread_done();
        return NULL;
}

chg_render_t *chg_render_new(vg_avro_schema_t *risk_sch,
                             vg_avro_schema_t *alert_sch,
                             const chg_rules_t *rules,
                             const char *source_topic, int threaded)
{
        chg_render_t *r = vg_calloc(1, sizeof(*r));

        r->risk_sch     = risk_sch;
        r->alert_sch    = alert_sch;
        r->rules        = rules;
        r->source_topic = source_topic;
        if (vg_avro_schema_value_new(risk_sch, &r->risk_val)) {
                vg_free(r);
                return NULL;
        }
        if (vg_avro_schema_value_new(alert_sch, &r->alert_val)) {
                avro_value_decref(&r->risk_val);
                vg_free(r);
                return NULL;
        }
        pthread_mutex_init(&r->mu, NULL);
        pthread_cond_init(&r->work, NULL);
        pthread_cond_init(&r->done, NULL);
        if (threaded && pthread_create(&r->thread, NULL, chg_render_main, r))
                vg_warn("change", "no rendering thread: records are built "
                        "on the main thread");
        else
                r->threaded = threaded;
        if (r->threaded) {
                /* Waking it must not preempt the scoring thread, which it
                 * only ever waits for at the end of a batch. */
                struct sched_param sp = {0};
                pthread_setschedparam(r->thread, SCHED_BATCH, &sp);
        }
        return r;
}

void chg_render_destroy(chg_render_t *r)
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
        for (int k = 0; k < r->cap; k++) {
                vg_free(r->jobs[k].risk);
                vg_free(r->jobs[k].alert);
        }
        vg_free(r->jobs);
        avro_value_decref(&r->risk_val);
        avro_value_decref(&r->alert_val);
        pthread_cond_destroy(&r->work);
        pthread_cond_destroy(&r->done);
        pthread_mutex_destroy(&r->mu);
        vg_free(r);
}

int chg_render_threaded(const chg_render_t *r)
{
        return r->threaded;
}

void chg_render_begin(chg_render_t *r, int max)
{
        chg_render_get(r, r->n - 1); /* the helper is idle after this */
        /* the helper is idle (after wait): growing jobs is safe */
        if (max > r->cap) {
                r->jobs = vg_realloc(r->jobs, sizeof(*r->jobs) * max);
                memset(r->jobs + r->cap, 0,
                       sizeof(*r->jobs) * (size_t)(max - r->cap));
                r->cap = max;
        }
        pthread_mutex_lock(&r->mu);
        r->n = r->published = r->rendered = r->seen = 0;
        pthread_mutex_unlock(&r->mu);
}

/* Hands the queued jobs to the helper, waking it only if it sleeps (a
 * busy helper takes them when it finishes its chunk). */
static void chg_render_publish(chg_render_t *r)
{
        pthread_mutex_lock(&r->mu);
        r->published = r->n;
        if (r->sleeping)
                pthread_cond_signal(&r->work);
        pthread_mutex_unlock(&r->mu);
}

void chg_render_add(chg_render_t *r, const chg_score_t *sc, int idx,
                    int alert)
{
        chg_job_t *j = &r->jobs[r->n++];

        j->sc = *sc;
        vg_strlcpy(j->version, sc->model_version ? sc->model_version : "",
                   sizeof(j->version));
        j->sc.model_version = j->version;
        j->out = (chg_rendered_t){.idx = idx, .alert = alert, .band = sc->band};
        if (!r->threaded)
                chg_render_one(r, j);
        else if (r->n - r->published >= CHG_RENDER_CHUNK)
                chg_render_publish(r);
}

int chg_render_end(chg_render_t *r)
{
        if (r->threaded && r->published < r->n)
                chg_render_publish(r);
        return r->n;
}

const chg_rendered_t *chg_render_get(chg_render_t *r, int k)
{
        if (k < 0 || k >= r->n)
                return NULL;
        if (r->threaded && k >= r->seen) {
                if (r->published <= k)
                        chg_render_publish(r);
                pthread_mutex_lock(&r->mu);
                while (r->rendered <= k)
                        pthread_cond_wait(&r->done, &r->mu);
                r->seen = r->rendered;
                pthread_mutex_unlock(&r->mu);
        }
        return &r->jobs[k].out;
}
