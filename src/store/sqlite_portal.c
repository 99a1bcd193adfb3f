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
#include "buf.h"
#include "sha256.h"
#include "store.h"
#include "store_portal.h"
#include "sqlite_portal_int.h"

/* Version of the portal's derived tables: a store indexed by an older
 * layout has them dropped and rebuilt from the log (cursor reset). */
#define PORTAL_SCHEMA "2"

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
    "CREATE INDEX IF NOT EXISTS portal_proc_status ON portal_proc(status, date);"
    "CREATE INDEX IF NOT EXISTS portal_proc_year_date ON portal_proc(year, date);"
    "CREATE INDEX IF NOT EXISTS portal_proc_nc ON portal_proc(noncompetitive, date);"
    "CREATE VIRTUAL TABLE IF NOT EXISTS portal_fts USING fts5("
    " title, description, buyer, suppliers, facets, tokenize = 'unicode61 remove_diacritics 2');";

static const char portal_drop[] =
    "DROP TABLE IF EXISTS portal_fts; DROP TABLE IF EXISTS portal_party; DROP TABLE IF EXISTS portal_cpv;"
    " DROP TABLE IF EXISTS portal_proc; DELETE FROM meta WHERE key = '" STORE_PORTAL_META_CURSOR "';";

/* 1 if the stored layout is the current one (or there is none yet). */
static int schema_current(struct store_conn *c)
{
    sqlite3_stmt *st = NULL;
    int rc, current = 1;

    if (sqlite3_prepare_v2(c->db, "SELECT value FROM meta WHERE key = 'portal.schema'", -1, &st, NULL) != SQLITE_OK)
        return 1;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        current = !strcmp((const char *)sqlite3_column_text(st, 0), PORTAL_SCHEMA);
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE) { /* no version: tables of the first layout, if any */
        rc = sqlite3_prepare_v2(c->db, "SELECT 1 FROM sqlite_schema WHERE name = 'portal_proc'", -1, &st, NULL);
        current = !(rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW);
        sqlite3_finalize(st);
    }
    return current;
}

static int portal_migrate(struct store *s, struct store_txn *t, struct bf_err *err)
{
    struct store_conn *c = store_sqlite_writer(t);
    int rc = 0;
    (void)s;

    if (!schema_current(c))
        rc = store_sqlite_exec(c, portal_drop, err);
    if (!rc)
        rc = store_sqlite_exec(c, portal_schema, err);
    if (!rc)
        rc = store_meta_set(t, "portal.schema", PORTAL_SCHEMA, err);
    return rc;
}

int portal_facet_token(struct bf_buf *b, const char *prefix, const char *value)
{
    char tok[96];
    size_t n = 0;

    if (!value || !*value)
        return 0;
    n = (size_t)snprintf(tok, sizeof tok, " %s", prefix);
    for (; *value && n + 1 < sizeof tok; value++) {
        char ch = *value;
        if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))
            tok[n++] = ch;
        else if (ch >= 'A' && ch <= 'Z')
            tok[n++] = (char)(ch | 0x20);
    }
    tok[n] = 0;
    return bf_buf_puts(b, tok) < 0 ? BF_ELIMIT : 0;
}

int portal_facet_hashed(struct bf_buf *b, const char *prefix, const char *value)
{
    char hex[65];
    if (!value || !*value)
        return 0;
    bf_sha256_hex(value, strlen(value), hex);
    hex[16] = 0;
    return portal_facet_token(b, prefix, hex);
}

/* The facets column of a procedure (see sqlite_portal_int.h). */
static int facets_of(const struct store_portal_proc *p, struct bf_buf *b)
{
    char year[16];
    int i, rc = 0;

    snprintf(year, sizeof year, "%d", p->year);
    rc |= portal_facet_token(b, "fc", p->capability) | portal_facet_token(b, "fs", p->status);
    rc |= portal_facet_token(b, "fp", p->procedure) | portal_facet_token(b, "fy", p->year ? year : NULL);
    rc |= p->noncompetitive ? portal_facet_token(b, "fn", "1") : 0;
    rc |= portal_facet_hashed(b, "fb", p->buyer_id);
    for (i = 0; i < p->nparties; i++)
        if (p->parties[i].role && !strcmp(p->parties[i].role, "supplier"))
            rc |= portal_facet_hashed(b, "fu", p->parties[i].org_id);
    for (i = 0; i < p->ncpvs; i++) {
        char digits[9];
        size_t n = strspn(p->cpvs[i], "0123456789"), k;
        if (n > 8)
            n = 8;
        for (k = 2; k <= n; k++) {
            memcpy(digits, p->cpvs[i], k);
            digits[k] = 0;
            rc |= portal_facet_token(b, "fv", digits);
        }
    }
    if (!rc && !b->data)
        rc = bf_buf_puts(b, "");
    return rc ? BF_ELIMIT : 0;
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
    static const char q_fts[] =
        "INSERT INTO portal_fts(rowid, title, description, buyer, suppliers, facets) VALUES(?,?,?,?,?,?)";
    struct bf_buf facets = BF_BUF_INIT;
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
    bf_buf_init(&facets, 64 * 1024);
    if (facets_of(p, &facets) < 0) {
        bf_buf_free(&facets);
        return bf_err_set(err, BF_ELIMIT, "portal: too many facets for %s", p->ocid);
    }
    if (!(st = store_sqlite_stmt(c, q_fts, err))) {
        bf_buf_free(&facets);
        return BF_EIO;
    }
    sqlite3_bind_int64(st, 1, id);
    bind_text(st, 2, p->title);
    bind_text(st, 3, p->description);
    bind_text(st, 4, p->buyer_name);
    bind_text(st, 5, p->suppliers_text);
    bind_text(st, 6, facets.data);
    rc = step_done(c, st, err, "portal text");
    bf_buf_free(&facets);
    return rc;
}

int store_portal_put(struct store_txn *t, const struct store_portal_proc *p, struct bf_err *err)
{
    struct store_conn *c = store_sqlite_writer(t);
    sqlite3_int64 id;
    int rc;

    sqlite_portal_bump_generation(); /* cached id lists of searches are stale now */

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
