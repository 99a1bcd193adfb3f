/*
 * store_pack_int.h - the packed form's codec (store_pack.h), without the
 * dictionaries' storage: shared by sqlite_pack.c, its tests and the
 * fuzz target. Not for domains.
 */
#ifndef BELFRY_STORE_PACK_INT_H
#define BELFRY_STORE_PACK_INT_H

#include <stddef.h>
#include <stdint.h>
#include <zstd.h>

struct bf_buf;
struct bf_err;

#define STORE_PACK_MAGIC0 0x02
#define STORE_PACK_MAGIC1 'Z'
#define STORE_PACK_MAX ((size_t)256 << 20) /* the largest value unpacked */
#define STORE_PACK_MIN 128                 /* shorter texts are stored as they are */

/* The prefix of p[0..n): 1 packed (*id >= 1 and *hlen, the prefix's
 * length, set), 0 plain, BF_ECORRUPT when the prefix is there but its
 * dictionary number is damaged. */
int store_pack_header(const void *p, size_t n, uint32_t *id, size_t *hlen);

/* The packed form of text[0..len) with dictionary id (cd) into out (its
 * contents replaced). 1 packed; 0 when it would not be shorter or zstd
 * failed (out then holds nothing useful). */
int store_pack_encode(ZSTD_CCtx *cc, const ZSTD_CDict *cd, uint32_t id, const char *text, size_t len,
                      struct bf_buf *out);

/* The text of packed p[0..n) whose prefix is hlen bytes, with dd, into
 * out (replaced, NUL-terminated). BF_ECORRUPT for a damaged frame or a
 * length that does not match; BF_ELIMIT past STORE_PACK_MAX or out's
 * limit. Messages go to err. */
int store_pack_decode(ZSTD_DCtx *dc, const ZSTD_DDict *dd, const void *p, size_t n, size_t hlen, struct bf_buf *out,
                      struct bf_err *err);

#endif
