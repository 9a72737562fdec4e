/**
 * @file srv_model.h
 * @brief vigie-survey's models: satisfaction class (negative, neutral,
 *        positive) and score (stars) from the scrubbed verbatim, online
 *        (softmax, FTRL) over its words; stable topics (srv_topics) over
 *        its embedding; live quality (accuracy, macro-F1, recall of
 *        negatives, MAE of the score), with checkpoints. No I/O. The
 *        class decision divides each class's probability by its prior (a
 *        balanced decision: dissatisfaction is rare, and the rare classes
 *        are what a service manager looks for).
 */
#ifndef SRV_MODEL_H
#define SRV_MODEL_H

#include "srv_event.h"
#include "srv_topics.h"
#include "vg_conf.h"
#include "vg_features.h"

#include <stdio.h>

#define SRV_EMBED_DIM 64
#define SRV_TOP_TERMS 5

typedef struct srv_model_s srv_model_t;

/** What the model says of a verbatim. */
typedef struct srv_pred_s {
        srv_class_t cls;
        double p[SRV_NCLASSES];
        double stars;
        int nterms;
        char terms[SRV_TOP_TERMS][SRV_TERM_LEN]; /**< its top terms */
} srv_pred_t;

srv_model_t *srv_model_new(const vg_conf_t *conf, char *errstr,
                           size_t errstr_size);
void srv_model_destroy(srv_model_t *m);

/**
 * @brief Builds the features of a verbatim (\p text already scrubbed) in
 *        \p lang into \p x, and its embedding into \p embed.
 */
void srv_model_features(srv_model_t *m, const char *text, const char *lang,
                        const char *service, vg_features_t *x,
                        double *embed);

/** @brief Predicts class and score of \p x (from srv_model_features()),
 *         with the verbatim's top terms (the last features' text). */
void srv_model_predict(srv_model_t *m, const vg_features_t *x,
                       srv_pred_t *pr);

/** @returns the topics (borrowed). */
srv_topics_t *srv_model_topics(srv_model_t *m);

/**
 * @brief Learns response \p id: its class and stars (predict first: the
 *        live quality scores the prediction before learning), its text
 *        statistics, and its topic. \p text is the scrubbed comment.
 * @returns the topic it joined, or -1.
 */
int64_t srv_model_learn(srv_model_t *m, const srv_event_t *ev,
                        const char *text, const char *lang,
                        vg_features_t *scratch);

uint64_t srv_model_learned(const srv_model_t *m);
/** @returns the earliest submitted_at learned (ms), or -1. */
int64_t srv_model_first(const srv_model_t *m);
void srv_model_report(const srv_model_t *m, FILE *fp);
const char *srv_model_version(srv_model_t *m);
size_t srv_model_memory(const srv_model_t *m);
void *srv_model_save(const srv_model_t *m, size_t *lenp);
int srv_model_restore(srv_model_t *m, const void *buf, size_t len,
                      char *errstr, size_t errstr_size);

#endif /* SRV_MODEL_H */
