/*
 * portal_index.c - the indexer: follows the OCDS change feed from the
 * portal's cursor and rewrites the summary of every procedure touched,
 * from its stored public compiled release.
 *
 * Each round reads at most PORTAL_BATCH releases, parses and summarises
 * their procedures (once per ocid) outside any transaction, then writes
 * the summaries and the advanced cursor in one short store transaction,
 * so the ledger's group commit never waits on JSON work. A crash between
 * rounds repeats at most one round (writes are idempotent upserts).
 *
 * The background thread opens its own handle on the store (SQLite
 * serialises its writes with the ledger's), so it does not depend on the
 * server's handle staying open: a process may exit with it still running,
 * and an unfinished round simply rolls back.
 *
 * Invariant: the cursor only moves past a release after the summary of
 * its ocid, as of that release or later, is committed.
 */
#include "common.h"
#include "portal.h"
#include "store/store.h"
#include "store/store_ocds.h"
#include "ocds/ocds.h"
#include "ocds/ocds_import.h"

#include <pthread.h>

struct change {
    uint64_t index;
    char *ocid;
};

struct round {
    struct change *v;
    int n, cap;
    uint64_t next; /* cursor after this round */
};

struct summary {
    json_t *compiled;
    struct store_portal_proc p;
};

static int collect(void *arg, uint64_t index, const char *ocid)
{
    struct round *r = arg;
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 256;
        r->v = bf_xrealloc(r->v, (size_t)r->cap * sizeof *r->v);
    }
    r->v[r->n].index = index;
    r->v[r->n].ocid = bf_xstrdup(ocid ? ocid : "");
    r->n++;
    r->next = index + 1;
    return 0;
}

static int by_ocid(const void *a, const void *b)
{
    const struct change *x = a, *y = b;
    return strcmp(x->ocid, y->ocid);
}

/* Sorts by ocid and keeps one change per ocid; returns the unique count. */
static int unique_ocids(struct round *r)
{
    int i, n = 0;
    qsort(r->v, (size_t)r->n, sizeof *r->v, by_ocid);
    for (i = 0; i < r->n; i++) {
        if (n && !strcmp(r->v[n - 1].ocid, r->v[i].ocid)) {
            free(r->v[i].ocid);
            continue;
        }
        r->v[n++] = r->v[i];
    }
    return n;
}

/* Loads and summarises the compiled release of ocid; 1 if there is
 * nothing to index (no record or not a usable compiled release). */
static int summarise(struct store *s, const char *ocid, struct bf_arena *arena, struct summary *out,
                     struct bf_err *err)
{
    struct store_ocds_record rec = { 0 };
    json_error_t jerr;
    int rc;

    rc = store_ocds_record_get(s, ocid, &rec, err);
    if (rc == BF_ENOTFOUND)
        return 1;
    if (rc < 0)
        return rc;
    if (rec.compiled_n == rec.nrel) {
        out->compiled = rec.compiled ? json_loadb(rec.compiled, rec.compiled_len, 0, &jerr) : NULL;
    } else if (ocds_record_compiled(s, ocid, &out->compiled, err) < 0) {
        /* The stored merge is behind (a batch's last release of this ocid
         * was rejected): merge from the releases, as the record API does. */
        out->compiled = NULL;
    }
    if (!out->compiled || portal_extract(out->compiled, arena, &out->p, NULL) < 0) {
        fprintf(stderr, "belfry: portal: skipping %s: unreadable compiled release\n", ocid);
        json_decref(out->compiled);
        out->compiled = NULL;
        rc = 1;
        goto out;
    }
    out->p.releases = (int)rec.nrel;
    out->p.log_index = rec.last_index;
    rc = 0;
out:
    store_ocds_record_clear(&rec);
    return rc;
}

static int write_round(struct store *s, struct summary *sum, int n, uint64_t next, struct bf_err *err)
{
    struct store_txn *t;
    int i, rc;

    if ((rc = store_txn_begin(s, &t, err)) < 0)
        return rc;
    for (i = 0; i < n && !rc; i++)
        if (sum[i].compiled)
            rc = store_portal_put(t, &sum[i].p, err);
    if (!rc)
        rc = store_portal_set_cursor(t, next, err);
    if (rc < 0) {
        store_txn_rollback(t);
        return rc;
    }
    return store_txn_commit(t, err);
}

/* Brings the in-memory search index (if any for this store) up to date
 * with a committed round, before the generation moves on, so a response
 * cached under the new generation never comes from the old index. If that
 * fails the index is dropped (searches fall back to SQLite) and the
 * indexer thread builds it again. */
static int update_memsearch(struct store *s, struct summary *sum, int n, struct bf_err *err)
{
    const char **ocids = bf_xcalloc((size_t)n + 1, sizeof *ocids);
    int i, k = 0, rc;

    for (i = 0; i < n; i++)
        if (sum[i].compiled)
            ocids[k++] = sum[i].p.ocid;
    rc = portal_memsearch_update(s, ocids, k, err);
    if (rc < 0) {
        fprintf(stderr, "belfry: portal: search index dropped: %s\n", err ? err->msg : "update failed");
        portal_memsearch_drop();
        rc = 0;
    }
    free(ocids);
    return rc;
}

/* One round; *read gets the number of releases read (0: caught up). */
static int index_round(struct store *s, uint64_t *read, struct bf_err *err)
{
    struct round r = { 0 };
    struct summary *sum = NULL;
    struct bf_arena arena = BF_ARENA_INIT;
    uint64_t from;
    int i, n = 0, rc;

    *read = 0;
    if ((rc = store_portal_cursor(s, &from, err)) < 0)
        return rc;
    if ((rc = store_portal_changes(s, from, PORTAL_BATCH, collect, &r, err)) < 0 || r.n == 0)
        goto out;
    *read = (uint64_t)r.n;
    n = unique_ocids(&r);
    sum = bf_xcalloc((size_t)n, sizeof *sum);
    for (i = 0; i < n; i++)
        if ((rc = summarise(s, r.v[i].ocid, &arena, &sum[i], err)) < 0)
            goto out;
    if ((rc = write_round(s, sum, n, r.next, err)) < 0)
        goto out;
    rc = update_memsearch(s, sum, n, err);
out:
    for (i = 0; sum && i < n; i++)
        json_decref(sum[i].compiled);
    for (i = 0; i < (r.n && !n ? r.n : n); i++)
        free(r.v[i].ocid);
    free(r.v);
    free(sum);
    bf_arena_free(&arena);
    return rc;
}

static uint64_t portal_gen;

uint64_t portal_generation(void)
{
    return __atomic_load_n(&portal_gen, __ATOMIC_ACQUIRE);
}

int portal_reindex(struct store *s, uint64_t *n, struct bf_err *err)
{
    uint64_t read, total = 0;
    int rc;

    do {
        rc = index_round(s, &read, err);
        total += read;
        if (read)
            __atomic_add_fetch(&portal_gen, 1, __ATOMIC_ACQ_REL);
    } while (!rc && read);
    if (n)
        *n = total;
    return rc;
}

int portal_index_compiled(struct store_txn *t, uint64_t log_index, const json_t *compiled, struct bf_err *err)
{
    struct bf_arena arena = BF_ARENA_INIT;
    struct store_portal_proc p;
    int rc;

    rc = portal_extract(compiled, &arena, &p, err);
    if (!rc) {
        p.log_index = log_index;
        p.releases = 1;
        rc = store_portal_put(t, &p, err);
    }
    bf_arena_free(&arena);
    if (!rc)
        __atomic_add_fetch(&portal_gen, 1, __ATOMIC_ACQ_REL);
    return rc;
}

/* ---- the background thread ---------------------------------------- */

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t th;
    int running, stop;
    struct store *s;
} ix = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, NULL };

/* Planner statistics once a large batch has been indexed, so that
 * filters pick the right index on a grown table. */
static int analyze(struct store *s, struct bf_err *err)
{
    struct store_txn *t;
    int rc = store_txn_begin(s, &t, err);
    if (rc)
        return rc;
    if ((rc = store_portal_analyze(t, err)) < 0) {
        store_txn_rollback(t);
        return rc;
    }
    return store_txn_commit(t, err);
}

/* BELFRY_PORTAL_SEARCH_INDEX=0 keeps searches on SQLite (the benchmark's
 * baseline, or a way out should the index misbehave). */
static int use_memsearch(void)
{
    const char *v = getenv("BELFRY_PORTAL_SEARCH_INDEX");
    return !v || strcmp(v, "0") != 0;
}

static void *indexer_main(void *arg)
{
    struct timespec ts;
    time_t last_report = 0;
    uint64_t since_analyze = PORTAL_ANALYZE_EVERY; /* analyze after the first catch-up */
    (void)arg;

    pthread_mutex_lock(&ix.mu);
    while (!ix.stop) {
        struct bf_err err = { 0 };
        uint64_t n = 0;
        int rc;
        pthread_mutex_unlock(&ix.mu);
        rc = 0;
        if (use_memsearch() && !portal_memsearch_ready(ix.s) && (rc = portal_memsearch_build(ix.s, 1, &err)) < 0 &&
            time(NULL) - last_report >= 60) {
            fprintf(stderr, "belfry: portal: search index: %s (searching SQLite until it builds)\n", err.msg);
            last_report = time(NULL);
        }
        rc = portal_reindex(ix.s, &n, &err);
        since_analyze += n;
        if (!rc && n && since_analyze >= PORTAL_ANALYZE_EVERY) {
            rc = analyze(ix.s, &err);
            since_analyze = 0;
        }
        if (rc < 0 && time(NULL) - last_report >= 60) {
            fprintf(stderr, "belfry: portal indexer: %s (retrying)\n", err.msg);
            last_report = time(NULL);
        }
        pthread_mutex_lock(&ix.mu);
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += PORTAL_POLL_MS * 1000000L;
        ts.tv_sec += ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        if (!ix.stop)
            pthread_cond_timedwait(&ix.cv, &ix.mu, &ts);
    }
    pthread_mutex_unlock(&ix.mu);
    return NULL;
}

int portal_indexer_start(const char *data_dir, struct bf_err *err)
{
    int rc = 0;
    pthread_mutex_lock(&ix.mu);
    if (ix.running) {
        rc = bf_err_set(err, BF_EEXIST, "portal indexer already running");
        goto out;
    }
    if ((rc = store_open(data_dir, 0, &ix.s, err)) < 0)
        goto out;
    ix.stop = 0;
    if (pthread_create(&ix.th, NULL, indexer_main, NULL) != 0) {
        store_close(ix.s);
        ix.s = NULL;
        rc = bf_err_set(err, BF_EIO, "cannot start the portal indexer thread");
        goto out;
    }
    ix.running = 1;
out:
    pthread_mutex_unlock(&ix.mu);
    return rc;
}

void portal_indexer_stop(void)
{
    pthread_mutex_lock(&ix.mu);
    if (!ix.running) {
        pthread_mutex_unlock(&ix.mu);
        return;
    }
    ix.stop = 1;
    pthread_cond_broadcast(&ix.cv);
    pthread_mutex_unlock(&ix.mu);
    pthread_join(ix.th, NULL);
    portal_memsearch_drop();
    pthread_mutex_lock(&ix.mu);
    ix.running = 0;
    store_close(ix.s);
    ix.s = NULL;
    pthread_mutex_unlock(&ix.mu);
}
