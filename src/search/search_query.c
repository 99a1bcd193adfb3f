/*
 * search_query.c - the reader side: a search is the intersection of its
 * terms' posting lists (a prefix term is the union of its tokens' lists),
 * its facets' lists and the attribute ranges, ranked by FTS5's bm25 or
 * sorted by date or amount, and cut to the page.
 *
 * bm25 is computed exactly as SQLite's fts5 bm25() (fts5_aux.c), with the
 * same operations in the same order so the scores are bit-identical:
 *   idf(phrase) = log((N - nHit + 0.5) / (nHit + 0.5)), 1e-6 if <= 0
 *   f = sum over text columns of weight * hits;  D = document length in
 *   every column (facets included); avgdl = tokens of all rows / N
 *   score = -sum idf * (f * (k1 + 1)) / (f + k1 * (1 - b + b * D / avgdl))
 * where N and nHit count live documents only. Facet terms have weight 0
 * in FTS5, so they add nothing to the score and are left out.
 *
 * Invariants: the read lock is held for the whole search; the result's
 * order is total (ties broken by row id), so paging never repeats or
 * skips a match.
 */
#include "common.h"
#include "search_int.h"

#include <math.h>

static uint32_t list_doc(const struct list *l, uint32_t i)
{
    return l->p ? l->p[i].doc : l->docs[i];
}

/* Advances l to its first entry >= d (galloping); 1 if that entry is d. */
static int list_seek(struct list *l, uint32_t d)
{
    uint32_t lo = l->i, step = 1, hi;
    if (l->dense)
        return l->dense[d] != 0;
    if (lo >= l->n)
        return 0;
    if (list_doc(l, lo) >= d)
        return list_doc(l, lo) == d;
    while (lo + step < l->n && list_doc(l, lo + step) < d) {
        lo += step;
        step *= 2;
    }
    hi = lo + step < l->n ? lo + step : l->n; /* list_doc(lo) < d <= list_doc(hi) or hi == n */
    while (lo + 1 < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (list_doc(l, mid) < d)
            lo = mid;
        else
            hi = mid;
    }
    l->i = hi;
    return hi < l->n && list_doc(l, hi) == d;
}

/* SEARCH_WEIGHTS as integers: FTS5 adds the weight per hit in doubles,
 * exact for these small integers, so the sums are the same. */
static uint32_t wfreq(const struct posting *p)
{
    return 10u * p->tf[0] + 2u * p->tf[1] + 4u * p->tf[2] + 4u * p->tf[3];
}

/* The weighted frequency of term list l in document d (l positioned on d). */
static uint32_t list_freq(const struct list *l, uint32_t d)
{
    const struct posting *p;
    if (l->dense)
        return l->dense[d];
    if (l->freqs)
        return l->freqs[l->i];
    p = &l->p[l->i];
    return wfreq(p);
}

/* A prefix matching at most this many tokens merges their lists; more
 * (a one- or two-letter prefix) add into a dense array over all documents. */
#define PREFIX_MERGE_MAX 8

struct prefix_acc {
    const struct search_index *ix;
    uint32_t *dense;
    uint32_t nterms, last, ids[PREFIX_MERGE_MAX];
};

static void prefix_add(void *arg, uint32_t id)
{
    struct prefix_acc *a = arg;
    const struct term *t = &a->ix->terms[id];
    uint32_t k;
    if (!t->np)
        return;
    if (a->nterms < PREFIX_MERGE_MAX)
        a->ids[a->nterms] = id;
    a->nterms++;
    a->last = id;
    if (!a->dense)
        return;
    for (k = 0; k < t->np; k++)
        a->dense[t->p[k].doc] += wfreq(&t->p[k]);
}

/* The union of a few tokens' lists, merged by document (weighted
 * frequencies added). */
static void prefix_merge(const struct search_index *ix, const struct prefix_acc *a, struct list *l)
{
    uint32_t at[PREFIX_MERGE_MAX] = { 0 }, total = 0, n = 0, j;

    for (j = 0; j < a->nterms; j++)
        total += ix->terms[a->ids[j]].np;
    l->docs = bf_xmalloc(((size_t)total + 1) * sizeof *l->docs);
    l->freqs = bf_xmalloc(((size_t)total + 1) * sizeof *l->freqs);
    for (;;) {
        uint32_t d = UINT32_MAX, f = 0;
        for (j = 0; j < a->nterms; j++) { /* the smallest next document */
            const struct term *t = &ix->terms[a->ids[j]];
            if (at[j] < t->np && t->p[at[j]].doc < d)
                d = t->p[at[j]].doc;
        }
        if (d == UINT32_MAX)
            break;
        for (j = 0; j < a->nterms; j++) {
            const struct term *t = &ix->terms[a->ids[j]];
            if (at[j] < t->np && t->p[at[j]].doc == d)
                f += wfreq(&t->p[at[j]++]);
        }
        ((uint32_t *)l->docs)[n] = d;
        l->freqs[n++] = f;
    }
    l->n = n;
}

/* The list of a prefix term: one token's postings, the merged lists of a
 * few, or the union of many as a dense array plus its sorted documents.
 * 0 if no token matches. */
static int prefix_list(struct ctx *c, const struct search_term *t, struct list *l)
{
    const struct search_index *ix = c->ix;
    struct prefix_acc a = { ix, NULL, 0, 0, { 0 } };
    uint32_t d, n = 0, *docs;

    search_term_prefix(ix, t->tok, t->len, prefix_add, &a);
    if (a.nterms <= 1) {
        l->p = a.nterms ? ix->terms[a.last].p : NULL;
        l->n = a.nterms ? ix->terms[a.last].np : 0;
        return a.nterms;
    }
    if (a.nterms <= PREFIX_MERGE_MAX) {
        prefix_merge(ix, &a, l);
        return 1;
    }
    a.dense = bf_xcalloc(ix->ndocs + 1, sizeof *a.dense);
    a.nterms = 0;
    search_term_prefix(ix, t->tok, t->len, prefix_add, &a);
    docs = bf_xmalloc((ix->ndocs + 1) * sizeof *docs);
    for (d = 0; d < ix->ndocs; d++)
        if (a.dense[d])
            docs[n++] = d;
    l->dense = a.dense;
    l->docs = docs;
    l->n = n;
    return 1;
}

/* Live documents in a term list (nHit of FTS5's idf). */
static long live_hits(const struct search_index *ix, const struct list *l)
{
    long n = 0;
    uint32_t k;
    if (!ix->ndead)
        return l->n;
    for (k = 0; k < l->n; k++)
        n += !search_is_dead(ix, list_doc(l, k));
    return n;
}

/* Sets up the lists; 0 when some term or facet matches nothing. */
static int build_lists(struct ctx *c, struct bf_err *err, int *rc)
{
    const struct search_query *q = c->q;
    int i;

    *rc = 0;
    if (q->nterms < 0 || q->nterms > SEARCH_MAX_TERMS || q->nfacets < 0 || q->nfacets > SEARCH_MAX_TERMS) {
        *rc = bf_err_set(err, BF_ELIMIT, "search: at most %d terms and %d facets", SEARCH_MAX_TERMS, SEARCH_MAX_TERMS);
        return 0;
    }
    for (i = 0; i < q->nterms; i++) {
        const struct search_term *t = &q->terms[i];
        struct list *l = &c->l[c->nl++];
        long nhit;
        if (t->prefix) {
            if (!prefix_list(c, t, l))
                return 0;
        } else {
            int64_t id = search_term_find(c->ix, t->tok, t->len);
            if (id < 0 || !c->ix->terms[id].np)
                return 0;
            l->p = c->ix->terms[id].p;
            l->n = c->ix->terms[id].np;
        }
        nhit = live_hits(c->ix, l);
        l->idf = log((c->ix->live - nhit + 0.5) / (nhit + 0.5));
        if (l->idf <= 0.0)
            l->idf = 1e-6;
    }
    c->nterms = c->nl;
    for (i = 0; i < q->nfacets; i++) {
        int64_t id = search_term_find(c->ix, q->facets[i], strlen(q->facets[i]));
        struct list *l = &c->l[c->nl++];
        if (id < 0 || !c->ix->terms[id].nf)
            return 0;
        l->docs = c->ix->terms[id].f;
        l->n = c->ix->terms[id].nf;
    }
    return 1;
}

/* bm25 of document d, the term lists positioned on it (see the top). */
static double bm25(const struct ctx *c, uint32_t d)
{
    const double k1 = 1.2, b = 0.75;
    double D = (double)c->ix->lens[d], score = 0.0;
    int i;
    for (i = 0; i < c->nterms; i++) {
        double f = (double)list_freq(&c->l[i], d);
        score += c->l[i].idf * ((f * (k1 + 1.0)) / (f + k1 * (1 - b + b * D / c->avgdl)));
    }
    return -1.0 * score;
}

/* A date- or value-sorted search whose shortest list holds at least a
 * 1/BITMAP_SHARE of the documents marks its matches in a bitmap and picks
 * its page from the prebuilt order instead of offering each match to the
 * heap (a big buyer's 30 000 procedures: ~2 ms through the heap); the walk
 * of the order then meets a match every BITMAP_SHARE entries or so. */
#define BITMAP_SHARE 32

static double bm25(const struct ctx *c, uint32_t d);
static int hit_cmp(const struct hit *a, const struct hit *b, const struct order *o);
static void sift_down(struct hit *h, size_t n, size_t i, const struct order *o);

static void sift_up(struct hit *h, size_t i, const struct order *o)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        struct hit t;
        if (hit_cmp(&h[i], &h[p], o) <= 0)
            return;
        t = h[i], h[i] = h[p], h[p] = t;
        i = p;
    }
}

static void hit_push(struct hits *h, const struct ctx *c, uint32_t d)
{
    const struct doc *x = &c->ix->docs[d];
    struct hit t = { 0 };

    h->total++;
    if (h->bits) {
        h->bits[d >> 6] |= 1ull << (d & 63);
        return;
    }
    if (!h->k)
        return;
    t.doc = d;
    switch (c->mode) {
    case SEARCH_SORT_RELEVANCE: /* the row id is read on a tie only: one cache miss less per match */
        t.v = bm25(c, d);
        t.rowid = -1;
        break;
    case SEARCH_SORT_VALUE_DESC:
    case SEARCH_SORT_VALUE_ASC:
        t.rowid = x->rowid;
        t.v = x->amount;
        t.has = x->has_amount;
        break;
    default:
        t.rowid = x->rowid;
        t.key[0] = x->datekey[0];
        t.key[1] = x->datekey[1];
        t.has = x->date != NULL;
    }
    if (h->n == h->k && c->mode == SEARCH_SORT_RELEVANCE && t.v > h->v[0].v)
        return; /* scores worse than the worst kept: the usual case, decided without a call */
    if (h->n < h->k) {
        if (h->n == h->cap) {
            h->cap = h->cap ? BF_MIN(h->cap * 2, h->k) : BF_MIN(64, h->k);
            h->v = bf_xrealloc(h->v, h->cap * sizeof *h->v);
        }
        h->v[h->n] = t;
        sift_up(h->v, h->n++, &h->o);
    } else if (hit_cmp(&t, &h->v[0], &h->o) < 0) {
        h->v[0] = t;
        sift_down(h->v, h->n, 0, &h->o);
    }
}

/* Entries in the shortest list (every document if there is none). */
static uint32_t shortest(const struct ctx *c)
{
    uint32_t n = c->ix->ndocs;
    int i;
    for (i = 0; i < c->nl; i++)
        if (c->l[i].n < n)
            n = c->l[i].n;
    return n;
}

/* Walks the driver (the shortest list, or every document) and keeps the
 * documents every other list and the ranges accept. */
static void collect(struct ctx *c, struct hits *h)
{
    const struct search_index *ix = c->ix;
    int i, drv = -1;
    uint32_t k, n = ix->ndocs;

    for (i = 0; i < c->nl; i++)
        if (drv < 0 || c->l[i].n < c->l[drv].n)
            drv = i;
    if (drv >= 0)
        n = c->l[drv].n;
    for (k = 0; k < n; k++) {
        uint32_t d = drv < 0 ? k : list_doc(&c->l[drv], k);
        if (search_is_dead(ix, d))
            continue;
        if (drv >= 0)
            c->l[drv].i = k;
        for (i = 0; i < c->nl; i++)
            if (i != drv && !list_seek(&c->l[i], d))
                break;
        if (i < c->nl || (c->ranges && !search_attrs_match(c, &ix->docs[d])))
            continue;
        hit_push(h, c, d);
    }
}

/* ---- order ------------------------------------------------------------ */

static int cmp_date(const struct hit *a, const struct hit *b, const struct order *o)
{
    if (!a->has || !b->has)
        return a->has - b->has; /* unknown sorts lowest, as NULL in SQL */
    if (a->key[0] != b->key[0])
        return a->key[0] < b->key[0] ? -1 : 1;
    if (a->key[1] != b->key[1])
        return a->key[1] < b->key[1] ? -1 : 1;
    return strcmp(o->docs[a->doc].date, o->docs[b->doc].date);
}

#define CMP3(a, b) (((a) > (b)) - ((a) < (b)))

/* < 0 when a comes before b in the result. */
static int hit_cmp(const struct hit *a, const struct hit *b, const struct order *o)
{
    int c;
    switch (o->mode) {
    case SEARCH_SORT_RELEVANCE:
        c = CMP3(a->v, b->v);
        return c ? c : CMP3(o->docs[b->doc].rowid, o->docs[a->doc].rowid);
    case SEARCH_SORT_OLDEST:
        c = cmp_date(a, b, o);
        return c ? c : CMP3(a->rowid, b->rowid);
    case SEARCH_SORT_VALUE_DESC:
        if (a->has != b->has)
            return a->has ? -1 : 1;
        c = a->has ? CMP3(b->v, a->v) : 0;
        return c ? c : CMP3(b->rowid, a->rowid);
    case SEARCH_SORT_VALUE_ASC:
        if (a->has != b->has)
            return a->has ? -1 : 1;
        c = a->has ? CMP3(a->v, b->v) : 0;
        return c ? c : CMP3(a->rowid, b->rowid);
    default: /* newest */
        c = cmp_date(b, a, o);
        return c ? c : CMP3(b->rowid, a->rowid);
    }
}

static int hit_qcmp(const void *a, const void *b, void *o)
{
    return hit_cmp(a, b, o);
}

/* Max-heap on the order (the worst of the best k at the top). */
static void sift_down(struct hit *h, size_t n, size_t i, const struct order *o)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        struct hit t;
        if (l < n && hit_cmp(&h[l], &h[m], o) > 0)
            m = l;
        if (r < n && hit_cmp(&h[r], &h[m], o) > 0)
            m = r;
        if (m == i)
            return;
        t = h[i], h[i] = h[m], h[m] = t;
        i = m;
    }
}

int search_run(struct search_index *ix, const struct search_query *q, struct search_result *r, struct bf_err *err)
{
    struct ctx *c = bf_xcalloc(1, sizeof *c);
    struct hits h = { 0 };
    size_t from, i;
    int rc = 0, ordered = 0;

    memset(r, 0, sizeof *r);
    if (q->offset < 0 || q->limit < 0) {
        free(c);
        return bf_err_set(err, BF_EINVAL, "search: negative page");
    }
    pthread_rwlock_rdlock(&ix->lock);
    c->ix = ix;
    c->q = q;
    c->avgdl = ix->live ? (double)ix->live_tokens / (double)ix->live : 1.0;
    search_date_key(q->date_min, c->kmin);
    search_date_key(q->date_below, c->kbelow);
    c->mode = q->sort == SEARCH_SORT_RELEVANCE && q->nterms == 0 ? SEARCH_SORT_NEWEST : (int)q->sort;
    c->ranges = q->date_min || q->date_below || q->has_min || q->has_max || q->cpv1 >= 0;
    h.o.docs = ix->docs;
    h.o.mode = c->mode;
    h.k = (size_t)q->offset + (size_t)q->limit;
    if (build_lists(c, err, &rc)) {
        if (ix->order_ok && c->mode != SEARCH_SORT_RELEVANCE && c->nl && shortest(c) >= ix->norder / BITMAP_SHARE) {
            h.bits = bf_xcalloc(ix->ndocs / 64 + 1, sizeof *h.bits);
            collect(c, &h);
            ordered = search_order_walk(c, &h);
        } else if (!(ordered = search_order_walk(c, &h))) {
            collect(c, &h);
        }
    }
    if (rc < 0)
        goto out;
    if (h.n > 1 && !ordered)
        qsort_r(h.v, h.n, sizeof *h.v, hit_qcmp, &h.o);
    r->total = h.total;
    r->exact = q->count_cap <= 0 || r->total <= q->count_cap;
    if (!r->exact)
        r->total = q->count_cap;
    from = (size_t)q->offset < h.n ? (size_t)q->offset : h.n;
    r->n = (int)((h.n - from) < (size_t)q->limit ? h.n - from : (size_t)q->limit);
    r->ids = bf_xmalloc(((size_t)r->n + 1) * sizeof *r->ids);
    if (c->mode == SEARCH_SORT_RELEVANCE)
        r->scores = bf_xmalloc(((size_t)r->n + 1) * sizeof *r->scores);
    for (i = 0; i < (size_t)r->n; i++) {
        r->ids[i] = ix->docs[h.v[from + i].doc].rowid;
        if (r->scores)
            r->scores[i] = h.v[from + i].v;
    }
out:
    pthread_rwlock_unlock(&ix->lock);
    for (i = 0; i < (size_t)c->nl; i++)
        if (c->l[i].dense || c->l[i].freqs) {
            free(c->l[i].dense);
            free(c->l[i].freqs);
            free((void *)c->l[i].docs);
        }
    free(c);
    free(h.v);
    free(h.bits);
    return rc;
}

void search_result_free(struct search_result *r)
{
    free(r->ids);
    free(r->scores);
    memset(r, 0, sizeof *r);
}
