/*
 * req.c - the tlog-witness add-checkpoint request body: "old N\n", zero to
 * 63 base64 consistency-proof hashes one per line, an empty line, then the
 * signed checkpoint verbatim.
 *
 * Invariants: parsing is a single forward pass that never reads beyond
 * len (the body need not be NUL-terminated); sizes are canonical decimals
 * (no sign, no leading zero, no overflow); every proof line is exactly 44
 * base64 characters decoding to 32 bytes; the checkpoint part is returned
 * as a pointer into the caller's buffer and is left for the note parser to
 * judge, except that it must be non-empty.
 */
#include "common.h"
#include "buf.h"
#include "enc.h"
#include "witness.h"

/* Length of the line at s[0..n) without its '\n', or -1 if unterminated. */
static long line_len(const char *s, size_t n)
{
    const char *nl = memchr(s, '\n', n);
    return nl ? (long)(nl - s) : -1;
}

int witness_req_parse(const char *body, size_t len, struct witness_req *out, struct bf_err *err)
{
    size_t pos = 0;
    long l;

    memset(out, 0, sizeof *out);
    if (len > WITNESS_MAX_BODY)
        return bf_err_set(err, BF_ELIMIT, "request body of %zu bytes exceeds %d", len, WITNESS_MAX_BODY);
    l = line_len(body, len);
    if (l < 4 || memcmp(body, "old ", 4) != 0)
        return bf_err_set(err, BF_EINVAL, "request must start with a line \"old <size>\"");
    if (tlog_parse_u64(body + 4, (size_t)l - 4, &out->old) < 0)
        return bf_err_set(err, BF_EINVAL, "old size \"%.*s\" is not a canonical decimal",
                          (int)BF_MIN(l - 4, 40), body + 4);
    pos = (size_t)l + 1;
    for (;;) {
        l = line_len(body + pos, len - pos);
        if (l < 0)
            return bf_err_set(err, BF_EINVAL, "request ends before the empty line that precedes the checkpoint");
        if (l == 0)
            break;
        if (out->nproof == WITNESS_MAX_PROOF)
            return bf_err_set(err, BF_EINVAL, "more than %d consistency proof lines", WITNESS_MAX_PROOF);
        if (l != 44 || bf_b64_decode(body + pos, 44, out->proof[out->nproof].b, TLOG_HASH_LEN) != TLOG_HASH_LEN)
            return bf_err_set(err, BF_EINVAL, "proof line %d is not a base64 SHA-256 hash", out->nproof + 1);
        out->nproof++;
        pos += (size_t)l + 1;
    }
    pos++;
    if (pos >= len)
        return bf_err_set(err, BF_EINVAL, "request has no checkpoint after the empty line");
    out->cp = body + pos;
    out->cp_len = len - pos;
    return 0;
}

int witness_req_format(uint64_t old, const tlog_hash *proof, int n, const char *cp, size_t cp_len,
                       struct bf_buf *out)
{
    char b64[48];
    int i, rc;

    if ((rc = bf_buf_printf(out, "old %" PRIu64 "\n", old)) < 0)
        return rc;
    for (i = 0; i < n; i++) {
        bf_b64_encode(proof[i].b, TLOG_HASH_LEN, b64);
        if ((rc = bf_buf_printf(out, "%s\n", b64)) < 0)
            return rc;
    }
    if ((rc = bf_buf_putc(out, '\n')) < 0)
        return rc;
    return bf_buf_append(out, cp, cp_len);
}
