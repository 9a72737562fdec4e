/**
 * @file vg_time.h
 * @brief Timestamps: parsing the formats ITSM exports use into epoch
 *        milliseconds (UTC), and formatting millis as ISO-8601.
 *
 * Accepted input formats (leading and trailing blanks are ignored):
 *  - "YYYY-MM-DD HH:MM:SS"              ServiceNow export (UTC)
 *  - "YYYY-MM-DDTHH:MM:SS[.f..][Z|+hh:mm|-hh:mm|+hhmm]"   ISO-8601;
 *    without a zone the time is taken as UTC; fractions beyond
 *    milliseconds are truncated. The space form takes the same suffixes.
 *  - "D[D]/M[M]/YYYY HH:MM[:SS]"       UCI ServiceNow event log (UTC)
 *  - "[-]N..."                          integer epoch milliseconds
 *
 * Dates are checked (month 1..12, day within the month, leap years,
 * hour 0..23, minute and second 0..59). Conversion uses timegm(3) and
 * gmtime_r(3): no dependence on TZ or the locale.
 *
 * @locality All functions are reentrant and thread-safe.
 */
#ifndef VG_TIME_H
#define VG_TIME_H

#include <stddef.h>
#include <stdint.h>

#include "vg_err.h"

/** Size of a buffer that always holds vg_time_format()'s output. */
#define VG_TIME_ISO_SIZE 32

/**
 * @brief Parses \p len bytes of \p s (need not be NUL-terminated) into
 *        epoch milliseconds UTC.
 *
 * @returns VG_OK and sets \p *msp, or VG_ERR_INVALID with a message in
 *          \p errstr such as `cannot parse timestamp "2016-13-01 10:00:00":
 *          month out of range`.
 */
vg_err_t vg_time_parsen(const char *s, size_t len, int64_t *msp,
                        char *errstr, size_t errstr_size);

/** @brief vg_time_parsen() on a NUL-terminated string. */
vg_err_t vg_time_parse(const char *s, int64_t *msp, char *errstr,
                       size_t errstr_size);

/**
 * @brief Formats \p ms as "YYYY-MM-DDTHH:MM:SS.mmmZ" into \p buf.
 *
 * @param size at least VG_TIME_ISO_SIZE for any representable time.
 * @returns \p buf (truncated output if \p size is too small).
 */
char *vg_time_format(int64_t ms, char *buf, size_t size);

/** @returns the current wall-clock time in epoch milliseconds. */
int64_t vg_time_now_ms(void);

/** @returns a monotonic clock in microseconds, for intervals (never for
 *           event time). */
int64_t vg_time_mono_us(void);

#endif /* VG_TIME_H */
