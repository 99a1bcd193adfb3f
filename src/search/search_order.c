/*
 * search_order.c - every live document in date order and in amount order,
 * so that a search with neither terms nor facets (the newest procedures,
 * a date or value range) reads its page off the order and stops counting
 * at the cap, instead of offering all documents to a heap.
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
