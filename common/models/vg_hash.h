/**
 * @file vg_hash.h
 * @brief Non-cryptographic hashing: a 64-bit string hash for feature hashing
 *        (the XXH64 algorithm, written here, no dependency) and CRC-32
 *        (IEEE 802.3: zlib's crc32()) for snapshot checksums.
 */
#ifndef VG_HASH_H
#define VG_HASH_H

#include <stddef.h>
#include <stdint.h>

/**
 * @brief 64-bit hash of \p len bytes at \p data with \p seed.
 * @returns the XXH64 digest (same values as the reference xxhash).
 */
uint64_t vg_hash64(const void *data, size_t len, uint64_t seed);

/** @brief vg_hash64() of a NUL-terminated string. */
uint64_t vg_hash64_str(const char *s, uint64_t seed);

/** @brief Finaliser that mixes the bits of an integer (murmur3 fmix64). */
static inline uint64_t vg_hash_mix64(uint64_t k)
{
        k ^= k >> 33;
        k *= 0xff51afd7ed558ccdULL;
        k ^= k >> 33;
        k *= 0xc4ceb9fe1a85ec53ULL;
        k ^= k >> 33;
        return k;
}

/**
 * @brief Updates a CRC-32 with \p len bytes. Start with \p crc = 0.
 * @returns the new CRC (crc32("123456789") == 0xCBF43926).
 */
uint32_t vg_crc32(uint32_t crc, const void *data, size_t len);

#endif /* VG_HASH_H */
