/*
 * sha256.c - hashing and randomness for the whole code base.
 */
#include "common.h"
#include "sha256.h"
#include "enc.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <sys/random.h>

void bf_sha256(const void *data, size_t n, uint8_t out[BF_SHA256_LEN])
{
    /* not SHA256(): in OpenSSL 3 it fetches the digest and allocates a
     * context per call, which showed in the import's profile */
    bf_sha256_2(data, n, NULL, 0, out);
}

void bf_sha256_2(const void *a, size_t an, const void *b, size_t bn, uint8_t out[BF_SHA256_LEN])
{
    /* SHA256_Init/Update/Final are deprecated in OpenSSL 3 but remain the
     * fastest path (no EVP fetch or context allocation per hash). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    SHA256_CTX c;
    SHA256_Init(&c);
    if (an)
        SHA256_Update(&c, a, an);
    if (bn)
        SHA256_Update(&c, b, bn);
    SHA256_Final(out, &c);
#pragma GCC diagnostic pop
}

void bf_sha256_hex(const void *data, size_t n, char out[65])
{
    uint8_t h[32];
    bf_sha256(data, n, h);
    bf_hex_encode(h, 32, out);
}

void bf_random(void *out, size_t n)
{
    unsigned char *p = out;
    while (n > 0) {
        ssize_t r = getrandom(p, n, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "belfry: getrandom: %s\n", strerror(errno));
            abort();
        }
        p += r;
        n -= (size_t)r;
    }
}

int bf_ct_equal(const void *a, const void *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0;
}
