/*
 * hash.h - the one non-cryptographic hash of byte strings, for in-memory
 * hash tables, caches and ETag parts. Deterministic (no seed), so equal in
 * every process of one version; never stored, since a later version may
 * change it.
 *
 * bf_hash_cont(h, k, n) continues a hash h over k[0..n), mixing 8 bytes
 * at a time; bf_hash(k, n) starts from BF_HASH_BASIS. A hash continued
 * piece by piece equals the hash of the concatenation only when every
 * piece but the last is a multiple of 8 bytes long, so callers that build
 * a path's hash from its prefix's (the OCDS merges) always continue over
 * whole components and compare hashes of paths built the same way.
 */
#ifndef BELFRY_HASH_H
#define BELFRY_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define BF_HASH_BASIS 1469598103934665603ull

static inline uint64_t bf_hash_cont(uint64_t h, const void *key, size_t n)
{
    const unsigned char *k = key;
    const uint64_t mul = 0x9E3779B97F4A7C15ull;
    uint64_t w;

    while (n >= 8) {
        memcpy(&w, k, 8);
        h = (h ^ w) * mul;
        h ^= h >> 29;
        k += 8, n -= 8;
    }
    w = 0;
    if (n)
        memcpy(&w, k, n); /* n < 8: the top byte is free for the length */
    h = (h ^ w ^ ((uint64_t)n << 56)) * mul;
    return h ^ (h >> 32); /* the final fold puts high bits into the low ones tables index by */
}

static inline uint64_t bf_hash(const void *key, size_t n)
{
    return bf_hash_cont(BF_HASH_BASIS, key, n);
}

static inline uint64_t bf_hash_str(const char *s)
{
    return bf_hash(s, strlen(s));
}

#endif
