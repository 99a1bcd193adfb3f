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
        int kind; /* 0 text, 1 double, 2 integer */
        const char *s;
        double d;
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

static void bind_i(struct binds *b, int i)
{
    b->v[b->n].kind = 2;
    b->v[b->n++].d = i;
}

static void apply_binds(sqlite3_stmt *st, const struct binds *b)
{
    int i;
    for (i = 0; i < b->n; i++) {
        if (b->v[i].kind == 0)
            sqlite3_bind_text(st, i + 1, b->v[i].s, -1, SQLITE_STATIC);
        else if (b->v[i].kind == 2)
            sqlite3_bind_int(st, i + 1, (int)b->v[i].d);
        else
            sqlite3_bind_double(st, i + 1, b->v[i].d);
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

/* 1 when the search has no text and no facet but those that are exactly a
 * column (buyer: its token is a hash of the id; year; non-competitive):
 * then these are compared as columns (see build_rest). With any other
 * facet they stay in FTS5, where intersecting posting lists beats
 * probing one list's rows by rowid. */
static int column_facets(const struct store_portal_filter *f)
{
    return !f->fts && !f->supplier && !f->procedure && !f->capability && !f->status &&
           !(f->cpv_prefix && strlen(f->cpv_prefix) >= 2);
}

/* The FTS5 query of a search: its text restricted to the text columns,
 * AND each equality filter as a facet term (see sqlite_portal_int.h).
 * Empty when the search has neither: then it is plain SQL. */
static int build_match(const struct store_portal_filter *f, struct bf_buf *m)
{
    struct bf_buf tok = BF_BUF_INIT;
    char year[16];
    int rc = 0;

    snprintf(year, sizeof year, "%d", f->year);
    bf_buf_init(&tok, 4096);
    if (f->fts)
        rc |= bf_buf_printf(m, PORTAL_TEXT_COLUMNS " : (%s)", f->fts);
    if (!column_facets(f)) {
        rc |= portal_facet_hashed(&tok, "fb", f->buyer) | portal_facet_token(&tok, "fy", f->year ? year : NULL);
        rc |= f->noncompetitive ? portal_facet_token(&tok, "fn", "1") : 0;
    }
    rc |= portal_facet_hashed(&tok, "fu", f->supplier);
    rc |= portal_facet_token(&tok, "fp", f->procedure) | portal_facet_token(&tok, "fc", f->capability);
    rc |= portal_facet_token(&tok, "fs", f->status);
    if (f->cpv_prefix && strlen(f->cpv_prefix) >= 2)
        rc |= portal_facet_token(&tok, "fv", f->cpv_prefix);
    if (!rc && tok.data) { /* " t1 t2" -> facets : "t1" AND facets : "t2" */
        const char *t = tok.data;
        while (*t == ' ')
            t++;
        while (*t && !rc) {
            size_t n = strcspn(t, " ");
            rc |= bf_buf_printf(m, "%sfacets : \"%.*s\"", m->len ? " AND " : "", (int)n, t);
            t += n;
            while (*t == ' ')
                t++;
        }
    }
    bf_buf_free(&tok);
    return rc ? BF_ELIMIT : 0;
}

/* Broad: the search matches thousands of procedures, so a date- or
 * value-ordered page walks the sort's index and checks each row
 * ("+p.col" hides the filters' own indexes from the planner) instead of
 * fetching and sorting every match. */
#define W_BROAD 1
/* Count only: the date range drives (its index, the matches probed as a
 * set), chosen when the range holds fewer rows than the text and facets
 * match (see count_drive). */
#define W_DATE_DRIVES 2

/* The filters that are not facets: value and date ranges, and a CPV
 * prefix of one digit, as " AND ..." with their bindings. */
static int build_rest(const struct store_portal_filter *f, unsigned flags, struct bf_buf *sql, struct binds *b)
{
    /* A range on the column a broad page walks stays visible: it bounds
     * the walk of that same index instead of scanning from its end (a
     * 2023 range sorted newest first skipped every later date row by row:
     * 60-85 ms for one buyer's 2023 page). */
    int ranked = f->fts && f->sort == STORE_PORTAL_SORT_RELEVANCE;
    int by_value = f->sort == STORE_PORTAL_SORT_VALUE_DESC || f->sort == STORE_PORTAL_SORT_VALUE_ASC;
    const char *xd = (flags & W_BROAD) && (ranked || by_value) ? "+" : "";
    const char *xa = (flags & W_BROAD) && (ranked || !by_value) ? "+" : "";
    /* ... but a broad value-sorted page walks the amount index: a column
     * index would fetch and sort all of, say, a big buyer's rows (76 ms). */
    const char *xe = (flags & W_BROAD) && by_value ? "+" : "";
    if (flags & W_DATE_DRIVES)
        xd = "", xa = "+";
    int rc = 0;

    /* Facets that are exactly a column, when nothing else needs FTS5
     * (column_facets): their (column, date) indexes give a date-sorted page
     * by walking only the page's own entries, where the facet's posting
     * list (tens of thousands of rowids for a big buyer or a year) had to
     * be collected first: 13-16 ms a page, now under 1 ms. The other
     * facets are normalised tokens, not the stored spelling, so they never
     * become columns. */
    int cols = column_facets(f);
    if (cols && f->buyer) {
        rc |= bf_buf_printf(sql, " AND %sp.buyer_id = ?", xe);
        bind_s(b, f->buyer);
    }
    if (cols && f->year) {
        rc |= bf_buf_printf(sql, " AND %sp.year = ?", xe);
        bind_i(b, f->year);
    }
    if (cols && f->noncompetitive)
        rc |= bf_buf_printf(sql, " AND %sp.noncompetitive = 1", xe);
    if (f->cpv_prefix && strlen(f->cpv_prefix) < 2) {
        rc |= bf_buf_puts(sql, " AND EXISTS (SELECT 1 FROM portal_cpv c WHERE c.proc_id = p.id AND c.code GLOB ? || '*')");
        bind_s(b, f->cpv_prefix);
    }
    if (f->date_from) {
        rc |= bf_buf_printf(sql, " AND %sp.date >= ?", xd);
        bind_s(b, f->date_from);
    }
    if (f->date_to) {
        rc |= bf_buf_printf(sql, " AND %sp.date < ? || 'T99'", xd);
        bind_s(b, f->date_to);
    }
    if (f->has_min) {
        rc |= bf_buf_printf(sql, " AND %sp.amount >= ?", xa);
        bind_d(b, f->min_amount);
    }
    if (f->has_max) {
        rc |= bf_buf_printf(sql, " AND %sp.amount <= ?", xa);
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

struct plan {
    const struct store_portal_filter *f;
    struct bf_buf match;   /* FTS5 query, empty if none */
    struct bf_buf rest;    /* " AND ..." of the other filters */
    struct binds b;        /* MATCH first (if any), then rest */
};

static int plan_build(struct plan *q, unsigned flags)
{
    int rc;
    bf_buf_reset(&q->match);
    bf_buf_reset(&q->rest);
    memset(&q->b, 0, sizeof q->b);
    if ((rc = bf_buf_puts(&q->match, "")) < 0 || (rc = bf_buf_puts(&q->rest, "")) < 0 ||
        (rc = build_match(q->f, &q->match)) < 0)
        return rc;
    if (q->match.len)
        bind_s(&q->b, q->match.data);
    return build_rest(q->f, flags, &q->rest, &q->b);
}

/* Capped count of one statement with the plan's bindings (or only the
 * MATCH, nb = 1); cap + 1 means "more than cap". */
static int count_of(struct store_conn *c, const struct plan *q, const char *sql, int nb, long *n, struct bf_err *err)
{
    struct bf_buf b = BF_BUF_INIT;
    struct binds only = q->b;
    sqlite3_stmt *st = NULL;
    int rc = bf_buf_puts(&b, sql);

    *n = 0;
    if (rc < 0 || (rc = prepare(c, &b, &st, err)) < 0)
        goto out;
    if (nb >= 0)
        only.n = nb;
    apply_binds(st, &only);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *n = (long)sqlite3_column_int64(st, 0);
    rc = rc == SQLITE_ROW ? 0 : step_error(c, rc, err);
out:
    sqlite3_finalize(st);
    bf_buf_free(&b);
    return rc;
}

/* Which side drives a count of text or facets with a date range: the
 * matches, each one's row fetched by rowid (the default), or the date
 * index's range, each entry probed against the matches as a set (the
 * index holds the rowid, so no row is read). Both sizes are capped counts
 * that cost about a millisecond each; one buyer's ~30 000 procedures
 * within 2023 (15 000 rows) counted 40 ms by rowid, 21 ms by the range. */
static int count_drive(struct store_conn *c, struct plan *q, unsigned *drive, struct bf_err *err)
{
    char sql[256];
    long nm = 0, nr = 0;
    int rc;

    *drive = 0;
    if (!q->match.len || !(q->f->date_from || q->f->date_to))
        return 0;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM (SELECT 1 FROM portal_fts WHERE portal_fts MATCH ?1 LIMIT %d)",
             STORE_PORTAL_RANK_WINDOW * 10);
    if ((rc = count_of(c, q, sql, 1, &nm, err)) < 0)
        return rc;
    if (nm < STORE_PORTAL_RANK_WINDOW) /* few matches: fetching them is cheapest */
        return 0;
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM (SELECT 1 FROM portal_proc WHERE date >= coalesce(?1, '') AND date < coalesce(?2 || 'T99', 'a') LIMIT %ld)",
             nm);
    {
        sqlite3_stmt *st = NULL;
        struct bf_buf b = BF_BUF_INIT;
        if ((rc = bf_buf_puts(&b, sql)) < 0 || (rc = prepare(c, &b, &st, err)) < 0) {
            bf_buf_free(&b);
            return rc;
        }
        if (q->f->date_from)
            sqlite3_bind_text(st, 1, q->f->date_from, -1, SQLITE_STATIC);
        if (q->f->date_to)
            sqlite3_bind_text(st, 2, q->f->date_to, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        nr = rc == SQLITE_ROW ? (long)sqlite3_column_int64(st, 0) : nm;
        rc = rc == SQLITE_ROW ? 0 : step_error(c, rc, err);
        sqlite3_finalize(st);
        bf_buf_free(&b);
        if (rc < 0)
            return rc;
    }
    if (nr < nm)
        *drive = W_DATE_DRIVES;
    return 0;
}

/* flags: those of the plan as built, restored after a count that chose
 * another drive. */
static int run_count(struct store_conn *c, struct plan *q, unsigned flags, long *total, int *exact, struct bf_err *err)
{
    struct bf_buf sql = BF_BUF_INIT;
    unsigned drive = 0;
    int rc;

    if (q->match.len && q->rest.len && (rc = count_drive(c, q, &drive, err)) < 0)
        return rc;
    if (drive && (rc = plan_build(q, drive)) < 0)
        return rc;
    if (q->match.len && !q->rest.len)
        rc = bf_buf_printf(&sql, "SELECT count(*) FROM (SELECT 1 FROM portal_fts WHERE portal_fts MATCH ? LIMIT %d)",
                           STORE_PORTAL_COUNT_CAP + 1);
    else
        rc = bf_buf_printf(&sql, "SELECT count(*) FROM (SELECT 1 FROM portal_proc p WHERE 1%s%s LIMIT %d)",
                           !q->match.len ? ""
                           : drive       ? " AND +p.id IN (SELECT rowid FROM portal_fts WHERE portal_fts MATCH ?)"
                                         : " AND p.id IN (SELECT rowid FROM portal_fts WHERE portal_fts MATCH ?)",
                           q->rest.data, STORE_PORTAL_COUNT_CAP + 1);
    if (rc >= 0)
        rc = count_of(c, q, sql.data, -1, total, err);
    bf_buf_free(&sql);
    if (rc < 0)
        return rc;
    *exact = *total <= STORE_PORTAL_COUNT_CAP;
    if (!*exact)
        *total = STORE_PORTAL_COUNT_CAP;
    if (drive)
        return plan_build(q, flags);
    return 0;
}

/* Relevance ranks in two tiers so that paging is exact and the usual page
 * is cheap: tier 0 is the STORE_PORTAL_RANK_WINDOW most recently indexed
 * matches, tier 1 all older ones; each tier by bm25 (title weighted
 * highest). The first tier is ranked inside FTS5 and joined to the rows
 * only to check the other filters; a page beyond the filtered first tier
 * takes one flat pass over all matches (see ranked_ids). */
#define BM25 "bm25(portal_fts, 10.0, 2.0, 4.0, 4.0, 0.0)"

/* The rowid of the oldest match in the first tier (*b = 0 when there are
 * fewer matches than the window: all of them are tier 0). FTS5 walks the
 * rowids in descending order without ranking, so this is cheap. */
static int tier_boundary(struct store_conn *c, const struct plan *q, sqlite3_int64 *b, struct bf_err *err)
{
    struct bf_buf sql = BF_BUF_INIT;
    sqlite3_stmt *st = NULL;
    int rc = bf_buf_printf(&sql, "SELECT rowid FROM portal_fts WHERE portal_fts MATCH ?1 ORDER BY rowid DESC LIMIT 1 OFFSET %d",
                           STORE_PORTAL_RANK_WINDOW - 1);
    *b = 0;
    if (rc < 0 || (rc = prepare(c, &sql, &st, err)) < 0)
        goto out;
    sqlite3_bind_text(st, 1, q->match.data, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *b = sqlite3_column_int64(st, 0);
    rc = (rc == SQLITE_ROW || rc == SQLITE_DONE) ? 0 : step_error(c, rc, err);
out:
    sqlite3_finalize(st);
    bf_buf_free(&sql);
    return rc;
}

/* A page of a search that is not ranked by relevance (those go through
 * ranked_search). */
static int page_sql(const struct plan *q, struct bf_buf *sql, unsigned flags)
{
    const struct store_portal_filter *f = q->f;

    return bf_buf_printf(sql, "SELECT " PROC_COLS " FROM portal_proc p WHERE 1%s%s%s LIMIT %d OFFSET %d",
                         !q->match.len ? ""
                         : (flags & W_BROAD) ? " AND +p.id IN (SELECT rowid FROM portal_fts WHERE portal_fts MATCH ?)"
                                             : " AND p.id IN (SELECT rowid FROM portal_fts WHERE portal_fts MATCH ?)",
                         q->rest.data, order_by(f), f->limit, f->offset);
}

/* Runs the page. */
static int run_page(struct store_conn *c, const struct plan *q, unsigned flags, store_portal_row_cb cb, void *arg,
                    struct bf_err *err)
{
    struct bf_buf sql = BF_BUF_INIT;
    sqlite3_stmt *st = NULL;
    struct store_portal_proc row;
    int rc;

    if ((rc = page_sql(q, &sql, flags)) < 0)
        goto out;
    if ((rc = prepare(c, &sql, &st, err)) < 0)
        goto out;
    apply_binds(st, &q->b);
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

/* ---- id lists (sqlite_portal_cache.c) ---------------------------------- */

/* The cache key of a search: the database file, the index generation (the
 * indexer's cursor and the count of summary puts, read before the query
 * runs, so an entry can be newer than its key but never older), kind
 * ('r' ranked list, 'c' count only: a count does not depend on the sort)
 * and every filter field but the page. */
static int search_key(struct store *s, struct store_conn *c, const struct store_portal_filter *f, char kind,
                      struct bf_buf *k)
{
    const char *v[] = { f->fts, f->buyer, f->supplier, f->procedure, f->capability, f->cpv_prefix, f->status,
                        f->date_from, f->date_to };
    const char *file = sqlite3_db_filename(c->db, "main");
    uint64_t cursor = 0, puts = sqlite_portal_put_count();
    size_t i;
    int rc = store_portal_cursor(s, &cursor, NULL);

    if (rc < 0)
        return rc;
    rc = bf_buf_printf(k, "%s\x1f%" PRIu64 "\x1f%" PRIu64 "\x1f%c", file ? file : "", cursor, puts, kind);
    for (i = 0; i < BF_ARRAY_LEN(v); i++)
        rc |= bf_buf_printf(k, "\x1f%s", v[i] ? v[i] : "");
    rc |= bf_buf_printf(k, "\x1f%d\x1f%d\x1f%d:%.17g\x1f%d:%.17g", f->year, f->noncompetitive, f->has_min, f->min_amount,
                        f->has_max, f->max_amount);
    return rc ? BF_ELIMIT : 0;
}

static int ids_push(struct portal_ids *l, int *cap, int64_t id)
{
    if (l->n == *cap) {
        int64_t *x = realloc(l->ids, (size_t)(*cap ? *cap * 2 : 256) * sizeof *x);
        if (!x)
            return BF_ENOMEM;
        l->ids = x;
        *cap = *cap ? *cap * 2 : 256;
    }
    l->ids[l->n++] = id;
    return 0;
}

/* Runs sql (bound as the plan) and appends column 0 of each row to l; when
 * the statement has a second column it is the count of all rows (before
 * LIMIT), kept in *n. */
static int collect_ids(struct store_conn *c, const struct plan *q, const struct bf_buf *sql, struct portal_ids *l,
                       long *n, struct bf_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc, cap = 0;

    if ((rc = prepare(c, sql, &st, err)) < 0)
        return rc;
    apply_binds(st, &q->b);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (n && sqlite3_column_count(st) > 1)
            *n = (long)sqlite3_column_int64(st, 1);
        if ((rc = ids_push(l, &cap, sqlite3_column_int64(st, 0))) < 0)
            break;
    }
    rc = rc == SQLITE_DONE ? 0 : rc < 0 ? rc : step_error(c, rc, err);
    sqlite3_finalize(st);
    return rc;
}

/* The ranked ids of a relevance search, enough for a page ending at `need`:
 * the filtered first tier by score, and, when the page lies beyond it, the
 * whole ranking of both tiers up to the paging limit with the count of the
 * matches. The flat pass walks the matches once (FTS5 outside, CROSS JOIN
 * so the planner cannot turn it around), checks each one's row by rowid
 * and computes bm25 only for the rows that pass (ranking all 19 000 matches
 * of a common word before filtering cost ~45 ms); the count comes from
 * count(*) OVER (), one level up because FTS5 refuses bm25 inside a window
 * query. Either way one bm25 pass serves every later page of the query. */
static int ranked_ids(struct store_conn *c, const struct plan *q, int need, struct portal_ids *l, struct bf_err *err)
{
    struct bf_buf sql = BF_BUF_INIT;
    sqlite3_int64 boundary = 0;
    long n = 0;
    int rc;

    memset(l, 0, sizeof *l);
    bf_buf_init(&sql, 16384);
    if ((rc = tier_boundary(c, q, &boundary, err)) < 0)
        goto out;
    if (q->rest.len)
        rc = bf_buf_printf(&sql,
                           "SELECT m.rid FROM (SELECT rowid AS rid, " BM25 " AS score FROM portal_fts"
                           " WHERE portal_fts MATCH ?1 ORDER BY rowid DESC LIMIT %d) AS m"
                           " JOIN portal_proc p ON p.id = m.rid WHERE 1%s ORDER BY m.score, p.id DESC",
                           STORE_PORTAL_RANK_WINDOW, q->rest.data);
    else
        rc = bf_buf_printf(&sql,
                           "SELECT rid FROM (SELECT rowid AS rid, " BM25 " AS score FROM portal_fts"
                           " WHERE portal_fts MATCH ?1 ORDER BY rowid DESC LIMIT %d) ORDER BY score, rid DESC",
                           STORE_PORTAL_RANK_WINDOW);
    /* A page beyond the window needs the whole ranking anyway. */
    if (rc < 0 || ((boundary == 0 || need <= STORE_PORTAL_RANK_WINDOW) && (rc = collect_ids(c, q, &sql, l, NULL, err)) < 0))
        goto out;
    if (!boundary) { /* fewer matches than the window: the first tier is all of them */
        l->full = l->has_total = l->exact = 1;
        l->total = l->n;
        goto out;
    }
    if (need <= l->n)
        goto out;
    l->n = 0;
    bf_buf_reset(&sql);
    rc = bf_buf_printf(&sql,
                       "SELECT rid, n FROM (SELECT rid, tier, score, count(*) OVER () AS n FROM"
                       " (SELECT m.rowid AS rid, m.rowid < %lld AS tier, " BM25 " AS score"
                       " FROM portal_fts m%s WHERE portal_fts MATCH ?1%s)"
                       " ORDER BY tier, score, rid DESC LIMIT %d)",
                       (long long)boundary, q->rest.len ? " CROSS JOIN portal_proc p ON p.id = m.rowid" : "",
                       q->rest.data, STORE_PORTAL_MAX_OFFSET + 100);
    if (rc < 0 || (rc = collect_ids(c, q, &sql, l, &n, err)) < 0)
        goto out;
    l->full = l->has_total = 1;
    l->exact = n <= STORE_PORTAL_COUNT_CAP;
    l->total = l->exact ? n : STORE_PORTAL_COUNT_CAP;
out:
    bf_buf_free(&sql);
    if (rc < 0) {
        free(l->ids);
        memset(l, 0, sizeof *l);
    }
    return rc < 0 ? rc : 0;
}

/* The rows of ids[0..n), in that order: a primary-key lookup each. A row
 * replaced since the list was made (an entry read under the generation
 * just before a commit) is skipped. */
static int rows_by_id(struct store_conn *c, const int64_t *ids, int n, store_portal_row_cb cb, void *arg,
                      struct bf_err *err)
{
    static const char q_row[] = "SELECT " PROC_COLS " FROM portal_proc p WHERE p.id = ?1";
    struct store_portal_proc row;
    int i, rc = 0;

    for (i = 0; i < n && !rc; i++) {
        sqlite3_stmt *st = store_sqlite_stmt(c, q_row, err);
        if (!st)
            return BF_EIO;
        sqlite3_bind_int64(st, 1, ids[i]);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            read_row(st, &row);
            rc = cb(arg, &row);
        } else {
            rc = rc == SQLITE_DONE ? 0 : store_sqlite_error(c->db, rc, err, "portal search");
        }
        sqlite3_reset(st);
    }
    return rc;
}

int store_portal_rows(struct store *s, const int64_t *ids, int n, store_portal_row_cb cb, void *arg,
                      struct bf_err *err)
{
    struct store_conn *c = store_sqlite_reader(s, err);
    if (!c)
        return BF_EIO;
    return rows_by_id(c, ids, n, cb, arg, err);
}

/* A relevance search through its cached id list: the list is ranked once
 * (ranked_ids) and each page is a slice of it; the count is kept with the
 * list, so only the first page of a query counts. */
static int ranked_search(struct store *s, struct store_conn *c, struct plan *q, store_portal_row_cb cb, void *arg,
                         long *total, int *exact, struct bf_err *err)
{
    const struct store_portal_filter *f = q->f;
    struct bf_buf key = BF_BUF_INIT;
    struct portal_ids l = { 0 };
    int rc, keyed, need = f->offset + f->limit, from, n;

    bf_buf_init(&key, 8192);
    keyed = search_key(s, c, f, 'r', &key) == 0;
    if (!keyed || !sqlite_portal_ids_get(key.data, &l) || !(l.full || need <= l.n)) {
        free(l.ids);
        if ((rc = ranked_ids(c, q, need, &l, err)) < 0)
            goto out;
        if (keyed)
            sqlite_portal_ids_put(key.data, &l);
    }
    from = f->offset < l.n ? f->offset : l.n;
    n = l.n - from < f->limit ? l.n - from : f->limit;
    if ((rc = rows_by_id(c, l.ids + from, n, cb, arg, err)) != 0)
        goto out;
    if (!l.has_total) {
        if ((rc = run_count(c, q, W_BROAD, &l.total, &l.exact, err)) < 0)
            goto out;
        l.has_total = 1;
        if (keyed)
            sqlite_portal_ids_put(key.data, &l);
    }
    *total = l.total;
    *exact = l.exact;
out:
    free(l.ids);
    bf_buf_free(&key);
    return rc;
}

/* Count first (cheap: posting lists or a capped scan, and kept per query
 * and generation, so the later pages of a query do not count again), then
 * the page, planned by how broad the search turned out to be. Relevance
 * with text goes through its cached ranked id list (ranked_search; W_BROAD
 * keeps the planner from starting at a date or value index and probing the
 * matches). */
int store_portal_search(struct store *s, const struct store_portal_filter *f, store_portal_row_cb cb, void *arg,
                        long *total, int *exact, struct bf_err *err)
{
    struct store_conn *c = store_sqlite_reader(s, err);
    struct plan q = { f, BF_BUF_INIT, BF_BUF_INIT, { 0 } };
    struct bf_buf key = BF_BUF_INIT;
    struct portal_ids l = { 0 };
    unsigned flags = 0;
    int rc, keyed, ranked = f->fts && f->sort == STORE_PORTAL_SORT_RELEVANCE;

    if (!c)
        return BF_EIO;
    if (f->limit < 1 || f->limit > 100 || f->offset < 0 || f->offset > STORE_PORTAL_MAX_OFFSET)
        return bf_err_set(err, BF_EINVAL, "page out of range (at most 100 results per page and %d in all)",
                          STORE_PORTAL_MAX_OFFSET);
    bf_buf_init(&q.match, 8192);
    bf_buf_init(&q.rest, 4096);
    bf_buf_init(&key, 8192);
    if (ranked) {
        if ((rc = plan_build(&q, W_BROAD)) < 0)
            goto out;
        rc = ranked_search(s, c, &q, cb, arg, total, exact, err);
        goto out;
    }
    if ((rc = plan_build(&q, 0)) < 0)
        goto out;
    keyed = search_key(s, c, f, 'c', &key) == 0;
    if (keyed && sqlite_portal_ids_get(key.data, &l) && l.has_total) {
        *total = l.total;
        *exact = l.exact;
    } else {
        if ((rc = run_count(c, &q, 0, total, exact, err)) < 0)
            goto out;
        if (keyed) {
            struct portal_ids v = { NULL, 0, 0, 1, *exact, *total };
            sqlite_portal_ids_put(key.data, &v);
        }
    }
    if (*total >= 2000) {
        flags = W_BROAD;
        if ((rc = plan_build(&q, flags)) < 0)
            goto out;
    }
    rc = run_page(c, &q, flags, cb, arg, err);
out:
    if (rc == BF_ELIMIT && err)
        bf_err_set(err, rc, "search too complex");
    free(l.ids);
    bf_buf_free(&key);
    bf_buf_free(&q.match);
    bf_buf_free(&q.rest);
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
