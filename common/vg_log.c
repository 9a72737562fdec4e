#include "vg_log.h"
#include "vg_err.h"
#include "vg_utf8.h"

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

/* The message in logfmt's quotes: '"' and '\\' escaped, a newline as a
 * space, well-formed UTF-8 characters as they are and each ill-formed
 * byte as \xNN (the bytes stay readable, as in Go's %q), so a line is
 * valid UTF-8 whatever the message holds. Only whole characters and whole
 * escapes are written into line[j..room).
 * @returns the new end, and sets *cutp if the message did not fit. */
static size_t vg_log_escape(char *line, size_t j, size_t room,
                            const char *msg, size_t len, int *cutp)
{
        static const char hex[] = "0123456789abcdef";
        size_t i = 0, n;
        char esc[4];

        while (i < len) {
                const char *unit = esc;
                unsigned char c  = (unsigned char)msg[i];

                if (c == '"' || c == '\\') {
                        esc[0] = '\\';
                        esc[1] = (char)c;
                        n      = 2;
                } else if (c == '\n') {
                        esc[0] = ' ';
                        n      = 1;
                } else if (c < 0x80) {
                        unit = msg + i;
                        n    = 1;
                } else if ((n = vg_utf8_decode(msg + i, len - i, NULL))) {
                        unit = msg + i;
                } else {
                        esc[0] = '\\';
                        esc[1] = 'x';
                        esc[2] = hex[c >> 4];
                        esc[3] = hex[c & 0xf];
                        n      = 4;
                }
                if (n > room - j) {
                        *cutp = 1;
                        break;
                }
                memcpy(line + j, unit, n);
                j += n;
                i += unit == esc ? 1 : n;
        }
        return j;
}

void vg_log0(int level, const char *fac, const char *fmt, ...)
{
        static const char ellipsis[] = "...";
        char line[VG_LOG_LINE_MAX], msg[1600];
        struct timespec ts;
        struct tm tm;
        va_list ap;
        size_t len, j, room;
        int n, cut = 0;

        va_start(ap, fmt);
        n = vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        len = (size_t)n;
        if (len >= sizeof(msg)) { /* cut by vsnprintf, maybe mid-character */
                len = vg_utf8_trim_partial(msg, sizeof(msg) - 1);
                cut = 1;
        }

        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        n = snprintf(line, sizeof(line) / 2,
                     "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s "
                     "prog=%s fac=%s msg=\"",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000,
                     vg_log_level_name(level), vg_log_prog, fac);
        if (n < 0 || (size_t)n >= sizeof(line) / 2)
                return; /* a program or facility name of 1 KiB */
        /* room for the message, then "..." if cut, then "\"\n" */
        room = sizeof(line) - (sizeof(ellipsis) - 1) - 2;
        j    = vg_log_escape(line, (size_t)n, room, msg, len, &cut);
        if (cut) {
                memcpy(line + j, ellipsis, sizeof(ellipsis) - 1);
                j += sizeof(ellipsis) - 1;
        }
        line[j++] = '"';
        line[j++] = '\n';
        ssize_t r = write(STDERR_FILENO, line, j);
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
        case VG_ERR_AUTH:    return "VG_ERR_AUTH";
        }
        return "VG_ERR_UNKNOWN";
}
