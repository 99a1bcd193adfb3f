/*
 * ocds_import.c - the importer: reads files (memory-mapped), folders
 * (recursively, in name order) and stdin, feeds the scanner's releases to
 * ocds_publish_batch in batches (one group commit per batch), and writes
 * the per-item report and a throttled progress line.
 *
 * Invariants: an item is either published with its log entry (one ledger
 * item, one hook) or reported; nothing of a rejected item is written.
 * Re-importing is idempotent: a release already published with the same
 * content counts as present. A store or ledger failure (not an item's
 * fault) stops the import and is returned; everything committed before it
 * stays consistent, so importing again resumes.
 * Report lines: "<file>:<line>: byte <b>: #<pointer>: rejected: <why>"
 * (or "note: <what>").
 */
#include "common.h"
#include "ocds_import.h"
#include "store/store.h"
#include "store/store_ocds.h"
#include "fs.h"
#include "ledger/ledger.h"

#include <dirent.h>
#include <pthread.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

/* Batches of 4 096 releases: each is one ledger request, one group
 * commit and one record hook (200 000 releases: 7.2 s with 2 048,
 * 6.85 s with 4 096, the same with 8 192 at 1.7x the memory). */
#define DEFAULT_BATCH 4096
#define DEFAULT_MAX_FILE ((uint64_t)4 << 30)

struct pending {
    json_t *release;     /* NULL until a worker parses a raw line */
    size_t raw_off, raw_len; /* a raw line: its bytes in the slot's raw buffer */
    const char *file;    /* interned in im->files */
    uint64_t line, byte;
    char *ptr;
};

/* A linked release, resolved once everything else is imported (its
 * release may come later, in another file). */
struct link {
    char *file, *ptr, *ocid, *date, *url;
    uint64_t line, byte;
    json_t *tags;
};

/* A batch being filled, or on its way through a worker and the ledger:
 * FREE -> (filled) QUEUED -> (a worker prepares it and hands it to the
 * ledger) RUNNING -> SUBMITTED -> (durable: the ledger's callback sets
 * durable) -> (that worker fills its results, frees its trees) FINISHING ->
 * DONE -> (counted, in fill order, by the caller's thread) FREE. */
enum slot_state { SLOT_FREE, SLOT_QUEUED, SLOT_RUNNING, SLOT_SUBMITTED, SLOT_FINISHING, SLOT_DONE };
struct slot {
    struct ocds_importer *im;
    struct pending *p;
    struct ocds_pub_item *items;
    size_t n;
    char **files;        /* names of files with items in this batch */
    size_t nfiles;
    struct bf_buf raw;   /* the raw lines' bytes */
    struct bf_arena trees; /* the jv trees of the raw lines (worker-made, reset once published) */
    int submitted;       /* handed to a worker, results not yet counted */
    enum slot_state state; /* guarded by mu */
    int durable;         /* the ledger is done with it (guarded by mu) */
    int owner;           /* the worker that parsed and prepared it finishes it */
    struct ocds_pub_job *job; /* between ocds_publish_begin and _end */
};

/* Workers publish batches (parse of the raw lines, check, canonical
 * form, record merge) while the caller's thread scans the next. A worker
 * does not wait for its batch's group commit and fsync: it hands the
 * batch to the ledger (ocds_publish_begin) and prepares the next one,
 * and finishes its batch (ocds_publish_end, freeing the trees it made)
 * once the ledger says it is durable. Waiting for the fsync used to
 * leave the cores idle a fifth of the time. Three workers keep the two cores busy while the
 * scanner waits for a slot; NSLOT bounds the batches in memory at once.
 * Results are counted and reported in fill order. Two consecutive
 * batches can reach the log in either order (the second one's
 * preparation may finish first); a record does not depend on log order
 * (its merge sorts by date), and a release repeated across the two is
 * caught at insert. */
#define NWORKER 3
#define NSLOT 6
struct ocds_importer {
    struct ocds_ctx *c;
    struct link *links;
    size_t nlinks;
    struct pending *compiled; /* compiled releases, decided at the end */
    size_t ncompiled;
    struct ocds_import_opts o;
    struct ocds_import_stats st;
    struct slot slot[NSLOT];
    int cur;             /* the slot being filled */
    int order[NSLOT];    /* submitted slots, oldest first (ring) */
    int head, count;     /* guarded by mu */
    pthread_t th[NWORKER];
    struct worker_arg { struct ocds_importer *im; int id; } wa[NWORKER];
    int nth;             /* workers started */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int quit;            /* guarded by mu */
    int fatal;
    struct bf_err ferr;
    struct timespec t0, last;
    char *map;           /* the file being scanned, if memory-mapped */
    size_t map_len, map_done; /* bytes before map_done are handed back */
};

/* Gives back the pages of the mapped file before the current item (the
 * scanner never looks back past an item's start, and items own their
 * parsed JSON), so a multi-gigabyte file does not stay resident. */
static void release_map(struct ocds_importer *im, uint64_t byte)
{
    const size_t step = (size_t)64 << 20;
    size_t upto;
    if (!im->map || byte < im->map_done + 2 * step)
        return;
    upto = (size_t)BF_MIN(byte, (uint64_t)im->map_len) / step * step - step;
    if (upto <= im->map_done)
        return;
    madvise(im->map + im->map_done, upto - im->map_done, MADV_DONTNEED);
    im->map_done = upto;
}

static void *worker(void *arg);
static void ocds_importer_free_slots(struct ocds_importer *im);

int ocds_importer_new(struct ocds_ctx *c, const struct ocds_import_opts *o, struct ocds_importer **out,
                      struct bf_err *err)
{
    struct ocds_importer *im = bf_xcalloc(1, sizeof *im);
    im->c = c;
    if (o)
        im->o = *o;
    if (!im->o.batch)
        im->o.batch = DEFAULT_BATCH;
    if (!im->o.max_file)
        im->o.max_file = DEFAULT_MAX_FILE;
    if (!im->o.actor)
        im->o.actor = "operator";
    for (int k = 0; k < NSLOT; k++) {
        im->slot[k].im = im;
        bf_buf_init(&im->slot[k].raw, (size_t)1 << 40);
        im->slot[k].p = bf_xcalloc(im->o.batch, sizeof *im->slot[k].p);
        im->slot[k].items = bf_xcalloc(im->o.batch, sizeof *im->slot[k].items);
    }
    pthread_mutex_init(&im->mu, NULL);
    pthread_cond_init(&im->cv, NULL);
    for (int k = 0; k < NWORKER; k++) {
        im->wa[k].im = im;
        im->wa[k].id = k;
        if (pthread_create(&im->th[k], NULL, worker, &im->wa[k]) != 0) {
            ocds_importer_free(im);
            return bf_err_set(err, BF_EIO, "cannot start the import worker threads");
        }
        im->nth++;
    }
    clock_gettime(CLOCK_MONOTONIC, &im->t0);
    im->last = im->t0;
    (void)err;
    *out = im;
    return 0;
}

/* ---- report and progress ------------------------------------------------ */

/* file as the user named it: relative to o.name_base when under it. */
static const char *shown(const struct ocds_importer *im, const char *file)
{
    size_t n = im->o.name_base ? strlen(im->o.name_base) : 0;
    if (n && !strncmp(file, im->o.name_base, n) && file[n] == '/' && file[n + 1])
        return file + n + 1;
    return file;
}

static void report(struct ocds_importer *im, const char *file, uint64_t line, uint64_t byte, const char *ptr,
                   const char *kind, const char *why)
{
    if (!im->o.report)
        return;
    if (im->o.progress)
        fputs("\r\033[K", im->o.progress);
    fprintf(im->o.report, "%s:%" PRIu64 ": byte %" PRIu64 ": #%s: %s: %s\n", shown(im, file), line, byte,
            ptr && *ptr ? ptr : "", kind, why);
}

static void progress(struct ocds_importer *im, int final)
{
    struct timespec ts;
    double el, dt;
    uint64_t done = im->st.added + im->st.present + im->st.rejected;

    if (!im->o.progress)
        return;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    dt = (double)(ts.tv_sec - im->last.tv_sec) + (ts.tv_nsec - im->last.tv_nsec) / 1e9;
    if (!final && dt < 0.25)
        return;
    im->last = ts;
    el = (double)(ts.tv_sec - im->t0.tv_sec) + (ts.tv_nsec - im->t0.tv_nsec) / 1e9;
    fprintf(im->o.progress,
            "\r\033[KImporting releases: %" PRIu64 " (%" PRIu64 " new, %" PRIu64 " present, %" PRIu64
            " rejected), %.1f MB, %.0f releases/s%s",
            done, im->st.added, im->st.present, im->st.rejected, im->st.bytes / 1e6, el > 0 ? done / el : 0.0,
            final ? ", done.\n" : "");
    fflush(im->o.progress);
}

/* ---- batches -------------------------------------------------------------- */

static int item_fault(int rc)
{
    return rc == BF_EIO || rc == BF_ECORRUPT || rc == BF_ENOMEM;
}

static void clear_slot(struct slot *sl)
{
    size_t i;
    for (i = 0; i < sl->n; i++) {
        json_decref(sl->p[i].release);
        free(sl->p[i].ptr);
    }
    sl->n = 0;
    sl->raw.len = 0;
    for (i = 0; i < sl->nfiles; i++)
        free(sl->files[i]);
    free(sl->files);
    sl->files = NULL;
    sl->nfiles = 0;
    sl->submitted = 0;
}

/* Frees a published batch's release trees here, on the worker: freeing
 * every node was a quarter of the scanning thread's time. */
static void release_trees(struct slot *sl)
{
    size_t i;
    for (i = 0; i < sl->n; i++) {
        json_decref(sl->p[i].release);
        sl->p[i].release = NULL;
        sl->items[i].release = NULL;
        sl->items[i].tree = NULL;
    }
    bf_arena_reset(&sl->trees);
}

/* Parses the slot's raw lines here, on the worker, so that parsing runs
 * on every core and a tree is freed by the thread that made it. A line
 * that does not parse is rejected as the scanner would have. */
static void parse_raw(struct slot *sl)
{
    size_t i;
    for (i = 0; i < sl->n; i++) {
        struct pending *p = &sl->p[i];
        struct ocds_pub_item *it = &sl->items[i];
        char why[sizeof it->err.msg];
        if (p->release || !p->raw_len)
            continue;
        if (ocds_import_parse_raw_jv(&sl->trees, sl->raw.data + p->raw_off, p->raw_len, &it->tree))
            continue;
        if (ocds_import_parse_raw(sl->raw.data + p->raw_off, p->raw_len, p->line, p->byte, &p->release, why,
                                  sizeof why))
            it->rc = bf_err_set(&it->err, BF_EINVAL, "%s", why);
        it->release = p->release;
    }
}

/* The ledger's callback: the slot's batch is durable (or failed). */
static void slot_durable(void *arg)
{
    struct slot *sl = arg;
    pthread_mutex_lock(&sl->im->mu);
    sl->durable = 1;
    pthread_cond_broadcast(&sl->im->cv);
    pthread_mutex_unlock(&sl->im->mu);
}

/* Work for worker `me` (caller holds mu): a durable batch of its own to
 * finish first (it frees memory and lets the caller count; its own, so
 * that its trees are freed by the thread that allocated them, mimalloc's
 * cheap path), else the oldest queued batch, else NULL. */
static struct slot *next_work(struct ocds_importer *im, int me)
{
    struct slot *queued = NULL;
    int i;
    for (i = 0; i < NSLOT; i++) {
        struct slot *sl = &im->slot[i];
        if (sl->state == SLOT_SUBMITTED && sl->durable && sl->owner == me)
            return sl;
    }
    for (i = 0; i < im->count && !queued; i++) {
        struct slot *sl = &im->slot[im->order[(im->head + i) % NSLOT]];
        if (sl->state == SLOT_QUEUED)
            queued = sl;
    }
    return queued;
}

/* 1 while a batch waits for a worker, or worker me's batch is with the
 * ledger (caller holds mu). */
static int in_flight(struct ocds_importer *im, int me)
{
    int i;
    for (i = 0; i < NSLOT; i++)
        if (im->slot[i].state == SLOT_QUEUED || (im->slot[i].state == SLOT_SUBMITTED && im->slot[i].owner == me))
            return 1;
    return 0;
}

/* Prepares queued batches and finishes durable ones; on quit, drains
 * both. */
static void *worker(void *arg)
{
    struct worker_arg *wa = arg;
    struct ocds_importer *im = wa->im;
    struct slot *sl;

    pthread_mutex_lock(&im->mu);
    for (;;) {
        while (!(sl = next_work(im, wa->id)) && !(im->quit && !in_flight(im, wa->id)))
            pthread_cond_wait(&im->cv, &im->mu);
        if (!sl)
            break;
        if (sl->state == SLOT_QUEUED) {
            sl->state = SLOT_RUNNING;
            sl->owner = wa->id;
            pthread_mutex_unlock(&im->mu);
            parse_raw(sl);
            ocds_publish_begin(im->c, sl->items, sl->n, im->o.actor, slot_durable, sl, &sl->job);
            release_trees(sl); /* publishing is done with them */
            pthread_mutex_lock(&im->mu);
            sl->state = SLOT_SUBMITTED; /* durable may already be set */
            continue;
        }
        sl->state = SLOT_FINISHING;
        pthread_mutex_unlock(&im->mu);
        ocds_publish_end(sl->job, NULL);
        sl->job = NULL;
        pthread_mutex_lock(&im->mu);
        sl->state = SLOT_DONE;
        sl->durable = 0;
        pthread_cond_broadcast(&im->cv);
    }
    pthread_mutex_unlock(&im->mu);
    return NULL;
}

/* Counts and reports the results of a published slot. */
static int account(struct ocds_importer *im, struct slot *sl, struct bf_err *err)
{
    size_t i;
    int rc = 0;

    if (!sl->submitted)
        return 0;
    for (i = 0; i < sl->n; i++) {
        struct ocds_pub_item *it = &sl->items[i];
        struct pending *p = &sl->p[i];
        if (!it->rc) {
            if (it->dup)
                im->st.present++;
            else
                im->st.added++;
        } else if (item_fault(it->rc)) {
            if (!rc) {
                rc = it->rc;
                if (err)
                    *err = it->err;
            }
        } else {
            im->st.rejected++;
            report(im, p->file, p->line, p->byte, p->ptr, "rejected", it->err.msg);
        }
    }
    clear_slot(sl);
    progress(im, 0);
    return rc;
}

/* Counts the oldest submitted slot: with block, waits until it is
 * published; without, only if it already is (else returns 1). The slot is
 * free afterwards even when a store or ledger failure is returned. */
static int account_oldest(struct ocds_importer *im, int block, struct bf_err *err)
{
    struct slot *sl;
    int rc;

    pthread_mutex_lock(&im->mu);
    sl = &im->slot[im->order[im->head]];
    while (block && sl->state != SLOT_DONE)
        pthread_cond_wait(&im->cv, &im->mu);
    if (sl->state != SLOT_DONE) {
        pthread_mutex_unlock(&im->mu);
        return 1;
    }
    im->head = (im->head + 1) % NSLOT;
    im->count--;
    pthread_mutex_unlock(&im->mu);
    rc = account(im, sl, err); /* out of the ring: no worker looks at it */
    pthread_mutex_lock(&im->mu);
    sl->state = SLOT_FREE;
    pthread_mutex_unlock(&im->mu);
    return rc;
}

/* A free slot's number, or -1. */
static int find_free(struct ocds_importer *im)
{
    int k, found = -1;
    pthread_mutex_lock(&im->mu);
    for (k = 0; found < 0 && k < NSLOT; k++)
        if (im->slot[k].state == SLOT_FREE)
            found = k;
    pthread_mutex_unlock(&im->mu);
    return found;
}

/* Hands the slot being filled to a worker (after counting the batches
 * already published) and takes a free slot to fill, waiting for the
 * oldest batch if none is; with wait, also waits for and counts every
 * batch in flight. */
static int flush_mode(struct ocds_importer *im, int wait, struct bf_err *err)
{
    struct slot *sl = &im->slot[im->cur];
    size_t i;
    int rc = 0, r;

    while (!rc && im->count && (r = account_oldest(im, 0, err)) != 1)
        rc = r;
    if (!rc && sl->n) {
        for (i = 0; i < sl->n; i++) {
            memset(&sl->items[i], 0, sizeof sl->items[i]);
            sl->items[i].release = sl->p[i].release;
        }
        sl->submitted = 1;
        pthread_mutex_lock(&im->mu);
        sl->state = SLOT_QUEUED;
        im->order[(im->head + im->count) % NSLOT] = im->cur;
        im->count++;
        pthread_cond_broadcast(&im->cv);
        pthread_mutex_unlock(&im->mu);
        im->cur = -1;
    }
    while (im->cur < 0 && (im->cur = find_free(im)) < 0) {
        r = account_oldest(im, 1, err); /* all in flight: wait for the oldest */
        if (!rc)
            rc = r;
    }
    while (wait && im->count) {
        r = account_oldest(im, 1, err);
        if (!rc)
            rc = r;
    }
    return rc;
}

static int flush(struct ocds_importer *im, struct bf_err *err)
{
    return flush_mode(im, 0, err);
}

static int flush_wait(struct ocds_importer *im, struct bf_err *err)
{
    return flush_mode(im, 1, err);
}

static const char *intern_file(struct ocds_importer *im, const char *file)
{
    struct slot *sl = &im->slot[im->cur];
    if (sl->nfiles && !strcmp(sl->files[sl->nfiles - 1], file))
        return sl->files[sl->nfiles - 1];
    sl->files = bf_xrealloc(sl->files, (sl->nfiles + 1) * sizeof *sl->files);
    sl->files[sl->nfiles] = bf_xstrdup(file);
    return sl->files[sl->nfiles++];
}

/* ---- linked releases -------------------------------------------------------- */

struct link_match {
    const char *date;
    const json_t *tags;
    int found;
};

static int link_row(void *arg, const struct store_ocds_release *r)
{
    struct link_match *m = arg;
    json_t *t;
    if (strcmp(r->date, m->date))
        return 0;
    t = json_loads(r->tags, 0, NULL);
    if (t && (!m->tags || json_equal(t, (json_t *)m->tags) ||
              (json_is_string(m->tags) && json_array_size(t) == 1 &&
               json_equal(json_array_get(t, 0), (json_t *)m->tags))))
        m->found = 1;
    json_decref(t);
    return m->found;
}

static int link_resolve(struct ocds_importer *im, const struct link *k, struct bf_err *err)
{
    struct link_match m = { k->date, k->tags, 0 };
    char why[1024];
    int rc = store_ocds_releases_of(ocds_ctx_store(im->c), k->ocid, link_row, &m, err);

    if (rc < 0)
        return rc;
    if (m.found) {
        im->st.present++;
        return 0;
    }
    snprintf(why, sizeof why,
             "linked release %s (%s) is not embedded and not in the store: import the release package it points to",
             k->url, k->date);
    im->st.rejected++;
    report(im, k->file, k->line, k->byte, k->ptr, "rejected", why);
    return 0;
}

static void link_add(struct ocds_importer *im, const struct ocds_import_item *it)
{
    struct link *k;
    im->links = bf_xrealloc(im->links, (im->nlinks + 1) * sizeof *im->links);
    k = &im->links[im->nlinks++];
    k->file = bf_xstrdup(it->file);
    k->ptr = bf_xstrdup(it->pointer);
    k->ocid = bf_xstrdup(it->ocid);
    k->date = bf_xstrdup(it->date);
    k->url = bf_xstrdup(it->url);
    k->line = it->line;
    k->byte = it->byte;
    k->tags = it->tags ? json_deep_copy(it->tags) : NULL;
}

static void links_free(struct ocds_importer *im)
{
    size_t i;
    for (i = 0; i < im->nlinks; i++) {
        struct link *k = &im->links[i];
        free(k->file);
        free(k->ptr);
        free(k->ocid);
        free(k->date);
        free(k->url);
        json_decref(k->tags);
    }
    free(im->links);
    im->links = NULL;
    im->nlinks = 0;
}

/* ---- compiled releases ------------------------------------------------------------ */

/* A compiled release (tag ["compiled"]) is derived from releases. It is
 * imported as a release in its own right only when the store has no other
 * release of its ocid at the end of the import (publishers such as DNCP
 * published nothing else); otherwise Belfry's own compiled release
 * replaces it and it counts as present, with a note. Merging it with the
 * releases it came from would duplicate array items that have no id. */
static int is_compiled(const json_t *r)
{
    const json_t *tag = json_object_get(r, "tag");
    return json_array_size(tag) == 1 && json_is_string(json_array_get(tag, 0)) &&
           !strcmp(json_string_value(json_array_get(tag, 0)), "compiled");
}

static void compiled_add(struct ocds_importer *im, const struct ocds_import_item *it)
{
    struct pending *p;
    im->compiled = bf_xrealloc(im->compiled, (im->ncompiled + 1) * sizeof *im->compiled);
    p = &im->compiled[im->ncompiled++];
    p->release = json_incref(it->release);
    p->file = bf_xstrdup(it->file);
    p->line = it->line;
    p->byte = it->byte;
    p->ptr = bf_xstrdup(it->pointer);
}

static void compiled_free(struct ocds_importer *im)
{
    size_t i;
    for (i = 0; i < im->ncompiled; i++) {
        json_decref(im->compiled[i].release);
        free((char *)im->compiled[i].file);
        free(im->compiled[i].ptr);
    }
    free(im->compiled);
    im->compiled = NULL;
    im->ncompiled = 0;
}

static int other_release(void *arg, const struct store_ocds_release *r)
{
    (void)arg;
    return strcmp(r->tags, "[\"compiled\"]") != 0;
}

/* Queues the compiled releases whose ocid has no other release, notes
 * the others; the caller flushes. */
static int compiled_resolve(struct ocds_importer *im, struct bf_err *err)
{
    size_t i;
    int rc = 0;

    for (i = 0; !rc && i < im->ncompiled; i++) {
        struct pending *c = &im->compiled[i];
        const char *ocid = json_string_value(json_object_get(c->release, "ocid"));
        int other = ocid ? store_ocds_releases_of(ocds_ctx_store(im->c), ocid, other_release, NULL, err) : 0;
        if (other < 0)
            return other;
        if (other) {
            im->st.present++;
            report(im, c->file, c->line, c->byte, c->ptr, "note",
                   "compiled release not imported: the store holds the releases of its ocid and compiles them itself");
            continue;
        }
        {
            struct pending *p = &im->slot[im->cur].p[im->slot[im->cur].n++];
            p->release = c->release; /* handed over: no other reference stays on this thread */
            c->release = NULL;
            p->file = intern_file(im, c->file);
            p->line = c->line;
            p->byte = c->byte;
            p->ptr = bf_xstrdup(c->ptr);
            if (im->slot[im->cur].n == im->o.batch)
                rc = flush(im, err);
        }
    }
    return rc;
}

/* ---- scanning callback --------------------------------------------------------- */

/* The next pending item of the slot being filled, with its position; a
 * full batch goes to the workers first. */
static int pending_add(struct ocds_importer *im, const struct ocds_import_item *it, struct pending **out)
{
    struct pending *p;
    int rc;

    /* A full batch goes to the workers when the next release comes (or
     * at the end), not as soon as it fills: by then the scanner (or
     * caller) has dropped its own reference to every tree in it, so no
     * two threads ever touch one tree's reference count. */
    if (im->slot[im->cur].n == im->o.batch && (rc = flush(im, &im->ferr)) != 0)
        return rc;
    p = &im->slot[im->cur].p[im->slot[im->cur].n++];
    memset(p, 0, sizeof *p);
    p->file = intern_file(im, it->file);
    p->line = it->line;
    p->byte = it->byte;
    p->ptr = bf_xstrdup(it->pointer);
    *out = p;
    return 0;
}

static int on_item(void *arg, const struct ocds_import_item *it)
{
    struct ocds_importer *im = arg;
    struct pending *p;
    struct slot *sl;
    int rc = 0;

    release_map(im, it->byte);
    switch (it->kind) {
    case OCDS_ITEM_RELEASE:
        if (is_compiled(it->release)) {
            compiled_add(im, it);
            break;
        }
        if ((rc = pending_add(im, it, &p)) != 0)
            break;
        p->release = json_incref(it->release);
        break;
    case OCDS_ITEM_RAW: /* a release once the slot's worker has parsed it */
        if ((rc = pending_add(im, it, &p)) != 0)
            break;
        sl = &im->slot[im->cur];
        p->raw_off = sl->raw.len;
        p->raw_len = it->raw_len;
        if (bf_buf_append(&sl->raw, it->raw, it->raw_len) < 0) {
            rc = bf_err_set(&im->ferr, BF_ENOMEM, "out of memory holding a batch's lines");
            free(p->ptr);
            sl->n--;
        }
        break;
    case OCDS_ITEM_LINK:
        link_add(im, it);
        break;
    case OCDS_ITEM_REJECT:
        im->st.rejected++;
        report(im, it->file, it->line, it->byte, it->pointer, "rejected", it->reason);
        break;
    case OCDS_ITEM_NOTE:
        im->st.notes++;
        report(im, it->file, it->line, it->byte, it->pointer, "note", it->reason);
        break;
    }
    if (rc) {
        im->fatal = rc;
        return 1;
    }
    return 0;
}

int ocds_importer_bytes(struct ocds_importer *im, const char *file, const char *data, size_t len,
                        struct bf_err *err)
{
    im->st.files++;
    im->st.bytes += len;
    ocds_import_scan_flags(file, data, len, im->o.max_item, OCDS_SCAN_RAW, on_item, im);
    if (im->fatal) {
        if (err)
            *err = im->ferr;
        return im->fatal;
    }
    return 0;
}

int ocds_importer_release(struct ocds_importer *im, const char *file, uint64_t line, json_t *release,
                          struct bf_err *err)
{
    struct ocds_import_item it;
    memset(&it, 0, sizeof it);
    it.kind = OCDS_ITEM_RELEASE;
    it.file = file;
    it.line = line;
    it.pointer = "";
    it.release = release;
    if (on_item(im, &it)) {
        if (err)
            *err = im->ferr;
        return im->fatal;
    }
    return 0;
}

/* ---- files and folders ------------------------------------------------------------ */

static int import_file(struct ocds_importer *im, const char *path, struct bf_err *err)
{
    struct stat st;
    void *map = NULL;
    int fd, rc;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return bf_err_set(err, BF_EIO, "%s: %s", path, strerror(errno));
    if (fstat(fd, &st) < 0) {
        rc = bf_err_set(err, BF_EIO, "%s: %s", path, strerror(errno));
        close(fd);
        return rc;
    }
    if ((uint64_t)st.st_size > im->o.max_file) {
        char why[128];
        close(fd);
        snprintf(why, sizeof why, "file of %jd bytes exceeds the limit of %" PRIu64 " bytes", (intmax_t)st.st_size,
                 im->o.max_file);
        im->st.files++;
        im->st.rejected++;
        report(im, path, 0, 0, "", "rejected", why);
        return 0;
    }
    if (st.st_size > 0) {
        map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
            rc = bf_err_set(err, BF_EIO, "%s: mmap: %s", path, strerror(errno));
            close(fd);
            return rc;
        }
        madvise(map, (size_t)st.st_size, MADV_SEQUENTIAL);
        im->map = map;
        im->map_len = (size_t)st.st_size;
        im->map_done = 0;
    }
    close(fd);
    /* pending items hold their own parsed json, so the mapping can go */
    rc = ocds_importer_bytes(im, path, map ? map : "", (size_t)st.st_size, err);
    if (map)
        munmap(map, (size_t)st.st_size);
    im->map = NULL;
    return rc;
}

static int wanted(const char *name)
{
    size_t n = strlen(name);
    return (n > 5 && !strcmp(name + n - 5, ".json")) || (n > 6 && !strcmp(name + n - 6, ".jsonl")) ||
           (n > 7 && !strcmp(name + n - 7, ".ndjson"));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int import_dir(struct ocds_importer *im, const char *path, int depth, struct bf_err *err)
{
    DIR *d;
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, i;
    int rc = 0;

    if (depth > 32)
        return bf_err_set(err, BF_ELIMIT, "%s: folders nested too deep", path);
    d = opendir(path);
    if (!d)
        return bf_err_set(err, BF_EIO, "%s: %s", path, strerror(errno));
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        names = bf_xrealloc(names, (n + 1) * sizeof *names);
        names[n++] = bf_xstrdup(de->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    for (i = 0; i < n && !rc; i++) {
        size_t len = strlen(path) + strlen(names[i]) + 2;
        char *full = bf_xmalloc(len);
        struct stat st;
        snprintf(full, len, "%s/%s", path, names[i]);
        if (stat(full, &st) == 0 && S_ISDIR(st.st_mode))
            rc = import_dir(im, full, depth + 1, err);
        else if (S_ISREG(st.st_mode) && wanted(names[i]))
            rc = import_file(im, full, err);
        free(full);
    }
    for (i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

int ocds_importer_path(struct ocds_importer *im, const char *path, struct bf_err *err)
{
    struct stat st;

    if (!strcmp(path, "-")) {
        char *data = NULL;
        size_t len = 0;
        int rc = bf_fs_read("-", (size_t)BF_MIN(im->o.max_file, (uint64_t)SIZE_MAX / 2), &data, &len, err);
        if (rc)
            return rc;
        rc = ocds_importer_bytes(im, "<stdin>", data, len, err);
        free(data);
        return rc;
    }
    if (stat(path, &st) < 0)
        return bf_err_set(err, BF_ENOTFOUND, "%s: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return import_dir(im, path, 0, err);
    return import_file(im, path, err);
}

int ocds_importer_finish(struct ocds_importer *im, struct ocds_import_stats *st, struct bf_err *err)
{
    size_t i;
    int rc = flush_wait(im, err);
    if (!rc)
        rc = compiled_resolve(im, err);
    if (!rc)
        rc = flush_wait(im, err);
    compiled_free(im);
    for (i = 0; !rc && i < im->nlinks; i++)
        rc = link_resolve(im, &im->links[i], err);
    links_free(im);
    progress(im, 1);
    if (st)
        *st = im->st;
    return rc;
}

static void ocds_importer_free_slots(struct ocds_importer *im)
{
    int k;
    for (k = 0; k < NSLOT; k++) {
        clear_slot(&im->slot[k]);
        bf_buf_free(&im->slot[k].raw);
        bf_arena_free(&im->slot[k].trees);
        free(im->slot[k].p);
        free(im->slot[k].items);
    }
}

void ocds_importer_free(struct ocds_importer *im)
{
    if (!im)
        return;
    pthread_mutex_lock(&im->mu);
    im->quit = 1;
    pthread_cond_broadcast(&im->cv);
    pthread_mutex_unlock(&im->mu);
    for (int k = 0; k < im->nth; k++)
        pthread_join(im->th[k], NULL); /* they finish the batches in flight first */
    ocds_importer_free_slots(im);
    links_free(im);
    compiled_free(im);
    pthread_mutex_destroy(&im->mu);
    pthread_cond_destroy(&im->cv);
    free(im);
}

/* ---- sessions ------------------------------------------------------------------------ */

int ocds_session_open(const char *dir, int readonly, const char *init_origin, struct ocds_session *out,
                      struct bf_err *err)
{
    unsigned flags = readonly ? STORE_READONLY : (init_origin ? STORE_CREATE : 0);
    struct ledger_opts lo;
    int rc;

    memset(out, 0, sizeof *out);
    memset(&lo, 0, sizeof lo);
    rc = store_open(dir, flags, &out->s, err);
    if (rc)
        return rc;
    if (!readonly) {
        rc = ledger_open(out->s, &lo, &out->l, err);
        if (rc == BF_ENOTFOUND && init_origin) {
            rc = ledger_init(out->s, init_origin, NULL, err);
            if (!rc)
                rc = ledger_open(out->s, &lo, &out->l, err);
        }
    }
    if (!rc)
        rc = ocds_ctx_new(out->s, out->l, &out->c, err);
    if (rc)
        ocds_session_close(out);
    return rc;
}

void ocds_session_close(struct ocds_session *ss)
{
    ocds_ctx_free(ss->c);
    if (ss->l)
        ledger_close(ss->l);
    store_close(ss->s);
    memset(ss, 0, sizeof *ss);
}
