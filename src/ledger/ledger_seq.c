/*
 * ledger_seq.c - the group-commit sequencer and the sync thread.
 *
 * Appenders queue a request (their items) and sleep. The one sequencer
 * thread takes whole requests, up to batch_max items, and in one store
 * transaction: assigns indexes, runs each item's hook inside a savepoint
 * (a failing hook undoes only its own writes and rejects only its item),
 * writes entries and the newly completed subtree hashes, computes the new
 * root from the in-memory tree edge, signs the checkpoint and stores it.
 * It commits without waiting for the disk (store_txn_begin_nowait) and
 * hands the batch to the sync thread, then goes on with the next batch.
 * The sync thread makes everything committed so far durable with one
 * store_sync (so batches that queued up share an fsync), and only then
 * publishes each batch's checkpoint, in order, and wakes its appenders.
 * The fsync of one batch thus overlaps the writing of the next, where it
 * used to stop the sequencer (and every appender behind it).
 *
 * Invariants: indexes are assigned only by this thread, contiguously from
 * the committed size; a checkpoint is signed only over a tree whose
 * entries are in the same transaction, and published (served, cosigned,
 * acknowledged) only after a sync that covers that transaction, so no
 * signed checkpoint can ever be seen without its entries on disk, and
 * since entries are never rewritten no two signed checkpoints can be
 * inconsistent. If a commit fails, every item of the batch fails and the
 * in-memory edge is rebuilt from the store (which still holds the
 * previous state). If a sync fails, whether the batches it covered are on
 * disk is unknown: their items fail, nothing of them is published, and
 * the log stops taking appends until a restart recovers from the store.
 */
#include "common.h"
#include "ledger_int.h"
#include "buf.h"
#include "store/store.h"
#include "store/store_log.h"

#include "waiter.h"

struct ledger_req {
    struct ledger_item *items;
    size_t n;
    ledger_done_fn done;       /* called once (sequencer or sync thread): each appender */
    void *done_arg;            /* is told alone, a batch wakes only its own */
    struct ledger_req *next;
};

#define LEDGER_MAX_ITEMS_PER_CALL 65536
#define ITEM_PENDING 1

/* Full tiles completed by the batch, cached after the commit. */
struct batch {
    struct ledger *l;
    struct store_txn *t;
    int ntiles;
    struct { int level; uint64_t n; tlog_hash h[TLOG_TILE_WIDTH]; } *tiles;
    int captiles;
};

static int emit_hash(void *ctx, int level, uint64_t idx, const tlog_hash *h, const tlog_hash *tile, struct bf_err *err)
{
    struct batch *b = ctx;
    int rc = store_log_put_hash(b->t, level, idx, h, err);
    if (rc < 0)
        return rc;
    if (b->ntiles == b->captiles) {
        b->captiles = b->captiles ? 2 * b->captiles : 4;
        b->tiles = bf_xrealloc(b->tiles, (size_t)b->captiles * sizeof *b->tiles);
    }
    b->tiles[b->ntiles].level = level - 1;
    b->tiles[b->ntiles].n = idx;
    memcpy(b->tiles[b->ntiles].h, tile, sizeof b->tiles[b->ntiles].h);
    b->ntiles++;
    return 0;
}

/* Runs an item's hook inside a savepoint (none when the hook says it is
 * atomic: two statements per item the sequencer need not run). */
static int run_hook(struct batch *b, struct ledger_item *it, uint64_t idx, struct bf_err *err)
{
    int rc = it->hook_atomic ? 0 : store_txn_savepoint(b->t, err);
    if (rc < 0)
        return rc;
    it->err.code = 0;
    it->err.msg[0] = '\0';
    rc = it->hook(b->t, idx, it->hook_arg, &it->err);
    if (rc != 0) {
        if (!it->hook_atomic)
            store_txn_rollback_to(b->t);
        it->rc = rc < 0 ? rc : BF_EINVAL;
        if (!it->err.msg[0])
            bf_err_set(&it->err, it->rc, "the record was rejected (hook error %d)", rc);
        it->err.code = it->rc;
        return 1; /* item rejected, batch continues */
    }
    return it->hook_atomic ? 0 : store_txn_release(b->t, err);
}

/* Adds one item to the open transaction. Returns 0 (added), 1 (rejected
 * by its hook) or < 0 (store failure: the batch fails). */
static int add_item(struct batch *b, struct ledger_item *it, struct bf_err *err)
{
    struct ledger *l = b->l;
    uint64_t idx = l->tree.size;
    tlog_hash leaf;
    int rc;

    if (!it->entry) { /* a batch hook: no entry, and no savepoint to fall back to */
        it->err.code = 0;
        it->err.msg[0] = '\0';
        rc = it->hook(b->t, idx, it->hook_arg, &it->err);
        if (rc != 0)
            return bf_err_set(err, rc < 0 ? rc : BF_EINVAL, "%s", it->err.msg[0] ? it->err.msg : "a batch hook failed");
        it->index = idx;
        it->rc = 0;
        return 0;
    }
    if (it->hook && (rc = run_hook(b, it, idx, err)) != 0)
        return rc;
    tlog_leaf_hash(it->entry, it->len, &leaf);
    if ((rc = store_log_put_entry(b->t, idx, &leaf, it->entry, it->len, err)) < 0)
        return rc;
    if ((rc = ledger_tree_append(&l->tree, &leaf, emit_hash, b, err)) < 0)
        return rc;
    it->index = idx;
    it->rc = 0;
    return 0;
}

static int sign_and_store(struct batch *b, uint64_t size, tlog_hash *root, struct bf_buf *cp, struct bf_err *err)
{
    struct ledger *l = b->l;
    int rc;

    ledger_tree_root(&l->tree, root);
    if ((rc = ledger_signer_checkpoint(l->signer, l->origin, size, root, cp, err)) < 0)
        return rc;
    return store_log_put_checkpoint(b->t, size, cp->data, cp->len, err);
}

static void fail_batch(struct ledger_req *reqs, int rc, const struct bf_err *err)
{
    struct ledger_req *r;
    size_t i;

    for (r = reqs; r; r = r->next)
        for (i = 0; i < r->n; i++) {
            struct ledger_item *it = &r->items[i];
            if (it->rc == 0 || it->rc == ITEM_PENDING) {
                it->rc = rc;
                it->err.code = rc;
                snprintf(it->err.msg, sizeof it->err.msg, "not appended: %s", err->msg[0] ? err->msg : "store failure");
            }
        }
}

/* A committed batch waiting for the sync thread. */
struct ledger_durable {
    struct ledger_req *reqs;
    uint64_t size;
    tlog_hash root;
    char *note;
    size_t len;
    struct batch b;            /* its tiles, cached once durable */
    struct ledger_durable *next;
};

static void sync_push(struct ledger *l, struct ledger_durable *d)
{
    pthread_mutex_lock(&l->sync_mu);
    if (l->sync_tail)
        l->sync_tail->next = d;
    else
        l->sync_head = d;
    l->sync_tail = d;
    pthread_cond_signal(&l->sync_cv);
    pthread_mutex_unlock(&l->sync_mu);
}

static void wake(struct ledger_req *reqs)
{
    struct ledger_req *r;
    for (r = reqs; r;) {
        struct ledger_req *next = r->next;
        r->done(r->done_arg); /* the items may be gone once told */
        free(r);
        r = next;
    }
}

/* Writes and commits one batch. Returns it for the sync thread, or NULL
 * when its appenders can be woken now (it failed or every item was
 * rejected). */
static struct ledger_durable *run_batch(struct ledger *l, struct ledger_req *reqs)
{
    struct batch b = { l, NULL, 0, NULL, 0 };
    struct ledger_durable *d = NULL;
    struct bf_err err = { 0, "" };
    struct bf_buf cp = BF_BUF_INIT;
    struct ledger_req *r;
    uint64_t start = l->tree.size;
    tlog_hash root;
    size_t i;
    int rc;

    if (__atomic_load_n(&l->broken, __ATOMIC_ACQUIRE)) {
        rc = bf_err_set(&err, BF_EIO, "the log stopped taking appends after a store failure; restart belfry "
                                      "(it recovers from the store)");
        fail_batch(reqs, rc, &err);
        goto out;
    }
    if ((rc = store_txn_begin_nowait(l->s, &b.t, &err)) < 0)
        goto fail;
    for (r = reqs; r; r = r->next)
        for (i = 0; i < r->n; i++)
            if (r->items[i].rc == ITEM_PENDING && (rc = add_item(&b, &r->items[i], &err)) < 0)
                goto fail;
    if (l->tree.size == start) {
        store_txn_rollback(b.t); /* every item was rejected: nothing to sign */
        goto out;
    }
    if ((rc = sign_and_store(&b, l->tree.size, &root, &cp, &err)) < 0)
        goto fail;
    rc = store_txn_commit(b.t, &err);
    b.t = NULL;
    if (rc < 0)
        goto fail;
    d = bf_xcalloc(1, sizeof *d);
    d->reqs = reqs;
    d->size = l->tree.size;
    d->root = root;
    d->note = bf_buf_take(&cp, &d->len);
    d->b = b;
    b.tiles = NULL; /* d owns them */
    goto out;
fail:
    if (b.t)
        store_txn_rollback(b.t);
    fail_batch(reqs, rc, &err);
    fprintf(stderr, "belfry: ledger: a batch of appends failed: %s\n", err.msg);
    {
        /* Rebuild the edge from the store, which holds the state before
         * this batch, unless the store says otherwise (a commit that
         * reported failure but reached the disk): then stop appending
         * rather than risk signing over a tree we cannot vouch for. */
        struct bf_err lerr = { 0, "" };
        uint64_t count = 0;
        if (store_log_count(l->s, &count, &lerr) < 0 || count != start ||
            ledger_tree_load(&l->tree, start, ledger_tile_hashes, l, &lerr) < 0) {
            __atomic_store_n(&l->broken, 1, __ATOMIC_RELEASE);
            fprintf(stderr, "belfry: ledger: stopped taking appends (store holds %" PRIu64 " entries, expected %"
                            PRIu64 "%s%s); restart to recover\n", count, start, lerr.msg[0] ? ": " : "", lerr.msg);
        }
    }
out:
    free(b.tiles);
    bf_buf_free(&cp);
    return d;
}

/* Publishes a durable batch: its tiles cached, its checkpoint served. */
static void publish_durable(struct ledger *l, struct ledger_durable *d)
{
    int k;
    for (k = 0; k < d->b.ntiles; k++)
        ledger_cache_put(&l->cache, d->b.tiles[k].level, d->b.tiles[k].n, d->b.tiles[k].h, sizeof d->b.tiles[k].h);
    ledger_publish(l, d->size, &d->root, d->note, d->len);
    d->note = NULL;
}

/* Syncs whatever has been committed, then publishes and wakes each batch
 * in commit order; on stop, drains the queue first. */
static void *syncer(void *arg)
{
    struct ledger *l = arg;

    pthread_mutex_lock(&l->sync_mu);
    for (;;) {
        struct ledger_durable *d, *next;
        struct bf_err err = { 0, "" };
        int rc;

        while (!l->sync_head && !l->sync_stopping)
            pthread_cond_wait(&l->sync_cv, &l->sync_mu);
        if (!l->sync_head)
            break;
        d = l->sync_head;
        l->sync_head = l->sync_tail = NULL;
        pthread_mutex_unlock(&l->sync_mu);

        rc = store_sync(l->s, &err);
        if (rc < 0) {
            __atomic_store_n(&l->broken, 1, __ATOMIC_RELEASE);
            fprintf(stderr, "belfry: ledger: %s; stopped taking appends, restart to recover\n", err.msg);
            char why[sizeof err.msg];
            snprintf(why, sizeof why, "%s", err.msg);
            bf_err_set(&err, rc, "written but not known to be on disk (%s)", why);
        }
        for (; d; d = next) {
            next = d->next;
            if (rc < 0)
                fail_batch(d->reqs, rc, &err);
            else
                publish_durable(l, d);
            wake(d->reqs);
            free(d->note);
            free(d->b.tiles);
            free(d);
        }
        pthread_mutex_lock(&l->sync_mu);
    }
    pthread_mutex_unlock(&l->sync_mu);
    return NULL;
}

static void *sequencer(void *arg)
{
    struct ledger *l = arg;

    pthread_mutex_lock(&l->q_mu);
    for (;;) {
        struct ledger_req *head, *tail;
        struct ledger_durable *d;
        size_t items = 0;

        while (!l->q_head && !l->stopping)
            pthread_cond_wait(&l->q_cv, &l->q_mu);
        if (!l->q_head)
            break;
        head = tail = l->q_head;
        items = head->n;
        while (tail->next && items + tail->next->n <= (size_t)l->batch_max) {
            tail = tail->next;
            items += tail->n;
        }
        l->q_head = tail->next;
        if (!l->q_head)
            l->q_tail = NULL;
        tail->next = NULL;
        pthread_mutex_unlock(&l->q_mu);

        d = run_batch(l, head);
        if (d)
            sync_push(l, d);
        else
            wake(head);
        pthread_mutex_lock(&l->q_mu);
    }
    pthread_mutex_unlock(&l->q_mu);
    return NULL;
}

int ledger_seq_start(struct ledger *l, struct bf_err *err)
{
    int rc = pthread_create(&l->syncer, NULL, syncer, l);
    if (rc)
        return bf_err_set(err, BF_EIO, "starting the sync thread: %s", strerror(rc));
    l->sync_running = 1;
    rc = pthread_create(&l->seq, NULL, sequencer, l);
    if (rc) {
        ledger_seq_stop(l);
        return bf_err_set(err, BF_EIO, "starting the sequencer: %s", strerror(rc));
    }
    l->seq_running = 1;
    return 0;
}

/* The sequencer first (it may still hand batches over), then the sync
 * thread, which drains them. */
void ledger_seq_stop(struct ledger *l)
{
    if (l->seq_running) {
        pthread_mutex_lock(&l->q_mu);
        l->stopping = 1;
        pthread_cond_signal(&l->q_cv);
        pthread_mutex_unlock(&l->q_mu);
        pthread_join(l->seq, NULL);
        l->seq_running = 0;
    }
    if (l->sync_running) {
        pthread_mutex_lock(&l->sync_mu);
        l->sync_stopping = 1;
        pthread_cond_signal(&l->sync_cv);
        pthread_mutex_unlock(&l->sync_mu);
        pthread_join(l->syncer, NULL);
        l->sync_running = 0;
    }
}

static int check_item(struct ledger_item *it)
{
    it->index = 0;
    it->err.code = 0;
    it->err.msg[0] = '\0';
    if (!it->entry && it->len == 0 && it->hook)
        it->rc = ITEM_PENDING; /* a batch hook */
    else if (!it->entry || it->len == 0)
        it->rc = bf_err_set(&it->err, BF_EINVAL, "empty entries are not accepted");
    else if (it->len > TLOG_MAX_ENTRY)
        it->rc = bf_err_set(&it->err, BF_ELIMIT, "entry is %zu bytes; the limit is %d (u16 length in entry bundles)",
                            it->len, TLOG_MAX_ENTRY);
    else
        it->rc = ITEM_PENDING;
    return it->rc;
}

int ledger_append_async(struct ledger *l, struct ledger_item *items, size_t n, ledger_done_fn done, void *arg,
                        struct bf_err *err)
{
    struct ledger_req *req;
    size_t i, pending = 0;

    if (l->readonly)
        return bf_err_set(err, BF_EINVAL, "the ledger was opened read-only");
    if (n > LEDGER_MAX_ITEMS_PER_CALL)
        return bf_err_set(err, BF_ELIMIT, "%zu items in one append; the limit is %d", n, LEDGER_MAX_ITEMS_PER_CALL);
    for (i = 0; i < n; i++)
        if (check_item(&items[i]) == ITEM_PENDING)
            pending++;
    if (!pending) {
        done(arg);
        return 0;
    }
    req = bf_xcalloc(1, sizeof *req);
    req->items = items;
    req->n = n;
    req->done = done;
    req->done_arg = arg;
    pthread_mutex_lock(&l->q_mu);
    if (l->stopping) {
        pthread_mutex_unlock(&l->q_mu);
        free(req);
        for (i = 0; i < n; i++)
            if (items[i].rc == ITEM_PENDING)
                items[i].rc = bf_err_set(&items[i].err, BF_ECONFLICT, "the ledger is closing");
        return bf_err_set(err, BF_ECONFLICT, "the ledger is closing");
    }
    if (l->q_tail)
        l->q_tail->next = req;
    else
        l->q_head = req;
    l->q_tail = req;
    pthread_cond_signal(&l->q_cv);
    pthread_mutex_unlock(&l->q_mu);
    return 0;
}

int ledger_append(struct ledger *l, struct ledger_item *items, size_t n, struct bf_err *err)
{
    struct bf_waiter done;
    size_t i;
    int rc;

    bf_waiter_init(&done);
    rc = ledger_append_async(l, items, n, bf_waiter_done, &done, err);
    if (rc < 0) {
        bf_waiter_done(&done); /* done is not called when nothing was queued */
        bf_waiter_wait(&done);
        return rc;
    }
    bf_waiter_wait(&done);
    for (i = 0; i < n; i++)
        if (items[i].rc < 0) {
            if (err)
                *err = items[i].err;
            return items[i].rc;
        }
    return 0;
}
