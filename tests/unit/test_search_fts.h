/*
 * test_search_fts.h - part 2 of test_search.c: the portal's in-memory
 * index against FTS5 on a real store of demo procedures.
 */
#define NREL_FIRST 5000
#define NREL_MORE 1500
#define NFTS_QUERIES 400

struct feed {
    struct store_txn *t;
    json_t *rel[64]; /* the procedure's releases so far */
    size_t nrel;
    uint64_t n, from;
    char **ocids;
    int nocids;
    int rc;
};

static int feed_release(void *arg, json_t *r)
{
    struct feed *f = arg;
    const char *ocid = json_string_value(json_object_get(r, "ocid"));
    struct bf_err err = { 0 };
    uint64_t i = f->n++;
    json_t *compiled = NULL;

    if (i < f->from || f->rc)
        return 0;
    if (!f->nrel || f->nrel == BF_ARRAY_LEN(f->rel) || !ocid ||
        strcmp(ocid, json_string_value(json_object_get(f->rel[0], "ocid")))) {
        while (f->nrel)
            json_decref(f->rel[--f->nrel]);
    }
    f->rel[f->nrel++] = json_incref(r);
    f->rc = ocds_merge_compiled(f->rel, f->nrel, &compiled, &err);
    if (!f->rc)
        f->rc = portal_index_compiled(f->t, i, compiled, &err);
    json_decref(compiled);
    if (f->rc)
        diag("index: %s", err.msg);
    if (f->ocids && ocid) {
        f->ocids = bf_xrealloc(f->ocids, (size_t)(f->nocids + 1) * sizeof *f->ocids);
        f->ocids[f->nocids++] = bf_xstrdup(ocid);
    }
    return 0;
}

static int index_demo(struct store *s, uint64_t from, uint64_t to, struct feed *f)
{
    struct bf_err err = { 0 };
    int rc;
    f->n = 0;
    f->from = from;
    f->nrel = 0;
    if ((rc = store_txn_begin(s, &f->t, &err)) < 0)
        return rc;
    ocds_demo_generate(7, to, feed_release, f);
    while (f->nrel)
        json_decref(f->rel[--f->nrel]);
    if (f->rc) {
        store_txn_rollback(f->t);
        return f->rc;
    }
    return store_txn_commit(f->t, &err);
}

/* A random value of a column of a random row ("" if none). */
static void pick(sqlite3 *db, const char *sql, char *out, size_t cap)
{
    sqlite3_stmt *st = NULL;
    out[0] = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int(st, 1, (int)rnd(1000000));
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
            snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
}

/* A word of a random title or description, maybe cut to a prefix. */
static void pick_word(sqlite3 *db, char *out, size_t cap)
{
    char text[4096];
    const char *p;
    size_t n, k, skip;
    pick(db, rnd(2) ? "SELECT title FROM portal_fts WHERE rowid >= ?1 % (SELECT max(rowid) FROM portal_fts) LIMIT 1"
                    : "SELECT description FROM portal_fts WHERE rowid >= ?1 % (SELECT max(rowid) FROM portal_fts) LIMIT 1",
         text, sizeof text);
    out[0] = 0;
    for (p = text, skip = rnd(6);; skip--) {
        while (*p && !isalnum((unsigned char)*p))
            p++;
        for (n = 0; isalnum((unsigned char)p[n]); n++)
            ;
        if (!n || !skip)
            break;
        p += n;
    }
    k = n > 3 && rnd(3) == 0 ? 2 + rnd((unsigned)n - 2) : n;
    if (k && k < cap)
        snprintf(out, cap, "%.*s", (int)k, p);
}

struct filter_buf {
    char text[256], buyer[128], supplier[128], procedure[64], capability[64], status[32], cpv[16], from[16],
        to[16];
};

static void random_filter(sqlite3 *db, struct store_portal_filter *f, struct filter_buf *b)
{
    static const char rowq[] = "SELECT %s FROM portal_proc WHERE id >= ?1 %% (SELECT max(id) FROM portal_proc) LIMIT 1";
    char sql[256], w[64];
    int i, nw = (int)rnd(4);

    memset(f, 0, sizeof *f);
    memset(b, 0, sizeof *b);
    for (i = 0; i < nw; i++) {
        pick_word(db, w, sizeof w);
        if (w[0] && strlen(b->text) + strlen(w) + 2 < sizeof b->text)
            snprintf(b->text + strlen(b->text), sizeof b->text - strlen(b->text), "%s%s", i ? " " : "", w);
    }
    if (b->text[0] && rnd(3) == 0 && strlen(b->text) + 1 < sizeof b->text)
        memcpy(b->text + strlen(b->text), " ", 2);
    if (b->text[0]) {
        static char fts[1024];
        if (portal_fts_query(b->text, fts, sizeof fts) > 0)
            f->fts = fts;
    }
#define PICK(field, col, p)                                                                                       \
    if (rnd(p) == 0) {                                                                                            \
        snprintf(sql, sizeof sql, rowq, col);                                                                     \
        pick(db, sql, b->field, sizeof b->field);                                                                 \
        f->field = b->field[0] ? b->field : NULL;                                                                 \
    }
    PICK(buyer, "buyer_id", 5)
    PICK(procedure, "procedure", 6)
    PICK(capability, "capability", 6)
    PICK(status, "status", 6)
    if (rnd(6) == 0) {
        pick(db, "SELECT org_id FROM portal_party WHERE role = 'supplier' AND proc_id >= ?1 % 3000 LIMIT 1",
             b->supplier, sizeof b->supplier);
        f->supplier = b->supplier[0] ? b->supplier : NULL;
    }
    if (rnd(5) == 0) {
        pick(db, "SELECT code FROM portal_cpv WHERE proc_id >= ?1 % 3000 LIMIT 1", b->cpv, sizeof b->cpv);
        b->cpv[1 + rnd(4)] = 0;
        f->cpv_prefix = b->cpv[0] ? b->cpv : NULL;
    }
    if (rnd(6) == 0)
        f->year = 2016 + (int)rnd(10);
    f->noncompetitive = rnd(8) == 0;
    if (rnd(6) == 0) {
        snprintf(b->from, sizeof b->from, "20%02u-%02u-01", 16 + rnd(10), 1 + rnd(12));
        f->date_from = b->from;
    }
    if (rnd(6) == 0) {
        snprintf(b->to, sizeof b->to, "20%02u-%02u-15", 18 + rnd(10), 1 + rnd(12));
        f->date_to = b->to;
    }
    f->has_min = rnd(6) == 0;
    f->min_amount = rnd(4) * 250000.0;
    f->has_max = rnd(6) == 0;
    f->max_amount = (1 + rnd(20)) * 500000.0;
    f->sort = f->fts && rnd(2) ? STORE_PORTAL_SORT_RELEVANCE : (enum store_portal_sort)rnd(5);
    f->limit = 1 + (int)rnd(rnd(2) ? 100 : 20);
    f->offset = rnd(3) ? 0 : (int)rnd(300);
}

/* FTS5's own answer: every match's ocid in order; the count. */
static int reference(sqlite3 *db, const struct store_portal_filter *f, char ***out, int *n)
{
    static const char *const orders[] = { " ORDER BY p.date DESC, p.id DESC", " ORDER BY p.date DESC, p.id DESC",
                                          " ORDER BY p.date ASC, p.id ASC",
                                          " ORDER BY p.amount DESC NULLS LAST, p.id DESC",
                                          " ORDER BY p.amount ASC NULLS LAST, p.id ASC" };
    struct bf_buf sql = BF_BUF_INIT, m = BF_BUF_INIT, facets = BF_BUF_INIT;
    sqlite3_stmt *st = NULL;
    int rc, b = 1, cap = 0;
    char *t;

    bf_buf_init(&sql, 1 << 16);
    bf_buf_init(&m, 1 << 16);
    bf_buf_init(&facets, 1 << 16);
    rc = bf_buf_puts(&m, "") | store_portal_filter_facets(f, &facets);
    if (f->fts)
        rc |= bf_buf_printf(&m, "{title description buyer suppliers} : (%s)", f->fts);
    for (t = facets.data; t && *t;) { /* " t1 t2" */
        size_t k;
        while (*t == ' ')
            t++;
        if (!(k = strcspn(t, " ")))
            break;
        rc |= bf_buf_printf(&m, "%sfacets : \"%.*s\"", m.len ? " AND " : "", (int)k, t);
        t += k;
    }
    rc |= bf_buf_puts(&sql, m.len ? "SELECT p.ocid FROM (SELECT rowid AS rid, bm25(portal_fts, 10.0, 2.0, 4.0, 4.0, 0.0)"
                                    " AS score FROM portal_fts WHERE portal_fts MATCH ?1) AS x"
                                    " JOIN portal_proc p ON p.id = x.rid WHERE 1"
                                  : "SELECT p.ocid FROM portal_proc p WHERE ?1 IS NULL");
    if (f->date_from)
        rc |= bf_buf_puts(&sql, " AND p.date >= ?2");
    if (f->date_to)
        rc |= bf_buf_puts(&sql, " AND p.date < ?3 || 'T99'");
    if (f->cpv_prefix && strlen(f->cpv_prefix) == 1)
        rc |= bf_buf_puts(&sql, " AND EXISTS (SELECT 1 FROM portal_cpv c WHERE c.proc_id = p.id AND c.code GLOB ?4 || '*')");
    if (f->has_min)
        rc |= bf_buf_puts(&sql, " AND p.amount >= ?5");
    if (f->has_max)
        rc |= bf_buf_puts(&sql, " AND p.amount <= ?6");
    rc |= bf_buf_puts(&sql, f->fts && f->sort == STORE_PORTAL_SORT_RELEVANCE ? " ORDER BY x.score, p.id DESC"
                                                                             : orders[f->sort]);
    if (rc || sqlite3_prepare_v2(db, sql.data, -1, &st, NULL) != SQLITE_OK) {
        diag("reference: %s", sqlite3_errmsg(db));
        b = 0;
        goto out;
    }
    if (m.len)
        sqlite3_bind_text(st, 1, m.data, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, f->date_from, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, f->date_to, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, f->cpv_prefix, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 5, f->min_amount);
    sqlite3_bind_double(st, 6, f->max_amount);
    *n = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (*n == cap)
            *out = bf_xrealloc(*out, (size_t)(cap = cap ? cap * 2 : 256) * sizeof **out);
        (*out)[(*n)++] = bf_xstrdup((const char *)sqlite3_column_text(st, 0));
    }
out:
    sqlite3_finalize(st);
    bf_buf_free(&sql);
    bf_buf_free(&m);
    bf_buf_free(&facets);
    return b;
}

struct page {
    char *ocid[128];
    int n;
};

static int page_cb(void *arg, const struct store_portal_proc *row)
{
    struct page *p = arg;
    if (p->n < 128)
        p->ocid[p->n++] = bf_xstrdup(row->ocid);
    return 0;
}

/* Random searches through the index against the reference; the number
 * that differ. */
static int compare_fts(struct store *s, sqlite3 *db, int nq, int *answered, int *nonempty)
{
    int q, bad = 0, i;
    for (q = 0; q < nq; q++) {
        struct store_portal_filter f;
        struct filter_buf b;
        struct page pg = { { 0 }, 0 };
        struct bf_err err = { 0 };
        char **ref = NULL;
        long total = -1;
        int nref = 0, exact = 0, rc, same;

        random_filter(db, &f, &b);
        rc = portal_memsearch(s, &f, page_cb, &pg, &total, &exact, &err);
        if (rc <= 0 || !reference(db, &f, &ref, &nref)) {
            if (rc < 0 && bad++ < 5)
                diag("search %d failed: %s", q, err.msg);
            goto next;
        }
        (*answered)++;
        *nonempty += nref > 0;
        same = total == nref && exact && pg.n == BF_MAX(0, BF_MIN(f.limit, nref - f.offset));
        for (i = 0; same && i < pg.n; i++)
            same = !strcmp(pg.ocid[i], ref[f.offset + i]);
        if (!same && bad++ < 5)
            diag("search %d (q=%s sort %d offset %d): %d rows of %ld, FTS5 %d", q, f.fts ? f.fts : "", f.sort,
                 f.offset, pg.n, total, nref);
    next:
        for (i = 0; i < pg.n; i++)
            free(pg.ocid[i]);
        for (i = 0; i < nref; i++)
            free(ref[i]);
        free(ref);
    }
    return bad;
}

/* ---- scores: an index of the test's own, bm25 values against FTS5 ---- */

struct own {
    struct search_index *ix;
    struct store_portal_tok *tok;
    int col;
};

static int own_token(void *arg, const char *tok, size_t len)
{
    struct own *o = arg;
    return search_doc_token(o->ix, o->col, tok, len, NULL);
}

static int own_doc(void *arg, const struct store_portal_doc *d)
{
    struct own *o = arg;
    struct search_doc x = { d->id, d->date, d->amount, d->has_amount, 0 };
    search_doc_begin(o->ix, &x);
    for (o->col = 0; o->col < 5; o->col++)
        if (d->text[o->col] && store_portal_tok_run(o->tok, d->text[o->col], strlen(d->text[o->col]), own_token, o))
            return -1;
    search_doc_end(o->ix);
    return 0;
}

struct one_tok {
    char s[128];
    size_t len;
    int n;
};

static int one_tok(void *arg, const char *tok, size_t len)
{
    struct one_tok *t = arg;
    if (t->n++ == 0 && len < sizeof t->s) {
        memcpy(t->s, tok, len);
        t->len = len;
    }
    return 0;
}

/* Random text searches: the index's bm25 of each of the first 50 matches
 * against FTS5's own value for the same row; the number that differ. */
static int compare_scores(struct store *s, sqlite3 *db, int nq, int *checked)
{
    static const char q_ref[] = "SELECT rowid, bm25(portal_fts, 10.0, 2.0, 4.0, 4.0, 0.0) FROM portal_fts"
                                " WHERE portal_fts MATCH ?1 ORDER BY bm25(portal_fts, 10.0, 2.0, 4.0, 4.0, 0.0), rowid DESC"
                                " LIMIT 50";
    struct own o = { search_index_new(), NULL, 0 };
    struct bf_err err = { 0 };
    int q, bad = 0;

    if (store_portal_tok_open(s, &o.tok, &err) < 0 || store_portal_docs(s, NULL, 0, own_doc, &o, NULL, &err) < 0) {
        diag("own index: %s", err.msg);
        bad = 1;
        goto out;
    }
    search_batch_end(o.ix);
    for (q = 0; q < nq; q++) {
        char w[64], match[256];
        struct one_tok t = { "", 0, 0 };
        struct search_term term;
        struct search_query sq = { &term, 1, NULL, 0, NULL, NULL, -1, 0, 0, 0, 0, SEARCH_SORT_RELEVANCE, 0, 50, 0 };
        struct search_result r = { 0 };
        sqlite3_stmt *st = NULL;
        int k = 0, prefix = rnd(2);

        pick_word(db, w, sizeof w);
        store_portal_tok_run(o.tok, w, strlen(w), one_tok, &t);
        if (t.n != 1)
            continue;
        term = (struct search_term){ t.s, t.len, prefix };
        snprintf(match, sizeof match, "{title description buyer suppliers} : (\"%s\"%s)", w, prefix ? "*" : "");
        if (search_run(o.ix, &sq, &r, NULL) < 0 || sqlite3_prepare_v2(db, q_ref, -1, &st, NULL) != SQLITE_OK) {
            bad++;
            continue;
        }
        sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
        while (sqlite3_step(st) == SQLITE_ROW) {
            double ref = sqlite3_column_double(st, 1);
            if (k >= r.n || r.ids[k] != sqlite3_column_int64(st, 0) || fabs(r.scores[k] - ref) > 1e-9 * fabs(ref)) {
                if (bad++ < 3)
                    diag("%s: row %d: %lld %.17g, FTS5 %lld %.17g", match, k, k < r.n ? (long long)r.ids[k] : -1,
                         k < r.n ? r.scores[k] : 0.0, (long long)sqlite3_column_int64(st, 0), ref);
                break;
            }
            k++;
            (*checked)++;
        }
        if (k != r.n && bad++ < 3)
            diag("%s: %d rows, FTS5 %d", match, r.n, k);
        sqlite3_finalize(st);
        search_result_free(&r);
    }
out:
    store_portal_tok_close(o.tok);
    search_index_free(o.ix);
    return bad;
}

static void test_fts(void)
{
    char dir[] = "/tmp/belfry-test-search-XXXXXX", path[256];
    struct store *s = NULL;
    struct bf_err err = { 0 };
    struct feed fd = { 0 };
    sqlite3 *db = NULL;
    int bad, answered = 0, nonempty = 0, i;

    if (!mkdtemp(dir) || store_open(dir, STORE_CREATE | STORE_NOSYNC, &s, &err) < 0) {
        ok(0, "store: %s", err.msg);
        return;
    }
    ok(index_demo(s, 0, NREL_FIRST, &fd) == 0, "%d demo releases indexed", NREL_FIRST);
    ok(!portal_memsearch_ready(s), "no index before the build");
    ok(portal_memsearch_build(s, 0, &err) == 0 && portal_memsearch_ready(s), "index built: %s", err.msg);
    snprintf(path, sizeof path, "%s/belfry.db", dir);
    sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);

    bad = compare_fts(s, db, NFTS_QUERIES, &answered, &nonempty);
    ok(bad == 0 && answered > NFTS_QUERIES * 9 / 10 && nonempty > NFTS_QUERIES / 3,
       "%d random searches equal FTS5's bm25 order and count (%d differ, %d answered, %d non-empty)", NFTS_QUERIES,
       bad, answered, nonempty);

    {
        int checked = 0;
        bad = compare_scores(s, db, 200, &checked);
        ok(bad == 0 && checked > 2000, "bm25 of %d ranked rows equals FTS5's within 1e-9 (%d differ)", checked, bad);
    }
    fd.ocids = bf_xcalloc(1, sizeof *fd.ocids);
    ok(index_demo(s, NREL_FIRST - 600, NREL_FIRST + NREL_MORE, &fd) == 0, "more releases (new versions too)");
    ok(portal_memsearch_update(s, (const char *const *)fd.ocids, fd.nocids, &err) == 0, "applied: %s", err.msg);
    answered = nonempty = 0;
    bad = compare_fts(s, db, NFTS_QUERIES, &answered, &nonempty);
    ok(bad == 0 && answered > NFTS_QUERIES * 9 / 10, "after the update: %d differ of %d answered", bad, answered);

    {
        struct store_portal_filter f = { 0 };
        struct page pg = { { 0 }, 0 };
        long total;
        int exact;
        f.fts = "\"l\xe2\x80\x99\x61rm\xc3\xa9\x65\"*"; /* one word, two tokens for FTS5: a phrase */
        f.limit = 10;
        ok(portal_memsearch(s, &f, page_cb, &pg, &total, &exact, &err) == 0, "a phrase is left to SQLite");
    }
    for (i = 0; i < fd.nocids; i++)
        free(fd.ocids[i]);
    free(fd.ocids);
    portal_memsearch_drop();
    ok(!portal_memsearch_ready(s), "dropped");
    sqlite3_close(db);
    store_close(s);
    tu_rm_rf(dir);
}
