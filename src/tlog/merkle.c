/*
 * merkle.c - RFC 6962 / RFC 9162 Merkle tree hashing, the compact range
 * used for incremental appends, proof generation from stored complete
 * subtrees and proof verification.
 *
 * Invariants: a tlog_range holds exactly popcount(size) hashes, largest
 * subtree first. Proof generation only ever asks the reader for complete,
 * aligned subtrees (the RFC recursion splits at powers of two, so every
 * left part it touches is complete). Verification follows the
 * transparency-dev/merkle rules (ledger.md §2, §4): inclusion needs
 * index < size; consistency from size 0 is rejected (even 0 -> 0); equal
 * sizes accept iff the proof is empty and the roots are equal.
 */
#include "common.h"
#include "sha256.h"
#include "tlog.h"

#include <openssl/sha.h>

void tlog_leaf_hash(const void *entry, size_t len, tlog_hash *out)
{
    static const uint8_t zero = 0x00;
    bf_sha256_2(&zero, 1, entry, len, out->b);
}

/* Hot path: one 65-byte message, hashed with the low-level SHA-256 API
 * (no EVP fetch, no allocation; thread-safe since all state is local). */
void tlog_node_hash(const tlog_hash *l, const tlog_hash *r, tlog_hash *out)
{
    uint8_t msg[1 + 2 * TLOG_HASH_LEN];
    msg[0] = 0x01;
    memcpy(msg + 1, l->b, TLOG_HASH_LEN);
    memcpy(msg + 1 + TLOG_HASH_LEN, r->b, TLOG_HASH_LEN);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    SHA256_CTX c;
    SHA256_Init(&c);
    SHA256_Update(&c, msg, sizeof msg);
    SHA256_Final(out->b, &c);
#pragma GCC diagnostic pop
}

void tlog_empty_root(tlog_hash *out)
{
    bf_sha256("", 0, out->b);
}

/* ---- compact range ---------------------------------------------------- */

void tlog_range_init(struct tlog_range *r)
{
    memset(r, 0, sizeof *r);
}

void tlog_range_append(struct tlog_range *r, const tlog_hash *leaf)
{
    tlog_hash c = *leaf;
    uint64_t s = r->size;

    while (s & 1) {
        tlog_node_hash(&r->h[--r->n], &c, &c);
        s >>= 1;
    }
    r->h[r->n++] = c;
    r->size++;
}

void tlog_range_root(const struct tlog_range *r, tlog_hash *out)
{
    tlog_hash acc;
    int i;

    if (r->n == 0) {
        tlog_empty_root(out);
        return;
    }
    acc = r->h[r->n - 1];
    for (i = r->n - 2; i >= 0; i--)
        tlog_node_hash(&r->h[i], &acc, &acc);
    *out = acc;
}

/* ---- proof generation ------------------------------------------------- */

/* Largest power of two strictly less than n (n >= 2). */
static uint64_t split_point(uint64_t n)
{
    uint64_t k = (uint64_t)1 << (63 - __builtin_clzll(n - 1));
    return k;
}

static int is_pow2(uint64_t n)
{
    return n && !(n & (n - 1));
}

/* MTH(D[lo:hi]) for hi > lo, where lo is aligned to the largest power of
 * two <= hi - lo (always true inside the RFC recursion). */
static int subtree_hash(uint64_t lo, uint64_t hi, tlog_hash_reader rd, void *ctx,
                        tlog_hash *out, struct bf_err *err)
{
    uint64_t n = hi - lo, k;
    tlog_hash l, r;
    int rc;

    if (is_pow2(n)) {
        int level = __builtin_ctzll(n);
        return rd(ctx, level, lo >> level, out, err);
    }
    k = split_point(n);
    if ((rc = subtree_hash(lo, lo + k, rd, ctx, &l, err)) < 0)
        return rc;
    if ((rc = subtree_hash(lo + k, hi, rd, ctx, &r, err)) < 0)
        return rc;
    tlog_node_hash(&l, &r, out);
    return 0;
}

int tlog_tree_hash(uint64_t size, tlog_hash_reader rd, void *ctx, tlog_hash *out, struct bf_err *err)
{
    if (size == 0) {
        tlog_empty_root(out);
        return 0;
    }
    return subtree_hash(0, size, rd, ctx, out, err);
}

/* PATH(m, D[lo:hi]) appended leaf-side first. */
static int path(uint64_t m, uint64_t lo, uint64_t hi, tlog_hash_reader rd, void *ctx,
                tlog_hash *proof, int *n, struct bf_err *err)
{
    uint64_t k;
    int rc;

    if (hi - lo <= 1)
        return 0;
    k = split_point(hi - lo);
    if (m < lo + k) {
        if ((rc = path(m, lo, lo + k, rd, ctx, proof, n, err)) < 0)
            return rc;
        rc = subtree_hash(lo + k, hi, rd, ctx, &proof[*n], err);
    } else {
        if ((rc = path(m, lo + k, hi, rd, ctx, proof, n, err)) < 0)
            return rc;
        rc = subtree_hash(lo, lo + k, rd, ctx, &proof[*n], err);
    }
    if (rc < 0)
        return rc;
    (*n)++;
    return 0;
}

int tlog_prove_inclusion(uint64_t index, uint64_t size, tlog_hash_reader rd, void *ctx,
                         tlog_hash *proof, int *n, struct bf_err *err)
{
    *n = 0;
    if (index >= size)
        return bf_err_set(err, BF_EINVAL, "inclusion proof: index %" PRIu64 " not below size %" PRIu64,
                          index, size);
    return path(index, 0, size, rd, ctx, proof, n, err);
}

/* SUBPROOF(m, D[lo:hi], b) with m an absolute leaf count, lo < m <= hi. */
static int subproof(uint64_t m, uint64_t lo, uint64_t hi, int b, tlog_hash_reader rd, void *ctx,
                    tlog_hash *proof, int *np, struct bf_err *err)
{
    uint64_t k;
    int rc;

    if (m == hi) {
        if (b)
            return 0;
        if ((rc = subtree_hash(lo, hi, rd, ctx, &proof[*np], err)) < 0)
            return rc;
        (*np)++;
        return 0;
    }
    k = split_point(hi - lo);
    if (m <= lo + k) {
        if ((rc = subproof(m, lo, lo + k, b, rd, ctx, proof, np, err)) < 0)
            return rc;
        rc = subtree_hash(lo + k, hi, rd, ctx, &proof[*np], err);
    } else {
        if ((rc = subproof(m, lo + k, hi, 0, rd, ctx, proof, np, err)) < 0)
            return rc;
        rc = subtree_hash(lo, lo + k, rd, ctx, &proof[*np], err);
    }
    if (rc < 0)
        return rc;
    (*np)++;
    return 0;
}

int tlog_prove_consistency(uint64_t m, uint64_t n, tlog_hash_reader rd, void *ctx,
                           tlog_hash *proof, int *np, struct bf_err *err)
{
    *np = 0;
    if (m == 0 || m > n)
        return bf_err_set(err, BF_EINVAL, "consistency proof: need 0 < m <= n, got m=%" PRIu64 " n=%" PRIu64,
                          m, n);
    if (m == n)
        return 0;
    return subproof(m, 0, n, 1, rd, ctx, proof, np, err);
}

/* ---- verification ----------------------------------------------------- */

int tlog_verify_inclusion(uint64_t index, uint64_t size, const tlog_hash *leaf,
                          const tlog_hash *proof, int n, const tlog_hash *root, struct bf_err *err)
{
    uint64_t fn, sn;
    tlog_hash r;
    int i;

    if (n < 0 || n > TLOG_MAX_PROOF)
        return bf_err_set(err, BF_EINVAL, "inclusion proof: %d hashes", n);
    if (index >= size)
        return bf_err_set(err, BF_EINVAL, "inclusion proof: index %" PRIu64 " not below size %" PRIu64,
                          index, size);
    fn = index;
    sn = size - 1;
    r = *leaf;
    for (i = 0; i < n; i++) {
        if (sn == 0)
            return bf_err_set(err, BF_ECRYPTO, "inclusion proof: too many hashes");
        if ((fn & 1) || fn == sn) {
            tlog_node_hash(&proof[i], &r, &r);
            if (!(fn & 1))
                while (fn != 0 && !(fn & 1)) {
                    fn >>= 1;
                    sn >>= 1;
                }
        } else {
            tlog_node_hash(&r, &proof[i], &r);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0)
        return bf_err_set(err, BF_ECRYPTO, "inclusion proof: too few hashes");
    if (!bf_ct_equal(r.b, root->b, TLOG_HASH_LEN))
        return bf_err_set(err, BF_ECRYPTO, "inclusion proof: root mismatch");
    return 0;
}

int tlog_verify_consistency(uint64_t m, uint64_t n, const tlog_hash *root_m, const tlog_hash *root_n,
                            const tlog_hash *proof, int np, struct bf_err *err)
{
    uint64_t fn, sn;
    tlog_hash fr, sr;
    int i = 0;

    if (np < 0 || np > TLOG_MAX_PROOF)
        return bf_err_set(err, BF_EINVAL, "consistency proof: %d hashes", np);
    if (m == 0)
        return bf_err_set(err, BF_EINVAL, "consistency proof from size 0 is meaningless");
    if (m > n)
        return bf_err_set(err, BF_EINVAL, "consistency proof: old size %" PRIu64 " above new size %" PRIu64,
                          m, n);
    if (m == n) {
        if (np != 0)
            return bf_err_set(err, BF_ECRYPTO, "consistency proof: non-empty proof for equal sizes");
        if (!bf_ct_equal(root_m->b, root_n->b, TLOG_HASH_LEN))
            return bf_err_set(err, BF_ECRYPTO, "consistency proof: equal sizes, different roots");
        return 0;
    }
    if (np == 0)
        return bf_err_set(err, BF_ECRYPTO, "consistency proof: empty proof");

    fn = m - 1;
    sn = n - 1;
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    /* If m is a power of two the proof omits root_m, which is its seed. */
    if (is_pow2(m)) {
        fr = sr = *root_m;
    } else {
        fr = sr = proof[0];
        i = 1;
    }
    for (; i < np; i++) {
        if (sn == 0)
            return bf_err_set(err, BF_ECRYPTO, "consistency proof: too many hashes");
        if ((fn & 1) || fn == sn) {
            tlog_node_hash(&proof[i], &fr, &fr);
            tlog_node_hash(&proof[i], &sr, &sr);
            if (!(fn & 1))
                while (fn != 0 && !(fn & 1)) {
                    fn >>= 1;
                    sn >>= 1;
                }
        } else {
            tlog_node_hash(&sr, &proof[i], &sr);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0)
        return bf_err_set(err, BF_ECRYPTO, "consistency proof: too few hashes");
    if (!bf_ct_equal(fr.b, root_m->b, TLOG_HASH_LEN) || !bf_ct_equal(sr.b, root_n->b, TLOG_HASH_LEN))
        return bf_err_set(err, BF_ECRYPTO, "consistency proof: root mismatch");
    return 0;
}
