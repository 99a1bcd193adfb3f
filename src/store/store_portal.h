/*
 * store_portal.h - the portal's tables: one summary row per procedure
 * (ocid), the organisations that take part in it, its CPV codes and a
 * full-text index (SQLite FTS5) over titles, descriptions, buyers and
 * suppliers. Everything here is derived from public compiled releases, so
 * the tables can be dropped and rebuilt at any time (the cursor in the
 * store's meta table says how far the index has followed the log).
 *
 * Writes go through the caller's store transaction (the portal indexer's
 * own, never the ledger's group commit). Reads use the calling thread's
 * reader connection and hand rows to a callback; the strings of a row are
 * valid only during the callback.
 *
 * Errors: BF_EIO for SQL failures, BF_EINVAL for a filter the store cannot
 * run (e.g. an FTS5 query it rejects).
 */
#ifndef BELFRY_STORE_PORTAL_H
#define BELFRY_STORE_PORTAL_H

#include <stddef.h>
#include <stdint.h>

struct bf_buf;
struct bf_err;
struct store;
struct store_txn;

#define STORE_PORTAL_META_CURSOR "portal.cursor"

/* One organisation's part in a procedure. amount is the value awarded to
 * a supplier (or the procedure's value for a buyer); has_amount 0 if none
 * is public. */
struct store_portal_party {
    const char *org_id;
    const char *name;
    const char *role;            /* "buyer", "supplier", "tenderer" */
    double amount;
    int has_amount;
};

/* The summary row of one procedure. Strings may be NULL (unknown). */
struct store_portal_proc {
    const char *ocid;
    const char *title;
    const char *description;
    const char *buyer_id;
    const char *buyer_name;
    const char *suppliers_json;  /* JSON array [{"id","name"}], never NULL on put */
    const char *suppliers_text;  /* supplier names for full text */
    const char *procedure;       /* Directive 2009/81 procedure or OCDS method details */
    const char *method;          /* OCDS procurementMethod */
    const char *capability;      /* defence capability area */
    const char *cpv;             /* main CPV code */
    const char *status;          /* derived stage: planning, tender, award, contract, ... */
    const char *currency;
    const char *amount_kind;     /* "contract", "award", "tender", "planning" */
    const char *date;            /* latest release date */
    const char *start_date;      /* publication / tender start */
    double amount;
    int has_amount;
    int year;                    /* 0 if unknown */
    int noncompetitive;
    int tenderers;               /* -1 if unknown */
    int withheld;                /* number of withheld fields */
    int releases;                /* number of releases indexed for it */
    uint64_t log_index;          /* log index of the latest release */
    /* put only: */
    const struct store_portal_party *parties;
    int nparties;
    const char *const *cpvs;
    int ncpvs;
};

/* Inserts or replaces the row of p->ocid with its parties, CPVs and text. */
int store_portal_put(struct store_txn *t, const struct store_portal_proc *p, struct bf_err *err);

/* Refreshes the query planner's statistics of the portal tables (sampled:
 * a fraction of a second even on millions of rows). */
int store_portal_analyze(struct store_txn *t, struct bf_err *err);

/* The first log index the index has not followed yet (0 when new). */
int store_portal_cursor(struct store *s, uint64_t *next, struct bf_err *err);
int store_portal_set_cursor(struct store_txn *t, uint64_t next, struct bf_err *err);

/* Calls cb for each public release with log index >= from, in log order,
 * at most limit of them, with its ocid (valid during the call). Reads the
 * publishing domain's release table (read-only; its compiled releases
 * come from store_ocds_record_get). A non-zero cb return stops the walk
 * and is returned. */
typedef int (*store_portal_change_cb)(void *arg, uint64_t index, const char *ocid);
int store_portal_changes(struct store *s, uint64_t from, int limit, store_portal_change_cb cb, void *arg,
                         struct bf_err *err);

/* ---- queries ------------------------------------------------------- */

enum store_portal_sort {
    STORE_PORTAL_SORT_RELEVANCE = 0, /* by FTS rank if text, else newest */
    STORE_PORTAL_SORT_NEWEST,
    STORE_PORTAL_SORT_OLDEST,
    STORE_PORTAL_SORT_VALUE_DESC,
    STORE_PORTAL_SORT_VALUE_ASC,
};

/* A search. NULL strings and has_* == 0 mean "no filter". fts is an FTS5
 * query already built from user text by the caller (portal_fts_query).
 * Relevance order needs text; without it the newest come first. */
struct store_portal_filter {
    const char *fts;
    const char *buyer;           /* organisation id */
    const char *supplier;        /* organisation id */
    const char *procedure;
    const char *capability;
    const char *cpv_prefix;      /* digits only */
    const char *status;
    const char *date_from;       /* YYYY-MM-DD, compared with the latest release date */
    const char *date_to;
    int year;                    /* 0: any */
    int noncompetitive;          /* 1: only non-competitive */
    double min_amount, max_amount;
    int has_min, has_max;
    enum store_portal_sort sort;
    int limit;                   /* 1..100 */
    int offset;                  /* 0..STORE_PORTAL_MAX_OFFSET */
};

#define STORE_PORTAL_MAX_OFFSET 10000
#define STORE_PORTAL_COUNT_CAP 10000
/* Relevance lists first the most recent matches of this many, by bm25,
 * then the older ones, by bm25: bm25 over tens of thousands of matches of
 * a common word would cost more than the whole rest of a search, and the
 * first pages need only the first tier. */
#define STORE_PORTAL_RANK_WINDOW 2000

typedef int (*store_portal_row_cb)(void *arg, const struct store_portal_proc *row);

/* Runs the filter: calls cb for each row of the page and sets *total to
 * the number of matches, counted up to STORE_PORTAL_COUNT_CAP (*exact = 0
 * when the cap was reached). */
int store_portal_search(struct store *s, const struct store_portal_filter *f, store_portal_row_cb cb, void *arg,
                        long *total, int *exact, struct bf_err *err);

/* One aggregate bucket: key is a year (as text), capability area,
 * procedure type or organisation role. awarded sums EUR values of
 * contracts and awards; estimated sums EUR estimates of procedures not yet
 * awarded. */
struct store_portal_bucket {
    const char *key;
    long count;
    long noncompetitive;
    long withheld;
    double awarded;
    double awarded_noncompetitive;
    double estimated;
};

enum store_portal_group {
    STORE_PORTAL_BY_YEAR = 0,
    STORE_PORTAL_BY_CAPABILITY,
    STORE_PORTAL_BY_PROCEDURE,
    STORE_PORTAL_BY_STATUS,
};

typedef int (*store_portal_bucket_cb)(void *arg, const struct store_portal_bucket *b);

/* Aggregates over all procedures (year != 0: only that year; buyer
 * non-NULL: only that buyer's). */
int store_portal_stats(struct store *s, enum store_portal_group g, int year, const char *buyer,
                       store_portal_bucket_cb cb, void *arg, struct bf_err *err);

/* Organisation totals per role (bucket key = role, awarded = sum of the
 * organisation's EUR amounts in that role). *name is the most recent name
 * (malloc'ed, caller frees; NULL if the organisation is unknown). */
int store_portal_org(struct store *s, const char *org_id, char **name, store_portal_bucket_cb cb, void *arg,
                     struct bf_err *err);
/* The organisation's procedures, newest first (role NULL: any role). */
int store_portal_org_procs(struct store *s, const char *org_id, const char *role, int limit, int offset,
                           store_portal_row_cb cb, void *arg, long *total, struct bf_err *err);

/* Organisations whose name or id starts with prefix (case-insensitive),
 * role NULL for any; for the filter pickers. */
typedef int (*store_portal_org_cb)(void *arg, const char *org_id, const char *name, const char *role, long count);
int store_portal_orgs(struct store *s, const char *prefix, const char *role, int limit, store_portal_org_cb cb,
                      void *arg, struct bf_err *err);

/* ---- for an in-memory index of the portal (src/search) ---------------- */

/* FTS5's own tokenizer as portal_fts uses it (unicode61 remove_diacritics
 * 2), so that an index outside SQLite holds exactly FTS5's tokens. Bound to
 * the calling thread's reader connection: use it on that thread only, and
 * close it before the store. */
struct store_portal_tok;
int store_portal_tok_open(struct store *s, struct store_portal_tok **out, struct bf_err *err);
/* Calls cb for each token of text[0..len) in order (tok valid during the
 * call); a non-zero cb return stops and is returned; BF_EIO if the
 * tokenizer fails. */
typedef int (*store_portal_tok_cb)(void *arg, const char *tok, size_t len);
int store_portal_tok_run(struct store_portal_tok *t, const char *text, size_t len, store_portal_tok_cb cb, void *arg);
void store_portal_tok_close(struct store_portal_tok *t);

/* One procedure as the full-text index holds it: the 5 columns of
 * portal_fts (title, description, buyer, suppliers, facets; NULL if
 * empty) and the attributes the filters outside FTS5 need. cpv_first: the
 * first characters of its CPV codes, one each. Valid during the callback. */
struct store_portal_doc {
    int64_t id;
    const char *text[5];
    const char *date;
    double amount;
    int has_amount;
    const char *cpv_first;
};
typedef int (*store_portal_doc_cb)(void *arg, const struct store_portal_doc *d);

/* Calls cb for every procedure (ocids NULL) or for those of ocids[0..n)
 * that exist, inside one read transaction; *cursor (may be NULL) gets the
 * indexer's cursor as of that same snapshot. */
int store_portal_docs(struct store *s, const char *const *ocids, int n, store_portal_doc_cb cb, void *arg,
                      uint64_t *cursor, struct bf_err *err);

/* The rows of ids[0..n) in that order (ids no longer present skipped). */
int store_portal_rows(struct store *s, const int64_t *ids, int n, store_portal_row_cb cb, void *arg,
                      struct bf_err *err);

/* The facet tokens FTS5 matches for the filter's equality filters (buyer,
 * supplier, procedure, capability, status, year, non-competitive, CPV
 * prefix of 2+ digits), as " tok1 tok2 ..." in out (empty if none). */
int store_portal_filter_facets(const struct store_portal_filter *f, struct bf_buf *out);

#endif
