/*
 * ledger_tree.c - the in-memory right edge of the log's Merkle tree.
 *
 * The sequencer appends leaf hashes here. Two structures are kept in step:
 * the compact range (one hash per set bit of the size, for the root) and,
 * per tile level, the hashes of the current partial tile. When a tile
 * fills, its 256 hashes are folded into one hash of the level above, which
 * is handed to `emit` (the sequencer stores it and caches the full tile).
 *
 * Invariants: for a tree of size s, edge_n[L] == (s >> 8L) % 256 and
 * edge[L][0..edge_n[L]) are the level-L hashes of the partial tile
 * (s >> 8L) / 256; range.size == s. Because every subtree of the compact
 * range lies inside one partial tile, both can be rebuilt from the stored
 * complete hashes alone (ledger_tree_load), without a full replay.
 */
#include "common.h"
#include "ledger_int.h"

void ledger_tree_init(struct ledger_tree *t)
{
    tlog_range_init(&t->range);
    memset(t->edge_n, 0, sizeof t->edge_n);
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
    tlog_hash h = *leaf, up;
    int level, rc;

    tlog_range_append(&t->range, leaf);
    for (level = 0; level < LEDGER_LEVELS; level++) {
        t->edge[level][t->edge_n[level]++] = h;
        if (t->edge_n[level] < TLOG_TILE_WIDTH)
            break;
        ledger_tree_fold(t->edge[level], TLOG_TILE_WIDTH, &up);
        if (level + 1 < LEDGER_LEVELS && emit) {
            uint64_t idx = (t->range.size >> (8 * (level + 1))) - 1;
            if ((rc = emit(ctx, level + 1, idx, &up, t->edge[level], err)) != 0)
                return rc;
        }
        t->edge_n[level] = 0;
        h = up;
    }
    return 0;
}

int ledger_tree_load(struct ledger_tree *t, uint64_t size, ledger_tile_hashes_fn rd, void *ctx, struct bf_err *err)
{
    int level, rc, k;

    ledger_tree_init(t);
    for (level = 0; level < LEDGER_LEVELS; level++) {
        uint64_t nl = level ? size >> (8 * level) : size;
        int part = (int)(nl % TLOG_TILE_WIDTH);
        t->edge_n[level] = part;
        if (part && (rc = rd(ctx, level, nl - (uint64_t)part, part, t->edge[level], err)) < 0)
            return rc;
    }
    /* Set bit k = 8L + r of size is a subtree of 2^r level-L hashes that
     * sits inside the partial tile of level L, at offset
     * (the bits of size above k, in level-L units) mod 256. */
    t->range.size = size;
    t->range.n = 0;
    for (k = 63; k >= 0; k--) {
        int L = k / 8, r = k % 8;
        uint64_t above, off;
        if (!((size >> k) & 1))
            continue;
        above = k == 63 ? 0 : (size >> (k + 1)) << (k + 1);
        off = (above >> (8 * L)) % TLOG_TILE_WIDTH;
        ledger_tree_fold(&t->edge[L][off], 1 << r, &t->range.h[t->range.n++]);
    }
    return 0;
}
