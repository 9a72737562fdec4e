#include "vg_log.h"
#include "vg_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

int vg_log_threshold          = VG_LOG_INFO;
static const char *vg_log_prog = "vigie";

static const char *vg_log_level_name(int level)
{
        switch (level) {
        case VG_LOG_FATAL: return "fatal";
        case VG_LOG_ERROR: return "error";
        case VG_LOG_WARN:  return "warn";
        case VG_LOG_INFO:  return "info";
        default:           return "debug";
        }
}

int vg_log_set_level_name(const char *name)
{
        static const struct { const char *n; int l; } tbl[] = {
                {"fatal", VG_LOG_FATAL}, {"error", VG_LOG_ERROR},
                {"warn", VG_LOG_WARN},   {"info", VG_LOG_INFO},
                {"debug", VG_LOG_DEBUG},
        };
        for (size_t i = 0; i < sizeof(tbl) / sizeof(tbl[0]); i++) {
                if (!strcasecmp(name, tbl[i].n)) {
                        vg_log_threshold = tbl[i].l;
                        return 0;
                }
        }
        return -1;
}

void vg_log_set_program(const char *name)
{
        vg_log_prog = name;
}

void vg_log0(int level, const char *fac, const char *fmt, ...)
{
        char line[2048], msg[1600];
        struct timespec ts;
        struct tm tm;
        va_list ap;
        size_t j = 0;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);

        /* logfmt: escape quotes and newlines inside msg. */
        char esc[sizeof(msg) * 2];
        for (size_t i = 0; msg[i] && j < sizeof(esc) - 2; i++) {
                if (msg[i] == '"' || msg[i] == '\\')
                        esc[j++] = '\\';
                esc[j++] = msg[i] == '\n' ? ' ' : msg[i];
        }
        esc[j] = '\0';

        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        int n = snprintf(line, sizeof(line),
                         "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s "
                         "prog=%s fac=%s msg=\"%s\"\n",
                         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                         tm.tm_hour, tm.tm_min, tm.tm_sec,
                         ts.tv_nsec / 1000000, vg_log_level_name(level),
                         vg_log_prog, fac, esc);
        if (n < 0)
                return;
        if ((size_t)n >= sizeof(line)) {
                n              = sizeof(line) - 1;
                line[n - 1]    = '\n';
        }
        ssize_t r = write(STDERR_FILENO, line, (size_t)n);
        (void)r;
}

const char *vg_err_name(vg_err_t err)
{
        switch (err) {
        case VG_OK:          return "VG_OK";
        case VG_ERR_INVALID: return "VG_ERR_INVALID";
        case VG_ERR_IO:      return "VG_ERR_IO";
        case VG_ERR_NOENT:   return "VG_ERR_NOENT";
        case VG_ERR_DECODE:  return "VG_ERR_DECODE";
        case VG_ERR_SCHEMA:  return "VG_ERR_SCHEMA";
        case VG_ERR_TIMEOUT: return "VG_ERR_TIMEOUT";
        case VG_ERR_CORRUPT: return "VG_ERR_CORRUPT";
        case VG_ERR_UNAVAIL: return "VG_ERR_UNAVAIL";
        }
        return "VG_ERR_UNKNOWN";
}
