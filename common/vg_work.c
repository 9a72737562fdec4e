/**
 * @file vg_work.c
 * @brief The changes at work on a CI: encoding, decoding and dedupe of
 *        the members of `ci:{ci}:work` (see vg_work.h).
 */
#include "vg_work.h"
#include "vg_utf8.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VG_WORK_FIELDS 6

/* Copies the text of \p src (a char array of \p cap bytes, up to its NUL
 * or its end) into \p dst (as large), cut at a character boundary to keep
 * a NUL, with tabs, CR and LF as spaces. @returns its length. */
static size_t vg_work_text(char *dst, const char *src, size_t cap)
{
        const char *z = memchr(src, '\0', cap);
        size_t n      = z ? (size_t)(z - src) : cap;

        n = vg_utf8_truncate(src, n, cap - 1);
        for (size_t i = 0; i < n; i++) {
                char c = src[i];
                dst[i] = c == '\t' || c == '\n' || c == '\r' ? ' ' : c;
        }
        dst[n] = '\0';
        return n;
}

size_t vg_work_encode(const vg_work_t *w, char *buf, size_t size)
{
        char number[sizeof(w->number)], type[sizeof(w->type)];
        double p = w->p_failure;
        int r;

        if (size > 0)
                buf[0] = '\0';
        if (isnan(p) ||
            !vg_work_text(number, w->number, sizeof(w->number)))
                return 0;
        vg_work_text(type, w->type, sizeof(w->type));
        if (!(p > 0))
                p = 0; /* and -0.0, which would print "-0.0000" */
        else if (p > 1)
                p = 1;
        r = snprintf(buf, size, "%s\t%lld\t%lld\t%lld\t%.4f\t%s", number,
                     (long long)w->event_time,
                     (long long)(w->start_ms < 0 ? -1 : w->start_ms),
                     (long long)(w->end_ms < 0 ? -1 : w->end_ms), p, type);
        if (r < 0 || (size_t)r >= size) {
                if (size > 0)
                        buf[0] = '\0';
                return 0;
        }
        return (size_t)r;
}

/* A decimal int64 ("-" then 1 to 19 digits), the whole of s[0..n). */
static int vg_work_int(const char *s, size_t n, int64_t *out)
{
        int neg = n > 0 && s[0] == '-';
        uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : INT64_MAX;
        size_t i = (size_t)neg;

        if (i == n || n - i > 19)
                return -1;
        for (; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -1;
                v = v * 10 + (uint64_t)(s[i] - '0'); /* < 10^19 < 2^64 */
        }
        if (v > lim)
                return -1;
        *out = neg ? (v == lim ? INT64_MIN : -(int64_t)v) : (int64_t)v;
        return 0;
}

/* A probability, the whole of s[0..n): "D" or "D.F..." (1 to 9 fraction
 * digits), in [0, 1]. Exact as strtod: both integers are below 2^53. */
static int vg_work_prob(const char *s, size_t n, double *out)
{
        uint64_t num = 0, den = 1;

        if (n == 0 || s[0] < '0' || s[0] > '1')
                return -1;
        num = (uint64_t)(s[0] - '0');
        if (n > 1) {
                if (s[1] != '.' || n < 3 || n - 2 > 9)
                        return -1;
                for (size_t i = 2; i < n; i++) {
                        if (s[i] < '0' || s[i] > '9')
                                return -1;
                        num = num * 10 + (uint64_t)(s[i] - '0');
                        den *= 10;
                }
        }
        if (num > den)
                return -1;
        *out = (double)num / (double)den;
        return 0;
}

int vg_work_decode(const char *s, size_t len, vg_work_t *w)
{
        const char *f[VG_WORK_FIELDS];
        size_t fl[VG_WORK_FIELDS], from = 0;
        int k = 0;

        for (size_t i = 0; i <= len; i++) {
                if (i == len || s[i] == '\t') {
                        if (k == VG_WORK_FIELDS)
                                return -1;
                        f[k]  = s + from;
                        fl[k] = i - from;
                        k++;
                        from = i + 1;
                } else if (s[i] == '\0' || s[i] == '\n' || s[i] == '\r') {
                        return -1;
                }
        }
        if (k != VG_WORK_FIELDS || fl[0] == 0 ||
            fl[0] >= sizeof(w->number) || fl[5] >= sizeof(w->type) ||
            vg_work_int(f[1], fl[1], &w->event_time) ||
            vg_work_int(f[2], fl[2], &w->start_ms) ||
            vg_work_int(f[3], fl[3], &w->end_ms) || w->start_ms < -1 ||
            w->end_ms < -1 || vg_work_prob(f[4], fl[4], &w->p_failure))
                return -1;
        memcpy(w->number, f[0], fl[0]);
        w->number[fl[0]] = '\0';
        memcpy(w->type, f[5], fl[5]);
        w->type[fl[5]] = '\0';
        return 0;
}

#define VG_WORK_CMP(a, b) (((a) > (b)) - ((a) < (b)))

/* Versions of one change: the greatest first. */
static int vg_work_cmp_version(const vg_work_t *a, const vg_work_t *b)
{
        int c;
        if ((c = VG_WORK_CMP(a->event_time, b->event_time)) ||
            (c = VG_WORK_CMP(a->start_ms, b->start_ms)) ||
            (c = VG_WORK_CMP(a->end_ms, b->end_ms)) ||
            (c = VG_WORK_CMP(a->p_failure, b->p_failure)))
                return -c;
        return -strncmp(a->type, b->type, sizeof(a->type));
}

/* By number, each change's greatest version first. */
static int vg_work_cmp_number(const void *pa, const void *pb)
{
        const vg_work_t *a = pa, *b = pb;
        int c = strncmp(a->number, b->number, sizeof(a->number));
        return c ? c : vg_work_cmp_version(a, b);
}

/* By start, then number. */
static int vg_work_cmp_start(const void *pa, const void *pb)
{
        const vg_work_t *a = pa, *b = pb;
        int c = VG_WORK_CMP(a->start_ms, b->start_ms);
        return c ? c : strncmp(a->number, b->number, sizeof(a->number));
}

int vg_work_latest(vg_work_t *ws, int n)
{
        int m = 0;

        if (n <= 0)
                return 0;
        qsort(ws, (size_t)n, sizeof(*ws), vg_work_cmp_number);
        for (int i = 0; i < n; i++) {
                if (m > 0 && !strncmp(ws[m - 1].number, ws[i].number,
                                      sizeof(ws[i].number)))
                        continue; /* an older version */
                if (m != i)
                        ws[m] = ws[i];
                m++;
        }
        qsort(ws, (size_t)m, sizeof(*ws), vg_work_cmp_start);
        return m;
}
