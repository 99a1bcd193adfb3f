/*
 * test_tlog_proof.c - c2sp.org/tlog-proof@v1 receipts: the tessera
 * index-6 receipt parses, verifies and is reproduced byte for byte; every
 * tampering (index, hash, checkpoint, leaf, key, origin) is rejected;
 * malformed framings are rejected; receipts for all 15 leaves round trip.
 */
#include "common.h"
#include "buf.h"
#include "tlog/tlog.h"
#include "tap.h"
#include "testutil.h"


static int test_reader(void *ctx, int level, uint64_t idx, tlog_hash *out, struct bf_err *err);

static struct tlog_receipt rc_; /* large: keep off the stack */

/* Parses and verifies s (NUL-terminated) for the given leaf. */
static int check(const char *s, const tlog_hash *leaf, const struct tlog_vkey *keys, int nkeys, struct bf_err *err)
{
    int rc = tlog_receipt_parse(s, strlen(s), &rc_, err);
    if (rc < 0)
        return rc;
    return tlog_receipt_verify(&rc_, leaf, keys, nkeys, NULL, err);
}

/* Copy of s with the first occurrence of from replaced by to. */
static char *edit(const char *s, const char *from, const char *to)
{
    const char *p = strstr(s, from);
    size_t a, fl = strlen(from), tl = strlen(to), n = strlen(s);
    char *o;
    if (!p)
        return bf_xstrdup("");
    a = (size_t)(p - s);
    o = bf_xmalloc(n - fl + tl + 1);
    memcpy(o, s, a);
    memcpy(o + a, to, tl);
    memcpy(o + a + tl, p + fl, n - a - fl + 1);
    return o;
}

/* Each edit of the tessera receipt and how it is rejected (want: that code, or any error when 0). */
static const struct {
    const char *from, *to;
    int want, show_msg;
    const char *what;
} EDITS[] = {
    { "index 6", "index 5", BF_ECRYPTO, 1, "tampered index rejected" },
    { "index 6", "index 15", BF_ECRYPTO, 1, "index outside the tree rejected" },
    { "ycRkkNklus5eMVRU", "ycRkkNklus5eMVRV", BF_ECRYPTO, 1, "tampered proof hash rejected" },
    { "zY1lN35vrXYAPixXSd59LsU29xUJtuW4o2dNNg5Y2Co=\n", "", BF_ECRYPTO, 1, "removed proof hash rejected" },
    { "\n15\n", "\n16\n", BF_ECRYPTO, 1, "tampered checkpoint size rejected" },
    { "rKbDipCvhuX1", "rKbDipCvhuX2", BF_ECRYPTO, 1, "tampered checkpoint root rejected" },
    { "M9e0luh4jTG+", "M9e0luh4jTG/", BF_ECRYPTO, 1, "tampered signature rejected" },
    /* framing errors */
    { "index 6", "index 06", BF_EINVAL, 1, "non-canonical index rejected" },
    { "c2sp.org/tlog-proof@v1", "c2sp.org/tlog-proof@v2", BF_EINVAL, 0, "unknown version rejected" },
    { "5jLpqTgjsBDSEX6SgZiRnbTMdTuRd8bQ5tSsAOxe0Ks=\n\n", "5jLpqTgjsBDSEX6SgZiRnbTMdTuRd8bQ5tSsAOxe0Ks=\n", 0, 1,
      "missing blank line rejected" },
    { "5jLpqTgjsBDSEX6SgZiRnbTMdTuRd8bQ5tSsAOxe0Ks=", "5jLpqTgjsBDSEX6SgZiRnbTMdTuRd8bQ5tSsAOxe0K=", BF_EINVAL, 1,
      "short proof hash rejected" },
    { "index 6\n", "extra \nindex 6\n", BF_EINVAL, 0, "empty extra rejected" },
    { "index 6\n", "index 6\n\n", 0, 0, "checkpoint missing after proof rejected" },
};

static void test_tessera_receipt(void)
{
    const char *path = tap_shared("tlog/tessera-index6-size15.tlog-proof");
    struct tlog_vkey vk, wrong;
    struct tlog_checkpoint cp;
    struct bf_err err = {0};
    struct bf_buf b = BF_BUF_INIT;
    tlog_hash leaf, other;
    size_t len = 0, i;
    char *s, *t;

    if (!path) {
        skip("no shared data: tlog/tessera-index6-size15.tlog-proof");
        return;
    }
    s = tu_slurp(path, &len);
    if (!ok(s != NULL, "read the receipt"))
        return;
    tlog_vkey_parse(TU_TESSERA_VKEY, strlen(TU_TESSERA_VKEY), &vk, NULL);
    tlog_leaf_hash("seven", 5, &leaf);
    tlog_leaf_hash("six", 3, &other);

    ok(tlog_receipt_parse(s, len, &rc_, &err) == 0 && rc_.index == 6 && rc_.n == 4 && rc_.extra == NULL,
       "receipt parses: index 6, 4 hashes %s", err.msg);
    ok(tlog_receipt_verify(&rc_, &leaf, &vk, 1, &cp, &err) == 0 && cp.size == 15 &&
       strcmp(cp.origin, "example.com/log/testdata") == 0, "receipt verifies for leaf \"seven\" %s", err.msg);
    ok(tlog_receipt_format(rc_.index, rc_.proof, rc_.n, rc_.checkpoint, rc_.checkpoint_len, &b) == 0 &&
       b.len == len && memcmp(b.data, s, len) == 0, "format reproduces the receipt byte for byte");

    ok(tlog_receipt_verify(&rc_, &other, &vk, 1, NULL, &err) == BF_ECRYPTO, "wrong leaf rejected: %s", err.msg);
    wrong = vk;
    wrong.pub[3] ^= 1;
    ok(tlog_receipt_verify(&rc_, &leaf, &wrong, 1, NULL, &err) == BF_ECRYPTO, "wrong log key rejected: %s", err.msg);
    wrong = vk;
    wrong.id ^= 1;
    ok(tlog_receipt_verify(&rc_, &leaf, &wrong, 1, NULL, &err) == BF_ECRYPTO, "log key absent rejected: %s",
       err.msg);

    for (i = 0; i < BF_ARRAY_LEN(EDITS); i++) {
        int rc;
        t = edit(s, EDITS[i].from, EDITS[i].to);
        rc = check(t, &leaf, &vk, 1, &err);
        ok(EDITS[i].want ? rc == EDITS[i].want : rc < 0, "%s%s%s", EDITS[i].what, EDITS[i].show_msg ? ": " : "",
           EDITS[i].show_msg ? err.msg : "");
        free(t);
    }
    ok(check("c2sp.org/tlog-proof@v1\nindex 6\n\n", &leaf, &vk, 1, &err) == BF_EINVAL, "empty checkpoint rejected");

    /* Extra round trip. */
    bf_buf_reset(&b);
    tlog_receipt_parse(s, len, &rc_, NULL);
    ok(tlog_receipt_format_extra(rc_.index, rc_.proof, rc_.n, "context", 7, rc_.checkpoint, rc_.checkpoint_len, &b) == 0 &&
       strstr(b.data, "\nextra Y29udGV4dA==\nindex 6\n") != NULL, "format with extra");
    {
        struct bf_buf copy = BF_BUF_INIT;
        int okk = bf_buf_append(&copy, b.data, b.len) == 0 && tlog_receipt_parse(copy.data, copy.len, &rc_, &err) == 0 &&
                  rc_.extra_len == 7 && memcmp(rc_.extra, "context", 7) == 0 &&
                  tlog_receipt_verify(&rc_, &leaf, &vk, 1, NULL, &err) == 0;
        ok(okk, "receipt with extra parses and verifies %s", err.msg);
        bf_buf_free(&copy);
    }
    bf_buf_free(&b);
    free(s);
}

static void test_generated(void)
{
    struct tlog_skey sk, stranger;
    struct tlog_vkey vk, vs;
    struct tlog_range r;
    tlog_hash leaves[15], root, proof[TLOG_MAX_PROOF];
    struct bf_buf cp = BF_BUF_INIT, b = BF_BUF_INIT;
    struct bf_err err = {0};
    int i, allok = 1;

    tlog_skey_parse(TU_TESSERA_SKEY, strlen(TU_TESSERA_SKEY), &sk, NULL);
    tlog_vkey_parse(TU_TESSERA_VKEY, strlen(TU_TESSERA_VKEY), &vk, NULL);
    tlog_range_init(&r);
    for (i = 0; i < 15; i++) {
        tlog_leaf_hash(tu_tessera_leaves[i], strlen(tu_tessera_leaves[i]), &leaves[i]);
        tlog_range_append(&r, &leaves[i]);
    }
    tlog_range_root(&r, &root);
    if (tlog_checkpoint_sign(&sk, "example.com/log/testdata", 15, &root, &cp, &err) < 0) {
        ok(0, "sign checkpoint: %s", err.msg);
        return;
    }
    /* Proofs from a reader that computes complete subtrees on demand. */
    for (i = 0; i < 15 && allok; i++) {
        int n = 0;
        bf_buf_reset(&b);
        allok = tlog_prove_inclusion((uint64_t)i, 15, test_reader, leaves, proof, &n, &err) == 0 &&
                tlog_receipt_format((uint64_t)i, proof, n, cp.data, cp.len, &b) == 0 &&
                tlog_receipt_parse(b.data, b.len, &rc_, &err) == 0 &&
                tlog_receipt_verify(&rc_, &leaves[i], &vk, 1, NULL, &err) == 0 &&
                tlog_receipt_verify(&rc_, &leaves[(i + 1) % 15], &vk, 1, NULL, NULL) == BF_ECRYPTO;
    }
    ok(allok, "receipts for all 15 leaves round trip and bind their leaf %s", allok ? "" : err.msg);

    /* Origin must be the log key's name. */
    tlog_skey_generate("other.example/log", TLOG_KEY_ED25519, NULL, &stranger, NULL);
    tlog_skey_public(&stranger, &vs);
    bf_buf_reset(&cp);
    tlog_checkpoint_sign(&stranger, "example.com/log/testdata", 15, &root, &cp, NULL);
    bf_buf_reset(&b);
    tlog_prove_inclusion(0, 15, test_reader, leaves, proof, &i, NULL);
    ok(tlog_receipt_format(0, proof, i, cp.data, cp.len, &b) == 0 && tlog_receipt_parse(b.data, b.len, &rc_, NULL) == 0 &&
       tlog_receipt_verify(&rc_, &leaves[0], &vs, 1, NULL, &err) == BF_ECRYPTO, "origin other than the key name rejected: %s",
       err.msg);
    ok(tlog_receipt_format(0, proof, TLOG_MAX_PROOF + 1, cp.data, cp.len, &b) == BF_EINVAL, "format refuses 65 hashes");
    bf_buf_free(&b);
    bf_buf_free(&cp);
}

static int test_reader(void *ctx, int level, uint64_t idx, tlog_hash *out, struct bf_err *err)
{
    const tlog_hash *leaves = ctx;
    tlog_hash l, r;
    if (level < 0 || level > 4 || ((idx + 1) << level) > 15)
        return bf_err_set(err, BF_ENOTFOUND, "no subtree %d/%" PRIu64, level, idx);
    if (level == 0) {
        *out = leaves[idx];
        return 0;
    }
    test_reader(ctx, level - 1, 2 * idx, &l, err);
    test_reader(ctx, level - 1, 2 * idx + 1, &r, err);
    tlog_node_hash(&l, &r, out);
    return 0;
}

int main(void)
{
    test_tessera_receipt();
    test_generated();
    return tap_done();
}
