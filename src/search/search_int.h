/*
 * search_int.h - the layout of struct search_index, shared by
 * src/search/search_*.c only (search.h is the contract).
 *
 * Invariants:
 *   - terms[i].p and terms[i].f are sorted by document number, strictly
 *     increasing (a document adds each token once per list);
 *   - sorted[0..nsorted) is a permutation of the term ids 0..nsorted-1 in
 *     byte order of their strings; ids nsorted..nterms-1 (new since the
 *     last search_batch_end) are the unsorted tail that prefix lookups scan;
 *   - dead has a bit per document; live + ndead == ndocs; live_tokens is
 *     the sum of len over live documents;
 *   - the row id map holds, for every row id ever added, the number of its
 *     live document or NO_DOC.
 */
#ifndef BELFRY_SEARCH_INT_H
#define BELFRY_SEARCH_INT_H

#include "search.h"

#include <pthread.h>

#define NO_DOC UINT32_MAX

struct posting {
    uint32_t doc;
    uint16_t tf[SEARCH_TEXT_COLUMNS]; /* saturates at 65535 */
};

struct term {
    char *s;
    uint32_t len;
    uint32_t np, capp, nf, capf;
    struct posting *p; /* text columns */
    uint32_t *f;       /* facet column */
};

struct doc {
    int64_t rowid;
    char *date;       /* owned, NULL if unknown */
    uint64_t datekey[2]; /* first 16 bytes of date, big-endian: comparisons rarely need more */
    double amount;
    uint32_t len;     /* tokens in every column, facets included (bm25's document length) */
    uint16_t cpv1;
    uint8_t has_amount;
};

/* One token of the document being added (writer only). */
struct staged {
    uint32_t off, len; /* in stage_text */
    uint32_t term;     /* resolved at search_doc_end */
    uint8_t col;
};

struct search_index {
    pthread_rwlock_t lock;
    struct term *terms;
    uint32_t nterms, capterms;
    uint32_t *thash; /* term id + 1, 0 empty; open addressing */
    uint32_t thcap;
    uint32_t *sorted;
    uint32_t nsorted;
    struct doc *docs;
    uint32_t *lens; /* docs[i].len again, dense: bm25 reads it for every match */
    uint32_t ndocs, capdocs, live, ndead;
    uint64_t *dead;
    uint64_t live_tokens;
    int64_t *rkeys; /* row id map, open addressing; rvals NO_DOC: no live doc */
    uint32_t *rvals;
    uint32_t rcap, rn;
    /* the document being added (writer only, outside the lock) */
    struct search_doc cur;
    char *cur_date;
    struct staged *stage;
    uint32_t nstage, capstage;
    char *stage_text;
    size_t stage_len, stage_cap;
    uint64_t postings, facet_postings;
    /* search_order.c: live documents by date and by amount */
    uint32_t *by_date, *by_value;
    uint32_t norder, nvalue_known;
    int order_ok;
};

static inline int search_is_dead(const struct search_index *ix, uint32_t d)
{
    return (ix->dead[d >> 6] >> (d & 63)) & 1;
}

/* The first 16 bytes of date as two big-endian integers (zero-padded):
 * comparing them compares those bytes as strcmp would. */
void search_date_key(const char *date, uint64_t key[2]);
/* Rebuilds the date and amount orders (writer, outside the lock). */
void search_order_build(struct search_index *ix);
/* The i-th document (0 <= i < norder) in the order of sort (not
 * relevance), valid while order_ok (read lock held). */
uint32_t search_order_at(const struct search_index *ix, int sort, uint32_t i);
/* Term id of (s, len) or -1 (search_index.c). */
int64_t search_term_find(const struct search_index *ix, const char *s, size_t len);
/* Calls fn for every term id whose string starts with (s, len). */
void search_term_prefix(const struct search_index *ix, const char *s, size_t len, void (*fn)(void *, uint32_t),
                        void *arg);

/* ---- a search in progress (search_query.c, search_order.c) ------------- */

/* One list taking part in the intersection. */
struct list {
    const struct posting *p; /* text postings of one token, or NULL */
    const uint32_t *docs;    /* facet list, or the documents of a prefix union */
    uint32_t *dense;         /* prefix union of many tokens: weighted frequency per document */
    uint32_t *freqs;         /* prefix union of a few: weighted frequency per entry of docs */
    uint32_t n, i;
    double idf;
};

struct ctx {
    const struct search_index *ix;
    const struct search_query *q;
    struct list l[SEARCH_MAX_TERMS * 2];
    int nl, nterms; /* the first nterms lists are the text terms, in query order */
    double avgdl;
    uint64_t kmin[2], kbelow[2]; /* keys of the date range (search_date_key) */
    int mode;                    /* the order: a search_sort, relevance only with terms */
    int ranges;                  /* some range filter: search_attrs_match has work to do */
};

/* A match with its sort key inline, so that ordering reads the hits
 * sequentially instead of each document again. */
struct hit {
    double v;        /* bm25 (negated, as FTS5) or amount */
    uint64_t key[2]; /* date key */
    int64_t rowid;
    uint32_t doc;
    uint8_t has;     /* has a date or an amount */
};

struct order {
    const struct doc *docs;
    int mode;
};

/* The best k matches so far as a max-heap on the order (the worst of them
 * on top), and the count of all: a broad search never materialises its
 * tens of thousands of matches, most are rejected by one comparison. */
struct hits {
    struct hit *v;
    size_t n, cap, k;
    long total;
    struct order o;
    uint64_t *bits; /* instead of the heap: the matches, to pick from an order */
};

/* 1 if document d passes the search's ranges (date, amount, CPV digit). */
int search_attrs_match(const struct ctx *c, const struct doc *d);
/* Reads a date- or amount-sorted search's page off the prebuilt order;
 * 0 if the order cannot serve it (see search_order.c). */
int search_order_walk(struct ctx *c, struct hits *h);

#endif
