/*
 * sqlite_auth.c - the tokens table of the SQLite backend.
 *
 * One row per token ever issued: its public id, the SHA-256 of the token
 * text (never the text), role, buyer (officers only), label, creation,
 * expiry and revocation times (Unix seconds; NULL = never / not revoked).
 * Rows are never deleted, so `belfry token list` is also the history of
 * who could write when. Reads go through the calling thread's reader
 * connection and so always see the latest committed revocation.
 */
#define STORE_SQLITE_INTERNAL
#include "common.h"
#include "store.h"
#include "auth/auth.h"

static int auth_migrate(struct store *s, struct store_txn *t, struct bf_err *err)
{
    (void)s;
    return store_sqlite_exec(store_sqlite_writer(t),
                             "CREATE TABLE IF NOT EXISTS auth_tokens("
                             " id TEXT PRIMARY KEY,"
                             " hash BLOB NOT NULL UNIQUE CHECK(length(hash) = 32),"
                             " role TEXT NOT NULL CHECK(role IN ('admin','officer','auditor')),"
                             " buyer TEXT,"
                             " label TEXT NOT NULL DEFAULT '',"
                             " created INTEGER NOT NULL,"
                             " expires INTEGER,"
                             " revoked_at INTEGER,"
                             " CHECK((role = 'officer') = (buyer IS NOT NULL))"
                             ") STRICT;",
                             err);
}

const struct store_domain store_auth_domain = { "auth", auth_migrate };

static int bind_opt_int(sqlite3_stmt *st, int i, int64_t v)
{
    return v ? sqlite3_bind_int64(st, i, v) : sqlite3_bind_null(st, i);
}

int store_auth_insert(struct store_txn *t, const struct auth_token_info *info, struct bf_err *err)
{
    struct store_conn *c = store_sqlite_writer(t);
    sqlite3_stmt *st = store_sqlite_stmt(c,
                                         "INSERT INTO auth_tokens(id, hash, role, buyer, label, created, expires)"
                                         " VALUES(?, ?, ?, ?, ?, ?, ?)",
                                         err);
    int rc;

    if (!st)
        return err ? err->code : BF_EIO;
    sqlite3_bind_text(st, 1, info->id, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, info->hash, 32, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, auth_role_name(info->role), -1, SQLITE_STATIC);
    if (info->role == AUTH_OFFICER)
        sqlite3_bind_text(st, 4, info->buyer, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 4);
    sqlite3_bind_text(st, 5, info->label, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, info->created);
    bind_opt_int(st, 7, info->expires);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return store_sqlite_error(c->db, rc, err, "storing token");
    return 0;
}

#define AUTH_COLS "id, hash, role, buyer, label, created, expires, revoked_at"

static void row_read(sqlite3_stmt *st, struct auth_token_info *out)
{
    const void *h = sqlite3_column_blob(st, 1);
    const char *role = (const char *)sqlite3_column_text(st, 2);
    const char *buyer = (const char *)sqlite3_column_text(st, 3);
    const char *label = (const char *)sqlite3_column_text(st, 4);

    memset(out, 0, sizeof *out);
    snprintf(out->id, sizeof out->id, "%s", (const char *)sqlite3_column_text(st, 0));
    if (h && sqlite3_column_bytes(st, 1) == 32)
        memcpy(out->hash, h, 32);
    if (auth_role_parse(role, &out->role, NULL) < 0)
        out->role = 0; /* the CHECK constraint makes this unreachable */
    snprintf(out->buyer, sizeof out->buyer, "%s", buyer ? buyer : "");
    snprintf(out->label, sizeof out->label, "%s", label ? label : "");
    out->created = sqlite3_column_int64(st, 5);
    out->expires = sqlite3_column_int64(st, 6);
    out->revoked_at = sqlite3_column_int64(st, 7);
}

int store_auth_get(struct store *s, const char *id, struct auth_token_info *out, struct bf_err *err)
{
    struct store_conn *c = store_sqlite_reader(s, err);
    sqlite3_stmt *st;
    int rc;

    if (!c)
        return err ? err->code : BF_EIO;
    st = store_sqlite_stmt(c, "SELECT " AUTH_COLS " FROM auth_tokens WHERE id = ?", err);
    if (!st)
        return err ? err->code : BF_EIO;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        row_read(st, out);
        sqlite3_reset(st);
        return 0;
    }
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return bf_err_set(err, BF_ENOTFOUND, "no token %s", id);
    return store_sqlite_error(c->db, rc, err, "reading token");
}

int store_auth_match(struct store_txn *t, const char *prefix, char (*ids)[AUTH_ID_LEN + 1], int max, int *n,
                     struct bf_err *err)
{
    struct store_conn *c = store_sqlite_writer(t);
    sqlite3_stmt *st = store_sqlite_stmt(c, "SELECT id FROM auth_tokens WHERE substr(id, 1, ?) = ? ORDER BY id", err);
    int rc, k = 0;

    if (!st)
        return err ? err->code : BF_EIO;
    sqlite3_bind_int(st, 1, (int)strlen(prefix));
    sqlite3_bind_text(st, 2, prefix, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (k < max)
            snprintf(ids[k], AUTH_ID_LEN + 1, "%s", (const char *)sqlite3_column_text(st, 0));
        k++;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return store_sqlite_error(c->db, rc, err, "finding token");
    *n = k;
    return 0;
}

int store_auth_revoke(struct store_txn *t, const char *id, int64_t now, struct bf_err *err)
{
    struct store_conn *c = store_sqlite_writer(t);
    sqlite3_stmt *st = store_sqlite_stmt(c, "UPDATE auth_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                                         err);
    int rc;

    if (!st)
        return err ? err->code : BF_EIO;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return store_sqlite_error(c->db, rc, err, "revoking token");
    if (sqlite3_changes(c->db) == 0)
        return bf_err_set(err, BF_EEXIST, "token %s was already revoked", id);
    return 0;
}

int store_auth_each(struct store *s, int (*fn)(const struct auth_token_info *, void *), void *arg, struct bf_err *err)
{
    struct store_conn *c = store_sqlite_reader(s, err);
    struct auth_token_info info;
    sqlite3_stmt *st;
    int rc, ret = 0;

    if (!c)
        return err ? err->code : BF_EIO;
    st = store_sqlite_stmt(c, "SELECT " AUTH_COLS " FROM auth_tokens ORDER BY created, id", err);
    if (!st)
        return err ? err->code : BF_EIO;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        row_read(st, &info);
        ret = fn(&info, arg);
        if (ret)
            break;
    }
    sqlite3_reset(st);
    if (ret)
        return ret;
    if (rc != SQLITE_DONE)
        return store_sqlite_error(c->db, rc, err, "listing tokens");
    return 0;
}
