/*
 * proof.c - c2sp.org/tlog-proof@v1 receipts: an offline-verifiable bundle
 * of a leaf index, its inclusion proof and the signed (and possibly
 * cosigned) checkpoint it is proved against.
 *
 *     c2sp.org/tlog-proof@v1
 *     [extra <base64>]
 *     index <i>
 *     <base64 hash>            (0..64 lines, leaf's sibling first)
 *
 *     <checkpoint note, verbatim>
 *
 * Invariants: the index is canonical decimal; every proof line is exactly
 * 44 base64 characters of a 32-byte hash; the checkpoint is kept verbatim
 * (pointer into the input) so signatures still verify. Parsing checks the
 * framing only; tlog_receipt_verify does the cryptography: the log key
 * (keys[0]) must have signed a checkpoint whose origin is its name, every
 * other known key present must verify, and the proof must include the
 * leaf at the index in that checkpoint's tree.
 */
#include "common.h"
#include "buf.h"
#include "enc.h"
#include "tlog.h"
#include "tlog_int.h"

#define RECEIPT_HEADER "c2sp.org/tlog-proof@v1"

int tlog_receipt_format_extra(uint64_t index, const tlog_hash *proof, int n, const void *extra,
                              size_t extra_len, const char *checkpoint, size_t cplen, struct bf_buf *out)
{
    size_t start = out->len;
    char b64[44 + 1];
    int i, rc;

    if (n < 0 || n > TLOG_MAX_PROOF || cplen == 0 || (extra && extra_len == 0) ||
        extra_len > sizeof(((struct tlog_receipt *)0)->extrabuf))
        return BF_EINVAL;
    rc = bf_buf_puts(out, RECEIPT_HEADER "\n");
    if (rc == 0 && extra) {
        char *e = bf_xmalloc(bf_b64_len(extra_len) + 1);
        bf_b64_encode(extra, extra_len, e);
        rc = bf_buf_printf(out, "extra %s\n", e);
        free(e);
    }
    if (rc == 0)
        rc = bf_buf_printf(out, "index %" PRIu64 "\n", index);
    for (i = 0; rc == 0 && i < n; i++) {
        bf_b64_encode(proof[i].b, TLOG_HASH_LEN, b64);
        rc = bf_buf_printf(out, "%s\n", b64);
    }
    if (rc == 0)
        rc = bf_buf_putc(out, '\n');
    if (rc == 0)
        rc = bf_buf_append(out, checkpoint, cplen);
    if (rc < 0)
        tlog_buf_rollback(out, start);
    return rc;
}

int tlog_receipt_format(uint64_t index, const tlog_hash *proof, int n, const char *checkpoint, size_t cplen,
                        struct bf_buf *out)
{
    return tlog_receipt_format_extra(index, proof, n, NULL, 0, checkpoint, cplen, out);
}

/* Next line of s[*pos..len) without '\n'; 0 if none is terminated. */
static int line_at(const char *s, size_t len, size_t *pos, const char **l, size_t *ll)
{
    const char *nl;
    if (*pos >= len)
        return 0;
    nl = memchr(s + *pos, '\n', len - *pos);
    if (!nl)
        return 0;
    *l = s + *pos;
    *ll = (size_t)(nl - *l);
    *pos += *ll + 1;
    return 1;
}

int tlog_receipt_parse(const char *s, size_t len, struct tlog_receipt *out, struct bf_err *err)
{
    const char *l;
    size_t ll, pos = 0;
    long n;

    out->index = 0;
    out->n = 0;
    out->extra = NULL;
    out->extra_len = 0;
    out->checkpoint = NULL;
    out->checkpoint_len = 0;
    if (!line_at(s, len, &pos, &l, &ll) || ll != strlen(RECEIPT_HEADER) || memcmp(l, RECEIPT_HEADER, ll) != 0)
        return bf_err_set(err, BF_EINVAL, "receipt: first line must be " RECEIPT_HEADER);
    if (!line_at(s, len, &pos, &l, &ll))
        return bf_err_set(err, BF_EINVAL, "receipt: missing index line");
    if (ll >= 6 && memcmp(l, "extra ", 6) == 0) {
        n = bf_b64_decode(l + 6, ll - 6, out->extrabuf, sizeof out->extrabuf);
        if (n <= 0)
            return bf_err_set(err, n == BF_ELIMIT ? BF_ELIMIT : BF_EINVAL,
                              "receipt: extra must be non-empty base64 of at most %zu bytes", sizeof out->extrabuf);
        out->extra = out->extrabuf;
        out->extra_len = (size_t)n;
        if (!line_at(s, len, &pos, &l, &ll))
            return bf_err_set(err, BF_EINVAL, "receipt: missing index line");
    }
    if (ll < 6 || memcmp(l, "index ", 6) != 0 || tlog_parse_u64(l + 6, ll - 6, &out->index) < 0)
        return bf_err_set(err, BF_EINVAL, "receipt: want \"index <canonical decimal>\"");
    for (;;) {
        if (!line_at(s, len, &pos, &l, &ll))
            return bf_err_set(err, BF_EINVAL, "receipt: missing blank line before the checkpoint");
        if (ll == 0)
            break;
        if (out->n == TLOG_MAX_PROOF)
            return bf_err_set(err, BF_EINVAL, "receipt: more than %d proof hashes", TLOG_MAX_PROOF);
        if (tlog_parse_hash(l, ll, out->proof[out->n].b) < 0)
            return bf_err_set(err, BF_EINVAL, "receipt: proof line %d is not base64 of 32 bytes", out->n + 1);
        out->n++;
    }
    if (pos >= len)
        return bf_err_set(err, BF_EINVAL, "receipt: no checkpoint");
    out->checkpoint = s + pos;
    out->checkpoint_len = len - pos;
    return 0;
}

int tlog_receipt_verify(const struct tlog_receipt *r, const tlog_hash *leaf_hash, const struct tlog_vkey *keys,
                        int nkeys, struct tlog_checkpoint *cp, struct bf_err *err)
{
    struct tlog_note *note = NULL;
    struct tlog_checkpoint c;
    int rc;

    if (!r->checkpoint || nkeys < 1)
        return bf_err_set(err, BF_EINVAL, "receipt: no checkpoint or no log key");
    note = bf_xmalloc(sizeof *note);
    if ((rc = tlog_note_parse(r->checkpoint, r->checkpoint_len, note, err)) < 0)
        goto out;
    if ((rc = tlog_note_verify(note, keys, 1, NULL, err)) < 0) {
        bf_err_wrap(err, "receipt: log key %s", keys[0].name);
        goto out;
    }
    if (nkeys > 1 && (rc = tlog_note_verify(note, keys, nkeys, NULL, err)) < 0)
        goto out;
    if ((rc = tlog_checkpoint_parse(note->text, note->text_len, &c, err)) < 0)
        goto out;
    if (strcmp(c.origin, keys[0].name) != 0) {
        rc = bf_err_set(err, BF_ECRYPTO, "receipt: checkpoint origin %s is not the log key's name %s", c.origin,
                        keys[0].name);
        goto out;
    }
    if ((rc = tlog_verify_inclusion(r->index, c.size, leaf_hash, r->proof, r->n, &c.root, err)) < 0) {
        if (rc == BF_EINVAL)
            rc = BF_ECRYPTO; /* index outside the signed tree: a receipt that does not prove */
        bf_err_wrap(err, "receipt");
        if (err)
            err->code = rc;
        goto out;
    }
    if (cp)
        *cp = c;
    rc = 0;
out:
    free(note);
    return rc;
}
