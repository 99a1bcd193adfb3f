/*
 * wstore.h - the witness's state in the store: for each log origin the
 * size, root and text of the latest checkpoint the witness cosigned.
 * Implemented by src/store/sqlite_witness.c (table witness_log), whose
 * schema the store creates through store_witness_domain.
 *
 * Sizes are uint64 and stored bit-for-bit in SQLite's signed INTEGER.
 */
#ifndef BELFRY_WITNESS_WSTORE_H
#define BELFRY_WITNESS_WSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "tlog/tlog.h"

struct bf_err;
struct store;
struct store_txn;

struct witness_state {
    int found;                 /* 0: the witness never cosigned this origin */
    uint64_t size;
    tlog_hash root;
};

/* Reads the state of origin inside the write transaction t (so the value
 * cannot change before t commits). found = 0 when absent. */
int witness_store_get(struct store_txn *t, const char *origin, struct witness_state *out, struct bf_err *err);

/* Compare-and-swap inside t: records (size, root, checkpoint text) for
 * origin if its stored size is still old_size (or, with old_found == 0,
 * if there is no row yet). BF_ECONFLICT if another writer got there first. */
int witness_store_put(struct store_txn *t, const char *origin, int old_found, uint64_t old_size,
                      uint64_t size, const tlog_hash *root, const char *cp, size_t cp_len,
                      struct bf_err *err);

/* The latest cosigned checkpoint text of the origin whose SHA-256 is
 * origin_hash (reader connection). *cp is malloc'ed, caller frees.
 * BF_ENOTFOUND if none. */
int witness_store_checkpoint(struct store *s, const uint8_t origin_hash[32], char **cp, size_t *len,
                             struct bf_err *err);

#endif
