/*
 * sqlite_log.c - the SQLite tables of the transparency log (see
 * store_log.h for what is stored and why nothing partial ever is).
 *
 *   log_entry(idx, hash, data)        one row per entry; hash = leaf hash,
 *                                     stored before data so reading a
 *                                     level-0 tile never touches overflow
 *                                     pages of large entries
 *   log_hash(level, idx, hash)        complete 256^level-leaf subtrees,
 *                                     level >= 1 (WITHOUT ROWID)
 *   log_checkpoint(size, note)        every signed checkpoint
 *   log_cosig(size, lines)            witness cosignature lines collected
 *                                     for the checkpoint of that size (the
 *                                     first round that got any)
 *
 * Invariants: rows are only inserted, never updated (INSERT without OR
 * REPLACE, so a second write of an index is a constraint error, not a
 * silent rewrite); every hash is 32 bytes (CHECK constraint, and checked
 * again when read so a damaged file reports BF_ECORRUPT).
 */
#define STORE_SQLITE_INTERNAL
#include "common.h"
#include "store.h"
#include "store_log.h"
#include "buf.h"

static int log_migrate(struct store *s, struct store_txn *t, struct bf_err *err)
{
    (void)s;
    return store_sqlite_exec(store_sqlite_writer(t),
                             "CREATE TABLE IF NOT EXISTS log_entry("
                             " idx INTEGER PRIMARY KEY CHECK (idx >= 0),"
                             " hash BLOB NOT NULL CHECK (length(hash) = 32),"
                             " data BLOB NOT NULL CHECK (length(data) BETWEEN 1 AND 65535)) STRICT;"
                             "CREATE TABLE IF NOT EXISTS log_hash("
                             " level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 7),"
                             " idx INTEGER NOT NULL CHECK (idx >= 0),"
                             " hash BLOB NOT NULL CHECK (length(hash) = 32),"
                             " PRIMARY KEY (level, idx)) STRICT, WITHOUT ROWID;"
                             "CREATE TABLE IF NOT EXISTS log_checkpoint("
                             " size INTEGER PRIMARY KEY CHECK (size >= 0),"
                             " note TEXT NOT NULL) STRICT;"
                             "CREATE TABLE IF NOT EXISTS log_cosig("
                             " size INTEGER PRIMARY KEY CHECK (size >= 0),"
                             " lines TEXT NOT NULL CHECK (length(lines) > 0)) STRICT;",
                             err);
}

const struct store_domain store_log_domain = { "log", log_migrate };

/* ---- helpers ------------------------------------------------------- */

static int step_done(struct store_conn *c, sqlite3_stmt *st, struct bf_err *err, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return store_sqlite_error(c->db, rc, err, what);
    return 0;
}

static int column_hash(sqlite3_stmt *st, int col, tlog_hash *out, const char *what, uint64_t idx,
                       struct bf_err *err)
{
    const void *p = sqlite3_column_blob(st, col);
    if (!p || sqlite3_column_bytes(st, col) != TLOG_HASH_LEN)
        return bf_err_set(err, BF_ECORRUPT, "store: %s %" PRIu64 " has a malformed hash (%d bytes)", what, idx,
                          sqlite3_column_bytes(st, col));
    memcpy(out->b, p, TLOG_HASH_LEN);
    return 0;
}

static struct store_conn *reader(struct store *s, struct bf_err *err)
{
    return store_sqlite_reader(s, err);
}

#define ERRC(err) ((err) && (err)->code ? (err)->code : BF_EIO)

/* ---- writes --------------------------------------------------------- */

int store_log_put_entry(struct store_txn *t, uint64_t idx, const tlog_hash *leaf, const void *data, size_t len,
                        struct bf_err *err)
{
    struct store_conn *c = store_sqlite_writer(t);
    sqlite3_stmt *st = store_sqlite_stmt(c, "INSERT INTO log_entry(idx, hash, data) VALUES(?, ?, ?)", err);
    if (!st)
        return ERRC(err);
    sqlite3_bind_int64(st, 1, (sqlite3_int64)idx);
    sqlite3_bind_blob(st, 2, leaf->b, TLOG_HASH_LEN, SQLITE_STATIC);
    sqlite3_bind_blob(st, 3, data, (int)len, SQLITE_STATIC);
    return step_done(c, st, err, "log entry");
}

int store_log_put_hash(struct store_txn *t, int level, uint64_t idx, const tlog_hash *h, struct bf_err *err)
{
    struct store_conn *c = store_sqlite_writer(t);
    sqlite3_stmt *st = store_sqlite_stmt(c, "INSERT INTO log_hash(level, idx, hash) VALUES(?, ?, ?)", err);
    if (!st)
        return ERRC(err);
    sqlite3_bind_int(st, 1, level);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)idx);
    sqlite3_bind_blob(st, 3, h->b, TLOG_HASH_LEN, SQLITE_STATIC);
    return step_done(c, st, err, "log hash");
}

int store_log_put_checkpoint(struct store_txn *t, uint64_t size, const char *note, size_t len, struct bf_err *err)
{
    struct store_conn *c = store_sqlite_writer(t);
    sqlite3_stmt *st = store_sqlite_stmt(c, "INSERT INTO log_checkpoint(size, note) VALUES(?, ?)", err);
    if (!st)
        return ERRC(err);
    sqlite3_bind_int64(st, 1, (sqlite3_int64)size);
    sqlite3_bind_text(st, 2, note, (int)len, SQLITE_STATIC);
    return step_done(c, st, err, "log checkpoint");
}

int store_log_put_cosig(struct store *s, uint64_t size, const char *lines, size_t len, struct bf_err *err)
{
    struct store_txn *t;
    sqlite3_stmt *st;
    int rc = store_txn_begin(s, &t, err);

    if (rc)
        return rc;
    st = store_sqlite_stmt(store_sqlite_writer(t), "INSERT INTO log_cosig(size, lines) VALUES(?, ?)", err);
    if (!st) {
        store_txn_rollback(t);
        return ERRC(err);
    }
    sqlite3_bind_int64(st, 1, (sqlite3_int64)size);
    sqlite3_bind_text(st, 2, lines, (int)len, SQLITE_STATIC);
    if ((rc = step_done(store_sqlite_writer(t), st, err, "witness cosignatures")) < 0) {
        store_txn_rollback(t);
        return rc;
    }
    return store_txn_commit(t, err);
}

/* ---- reads ---------------------------------------------------------- */

int store_log_cosig(struct store *s, uint64_t size, char **lines, size_t *len, struct bf_err *err)
{
    struct store_conn *c = reader(s, err);
    sqlite3_stmt *st;
    int rc;

    *lines = NULL;
    if (!c)
        return ERRC(err);
    if (!(st = store_sqlite_stmt(c, "SELECT lines FROM log_cosig WHERE size = ?", err)))
        return ERRC(err);
    sqlite3_bind_int64(st, 1, (sqlite3_int64)size);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *len = (size_t)sqlite3_column_bytes(st, 0);
        *lines = bf_xstrndup((const char *)sqlite3_column_text(st, 0), *len);
        rc = 0;
    } else {
        rc = rc == SQLITE_DONE ? bf_err_set(err, BF_ENOTFOUND, "no cosignatures of size %" PRIu64, size)
                               : store_sqlite_error(c->db, rc, err, "reading cosignatures");
    }
    sqlite3_reset(st);
    return rc;
}

int store_log_hashes(struct store *s, int level, uint64_t first, int count, tlog_hash *out, struct bf_err *err)
{
    struct store_conn *c = reader(s, err);
    sqlite3_stmt *st;
    int n = 0, rc = 0, src;

    if (!c)
        return ERRC(err);
    if (level == 0)
        st = store_sqlite_stmt(c, "SELECT idx, hash FROM log_entry WHERE idx >= ?2 AND idx < ?3 ORDER BY idx", err);
    else
        st = store_sqlite_stmt(c, "SELECT idx, hash FROM log_hash WHERE level = ?1 AND idx >= ?2 AND idx < ?3 "
                                  "ORDER BY idx", err);
    if (!st)
        return ERRC(err);
    if (level)
        sqlite3_bind_int(st, 1, level);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)first);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)(first + (uint64_t)count));
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        uint64_t idx = (uint64_t)sqlite3_column_int64(st, 0);
        if (idx != first + (uint64_t)n)
            break;
        if ((rc = column_hash(st, 1, &out[n], level ? "subtree hash" : "entry", idx, err)) < 0)
            goto out;
        n++;
    }
    if (src != SQLITE_ROW && src != SQLITE_DONE) {
        rc = store_sqlite_error(c->db, src, err, "reading log hashes");
        goto out;
    }
    if (n != count)
        rc = bf_err_set(err, BF_ENOTFOUND, "store: level %d hash %" PRIu64 " is missing", level,
                        first + (uint64_t)n);
out:
    sqlite3_reset(st);
    return rc;
}

int store_log_bundle(struct store *s, uint64_t first, int count, struct bf_buf *out, struct bf_err *err)
{
    struct store_conn *c = reader(s, err);
    sqlite3_stmt *st;
    int n = 0, rc = 0, src;

    if (!c)
        return ERRC(err);
    st = store_sqlite_stmt(c, "SELECT idx, data FROM log_entry WHERE idx >= ? AND idx < ? ORDER BY idx", err);
    if (!st)
        return ERRC(err);
    sqlite3_bind_int64(st, 1, (sqlite3_int64)first);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)(first + (uint64_t)count));
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        const void *p = sqlite3_column_blob(st, 1);
        int len = sqlite3_column_bytes(st, 1);
        uint8_t pre[2];
        if ((uint64_t)sqlite3_column_int64(st, 0) != first + (uint64_t)n)
            break;
        if (!p || len < 1 || len > TLOG_MAX_ENTRY) {
            rc = bf_err_set(err, BF_ECORRUPT, "store: entry %" PRIu64 " has a malformed length %d",
                            first + (uint64_t)n, len);
            goto out;
        }
        pre[0] = (uint8_t)(len >> 8);
        pre[1] = (uint8_t)len;
        if ((rc = bf_buf_append(out, pre, 2)) < 0 || (rc = bf_buf_append(out, p, (size_t)len)) < 0) {
            bf_err_set(err, rc, "entry bundle larger than the response limit");
            goto out;
        }
        n++;
    }
    if (src != SQLITE_ROW && src != SQLITE_DONE) {
        rc = store_sqlite_error(c->db, src, err, "reading log entries");
        goto out;
    }
    if (n != count)
        rc = bf_err_set(err, BF_ENOTFOUND, "store: entry %" PRIu64 " is missing", first + (uint64_t)n);
out:
    sqlite3_reset(st);
    return rc;
}

int store_log_entry(struct store *s, uint64_t idx, struct bf_buf *out, tlog_hash *leaf, struct bf_err *err)
{
    struct store_conn *c = reader(s, err);
    sqlite3_stmt *st;
    int rc;

    if (!c)
        return ERRC(err);
    st = store_sqlite_stmt(c, "SELECT hash, data FROM log_entry WHERE idx = ?", err);
    if (!st)
        return ERRC(err);
    sqlite3_bind_int64(st, 1, (sqlite3_int64)idx);
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        rc = bf_err_set(err, BF_ENOTFOUND, "no log entry %" PRIu64, idx);
    } else if (rc != SQLITE_ROW) {
        rc = store_sqlite_error(c->db, rc, err, "reading a log entry");
    } else {
        rc = 0;
        if (leaf)
            rc = column_hash(st, 0, leaf, "entry", idx, err);
        if (!rc && out && bf_buf_append(out, sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1)) < 0)
            rc = bf_err_set(err, BF_ELIMIT, "entry %" PRIu64 " larger than the output limit", idx);
    }
    sqlite3_reset(st);
    return rc;
}

int store_log_count(struct store *s, uint64_t *n, struct bf_err *err)
{
    struct store_conn *c = reader(s, err);
    sqlite3_stmt *st;
    int rc;

    if (!c)
        return ERRC(err);
    st = store_sqlite_stmt(c, "SELECT max(idx) FROM log_entry", err);
    if (!st)
        return ERRC(err);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *n = sqlite3_column_type(st, 0) == SQLITE_NULL ? 0 : (uint64_t)sqlite3_column_int64(st, 0) + 1;
        rc = 0;
    } else {
        rc = store_sqlite_error(c->db, rc, err, "counting log entries");
    }
    sqlite3_reset(st);
    return rc;
}

int store_log_checkpoint(struct store *s, uint64_t size, char **note, size_t *len, uint64_t *got_size,
                         struct bf_err *err)
{
    struct store_conn *c = reader(s, err);
    sqlite3_stmt *st;
    int rc;

    if (!c)
        return ERRC(err);
    if (size == STORE_LOG_LATEST)
        st = store_sqlite_stmt(c, "SELECT size, note FROM log_checkpoint ORDER BY size DESC LIMIT 1", err);
    else
        st = store_sqlite_stmt(c, "SELECT size, note FROM log_checkpoint WHERE size = ?", err);
    if (!st)
        return ERRC(err);
    if (size != STORE_LOG_LATEST)
        sqlite3_bind_int64(st, 1, (sqlite3_int64)size);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        size_t n = (size_t)sqlite3_column_bytes(st, 1);
        const unsigned char *p = sqlite3_column_text(st, 1);
        *note = bf_xstrndup(p ? (const char *)p : "", n);
        if (len)
            *len = n;
        if (got_size)
            *got_size = (uint64_t)sqlite3_column_int64(st, 0);
        rc = 0;
    } else if (rc == SQLITE_DONE) {
        if (size == STORE_LOG_LATEST)
            rc = bf_err_set(err, BF_ENOTFOUND, "the log has no signed checkpoint (run `belfry init` first)");
        else
            rc = bf_err_set(err, BF_ENOTFOUND, "no checkpoint of size %" PRIu64 " was signed", size);
    } else {
        rc = store_sqlite_error(c->db, rc, err, "reading a checkpoint");
    }
    sqlite3_reset(st);
    return rc;
}

/* ---- scans (integrity check) ---------------------------------------- */

int store_log_scan_entries(struct store *s, uint64_t from, store_log_entry_fn fn, void *ctx, struct bf_err *err)
{
    struct store_conn *c = reader(s, err);
    sqlite3_stmt *st;
    int rc = 0, src;

    if (!c)
        return ERRC(err);
    st = store_sqlite_stmt(c, "SELECT idx, hash, data FROM log_entry WHERE idx >= ? ORDER BY idx", err);
    if (!st)
        return ERRC(err);
    sqlite3_bind_int64(st, 1, (sqlite3_int64)from);
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        uint64_t idx = (uint64_t)sqlite3_column_int64(st, 0);
        tlog_hash h;
        if ((rc = column_hash(st, 1, &h, "entry", idx, err)) < 0)
            break;
        rc = fn(ctx, idx, &h, sqlite3_column_blob(st, 2), (size_t)sqlite3_column_bytes(st, 2), err);
        if (rc)
            break;
    }
    if (!rc && src != SQLITE_DONE)
        rc = store_sqlite_error(c->db, src, err, "scanning log entries");
    sqlite3_reset(st);
    return rc;
}

int store_log_scan_hashes(struct store *s, store_log_hash_fn fn, void *ctx, struct bf_err *err)
{
    struct store_conn *c = reader(s, err);
    sqlite3_stmt *st;
    int rc = 0, src;

    if (!c)
        return ERRC(err);
    st = store_sqlite_stmt(c, "SELECT level, idx, hash FROM log_hash ORDER BY level, idx", err);
    if (!st)
        return ERRC(err);
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        uint64_t idx = (uint64_t)sqlite3_column_int64(st, 1);
        tlog_hash h;
        if ((rc = column_hash(st, 2, &h, "subtree hash", idx, err)) < 0)
            break;
        if ((rc = fn(ctx, sqlite3_column_int(st, 0), idx, &h, err)) != 0)
            break;
    }
    if (!rc && src != SQLITE_DONE)
        rc = store_sqlite_error(c->db, src, err, "scanning log hashes");
    sqlite3_reset(st);
    return rc;
}

int store_log_scan_checkpoints(struct store *s, store_log_cp_fn fn, void *ctx, struct bf_err *err)
{
    struct store_conn *c = reader(s, err);
    sqlite3_stmt *st;
    int rc = 0, src;

    if (!c)
        return ERRC(err);
    st = store_sqlite_stmt(c, "SELECT size, note FROM log_checkpoint ORDER BY size", err);
    if (!st)
        return ERRC(err);
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *p = sqlite3_column_text(st, 1);
        rc = fn(ctx, (uint64_t)sqlite3_column_int64(st, 0), p ? (const char *)p : "",
                (size_t)sqlite3_column_bytes(st, 1), err);
        if (rc)
            break;
    }
    if (!rc && src != SQLITE_DONE)
        rc = store_sqlite_error(c->db, src, err, "scanning checkpoints");
    sqlite3_reset(st);
    return rc;
}

int store_log_quick_check(struct store *s, struct bf_err *err)
{
    struct store_conn *c = reader(s, err);
    sqlite3_stmt *st;
    int rc = 0, src;

    if (!c)
        return ERRC(err);
    st = store_sqlite_stmt(c, "PRAGMA quick_check", err);
    if (!st)
        return ERRC(err);
    src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        const unsigned char *msg = sqlite3_column_text(st, 0);
        if (!msg || strcmp((const char *)msg, "ok") != 0)
            rc = bf_err_set(err, BF_ECORRUPT, "store file is damaged: %s", msg ? (const char *)msg : "?");
    } else if (src != SQLITE_DONE) {
        rc = store_sqlite_error(c->db, src, err, "checking the store file");
    }
    sqlite3_reset(st);
    return rc;
}
