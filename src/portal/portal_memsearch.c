/*
 * portal_memsearch.c - the portal's in-memory search index (src/search)
 * over the procedures of one store: built by the indexer thread from the
 * store at start-up, brought up to date after every round the indexer (or
 * portal_reindex) commits, and asked by portal_search_json before SQLite.
 *
 * The text of each procedure is read back from portal_fts and tokenized by
 * FTS5's own tokenizer, and the filters become the same facet tokens FTS5
 * matches, so the in-memory answer is the one FTS5 would give (bm25
 * included; tests/unit/test_search.c compares them).
 *
 * Invariants: writers (build, update) are serialised by mem.wmu; the
 * build reads every document and the cursor in one snapshot while holding
 * it, so a round committed after the snapshot waits and is applied after.
 * mem.lock guards the published pointer: a search holds it for reading
 * while it uses the index, portal_memsearch_drop for writing before
 * freeing it. A search the index cannot answer exactly (no index for this
 * store, a word FTS5 splits into several tokens) returns 0 and the caller
 * asks SQLite.
 */
#include "common.h"
#include "buf.h"
#include "portal.h"
#include "search/search.h"
#include "store/store.h"

#include <pthread.h>
#include <time.h>

static struct {
    pthread_rwlock_t lock; /* the pointer and dir below */
    pthread_mutex_t wmu;   /* one writer at a time */
    struct search_index *ix;
    char dir[1024];
} mem = { PTHREAD_RWLOCK_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, NULL, "" };

struct adder {
    struct search_index *ix;
    struct store_portal_tok *tok;
    int col;
    struct bf_err *err;
};

static int add_token(void *arg, const char *tok, size_t len)
{
    struct adder *a = arg;
    return search_doc_token(a->ix, a->col, tok, len, a->err);
}

static int add_doc(void *arg, const struct store_portal_doc *d)
{
    struct adder *a = arg;
    struct search_doc sd = { d->id, d->date, d->amount, d->has_amount, 0 };
    const char *c;
    int rc = 0;

    for (c = d->cpv_first; c && *c; c++)
        if (*c >= '0' && *c <= '9')
            sd.cpv1 |= 1u << (*c - '0');
    search_doc_begin(a->ix, &sd);
    for (a->col = 0; a->col <= SEARCH_COL_FACET && !rc; a->col++)
        if (d->text[a->col])
            rc = store_portal_tok_run(a->tok, d->text[a->col], strlen(d->text[a->col]), add_token, a);
    if (rc)
        return rc < 0 ? rc : BF_EIO;
    search_doc_end(a->ix);
    return 0;
}

static int same_store(struct store *s)
{
    return mem.ix && !strcmp(mem.dir, store_dir(s));
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

int portal_memsearch_build(struct store *s, int verbose, struct bf_err *err)
{
    struct adder a = { search_index_new(), NULL, 0, err };
    struct search_stats st;
    struct timespec t0;
    uint64_t cursor = 0;
    int rc;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    pthread_mutex_lock(&mem.wmu);
    if ((rc = store_portal_tok_open(s, &a.tok, err)) < 0)
        goto out;
    if ((rc = store_portal_docs(s, NULL, 0, add_doc, &a, &cursor, err)) < 0)
        goto out;
    search_batch_end(a.ix);
    search_stats(a.ix, &st);
    if (verbose)
        fprintf(stderr,
                "belfry: portal: search index of %u procedures ready in %.0f ms: %u tokens, %" PRIu64
                " postings, %" PRIu64 " facet postings, %.1f MB\n",
                st.live, ms_since(&t0), st.tokens, st.postings, st.facet_postings, (double)st.bytes / 1e6);
    pthread_rwlock_wrlock(&mem.lock);
    {
        struct search_index *old = mem.ix;
        mem.ix = a.ix;
        a.ix = old; /* freed below, nobody can see it any more */
        snprintf(mem.dir, sizeof mem.dir, "%s", store_dir(s));
    }
    pthread_rwlock_unlock(&mem.lock);
out:
    store_portal_tok_close(a.tok);
    search_index_free(a.ix);
    pthread_mutex_unlock(&mem.wmu);
    return rc;
}

int portal_memsearch_update(struct store *s, const char *const *ocids, int n, struct bf_err *err)
{
    struct adder a = { NULL, NULL, 0, err };
    int rc = 0;

    pthread_mutex_lock(&mem.wmu);
    if (!same_store(s) || n == 0) /* only the writer changes mem.ix: no read lock needed here */
        goto out;
    a.ix = mem.ix;
    if ((rc = store_portal_tok_open(s, &a.tok, err)) < 0)
        goto out;
    rc = store_portal_docs(s, ocids, n, add_doc, &a, NULL, err);
    search_batch_end(a.ix);
out:
    store_portal_tok_close(a.tok);
    pthread_mutex_unlock(&mem.wmu);
    return rc;
}

void portal_memsearch_drop(void)
{
    struct search_index *old;
    pthread_mutex_lock(&mem.wmu);
    pthread_rwlock_wrlock(&mem.lock);
    old = mem.ix;
    mem.ix = NULL;
    mem.dir[0] = 0;
    pthread_rwlock_unlock(&mem.lock);
    search_index_free(old);
    pthread_mutex_unlock(&mem.wmu);
}

int portal_memsearch_ready(struct store *s)
{
    int r;
    pthread_rwlock_rdlock(&mem.lock);
    r = same_store(s);
    pthread_rwlock_unlock(&mem.lock);
    return r;
}

/* ---- searching ---------------------------------------------------------- */

struct one_token {
    char tok[256];
    size_t len;
    int n;
};

static int take_token(void *arg, const char *tok, size_t len)
{
    struct one_token *o = arg;
    if (++o->n == 1 && len < sizeof o->tok) {
        memcpy(o->tok, tok, len);
        o->len = len;
    }
    return 0;
}

/* The text terms of f->fts: 1 when each word is one token (FTS5 would
 * otherwise match a phrase, which the index cannot), 0 to fall back. */
static int text_terms(struct store *s, const char *fts, struct one_token *tok, struct search_term *terms, int *n,
                      struct bf_err *err)
{
    const char *words[SEARCH_MAX_TERMS];
    char buf[2048];
    struct store_portal_tok *t = NULL;
    int i, prefix = 0, rc;

    *n = 0;
    if (!fts)
        return 1;
    if ((rc = portal_fts_split(fts, buf, sizeof buf, words, SEARCH_MAX_TERMS, &prefix)) <= 0)
        return 0;
    *n = rc;
    if ((rc = store_portal_tok_open(s, &t, err)) < 0)
        return rc;
    for (i = 0; i < *n && rc == 0; i++) {
        tok[i].n = 0;
        tok[i].len = 0;
        rc = store_portal_tok_run(t, words[i], strlen(words[i]), take_token, &tok[i]);
        if (!rc && (tok[i].n != 1 || !tok[i].len))
            rc = 1;
        terms[i].tok = tok[i].tok;
        terms[i].len = tok[i].len;
        terms[i].prefix = prefix && i == *n - 1;
    }
    store_portal_tok_close(t);
    return rc < 0 ? rc : rc == 0;
}

/* " t1 t2" -> facets[] (pointing into b, which is modified). */
static int split_facets(struct bf_buf *b, const char **facets, int max)
{
    char *p = b->data;
    int n = 0;
    while (p && *p) {
        while (*p == ' ')
            *p++ = 0;
        if (!*p)
            break;
        if (n == max)
            return BF_ELIMIT;
        facets[n++] = p;
        while (*p && *p != ' ')
            p++;
    }
    return n;
}

static const enum search_sort sorts[] = {
    [STORE_PORTAL_SORT_RELEVANCE] = SEARCH_SORT_RELEVANCE, [STORE_PORTAL_SORT_NEWEST] = SEARCH_SORT_NEWEST,
    [STORE_PORTAL_SORT_OLDEST] = SEARCH_SORT_OLDEST,       [STORE_PORTAL_SORT_VALUE_DESC] = SEARCH_SORT_VALUE_DESC,
    [STORE_PORTAL_SORT_VALUE_ASC] = SEARCH_SORT_VALUE_ASC,
};

/* The search query of f (terms and facets already split). */
static void make_query(const struct store_portal_filter *f, struct search_query *q, char *below, size_t cap)
{
    q->date_min = f->date_from;
    q->date_below = NULL;
    if (f->date_to) { /* as SQL's p.date < ?to || 'T99' */
        snprintf(below, cap, "%sT99", f->date_to);
        q->date_below = below;
    }
    q->cpv1 = f->cpv_prefix && strlen(f->cpv_prefix) == 1 ? f->cpv_prefix[0] - '0' : -1;
    q->min_amount = f->min_amount;
    q->max_amount = f->max_amount;
    q->has_min = f->has_min;
    q->has_max = f->has_max;
    q->sort = (unsigned)f->sort < BF_ARRAY_LEN(sorts) ? sorts[f->sort] : SEARCH_SORT_NEWEST;
    q->offset = f->offset;
    q->limit = f->limit;
    q->count_cap = STORE_PORTAL_COUNT_CAP;
}

int portal_memsearch(struct store *s, const struct store_portal_filter *f, store_portal_row_cb cb, void *arg,
                     long *total, int *exact, struct bf_err *err)
{
    struct one_token tok[SEARCH_MAX_TERMS];
    struct search_term terms[SEARCH_MAX_TERMS];
    const char *facets[SEARCH_MAX_TERMS];
    struct search_query q = { 0 };
    struct search_result r = { 0 };
    struct bf_buf fb = BF_BUF_INIT;
    char below[64];
    int rc, ran = 0;

    if (f->limit < 1 || f->limit > 100 || f->offset < 0 || f->offset > STORE_PORTAL_MAX_OFFSET ||
        !portal_memsearch_ready(s))
        return 0; /* the store answers (and words the error) */
    bf_buf_init(&fb, 8192);
    if ((rc = text_terms(s, f->fts, tok, terms, &q.nterms, err)) <= 0)
        goto out;
    if ((rc = store_portal_filter_facets(f, &fb)) < 0 || (rc = split_facets(&fb, facets, SEARCH_MAX_TERMS)) < 0) {
        rc = 0; /* more facets than the index takes: let the store try */
        goto out;
    }
    q.terms = terms;
    q.facets = facets;
    q.nfacets = rc;
    make_query(f, &q, below, sizeof below);
    pthread_rwlock_rdlock(&mem.lock);
    rc = 0;
    if (same_store(s)) {
        rc = search_run(mem.ix, &q, &r, err);
        ran = rc == 0;
    }
    pthread_rwlock_unlock(&mem.lock);
    if (rc < 0 || !ran)
        goto out;
    if ((rc = store_portal_rows(s, r.ids, r.n, cb, arg, err)) != 0)
        goto out;
    *total = r.total;
    *exact = r.exact;
    rc = 1;
out:
    search_result_free(&r);
    bf_buf_free(&fb);
    return rc;
}
