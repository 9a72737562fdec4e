/**
 * @file srv_topics.h
 * @brief Stable topics of verbatims: streaming k-means over the verbatims'
 *        embeddings (vg_kmeans: a verbatim beyond the radius opens a topic,
 *        a topic whose weight decays away dies), two topics whose centres
 *        come close merge (the younger into the older), and each topic's
 *        label is its most frequent terms (a SpaceSaving counter per
 *        topic). A topic keeps its id for life; ids are never reused.
 *        Births, merges and deaths are recorded in a registry, with the
 *        terms a topic had when it was born (at its 10th verbatim), and
 *        marked dirty until the store has them (srv_topics_dirty()).
 */
#ifndef SRV_TOPICS_H
#define SRV_TOPICS_H

#include "vg_snapshot.h"

#include <stddef.h>
#include <stdint.h>

#define SRV_TERMS_MAX  10 /**< terms of a label */
#define SRV_TERM_LEN   32

typedef struct srv_topics_s srv_topics_t;

typedef enum { SRV_TOPIC_ALIVE, SRV_TOPIC_MERGED, SRV_TOPIC_DEAD } srv_tstate_t;

/** What the registry says of a topic. */
typedef struct srv_topic_info_s {
        int64_t id;
        srv_tstate_t state;
        int64_t born_ms, ended_ms; /**< event time; ended_ms -1 if alive */
        int64_t merged_into;       /**< -1 unless merged */
        uint64_t size;             /**< verbatims it took */
        int nterms, nborn;
        char terms[SRV_TERMS_MAX][SRV_TERM_LEN];      /**< label now */
        char born_terms[SRV_TERMS_MAX][SRV_TERM_LEN]; /**< at birth */
} srv_topic_info_t;

typedef struct srv_topics_conf_s {
        int dim;
        double radius, merge, half_life;
        int k_max;
} srv_topics_conf_t;

srv_topics_t *srv_topics_new(const srv_topics_conf_t *conf, char *errstr,
                             size_t errstr_size);
void srv_topics_destroy(srv_topics_t *t);

/** @returns the nearest live topic within the radius, or -1. */
int64_t srv_topics_assign(srv_topics_t *t, const double *embed);

/** A similar past verbatim (borrowed until the model changes). */
typedef struct srv_similar_s {
        const char *id;      /**< response id */
        const char *outcome; /**< "CLASS\tscrubbed snippet", or NULL */
        double dist;
} srv_similar_t;

/** @returns up to \p k members of the nearest topic nearest to \p embed. */
int srv_topics_similar(srv_topics_t *t, const double *embed, int k,
                       srv_similar_t *out);

/**
 * @brief Learns verbatim \p id (embedding, its terms, its outcome string)
 *        at event time \p t_ms: joins or opens a topic, updates its label,
 *        then applies merges and deaths.
 * @returns the topic it joined, or -1 (an empty embedding).
 */
int64_t srv_topics_learn(srv_topics_t *t, const char *id, const double *embed,
                         const char *const *terms, int nterms,
                         const char *outcome, int64_t t_ms);

/** @returns the registry entry of topic \p id, or NULL. */
const srv_topic_info_t *srv_topics_info(const srv_topics_t *t, int64_t id);

/** @brief Calls \p cb on every topic changed since the last call (births,
 *         labels, merges, deaths), then forgets they changed. */
void srv_topics_dirty(srv_topics_t *t,
                      void (*cb)(void *opaque, const srv_topic_info_t *ti),
                      void *opaque);

/** @returns live topics; @p *births, @p *merges, @p *deaths totals. */
int srv_topics_count(const srv_topics_t *t, uint64_t *births,
                     uint64_t *merges, uint64_t *deaths);

/** @brief Calls \p cb on every topic of the registry, by id. */
void srv_topics_each(const srv_topics_t *t,
                     void (*cb)(void *opaque, const srv_topic_info_t *ti),
                     void *opaque);

/** @brief Takes the state of \p from (read with srv_topics_read()) into
 *         \p t, which keeps its configuration; frees \p from. */
void srv_topics_adopt(srv_topics_t *t, srv_topics_t *from);

size_t srv_topics_memory(const srv_topics_t *t);
void srv_topics_write(const srv_topics_t *t, vg_snap_writer_t *sw);
/** @returns 0, or -1 (\p t unchanged). */
int srv_topics_read(srv_topics_t *t, vg_snap_reader_t *sr, char *errstr,
                    size_t errstr_size);

#endif /* SRV_TOPICS_H */
