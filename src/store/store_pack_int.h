/*
 * store_pack_int.h - the packed form's codec (store_pack.h), without the
 * dictionaries' storage: shared by sqlite_pack.c, its tests and the
 * fuzz target. Not for domains.
 */
#ifndef BELFRY_STORE_PACK_INT_H
#define BELFRY_STORE_PACK_INT_H

#include <stddef.h>
#include <stdint.h>
#include <lz4.h>

struct bf_buf;
struct bf_err;

#define STORE_PACK_MAGIC0 0x02
#define STORE_PACK_MAGIC1 'L'
#define STORE_PACK_MAX ((size_t)256 << 20) /* the largest value unpacked */
#define STORE_PACK_MIN 128                 /* shorter texts are stored as they are */

/* The prefix of p[0..n): 1 packed (*id >= 1, *len the text's length and
 * *hlen the prefix's length set), 0 plain, BF_ECORRUPT when the prefix is
 * there but its numbers are damaged. */
int store_pack_header(const void *p, size_t n, uint32_t *id, uint64_t *len, size_t *hlen);

/* The packed form of text[0..len) into out (its contents replaced), with
 * dictionary id, whose loaded state is base (LZ4_loadDict; base and the
 * dictionary's bytes are only read). 1 packed; 0 when it would not be
 * shorter or does not fit an LZ4 block (out then holds nothing useful). */
int store_pack_encode(const LZ4_stream_t *base, uint32_t id, const char *text, size_t len, struct bf_buf *out);

/* The text of packed p[0..n) (prefix parsed: hlen, len) with dictionary
 * dict[0..dictlen) into out (replaced, NUL-terminated). BF_ECORRUPT for
 * a damaged block or one that does not decode to exactly len bytes;
 * BF_ELIMIT past STORE_PACK_MAX or out's limit. Messages go to err. */
int store_pack_decode(const char *dict, size_t dictlen, const void *p, size_t n, size_t hlen, uint64_t len,
                      struct bf_buf *out, struct bf_err *err);

#endif
