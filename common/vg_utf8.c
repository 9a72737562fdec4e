/**
 * @file vg_utf8.c
 * @brief Strict UTF-8 validation, truncation and JSON escaping
 *        (see vg_utf8.h).
 */
#include "vg_utf8.h"

#include <string.h>

/**
 * The well-formed sequences (Unicode Table 3-7): a lead byte gives the
 * length and the range of the second byte; the others are 80..BF.
 * @returns the length announced by lead byte \p c (2..4), or 0 if \p c
 *          cannot start a multi-byte character.
 */
static size_t vg_utf8_lead(uint8_t c, uint8_t *lo, uint8_t *hi)
{
        *lo = 0x80;
        *hi = 0xbf;
        if (c >= 0xc2 && c <= 0xdf)
                return 2;
        if (c >= 0xe0 && c <= 0xef) {
                if (c == 0xe0)
                        *lo = 0xa0; /* overlong below U+0800 */
                else if (c == 0xed)
                        *hi = 0x9f; /* surrogates D800..DFFF */
                return 3;
        }
        if (c >= 0xf0 && c <= 0xf4) {
                if (c == 0xf0)
                        *lo = 0x90; /* overlong below U+10000 */
                else if (c == 0xf4)
                        *hi = 0x8f; /* above U+10FFFF */
                return 4;
        }
        return 0;
}

/**
 * @returns the length the character starting at \p s announces if its
 *          \p n (< that length) bytes are all right so far, else 0.
 */
static size_t vg_utf8_partial(const uint8_t *s, size_t n)
{
        uint8_t lo, hi;
        size_t len, i;

        if (n == 0 || !(len = vg_utf8_lead(s[0], &lo, &hi)) || n >= len)
                return 0;
        if (n > 1 && (s[1] < lo || s[1] > hi))
                return 0;
        for (i = 2; i < n; i++)
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
        return len;
}

size_t vg_utf8_decode(const void *s_, size_t n, uint32_t *cpp)
{
        const uint8_t *s = s_;
        uint8_t lo, hi;
        uint32_t c;
        size_t len, i;

        if (n == 0)
                return 0;
        if (s[0] < 0x80) {
                if (cpp)
                        *cpp = s[0];
                return 1;
        }
        if (!(len = vg_utf8_lead(s[0], &lo, &hi)) || len > n ||
            s[1] < lo || s[1] > hi)
                return 0;
        c = (uint32_t)s[0] & (0x7fu >> len);
        c = (c << 6) | (s[1] & 0x3f);
        for (i = 2; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                c = (c << 6) | (s[i] & 0x3f);
        }
        if (cpp)
                *cpp = c;
        return len;
}

size_t vg_utf8_valid_prefix(const void *s_, size_t n)
{
        const uint8_t *s = s_;
        size_t i = 0, len;
        uint64_t w;

        while (i < n) {
                if (s[i] < 0x80) {
                        while (n - i >= 8) {
                                memcpy(&w, s + i, 8);
                                if (w & UINT64_C(0x8080808080808080))
                                        break;
                                i += 8;
                        }
                        while (i < n && s[i] < 0x80)
                                i++;
                        continue;
                }
                if (!(len = vg_utf8_decode(s + i, n - i, NULL)))
                        return i;
                i += len;
        }
        return n;
}

/** @returns the start of the character holding byte \p i - 1 of \p s,
 *           looking back over at most 3 continuation bytes. */
static size_t vg_utf8_last_start(const uint8_t *s, size_t i)
{
        size_t j = i - 1;

        while (j > 0 && i - j < VG_UTF8_CHAR_MAX && (s[j] & 0xc0) == 0x80)
                j--;
        return j;
}

size_t vg_utf8_truncate(const void *s_, size_t n, size_t max)
{
        const uint8_t *s = s_;
        size_t i, len;

        if (n <= max)
                return n;
        if (max == 0)
                return 0;
        /* A continuation byte never starts a character and a well-formed
         * character holds no other byte than its lead: the scan from the
         * start meets the last non-continuation byte before max. */
        i = vg_utf8_last_start(s, max + 1);
        if (i == max) /* byte max starts a character */
                return max;
        len = vg_utf8_decode(s + i, n - i, NULL);
        if (!len)
                len = vg_utf8_partial(s + i, n - i);
        return i + len > max ? i : max;
}

size_t vg_utf8_trim_partial(const void *s_, size_t n)
{
        const uint8_t *s = s_;
        size_t i;

        if (n == 0)
                return 0;
        i = vg_utf8_last_start(s, n);
        return vg_utf8_partial(s + i, n - i) ? i : n;
}

size_t vg_utf8_sanitize(char *dst, size_t size, const void *src_, size_t n)
{
        const uint8_t *src = src_;
        size_t i = 0, j = 0, len;

        if (size == 0)
                return 0;
        while (i < n) {
                const void *unit = src + i;
                len              = vg_utf8_decode(src + i, n - i, NULL);
                i += len ? len : 1;
                if (!len) {
                        unit = "\xef\xbf\xbd";
                        len  = 3;
                }
                if (len > size - 1 - j)
                        break;
                memcpy(dst + j, unit, len);
                j += len;
        }
        dst[j] = '\0';
        return j;
}

size_t vg_utf8_json_escape(char *dst, size_t size, const void *src_,
                           size_t n)
{
        static const char hex[] = "0123456789abcdef";
        const uint8_t *src = src_;
        size_t i = 0, j = 0, total = 0, len;
        int full = size == 0;
        char esc[8];

        while (i < n) {
                const char *unit = esc;
                uint8_t c        = src[i];

                if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
                        unit = (const char *)src + i;
                        len  = 1;
                } else if (c == '"' || c == '\\') {
                        esc[0] = '\\';
                        esc[1] = (char)c;
                        len    = 2;
                } else if (c == '\b' || c == '\f' || c == '\n' || c == '\r' ||
                           c == '\t') {
                        esc[0] = '\\';
                        esc[1] = c == '\b'   ? 'b'
                                 : c == '\f' ? 'f'
                                 : c == '\n' ? 'n'
                                 : c == '\r' ? 'r'
                                             : 't';
                        len = 2;
                } else if (c < 0x80) { /* the other controls, and DEL */
                        memcpy(esc, "\\u00", 4);
                        esc[4] = hex[c >> 4];
                        esc[5] = hex[c & 0xf];
                        len    = 6;
                } else if ((len = vg_utf8_decode(src + i, n - i, NULL))) {
                        unit = (const char *)src + i;
                } else {
                        memcpy(esc, "\\ufffd", 6);
                        len = 6;
                }
                i += unit == esc ? 1 : len;
                total += len;
                if (full || len > size - 1 - j) {
                        full = 1; /* nothing more is written, only counted */
                        continue;
                }
                memcpy(dst + j, unit, len);
                j += len;
        }
        if (size)
                dst[j] = '\0';
        return total;
}
