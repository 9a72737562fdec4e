/**
 * @file vg_utf8.h
 * @brief UTF-8: strict validation, truncation at character boundaries,
 *        and JSON escaping of arbitrary bytes.
 *
 * Strict means RFC 3629 / Unicode Table 3-7 "well-formed": no overlong
 * forms (C0, C1, E0 80..9F, F0 80..8F), no surrogates (ED A0..BF), nothing
 * above U+10FFFF (F4 90.., F5..FF), no stray continuation bytes, no
 * sequence cut short. U+0000 is valid (Avro strings may hold it).
 *
 * An "ill-formed byte" below is a byte that does not start a well-formed
 * character where a left-to-right scan reaches it; it is one character of
 * its own for truncation, and one replacement for sanitising and escaping
 * (the substitution scheme of vg_avro_to_json(): one U+FFFD per byte).
 *
 * Pure functions on caller buffers: no allocation, no I/O, no locale, no
 * dependency beyond libc, so any module may use it.
 *
 * @locality thread-safe.
 */
#ifndef VG_UTF8_H
#define VG_UTF8_H

#include <stddef.h>
#include <stdint.h>

/** Longest UTF-8 encoding of one character, in bytes. */
#define VG_UTF8_CHAR_MAX 4

/** Most bytes vg_utf8_json_escape() writes for one input byte
 *  ("\u001f" or "\ufffd"): 6 * len + 1 bytes always hold the escape. */
#define VG_UTF8_JSON_MAX_PER_BYTE 6

/**
 * @brief Decodes the character at the start of \p s.
 * @param n bytes readable at \p s (may be 0).
 * @param cpp set to the code point on success (may be NULL).
 * @returns its length (1..4), or 0 if \p s does not start with a
 *          well-formed character (\p n is 0, an ill-formed byte, or a
 *          sequence cut short by \p n).
 */
size_t vg_utf8_decode(const void *s, size_t n, uint32_t *cpp);

/**
 * @returns the length of the longest valid prefix of \p s[0..n): \p n if
 *          all of it is valid UTF-8, else the offset of the first byte of
 *          the first ill-formed sequence. ASCII runs are checked eight
 *          bytes at a time.
 */
size_t vg_utf8_valid_prefix(const void *s, size_t n);

/** @returns 1 if \p s[0..n) is valid UTF-8, else 0. */
static inline int vg_utf8_valid(const void *s, size_t n)
{
        return vg_utf8_valid_prefix(s, n) == n;
}

/**
 * @brief Where to cut \p s[0..n) to keep at most \p max bytes without
 *        splitting a character.
 * @returns \p n if \p n <= \p max; else the largest length <= \p max that
 *          ends on a character boundary: a well-formed character (or one
 *          cut short by the end of \p s) that straddles \p max is dropped
 *          whole. Ill-formed bytes are characters of their own.
 */
size_t vg_utf8_truncate(const void *s, size_t n, size_t max);

/**
 * @brief For a buffer that was already cut at \p n bytes (snprintf,
 *        a fixed-size copy...): drops the 1 to 3 trailing bytes that begin
 *        a well-formed character but stop short of its end.
 * @returns \p n, or \p n minus that incomplete character.
 */
size_t vg_utf8_trim_partial(const void *s, size_t n);

/**
 * @brief Copies \p src[0..n) into \p dst as valid UTF-8: well-formed
 *        characters as they are, each ill-formed byte as U+FFFD
 *        (EF BF BD); stops before the first character or replacement that
 *        would not fit in \p size - 1 bytes (never mid-character).
 * @param dst NUL-terminated when \p size > 0 (may be NULL when it is 0).
 * @returns the number of bytes written (without the NUL).
 */
size_t vg_utf8_sanitize(char *dst, size_t size, const void *src, size_t n);

/**
 * @brief Escapes arbitrary bytes \p src[0..n) as the contents of a JSON
 *        string (without the surrounding quotes), snprintf-style.
 *
 * '"' and '\\' are escaped, control characters become \\b \\f \\n \\r \\t
 * or \\u00XX (DEL too), well-formed non-ASCII characters are copied as
 * UTF-8, and each ill-formed byte becomes \\ufffd (U+FFFD, the
 * REPLACEMENT CHARACTER). Not \\u00XX of the byte: that reads back as the
 * latin-1 character U+00XX, i.e. valid text that was never there, which a
 * reader cannot tell from a real "é" (a lone E9 and C3 A9 would look the
 * same); U+FFFD says "a byte here was not text", as vg_avro_to_json()
 * does. The bytes themselves are not recoverable from the escape: keep
 * them another way (hex) when they matter.
 *
 * Only whole escapes and whole characters are written: the output is
 * always a valid JSON string body, even when cut short by \p size.
 *
 * @param dst NUL-terminated when \p size > 0 (may be NULL when it is 0).
 * @returns the length of the whole escape (without the NUL), as
 *          snprintf(): the output was cut if it is >= \p size. At most
 *          VG_UTF8_JSON_MAX_PER_BYTE * \p n.
 */
size_t vg_utf8_json_escape(char *dst, size_t size, const void *src,
                           size_t n);

#endif /* VG_UTF8_H */
