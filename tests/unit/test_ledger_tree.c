/*
 * test_ledger_tree.c - the sequencer's in-memory tree edge against a
 * direct RFC 6962 computation: the root after (nearly) every append up to
 * 70 000 leaves, across three tile levels, every
 * emitted tile-level hash, and a tree rebuilt by ledger_tree_load at many
 * sizes continuing exactly like the one that was never interrupted.
 */
#include "common.h"
#include "tap.h"
#include "ledger/ledger_int.h"

#define N 70000

static tlog_hash leaves[N];
static tlog_hash level1[N / 256 + 1];
static tlog_hash level2[2];
static int n1, n2, bad_emit;

/* Perfect subtree hashes of the leaves by level (memo[k][i] covers
 * leaves [i*2^k, (i+1)*2^k)), so MTH(D[lo:hi]) follows the RFC 6962
 * recursion directly, independently of the code under test. */
static tlog_hash *memo[17];

static void build_memo(void)
{
    uint64_t n = N, i;
    int k;
    memo[0] = leaves;
    for (k = 1; k < 17; k++) {
        n /= 2;
        memo[k] = bf_xcalloc(n ? n : 1, sizeof(tlog_hash));
        for (i = 0; i < n; i++)
            tlog_node_hash(&memo[k - 1][2 * i], &memo[k - 1][2 * i + 1], &memo[k][i]);
    }
}

static void mth(uint64_t lo, uint64_t hi, tlog_hash *out)
{
    uint64_t k = 1;
    tlog_hash l, r;
    if (!((hi - lo) & (hi - lo - 1))) { /* a power of two, aligned inside the recursion */
        int lv = __builtin_ctzll(hi - lo);
        *out = memo[lv][lo >> lv];
        return;
    }
    while (k * 2 < hi - lo)
        k *= 2;
    mth(lo, lo + k, &l);
    mth(lo + k, hi, &r);
    tlog_node_hash(&l, &r, out);
}

static int record(void *ctx, int level, uint64_t idx, const tlog_hash *h, const tlog_hash *tile, struct bf_err *err)
{
    tlog_hash want;
    (void)ctx; (void)err;
    mth(idx << (8 * level), (idx + 1) << (8 * level), &want);
    if (memcmp(want.b, h->b, 32) != 0)
        bad_emit++;
    if (level == 1) {
        if (idx != (uint64_t)n1 || memcmp(tile, &leaves[idx * 256], 256 * 32) != 0)
            bad_emit++;
        level1[n1++] = *h;
    } else if (level == 2) {
        if (idx != (uint64_t)n2 || memcmp(tile, &level1[idx * 256], 256 * 32) != 0)
            bad_emit++;
        level2[n2++] = *h;
    }
    return 0;
}

static int read_tiles(void *ctx, int level, uint64_t first, int count, tlog_hash *out, struct bf_err *err)
{
    const tlog_hash *src = level == 0 ? leaves : level == 1 ? level1 : level2;
    (void)ctx;
    if (level > 2)
        return bf_err_set(err, BF_ENOTFOUND, "no level %d", level);
    memcpy(out, &src[first], (size_t)count * sizeof *out);
    return 0;
}

int main(void)
{
    static struct ledger_tree t, u;
    tlog_hash root, want, empty;
    uint64_t i;
    int bad_root = 0, checked = 0, bad_load = 0, loads = 0;

    for (i = 0; i < N; i++) {
        char e[32];
        int len = snprintf(e, sizeof e, "leaf %" PRIu64, i);
        tlog_leaf_hash(e, (size_t)len, &leaves[i]);
    }
    build_memo();
    ledger_tree_init(&t);
    ledger_tree_root(&t, &root);
    tlog_empty_root(&empty);
    ok(!memcmp(root.b, empty.b, 32), "empty tree root is SHA-256(\"\")");
    for (i = 0; i < N; i++) {
        ledger_tree_append(&t, &leaves[i], record, NULL, NULL);
        if (i < 5000 || i % 7 == 0 || (i + 1) % 256 == 0 || i + 1 == N) {
            ledger_tree_root(&t, &root);
            mth(0, i + 1, &want);
            bad_root += memcmp(root.b, want.b, 32) != 0;
            checked++;
        }
    }
    ok(bad_root == 0, "root equals the directly computed MTH at %d sizes up to %d", checked, N);
    ok(bad_emit == 0 && n1 == N / 256 && n2 == 1, "every completed tile emitted once, in order, with the right hash "
                                                  "(%d level-1, %d level-2)", n1, n2);
    ok(t.size == N && t.edge_n[0] == N % 256 && t.edge_n[1] == (N / 256) % 256 && t.edge_n[2] == 1,
       "edge widths at 70000: %d, %d, %d (spec: 0/273.p/112, 1/001.p/17, 2/000.p/1)", t.edge_n[0], t.edge_n[1],
       t.edge_n[2]);
    {
        static const uint64_t sizes[] = { 0, 1, 2, 3, 255, 256, 257, 511, 512, 1000, 4096, 65535, 65536, 65537, 69999 };
        size_t k;
        for (k = 0; k < BF_ARRAY_LEN(sizes); k++) {
            uint64_t s = sizes[k], j;
            tlog_hash a, b;
            int saved1 = n1, saved2 = n2;
            loads++;
            if (ledger_tree_load(&u, s, read_tiles, NULL, NULL) < 0) {
                bad_load++;
                continue;
            }
            ledger_tree_root(&u, &a);
            if (s)
                mth(0, s, &b);
            else
                b = empty;
            if (memcmp(a.b, b.b, 32) != 0)
                bad_load++;
            /* continue appending from the loaded edge: same roots */
            n1 = (int)(s / 256);
            n2 = (int)(s / 65536);
            for (j = s; j < s + 600 && j < N; j++) {
                ledger_tree_append(&u, &leaves[j], record, NULL, NULL);
                ledger_tree_root(&u, &a);
                {
                    mth(0, j + 1, &b);
                    if (memcmp(a.b, b.b, 32) != 0)
                        bad_load++;
                }
            }
            n1 = saved1;
            n2 = saved2;
        }
    }
    ok(bad_load == 0 && bad_emit == 0, "ledger_tree_load at %d sizes rebuilds the edge and continues identically", loads);
    {
        tlog_hash h[8], f, g;
        for (i = 0; i < 8; i++)
            h[i] = leaves[i];
        ledger_tree_fold(h, 8, &f);
        mth(0, 8, &g);
        ok(!memcmp(f.b, g.b, 32), "fold of 8 hashes is the perfect subtree hash");
    }
    return tap_done();
}
