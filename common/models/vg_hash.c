/**
 * @file vg_hash.c
 * @brief XXH64 and CRC-32, written from their public specifications.
 */
#include "vg_hash.h"

#include <string.h>
#include <zlib.h>

#define P1 0x9E3779B185EBCA87ULL
#define P2 0xC2B2AE3D27D4EB4FULL
#define P3 0x165667B19E3779F9ULL
#define P4 0x85EBCA77C2B2AE63ULL
#define P5 0x27D4EB2F165667C5ULL

static inline uint64_t rotl64(uint64_t x, int r)
{
        return (x << r) | (x >> (64 - r));
}

/* Little-endian loads whatever the host; memcpy keeps them alignment-safe. */
static inline uint64_t rd64(const unsigned char *p)
{
        uint64_t v;
        memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        v = __builtin_bswap64(v);
#endif
        return v;
}

static inline uint32_t rd32(const unsigned char *p)
{
        uint32_t v;
        memcpy(&v, p, 4);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        v = __builtin_bswap32(v);
#endif
        return v;
}

static inline uint64_t xxh_round(uint64_t acc, uint64_t in)
{
        acc += in * P2;
        acc = rotl64(acc, 31);
        return acc * P1;
}

static inline uint64_t xxh_merge(uint64_t acc, uint64_t val)
{
        acc ^= xxh_round(0, val);
        return acc * P1 + P4;
}

uint64_t vg_hash64(const void *data, size_t len, uint64_t seed)
{
        const unsigned char *p   = data;
        const unsigned char *end = p + len;
        uint64_t h;

        if (len >= 32) {
                const unsigned char *limit = end - 32;
                uint64_t v1 = seed + P1 + P2, v2 = seed + P2;
                uint64_t v3 = seed, v4 = seed - P1;
                do {
                        v1 = xxh_round(v1, rd64(p));
                        v2 = xxh_round(v2, rd64(p + 8));
                        v3 = xxh_round(v3, rd64(p + 16));
                        v4 = xxh_round(v4, rd64(p + 24));
                        p += 32;
                } while (p <= limit);
                h = rotl64(v1, 1) + rotl64(v2, 7) + rotl64(v3, 12) +
                    rotl64(v4, 18);
                h = xxh_merge(h, v1);
                h = xxh_merge(h, v2);
                h = xxh_merge(h, v3);
                h = xxh_merge(h, v4);
        } else {
                h = seed + P5;
        }
        h += (uint64_t)len;

        for (; p + 8 <= end; p += 8) {
                h ^= xxh_round(0, rd64(p));
                h = rotl64(h, 27) * P1 + P4;
        }
        if (p + 4 <= end) {
                h ^= (uint64_t)rd32(p) * P1;
                h = rotl64(h, 23) * P2 + P3;
                p += 4;
        }
        for (; p < end; p++) {
                h ^= (uint64_t)*p * P5;
                h = rotl64(h, 11) * P1;
        }
        h ^= h >> 33;
        h *= P2;
        h ^= h >> 29;
        h *= P3;
        h ^= h >> 32;
        return h;
}

uint64_t vg_hash64_str(const char *s, uint64_t seed)
{
        return vg_hash64(s, strlen(s), seed);
}

/* CRC-32 is zlib's (the same polynomial and conventions, several times
 * faster than a byte-wise table: a checkpoint's megabytes are summed at
 * each level of its envelopes). */
uint32_t vg_crc32(uint32_t crc, const void *data, size_t len)
{
        const unsigned char *p = data;
        uLong c                = crc;
        while (len > 0) {
                uInt n = len > (1u << 30) ? (1u << 30) : (uInt)len;
                c      = crc32(c, p, n);
                p += n;
                len -= n;
        }
        return (uint32_t)c;
}
