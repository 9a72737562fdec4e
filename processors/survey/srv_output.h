/**
 * @file srv_output.h
 * @brief vigie-survey's records: SurveyInsight and the SATISFACTION_DROP
 *        alert, and the render callback (vg_render). Nothing here ever
 *        sees the raw comment or the respondent: the job holds the
 *        scrubbed comment and the pseudonym.
 */
#ifndef SRV_OUTPUT_H
#define SRV_OUTPUT_H

#include "srv_context.h"
#include "srv_model.h"
#include "vg_render.h"

#define SRV_TEXT_MAX 2048
#define SRV_SIMILAR  3

/** A linked incident or change with its relevance. */
typedef struct srv_scored_link_s {
        srv_link_t l;
        double score;
} srv_scored_link_t;

/** A drop to alert on. */
typedef struct srv_drop_s {
        char subject[160];
        char what[96]; /**< "topic 12 (vpn, drops, tunnel)", "service VPN" */
        srv_counts_t c;
        double pvalue, p0;
        int nexamples;
        char examples[3][176]; /**< scrubbed negative verbatims */
} srv_drop_t;

/** One response's insight and alerts (a vg_render job). */
typedef struct srv_job_s {
        const srv_event_t *ev;
        char comment[SRV_TEXT_MAX]; /**< scrubbed */
        char pseudonym[48];         /**< "" in strict mode */
        char key_id[24];
        const char *language;       /**< static */
        int language_detected;
        unsigned pii_kinds;         /**< bit per vg_pii_kind_t */
        srv_pred_t pr;
        int64_t topic;
        int topic_nterms;
        char topic_terms[SRV_TERMS_MAX][SRV_TERM_LEN];
        double topic_neg_rate;      /**< < 0: none */
        int nsimilar;
        struct {
                char id[48];
                char cls[12];
                char snippet[176];
                double dist;
        } similar[SRV_SIMILAR];
        const char *priority;       /**< static */
        int nlinks;
        srv_scored_link_t links[5];
        char model_version[96];
        int64_t scored_at;
        int degraded;
        int ndrops;
        srv_drop_t drops[2];
} srv_job_t;

vg_err_t srv_output_insight(avro_value_t *val, const srv_job_t *j);
vg_err_t srv_output_drop(avro_value_t *val, const srv_job_t *j,
                         const srv_drop_t *d, const char *source_topic);

typedef struct srv_render_s srv_render_t;
srv_render_t *srv_render_new(vg_avro_schema_t *insight_sch,
                             vg_avro_schema_t *alert_sch,
                             const char *source_topic,
                             const char *insight_topic,
                             const char *alert_topic);
void srv_render_destroy(srv_render_t *r);
vg_render_cb_t srv_render_one;

#endif /* SRV_OUTPUT_H */
