/**
 * @file vg_err.h
 * @brief vigie's error codes. 0 is success, as NGX_OK and avro's 0.
 */
#ifndef VG_ERR_H
#define VG_ERR_H

typedef enum {
        VG_OK = 0,
        VG_ERR_INVALID  = -1, /**< bad argument or bad input data */
        VG_ERR_IO       = -2, /**< file, socket or server error */
        VG_ERR_NOENT    = -3, /**< not found */
        VG_ERR_DECODE   = -4, /**< cannot decode a record */
        VG_ERR_SCHEMA   = -5, /**< unknown or incompatible schema */
        VG_ERR_TIMEOUT  = -6, /**< timed out */
        VG_ERR_CORRUPT  = -7, /**< checksum or format mismatch */
        VG_ERR_UNAVAIL  = -8, /**< server unavailable (retriable) */
        VG_ERR_AUTH     = -9, /**< server refuses us: wrong or missing
                               *   credentials, or no permission (a
                               *   misconfiguration; retried with backoff
                               *   in case it is fixed server-side) */
} vg_err_t;

/** @returns a static, readable name of \p err ("VG_ERR_DECODE"...). */
const char *vg_err_name(vg_err_t err);

#endif /* VG_ERR_H */
