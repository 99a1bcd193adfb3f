/*
 * sqlite_portal.c - the portal's derived tables in SQLite: schema, the
 * upsert of one procedure's summary, and the indexer's cursor. Queries
 * (search, statistics, organisations) live in sqlite_portal_query.c, the
 * read of the publishing domain's change feed in sqlite_portal_feed.c.
 *
 * Invariants: portal_proc has exactly one row per ocid; portal_fts has a
 * row with the same rowid as its portal_proc row and nothing else;
 * portal_party and portal_cpv rows always belong to an existing
 * portal_proc row. store_portal_put keeps all four in step inside the
 * caller's transaction, so a crash leaves either the old or the new
 * summary, never a mix.
 */
#define STORE_SQLITE_INTERNAL
#include "common.h"
#include "store.h"
#include "store_portal.h"

static const char portal_schema[] =
    "CREATE TABLE IF NOT EXISTS portal_proc("
    " id INTEGER PRIMARY KEY,"
    " ocid TEXT NOT NULL UNIQUE,"
    " title TEXT, description TEXT, buyer_id TEXT, buyer_name TEXT,"
    " suppliers TEXT NOT NULL DEFAULT '[]',"
    " procedure TEXT, method TEXT, capability TEXT, cpv TEXT, status TEXT,"
    " amount REAL, currency TEXT, amount_kind TEXT,"
    " date TEXT, start_date TEXT, year INTEGER NOT NULL DEFAULT 0,"
    " noncompetitive INTEGER NOT NULL DEFAULT 0, tenderers INTEGER NOT NULL DEFAULT -1,"
    " withheld INTEGER NOT NULL DEFAULT 0, releases INTEGER NOT NULL DEFAULT 0,"
    " log_index INTEGER NOT NULL) STRICT;"
    "CREATE INDEX IF NOT EXISTS portal_proc_date ON portal_proc(date, id);"
    "CREATE INDEX IF NOT EXISTS portal_proc_amount ON portal_proc(amount);"
    "CREATE INDEX IF NOT EXISTS portal_proc_buyer ON portal_proc(buyer_id, date);"
    "CREATE INDEX IF NOT EXISTS portal_proc_capability ON portal_proc(capability, date);"
    "CREATE INDEX IF NOT EXISTS portal_proc_procedure ON portal_proc(procedure, date);"
    "CREATE INDEX IF NOT EXISTS portal_proc_year ON portal_proc(year);"
    "CREATE TABLE IF NOT EXISTS portal_party("
    " org_id TEXT NOT NULL, role TEXT NOT NULL, proc_id INTEGER NOT NULL,"
    " name TEXT COLLATE NOCASE, amount REAL,"
    " PRIMARY KEY(org_id, role, proc_id)) STRICT, WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS portal_party_proc ON portal_party(proc_id);"
    "CREATE INDEX IF NOT EXISTS portal_party_name ON portal_party(name);"
    "CREATE TABLE IF NOT EXISTS portal_cpv("
    " code TEXT NOT NULL, proc_id INTEGER NOT NULL,"
    " PRIMARY KEY(code, proc_id)) STRICT, WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS portal_cpv_proc ON portal_cpv(proc_id);"
    "CREATE VIRTUAL TABLE IF NOT EXISTS portal_fts USING fts5("
    " title, description, buyer, suppliers, tokenize = 'unicode61 remove_diacritics 2');";

static int portal_migrate(struct store *s, struct store_txn *t, struct bf_err *err)
{
    (void)s;
    return store_sqlite_exec(store_sqlite_writer(t), portal_schema, err);
}

const struct store_domain store_portal_domain = { "portal", portal_migrate };

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static int step_done(struct store_conn *c, sqlite3_stmt *st, struct bf_err *err, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return store_sqlite_error(c->db, rc, err, what);
    return 0;
}

/* Deletes the old summary of ocid (row, parties, CPVs, text); *id gets
 * the old rowid or 0. */
static int delete_old(struct store_conn *c, const char *ocid, sqlite3_int64 *id, struct bf_err *err)
{
    static const char q_find[] = "SELECT id FROM portal_proc WHERE ocid = ?";
    static const char q_fts[] = "DELETE FROM portal_fts WHERE rowid = ?";
    static const char q_party[] = "DELETE FROM portal_party WHERE proc_id = ?";
    static const char q_cpv[] = "DELETE FROM portal_cpv WHERE proc_id = ?";
    static const char q_proc[] = "DELETE FROM portal_proc WHERE id = ?";
    const char *dels[] = { q_fts, q_party, q_cpv, q_proc };
    sqlite3_stmt *st = store_sqlite_stmt(c, q_find, err);
    size_t i;
    int rc;

    *id = 0;
    if (!st)
        return BF_EIO;
    bind_text(st, 1, ocid);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return store_sqlite_error(c->db, rc, err, "portal find");
    if (!*id)
        return 0;
    for (i = 0; i < BF_ARRAY_LEN(dels); i++) {
        st = store_sqlite_stmt(c, dels[i], err);
        if (!st)
            return BF_EIO;
        sqlite3_bind_int64(st, 1, *id);
        if ((rc = step_done(c, st, err, "portal delete")) < 0)
            return rc;
    }
    return 0;
}

static int insert_proc(struct store_conn *c, const struct store_portal_proc *p, sqlite3_int64 id, struct bf_err *err)
{
    static const char q[] =
        "INSERT INTO portal_proc(id, ocid, title, description, buyer_id, buyer_name, suppliers, procedure,"
        " method, capability, cpv, status, amount, currency, amount_kind, date, start_date, year,"
        " noncompetitive, tenderers, withheld, releases, log_index)"
        " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
    sqlite3_stmt *st = store_sqlite_stmt(c, q, err);

    if (!st)
        return BF_EIO;
    if (id)
        sqlite3_bind_int64(st, 1, id);
    bind_text(st, 2, p->ocid);
    bind_text(st, 3, p->title);
    bind_text(st, 4, p->description);
    bind_text(st, 5, p->buyer_id);
    bind_text(st, 6, p->buyer_name);
    bind_text(st, 7, p->suppliers_json ? p->suppliers_json : "[]");
    bind_text(st, 8, p->procedure);
    bind_text(st, 9, p->method);
    bind_text(st, 10, p->capability);
    bind_text(st, 11, p->cpv);
    bind_text(st, 12, p->status);
    if (p->has_amount)
        sqlite3_bind_double(st, 13, p->amount);
    bind_text(st, 14, p->currency);
    bind_text(st, 15, p->amount_kind);
    bind_text(st, 16, p->date);
    bind_text(st, 17, p->start_date);
    sqlite3_bind_int(st, 18, p->year);
    sqlite3_bind_int(st, 19, p->noncompetitive ? 1 : 0);
    sqlite3_bind_int(st, 20, p->tenderers);
    sqlite3_bind_int(st, 21, p->withheld);
    sqlite3_bind_int(st, 22, p->releases);
    sqlite3_bind_int64(st, 23, (sqlite3_int64)p->log_index);
    return step_done(c, st, err, "portal insert");
}

static int insert_children(struct store_conn *c, const struct store_portal_proc *p, sqlite3_int64 id,
                           struct bf_err *err)
{
    static const char q_party[] = "INSERT INTO portal_party(org_id, role, proc_id, name, amount) VALUES(?,?,?,?,?)"
                                  " ON CONFLICT DO UPDATE SET amount = coalesce(amount, 0) + coalesce(excluded.amount, 0)";
    static const char q_cpv[] = "INSERT OR IGNORE INTO portal_cpv(code, proc_id) VALUES(?,?)";
    static const char q_fts[] = "INSERT INTO portal_fts(rowid, title, description, buyer, suppliers) VALUES(?,?,?,?,?)";
    sqlite3_stmt *st;
    int i, rc;

    for (i = 0; i < p->nparties; i++) {
        const struct store_portal_party *y = &p->parties[i];
        if (!y->org_id || !y->role)
            continue;
        if (!(st = store_sqlite_stmt(c, q_party, err)))
            return BF_EIO;
        bind_text(st, 1, y->org_id);
        bind_text(st, 2, y->role);
        sqlite3_bind_int64(st, 3, id);
        bind_text(st, 4, y->name);
        if (y->has_amount)
            sqlite3_bind_double(st, 5, y->amount);
        if ((rc = step_done(c, st, err, "portal party")) < 0)
            return rc;
    }
    for (i = 0; i < p->ncpvs; i++) {
        if (!(st = store_sqlite_stmt(c, q_cpv, err)))
            return BF_EIO;
        bind_text(st, 1, p->cpvs[i]);
        sqlite3_bind_int64(st, 2, id);
        if ((rc = step_done(c, st, err, "portal cpv")) < 0)
            return rc;
    }
    if (!(st = store_sqlite_stmt(c, q_fts, err)))
        return BF_EIO;
    sqlite3_bind_int64(st, 1, id);
    bind_text(st, 2, p->title);
    bind_text(st, 3, p->description);
    bind_text(st, 4, p->buyer_name);
    bind_text(st, 5, p->suppliers_text);
    return step_done(c, st, err, "portal text");
}

int store_portal_put(struct store_txn *t, const struct store_portal_proc *p, struct bf_err *err)
{
    struct store_conn *c = store_sqlite_writer(t);
    sqlite3_int64 id;
    int rc;

    if (!p->ocid || !*p->ocid)
        return bf_err_set(err, BF_EINVAL, "portal: procedure without ocid");
    rc = delete_old(c, p->ocid, &id, err);
    if (rc < 0)
        goto out;
    rc = insert_proc(c, p, id, err);
    if (rc < 0)
        goto out;
    if (!id)
        id = sqlite3_last_insert_rowid(c->db);
    rc = insert_children(c, p, id, err);
out:
    return rc;
}

int store_portal_cursor(struct store *s, uint64_t *next, struct bf_err *err)
{
    char *v = NULL;
    struct bf_err e2 = { 0 };
    int rc = store_meta_get(s, STORE_PORTAL_META_CURSOR, &v, &e2);

    *next = 0;
    if (rc == BF_ENOTFOUND)
        return 0;
    if (rc < 0) {
        if (err)
            *err = e2;
        return rc;
    }
    *next = strtoull(v, NULL, 10);
    free(v);
    return 0;
}

int store_portal_set_cursor(struct store_txn *t, uint64_t next, struct bf_err *err)
{
    char v[24];
    snprintf(v, sizeof v, "%" PRIu64, next);
    return store_meta_set(t, STORE_PORTAL_META_CURSOR, v, err);
}

int store_portal_analyze(struct store_txn *t, struct bf_err *err)
{
    return store_sqlite_exec(store_sqlite_writer(t),
                             "PRAGMA analysis_limit = 1000; ANALYZE portal_proc; ANALYZE portal_party;"
                             " ANALYZE portal_cpv; PRAGMA analysis_limit = 0;",
                             err);
}
