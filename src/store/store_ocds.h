/*
 * store_ocds.h - the OCDS domain's tables (SQLite backend: sqlite_ocds.c).
 *
 * Tables:
 *   ocds_release  one row per published release, keyed by its log index:
 *                 ocid, id, date, tags (JSON array text), sha256 (hex of
 *                 the JCS public release, the digest in the log entry),
 *                 src_sha256 (hex of the JCS release as submitted, before
 *                 withholding; private: used only for idempotent
 *                 re-publishing, never served) and body (the JCS text of
 *                 the public release). (ocid, id) is unique.
 *   ocds_sidecar  private withheld values and salts of a release (auditor
 *                 reads only), keyed by the release's log index.
 *   ocds_record   one row per ocid: the number of releases, the first and
 *                 last log index and the latest release date, and the
 *                 compiled release (JCS text) of the first compiled_n of
 *                 them. Updated in the publish hook, in the same
 *                 transaction as the release row; compiled_n < nrel means
 *                 the compiled text is behind (a batch's last release of
 *                 the ocid was rejected) and readers merge themselves.
 *                 Versioned releases are not stored: readers merge them
 *                 from the releases (its column, `versioned`, is written
 *                 empty; stores made before keep what they held there,
 *                 unread).
 * The change feed is the ocds_release primary key (log index order).
 *
 * Writers take the open writer transaction; readers use the calling
 * thread's reader connection (latest committed state). Text returned
 * through char ** is malloc'ed and owned by the caller.
 */
#ifndef BELFRY_STORE_OCDS_H
#define BELFRY_STORE_OCDS_H

#include <stddef.h>
#include <stdint.h>

struct bf_err;
struct store;
struct store_txn;

struct store_ocds_release {
    uint64_t index;         /* log index */
    const char *ocid;
    const char *id;
    const char *date;
    const char *tags;       /* JSON array text */
    const char *sha256;     /* 64 hex */
    const char *src_sha256; /* 64 hex; in readers' callbacks only from the *_releases_of walks */
    const char *body;       /* JCS public release */
    size_t body_len;
};

struct store_ocds_record {
    char *compiled;         /* JCS compiled release, malloc'ed (NULL if absent) */
    size_t compiled_len;
    uint64_t nrel;          /* releases of the ocid */
    uint64_t first_index;
    uint64_t last_index;
    char last_date[64];     /* latest release date */
    uint64_t compiled_n;    /* releases folded into compiled (== nrel when current) */
    uint64_t compiled_index;/* log index of the latest of them */
    char compiled_date[64]; /* latest date among them */
};

/* Frees the malloc'ed members of r (not r itself). */
void store_ocds_record_clear(struct store_ocds_record *r);

/* ---- writes (inside the writer transaction) ------------------------- */

/* Inserts a release row. BF_EEXIST if (ocid, id) or the index is taken. */
int store_ocds_release_insert(struct store_txn *t, const struct store_ocds_release *r, struct bf_err *err);
/* Stores the private sidecar text (JSON) of the release at index. */
int store_ocds_sidecar_insert(struct store_txn *t, uint64_t index, const char *body, size_t len,
                              struct bf_err *err);
/* Reads the record row of ocid through the writer (sees this transaction's
 * writes). BF_ENOTFOUND if none. With want_compiled == 0 the compiled
 * text is not fetched (stays NULL). */
int store_ocds_record_get_w(struct store_txn *t, const char *ocid, int want_compiled, struct store_ocds_record *r,
                            struct bf_err *err);
/* The k releases of ocid one batch added (log indexes first..last,
 * latest date `date`), as one change of the record row. */
struct store_ocds_added {
    const char *ocid;
    uint64_t k, first, last;
    const char *date;
};
/* Counts them in the record row, creating the row (empty compiled
 * release, compiled_n = 0) if it is their first; *nrel (if not NULL) is
 * the count after it. */
int store_ocds_record_count(struct store_txn *t, const struct store_ocds_added *a, uint64_t *nrel,
                            struct bf_err *err);
/* Counts them and stores the record merged from all of them in one
 * write, if the row counted exactly `before` releases (0: no row yet);
 * BF_ECONFLICT (nothing written) if not. compiled_n becomes the new
 * count, compiled_idx a->last. */
int store_ocds_record_put(struct store_txn *t, const struct store_ocds_added *a, uint64_t before,
                          const char *compiled, size_t compiled_len, struct bf_err *err);
/* Stores the compiled text of the row's first compiled_n
 * releases (compiled_idx = index, compiled_date = the row's last date). */
int store_ocds_record_set_merged(struct store_txn *t, const char *ocid, uint64_t compiled_n, uint64_t index,
                                 const char *compiled, size_t compiled_len, struct bf_err *err);
/* Release bodies of ocid in (date, index) order through the writer. */
typedef int (*store_ocds_row_fn)(void *arg, const struct store_ocds_release *r);
int store_ocds_releases_of_w(struct store_txn *t, const char *ocid, store_ocds_row_fn fn, void *arg,
                             struct bf_err *err);

/* ---- reads ----------------------------------------------------------- */

/* Finds the release (ocid, id): its index, public digest and source digest
 * (each out pointer may be NULL). Through the writer when t is non-NULL.
 * BF_ENOTFOUND if absent. */
int store_ocds_release_find(struct store *s, struct store_txn *t, const char *ocid, const char *id, uint64_t *index,
                            char sha256[65], char src_sha256[65], struct bf_err *err);
/* Public body of (ocid, id); *body malloc'ed. */
int store_ocds_release_body(struct store *s, const char *ocid, const char *id, char **body, size_t *len,
                            uint64_t *index, struct bf_err *err);
/* Private sidecar of the release at index; BF_ENOTFOUND if it has none. */
int store_ocds_sidecar_get(struct store *s, uint64_t index, char **body, size_t *len, struct bf_err *err);
/* Every release of ocid in (date, index) order. fn returning non-zero
 * stops the walk and that value is returned. */
int store_ocds_releases_of(struct store *s, const char *ocid, store_ocds_row_fn fn, void *arg, struct bf_err *err);
/* Releases with index > after (-1: from the first) in index order, at
 * most limit (0: all). */
int store_ocds_feed(struct store *s, int64_t after, uint64_t limit, store_ocds_row_fn fn, void *arg,
                    struct bf_err *err);
/* The record row of ocid. BF_ENOTFOUND if none. */
int store_ocds_record_get(struct store *s, const char *ocid, struct store_ocds_record *r, struct bf_err *err);
/* ocids in order, each > after (NULL: from the start), at most limit (0: all). */
typedef int (*store_ocds_ocid_fn)(void *arg, const char *ocid);
int store_ocds_ocids(struct store *s, const char *after, uint64_t limit, store_ocds_ocid_fn fn, void *arg,
                     struct bf_err *err);
/* Number of releases and records. */
int store_ocds_counts(struct store *s, uint64_t *releases, uint64_t *records, struct bf_err *err);

/* One consistent read (one snapshot) of a record for serving it: head(arg,
 * rec) with the record row, then row(arg, rel) for each release of ocid in
 * (date, index) order, each with its body (the caller merges the
 * versioned release, and the compiled one when the stored merge is
 * behind, compiled_n < nrel), then tail(arg, rec). rec->compiled and the
 * rows' texts are borrowed from the store: valid only until this call
 * (rows: their callback) returns, never to be freed. head or tail may be NULL; a non-zero return
 * of a callback stops the read and is returned. BF_ENOTFOUND if no record. */
typedef int (*store_ocds_record_fn)(void *arg, const struct store_ocds_record *rec);
int store_ocds_record_serve(struct store *s, const char *ocid, store_ocds_record_fn head, store_ocds_row_fn row,
                            store_ocds_record_fn tail, void *arg, struct bf_err *err);

#endif
