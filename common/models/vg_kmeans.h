/**
 * @file vg_kmeans.h
 * @brief Streaming k-means with forgetting (the update rule of Spark
 *        MLlib's StreamingKMeans: decayFactor, timeUnit batches|points),
 *        Euclidean or spherical (cosine) geometry, and an open number of
 *        clusters: a point farther than \p radius from every centroid opens
 *        a new cluster, a cluster whose weight decays below \p min_weight
 *        disappears, and at most \p k_max live at once.
 *
 * Cluster ids are stable: a cluster keeps its id for its whole life, ids
 * are 1, 2, 3, ... in order of creation and are never reused.
 *
 * Per batch of m points (m = 1 for vg_kmeans_update()), with discount
 * d = decay (unit batches) or decay^m (unit points), for every cluster j
 * receiving m_j points of mean x_j:
 *   w_j <- w_j d + m_j ;  c_j <- c_j + (m_j / w_j)(x_j - c_j)
 * Batch distances come from one cblas_dgemm (||x||^2 - 2 x.c + ||c||^2).
 *
 * Each cluster may keep a vg_reservoir_t of its recent members for
 * similar-item queries.
 *
 * @locality not thread-safe.
 */
#ifndef VG_KMEANS_H
#define VG_KMEANS_H

#include <stddef.h>
#include <stdint.h>

#include "vg_reservoir.h"
#include "vg_snapshot.h"

typedef struct vg_kmeans_s vg_kmeans_t;

typedef enum {
        VG_KMEANS_UNIT_BATCHES = 0, /**< decay once per update call */
        VG_KMEANS_UNIT_POINTS  = 1, /**< decay once per point */
} vg_kmeans_unit_t;

typedef struct vg_kmeans_conf_s {
        int dim;                    /**< vector dimension (required) */
        vg_dist_t dist;             /**< default VG_DIST_EUCLIDEAN */
        double decay;               /**< decayFactor in (0, 1]; default 1 */
        double half_life;           /**< if > 0, sets decay so that weight
                                         halves after half_life time units */
        vg_kmeans_unit_t time_unit; /**< default VG_KMEANS_UNIT_BATCHES */
        double radius;              /**< open a cluster beyond this distance
                                         (Euclidean, or 1 - cos); default 1 */
        int k_max;                  /**< default 64 */
        double min_weight;          /**< drop clusters below; default 1e-3,
                                         must be < 1 */
        int reservoir_cap;          /**< members kept per cluster; default
                                         32, 0 = none */
} vg_kmeans_conf_t;

/** @brief Fills \p conf with the defaults (dim 0: set it). */
void vg_kmeans_conf_init(vg_kmeans_conf_t *conf);

/**
 * @brief Creates an empty model (no cluster until the first point).
 * @returns the model, or NULL with a reason in \p errstr.
 */
vg_kmeans_t *vg_kmeans_new(const vg_kmeans_conf_t *conf, char *errstr,
                           size_t errstr_size);

/** @brief Frees \p km and its reservoirs. NULL-safe. */
void vg_kmeans_destroy(vg_kmeans_t *km);

/**
 * @brief Nearest cluster of \p x, without learning.
 * @param distp optional: distance to it.
 * @returns its id, or -1 if there is no cluster or \p x is not finite (or
 *          zero in cosine mode).
 */
int64_t vg_kmeans_assign(vg_kmeans_t *km, const double *x, double *distp);

/**
 * @brief Assigns \p x (opening a cluster if it is beyond the radius) and
 *        learns from it, as a batch of one point.
 * @param distp optional: distance to the cluster before the update.
 * @returns the cluster id, or -1 if \p x was rejected (non-finite, or zero
 *          in cosine mode).
 */
int64_t vg_kmeans_update(vg_kmeans_t *km, const double *x, double *distp);

/**
 * @brief Assigns and learns a batch of \p n points (\p X row-major, n x dim)
 *        with one dgemm for the distances.
 * @param ids optional out: cluster id per point (-1 if rejected).
 * @param dists optional out: distance per point before the update.
 */
void vg_kmeans_update_batch(vg_kmeans_t *km, const double *X, int n,
                            int64_t *ids, double *dists);

/**
 * @brief Learns \p x and stores it as member \p item_id of its cluster's
 *        reservoir (with \p outcome, may be NULL, and \p ts_ms).
 * @returns the cluster id, or -1 if rejected.
 */
int64_t vg_kmeans_observe(vg_kmeans_t *km, const char *item_id,
                          const double *x, const char *outcome, int64_t ts_ms,
                          double *distp);

/**
 * @brief Records the outcome of member \p item_id, in cluster \p id (or in
 *        any cluster if \p id is -1).
 * @returns 1 if found, else 0.
 */
int vg_kmeans_set_outcome(vg_kmeans_t *km, int64_t id, const char *item_id,
                          const char *outcome);

/**
 * @brief The \p k recent members nearest to \p x in its nearest cluster.
 * @param idp optional out: that cluster's id (-1 if none).
 * @returns the number of answers written to \p out; their strings are
 *          borrowed until the model next changes.
 */
int vg_kmeans_similar(vg_kmeans_t *km, const double *x, int k,
                      vg_similar_t *out, int64_t *idp);

/**
 * @brief The two live clusters closest to each other: \p *ap the older
 *        (smaller id), \p *bp the younger, \p *distp their distance.
 * @returns 1, or 0 with fewer than two clusters.
 */
int vg_kmeans_closest_pair(const vg_kmeans_t *km, int64_t *ap, int64_t *bp,
                           double *distp);

/**
 * @brief The live cluster closest to cluster \p id (O(k dim): what a
 *        cluster that just moved may now be too close to).
 * @returns 1 with \p *otherp and \p *distp, or 0 (\p id not alive, or
 *          alone).
 */
int vg_kmeans_closest_to(const vg_kmeans_t *km, int64_t id, int64_t *otherp,
                         double *distp);

/**
 * @brief Merges cluster \p gone into cluster \p keep: weighted mean of
 *        the centroids, weights summed; \p gone disappears (its id is
 *        never reused) with its reservoir.
 * @returns 0, or -1 if either is not alive or they are the same.
 */
int vg_kmeans_merge(vg_kmeans_t *km, int64_t keep, int64_t gone);

/** @returns the number of live clusters. */
int vg_kmeans_k(const vg_kmeans_t *km);
/** @returns the id of live cluster \p idx (0 <= idx < k). */
int64_t vg_kmeans_id(const vg_kmeans_t *km, int idx);
/** @returns the index of cluster \p id, or -1 if it is not alive. */
int vg_kmeans_find(const vg_kmeans_t *km, int64_t id);
/** @returns the weight of live cluster \p idx. */
double vg_kmeans_weight(const vg_kmeans_t *km, int idx);
/** @returns the centroid of live cluster \p idx (dim values, borrowed). */
const double *vg_kmeans_centroid(const vg_kmeans_t *km, int idx);
/** @returns the reservoir of live cluster \p idx, or NULL (borrowed). */
const vg_reservoir_t *vg_kmeans_reservoir(const vg_kmeans_t *km, int idx);
/** @returns the decay factor in use (derived from half_life if set). */
double vg_kmeans_decay(const vg_kmeans_t *km);
/** @returns the memory held (centroids, scratch, reservoirs), in bytes. */
size_t vg_kmeans_memory(const vg_kmeans_t *km);

/** @brief Snapshot of kind VG_SNAP_KIND_KMEANS; free with vg_free(). */
void *vg_kmeans_save(const vg_kmeans_t *km, size_t *lenp);
/** @returns a fresh model from a snapshot, or NULL with \p errstr. */
vg_kmeans_t *vg_kmeans_load(const void *buf, size_t len, char *errstr,
                            size_t errstr_size);

#endif /* VG_KMEANS_H */
