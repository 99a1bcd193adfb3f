/*
 * sqlite_witness.c - the witness's table: one row per log origin with the
 * size, root and full text of the latest checkpoint the witness cosigned
 * (the text is served on GET /<sha256(origin)>/checkpoint).
 *
 * Invariants: a row only ever moves forward, by compare-and-swap on the
 * size read in the same write transaction (UPDATE ... WHERE size = old);
 * the origin hash column is SHA-256(origin) so lookups by the monitoring
 * path never scan. Writes happen only through the writer connection of a
 * store transaction; reads of the served text use the thread's reader.
 */
#define STORE_SQLITE_INTERNAL
#include "common.h"
#include "sha256.h"
#include "store.h"
#include "witness/wstore.h"

static int witness_migrate(struct store *s, struct store_txn *t, struct bf_err *err)
{
    return store_sqlite_exec(store_sqlite_writer(t),
                             "CREATE TABLE IF NOT EXISTS witness_log("
                             " origin TEXT PRIMARY KEY,"
                             " origin_hash BLOB NOT NULL UNIQUE,"
                             " size INTEGER NOT NULL,"
                             " root BLOB NOT NULL,"
                             " checkpoint TEXT NOT NULL,"
                             " updated INTEGER NOT NULL) STRICT;",
                             err);
}

const struct store_domain store_witness_domain = { "witness", witness_migrate };

int witness_store_get(struct store_txn *t, const char *origin, struct witness_state *out, struct bf_err *err)
{
    struct store_conn *c = store_sqlite_writer(t);
    sqlite3_stmt *st = store_sqlite_stmt(c, "SELECT size, root FROM witness_log WHERE origin = ?", err);
    int rc;

    memset(out, 0, sizeof *out);
    if (!st)
        return err ? err->code : BF_EIO;
    sqlite3_bind_text(st, 1, origin, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        if (sqlite3_column_bytes(st, 1) != TLOG_HASH_LEN) {
            sqlite3_reset(st);
            return bf_err_set(err, BF_ECORRUPT, "witness state of %s has a root of the wrong length", origin);
        }
        out->found = 1;
        out->size = (uint64_t)sqlite3_column_int64(st, 0);
        memcpy(out->root.b, sqlite3_column_blob(st, 1), TLOG_HASH_LEN);
        rc = SQLITE_DONE;
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : store_sqlite_error(c->db, rc, err, "reading witness state");
}

int witness_store_put(struct store_txn *t, const char *origin, int old_found, uint64_t old_size,
                      uint64_t size, const tlog_hash *root, const char *cp, size_t cp_len,
                      struct bf_err *err)
{
    struct store_conn *c = store_sqlite_writer(t);
    uint8_t oh[BF_SHA256_LEN];
    sqlite3_stmt *st;
    int rc;

    if (old_found)
        st = store_sqlite_stmt(c, "UPDATE witness_log SET size = ?, root = ?, checkpoint = ?, updated = ?"
                                  " WHERE origin = ? AND size = ?", err);
    else
        st = store_sqlite_stmt(c, "INSERT INTO witness_log(size, root, checkpoint, updated, origin, origin_hash)"
                                  " VALUES(?, ?, ?, ?, ?, ?)", err);
    if (!st)
        return err ? err->code : BF_EIO;
    bf_sha256(origin, strlen(origin), oh);
    sqlite3_bind_int64(st, 1, (sqlite3_int64)size);
    sqlite3_bind_blob(st, 2, root->b, TLOG_HASH_LEN, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, cp, (int)cp_len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)time(NULL));
    sqlite3_bind_text(st, 5, origin, -1, SQLITE_STATIC);
    if (old_found)
        sqlite3_bind_int64(st, 6, (sqlite3_int64)old_size);
    else
        sqlite3_bind_blob(st, 6, oh, sizeof oh, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return store_sqlite_error(c->db, rc, err, "writing witness state");
    if (sqlite3_changes(c->db) != 1)
        return bf_err_set(err, BF_ECONFLICT, "witness state of %s changed concurrently", origin);
    return 0;
}

int witness_store_checkpoint(struct store *s, const uint8_t origin_hash[32], char **cp, size_t *len,
                             struct bf_err *err)
{
    struct store_conn *c = store_sqlite_reader(s, err);
    sqlite3_stmt *st;
    int rc;

    if (!c)
        return err ? err->code : BF_EIO;
    st = store_sqlite_stmt(c, "SELECT checkpoint FROM witness_log WHERE origin_hash = ?", err);
    if (!st)
        return err ? err->code : BF_EIO;
    sqlite3_bind_blob(st, 1, origin_hash, BF_SHA256_LEN, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *len = (size_t)sqlite3_column_bytes(st, 0);
        *cp = bf_xstrndup((const char *)sqlite3_column_text(st, 0), *len);
        sqlite3_reset(st);
        return 0;
    }
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return bf_err_set(err, BF_ENOTFOUND, "this witness has cosigned no checkpoint of that log");
    return store_sqlite_error(c->db, rc, err, "reading witness checkpoint");
}
