/*
 * sqlite_proc.c - the procedures table of the buyer lifecycle.
 *
 * Invariants: a row changes only through store_proc_update with the seq
 * the caller read (optimistic concurrency, as ProZorro's _rev), so two
 * steps racing on one procedure cannot both win; data is the whole
 * private state (proc_serialize), listing columns are derived from it by
 * the caller in the same write. Rows are never deleted: a cancelled or
 * completed procedure stays listed in its final state.
 */
#define STORE_SQLITE_INTERNAL
#include "common.h"
#include "store.h"
#include "proc/proc_store.h"

static int proc_migrate(struct store *s, struct store_txn *t, struct bf_err *err)
{
    (void)s;
    return store_sqlite_exec(store_sqlite_writer(t),
                             "CREATE TABLE IF NOT EXISTS proc_procedures("
                             " ocid TEXT PRIMARY KEY,"
                             " buyer TEXT NOT NULL,"
                             " type TEXT NOT NULL,"
                             " state TEXT NOT NULL,"
                             " seq INTEGER NOT NULL,"
                             " title TEXT NOT NULL,"
                             " next_step TEXT,"
                             " next_date TEXT,"
                             " created INTEGER NOT NULL,"
                             " updated INTEGER NOT NULL,"
                             " data TEXT NOT NULL,"
                             " pending TEXT"
                             ") STRICT;"
                             "CREATE INDEX IF NOT EXISTS proc_by_buyer ON proc_procedures(buyer, next_date);",
                             err);
}

const struct store_domain store_proc_domain = { "proc", proc_migrate };

void proc_row_free(struct proc_row *r)
{
    free(r->data);
    free(r->pending);
    r->data = r->pending = NULL;
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
    if (s && *s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

/* Binds the 12 columns in table order. */
static void bind_row(sqlite3_stmt *st, const struct proc_row *r)
{
    sqlite3_bind_text(st, 1, r->ocid, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r->buyer, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, r->type, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, r->state, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, r->seq);
    sqlite3_bind_text(st, 6, r->title, -1, SQLITE_STATIC);
    bind_text_or_null(st, 7, r->next_step);
    bind_text_or_null(st, 8, r->next_date);
    sqlite3_bind_int64(st, 9, r->created);
    sqlite3_bind_int64(st, 10, r->updated);
    sqlite3_bind_text(st, 11, r->data, -1, SQLITE_STATIC);
    bind_text_or_null(st, 12, r->pending);
}

int store_proc_insert(struct store_txn *t, const struct proc_row *r, struct bf_err *err)
{
    struct store_conn *c = store_sqlite_writer(t);
    sqlite3_stmt *st = store_sqlite_stmt(c, "INSERT INTO proc_procedures(ocid, buyer, type, state, seq, title, "
                                            "next_step, next_date, created, updated, data, pending)"
                                            " VALUES(?,?,?,?,?,?,?,?,?,?,?,?)", err);
    int rc;

    if (!st)
        return err ? err->code : BF_EIO;
    bind_row(st, r);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if ((rc & 0xff) == SQLITE_CONSTRAINT)
        return bf_err_set(err, BF_EEXIST, "procedure %s exists", r->ocid);
    if (rc != SQLITE_DONE)
        return store_sqlite_error(c->db, rc, err, "storing procedure");
    return 0;
}

int store_proc_update(struct store_txn *t, const struct proc_row *r, int expect_seq, struct bf_err *err)
{
    struct store_conn *c = store_sqlite_writer(t);
    sqlite3_stmt *st = store_sqlite_stmt(c, "UPDATE proc_procedures SET ocid = ?1, buyer = ?2, type = ?3, state = ?4,"
                                            " seq = ?5, title = ?6, next_step = ?7, next_date = ?8, created = ?9,"
                                            " updated = ?10, data = ?11, pending = ?12"
                                            " WHERE ocid = ?1 AND seq = ?13", err);
    int rc;

    if (!st)
        return err ? err->code : BF_EIO;
    bind_row(st, r);
    sqlite3_bind_int(st, 13, expect_seq);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return store_sqlite_error(c->db, rc, err, "updating procedure");
    if (sqlite3_changes(c->db) != 1)
        return bf_err_set(err, BF_ECONFLICT, "procedure %s changed meanwhile; reload and retry", r->ocid);
    return 0;
}

int store_proc_clear_pending(struct store_txn *t, const char *ocid, int seq, struct bf_err *err)
{
    struct store_conn *c = store_sqlite_writer(t);
    sqlite3_stmt *st = store_sqlite_stmt(c, "UPDATE proc_procedures SET pending = NULL WHERE ocid = ? AND seq = ?",
                                         err);
    int rc;

    if (!st)
        return err ? err->code : BF_EIO;
    sqlite3_bind_text(st, 1, ocid, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, seq);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : store_sqlite_error(c->db, rc, err, "clearing pending release");
}

static void text_col(sqlite3_stmt *st, int i, char *out, size_t n)
{
    const char *s = (const char *)sqlite3_column_text(st, i);
    snprintf(out, n, "%s", s ? s : "");
}

/* Columns 0..9 in table order into r (no data, no pending). */
static void row_read(sqlite3_stmt *st, struct proc_row *r)
{
    memset(r, 0, sizeof *r);
    text_col(st, 0, r->ocid, sizeof r->ocid);
    text_col(st, 1, r->buyer, sizeof r->buyer);
    text_col(st, 2, r->type, sizeof r->type);
    text_col(st, 3, r->state, sizeof r->state);
    r->seq = sqlite3_column_int(st, 4);
    text_col(st, 5, r->title, sizeof r->title);
    text_col(st, 6, r->next_step, sizeof r->next_step);
    text_col(st, 7, r->next_date, sizeof r->next_date);
    r->created = sqlite3_column_int64(st, 8);
    r->updated = sqlite3_column_int64(st, 9);
}

#define PROC_COLS "ocid, buyer, type, state, seq, title, next_step, next_date, created, updated"

int store_proc_get(struct store *s, const char *ocid, struct proc_row *out, struct bf_err *err)
{
    struct store_conn *c = store_sqlite_reader(s, err);
    sqlite3_stmt *st;
    int rc;

    if (!c)
        return err ? err->code : BF_EIO;
    st = store_sqlite_stmt(c, "SELECT " PROC_COLS ", data, pending FROM proc_procedures WHERE ocid = ?", err);
    if (!st)
        return err ? err->code : BF_EIO;
    sqlite3_bind_text(st, 1, ocid, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *p = (const char *)sqlite3_column_text(st, 11);
        row_read(st, out);
        out->data = bf_xstrdup((const char *)sqlite3_column_text(st, 10));
        out->pending = p ? bf_xstrdup(p) : NULL;
        sqlite3_reset(st);
        return 0;
    }
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return bf_err_set(err, BF_ENOTFOUND, "no procedure %s", ocid);
    return store_sqlite_error(c->db, rc, err, "reading procedure");
}

int store_proc_count(struct store *s, const char *buyer, int64_t *n, struct bf_err *err)
{
    struct store_conn *c = store_sqlite_reader(s, err);
    sqlite3_stmt *st;
    int rc;

    if (!c)
        return err ? err->code : BF_EIO;
    st = store_sqlite_stmt(c, "SELECT count(*) FROM proc_procedures WHERE buyer = ?", err);
    if (!st)
        return err ? err->code : BF_EIO;
    sqlite3_bind_text(st, 1, buyer, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    *n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : store_sqlite_error(c->db, rc, err, "counting procedures");
}

int store_proc_list(struct store *s, const char *buyer, const char *state, int offset, int limit,
                    int (*fn)(const struct proc_row *, void *), void *arg, int64_t *total, struct bf_err *err)
{
    struct store_conn *c = store_sqlite_reader(s, err);
    struct proc_row row;
    sqlite3_stmt *st;
    int rc, ret = 0;

    if (!c)
        return err ? err->code : BF_EIO;
    st = store_sqlite_stmt(c, "SELECT count(*) FROM proc_procedures WHERE (?1 IS NULL OR buyer = ?1)"
                              " AND (?2 IS NULL OR state = ?2)", err);
    if (!st)
        return err ? err->code : BF_EIO;
    bind_text_or_null(st, 1, buyer);
    bind_text_or_null(st, 2, state);
    rc = sqlite3_step(st);
    *total = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (rc != SQLITE_ROW)
        return store_sqlite_error(c->db, rc, err, "counting procedures");
    st = store_sqlite_stmt(c, "SELECT " PROC_COLS " FROM proc_procedures WHERE (?1 IS NULL OR buyer = ?1)"
                              " AND (?2 IS NULL OR state = ?2)"
                              " ORDER BY next_date IS NULL, next_date, ocid LIMIT ?3 OFFSET ?4", err);
    if (!st)
        return err ? err->code : BF_EIO;
    bind_text_or_null(st, 1, buyer);
    bind_text_or_null(st, 2, state);
    sqlite3_bind_int(st, 3, limit);
    sqlite3_bind_int(st, 4, offset);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        row_read(st, &row);
        if ((ret = fn(&row, arg)) != 0)
            break;
    }
    sqlite3_reset(st);
    if (ret)
        return ret;
    return rc == SQLITE_DONE ? 0 : store_sqlite_error(c->db, rc, err, "listing procedures");
}
