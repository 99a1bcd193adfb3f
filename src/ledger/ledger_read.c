/*
 * ledger_read.c - everything served from the log: tiles, entry bundles,
 * entries, inclusion receipts and consistency proofs, plus the cache of
 * full tiles in front of the store.
 *
 * Tiles are cut from the stored complete hashes at request time (see
 * store_log.h): a partial tile is simply the first W hashes of its tile,
 * so nothing partial is ever on disk. Full tiles and bundles never change,
 * so they are cached (direct-mapped, bounded in bytes); the sequencer puts
 * every tile it completes into the cache, which keeps recent tiles hot.
 *
 * Invariants: nothing beyond the published size is ever served (a tile
 * whose width exceeds what the published tree holds is BF_ENOTFOUND), and
 * everything at or below it is committed, so reads never see a batch that
 * could still roll back.
 */
#include "common.h"
#include "ledger_int.h"
#include "buf.h"
#include "store/store.h"
#include "store/store_log.h"

#define TREE_BYTES ((size_t)511 * TLOG_HASH_LEN)

/* ---- cache ---------------------------------------------------------- */

void ledger_cache_init(struct ledger_cache *c)
{
    memset(c->slot, 0, sizeof c->slot);
    c->bytes = 0;
    pthread_rwlock_init(&c->lock, NULL);
}

void ledger_cache_free(struct ledger_cache *c)
{
    int i;
    for (i = 0; i < LEDGER_CACHE_SLOTS; i++) {
        free(c->slot[i].body);
        free(c->slot[i].tree);
    }
    pthread_rwlock_destroy(&c->lock);
}

static struct ledger_cache_slot *slot_of(struct ledger_cache *c, int level, uint64_t n)
{
    uint64_t h = (n + 1) * 0x9E3779B97F4A7C15ull ^ (uint64_t)(level + 2) * 0xC2B2AE3D27D4EB4Full;
    return &c->slot[(h >> 20) % LEDGER_CACHE_SLOTS];
}

int ledger_cache_get(struct ledger_cache *c, int level, uint64_t n, struct bf_buf *out)
{
    struct ledger_cache_slot *s;
    int rc = 0;

    pthread_rwlock_rdlock(&c->lock);
    s = slot_of(c, level, n);
    /* a hash tile's slot may hold a partial (right-edge) tile: never
     * hand that out as the full one */
    if (s->body && s->level == level && s->n == n && (level < 0 || s->len == TLOG_TILE_WIDTH * TLOG_HASH_LEN))
        rc = bf_buf_append(out, s->body, s->len) < 0 ? BF_ELIMIT : 1;
    pthread_rwlock_unlock(&c->lock);
    return rc;
}

/* Copies hashes [off, off + count) of a cached hash tile (full, or a
 * partial one that is wide enough: the first W hashes of a tile never
 * change). */
static int cache_hashes(struct ledger_cache *c, int level, uint64_t n, int off, int count, tlog_hash *out)
{
    struct ledger_cache_slot *s;
    int found = 0;

    pthread_rwlock_rdlock(&c->lock);
    s = slot_of(c, level, n);
    if (s->body && s->level == level && s->n == n && level >= 0 &&
        (size_t)(off + count) * TLOG_HASH_LEN <= s->len) {
        memcpy(out, s->body + (size_t)off * TLOG_HASH_LEN, (size_t)count * TLOG_HASH_LEN);
        found = 1;
    }
    pthread_rwlock_unlock(&c->lock);
    return found;
}

void ledger_cache_put(struct ledger_cache *c, int level, uint64_t n, const void *body, size_t len)
{
    struct ledger_cache_slot *s;
    char *copy;

    if (len > LEDGER_CACHE_MAX_ITEM)
        return;
    copy = bf_xmalloc(len);
    memcpy(copy, body, len);
    pthread_rwlock_wrlock(&c->lock);
    s = slot_of(c, level, n);
    if (s->body) {
        c->bytes -= s->len + (s->tree ? TREE_BYTES : 0);
        free(s->body);
        free(s->tree);
        s->body = NULL;
        s->tree = NULL;
    }
    if (c->bytes + len <= LEDGER_CACHE_MAX_BYTES) {
        s->level = level;
        s->n = n;
        s->body = copy;
        s->len = len;
        c->bytes += len;
        copy = NULL;
    }
    pthread_rwlock_unlock(&c->lock);
    free(copy);
}

/* Row r of a tile's tree starts at node 512 - (512 >> r): 256 hashes,
 * then 128 subtrees of 2, ..., 1 root. */
static int tree_row(int r)
{
    return 512 - (512 >> r);
}

static void build_tree(const tlog_hash *leaves, tlog_hash *tree)
{
    int r, i;
    memcpy(tree, leaves, TLOG_TILE_WIDTH * sizeof *tree);
    for (r = 1; r <= 8; r++)
        for (i = 0; i < (256 >> r); i++)
            tlog_node_hash(&tree[tree_row(r - 1) + 2 * i], &tree[tree_row(r - 1) + 2 * i + 1], &tree[tree_row(r) + i]);
}

/* Subtree i of 2^r hashes of the cached full hash tile (level, n), from
 * its tree (built here on first use). 1 if found, 0 if not cached. */
static int cache_subtree(struct ledger_cache *c, int level, uint64_t n, int r, int i, tlog_hash *out)
{
    struct ledger_cache_slot *s;
    tlog_hash *tree = NULL;
    int found = 0;

    pthread_rwlock_rdlock(&c->lock);
    s = slot_of(c, level, n);
    if (s->body && s->level == level && s->n == n && s->len == TLOG_TILE_WIDTH * TLOG_HASH_LEN) {
        found = 1;
        if (s->tree) {
            *out = s->tree[tree_row(r) + i];
        } else {
            tree = bf_xmalloc(TREE_BYTES);
            memcpy(tree, s->body, TLOG_TILE_WIDTH * TLOG_HASH_LEN);
        }
    }
    pthread_rwlock_unlock(&c->lock);
    if (!tree)
        return found;
    build_tree(tree, tree);
    *out = tree[tree_row(r) + i];
    pthread_rwlock_wrlock(&c->lock);
    s = slot_of(c, level, n);
    if (s->body && s->level == level && s->n == n && !s->tree && c->bytes + TREE_BYTES <= LEDGER_CACHE_MAX_BYTES) {
        s->tree = tree;
        c->bytes += TREE_BYTES;
        tree = NULL;
    }
    pthread_rwlock_unlock(&c->lock);
    free(tree);
    return 1;
}

/* ---- hashes ----------------------------------------------------------- */

int ledger_tile_hashes(void *ctx, int level, uint64_t first, int count, tlog_hash *out, struct bf_err *err)
{
    struct ledger *l = ctx;
    uint64_t tile = first / TLOG_TILE_WIDTH;
    int off = (int)(first % TLOG_TILE_WIDTH);

    if (off + count <= TLOG_TILE_WIDTH && cache_hashes(&l->cache, level, tile, off, count, out))
        return 0;
    return store_log_hashes(l->s, level, first, count, out, err);
}

/* A hash below the published size that the store lacks means the store
 * lost data: report damage (500), not "not found" (404). */
static int missing_is_corrupt(int rc, struct bf_err *err)
{
    char why[sizeof err->msg];
    if (rc != BF_ENOTFOUND)
        return rc;
    snprintf(why, sizeof why, "%s", err ? err->msg : "");
    return bf_err_set(err, BF_ECORRUPT, "store is missing data below the published size: %s", why);
}

/* Subtree hashes come from the tile that holds them: from its cached
 * tree when the tile is full (published), which also makes every later
 * proof through that tile a lookup; else (the right edge, or during
 * recovery) by folding the 2^r stored hashes. */
int ledger_hash_reader(void *ctx, int mlevel, uint64_t idx, tlog_hash *out, struct bf_err *err)
{
    struct ledger *l = ctx;
    tlog_hash tmp[TLOG_TILE_WIDTH];
    int L = mlevel / 8, r = mlevel % 8, rc;
    uint64_t first, n, units;

    if (mlevel < 0 || mlevel >= 64 || (r && idx > (UINT64_MAX >> r)))
        return bf_err_set(err, BF_EINVAL, "no subtree at level %d index %" PRIu64, mlevel, idx);
    first = idx << r;
    n = first / TLOG_TILE_WIDTH;
    units = ledger_size(l) >> (8 * L);
    if (n < units / TLOG_TILE_WIDTH) {
        int i = (int)(first % TLOG_TILE_WIDTH) >> r;
        if (cache_subtree(&l->cache, L, n, r, i, out))
            return 0;
        if ((rc = ledger_tile_hashes(l, L, n * TLOG_TILE_WIDTH, TLOG_TILE_WIDTH, tmp, err)) < 0)
            return missing_is_corrupt(rc, err);
        ledger_cache_put(&l->cache, L, n, tmp, sizeof tmp);
        if (cache_subtree(&l->cache, L, n, r, i, out))
            return 0;
        /* not cached (cache full): fold from tmp */
        ledger_tree_fold(&tmp[i << r], 1 << r, out);
        return 0;
    }
    if (n == units / TLOG_TILE_WIDTH) {
        /* the published right edge: cache its partial tile, wider ones
         * replace it as the log grows */
        int off = (int)(first % TLOG_TILE_WIDTH), w = (int)(units % TLOG_TILE_WIDTH);
        if (cache_hashes(&l->cache, L, n, off, 1 << r, tmp)) {
            ledger_tree_fold(tmp, 1 << r, out);
            return 0;
        }
        if (off + (1 << r) <= w) {
            if ((rc = store_log_hashes(l->s, L, n * TLOG_TILE_WIDTH, w, tmp, err)) < 0)
                return missing_is_corrupt(rc, err);
            ledger_cache_put(&l->cache, L, n, tmp, (size_t)w * TLOG_HASH_LEN);
            ledger_tree_fold(&tmp[off], 1 << r, out);
            return 0;
        }
    }
    if ((rc = ledger_tile_hashes(ctx, L, first, 1 << r, tmp, err)) < 0)
        return rc;
    ledger_tree_fold(tmp, 1 << r, out);
    return 0;
}

/* ---- tiles and entries ------------------------------------------------ */

static int tile_body(struct ledger *l, const struct tlog_tile *t, struct bf_buf *out, struct bf_err *err)
{
    uint64_t first = t->n * TLOG_TILE_WIDTH;
    tlog_hash *h;
    int rc;

    if (t->level < 0)
        return store_log_bundle(l->s, first, t->width, out, err);
    h = bf_xmalloc(TLOG_TILE_WIDTH * sizeof *h);
    rc = ledger_tile_hashes(l, t->level, first, t->width, h, err);
    if (!rc && bf_buf_append(out, h, (size_t)t->width * TLOG_HASH_LEN) < 0)
        rc = bf_err_set(err, BF_ELIMIT, "tile larger than the output limit");
    free(h);
    return rc;
}

int ledger_tile(struct ledger *l, const struct tlog_tile *t, struct bf_buf *out, struct bf_err *err)
{
    uint64_t size = ledger_size(l);
    size_t start = out->len;
    int avail, rc;

    int shift = 8 * (t->level < 0 ? 0 : t->level) + 8; /* 64 at level 7: only tile 0 */

    if (t->level < -1 || t->level >= LEDGER_LEVELS || t->width < 1 || t->width > TLOG_TILE_WIDTH ||
        (shift >= 64 ? t->n != 0 : t->n > (UINT64_MAX >> shift)))
        return bf_err_set(err, BF_ENOTFOUND, "no such tile");
    avail = tlog_tile_width(t->level, t->n, size);
    if (avail == 0 || t->width > avail)
        return bf_err_set(err, BF_ENOTFOUND, "tile beyond the log's published size %" PRIu64, size);
    if (t->width == TLOG_TILE_WIDTH) {
        rc = ledger_cache_get(&l->cache, t->level, t->n, out);
        if (rc != 0)
            return rc < 0 ? bf_err_set(err, rc, "tile larger than the output limit") : 0;
    }
    if ((rc = tile_body(l, t, out, err)) < 0)
        return missing_is_corrupt(rc, err);
    if (t->width == TLOG_TILE_WIDTH)
        ledger_cache_put(&l->cache, t->level, t->n, out->data + start, out->len - start);
    return 0;
}

int ledger_entry(struct ledger *l, uint64_t index, struct bf_buf *out, struct bf_err *err)
{
    if (index >= ledger_size(l))
        return bf_err_set(err, BF_ENOTFOUND, "no entry %" PRIu64 " in a log of size %" PRIu64, index, ledger_size(l));
    return store_log_entry(l->s, index, out, NULL, err);
}

int ledger_leaf_hash(struct ledger *l, uint64_t index, tlog_hash *out, struct bf_err *err)
{
    if (index >= ledger_size(l))
        return bf_err_set(err, BF_ENOTFOUND, "no entry %" PRIu64 " in a log of size %" PRIu64, index, ledger_size(l));
    return ledger_tile_hashes(l, 0, index, 1, out, err);
}

/* ---- proofs ------------------------------------------------------------ */

/* The stored checkpoint of `size`, with the witnesses' cosignatures if
 * a round collected them for that size. */
static int stored_checkpoint(struct ledger *l, uint64_t size, char **note, size_t *len, uint64_t *got,
                             struct bf_err *err)
{
    struct bf_err cerr = { 0 };
    char *lines = NULL;
    size_t n = 0;
    int rc = store_log_checkpoint(l->s, size, note, len, got, err);

    if (rc < 0 || store_log_cosig(l->s, size, &lines, &n, &cerr) < 0)
        return rc;
    *note = bf_xrealloc(*note, *len + n + 1);
    memcpy(*note + *len, lines, n + 1);
    *len += n;
    free(lines);
    return 0;
}

/* Copies the served checkpoint (size 0) or the stored one of `size`.
 * With witnesses the served one may lag the latest signed one by up to a
 * second; an entry just acknowledged (index at or beyond the served size)
 * then gets a receipt against the latest log-signed checkpoint instead of
 * a 404. */
static int checkpoint_for(struct ledger *l, uint64_t size, uint64_t index, char **note, size_t *len,
                          uint64_t *got, struct bf_err *err)
{
    uint64_t pub = ledger_size(l);
    struct bf_buf b = BF_BUF_INIT;
    int rc;

    if (size > pub)
        return bf_err_set(err, BF_ENOTFOUND, "no checkpoint of size %" PRIu64 " (the log has %" PRIu64 " entries)",
                          size, pub);
    if (size != 0)
        return stored_checkpoint(l, size, note, len, got, err);
    if ((rc = ledger_checkpoint(l, &b, got, err)) < 0) {
        bf_buf_free(&b);
        return rc;
    }
    if (index >= *got && index < pub) {
        pthread_mutex_lock(&l->pub_mu);
        bf_buf_reset(&b);
        rc = bf_buf_append(&b, l->pub_note, l->pub_len);
        *got = l->pub_size;
        pthread_mutex_unlock(&l->pub_mu);
        if (rc < 0) {
            bf_buf_free(&b);
            return bf_err_set(err, rc, "checkpoint larger than the output limit");
        }
    }
    *note = bf_buf_take(&b, len);
    return 0;
}

int ledger_receipt(struct ledger *l, uint64_t index, uint64_t size, struct bf_buf *out, struct bf_err *err)
{
    tlog_hash proof[TLOG_MAX_PROOF];
    char *note = NULL;
    size_t len = 0;
    uint64_t got = 0;
    int n = 0, rc;

    if ((rc = checkpoint_for(l, size, index, &note, &len, &got, err)) < 0)
        goto out;
    if (index >= got) {
        rc = size ? bf_err_set(err, BF_EINVAL, "index %" PRIu64 " is not below size %" PRIu64, index, got)
                  : bf_err_set(err, BF_ENOTFOUND, "no entry %" PRIu64 " in a log of size %" PRIu64, index, got);
        goto out;
    }
    if ((rc = tlog_prove_inclusion(index, got, ledger_hash_reader, l, proof, &n, err)) < 0)
        goto out;
    if ((rc = tlog_receipt_format(index, proof, n, note, len, out)) < 0)
        bf_err_set(err, rc, "formatting the receipt");
out:
    free(note);
    return rc;
}

int ledger_consistency(struct ledger *l, uint64_t from, uint64_t to, tlog_hash *proof, int *n, struct bf_err *err)
{
    uint64_t pub = ledger_size(l);

    *n = 0;
    if (to > pub)
        return bf_err_set(err, BF_ENOTFOUND, "size %" PRIu64 " is beyond the log's published size %" PRIu64, to, pub);
    if (from == 0 || from > to)
        return bf_err_set(err, BF_EINVAL, "a consistency proof needs 0 < from <= to, got from=%" PRIu64 " to=%" PRIu64,
                          from, to);
    return tlog_prove_consistency(from, to, ledger_hash_reader, l, proof, n, err);
}
