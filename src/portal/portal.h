/*
 * portal.h - the public portal's data: a search index and statistics
 * derived from the public compiled releases, and the JSON API behind the
 * web pages in web/.
 *
 * The index is decoupled from publishing: it follows the log (releases in
 * log-index order, from a cursor kept in the store's meta table), recomputes
 * each touched procedure's summary from its public compiled release and
 * writes the portal's own tables in its own store transactions. It never
 * sees a withheld value: public releases only carry withheld markers.
 *
 * Threads: portal_mount starts one indexer thread that polls every
 * PORTAL_POLL_MS, so search results lag the log by about that much.
 * portal_reindex does the same work synchronously (tests, `belfry serve`
 * start-up). Everything else is safe to call from any thread.
 */
#ifndef BELFRY_PORTAL_H
#define BELFRY_PORTAL_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "store/store_portal.h"
#include "util/arena.h"

struct app;
struct bf_buf;
struct bf_err;
struct store;
struct store_txn;

#define PORTAL_POLL_MS 200
#define PORTAL_BATCH 512           /* releases read per indexer transaction */
#define PORTAL_ANALYZE_EVERY 100000 /* releases indexed between planner statistics */

/* ---- summaries (portal_extract.c) ----------------------------------- */

/* Fills p from a public compiled release. Strings point into compiled or
 * into arena; both must outlive p. Never fails on missing fields (they stay
 * NULL); BF_EINVAL if compiled is not an object with an ocid. */
int portal_extract(const json_t *compiled, struct bf_arena *arena, struct store_portal_proc *p, struct bf_err *err);

/* 1 if v is a withheld marker ({"withheld": true, ...}). */
int portal_is_withheld(const json_t *v);

/* ---- indexer (portal_index.c) --------------------------------------- */

/* Indexes one compiled release as the summary of its ocid (log_index:
 * the index of the release that produced it). Inside the caller's
 * uncommitted transaction, so the in-memory search index does not see it
 * (portal_memsearch_update after the commit does; the indexer thread
 * writes through portal_reindex, which does both). */
int portal_index_compiled(struct store_txn *t, uint64_t log_index, const json_t *compiled, struct bf_err *err);

/* Follows the log from the cursor to its end; *n (may be NULL) gets the
 * number of releases read. Idempotent. */
int portal_reindex(struct store *s, uint64_t *n, struct bf_err *err);

/* Starts / stops the background indexer of the store in data_dir (one per
 * process; it opens its own store handle, closed by portal_indexer_stop). */
int portal_indexer_start(const char *data_dir, struct bf_err *err);
void portal_indexer_stop(void);
/* Generation counter bumped after each indexer commit (for caches). */
uint64_t portal_generation(void);

/* ---- queries (portal_search.c, portal_stats.c) ---------------------- */

/* Builds an FTS5 query from user text into out (capacity cap): each word
 * becomes a quoted term, all terms must match, the last one as a prefix.
 * Returns the number of terms (0: no searchable text) or BF_ELIMIT. */
int portal_fts_query(const char *text, char *out, size_t cap);

/* Splits a query made by portal_fts_query back into its words: copies fts
 * into buf (capacity cap), words[i] point into it, *prefix = 1 when the
 * last word is a prefix. A word may be empty ("": portal_fts_query cuts an
 * over-long word of continuation bytes to nothing). Returns the number of
 * words, BF_EINVAL if fts is not in portal_fts_query's form, BF_ELIMIT if
 * it does not fit. */
int portal_fts_split(const char *fts, char *buf, size_t cap, const char **words, int max, int *prefix);

/* Query parameters by name (the HTTP request's, or a test's table). */
typedef const char *(*portal_param_fn)(void *arg, const char *name);

/* Fills f from parameters q, buyer, supplier, procedure, capability, cpv,
 * min, max, from, to, status, year, noncompetitive, sort, page, per_page.
 * Strings are copied into arena. BF_EINVAL naming the bad parameter. */
int portal_filter_parse(portal_param_fn get, void *arg, struct bf_arena *arena, struct store_portal_filter *f,
                        struct bf_err *err);

/* Runs a search and writes the response JSON:
 * {"total":N,"exact":true,"page":P,"perPage":K,"results":[{...}]} */
int portal_search_json(struct store *s, const struct store_portal_filter *f, struct bf_buf *out,
                       struct bf_err *err);

/* ---- in-memory search index (portal_memsearch.c) ---------------------- */

/* Builds the index of store s from its portal tables and publishes it
 * (replacing any); the indexer thread calls it at start. verbose: report
 * size and time on stderr. */
int portal_memsearch_build(struct store *s, int verbose, struct bf_err *err);
/* Re-reads the procedures of ocids[0..n) (committed) into the index, if
 * there is one for this store. */
int portal_memsearch_update(struct store *s, const char *const *ocids, int n, struct bf_err *err);
/* Frees the index (searches fall back to SQLite). */
void portal_memsearch_drop(void);
/* 1 if the index of s's store is built. */
int portal_memsearch_ready(struct store *s);
/* The search through the index: 1 answered (rows to cb, *total, *exact as
 * store_portal_search), 0 when the index cannot answer (not built, or a
 * word FTS5 reads as a phrase): ask store_portal_search; < 0 an error. */
int portal_memsearch(struct store *s, const struct store_portal_filter *f, store_portal_row_cb cb, void *arg,
                     long *total, int *exact, struct bf_err *err);

/* ---- response cache (portal_cache.c) --------------------------------- */

#define PORTAL_CACHE_SLOTS 2048              /* at most 64 MiB of responses */
#define PORTAL_CACHE_MAX_ENTRY (32 * 1024)

/* The canonical text of a filter (the cache key). */
int portal_filter_key(const struct store_portal_filter *f, struct bf_buf *out);
/* 1 and the cached response appended to out if key was stored by owner
 * (e.g. the store) at generation gen; 0 otherwise. */
int portal_cache_get(const void *owner, const char *key, uint64_t gen, struct bf_buf *out);
/* Stores a response (copied; ignored if larger than PORTAL_CACHE_MAX_ENTRY). */
void portal_cache_put(const void *owner, const char *key, uint64_t gen, const char *body, size_t len);

/* Appends the JSON summary of one procedure row. */
int portal_row_json(struct bf_buf *out, const struct store_portal_proc *r);

/* Dashboard JSON: {"byYear":[...],"byCapability":[...],"byProcedure":[...],
 * "byStatus":[...],"totals":{...}}; year 0 and buyer NULL for all. */
int portal_stats_json(struct store *s, int year, const char *buyer, struct bf_buf *out, struct bf_err *err);

/* Organisation JSON (totals per role and a page of procedures);
 * BF_ENOTFOUND if the organisation appears in no procedure. */
int portal_org_json(struct store *s, const char *org_id, const char *role, int page, int per_page,
                    struct bf_buf *out, struct bf_err *err);
int portal_orgs_json(struct store *s, const char *prefix, const char *role, struct bf_buf *out, struct bf_err *err);

/* ---- HTTP (portal_api.c, portal_mount.c) ---------------------------- */

/* Registers the portal's API routes, the static web/ files, the vendored
 * front-end libraries under /vendor/ and starts the indexer. */
int portal_mount(struct app *app, struct bf_err *err);

#endif
