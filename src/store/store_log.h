/*
 * store_log.h - log storage: entries, stored subtree hashes, checkpoints.
 *
 * This is the storage side of the ledger (src/ledger/). What is stored is
 * only ever complete and immutable:
 *
 *   - every entry with its leaf hash (tile level 0),
 *   - for every tile level L >= 1 the hash of each complete subtree of
 *     256^L leaves (one per full tile of level L-1),
 *   - every signed checkpoint, by size (the history a monitor or `belfry
 *     check` compares against),
 *   - the witnesses' cosignature lines of the sizes they cosigned.
 *
 * Partial tiles and partial entry bundles are never written: they are cut
 * from these rows when served, so a stale partial can never pile up on
 * disk (the TesseraCT 146 GB vs 4.4 GB problem) and storage stays at the
 * payload plus ~32.13 bytes per entry.
 *
 * Writes go through the ledger's group-commit transaction (the caller
 * holds a struct store_txn), except cosignatures, which arrive later and
 * take a transaction of their own; reads use this thread's reader connection and
 * see the latest committed state. A future PostgreSQL backend implements
 * the same functions in its own file.
 *
 * Errors: 0 or a negative BF_E* code with a message in err. Reads return
 * BF_ENOTFOUND when a requested row does not exist and BF_ECORRUPT when a
 * row exists but is malformed (a hash that is not 32 bytes).
 */
#ifndef BELFRY_STORE_LOG_H
#define BELFRY_STORE_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "tlog/tlog.h"

struct bf_err;
struct bf_buf;
struct store;
struct store_txn;

extern const struct store_domain store_log_domain;

/* ---- writes (inside the sequencer's transaction) ------------------- */

int store_log_put_entry(struct store_txn *t, uint64_t idx, const tlog_hash *leaf, const void *data, size_t len,
                        struct bf_err *err);
/* level >= 1: hash of leaves [idx * 256^level, (idx + 1) * 256^level). */
int store_log_put_hash(struct store_txn *t, int level, uint64_t idx, const tlog_hash *h, struct bf_err *err);
/* Stores a signed checkpoint (note text and signature) for size. */
int store_log_put_checkpoint(struct store_txn *t, uint64_t size, const char *note, size_t len, struct bf_err *err);
/* Stores the witness cosignature lines ("— <name> <base64>" lines, each
 * ending in a newline) of the checkpoint of `size`, in a transaction of
 * its own. Once per size: a second call for one size is a constraint
 * error (BF_EIO), nothing changed. */
int store_log_put_cosig(struct store *s, uint64_t size, const char *lines, size_t len, struct bf_err *err);
/* The cosignature lines stored for `size`: *lines malloc'ed
 * (NUL-terminated, *len bytes), caller frees. BF_ENOTFOUND if none. */
int store_log_cosig(struct store *s, uint64_t size, char **lines, size_t *len, struct bf_err *err);

/* ---- reads ---------------------------------------------------------- */

/* Reads count hashes of tile level `level` starting at index first into
 * out[0..count). Level 0 hashes are the entries' leaf hashes. BF_ENOTFOUND
 * if any is missing. */
int store_log_hashes(struct store *s, int level, uint64_t first, int count, tlog_hash *out, struct bf_err *err);
/* Appends the entry bundle for entries [first, first + count): for each,
 * u16 big-endian length then the bytes. BF_ENOTFOUND if any is missing. */
int store_log_bundle(struct store *s, uint64_t first, int count, struct bf_buf *out, struct bf_err *err);
/* Appends the raw bytes of entry idx; *leaf (if non-NULL) gets its stored
 * leaf hash. */
int store_log_entry(struct store *s, uint64_t idx, struct bf_buf *out, tlog_hash *leaf, struct bf_err *err);
/* Number of stored entries (max index + 1, 0 if none). */
int store_log_count(struct store *s, uint64_t *n, struct bf_err *err);
/* The signed checkpoint of exactly `size`, or the latest one when size is
 * UINT64_MAX. *note is malloc'ed (NUL-terminated), caller frees. *got_size
 * may be NULL. BF_ENOTFOUND if there is none. */
#define STORE_LOG_LATEST UINT64_MAX
int store_log_checkpoint(struct store *s, uint64_t size, char **note, size_t *len, uint64_t *got_size,
                         struct bf_err *err);

/* Calls fn for every entry with index >= from, in index order, until fn
 * returns non-zero (which is returned). data is valid during the call. */
typedef int (*store_log_entry_fn)(void *ctx, uint64_t idx, const tlog_hash *leaf, const void *data, size_t len,
                                  struct bf_err *err);
int store_log_scan_entries(struct store *s, uint64_t from, store_log_entry_fn fn, void *ctx, struct bf_err *err);
/* Calls fn for every stored hash of level >= 1, by level then index. */
typedef int (*store_log_hash_fn)(void *ctx, int level, uint64_t idx, const tlog_hash *h, struct bf_err *err);
int store_log_scan_hashes(struct store *s, store_log_hash_fn fn, void *ctx, struct bf_err *err);
/* Calls fn for every stored checkpoint in increasing size. */
typedef int (*store_log_cp_fn)(void *ctx, uint64_t size, const char *note, size_t len, struct bf_err *err);
int store_log_scan_checkpoints(struct store *s, store_log_cp_fn fn, void *ctx, struct bf_err *err);

/* SQLite's own page-level check (PRAGMA quick_check): BF_ECORRUPT with
 * SQLite's first complaint if the file is damaged. */
int store_log_quick_check(struct store *s, struct bf_err *err);

#endif
