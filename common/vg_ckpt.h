/**
 * @file vg_ckpt.h
 * @brief A checkpoint: a model together with the offsets it has learned
 *        up to (per partition of the input topic, the next offset to
 *        learn), so that a restart resumes learning at exactly those
 *        offsets.
 *
 * Layout: "VGCK", u32 version (1), u32 partition count n, n x i64 next
 * offsets (-1: nothing learned there yet), u64 model length, the model
 * (its own vg_snapshot envelope). Native byte order, as the model.
 */
#ifndef VG_CKPT_H
#define VG_CKPT_H

#include <stddef.h>
#include <stdint.h>

/** @returns the encoded checkpoint (vg_free()), its length in \p lenp. */
void *vg_ckpt_encode(const int64_t *next, int nparts, const void *model,
                     size_t model_len, size_t *lenp);

/**
 * @brief Reads a checkpoint: \p *nextp (vg_free()) gets the offsets,
 *        \p *modelp points into \p buf.
 * @returns 0, or -1 with the reason in \p errstr (a malformed or
 *          foreign blob: nothing is returned).
 */
int vg_ckpt_decode(const void *buf, size_t len, int64_t **nextp,
                   int *npartsp, const void **modelp, size_t *model_lenp,
                   char *errstr, size_t errstr_size);

/** @returns how far \p next has learned: the sum of its offsets (-1
 *           counts as 0), to order two checkpoints of one model. */
int64_t vg_ckpt_progress(const int64_t *next, int nparts);

#endif /* VG_CKPT_H */
