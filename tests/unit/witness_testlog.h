/*
 * witness_testlog.h - a small in-memory log for the witness and monitor
 * unit tests: leaves "<prefix> <i>", subtree hashes computed on demand,
 * checkpoints signed with a given key, consistency proofs through the real
 * tlog prover. Test-only (static functions, header-only).
 */
#ifndef BELFRY_WITNESS_TESTLOG_H
#define BELFRY_WITNESS_TESTLOG_H

#include "common.h"
#include "buf.h"
#include "tlog/tlog.h"

#define TL_MAX 1024

struct testlog {
    tlog_hash leaf[TL_MAX];
    uint64_t n;
    const struct tlog_skey *key;
};

static inline void tl_init(struct testlog *t, const struct tlog_skey *key, const char *prefix, uint64_t n)
{
    char e[64];
    uint64_t i;
    t->key = key;
    t->n = n;
    for (i = 0; i < n; i++) {
        int l = snprintf(e, sizeof e, "%s %" PRIu64, prefix, i);
        tlog_leaf_hash(e, (size_t)l, &t->leaf[i]);
    }
}

static inline int tl_reader(void *ctx, int level, uint64_t idx, tlog_hash *out, struct bf_err *err)
{
    struct testlog *t = ctx;
    tlog_hash l, r;
    if (level == 0) {
        if (idx >= t->n)
            return bf_err_set(err, BF_ENOTFOUND, "no leaf %" PRIu64, idx);
        *out = t->leaf[idx];
        return 0;
    }
    if (tl_reader(ctx, level - 1, 2 * idx, &l, err) < 0 || tl_reader(ctx, level - 1, 2 * idx + 1, &r, err) < 0)
        return BF_ENOTFOUND;
    tlog_node_hash(&l, &r, out);
    return 0;
}

static inline void tl_root(struct testlog *t, uint64_t size, tlog_hash *out)
{
    struct bf_err e;
    if (tlog_tree_hash(size, tl_reader, t, out, &e) < 0)
        memset(out, 0, sizeof *out);
}

/* Signed checkpoint of the first `size` leaves into out (reset first). */
static inline int tl_checkpoint(struct testlog *t, uint64_t size, struct bf_buf *out)
{
    tlog_hash root;
    struct bf_err e;
    bf_buf_reset(out);
    tl_root(t, size, &root);
    return tlog_checkpoint_sign(t->key, t->key->name, size, &root, out, &e);
}

static inline int tl_prove(void *ctx, uint64_t from, uint64_t to, tlog_hash *proof, int *n, struct bf_err *err)
{
    return tlog_prove_consistency(from, to, tl_reader, ctx, proof, n, err);
}

#endif
