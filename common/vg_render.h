/**
 * @file vg_render.h
 * @brief The ordered rendering stage: a processor's output records are
 *        built and encoded on a helper thread while the processing thread
 *        goes on with the batch, then produced in input order.
 *
 * Processing is sequential (each record is predicted before the model
 * learns from a later outcome), but building and encoding a record's
 * outputs only reads what processing decided. The processor queues one
 * job per input record that has outputs (vg_render_job() then
 * vg_render_push()); the helper calls the processor's render callback on
 * each, which encodes the job's records with vg_render_put(); at the end
 * of the batch vg_render_emit() produces them in order, the first ones
 * while the helper still encodes the last. Without a helper thread (it
 * could not be started, or not asked for) vg_render_push() renders at
 * once: the same bytes.
 *
 * Rules: a batch's jobs are forgotten at the next vg_render_begin(), which
 * first waits for the helper; vg_render_emit() returns only once the
 * helper is done with the batch, so the processor may then reuse what
 * its jobs pointed to; a record that cannot be encoded or produced fails
 * the batch (the runtime then neither commits its offsets nor
 * checkpoints the model that learned from it).
 */
#ifndef VG_RENDER_H
#define VG_RENDER_H

#include "vg_avro.h"
#include "vg_proc.h"

/** Records one job may render. */
#define VG_RENDER_MAX_OUT 4

typedef struct vg_render_s vg_render_t;
/** A job being rendered, for vg_render_put(). */
typedef struct vg_render_job_s vg_render_job_t;

/**
 * Renders one job (on the helper thread, or in vg_render_push()): reads
 * \p job (the processor's, of the size given to vg_render_new()) and
 * encodes its records with vg_render_put(). Must touch nothing the
 * processing thread writes meanwhile; \p opaque is for its own use
 * (e.g. Avro values it fills).
 */
typedef void(vg_render_cb_t)(void *opaque, void *job, vg_render_job_t *rj);

/**
 * Called by vg_render_emit() once output \p out (0, 1, ... in the order
 * put) of \p job is produced (e.g. to mark an alert as sent).
 */
typedef void(vg_render_produced_cb_t)(void *opaque, void *job, int out);

/**
 * @param job_size bytes of one job (the processor's struct).
 * @param threaded 1: render on a helper thread; 0: in vg_render_push().
 */
vg_render_t *vg_render_new(size_t job_size, vg_render_cb_t *render,
                           void *opaque, int threaded);

/** @brief Stops the helper thread and frees \p r. NULL-safe. */
void vg_render_destroy(vg_render_t *r);

/** @returns 1 if a helper thread renders, 0 if the caller's thread does. */
int vg_render_threaded(const vg_render_t *r);

/** @brief Starts a batch of at most \p max jobs; waits for the helper to
 *         finish the previous one. */
void vg_render_begin(vg_render_t *r, int max);

/** @returns the next job's memory, for the caller to fill before
 *           vg_render_push() (its content from an earlier batch). */
void *vg_render_job(vg_render_t *r);

/**
 * @brief Queues the job filled since vg_render_job().
 * @param idx the caller's index of the input record (vg_render_emit()'s
 *        \p recs), given back by vg_render_idx().
 * @param name names the job in error messages (e.g. the change number);
 *        must stay valid until the batch is emitted.
 */
void vg_render_push(vg_render_t *r, int idx, const char *name);

/**
 * @brief From the render callback: encodes \p val (a value of \p sch) as
 *        the job's next record, for \p topic with \p key (both must stay
 *        valid until emitted). An encoding error fails the job.
 * @returns VG_OK or the error.
 */
vg_err_t vg_render_put(vg_render_job_t *rj, vg_avro_schema_t *sch,
                       avro_value_t *val, const char *topic,
                       const char *key);

/** @brief From the render callback: fails the job with \p err and a
 *         reason (e.g. a value that could not be filled). */
void vg_render_fail(vg_render_job_t *rj, vg_err_t err, const char *errstr);

/** @returns the number of jobs queued since vg_render_begin(). */
int vg_render_count(const vg_render_t *r);

/**
 * @brief Produces every job's records in order, on behalf of input record
 *        \p recs[idx] of each (its offset is stored once they are
 *        acknowledged), calling \p produced (may be NULL) after each.
 *        Waits for the helper as needed, and for it to finish the batch
 *        before returning, whatever happened.
 * @returns 0, or -1 (logged, naming the job) if a record could not be
 *          encoded or produced: the batch fails.
 */
int vg_render_emit(vg_render_t *r, vg_proc_t *p, vg_proc_rec_t *const *recs,
                   vg_render_produced_cb_t *produced, void *opaque);

/** @name Inspection (tests). @{ */
/** One rendered record. */
typedef struct vg_render_rec_s {
        const char *topic, *key;
        const uint8_t *buf; /**< wire format */
        size_t len;
} vg_render_rec_t;

/**
 * @brief Waits for job \p k of the batch (0 <= k < count).
 * @returns its number of records, or -1 if it failed (\p *errstrp, if
 *          given, says why) or \p k is out of range.
 */
int vg_render_get(vg_render_t *r, int k, const vg_render_rec_t **recsp,
                  const char **errstrp);
/** @returns job \p k's input index (vg_render_push()'s idx). */
int vg_render_idx(const vg_render_t *r, int k);
/** @} */

#endif /* VG_RENDER_H */
