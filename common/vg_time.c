/**
 * @file vg_time.c
 * @brief Timestamp parsing and formatting (see vg_time.h).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vg_time.h"

/** A cursor over the input being parsed. */
typedef struct {
        const char *p;
        const char *end;
} vg_tcur_t;

/** Broken-down time as read from the input, before validation. */
typedef struct {
        int year, mon, day, hour, min, sec;
        int msec;
        int offset_min; /* east of UTC */
} vg_tparts_t;

static void vg_time_err(char *errstr, size_t errstr_size, const char *s,
                        size_t len, const char *reason)
{
        if (len > 64)
                len = 64;
        snprintf(errstr, errstr_size, "cannot parse timestamp \"%.*s\": %s",
                 (int)len, s, reason);
}

/** Reads between \p min and \p max decimal digits. @returns 0 or -1. */
static int vg_tcur_num(vg_tcur_t *c, int min, int max, int *valp)
{
        int n = 0, v = 0;

        while (c->p < c->end && n < max && isdigit((unsigned char)*c->p)) {
                v = v * 10 + (*c->p - '0');
                c->p++;
                n++;
        }
        if (n < min)
                return -1;
        *valp = v;
        return 0;
}

static int vg_tcur_char(vg_tcur_t *c, char ch)
{
        if (c->p >= c->end || *c->p != ch)
                return -1;
        c->p++;
        return 0;
}

static int vg_is_leap(int y)
{
        return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/** @returns NULL if \p tp is a valid date and time, else the reason. */
static const char *vg_tparts_check(const vg_tparts_t *tp)
{
        static const int mdays[12] = {31, 28, 31, 30, 31, 30,
                                      31, 31, 30, 31, 30, 31};
        int dim;

        if (tp->mon < 1 || tp->mon > 12)
                return "month out of range";
        dim = mdays[tp->mon - 1] + (tp->mon == 2 && vg_is_leap(tp->year));
        if (tp->day < 1 || tp->day > dim)
                return "day out of range for the month";
        if (tp->hour > 23)
                return "hour out of range";
        if (tp->min > 59)
                return "minute out of range";
        if (tp->sec > 59)
                return "second out of range";
        return NULL;
}

/** Optional ".fff…" then optional zone "Z", "+hh:mm", "-hh:mm", "+hhmm". */
static const char *vg_parse_frac_zone(vg_tcur_t *c, vg_tparts_t *tp)
{
        int sign, oh, om = 0, digits = 0;

        if (vg_tcur_char(c, '.') == 0) {
                tp->msec = 0;
                while (c->p < c->end && isdigit((unsigned char)*c->p)) {
                        if (digits < 3)
                                tp->msec = tp->msec * 10 + (*c->p - '0');
                        digits++;
                        c->p++;
                }
                if (digits == 0 || digits > 9)
                        return "bad fraction of second";
                for (; digits < 3; digits++)
                        tp->msec *= 10;
        }
        if (c->p == c->end)
                return NULL;
        if (*c->p == 'Z' || *c->p == 'z') {
                c->p++;
                return NULL;
        }
        if (*c->p != '+' && *c->p != '-')
                return "unexpected characters after the time";
        sign = *c->p == '-' ? -1 : 1;
        c->p++;
        if (vg_tcur_num(c, 2, 2, &oh) == -1)
                return "bad zone offset";
        if (vg_tcur_char(c, ':') == 0 || c->p < c->end) {
                if (vg_tcur_num(c, 2, 2, &om) == -1)
                        return "bad zone offset";
        }
        if (oh > 23 || om > 59)
                return "zone offset out of range";
        tp->offset_min = sign * (oh * 60 + om);
        return NULL;
}

/** "YYYY-MM-DD[T ]HH:MM:SS[.f][zone]" */
static const char *vg_parse_iso(vg_tcur_t *c, vg_tparts_t *tp)
{
        if (vg_tcur_num(c, 4, 4, &tp->year) || vg_tcur_char(c, '-') ||
            vg_tcur_num(c, 2, 2, &tp->mon) || vg_tcur_char(c, '-') ||
            vg_tcur_num(c, 2, 2, &tp->day))
                return "expected YYYY-MM-DD";
        if (c->p >= c->end ||
            (*c->p != 'T' && *c->p != 't' && *c->p != ' '))
                return "expected 'T' or ' ' between date and time";
        c->p++;
        if (vg_tcur_num(c, 2, 2, &tp->hour) || vg_tcur_char(c, ':') ||
            vg_tcur_num(c, 2, 2, &tp->min) || vg_tcur_char(c, ':') ||
            vg_tcur_num(c, 2, 2, &tp->sec))
                return "expected HH:MM:SS";
        return vg_parse_frac_zone(c, tp);
}

/** "D[D]/M[M]/YYYY H[H]:MM[:SS]" */
static const char *vg_parse_dmy(vg_tcur_t *c, vg_tparts_t *tp)
{
        if (vg_tcur_num(c, 1, 2, &tp->day) || vg_tcur_char(c, '/') ||
            vg_tcur_num(c, 1, 2, &tp->mon) || vg_tcur_char(c, '/') ||
            vg_tcur_num(c, 4, 4, &tp->year))
                return "expected DD/MM/YYYY";
        if (vg_tcur_char(c, ' ') || vg_tcur_num(c, 1, 2, &tp->hour) ||
            vg_tcur_char(c, ':') || vg_tcur_num(c, 2, 2, &tp->min))
                return "expected HH:MM after the date";
        if (vg_tcur_char(c, ':') == 0 && vg_tcur_num(c, 2, 2, &tp->sec))
                return "expected seconds after HH:MM:";
        if (c->p != c->end)
                return "unexpected characters after the time";
        return NULL;
}

/** "[-]digits": epoch millis. */
static const char *vg_parse_millis(const char *s, size_t len, int64_t *msp)
{
        char buf[32];
        char *end;
        long long v;

        if (len >= sizeof(buf))
                return "integer millis out of range";
        memcpy(buf, s, len);
        buf[len] = '\0';
        errno = 0;
        v     = strtoll(buf, &end, 10);
        if (errno == ERANGE || *end)
                return "integer millis out of range";
        *msp = (int64_t)v;
        return NULL;
}

static int vg_is_integer(const char *s, size_t len)
{
        size_t i = (len > 0 && s[0] == '-') ? 1 : 0;

        if (i == len)
                return 0;
        for (; i < len; i++)
                if (!isdigit((unsigned char)s[i]))
                        return 0;
        return 1;
}

vg_err_t vg_time_parsen(const char *s, size_t len, int64_t *msp,
                        char *errstr, size_t errstr_size)
{
        vg_tparts_t tp = {0};
        vg_tcur_t c;
        const char *reason;
        struct tm tm = {0};
        time_t t;

        while (len > 0 && isspace((unsigned char)*s)) {
                s++;
                len--;
        }
        while (len > 0 && isspace((unsigned char)s[len - 1]))
                len--;
        if (len == 0) {
                vg_time_err(errstr, errstr_size, s, len, "empty");
                return VG_ERR_INVALID;
        }
        if (vg_is_integer(s, len)) {
                reason = vg_parse_millis(s, len, msp);
                goto done;
        }

        c.p    = s;
        c.end  = s + len;
        reason = memchr(s, '/', len) ? vg_parse_dmy(&c, &tp)
                                     : vg_parse_iso(&c, &tp);
        if (!reason)
                reason = vg_tparts_check(&tp);
        if (reason)
                goto done;

        tm.tm_year = tp.year - 1900;
        tm.tm_mon  = tp.mon - 1;
        tm.tm_mday = tp.day;
        tm.tm_hour = tp.hour;
        tm.tm_min  = tp.min;
        tm.tm_sec  = tp.sec;
        t          = timegm(&tm);
        *msp       = (int64_t)t * 1000 + tp.msec -
               (int64_t)tp.offset_min * 60 * 1000;
done:
        if (reason) {
                vg_time_err(errstr, errstr_size, s, len, reason);
                return VG_ERR_INVALID;
        }
        return VG_OK;
}

vg_err_t vg_time_parse(const char *s, int64_t *msp, char *errstr,
                       size_t errstr_size)
{
        return vg_time_parsen(s, strlen(s), msp, errstr, errstr_size);
}

char *vg_time_format(int64_t ms, char *buf, size_t size)
{
        int64_t secs = ms / 1000;
        int msec     = (int)(ms % 1000);
        time_t t;
        struct tm tm;

        if (msec < 0) { /* floor division for times before 1970 */
                msec += 1000;
                secs -= 1;
        }
        t = (time_t)secs;
        if (!gmtime_r(&t, &tm)) {
                snprintf(buf, size, "%" PRId64, ms);
                return buf;
        }
        snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                 tm.tm_min, tm.tm_sec, msec);
        return buf;
}

int64_t vg_time_now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t vg_time_mono_us(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
