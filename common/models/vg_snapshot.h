/**
 * @file vg_snapshot.h
 * @brief Durable model state: a versioned, checksummed binary envelope and
 *        the primitive writer/reader every model serialises through.
 *
 * Layout (all integers little-endian, doubles as their IEEE-754 bits, so a
 * reload resumes bit-exactly):
 * @code
 *   0  "VGSN"            magic
 *   4  u16 version       VG_SNAP_VERSION
 *   6  u16 kind          vg_snap_kind_t (model kind / schema id)
 *   8  u64 payload_len
 *  16  u32 crc32(payload)
 *  20  u32 crc32(bytes 0..19)
 *  24  payload
 * @endcode
 * A reader refuses, with a message in errstr, any buffer whose magic,
 * version, kind, length or checksums do not match, before a model is built;
 * loaders build a fresh object and destroy it on any later error, so a model
 * is never loaded half-way.
 */
#ifndef VG_SNAPSHOT_H
#define VG_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "vg_err.h"
#include "vg_mem.h"

#define VG_SNAP_MAGIC       "VGSN"
#define VG_SNAP_VERSION     1
#define VG_SNAP_HEADER_SIZE 24

/** Model kinds (schema ids). Never renumber: they are on disk. */
typedef enum {
        VG_SNAP_KIND_FTRL    = 1,
        VG_SNAP_KIND_SOFTMAX = 2,
        VG_SNAP_KIND_KMEANS  = 3,
        VG_SNAP_KIND_TEXT    = 4,
        VG_SNAP_KIND_PREQ    = 5,
        VG_SNAP_KIND_CHANGE  = 10, /**< vigie-change: its models together */
        VG_SNAP_KIND_INCIDENT = 11, /**< vigie-incident: its models together */
        VG_SNAP_KIND_SURVEY  = 12, /**< vigie-survey: its models together */
        VG_SNAP_KIND_TEST    = 99, /**< for unit tests */
} vg_snap_kind_t;

/** @brief A growing snapshot being written. */
typedef struct vg_snap_writer_s vg_snap_writer_t;

/** @brief A bounds-checked cursor over a verified snapshot. */
typedef struct vg_snap_reader_s vg_snap_reader_t;

/** @brief Starts a snapshot of \p kind. Never fails (aborts on OOM). */
vg_snap_writer_t *vg_snap_writer_new(vg_snap_kind_t kind);

/** @brief Frees a writer without producing a buffer. NULL-safe. */
void vg_snap_writer_destroy(vg_snap_writer_t *sw);

void vg_snap_put_u8(vg_snap_writer_t *sw, uint8_t v);
void vg_snap_put_u32(vg_snap_writer_t *sw, uint32_t v);
void vg_snap_put_u64(vg_snap_writer_t *sw, uint64_t v);
void vg_snap_put_i64(vg_snap_writer_t *sw, int64_t v);
/** @brief Writes the exact bits of \p v. */
void vg_snap_put_f64(vg_snap_writer_t *sw, double v);
void vg_snap_put_f64v(vg_snap_writer_t *sw, const double *v, size_t n);
void vg_snap_put_f32v(vg_snap_writer_t *sw, const float *v, size_t n);
/** @brief Writes \p len raw bytes, length-prefixed (e.g. a nested
 *         snapshot). */
void vg_snap_put_bytes(vg_snap_writer_t *sw, const void *buf, size_t len);
/** @brief Writes a length-prefixed string; \p s may be NULL. */
void vg_snap_put_str(vg_snap_writer_t *sw, const char *s);

/**
 * @brief Writes a part's own snapshot as bytes (vg_snap_put_bytes()) and
 *        frees it: \p save_fn(\p model, &len) is one of the models' _save()
 *        functions (vg_ftrl_save(), vg_softmax_save()...). Read it back
 *        with vg_snap_get_bytes() and that model's _load().
 */
#define VG_SNAP_PUT_SAVED(sw, save_fn, model)                                  \
        do {                                                                   \
                size_t len_;                                                   \
                void *buf_ = save_fn(model, &len_);                            \
                vg_snap_put_bytes(sw, buf_, len_);                             \
                vg_free(buf_);                                                 \
        } while (0)

/**
 * @brief Seals the snapshot: header, length and checksums.
 * @returns the buffer, whose length is stored in \p *lenp.
 * @remark Destroys \p sw. The caller owns the buffer and frees it with
 *         vg_free().
 */
void *vg_snap_writer_finish(vg_snap_writer_t *sw, size_t *lenp);

/**
 * @brief Verifies the envelope of \p buf (magic, version, \p kind, length,
 *        both checksums) and opens a reader on its payload.
 * @returns the reader, or NULL with a reason in \p errstr.
 * @remark \p buf is borrowed and must outlive the reader.
 */
vg_snap_reader_t *vg_snap_reader_new(const void *buf, size_t len,
                                     vg_snap_kind_t kind, char *errstr,
                                     size_t errstr_size);

/**
 * @brief Closes a reader. NULL-safe.
 * @returns VG_OK if every read succeeded and the payload was consumed
 *          exactly, else VG_ERR_CORRUPT with the first error in \p errstr
 *          (which may be NULL).
 */
vg_err_t vg_snap_reader_destroy(vg_snap_reader_t *sr, char *errstr,
                                size_t errstr_size);

/** @returns 1 while no read has failed, else 0 (the error is sticky). */
int vg_snap_ok(const vg_snap_reader_t *sr);

/** @brief Marks the reader failed (semantic check); first error wins. */
void vg_snap_fail(vg_snap_reader_t *sr, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* Getters return 0 (or NULL) once the reader has failed; check
 * vg_snap_ok() or the result of vg_snap_reader_destroy(). */
uint8_t vg_snap_get_u8(vg_snap_reader_t *sr);
uint32_t vg_snap_get_u32(vg_snap_reader_t *sr);
uint64_t vg_snap_get_u64(vg_snap_reader_t *sr);
int64_t vg_snap_get_i64(vg_snap_reader_t *sr);
double vg_snap_get_f64(vg_snap_reader_t *sr);
/** @returns 1 if \p n doubles were read into \p v, else 0. */
int vg_snap_get_f64v(vg_snap_reader_t *sr, double *v, size_t n);
int vg_snap_get_f32v(vg_snap_reader_t *sr, float *v, size_t n);
/**
 * @brief Reads bytes written by vg_snap_put_bytes().
 * @returns a pointer into the snapshot (borrowed, valid as long as its
 *          buffer) and their count in \p *lenp, or NULL on error.
 */
const void *vg_snap_get_bytes(vg_snap_reader_t *sr, size_t *lenp);
/**
 * @returns a copy of the string (caller frees with vg_free()), or NULL for
 *          a NULL string or on error.
 */
char *vg_snap_get_str(vg_snap_reader_t *sr);
/** @returns the number of payload bytes not yet read. */
size_t vg_snap_remaining(const vg_snap_reader_t *sr);

/**
 * @brief Writes \p len bytes to \p path atomically: a temporary file in the
 *        same directory, fsync, rename.
 */
vg_err_t vg_snapshot_write_file(const char *path, const void *buf,
                                size_t len, char *errstr, size_t errstr_size);

/**
 * @brief Reads a whole file.
 * @remark On success the caller owns \p *bufp and frees it with vg_free().
 *         The content is not verified here: pass it to a model's _load().
 */
vg_err_t vg_snapshot_read_file(const char *path, void **bufp, size_t *lenp,
                               char *errstr, size_t errstr_size);

#endif /* VG_SNAPSHOT_H */
