/*
 * search_order.c - every live document in date order and in amount order,
 * so that a search with neither terms nor facets (the newest procedures,
 * a date or value range) reads its page off the order and stops counting
 * at the cap, instead of offering all documents to a heap; a broad one
 * with terms or facets picks its marked matches off it. Also the range
 * checks (dates, amounts, CPV digit) every walk applies.
 *
 * Invariants: the orders are rebuilt by the writer at search_batch_end
 * (sorted outside the lock, swapped under it) and are valid only while
 * order_ok is set; any change to the documents clears it (under the write
 * lock), and searches then walk the documents as usual. by_date is the
 * newest-first order (date descending, unknown last, row id descending),
 * whose reverse is the oldest-first order. by_value holds the documents
 * with an amount (descending, row id descending) then those without (row
 * id descending): both SQL orders keep unknown amounts last, so ascending
 * is each part reversed.
 */
#include "common.h"
#include "search_int.h"

#define CMP3(a, b) (((a) > (b)) - ((a) < (b)))

static int newest_first(const void *pa, const void *pb, void *arg)
{
    const struct doc *docs = arg, *x = &docs[*(const uint32_t *)pa], *y = &docs[*(const uint32_t *)pb];
    int c;
    if (!x->date || !y->date)
        c = (x->date != NULL) - (y->date != NULL);
    else if (x->datekey[0] != y->datekey[0] || x->datekey[1] != y->datekey[1])
        c = x->datekey[0] != y->datekey[0] ? CMP3(x->datekey[0], y->datekey[0]) : CMP3(x->datekey[1], y->datekey[1]);
    else
        c = strcmp(x->date, y->date);
    return c ? -c : CMP3(y->rowid, x->rowid);
}

static int value_first(const void *pa, const void *pb, void *arg)
{
    const struct doc *docs = arg, *x = &docs[*(const uint32_t *)pa], *y = &docs[*(const uint32_t *)pb];
    int c;
    if (x->has_amount != y->has_amount)
        return x->has_amount ? -1 : 1;
    c = x->has_amount ? CMP3(y->amount, x->amount) : 0;
    return c ? c : CMP3(y->rowid, x->rowid);
}

void search_order_build(struct search_index *ix)
{
    uint32_t *by_date, *by_value, n = 0, known = 0, d;

    by_date = bf_xmalloc(((size_t)ix->live + 1) * sizeof *by_date);
    by_value = bf_xmalloc(((size_t)ix->live + 1) * sizeof *by_value);
    for (d = 0; d < ix->ndocs; d++)
        if (!search_is_dead(ix, d)) {
            by_date[n] = by_value[n] = d;
            known += ix->docs[d].has_amount;
            n++;
        }
    qsort_r(by_date, n, sizeof *by_date, newest_first, ix->docs);
    qsort_r(by_value, n, sizeof *by_value, value_first, ix->docs);
    pthread_rwlock_wrlock(&ix->lock);
    free(ix->by_date);
    free(ix->by_value);
    ix->by_date = by_date;
    ix->by_value = by_value;
    ix->norder = n;
    ix->nvalue_known = known;
    ix->order_ok = 1;
    pthread_rwlock_unlock(&ix->lock);
}

uint32_t search_order_at(const struct search_index *ix, int sort, uint32_t i)
{
    uint32_t n = ix->norder, k = ix->nvalue_known;
    switch (sort) {
    case SEARCH_SORT_OLDEST:
        return ix->by_date[n - 1 - i];
    case SEARCH_SORT_VALUE_DESC:
        return ix->by_value[i];
    case SEARCH_SORT_VALUE_ASC: /* known amounts ascending, then the unknown by row id ascending */
        return i < k ? ix->by_value[k - 1 - i] : ix->by_value[n - 1 - (i - k)];
    default:
        return ix->by_date[i];
    }
}

/* ---- searching in an order --------------------------------------------- */

/* strcmp(d->date, s) with s's key k: the keys decide unless equal. */
static int date_vs(const struct doc *d, const uint64_t *k, const char *s)
{
    if (d->datekey[0] != k[0])
        return d->datekey[0] < k[0] ? -1 : 1;
    if (d->datekey[1] != k[1])
        return d->datekey[1] < k[1] ? -1 : 1;
    return strcmp(d->date, s);
}

int search_attrs_match(const struct ctx *c, const struct doc *d)
{
    const struct search_query *q = c->q;
    if ((q->date_min || q->date_below) && !d->date)
        return 0;
    if (q->date_min && date_vs(d, c->kmin, q->date_min) < 0)
        return 0;
    if (q->date_below && date_vs(d, c->kbelow, q->date_below) >= 0)
        return 0;
    if ((q->has_min || q->has_max) && !d->has_amount)
        return 0;
    if (q->has_min && d->amount < q->min_amount)
        return 0;
    if (q->has_max && d->amount > q->max_amount)
        return 0;
    if (q->cpv1 >= 0 && (q->cpv1 > 9 || !((d->cpv1 >> q->cpv1) & 1)))
        return 0;
    return 1;
}

/* 1 when the i-th document of the order is past the range's start (lo)
 * or past its end (end = 1): monotone in i, so bisected. */
static int past(const struct ctx *c, uint32_t i, int end)
{
    const struct search_query *q = c->q;
    const struct doc *d = &c->ix->docs[search_order_at(c->ix, c->mode, i)];
    switch (c->mode) {
    case SEARCH_SORT_NEWEST: /* dates descending, unknown last */
        if (!end)
            return !q->date_below || !d->date || date_vs(d, c->kbelow, q->date_below) < 0;
        return q->date_min && (!d->date || date_vs(d, c->kmin, q->date_min) < 0);
    case SEARCH_SORT_OLDEST: /* unknown first, then ascending */
        if (!end)
            return !q->date_min || (d->date && date_vs(d, c->kmin, q->date_min) >= 0);
        return q->date_below && d->date && date_vs(d, c->kbelow, q->date_below) >= 0;
    case SEARCH_SORT_VALUE_DESC: /* amounts descending, unknown last */
        if (!end)
            return !q->has_max || !d->has_amount || d->amount <= q->max_amount;
        return q->has_min && (!d->has_amount || d->amount < q->min_amount);
    default: /* amounts ascending, unknown last */
        if (!end)
            return !q->has_min || !d->has_amount || d->amount >= q->min_amount;
        return q->has_max && (!d->has_amount || d->amount > q->max_amount);
    }
}

/* The first i in [0, n) that is past (end or start), n if none. */
static uint32_t bisect(const struct ctx *c, int end)
{
    uint32_t lo = 0, hi = c->ix->norder;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (past(c, mid, end))
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* A search in a date or amount order, read off the prebuilt order
 * (search_order.c): without terms or facets, the walk checks each
 * document and stops once the page is full and the count passed the cap;
 * with them, the matches are already marked in h->bits (and counted), and
 * the walk stops when the page is full. 0 if the order cannot serve (the
 * caller walks the documents). */
int search_order_walk(struct ctx *c, struct hits *h)
{
    const struct search_index *ix = c->ix;
    long cap = c->q->count_cap;
    uint32_t i, stop;

    if (!ix->order_ok || (c->nl && !h->bits) || c->mode == SEARCH_SORT_RELEVANCE)
        return 0;
    if (h->k) {
        h->v = bf_xmalloc(h->k * sizeof *h->v);
        h->cap = h->k;
    }
    /* the range filter of the order's own column bounds the walk: the
     * documents before lo and from stop on fail it */
    for (i = bisect(c, 0), stop = bisect(c, 1); i < stop; i++) {
        uint32_t d = search_order_at(ix, c->mode, i);
        if (h->bits) {
            if (!((h->bits[d >> 6] >> (d & 63)) & 1))
                continue;
            if (h->n == h->k)
                break;
            h->v[h->n].doc = d;
            h->v[h->n++].rowid = ix->docs[d].rowid;
            continue;
        }
        if (search_is_dead(ix, d) || !search_attrs_match(c, &ix->docs[d]))
            continue;
        if (h->n < h->k) {
            h->v[h->n].doc = d;
            h->v[h->n++].rowid = ix->docs[d].rowid;
        }
        if (++h->total > cap && cap > 0 && h->n == h->k)
            break;
    }
    return 1;
}
