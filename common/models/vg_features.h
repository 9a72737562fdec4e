/**
 * @file vg_features.h
 * @brief Sparse feature vectors for the online models: hashed named
 *        features ("assignment_group=DBA Oracle" -> one of 2^b slots, with
 *        a hash-derived sign so that collisions cancel on average) plus an
 *        optional dense block of numeric features.
 *
 * A vg_features_t is a reusable builder: vg_features_clear() it per event,
 * add features, hand it to a model. It keeps the names of the features it
 * holds, for explanations. Non-finite values are dropped and huge values are
 * clipped to +-VG_FEATURES_MAX_ABS, so no input can poison a model.
 *
 * A vg_featdict_t is a bounded reverse dictionary slot -> recently seen
 * name, kept by a model to explain slots whose name the caller did not give.
 */
#ifndef VG_FEATURES_H
#define VG_FEATURES_H

#include <stddef.h>
#include <stdint.h>

#include "vg_snapshot.h"

#define VG_FEATURES_MAX_ABS  1e6  /**< values are clipped to this */
#define VG_FEATURES_NAME_MAX 64   /**< names are truncated to this - 1 */
#define VG_FEATURES_BITS_MIN 4
#define VG_FEATURES_BITS_MAX 30

typedef struct vg_features_s vg_features_t;

/**
 * @brief Creates an empty vector hashing into 2^\p hash_bits slots with a
 *        dense block of \p n_dense numeric features (may be 0).
 * @returns the vector, or NULL if \p hash_bits is outside
 *          [VG_FEATURES_BITS_MIN, VG_FEATURES_BITS_MAX] or \p n_dense < 0.
 */
vg_features_t *vg_features_new(int hash_bits, int n_dense);

/** @brief Frees \p x. NULL-safe. */
void vg_features_destroy(vg_features_t *x);

/** @brief Empties the sparse part and zeroes the dense block. */
void vg_features_clear(vg_features_t *x);

/**
 * @brief Adds the named feature \p name with \p value (1.0 for an
 *        indicator). The name is copied (truncated) for explanations.
 */
void vg_features_add(vg_features_t *x, const char *name, double value);

/** @brief Adds the indicator "key=val" with \p value. */
void vg_features_add_kv(vg_features_t *x, const char *key, const char *val,
                        double value);

/**
 * @brief Adds a feature from a precomputed 64-bit hash (vg_hash64() of its
 *        name, seed 0, gives the same slot as vg_features_add()).
 * @param name optional name for explanations (copied), may be NULL.
 */
void vg_features_add_hashed(vg_features_t *x, uint64_t hash, double value,
                            const char *name);

/** @brief Sets dense feature \p i (0 <= i < n_dense); non-finite -> 0. */
void vg_features_set_dense(vg_features_t *x, int i, double value);

/** @returns the slot of a 64-bit hash for 2^\p bits slots. */
static inline uint32_t vg_features_hash_slot(uint64_t h, int bits)
{
        return (uint32_t)(h >> (64 - bits));
}

/** @returns the sign (+1 or -1) carried by a 64-bit hash. */
static inline double vg_features_hash_sign(uint64_t h)
{
        return (h & 1) ? -1.0 : 1.0;
}

int vg_features_nnz(const vg_features_t *x);
int vg_features_hash_bits(const vg_features_t *x);
int vg_features_n_dense(const vg_features_t *x);
/** @returns the slots of the sparse part (nnz entries, borrowed). */
const uint32_t *vg_features_slots(const vg_features_t *x);
/** @returns the signed values of the sparse part (nnz entries, borrowed). */
const double *vg_features_values(const vg_features_t *x);
/** @returns the dense block (n_dense entries, borrowed). */
const double *vg_features_dense(const vg_features_t *x);
/** @returns the name of sparse feature \p i, or NULL if none was given. */
const char *vg_features_name(const vg_features_t *x, int i);
/** @returns a counter bumped by every change (models cache on it). */
uint64_t vg_features_gen(const vg_features_t *x);
/** @returns how many non-finite values were dropped since the last clear. */
int vg_features_dropped(const vg_features_t *x);

/** One term of an explanation: a feature and its weight x value. */
typedef struct vg_contrib_s {
        char name[VG_FEATURES_NAME_MAX]; /**< "key=value", or "slot:123" */
        double contrib;                  /**< signed weight x value */
} vg_contrib_t;

/**
 * @brief Keeps the \p k terms of largest |contrib| in \p top (sorted by
 *        decreasing |contrib|) as terms are offered one by one.
 * @param n in/out count of terms in \p top.
 * @returns 1 if the term was kept (then the caller fills its name through
 *          \p *slotp), else 0.
 */
int vg_contrib_offer(vg_contrib_t *top, int *n, int k, double contrib,
                     vg_contrib_t **slotp);

/* ---- reverse dictionary ----------------------------------------------- */

typedef struct vg_featdict_s vg_featdict_t;

/** @brief A dictionary of \p cap entries (rounded up to a power of 2). */
vg_featdict_t *vg_featdict_new(size_t cap);
void vg_featdict_destroy(vg_featdict_t *d);
/** @brief Records the names \p x carries (last writer wins per entry). */
void vg_featdict_remember(vg_featdict_t *d, const vg_features_t *x);
/**
 * @brief Records the names \p x carries, keeping the most important ones:
 *        feature i is weighted by |\p w[i]| (nnz entries; 0 = skip it), an
 *        entry is replaced only by a candidate at least as heavy as its
 *        resident, and a resident that turns a candidate away decays, so
 *        stale entries eventually give way. Cheap when nothing changes (no
 *        name is touched): models call it from their learn path.
 */
void vg_featdict_remember_weighted(vg_featdict_t *d, const vg_features_t *x,
                                   const double *w);
/** @brief Records \p name (may be NULL: no-op) for \p slot. */
void vg_featdict_put(vg_featdict_t *d, uint32_t slot, const char *name);
/** @returns the last name seen for \p slot, or NULL (borrowed). */
const char *vg_featdict_lookup(const vg_featdict_t *d, uint32_t slot);
/** @returns the memory held, in bytes. */
size_t vg_featdict_memory(const vg_featdict_t *d);
void vg_featdict_write(const vg_featdict_t *d, vg_snap_writer_t *sw);
/** @returns a dictionary read from \p sr, or NULL (reader marked failed). */
vg_featdict_t *vg_featdict_read(vg_snap_reader_t *sr);

/**
 * @brief Names sparse feature \p i of \p x into \p out: its own name, else
 *        the dictionary's (\p d may be NULL), else "slot:<n>".
 */
void vg_features_describe(const vg_features_t *x, int i,
                          const vg_featdict_t *d, char *out, size_t size);

/** @name Features as scored, stored with a record until its outcome
 *  (so that the model learns from what it predicted with).
 *
 *  A blob holds slots and values, never names (no word of the record is
 *  stored): learning needs only those; explanations are made at scoring
 *  time from the vector's own names.
 *  @{ */
/** @returns a binary blob ("VGF3"): p, the cluster the record joined (-1
 *           if none), the hash bits, then each sparse feature's slot and
 *           signed value and the dense block (free with vg_free()). */
char *vg_features_blob_encode(const vg_features_t *x, double p,
                              int64_t cluster, size_t *lenp);
/**
 * @brief Rebuilds \p x (slots and values, no names) from a blob: "VGF3",
 *        or "VGF2" (names and values, written before VGF3: the names are
 *        hashed to their slots and dropped). A VGF3 blob of more hash bits
 *        than \p x folds onto its slots; one of fewer bits, or of another
 *        dense size, is refused.
 * @returns 0, or -1 on a malformed or incompatible blob (\p x empty).
 */
int vg_features_blob_decode(vg_features_t *x, const char *blob, size_t len,
                            double *pp, int64_t *clusterp);
/** @returns the cluster recorded in a blob, or -1. */
int64_t vg_features_blob_cluster(const char *blob, size_t len);
/** @} */

#endif /* VG_FEATURES_H */
