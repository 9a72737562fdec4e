/**
 * @file inc_output.h
 * @brief vigie-incident's records: IncidentEnriched and its alerts
 *        (CHANGE_INDUCED_INCIDENT, RECURRING_INCIDENTS), filled from an
 *        enrichment, and the render callback of the ordered rendering
 *        stage (vg_render).
 */
#ifndef INC_OUTPUT_H
#define INC_OUTPUT_H

#include "inc_ctx.h"
#include "inc_event.h"
#include "inc_model.h"
#include "inc_rank.h"
#include "vg_render.h"

/** A recurrence to alert on. */
typedef struct inc_recur_s {
        char subject[160]; /**< e.g. "ci:db-01@20412" */
        char what[96];     /**< "CI db-01" or "cluster 12" */
        long long count;
        double rate, pvalue;
        const inc_counts_t *counts; /**< its members */
} inc_recur_t;

/** One enrichment: the IncidentEnriched record and its alerts (a
 *  vg_render job: ev and ctx stay valid until the batch is emitted). */
typedef struct inc_score_s {
        const inc_event_t *ev;
        const inc_ctx_t *ctx;
        int opened; /**< the incident's first record (else "updated") */
        inc_top_t tops[INC_NLABELS];
        int nfactors;
        vg_contrib_t factors[6];
        int64_t cluster_id;
        long long cl_24h, cl_7d, ci_24h, ci_7d;
        int recurring;
        inc_similar_t sim;
        int nsuspects;
        inc_suspect_t suspects[INC_MAX_SUSPECTS];
        char model_version[96];
        int64_t scored_at;
        int alert_change; /**< a CHANGE_INDUCED_INCIDENT alert */
        int nrecur;       /**< RECURRING_INCIDENTS alerts */
        inc_recur_t recur[2];
} inc_score_t;

/** Which alert output \p out (> 0) of \p sc is. */
typedef enum { INC_OUT_CHANGE, INC_OUT_RECUR0, INC_OUT_RECUR1 } inc_out_t;
inc_out_t inc_output_kind(const inc_score_t *sc, int out);

/** @name Records. @{ */
vg_err_t inc_output_enriched(avro_value_t *val, const inc_score_t *sc);
vg_err_t inc_output_change_alert(avro_value_t *val, const inc_score_t *sc,
                                 const char *source_topic);
vg_err_t inc_output_recur_alert(avro_value_t *val, const inc_score_t *sc,
                                const inc_recur_t *rc,
                                const char *source_topic);
/** @} */

/** What the render callback uses (on the rendering thread only). */
typedef struct inc_render_s inc_render_t;

inc_render_t *inc_render_new(vg_avro_schema_t *enriched_sch,
                             vg_avro_schema_t *alert_sch,
                             const char *source_topic,
                             const char *enriched_topic,
                             const char *alert_topic);
void inc_render_destroy(inc_render_t *r);

/** The vg_render callback: opaque an inc_render_t, job an inc_score_t;
 *  renders the IncidentEnriched (output 0), then its alerts. */
vg_render_cb_t inc_render_one;

#endif /* INC_OUTPUT_H */
