/*
 * fuzz_witness_req.c - libFuzzer target for the tlog-witness add-checkpoint
 * request body: whatever witness_req_parse accepts must format back to
 * the same bytes (one spelling only), its checkpoint part goes through the
 * note and checkpoint parsers, and its proof through the consistency
 * verifier (which must fail cleanly, never crash, on arbitrary hashes).
 * The seed corpus (fuzz/corpus/fuzz_witness_req/) holds real requests made
 * with a Belfry log: old 0, growth with proofs, equal sizes, and near
 * misses (leading zero, missing blank line, short hash).
 */
#include "common.h"
#include "buf.h"
#include "tlog/tlog.h"
#include "witness/witness.h"

static struct witness_req req, again;
static struct tlog_note note;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    struct bf_buf out = BF_BUF_INIT;
    struct tlog_checkpoint cp;

    if (witness_req_parse(s, size, &req, NULL) < 0)
        return 0;
    if (req.cp < s || req.cp + req.cp_len != s + size || req.nproof < 0 || req.nproof > WITNESS_MAX_PROOF)
        abort();
    if (witness_req_format(req.old, req.proof, req.nproof, req.cp, req.cp_len, &out) < 0)
        abort();
    if (out.len != size || memcmp(out.data, s, size) != 0)
        abort();
    if (witness_req_parse(out.data, out.len, &again, NULL) < 0 || again.old != req.old || again.nproof != req.nproof ||
        memcmp(again.proof, req.proof, sizeof(tlog_hash) * (size_t)req.nproof) != 0)
        abort();
    bf_buf_free(&out);
    if (tlog_note_parse(req.cp, req.cp_len, &note, NULL) < 0 ||
        tlog_checkpoint_parse(note.text, note.text_len, &cp, NULL) < 0)
        return 0;
    if (req.old > 0 && req.old <= cp.size)
        (void)tlog_verify_consistency(req.old, cp.size, &cp.root, &cp.root, req.proof, req.nproof, NULL);
    return 0;
}
