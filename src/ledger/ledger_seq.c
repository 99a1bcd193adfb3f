/*
 * ledger_seq.c - the group-commit sequencer.
 *
 * Appenders queue a request (their items) and sleep. The one sequencer
 * thread takes whole requests, up to batch_max items, and in one store
 * transaction: assigns indexes, runs each item's hook inside a savepoint
 * (a failing hook undoes only its own writes and rejects only its item),
 * writes entries and the newly completed subtree hashes, computes the new
 * root from the in-memory tree edge, signs the checkpoint and stores it. One
 * commit (one fsync) makes the whole batch durable; only then is the
 * checkpoint published and are the appenders woken.
 *
 * Invariants: indexes are assigned only by this thread, contiguously from
 * the published size; a checkpoint is signed only over a tree whose
 * entries are in the same transaction, so no signed checkpoint can ever
 * be published without its entries, and since entries are never
 * rewritten no two signed checkpoints can be inconsistent. If a commit
 * fails, every item of the batch fails and the in-memory edge is rebuilt
 * from the store (which still holds the previous state).
 */
#include "common.h"
#include "ledger_int.h"
#include "buf.h"
#include "store/store.h"
#include "store/store_log.h"

#include <semaphore.h>

struct ledger_req {
    struct ledger_item *items;
    size_t n;
    sem_t done;                /* posted once by the sequencer: each appender */
    struct ledger_req *next;   /* sleeps alone, a batch wakes only its own */
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

static int run_hook(struct batch *b, struct ledger_item *it, uint64_t idx, struct bf_err *err)
{
    int rc = store_txn_savepoint(b->t, err);
    if (rc < 0)
        return rc;
    it->err.code = 0;
    it->err.msg[0] = '\0';
    rc = it->hook(b->t, idx, it->hook_arg, &it->err);
    if (rc != 0) {
        store_txn_rollback_to(b->t);
        it->rc = rc < 0 ? rc : BF_EINVAL;
        if (!it->err.msg[0])
            bf_err_set(&it->err, it->rc, "the record was rejected (hook error %d)", rc);
        it->err.code = it->rc;
        return 1; /* item rejected, batch continues */
    }
    return store_txn_release(b->t, err);
}

/* Adds one item to the open transaction. Returns 0 (added), 1 (rejected
 * by its hook) or < 0 (store failure: the batch fails). */
static int add_item(struct batch *b, struct ledger_item *it, struct bf_err *err)
{
    struct ledger *l = b->l;
    uint64_t idx = l->tree.size;
    tlog_hash leaf;
    int rc;

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

static void run_batch(struct ledger *l, struct ledger_req *reqs)
{
    struct batch b = { l, NULL, 0, NULL, 0 };
    struct bf_err err = { 0, "" };
    struct bf_buf cp = BF_BUF_INIT;
    struct ledger_req *r;
    uint64_t start = l->tree.size;
    tlog_hash root;
    size_t i;
    int rc, k;

    if (l->broken) {
        rc = bf_err_set(&err, BF_EIO, "the log stopped taking appends after a store failure; restart belfry "
                                      "(it recovers from the store)");
        fail_batch(reqs, rc, &err);
        goto out;
    }
    if ((rc = store_txn_begin(l->s, &b.t, &err)) < 0)
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
    for (k = 0; k < b.ntiles; k++)
        ledger_cache_put(&l->cache, b.tiles[k].level, b.tiles[k].n, b.tiles[k].h, sizeof b.tiles[k].h);
    {
        size_t len;
        char *note = bf_buf_take(&cp, &len);
        ledger_publish(l, l->tree.size, &root, note, len);
    }
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
            l->broken = 1;
            fprintf(stderr, "belfry: ledger: stopped taking appends (store holds %" PRIu64 " entries, expected %"
                            PRIu64 "%s%s); restart to recover\n", count, start, lerr.msg[0] ? ": " : "", lerr.msg);
        }
    }
out:
    free(b.tiles);
    bf_buf_free(&cp);
}

static void *sequencer(void *arg)
{
    struct ledger *l = arg;

    pthread_mutex_lock(&l->q_mu);
    for (;;) {
        struct ledger_req *head, *tail, *r;
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

        run_batch(l, head);

        for (r = head; r;) {
            struct ledger_req *next = r->next; /* r may be gone once posted */
            sem_post(&r->done);
            r = next;
        }
        pthread_mutex_lock(&l->q_mu);
    }
    pthread_mutex_unlock(&l->q_mu);
    return NULL;
}

int ledger_seq_start(struct ledger *l, struct bf_err *err)
{
    int rc = pthread_create(&l->seq, NULL, sequencer, l);
    if (rc)
        return bf_err_set(err, BF_EIO, "starting the sequencer: %s", strerror(rc));
    l->seq_running = 1;
    return 0;
}

void ledger_seq_stop(struct ledger *l)
{
    if (!l->seq_running)
        return;
    pthread_mutex_lock(&l->q_mu);
    l->stopping = 1;
    pthread_cond_signal(&l->q_cv);
    pthread_mutex_unlock(&l->q_mu);
    pthread_join(l->seq, NULL);
    l->seq_running = 0;
}

static int check_item(struct ledger_item *it)
{
    it->index = 0;
    it->err.code = 0;
    it->err.msg[0] = '\0';
    if (!it->entry || it->len == 0)
        it->rc = bf_err_set(&it->err, BF_EINVAL, "empty entries are not accepted");
    else if (it->len > TLOG_MAX_ENTRY)
        it->rc = bf_err_set(&it->err, BF_ELIMIT, "entry is %zu bytes; the limit is %d (u16 length in entry bundles)",
                            it->len, TLOG_MAX_ENTRY);
    else
        it->rc = ITEM_PENDING;
    return it->rc;
}

int ledger_append(struct ledger *l, struct ledger_item *items, size_t n, struct bf_err *err)
{
    struct ledger_req req;
    size_t i, pending = 0;

    if (l->readonly)
        return bf_err_set(err, BF_EINVAL, "the ledger was opened read-only");
    if (n > LEDGER_MAX_ITEMS_PER_CALL)
        return bf_err_set(err, BF_ELIMIT, "%zu items in one append; the limit is %d", n, LEDGER_MAX_ITEMS_PER_CALL);
    for (i = 0; i < n; i++)
        if (check_item(&items[i]) == ITEM_PENDING)
            pending++;
    if (pending) {
        req.items = items;
        req.n = n;
        req.next = NULL;
        sem_init(&req.done, 0, 0);
        pthread_mutex_lock(&l->q_mu);
        if (l->stopping) {
            pthread_mutex_unlock(&l->q_mu);
            sem_destroy(&req.done);
            return bf_err_set(err, BF_ECONFLICT, "the ledger is closing");
        }
        if (l->q_tail)
            l->q_tail->next = &req;
        else
            l->q_head = &req;
        l->q_tail = &req;
        pthread_cond_signal(&l->q_cv);
        pthread_mutex_unlock(&l->q_mu);
        while (sem_wait(&req.done) < 0 && errno == EINTR)
            ;
        sem_destroy(&req.done);
    }
    for (i = 0; i < n; i++)
        if (items[i].rc < 0) {
            if (err)
                *err = items[i].err;
            return items[i].rc;
        }
    return 0;
}
