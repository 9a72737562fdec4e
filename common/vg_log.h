/**
 * @file vg_log.h
 * @brief Leveled logging in logfmt on stderr:
 *        ts=2026-11-25T19:30:01.123Z level=info fac=kafka msg="..."
 *
 * One entry point, vg_log(level, fac, fmt, ...), printf-checked; the level is
 * tested before anything is formatted. Thread-safe (one write(2) per line),
 * so librdkafka's log callback may route into it from its own threads.
 *
 * In msg, '"' and '\' are escaped and newlines become spaces; a line is
 * valid UTF-8 whatever the message holds (an ill-formed byte is written
 * \xNN). A line is at most VG_LOG_LINE_MAX bytes: a longer message is cut
 * at a character boundary and ends with "...", the line still ends with
 * the closing quote and a newline.
 */
#ifndef VG_LOG_H
#define VG_LOG_H

/** Longest line written, newline included. */
#define VG_LOG_LINE_MAX 2048

typedef enum {
        VG_LOG_FATAL = 0,
        VG_LOG_ERROR = 3,
        VG_LOG_WARN  = 4,
        VG_LOG_INFO  = 6,
        VG_LOG_DEBUG = 7,
} vg_log_level_t;

/** Current threshold: lines above it are dropped before formatting. */
extern int vg_log_threshold;

/** @brief Sets the threshold from a name ("error", "warn", "info",
 *         "debug"). @returns 0, or -1 on an unknown name. */
int vg_log_set_level_name(const char *name);

/** @brief Sets the program name logged with every line (not copied). */
void vg_log_set_program(const char *name);

void vg_log0(int level, const char *fac, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

#define vg_log(level, fac, ...)                                                \
        do {                                                                   \
                if ((int)(level) <= vg_log_threshold)                          \
                        vg_log0(level, fac, __VA_ARGS__);                      \
        } while (0)

#define vg_err(fac, ...)   vg_log(VG_LOG_ERROR, fac, __VA_ARGS__)
#define vg_warn(fac, ...)  vg_log(VG_LOG_WARN, fac, __VA_ARGS__)
#define vg_info(fac, ...)  vg_log(VG_LOG_INFO, fac, __VA_ARGS__)
#define vg_dbg(fac, ...)   vg_log(VG_LOG_DEBUG, fac, __VA_ARGS__)

#endif /* VG_LOG_H */
