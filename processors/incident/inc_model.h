/**
 * @file inc_model.h
 * @brief vigie-incident's models: one online multiclass model (softmax,
 *        FTRL) per label (cause, sub-cause, closure code, final group,
 *        final priority) over the incident's first-seen fields and words,
 *        streaming k-means over an embedding of its classification fields
 *        and texts (clusters and similar past incidents), the suspect
 *        change ranking (inc_rank), live quality of what was published,
 *        and the set of incidents learned (each is learned once); with
 *        checkpoints. No I/O.
 *
 * Everything that learns does so when an incident is resolved (every
 * instance learns every resolution once: vg_learn), so two instances
 * hold the same model. Scoring changes nothing.
 */
#ifndef INC_MODEL_H
#define INC_MODEL_H

#include "inc_event.h"
#include "inc_rank.h"
#include "vg_conf.h"
#include "vg_features.h"

typedef struct inc_model_s inc_model_t;

#define INC_LABEL_MAX 64

/** The 3 most probable labels of one model. */
typedef struct inc_top_s {
        int n;
        struct {
                char label[INC_LABEL_MAX];
                double p;
        } top[3];
} inc_top_t;

/** Similar past resolved incidents. */
typedef struct inc_similar_s {
        int n;
        struct {
                char number[48];
                char close_code[INC_LABEL_MAX];
                char cause[INC_LABEL_MAX];
                double distance;
                double resolve_hours; /**< -1 if unknown */
        } items[5];
} inc_similar_t;

inc_model_t *inc_model_new(const vg_conf_t *conf, char *errstr,
                           size_t errstr_size);
void inc_model_destroy(inc_model_t *m);

/** @returns the embedding dimension (float values of inc_model_embed()). */
int inc_model_embed_dim(void);

/**
 * @brief Builds the features of \p ev into \p x (cleared first) and its
 *        embedding into \p embed (inc_model_embed_dim() values). The free
 *        texts are scrubbed of personal data (vg_pii) first.
 */
void inc_model_features(inc_model_t *m, const inc_event_t *ev,
                        vg_features_t *x, float *embed);

/** @brief The 3 most probable labels of each model for \p x. */
void inc_model_predict(inc_model_t *m, const vg_features_t *x,
                       inc_top_t tops[INC_NLABELS]);

/** @returns the top \p k factors of the top cause (else closure code)
 *           of the last prediction of \p x. */
int inc_model_explain(inc_model_t *m, const vg_features_t *x,
                      vg_contrib_t *out, int k);

/** @returns the nearest cluster of \p embed within the radius, or -1. */
int64_t inc_model_cluster(inc_model_t *m, const float *embed);

/** @brief Up to 5 resolved incidents nearest to \p embed (other than
 *         \p number) in its nearest cluster. */
void inc_model_similar(inc_model_t *m, const float *embed, const char *number,
                       inc_similar_t *sim);

/** @returns the suspect ranking (borrowed). */
inc_rank_t *inc_model_rank(inc_model_t *m);

/** @name First predictions, as published, for the live quality. @{ */
/** @brief Encodes \p tops for the incident's state. @returns the length. */
size_t inc_model_encode_first(const inc_top_t tops[INC_NLABELS], char *buf,
                              size_t size);
/** @} */

/** What a resolution teaches, as the incident was scored. */
typedef struct inc_lesson_s {
        const inc_event_t *ev;   /**< the resolved record (its labels) */
        const vg_features_t *x;  /**< features as scored, NULL: from ev */
        const float *embed;      /**< embedding as scored, NULL: from ev */
        const char *first;       /**< first predictions, NULL: none */
        size_t first_len;
        const inc_suspect_t *suspects; /**< as scored */
        int nsuspects;
        const char *labels[INC_NLABELS]; /**< the labels to learn (NULL:
                                          *   the record's) */
        const char *cause; /**< the change that caused it, "" none (NULL:
                            *   the record's caused_by / rfc) */
} inc_lesson_t;

/**
 * @brief Learns a resolution, once per incident: returns 0 without
 *        learning if the incident was learned already.
 * @returns 1 if learned.
 */
int inc_model_learn(inc_model_t *m, const inc_lesson_t *ls,
                    vg_features_t *scratch);

/** @returns 1 if incident \p number was learned. */
int inc_model_learned_incident(const inc_model_t *m, const char *number);

/** @returns the earliest opened_at of the incidents learned, or -1. */
int64_t inc_model_first_opened(const inc_model_t *m);

/** @returns incidents learned. */
uint64_t inc_model_learned(const inc_model_t *m);

/** @brief Writes the live quality, one line per model, to \p fp. */
void inc_model_report(const inc_model_t *m, FILE *fp);

/** @returns the personal data items scrubbed so far, per kind. */
const uint64_t *inc_model_pii(const inc_model_t *m);

/** @returns e.g. "incident/1 n=12345 k=37". */
const char *inc_model_version(inc_model_t *m);

size_t inc_model_memory(const inc_model_t *m);

/** @name Checkpoints (vg_snapshot envelope). @{ */
void *inc_model_save(const inc_model_t *m, size_t *lenp);
/** @returns 0, or -1 (\p m unchanged). */
int inc_model_restore(inc_model_t *m, const void *buf, size_t len,
                      char *errstr, size_t errstr_size);
/** @} */

#endif /* INC_MODEL_H */
