/*
 * sqlite_portal_tok.c - what an index of the portal outside SQLite
 * (src/search) needs from the store: FTS5's own tokenizer, the text
 * portal_fts holds with each procedure's attributes, the facet tokens of a
 * filter, and the rows of a page of ids.
 *
 * The tokenizer is reached through the fts5_api of a connection (SELECT
 * fts5(?1) with the "fts5_api_ptr" pointer type), so the tokens are
 * exactly those FTS5 indexed and matches: same version, same options. The
 * text is read back from portal_fts itself for the same reason.
 *
 * Invariant: store_portal_docs reads documents and the cursor inside one
 * read transaction, so the cursor says which changes the documents
 * already include.
 */
#define STORE_SQLITE_INTERNAL
#include "common.h"
#include "buf.h"
#include "store.h"
#include "store_portal.h"
#include "sqlite_portal_int.h"

struct store_portal_tok {
    fts5_tokenizer api;
    Fts5Tokenizer *tok;
};

/* The connection's fts5_api (the statement is cached: a search opens a
 * tokenizer each time). */
static fts5_api *fts5_of(struct store_conn *c)
{
    static const char q[] = "SELECT fts5(?1)";
    sqlite3_stmt *st = store_sqlite_stmt(c, q, NULL);
    fts5_api *api = NULL;
    if (!st)
        return NULL;
    sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
    sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return api;
}

int store_portal_tok_open(struct store *s, struct store_portal_tok **out, struct bf_err *err)
{
    static const char *args[] = { "remove_diacritics", "2" };
    struct store_conn *c = store_sqlite_reader(s, err);
    struct store_portal_tok *t;
    fts5_api *api;
    void *ud = NULL;

    *out = NULL;
    if (!c)
        return BF_EIO;
    if (!(api = fts5_of(c)))
        return bf_err_set(err, BF_EIO, "portal: SQLite has no FTS5");
    t = bf_xcalloc(1, sizeof *t);
    if (api->xFindTokenizer(api, "unicode61", &ud, &t->api) != SQLITE_OK ||
        t->api.xCreate(ud, args, 2, &t->tok) != SQLITE_OK) {
        free(t);
        return bf_err_set(err, BF_EIO, "portal: cannot create the unicode61 tokenizer");
    }
    *out = t;
    return 0;
}

struct tok_call {
    store_portal_tok_cb cb;
    void *arg;
    int rc;
};

static int on_token(void *ctx, int flags, const char *tok, int n, int start, int end)
{
    struct tok_call *k = ctx;
    (void)flags, (void)start, (void)end;
    k->rc = k->cb(k->arg, tok, (size_t)n);
    return k->rc ? SQLITE_ABORT : SQLITE_OK;
}

int store_portal_tok_run(struct store_portal_tok *t, const char *text, size_t len, store_portal_tok_cb cb, void *arg)
{
    struct tok_call k = { cb, arg, 0 };
    int rc;
    if (len > INT32_MAX)
        return BF_ELIMIT;
    rc = t->api.xTokenize(t->tok, &k, FTS5_TOKENIZE_DOCUMENT, text, (int)len, on_token);
    if (k.rc)
        return k.rc;
    return rc == SQLITE_OK ? 0 : BF_EIO;
}

void store_portal_tok_close(struct store_portal_tok *t)
{
    if (!t)
        return;
    t->api.xDelete(t->tok);
    free(t);
}

/* ---- documents --------------------------------------------------------- */

#define DOC_SQL                                                                                                  \
    "SELECT f.rowid, f.title, f.description, f.buyer, f.suppliers, f.facets, p.date, p.amount,"                \
    " (SELECT group_concat(substr(c.code, 1, 1), '') FROM portal_cpv c WHERE c.proc_id = p.id)"              \
    " FROM portal_proc p JOIN portal_fts f ON f.rowid = p.id"

static int read_docs(struct store_conn *c, sqlite3_stmt *st, store_portal_doc_cb cb, void *arg, struct bf_err *err)
{
    struct store_portal_doc d;
    int rc, i;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        d.id = sqlite3_column_int64(st, 0);
        for (i = 0; i < 5; i++)
            d.text[i] = (const char *)sqlite3_column_text(st, 1 + i);
        d.date = (const char *)sqlite3_column_text(st, 6);
        d.has_amount = sqlite3_column_type(st, 7) != SQLITE_NULL;
        d.amount = sqlite3_column_double(st, 7);
        d.cpv_first = (const char *)sqlite3_column_text(st, 8);
        if ((rc = cb(arg, &d)) != 0)
            return rc;
    }
    return rc == SQLITE_DONE ? 0 : store_sqlite_error(c->db, rc, err, "portal documents");
}

static int read_cursor(struct store_conn *c, uint64_t *cursor, struct bf_err *err)
{
    static const char q[] = "SELECT value FROM meta WHERE key = '" STORE_PORTAL_META_CURSOR "'";
    sqlite3_stmt *st = store_sqlite_stmt(c, q, err);
    int rc;
    if (!st)
        return BF_EIO;
    rc = sqlite3_step(st);
    *cursor = rc == SQLITE_ROW ? strtoull((const char *)sqlite3_column_text(st, 0), NULL, 10) : 0;
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_sqlite_error(c->db, rc, err, "portal cursor");
}

int store_portal_docs(struct store *s, const char *const *ocids, int n, store_portal_doc_cb cb, void *arg,
                      uint64_t *cursor, struct bf_err *err)
{
    static const char q_all[] = DOC_SQL;
    static const char q_one[] = DOC_SQL " WHERE p.ocid = ?1";
    struct store_conn *c = store_sqlite_reader(s, err);
    sqlite3_stmt *st;
    int rc, i;

    if (!c)
        return BF_EIO;
    if ((rc = store_sqlite_exec(c, "BEGIN", err)) < 0)
        return rc;
    if (cursor && (rc = read_cursor(c, cursor, err)) < 0)
        goto out;
    for (i = 0; i < (ocids ? n : 1) && !rc; i++) {
        if (!(st = store_sqlite_stmt(c, ocids ? q_one : q_all, err))) {
            rc = BF_EIO;
            break;
        }
        if (ocids)
            sqlite3_bind_text(st, 1, ocids[i], -1, SQLITE_STATIC);
        rc = read_docs(c, st, cb, arg, err);
        sqlite3_reset(st);
    }
out:
    store_sqlite_exec(c, "COMMIT", NULL);
    return rc;
}

/* ---- filters ------------------------------------------------------------ */

int store_portal_filter_facets(const struct store_portal_filter *f, struct bf_buf *out)
{
    char year[16];
    int rc = 0;

    snprintf(year, sizeof year, "%d", f->year);
    rc |= portal_facet_hashed(out, "fb", f->buyer) | portal_facet_token(out, "fy", f->year ? year : NULL);
    rc |= portal_facet_hashed(out, "fu", f->supplier) | portal_facet_token(out, "fp", f->procedure);
    rc |= portal_facet_token(out, "fc", f->capability) | portal_facet_token(out, "fs", f->status);
    if (f->noncompetitive)
        rc |= portal_facet_token(out, "fn", "1");
    if (f->cpv_prefix && strlen(f->cpv_prefix) >= 2)
        rc |= portal_facet_token(out, "fv", f->cpv_prefix);
    if (!rc && !out->data)
        rc = bf_buf_puts(out, "");
    return rc ? BF_ELIMIT : 0;
}
