/*
 * search.h - an in-memory inverted index of short documents with a few
 * attributes, ranked by the same bm25 as SQLite FTS5, so that a search of
 * the portal costs a walk of a few posting lists instead of an FTS5 query
 * and a row fetch per match.
 *
 * The module knows documents, tokens and attributes, not where they come
 * from: the caller tokenizes (the portal uses FTS5's own unicode61
 * tokenizer, src/store/sqlite_portal_tok.c) and hands over each document's
 * tokens per column. Columns 0..3 are text (SEARCH_TEXT_COLUMNS, weights
 * SEARCH_WEIGHTS); column SEARCH_COL_FACET holds filter tokens: they count
 * in a document's length (as in FTS5) and are matched exactly, never
 * ranked or prefix-matched.
 *
 * Model:
 *   - A document gets a dense internal number when added, append-only, and
 *     carries its caller's row id (unique among live documents). Adding a
 *     row id again marks its previous document dead; dead documents are
 *     skipped and dropped by search_index_compact (run automatically by
 *     search_batch_end when dead > live / 2).
 *   - Each token has a posting list of (document, term frequency in each
 *     text column) and one of documents holding it as a facet, both sorted
 *     by document number because numbers only grow.
 *
 * Ownership: the index copies everything it is given. search_run's result
 * (ids) is malloc'ed and freed by search_result_free.
 *
 * Threads: one writer at a time (search_doc_* and search_batch_end; the
 * caller serialises them, the portal has one indexer thread), any number
 * of concurrent readers (search_run, search_stats). Writes to the shared
 * structures happen under a write lock held for one document at a time
 * (and for a compaction); readers hold the read lock for one search. The
 * lock prefers writers so that a steady stream of searches cannot starve
 * the indexer.
 *
 * Errors: 0 or a negative BF_E* code with a message in err. BF_ENOMEM
 * never happens (allocation failure aborts, as bf_xmalloc);
 * BF_EUNSUPPORTED: a query this index cannot answer exactly (a phrase of
 * several tokens): the caller asks the store instead.
 */
#ifndef BELFRY_SEARCH_H
#define BELFRY_SEARCH_H

#include <stddef.h>
#include <stdint.h>

struct bf_err;
struct search_index;

#define SEARCH_TEXT_COLUMNS 4
#define SEARCH_COL_FACET 4
/* bm25 column weights, as bm25(portal_fts, 10.0, 2.0, 4.0, 4.0, 0.0). */
#define SEARCH_WEIGHTS { 10.0, 2.0, 4.0, 4.0 }
#define SEARCH_MAX_TERMS 32

enum search_sort {
    SEARCH_SORT_RELEVANCE = 0, /* bm25 best first, ties by row id descending; newest without text */
    SEARCH_SORT_NEWEST,        /* date descending (unknown last), row id descending */
    SEARCH_SORT_OLDEST,        /* date ascending (unknown first), row id ascending */
    SEARCH_SORT_VALUE_DESC,    /* amount descending, unknown last, row id descending */
    SEARCH_SORT_VALUE_ASC,     /* amount ascending, unknown last, row id ascending */
};

/* Attributes of a document. date: any string compared bytewise (the
 * portal's ISO dates), NULL for unknown. cpv1: bit d set when one of the
 * document's CPV codes starts with digit d. */
struct search_doc {
    int64_t rowid;
    const char *date;
    double amount;
    int has_amount;
    unsigned cpv1;
};

/* A text term: one token, matched exactly or as a prefix. */
struct search_term {
    const char *tok;
    size_t len;
    int prefix;
};

/* A search: every term (in columns 0..3) and every facet token, and the
 * ranges. NULL / has_* == 0 / cpv1 < 0 mean no filter. date_min is
 * inclusive, date_below exclusive (bytewise). Page: offset, limit; counts
 * stop at count_cap (exact = 0 then). */
struct search_query {
    const struct search_term *terms;
    int nterms;
    const char *const *facets;
    int nfacets;
    const char *date_min, *date_below;
    int cpv1;
    double min_amount, max_amount;
    int has_min, has_max;
    enum search_sort sort;
    int offset, limit;
    long count_cap;
};

struct search_result {
    int64_t *ids;   /* the page's row ids in order */
    double *scores; /* ranked by relevance: each one's bm25 as FTS5 returns it (negative, lower is better); else NULL */
    int n;
    long total;
    int exact;
};

struct search_stats {
    uint32_t docs, live, tokens;
    uint64_t postings, facet_postings;
    size_t bytes; /* memory held, approximately */
};

/* A new, empty index (never NULL). */
struct search_index *search_index_new(void);
void search_index_free(struct search_index *ix);

/* Writer: search_doc_begin, a search_doc_token per token in document
 * order, search_doc_end. The document becomes visible (and its row id's
 * previous document dead) at search_doc_end. */
void search_doc_begin(struct search_index *ix, const struct search_doc *d);
int search_doc_token(struct search_index *ix, int column, const char *tok, size_t len, struct bf_err *err);
void search_doc_end(struct search_index *ix);
/* Marks the document of rowid dead (no-op if none). */
void search_doc_remove(struct search_index *ix, int64_t rowid);
/* After a batch of documents: sorts the new tokens into the prefix table,
 * compacts when dead documents outnumber half the live ones, and rebuilds
 * the date and amount orders that searches without terms (or broad ones
 * sorted by date or amount) read their pages from. Sorting happens outside
 * the lock; until this call such searches walk the documents instead. */
void search_batch_end(struct search_index *ix);
/* Drops dead documents and renumbers the rest (order kept). */
void search_index_compact(struct search_index *ix);

/* Runs q; r->ids holds the page (caller frees with search_result_free). */
int search_run(struct search_index *ix, const struct search_query *q, struct search_result *r, struct bf_err *err);
void search_result_free(struct search_result *r);

void search_stats(struct search_index *ix, struct search_stats *st);

#endif
