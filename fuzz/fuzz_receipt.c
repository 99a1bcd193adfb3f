/*
 * fuzz_receipt.c - libFuzzer target for tlog-proof receipts: a receipt
 * that parses must format back to exactly the input (one spelling only),
 * and is then verified against a fixed log key for two fixed leaves.
 */
#include "common.h"
#include "buf.h"
#include "tlog/tlog.h"
#include "fuzz_util.h"

static struct tlog_receipt r;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct bf_buf b = BF_BUF_INIT;
    struct tlog_checkpoint cp;
    tlog_hash leaf;
    const struct tlog_vkey *keys = fuzz_keys();

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
