/*
 * ledger_tree.c - the in-memory right edge of the log's Merkle tree.
 *
 * The sequencer appends leaf hashes here. Per tile level it keeps the
 * hashes of the current partial tile and their compact range. A leaf goes
 * into level 0; when a level's tile fills, its range has collapsed to one
 * hash, the tile's root, which is handed to `emit` (the sequencer stores
 * it and caches the full tile) and appended to the level above.
 *
 * Invariants: for a tree of size s, edge_n[L] == (s >> 8L) % 256,
 * edge[L][0..edge_n[L]) are the level-L hashes of the partial tile
 * (s >> 8L) / 256 and lvl[L] is their compact range. The tree's compact
 * range is lvl[7] ‖ ... ‖ lvl[0] (largest subtrees first), so the root
 * and a restart (ledger_tree_load: at most 255 appends per level) need
 * nothing but the stored complete hashes.
 */
#include "common.h"
#include "ledger_int.h"

void ledger_tree_init(struct ledger_tree *t)
{
    int i;
    t->size = 0;
    for (i = 0; i < LEDGER_LEVELS; i++) {
        tlog_range_init(&t->lvl[i]);
        t->edge_n[i] = 0;
    }
}

void ledger_tree_fold(const tlog_hash *h, int n, tlog_hash *out)
{
    tlog_hash tmp[TLOG_TILE_WIDTH / 2];
    int i;

    if (n == 1) {
        *out = h[0];
        return;
    }
    for (i = 0; i < n / 2; i++)
        tlog_node_hash(&h[2 * i], &h[2 * i + 1], &tmp[i]);
    for (n /= 2; n > 1; n /= 2)
        for (i = 0; i < n / 2; i++)
            tlog_node_hash(&tmp[2 * i], &tmp[2 * i + 1], &tmp[i]);
    *out = tmp[0];
}

int ledger_tree_append(struct ledger_tree *t, const tlog_hash *leaf, ledger_tree_emit emit, void *ctx,
                       struct bf_err *err)
{
    tlog_hash h = *leaf;
    int level, rc;

    t->size++;
    for (level = 0; level < LEDGER_LEVELS; level++) {
        t->edge[level][t->edge_n[level]++] = h;
        tlog_range_append(&t->lvl[level], &h);
        if (t->edge_n[level] < TLOG_TILE_WIDTH)
            break;
        h = t->lvl[level].h[0]; /* 256 hashes: the range is one perfect subtree */
        if (level + 1 < LEDGER_LEVELS && emit) {
            uint64_t idx = (t->size >> (8 * (level + 1))) - 1;
            if ((rc = emit(ctx, level + 1, idx, &h, t->edge[level], err)) != 0)
                return rc;
        }
        t->edge_n[level] = 0;
        tlog_range_init(&t->lvl[level]);
    }
    return 0;
}

void ledger_tree_root(const struct ledger_tree *t, tlog_hash *out)
{
    const tlog_hash *all[64 + 8];
    int n = 0, L, i;

    for (L = LEDGER_LEVELS - 1; L >= 0; L--)
        for (i = 0; i < t->lvl[L].n; i++)
            all[n++] = &t->lvl[L].h[i];
    if (n == 0) {
        tlog_empty_root(out);
        return;
    }
    *out = *all[n - 1];
    for (i = n - 2; i >= 0; i--)
        tlog_node_hash(all[i], out, out);
}

int ledger_tree_load(struct ledger_tree *t, uint64_t size, ledger_tile_hashes_fn rd, void *ctx, struct bf_err *err)
{
    int level, rc, i;

    ledger_tree_init(t);
    t->size = size;
    for (level = 0; level < LEDGER_LEVELS; level++) {
        uint64_t nl = level ? size >> (8 * level) : size;
        int part = (int)(nl % TLOG_TILE_WIDTH);
        t->edge_n[level] = part;
        if (part && (rc = rd(ctx, level, nl - (uint64_t)part, part, t->edge[level], err)) < 0)
            return rc;
        for (i = 0; i < part; i++)
            tlog_range_append(&t->lvl[level], &t->edge[level][i]);
    }
    return 0;
}
