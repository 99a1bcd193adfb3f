/*
 * test_tlog_merkle.c - Merkle hashing, compact ranges, proof generation
 * and verification against transparency-dev/merkle's testdata (every
 * inclusion and consistency case, accept and reject), the CT C++ known
 * answers and all 240 proofs of the 15-leaf tessera tree.
 *
 * Harness rule for the transparency-dev cases: a hash that is not 32 bytes
 * is zero-padded into a tlog_hash (so the equal-size cases that use short
 * placeholder roots compare byte-for-byte, ledger.md §4) except for proof
 * and leaf hashes, which a decoder must reject outright (as
 * transparency-dev does; counted as a rejection).
 */
#include "common.h"
#include "enc.h"
#include "sha256.h"
#include "tlog/tlog.h"
#include "tap.h"
#include "testutil.h"

#include <dirent.h>
#include <jansson.h>

/* ---- helpers ---------------------------------------------------------- */

/* Raw uint64 field from JSON text (jansson cannot hold 2^64-1). */
static int raw_u64(const char *text, const char *key, uint64_t *out)
{
    char pat[64];
    const char *p;

    snprintf(pat, sizeof pat, "\"%s\"", key);
    p = strstr(text, pat);
    if (!p)
        return -1;
    p += strlen(pat);
    while (*p == ' ' || *p == ':' || *p == '\n' || *p == '\t')
        p++;
    errno = 0;
    *out = strtoull(p, NULL, 10);
    return errno ? -1 : 0;
}

/* base64 JSON string -> zero-padded hash; returns decoded length or -1. */
static long b64_hash(json_t *v, tlog_hash *h)
{
    uint8_t tmp[128];
    long n;

    memset(h, 0, sizeof *h);
    if (!json_is_string(v))
        return -1;
    n = bf_b64_decode(json_string_value(v), json_string_length(v), tmp, sizeof tmp);
    if (n < 0)
        return -1;
    memcpy(h->b, tmp, (size_t)BF_MIN(n, 32));
    return n;
}

/* Proof array (null = empty) -> hashes; -1 if any is not 32 bytes. */
static int load_proof(json_t *arr, tlog_hash *proof, int *n)
{
    size_t i;
    json_t *v;

    *n = 0;
    if (json_is_null(arr) || !arr)
        return 0;
    if (json_array_size(arr) > TLOG_MAX_PROOF)
        return -1;
    json_array_foreach(arr, i, v) {
        if (b64_hash(v, &proof[i]) != 32)
            return -1;
        (*n)++;
    }
    return 0;
}

/* ---- transparency-dev/merkle testdata --------------------------------- */

static int ntd_inc, ntd_cons;

/* One case file: its JSON, its two size fields (read raw: jansson cannot
 * hold 2^64-1) and whether the case wants the proof rejected. */
struct td_case {
    char *text;
    json_t *j;
    uint64_t a, b;
    int want_err;
};

/* 0, or -1 after reporting a file that does not parse; td_free either way. */
static int td_load(const char *path, const char *key_a, const char *key_b, struct td_case *c)
{
    json_error_t je;

    c->text = tu_slurp(path, NULL);
    c->j = c->text ? json_loads(c->text, JSON_DECODE_INT_AS_REAL, &je) : NULL;
    c->a = c->b = 0;
    if (!c->j || raw_u64(c->text, key_a, &c->a) < 0 || raw_u64(c->text, key_b, &c->b) < 0) {
        ok(0, "parse %s", path);
        return -1;
    }
    c->want_err = json_is_true(json_object_get(c->j, "wantErr"));
    return 0;
}

static void td_report(const char *kind, const char *path, const struct td_case *c, int rc, const struct bf_err *err)
{
    ok((rc == 0) == !c->want_err, "%s %s: want %s, got %d %s", kind, path + strlen(tap_shared("")),
       c->want_err ? "reject" : "accept", rc, rc ? err->msg : "");
}

static void td_free(struct td_case *c)
{
    json_decref(c->j);
    free(c->text);
}

static void run_inclusion_file(const char *path)
{
    struct td_case c;
    tlog_hash leaf, root, proof[TLOG_MAX_PROOF];
    struct bf_err err = {0};
    int n, rc;

    if (td_load(path, "leafIdx", "treeSize", &c) == 0) {
        b64_hash(json_object_get(c.j, "root"), &root);
        if (b64_hash(json_object_get(c.j, "leafHash"), &leaf) != 32 ||
            load_proof(json_object_get(c.j, "proof"), proof, &n) < 0)
            rc = BF_EINVAL; /* a leaf or proof hash that is not 32 bytes never decodes */
        else
            rc = tlog_verify_inclusion(c.a, c.b, &leaf, proof, n, &root, &err);
        td_report("inclusion", path, &c, rc, &err);
        ntd_inc++;
    }
    td_free(&c);
}

static void run_consistency_file(const char *path)
{
    struct td_case c;
    tlog_hash r1, r2, proof[TLOG_MAX_PROOF];
    struct bf_err err = {0};
    int n, rc;

    if (td_load(path, "size1", "size2", &c) == 0) {
        b64_hash(json_object_get(c.j, "root1"), &r1);
        b64_hash(json_object_get(c.j, "root2"), &r2);
        if (load_proof(json_object_get(c.j, "proof"), proof, &n) < 0)
            rc = BF_EINVAL;
        else
            rc = tlog_verify_consistency(c.a, c.b, &r1, &r2, proof, n, &err);
        td_report("consistency", path, &c, rc, &err);
        ntd_cons++;
    }
    td_free(&c);
}

static int cmpstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs fn on every *.json below dir, in sorted order. */
static void walk(const char *dir, void (*fn)(const char *))
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t n = 0, i;

    if (!d)
        return;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        names = bf_xrealloc(names, (n + 1) * sizeof *names);
        names[n++] = bf_xstrdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmpstr);
    for (i = 0; i < n; i++) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
            walk(path, fn);
        else if (strlen(names[i]) > 5 && strcmp(names[i] + strlen(names[i]) - 5, ".json") == 0)
            fn(path);
        free(names[i]);
    }
    free(names);
}

static void test_transparency_dev(void)
{
    const char *p = tap_shared("tlog/merkle-testdata/inclusion");
    char dir[4096];

    if (!p) {
        skip("no shared data: tlog/merkle-testdata");
        return;
    }
    snprintf(dir, sizeof dir, "%s", p);
    walk(dir, run_inclusion_file);
    p = tap_shared("tlog/merkle-testdata/consistency");
    if (!p) {
        skip("no shared data: tlog/merkle-testdata/consistency");
        return;
    }
    snprintf(dir, sizeof dir, "%s", p);
    walk(dir, run_consistency_file);
    ok(ntd_inc == 98 && ntd_cons == 98, "ran all 98 + 98 transparency-dev cases (%d + %d)", ntd_inc, ntd_cons);
}

/* ---- CT C++ known answers --------------------------------------------- */

static void test_ct_kat(void)
{
    const char *p = tap_shared("tlog/ct-cpp-merkle-kat.json");
    json_t *j, *v, *arr;
    json_error_t je;
    tlog_hash leaves[8], h, want, proof[TLOG_MAX_PROOF];
    struct tlog_range r;
    struct tu_memtree t;
    size_t i;
    int k;

    if (!p) {
        skip("no shared data: tlog/ct-cpp-merkle-kat.json");
        return;
    }
    j = json_load_file(p, 0, &je);
    if (!ok(j != NULL, "load ct-cpp-merkle-kat.json"))
        return;
    arr = json_object_get(j, "leaf_inputs_hex");
    json_array_foreach(arr, i, v) {
        uint8_t raw[64];
        long n = bf_hex_decode(json_string_value(v), json_string_length(v), raw, sizeof raw);
        tlog_leaf_hash(raw, (size_t)(n < 0 ? 0 : n), &leaves[i]);
    }
    tlog_empty_root(&h);
    tu_hex_hash(json_string_value(json_object_get(j, "empty_tree_root")), &want);
    ok(memcmp(h.b, want.b, 32) == 0, "empty root is SHA-256(\"\")");

    tu_memtree_build(&t, leaves, 8);
    tlog_range_init(&r);
    for (k = 1; k <= 8; k++) {
        char key[8];
        tlog_hash th;
        snprintf(key, sizeof key, "%d", k);
        tlog_range_append(&r, &leaves[k - 1]);
        tlog_range_root(&r, &h);
        tu_hex_hash(json_string_value(json_object_get(json_object_get(j, "roots_by_size"), key)), &want);
        ok(memcmp(h.b, want.b, 32) == 0 && r.n == __builtin_popcount((unsigned)k),
           "compact range root for size %d", k);
        ok(tlog_tree_hash((uint64_t)k, tu_memtree_read, &t, &th, NULL) == 0 && memcmp(th.b, want.b, 32) == 0,
           "tlog_tree_hash for size %d", k);
    }

    json_array_foreach(json_object_get(j, "inclusion"), i, v) {
        uint64_t idx = (uint64_t)json_integer_value(json_object_get(v, "index"));
        uint64_t size = (uint64_t)json_integer_value(json_object_get(v, "size"));
        json_t *pa = json_object_get(v, "path"), *e;
        char key[8];
        int n = 0, same, rc;
        size_t q;
        snprintf(key, sizeof key, "%" PRIu64, size);
        rc = tlog_prove_inclusion(idx, size, tu_memtree_read, &t, proof, &n, NULL);
        same = rc == 0 && (size_t)n == json_array_size(pa);
        json_array_foreach(pa, q, e) {
            if (same && (tu_hex_hash(json_string_value(e), &h) < 0 || memcmp(h.b, proof[q].b, 32) != 0))
                same = 0;
        }
        tu_hex_hash(json_string_value(json_object_get(json_object_get(j, "roots_by_size"), key)), &want);
        ok(same, "KAT audit path index %" PRIu64 " size %" PRIu64 " generated", idx, size);
        ok(tlog_verify_inclusion(idx, size, &leaves[idx], proof, n, &want, NULL) == 0,
           "KAT audit path index %" PRIu64 " size %" PRIu64 " verifies", idx, size);
    }
    json_array_foreach(json_object_get(j, "consistency"), i, v) {
        uint64_t m = (uint64_t)json_integer_value(json_object_get(v, "size1"));
        uint64_t nn = (uint64_t)json_integer_value(json_object_get(v, "size2"));
        json_t *pa = json_object_get(v, "proof"), *e;
        char k1[8], k2[8];
        tlog_hash r1, r2;
        int n = 0, same, rc;
        size_t q;
        rc = tlog_prove_consistency(m, nn, tu_memtree_read, &t, proof, &n, NULL);
        same = rc == 0 && (size_t)n == json_array_size(pa);
        json_array_foreach(pa, q, e) {
            if (same && (tu_hex_hash(json_string_value(e), &h) < 0 || memcmp(h.b, proof[q].b, 32) != 0))
                same = 0;
        }
        snprintf(k1, sizeof k1, "%" PRIu64, m);
        snprintf(k2, sizeof k2, "%" PRIu64, nn);
        tu_hex_hash(json_string_value(json_object_get(json_object_get(j, "roots_by_size"), k1)), &r1);
        tu_hex_hash(json_string_value(json_object_get(json_object_get(j, "roots_by_size"), k2)), &r2);
        ok(same, "KAT consistency %" PRIu64 " -> %" PRIu64 " generated", m, nn);
        ok(tlog_verify_consistency(m, nn, &r1, &r2, proof, n, NULL) == 0,
           "KAT consistency %" PRIu64 " -> %" PRIu64 " verifies", m, nn);
    }
    tu_memtree_free(&t);
    json_decref(j);
}

/* ---- tessera 15-leaf tree: every proof -------------------------------- */

static int same_proof(const tlog_hash *a, int na, const tlog_hash *b, int nb)
{
    return na == nb && (na == 0 || memcmp(a, b, (size_t)na * sizeof *a) == 0);
}

static void test_tessera_proofs(void)
{
    const char *p = tap_shared("tlog/tessera15-all-proofs.json");
    json_t *j, *v;
    json_error_t je;
    tlog_hash leaves[15];
    struct tu_memtree t;
    size_t i;
    int k, ninc = 0, ncons = 0;

    if (!p) {
        skip("no shared data: tlog/tessera15-all-proofs.json");
        return;
    }
    j = json_load_file(p, 0, &je);
    if (!ok(j != NULL, "load tessera15-all-proofs.json"))
        return;
    for (k = 0; k < 15; k++)
        tlog_leaf_hash(tu_tessera_leaves[k], strlen(tu_tessera_leaves[k]), &leaves[k]);
    tu_memtree_build(&t, leaves, 15);

    json_array_foreach(json_object_get(j, "inclusion"), i, v) {
        uint64_t idx = (uint64_t)json_integer_value(json_object_get(v, "leafIdx"));
        uint64_t size = (uint64_t)json_integer_value(json_object_get(v, "treeSize"));
        tlog_hash root, leaf, want[TLOG_MAX_PROOF], got[TLOG_MAX_PROOF], tr, bad;
        int nw = 0, ng = 0, want_err = json_is_true(json_object_get(v, "wantErr"));
        int gen, ver, neg;
        b64_hash(json_object_get(v, "root"), &root);
        b64_hash(json_object_get(v, "leafHash"), &leaf);
        load_proof(json_object_get(v, "proof"), want, &nw);
        gen = tlog_prove_inclusion(idx, size, tu_memtree_read, &t, got, &ng, NULL) == 0 &&
              same_proof(want, nw, got, ng) && memcmp(leaf.b, leaves[idx].b, 32) == 0 &&
              tlog_tree_hash(size, tu_memtree_read, &t, &tr, NULL) == 0 && memcmp(tr.b, root.b, 32) == 0;
        ver = tlog_verify_inclusion(idx, size, &leaf, want, nw, &root, NULL) == 0;
        /* Negative: a flipped bit in the leaf, and (if any) in the proof. */
        bad = leaf;
        bad.b[0] ^= 1;
        neg = tlog_verify_inclusion(idx, size, &bad, want, nw, &root, NULL) == BF_ECRYPTO;
        if (nw > 0) {
            want[nw - 1].b[31] ^= 0x80;
            neg = neg && tlog_verify_inclusion(idx, size, &leaf, want, nw, &root, NULL) == BF_ECRYPTO;
            neg = neg && tlog_verify_inclusion(idx, size, &leaf, want, nw - 1, &root, NULL) != 0;
        }
        ok(!want_err && gen && ver && neg,
           "tessera inclusion %" PRIu64 "/%" PRIu64 ": generated %d, verified %d, tampered rejected %d", idx,
           size, gen, ver, neg);
        ninc++;
    }
    json_array_foreach(json_object_get(j, "consistency"), i, v) {
        uint64_t m = (uint64_t)json_integer_value(json_object_get(v, "size1"));
        uint64_t nn = (uint64_t)json_integer_value(json_object_get(v, "size2"));
        tlog_hash r1, r2, want[TLOG_MAX_PROOF], got[TLOG_MAX_PROOF], bad;
        int nw = 0, ng = 0, want_err = json_is_true(json_object_get(v, "wantErr"));
        int gen, ver, neg = 1;
        b64_hash(json_object_get(v, "root1"), &r1);
        b64_hash(json_object_get(v, "root2"), &r2);
        load_proof(json_object_get(v, "proof"), want, &nw);
        gen = tlog_prove_consistency(m, nn, tu_memtree_read, &t, got, &ng, NULL) == 0 && same_proof(want, nw, got, ng);
        ver = tlog_verify_consistency(m, nn, &r1, &r2, want, nw, NULL) == 0;
        bad = r2;
        bad.b[5] ^= 4;
        neg = tlog_verify_consistency(m, nn, &r1, &bad, want, nw, NULL) == BF_ECRYPTO;
        if (nw > 0) {
            want[0].b[0] ^= 1;
            neg = neg && tlog_verify_consistency(m, nn, &r1, &r2, want, nw, NULL) == BF_ECRYPTO;
        }
        ok(!want_err && gen && ver && neg,
           "tessera consistency %" PRIu64 " -> %" PRIu64 ": generated %d, verified %d, tampered rejected %d", m,
           nn, gen, ver, neg);
        ncons++;
    }
    ok(ninc == 120 && ncons == 120, "all 240 tessera proofs checked (%d + %d)", ninc, ncons);
    tu_memtree_free(&t);
    json_decref(j);
}

/* ---- self-contained checks (no shared data) ---------------------------- */

static void test_edges(void)
{
    tlog_hash leaves[300], h, root, proof[TLOG_MAX_PROOF];
    struct tlog_range r;
    struct tu_memtree t;
    struct bf_err err = {0};
    int i, n, allok = 1;
    uint64_t m, nn;

    for (i = 0; i < 300; i++) {
        char s[16];
        snprintf(s, sizeof s, "e%d", i);
        tlog_leaf_hash(s, strlen(s), &leaves[i]);
    }
    tu_memtree_build(&t, leaves, 300);
    tlog_range_init(&r);
    tlog_range_root(&r, &h);
    tlog_empty_root(&root);
    ok(memcmp(h.b, root.b, 32) == 0, "empty range root is SHA-256(\"\")");
    for (i = 1; i <= 300 && allok; i++) {
        tlog_range_append(&r, &leaves[i - 1]);
        tlog_range_root(&r, &h);
        allok = tlog_tree_hash((uint64_t)i, tu_memtree_read, &t, &root, NULL) == 0 && memcmp(h.b, root.b, 32) == 0;
    }
    ok(allok, "compact range equals stored-subtree root for sizes 1..300");

    /* Every proof pair in a 300-leaf tree round-trips (sampled). */
    allok = 1;
    for (nn = 1; nn <= 300 && allok; nn += 7) {
        tlog_tree_hash(nn, tu_memtree_read, &t, &root, NULL);
        for (m = 0; m < nn && allok; m += 5) {
            allok = tlog_prove_inclusion(m, nn, tu_memtree_read, &t, proof, &n, NULL) == 0 &&
                    tlog_verify_inclusion(m, nn, &leaves[m], proof, n, &root, NULL) == 0;
        }
        for (m = 1; m <= nn && allok; m += 3) {
            tlog_hash rm;
            tlog_tree_hash(m, tu_memtree_read, &t, &rm, NULL);
            allok = tlog_prove_consistency(m, nn, tu_memtree_read, &t, proof, &n, NULL) == 0 &&
                    tlog_verify_consistency(m, nn, &rm, &root, proof, n, NULL) == 0;
        }
    }
    ok(allok, "generated inclusion and consistency proofs verify across a 300-leaf tree");

    /* Policies (ledger.md §4), both directions. */
    tlog_empty_root(&h);
    ok(tlog_verify_consistency(0, 0, &h, &h, proof, 0, &err) == BF_EINVAL, "0 -> 0 rejected: %s", err.msg);
    ok(tlog_verify_consistency(0, 5, &h, &root, proof, 0, &err) == BF_EINVAL, "0 -> 5 rejected: %s", err.msg);
    ok(tlog_verify_consistency(5, 5, &root, &root, proof, 0, NULL) == 0, "5 -> 5 same root, empty proof accepted");
    ok(tlog_verify_consistency(5, 5, &root, &h, proof, 0, NULL) == BF_ECRYPTO, "5 -> 5 different roots rejected");
    ok(tlog_verify_consistency(5, 5, &root, &root, proof, 1, NULL) == BF_ECRYPTO, "5 -> 5 non-empty proof rejected");
    ok(tlog_verify_consistency(6, 5, &root, &root, proof, 0, NULL) == BF_EINVAL, "6 -> 5 rejected");
    ok(tlog_verify_inclusion(5, 5, &leaves[0], proof, 0, &root, NULL) == BF_EINVAL, "index == size rejected");
    ok(tlog_verify_inclusion(0, 1, &leaves[0], proof, TLOG_MAX_PROOF + 1, &root, NULL) == BF_EINVAL,
       "more than 64 proof hashes rejected");
    ok(tlog_prove_inclusion(3, 3, tu_memtree_read, &t, proof, &n, NULL) == BF_EINVAL, "prove index >= size fails");
    ok(tlog_prove_consistency(0, 3, tu_memtree_read, &t, proof, &n, NULL) == BF_EINVAL, "prove from 0 fails");
    ok(tlog_prove_consistency(4, 3, tu_memtree_read, &t, proof, &n, NULL) == BF_EINVAL, "prove m > n fails");
    ok(tlog_prove_consistency(3, 3, tu_memtree_read, &t, proof, &n, NULL) == 0 && n == 0, "prove m == n is empty");
    ok(tlog_prove_inclusion(3, 301, tu_memtree_read, &t, proof, &n, &err) == BF_ENOTFOUND,
       "reader errors propagate: %s", err.msg);

    /* Proof lengths for a huge tree: the 2^64-1 border case. */
    {
        uint64_t big = UINT64_MAX;
        tlog_hash zero;
        memset(&zero, 0, sizeof zero);
        memset(proof, 0, sizeof proof);
        ok(tlog_verify_inclusion(big - 1, big, &zero, proof, 64, &zero, NULL) == BF_ECRYPTO,
           "index 2^64-2 in size 2^64-1 runs without overflow");
    }
    tu_memtree_free(&t);
}

int main(void)
{
    test_edges();
    test_transparency_dev();
    test_ct_kat();
    test_tessera_proofs();
    return tap_done();
}
