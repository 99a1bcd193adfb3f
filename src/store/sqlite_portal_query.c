/*
 * sqlite_portal_query.c - reads of the portal's tables: search with
 * filters and full text, counts, aggregates for the dashboard and the
 * organisation pages.
 *
 * Search SQL is assembled from fixed fragments only; every user value is
 * a bound parameter, never spliced into the text. Counts stop at
 * STORE_PORTAL_COUNT_CAP and pages at STORE_PORTAL_MAX_OFFSET so that no
 * request costs more than a bounded scan.
 */
#define STORE_SQLITE_INTERNAL
#include "common.h"
#include "buf.h"
#include "store.h"
#include "store_portal.h"
#include "sqlite_portal_int.h"

#define PROC_COLS                                                                                                \
    "p.ocid, p.title, p.description, p.buyer_id, p.buyer_name, p.suppliers, p.procedure, p.method,"           \
    " p.capability, p.cpv, p.status, p.amount, p.currency, p.amount_kind, p.date, p.start_date, p.year,"     \
    " p.noncompetitive, p.tenderers, p.withheld, p.releases, p.log_index"

#define MAX_BINDS 16

struct binds {
    int n;
    struct {
        int kind; /* 0 text, 1 double, 2 int */
        const char *s;
        double d;
        long long i;
    } v[MAX_BINDS];
};

static void bind_s(struct binds *b, const char *s)
{
    b->v[b->n].kind = 0;
    b->v[b->n++].s = s;
}

static void bind_d(struct binds *b, double d)
{
    b->v[b->n].kind = 1;
    b->v[b->n++].d = d;
}

static void bind_i(struct binds *b, long long i)
{
    b->v[b->n].kind = 2;
    b->v[b->n++].i = i;
}

static void apply_binds(sqlite3_stmt *st, const struct binds *b)
{
    int i;
    for (i = 0; i < b->n; i++) {
        if (b->v[i].kind == 0)
            sqlite3_bind_text(st, i + 1, b->v[i].s, -1, SQLITE_STATIC);
        else if (b->v[i].kind == 1)
            sqlite3_bind_double(st, i + 1, b->v[i].d);
        else
            sqlite3_bind_int64(st, i + 1, b->v[i].i);
    }
}

static const char *col_text(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

/* Fills row from a statement whose first columns are PROC_COLS. */
static void read_row(sqlite3_stmt *st, struct store_portal_proc *r)
{
    memset(r, 0, sizeof *r);
    r->ocid = col_text(st, 0);
    r->title = col_text(st, 1);
    r->description = col_text(st, 2);
    r->buyer_id = col_text(st, 3);
    r->buyer_name = col_text(st, 4);
    r->suppliers_json = col_text(st, 5);
    r->procedure = col_text(st, 6);
    r->method = col_text(st, 7);
    r->capability = col_text(st, 8);
    r->cpv = col_text(st, 9);
    r->status = col_text(st, 10);
    r->has_amount = sqlite3_column_type(st, 11) != SQLITE_NULL;
    r->amount = sqlite3_column_double(st, 11);
    r->currency = col_text(st, 12);
    r->amount_kind = col_text(st, 13);
    r->date = col_text(st, 14);
    r->start_date = col_text(st, 15);
    r->year = sqlite3_column_int(st, 16);
    r->noncompetitive = sqlite3_column_int(st, 17);
    r->tenderers = sqlite3_column_int(st, 18);
    r->withheld = sqlite3_column_int(st, 19);
    r->releases = sqlite3_column_int(st, 20);
    r->log_index = (uint64_t)sqlite3_column_int64(st, 21);
}

/* Equality filters as facet terms of the FTS5 query (see
 * sqlite_portal_int.h): with text, the whole search is one FTS5 query. A
 * CPV prefix of one digit is not a facet and stays an SQL condition. */
static int build_match(const struct store_portal_filter *f, struct bf_buf *m)
{
    struct bf_buf tok = BF_BUF_INIT;
    int rc = bf_buf_printf(m, PORTAL_TEXT_COLUMNS " : (%s)", f->fts);
    char year[16];

    snprintf(year, sizeof year, "%d", f->year);
    bf_buf_init(&tok, 4096);
    rc |= portal_facet_hashed(&tok, "fb", f->buyer) | portal_facet_hashed(&tok, "fu", f->supplier);
    rc |= portal_facet_token(&tok, "fp", f->procedure) | portal_facet_token(&tok, "fc", f->capability);
    rc |= portal_facet_token(&tok, "fs", f->status) | portal_facet_token(&tok, "fy", f->year ? year : NULL);
    rc |= f->noncompetitive ? portal_facet_token(&tok, "fn", "1") : 0;
    if (f->cpv_prefix && strlen(f->cpv_prefix) >= 2)
        rc |= portal_facet_token(&tok, "fv", f->cpv_prefix);
    if (!rc && tok.data) { /* " t1 t2" -> AND facets : "t1" AND facets : "t2" */
        const char *t = tok.data;
        while (*t == ' ')
            t++;
        while (*t && !rc) {
            size_t n = strcspn(t, " ");
            rc |= bf_buf_printf(m, " AND facets : \"%.*s\"", (int)n, t);
            t += n;
            while (*t == ' ')
                t++;
        }
    }
    bf_buf_free(&tok);
    return rc ? BF_ELIMIT : 0;
}

#define W_NO_RANGE_INDEX 1 /* write range filters "+p.col": let the sort's index drive */

/* Appends " AND <cond>" fragments and their bindings for f; match holds
 * the FTS5 query text (it must outlive the statement). */
static int build_where(const struct store_portal_filter *f, unsigned flags, struct bf_buf *match, struct bf_buf *sql,
                       struct binds *b)
{
    const char *r = (f->fts || (flags & W_NO_RANGE_INDEX)) ? "+" : "";
    int rc = 0;

    if (f->fts) {
        if ((rc = build_match(f, match)) < 0)
            return rc;
        rc |= bf_buf_puts(sql, " AND portal_fts MATCH ?");
        bind_s(b, match->data);
        if (f->cpv_prefix && strlen(f->cpv_prefix) < 2) {
            rc |= bf_buf_puts(sql, " AND +p.id IN (SELECT proc_id FROM portal_cpv WHERE code GLOB ? || '*')");
            bind_s(b, f->cpv_prefix);
        }
    } else {
        if (f->buyer) {
            rc |= bf_buf_puts(sql, " AND p.buyer_id = ?");
            bind_s(b, f->buyer);
        }
        if (f->supplier) {
            rc |= bf_buf_puts(sql, " AND p.id IN (SELECT proc_id FROM portal_party WHERE org_id = ? AND role = 'supplier')");
            bind_s(b, f->supplier);
        }
        if (f->cpv_prefix) {
            rc |= bf_buf_puts(sql, " AND p.id IN (SELECT proc_id FROM portal_cpv WHERE code GLOB ? || '*')");
            bind_s(b, f->cpv_prefix);
        }
        if (f->procedure) {
            rc |= bf_buf_puts(sql, " AND p.procedure = ?");
            bind_s(b, f->procedure);
        }
        if (f->capability) {
            rc |= bf_buf_puts(sql, " AND p.capability = ?");
            bind_s(b, f->capability);
        }
        if (f->status) {
            rc |= bf_buf_puts(sql, " AND p.status = ?");
            bind_s(b, f->status);
        }
        if (f->year) {
            rc |= bf_buf_puts(sql, " AND p.year = ?");
            bind_i(b, f->year);
        }
        if (f->noncompetitive)
            rc |= bf_buf_puts(sql, " AND p.noncompetitive = 1");
    }
    if (f->date_from) {
        rc |= bf_buf_printf(sql, " AND %sp.date >= ?", r);
        bind_s(b, f->date_from);
    }
    if (f->date_to) {
        rc |= bf_buf_printf(sql, " AND %sp.date < ? || 'T99'", r);
        bind_s(b, f->date_to);
    }
    if (f->has_min) {
        rc |= bf_buf_printf(sql, " AND %sp.amount >= ?", r);
        bind_d(b, f->min_amount);
    }
    if (f->has_max) {
        rc |= bf_buf_printf(sql, " AND %sp.amount <= ?", r);
        bind_d(b, f->max_amount);
    }
    return rc ? BF_ELIMIT : 0;
}

static const char *order_by(const struct store_portal_filter *f)
{
    switch (f->sort) {
    case STORE_PORTAL_SORT_OLDEST:
        return " ORDER BY p.date ASC, p.id ASC";
    case STORE_PORTAL_SORT_VALUE_DESC:
        return " ORDER BY p.amount DESC NULLS LAST, p.id DESC";
    case STORE_PORTAL_SORT_VALUE_ASC:
        return " ORDER BY p.amount ASC NULLS LAST, p.id ASC";
    case STORE_PORTAL_SORT_RELEVANCE:
        if (f->fts)
            return " ORDER BY bm25(portal_fts, 10.0, 2.0, 4.0, 4.0, 0.0), p.id DESC";
        /* fall through */
    case STORE_PORTAL_SORT_NEWEST:
    default:
        return " ORDER BY p.date DESC, p.id DESC";
    }
}

/* Prepares the dynamic statement text in sql (finalized by the caller). */
static int prepare(struct store_conn *c, const struct bf_buf *sql, sqlite3_stmt **st, struct bf_err *err)
{
    int rc = sqlite3_prepare_v2(c->db, sql->data, (int)sql->len, st, NULL);
    if (rc != SQLITE_OK)
        return store_sqlite_error(c->db, rc, err, "portal search");
    return 0;
}

/* Maps an FTS5 syntax error (user text we did not sanitise well enough)
 * to BF_EINVAL instead of a server error. */
static int step_error(struct store_conn *c, int rc, struct bf_err *err)
{
    const char *m = sqlite3_errmsg(c->db);
    if (strstr(m, "fts5") || strstr(m, "syntax"))
        return bf_err_set(err, BF_EINVAL, "search text not understood: %s", m);
    return store_sqlite_error(c->db, rc, err, "portal search");
}

static int run_count(struct store_conn *c, const char *from, const struct bf_buf *where, const struct binds *b,
                     long *total, int *exact, struct bf_err *err)
{
    struct bf_buf sql = BF_BUF_INIT;
    sqlite3_stmt *st = NULL;
    int rc;

    rc = bf_buf_printf(&sql, "SELECT count(*) FROM (SELECT 1 FROM %s WHERE 1%s LIMIT %d)", from,
                       where->data ? where->data : "", STORE_PORTAL_COUNT_CAP + 1);
    if (rc < 0)
        goto out;
    if ((rc = prepare(c, &sql, &st, err)) < 0)
        goto out;
    apply_binds(st, b);
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        rc = step_error(c, rc, err);
        goto out;
    }
    *total = (long)sqlite3_column_int64(st, 0);
    *exact = *total <= STORE_PORTAL_COUNT_CAP;
    if (!*exact)
        *total = STORE_PORTAL_COUNT_CAP;
    rc = 0;
out:
    sqlite3_finalize(st);
    bf_buf_free(&sql);
    return rc;
}

/* Text only, by relevance: rank inside FTS5 and join only the page's rows
 * (a join per match before sorting costs a row fetch per match). */
#define TOP_BY_RANK                                                                                              \
    "SELECT " PROC_COLS " FROM (SELECT rowid AS rid, bm25(portal_fts, 10.0, 2.0, 4.0, 4.0, 0.0) AS score"            \
    " FROM portal_fts WHERE portal_fts MATCH ? ORDER BY score LIMIT %d OFFSET %d) AS m"                          \
    " JOIN portal_proc p ON p.id = m.rid ORDER BY m.score, p.id DESC"

static int run_page(struct store_conn *c, const char *from, const struct bf_buf *where, const struct binds *b,
                    const struct store_portal_filter *f, int text_only, store_portal_row_cb cb, void *arg,
                    struct bf_err *err)
{
    struct bf_buf sql = BF_BUF_INIT;
    sqlite3_stmt *st = NULL;
    struct store_portal_proc row;
    int rc;

    if (text_only && f->sort == STORE_PORTAL_SORT_RELEVANCE)
        rc = bf_buf_printf(&sql, TOP_BY_RANK, f->limit, f->offset);
    else
        rc = bf_buf_printf(&sql, "SELECT " PROC_COLS " FROM %s WHERE 1%s%s LIMIT %d OFFSET %d", from,
                           where->data ? where->data : "", order_by(f), f->limit, f->offset);
    if (rc < 0)
        goto out;
    if ((rc = prepare(c, &sql, &st, err)) < 0)
        goto out;
    apply_binds(st, b);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        read_row(st, &row);
        if ((rc = cb(arg, &row)) != 0)
            goto out;
    }
    rc = rc == SQLITE_DONE ? 0 : step_error(c, rc, err);
out:
    sqlite3_finalize(st);
    bf_buf_free(&sql);
    return rc;
}

/* Count first; then the page. A date-ordered page of a broad range filter
 * (thousands of matches) walks the date index instead of sorting every
 * match; a narrow one uses the range's index and sorts the few. */
int store_portal_search(struct store *s, const struct store_portal_filter *f, store_portal_row_cb cb, void *arg,
                        long *total, int *exact, struct bf_err *err)
{
    struct store_conn *c = store_sqlite_reader(s, err);
    struct bf_buf where = BF_BUF_INIT, match = BF_BUF_INIT;
    struct binds b = { 0 };
    const char *from = f->fts ? "portal_fts JOIN portal_proc p ON p.id = portal_fts.rowid" : "portal_proc p";
    int rc, text_only, by_date = f->sort != STORE_PORTAL_SORT_VALUE_DESC && f->sort != STORE_PORTAL_SORT_VALUE_ASC;

    if (!c)
        return BF_EIO;
    if (f->limit < 1 || f->limit > 100 || f->offset < 0 || f->offset > STORE_PORTAL_MAX_OFFSET)
        return bf_err_set(err, BF_EINVAL, "page out of range (at most 100 results per page and %d in all)",
                          STORE_PORTAL_MAX_OFFSET);
    bf_buf_init(&where, 4096);
    bf_buf_init(&match, 8192);
    if ((rc = bf_buf_puts(&where, "")) < 0 || (rc = build_where(f, 0, &match, &where, &b)) < 0)
        goto out;
    text_only = f->fts && !strcmp(where.data, " AND portal_fts MATCH ?");
    rc = run_count(c, text_only ? "portal_fts" : from, &where, &b, total, exact, err);
    if (rc < 0)
        goto out;
    if (!f->fts && by_date && *total >= 2000 && (f->has_min || f->has_max)) {
        bf_buf_reset(&where);
        bf_buf_reset(&match);
        memset(&b, 0, sizeof b);
        if ((rc = bf_buf_puts(&where, "")) < 0 || (rc = build_where(f, W_NO_RANGE_INDEX, &match, &where, &b)) < 0)
            goto out;
    }
    rc = run_page(c, from, &where, &b, f, text_only, cb, arg, err);
out:
    bf_buf_free(&where);
    bf_buf_free(&match);
    return rc;
}

int store_portal_org_procs(struct store *s, const char *org_id, const char *role, int limit, int offset,
                           store_portal_row_cb cb, void *arg, long *total, struct bf_err *err)
{
    static const char q_count[] =
        "SELECT count(DISTINCT proc_id) FROM portal_party WHERE org_id = ?1 AND (?2 IS NULL OR role = ?2)";
    static const char q_page[] =
        "SELECT " PROC_COLS " FROM portal_proc p WHERE p.id IN"
        " (SELECT proc_id FROM portal_party WHERE org_id = ?1 AND (?2 IS NULL OR role = ?2))"
        " ORDER BY p.date DESC, p.id DESC LIMIT ?3 OFFSET ?4";
    struct store_conn *c = store_sqlite_reader(s, err);
    struct store_portal_proc row;
    sqlite3_stmt *st;
    int rc;

    if (!c)
        return BF_EIO;
    if (limit < 1 || limit > 100 || offset < 0 || offset > STORE_PORTAL_MAX_OFFSET)
        return bf_err_set(err, BF_EINVAL, "page out of range");
    if (!(st = store_sqlite_stmt(c, q_count, err)))
        return BF_EIO;
    sqlite3_bind_text(st, 1, org_id, -1, SQLITE_STATIC);
    if (role)
        sqlite3_bind_text(st, 2, role, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    *total = rc == SQLITE_ROW ? (long)sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (rc != SQLITE_ROW)
        return store_sqlite_error(c->db, rc, err, "portal organisation");
    if (!(st = store_sqlite_stmt(c, q_page, err)))
        return BF_EIO;
    sqlite3_bind_text(st, 1, org_id, -1, SQLITE_STATIC);
    if (role)
        sqlite3_bind_text(st, 2, role, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, limit);
    sqlite3_bind_int(st, 4, offset);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        read_row(st, &row);
        if ((rc = cb(arg, &row)) != 0) {
            sqlite3_reset(st);
            return rc;
        }
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : store_sqlite_error(c->db, rc, err, "portal organisation");
}
