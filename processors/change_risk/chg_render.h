/**
 * @file chg_render.h
 * @brief Renders scored changes into their encoded ChangeRisk (and Alert)
 *        records on a helper thread, while the main thread scores the
 *        next changes of the batch.
 *
 * Scoring is sequential (each change is predicted before the model learns
 * from the next outcome), but building and encoding a change's records
 * only reads its score: the main thread queues each scored change with
 * chg_render_add(), a helper thread renders them meanwhile, and
 * chg_render_get() hands them back in order, once encoded, for the main
 * thread to produce. Without a helper thread (it could not be
 * started), chg_render_add() renders at once: same bytes.
 */
#ifndef CHG_RENDER_H
#define CHG_RENDER_H

#include "chg_output.h"

typedef struct chg_render_s chg_render_t;

/** One rendered change: its records, ready to produce. */
typedef struct chg_rendered_s {
        int idx;               /**< the caller's event index */
        int alert;             /**< an Alert was asked for */
        int band;              /**< the change's risk band */
        vg_err_t err;          /**< VG_OK, or why a record failed */
        const uint8_t *risk;   /**< ChangeRisk, wire format */
        size_t risk_len;
        const uint8_t *alert_buf; /**< Alert, if alert */
        size_t alert_len;
        const char *errstr;    /**< if err */
} chg_rendered_t;

/**
 * @param threaded 1: render on a helper thread; 0: in chg_render_add().
 * @returns a renderer (NULL only if a value of the schemas cannot be made).
 */
chg_render_t *chg_render_new(vg_avro_schema_t *risk_sch,
                             vg_avro_schema_t *alert_sch,
                             const chg_rules_t *rules,
                             const char *source_topic, int threaded);

/** @brief Stops the helper thread and frees \p r. NULL-safe. */
void chg_render_destroy(chg_render_t *r);

/** @returns 1 if a helper thread renders, 0 if the caller's thread does. */
int chg_render_threaded(const chg_render_t *r);

/**
 * @brief Starts a batch of at most \p max changes; the previous batch is
 *        forgotten (once rendered: this waits for it).
 */
void chg_render_begin(chg_render_t *r, int max);

/**
 * @brief Queues the records of one scored change (\p sc is copied, with
 *        its model version; \p sc->ev and \p sc->ctx must stay valid until
 *        the change is rendered, see chg_render_get()).
 * @param idx the caller's index of the change, given back in the result.
 * @param alert also render an Alert.
 */
void chg_render_add(chg_render_t *r, const chg_score_t *sc, int idx,
                    int alert);

/**
 * @brief Ends the batch: every change queued is handed to the helper.
 * @returns the number of changes queued since chg_render_begin().
 */
int chg_render_end(chg_render_t *r);

/**
 * @returns change \p k of the batch (0 <= k < chg_render_end()'s count,
 *          in the order added), once rendered: waits for the helper if
 *          needed, so the caller produces the first records while the
 *          helper still renders the last. Valid until the next
 *          chg_render_begin(); NULL if \p k is out of range.
 */
const chg_rendered_t *chg_render_get(chg_render_t *r, int k);

#endif /* CHG_RENDER_H */
