/*
 * sha256.h - SHA-256 through OpenSSL's one-shot and streaming APIs with a
 * pre-fetched EVP_MD (per-call fetches are slow in OpenSSL 3, #21005).
 */
#ifndef BELFRY_SHA256_H
#define BELFRY_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define BF_SHA256_LEN 32

void bf_sha256(const void *data, size_t n, uint8_t out[BF_SHA256_LEN]);
/* SHA-256 of the concatenation a ‖ b (either may be empty). */
void bf_sha256_2(const void *a, size_t an, const void *b, size_t bn, uint8_t out[BF_SHA256_LEN]);
/* Lower-case hex digest into out[65]. */
void bf_sha256_hex(const void *data, size_t n, char out[65]);

/* Cryptographically secure random bytes (getrandom); aborts if the kernel
 * cannot supply them, since a token or salt must never be predictable. */
void bf_random(void *out, size_t n);

/* Constant-time comparison; 1 if equal. */
int bf_ct_equal(const void *a, const void *b, size_t n);

#endif
