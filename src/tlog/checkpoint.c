/*
 * checkpoint.c - C2SP tlog-checkpoint v1.0.0: the note text
 * "origin\nsize\nbase64(root)\n" plus optional extension lines, and its
 * signing by the log key.
 *
 * Invariants: the size is canonical decimal (no leading zeros, "0" for the
 * empty tree, fits in 64 bits); the root is exactly 44 base64 characters
 * decoding to 32 bytes; none of the first three lines is empty and every
 * extension line is non-empty. The parser accepts any non-empty origin
 * without control characters (sum.golang.org's origin has spaces); the
 * formatter refuses an origin with a newline or of TLOG_NAME_MAX bytes or
 * more, so it can never produce a text the parser rejects.
 */
#include "common.h"
#include "buf.h"
#include "enc.h"
#include "tlog.h"
#include "tlog_int.h"

/* Next line of text[*pos..len) without its '\n'; BF_EINVAL if unterminated. */
static int next_line(const char *text, size_t len, size_t *pos, const char **line, size_t *llen)
{
    const char *p = text + *pos, *nl;

    if (*pos >= len)
        return BF_EINVAL;
    nl = memchr(p, '\n', len - *pos);
    if (!nl)
        return BF_EINVAL;
    *line = p;
    *llen = (size_t)(nl - p);
    *pos += *llen + 1;
    return 0;
}

int tlog_checkpoint_parse(const char *text, size_t len, struct tlog_checkpoint *out, struct bf_err *err)
{
    const char *l;
    size_t ll, pos = 0, i;

    memset(out, 0, sizeof *out);
    if (len == 0 || text[len - 1] != '\n')
        return bf_err_set(err, BF_EINVAL, "checkpoint: text must end in a newline");
    if (next_line(text, len, &pos, &l, &ll) < 0 || ll == 0)
        return bf_err_set(err, BF_EINVAL, "checkpoint: missing origin line");
    if (ll >= TLOG_NAME_MAX)
        return bf_err_set(err, BF_EINVAL, "checkpoint: origin longer than %d bytes", TLOG_NAME_MAX - 1);
    for (i = 0; i < ll; i++)
        if ((unsigned char)l[i] < 0x20 || l[i] == 0x7f)
            return bf_err_set(err, BF_EINVAL, "checkpoint: control character in origin");
    if (!bf_utf8_valid(l, ll))
        return bf_err_set(err, BF_EINVAL, "checkpoint: origin is not UTF-8");
    memcpy(out->origin, l, ll);
    out->origin[ll] = '\0';
    if (next_line(text, len, &pos, &l, &ll) < 0 || tlog_parse_u64(l, ll, &out->size) < 0)
        return bf_err_set(err, BF_EINVAL, "checkpoint: tree size is not a canonical decimal");
    if (next_line(text, len, &pos, &l, &ll) < 0 || tlog_parse_hash(l, ll, out->root.b) < 0)
        return bf_err_set(err, BF_EINVAL, "checkpoint: root hash is not base64 of 32 bytes");
    out->ext = text + pos;
    out->ext_len = len - pos;
    while (pos < len) {
        if (next_line(text, len, &pos, &l, &ll) < 0 || ll == 0)
            return bf_err_set(err, BF_EINVAL, "checkpoint: empty extension line");
    }
    if (out->ext_len == 0)
        out->ext = NULL;
    return 0;
}

int tlog_checkpoint_format(const char *origin, uint64_t size, const tlog_hash *root, struct bf_buf *out)
{
    char b64[44 + 1];
    size_t olen = strlen(origin), start = out->len, i;
    int rc;

    if (olen == 0 || olen >= TLOG_NAME_MAX || !bf_utf8_valid(origin, olen))
        return BF_EINVAL;
    for (i = 0; i < olen; i++)
        if ((unsigned char)origin[i] < 0x20 || origin[i] == 0x7f)
            return BF_EINVAL;
    bf_b64_encode(root->b, TLOG_HASH_LEN, b64);
    rc = bf_buf_printf(out, "%s\n%" PRIu64 "\n%s\n", origin, size, b64);
    if (rc < 0)
        tlog_buf_rollback(out, start);
    return rc;
}

int tlog_checkpoint_sign(const struct tlog_skey *k, const char *origin, uint64_t size,
                         const tlog_hash *root, struct bf_buf *out, struct bf_err *err)
{
    size_t start = out->len;
    int rc;

    if ((rc = tlog_checkpoint_format(origin, size, root, out)) < 0) {
        bf_err_set(err, rc, "checkpoint: cannot format (bad origin or buffer full)");
        goto fail;
    }
    if ((rc = bf_buf_putc(out, '\n')) < 0) {
        bf_err_set(err, rc, "checkpoint: buffer full");
        goto fail;
    }
    /* The text lives in out itself: tlog_note_sign reads it (and signs)
     * before it appends, so a reallocation of out cannot invalidate it. */
    if ((rc = tlog_note_sign(k, out->data + start, out->len - start - 1, out, err)) < 0)
        goto fail;
    return 0;
fail:
    tlog_buf_rollback(out, start);
    return rc;
}
