/*
 * tlog_int.h - helpers shared by the files of src/tlog/ only (not part of
 * the contract in tlog.h): Ed25519 through OpenSSL, strict decimal
 * parsing, base64 of a hash, and buffer rollback on a failed append.
 */
#ifndef BELFRY_TLOG_INT_H
#define BELFRY_TLOG_INT_H

#include <stddef.h>
#include <stdint.h>

struct bf_buf;
struct bf_err;

/* Ed25519 sign (64-byte signature) of msg with the 32-byte seed. Each call
 * builds and frees its own OpenSSL objects, so it is thread-safe. */
int tlog_ed25519_sign(const uint8_t seed[32], const void *msg, size_t len, uint8_t sig[64],
                      struct bf_err *err);
/* Derives the public key of seed. */
int tlog_ed25519_public(const uint8_t seed[32], uint8_t pub[32], struct bf_err *err);
/* 1 if sig verifies, 0 if not (also for any OpenSSL failure). */
int tlog_ed25519_verify(const uint8_t pub[32], const void *msg, size_t len, const uint8_t *sig,
                        size_t siglen);
/* Ed25519 verify of m1 ‖ m2 (concatenated in a temporary heap buffer). */
int tlog_ed25519_verify2(const uint8_t pub[32], const void *m1, size_t l1, const void *m2, size_t l2,
                         const uint8_t *sig, size_t siglen);

/* Canonical unsigned decimal: "0" or [1-9][0-9]*, fits in uint64_t.
 * Returns 0 or BF_EINVAL. */

/* Decodes exactly 44 base64 characters into a 32-byte hash. 0 or BF_EINVAL. */
int tlog_parse_hash(const char *s, size_t len, uint8_t out[32]);

/* Truncates b back to len (after a partly failed multi-part append). */
void tlog_buf_rollback(struct bf_buf *b, size_t len);

/* Key ID: big-endian first 4 bytes of SHA-256(name ‖ '\n' ‖ type ‖ pub). */
uint32_t tlog_key_id(const char *name, size_t len, uint8_t type, const uint8_t pub[32]);

/* Writes "cosignature/v1\ntime <t>\n" into buf (cap >= 64) and returns its
 * length (cosig.c). */
size_t tlog_cosig_prefix(uint64_t t, char *buf, size_t cap);

/* The em dash and space that open every signature line. */
#define TLOG_SIG_PREFIX "\xe2\x80\x94 "
#define TLOG_SIG_PREFIX_LEN 4

#endif
