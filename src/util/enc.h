/*
 * enc.h - base64 (standard alphabet, padded, RFC 4648 §4), base64url and
 * lower-case hex. Decoders are strict: they reject bad characters, bad
 * padding and non-canonical trailing bits, because signatures and hashes
 * in notes must have one spelling only.
 */
#ifndef BELFRY_ENC_H
#define BELFRY_ENC_H

#include <stddef.h>
#include <stdint.h>

/* Encoded length (without NUL) of n bytes. */
size_t bf_b64_len(size_t n);
/* Writes bf_b64_len(n) chars plus NUL into out (size >= bf_b64_len(n)+1). */
void bf_b64_encode(const void *in, size_t n, char *out);
/* Decodes s[0..slen) into out (capacity outcap). Returns decoded length or
 * BF_EINVAL (bad input) / BF_ELIMIT (out too small). */
long bf_b64_decode(const char *s, size_t slen, void *out, size_t outcap);

void bf_hex_encode(const void *in, size_t n, char *out); /* 2n chars + NUL */
/* Decodes exactly slen/2 bytes; slen must be even. Returns bytes or BF_EINVAL/BF_ELIMIT. */
long bf_hex_decode(const char *s, size_t slen, void *out, size_t outcap);

/* 1 if s[0..n) is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
int bf_utf8_valid(const char *s, size_t n);

#endif
