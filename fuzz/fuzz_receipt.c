/*
 * fuzz_receipt.c - libFuzzer target for tlog-proof receipts: a receipt
 * that parses must format back to exactly the input (one spelling only),
 * and is then verified against a fixed log key for two fixed leaves.
 */
#include "common.h"
#include "buf.h"
#include "sha256.h"
#include "tlog/tlog.h"

static struct tlog_vkey keys[2];
static int ready;

static void setup(void)
{
    struct tlog_skey sk;
    uint8_t seed[32];

    bf_sha256("belfry fuzz log key", 19, seed);
    if (tlog_skey_generate("fuzz.example/log", TLOG_KEY_ED25519, seed, &sk, NULL) < 0)
        abort();
    tlog_skey_public(&sk, &keys[0]);
    bf_sha256("belfry fuzz witness key", 23, seed);
    if (tlog_skey_generate("fuzz.example/witness", TLOG_KEY_COSIG_V1, seed, &sk, NULL) < 0)
        abort();
    tlog_skey_public(&sk, &keys[1]);
    ready = 1;
}

static struct tlog_receipt r;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bf_buf b = BF_BUF_INIT;
    struct tlog_checkpoint cp;
    tlog_hash leaf;

    if (!ready)
        setup();
    if (tlog_receipt_parse((const char *)data, size, &r, NULL) == 0) {
        if (r.n < 0 || r.n > TLOG_MAX_PROOF || !r.checkpoint || r.checkpoint_len == 0)
            abort();
        if (tlog_receipt_format_extra(r.index, r.proof, r.n, r.extra, r.extra_len, r.checkpoint, r.checkpoint_len,
                                      &b) != 0 ||
            b.len != size || memcmp(b.data, data, size) != 0)
            abort();
        tlog_leaf_hash("leaf 0", 6, &leaf);
        (void)tlog_receipt_verify(&r, &leaf, keys, 2, &cp, NULL);
        tlog_leaf_hash("leaf 3", 6, &leaf);
        (void)tlog_receipt_verify(&r, &leaf, keys, 1, &cp, NULL);
    }
    bf_buf_free(&b);
    return 0;
}
