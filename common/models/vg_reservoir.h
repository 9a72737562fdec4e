/**
 * @file vg_reservoir.h
 * @brief A bounded store of the most recent members of a cluster (item id,
 *        vector, outcome label, event time), queried for the k nearest to a
 *        new item ("similar past incidents and how they ended").
 *
 * When full, a new member replaces the oldest. Vectors are kept as floats
 * (half the memory; distances are computed in double).
 */
#ifndef VG_RESERVOIR_H
#define VG_RESERVOIR_H

#include <stddef.h>
#include <stdint.h>

#include "vg_snapshot.h"

/** Distance used by the clustering and similarity modules. */
typedef enum {
        VG_DIST_EUCLIDEAN = 0, /**< ||a - b|| */
        VG_DIST_COSINE    = 1, /**< 1 - cos(a, b), in [0, 2] */
} vg_dist_t;

#define VG_RESERVOIR_ID_MAX 64 /**< item ids are truncated to this - 1 */

typedef struct vg_reservoir_s vg_reservoir_t;

/** One answer of vg_reservoir_nearest(). */
typedef struct vg_similar_s {
        const char *id;      /**< borrowed: valid until the reservoir changes */
        const char *outcome; /**< borrowed, NULL if not known yet */
        double dist;         /**< in the reservoir's distance */
        int64_t ts_ms;       /**< event time of the member */
} vg_similar_t;

/**
 * @brief A reservoir of at most \p cap members of dimension \p dim.
 * @returns NULL if \p cap < 1 or \p dim < 1.
 */
vg_reservoir_t *vg_reservoir_new(int cap, int dim, vg_dist_t dist);

/** @brief Frees \p r. NULL-safe. */
void vg_reservoir_destroy(vg_reservoir_t *r);

/**
 * @brief Adds a member (the oldest is evicted when full). An \p id already
 *        present is updated in place instead (vector, time, and outcome if
 *        \p outcome is not NULL). \p id and \p outcome are copied.
 */
void vg_reservoir_add(vg_reservoir_t *r, const char *id, const double *x,
                      const char *outcome, int64_t ts_ms);

/** @returns 1 if member \p id was found and its outcome set, else 0. */
int vg_reservoir_set_outcome(vg_reservoir_t *r, const char *id,
                             const char *outcome);

/**
 * @brief Finds the \p k members nearest to \p x, nearest first.
 * @returns the number written to \p out (<= k).
 */
int vg_reservoir_nearest(const vg_reservoir_t *r, const double *x, int k,
                         vg_similar_t *out);

/** @returns the number of members. */
int vg_reservoir_count(const vg_reservoir_t *r);

/** @returns the memory held, in bytes. */
size_t vg_reservoir_memory(const vg_reservoir_t *r);

void vg_reservoir_write(const vg_reservoir_t *r, vg_snap_writer_t *sw);
/** @returns a reservoir read from \p sr, or NULL (reader marked failed). */
vg_reservoir_t *vg_reservoir_read(vg_snap_reader_t *sr);

/**
 * @brief Distance between \p a and \p b (dimension \p dim) in \p dist.
 *        Cosine distance with a zero vector is 1.
 */
double vg_dist(vg_dist_t dist, const double *a, const double *b, int dim);

#endif /* VG_RESERVOIR_H */
