/*
 * tile.c - C2SP tlog-tiles: tile paths "<L>/<N>[.p/<W>]" and
 * "entries/<N>[.p/<W>]", tile widths for a tree size, hash-tile contents
 * read from stored subtrees, and entry bundles (u16be length ‖ entry).
 *
 * Invariants: every path has exactly one spelling. N is written in groups
 * of three digits, all but the last prefixed with 'x', the first group of
 * a multi-group N is never x000, and N fits in 64 bits (at most seven
 * groups); L is 0..63 and W is 1..255, both in decimal without leading
 * zeros; nothing may follow. tlog_tile_format_path is the inverse of the
 * parser, so parse(format(t)) == t for every valid t. A level-l hash tile
 * holds hashes of subtrees of 256^l leaves (Merkle level 8*l); partial
 * tiles are never hashed upward.
 */
#include "common.h"
#include "buf.h"
#include "tlog.h"
#include "tlog_int.h"

/* Canonical decimal of at most maxdig digits at s[*pos], ending before a
 * non-digit. */
static int parse_small(const char *s, size_t len, size_t *pos, int maxdig, unsigned *out)
{
    size_t start = *pos;
    unsigned v = 0;

    while (*pos < len && s[*pos] >= '0' && s[*pos] <= '9') {
        if ((int)(*pos - start) == maxdig)
            return BF_EINVAL;
        v = v * 10 + (unsigned)(s[*pos] - '0');
        (*pos)++;
    }
    if (*pos == start || (s[start] == '0' && *pos - start > 1))
        return BF_EINVAL;
    *out = v;
    return 0;
}

static int three_digits(const char *s, size_t len, size_t pos, unsigned *out)
{
    size_t i;
    unsigned v = 0;

    if (len - pos < 3)
        return BF_EINVAL;
    for (i = 0; i < 3; i++) {
        if (s[pos + i] < '0' || s[pos + i] > '9')
            return BF_EINVAL;
        v = v * 10 + (unsigned)(s[pos + i] - '0');
    }
    *out = v;
    return 0;
}

int tlog_tile_parse_path(const char *s, size_t len, struct tlog_tile *out, struct bf_err *err)
{
    size_t pos = 0;
    unsigned v;
    uint64_t n = 0;
    int groups = 0;

    memset(out, 0, sizeof *out);
    if (len >= 8 && memcmp(s, "entries/", 8) == 0) {
        out->level = -1;
        pos = 8;
    } else {
        if (parse_small(s, len, &pos, 2, &v) < 0 || v > 63 || pos >= len || s[pos] != '/')
            return bf_err_set(err, BF_EINVAL, "tile path: level must be 0..63 without leading zeros");
        out->level = (int)v;
        pos++;
    }
    for (;;) {
        int last = pos >= len || s[pos] != 'x';
        if (!last)
            pos++;
        if (three_digits(s, len, pos, &v) < 0)
            return bf_err_set(err, BF_EINVAL, "tile path: index groups must be three digits");
        pos += 3;
        if (++groups > 7 || n > (UINT64_MAX - v) / 1000)
            return bf_err_set(err, BF_EINVAL, "tile path: index overflows 64 bits");
        if (groups == 1 && !last && v == 0)
            return bf_err_set(err, BF_EINVAL, "tile path: index has a leading x000 group");
        n = n * 1000 + v;
        if (last)
            break;
        if (pos >= len || s[pos] != '/')
            return bf_err_set(err, BF_EINVAL, "tile path: x group must be followed by '/'");
        pos++;
    }
    out->n = n;
    out->width = TLOG_TILE_WIDTH;
    if (pos == len)
        return 0;
    if (len - pos < 3 || memcmp(s + pos, ".p/", 3) != 0)
        return bf_err_set(err, BF_EINVAL, "tile path: unexpected characters after the index");
    pos += 3;
    if (parse_small(s, len, &pos, 3, &v) < 0 || v < 1 || v > 255 || pos != len)
        return bf_err_set(err, BF_EINVAL, "tile path: partial width must be 1..255 and end the path");
    out->width = (int)v;
    return 0;
}

int tlog_tile_format_path(const struct tlog_tile *t, struct bf_buf *out)
{
    unsigned g[7];
    uint64_t n = t->n;
    size_t start = out->len;
    int ng = 0, rc = 0, i;

    if (t->level < -1 || t->level > 63 || t->width < 1 || t->width > TLOG_TILE_WIDTH)
        return BF_EINVAL;
    do {
        g[ng++] = (unsigned)(n % 1000);
        n /= 1000;
    } while (n);
    if (t->level < 0)
        rc = bf_buf_puts(out, "entries/");
    else
        rc = bf_buf_printf(out, "%d/", t->level);
    for (i = ng - 1; rc == 0 && i >= 0; i--)
        rc = bf_buf_printf(out, i ? "x%03u/" : "%03u", g[i]);
    if (rc == 0 && t->width < TLOG_TILE_WIDTH)
        rc = bf_buf_printf(out, ".p/%d", t->width);
    if (rc < 0)
        tlog_buf_rollback(out, start);
    return rc;
}

int tlog_tile_width(int level, uint64_t n, uint64_t size)
{
    uint64_t units, full;

    if (level < -1 || level > 63)
        return 0;
    if (level < 0)
        level = 0;
    if (8 * level >= 64)
        return 0;
    units = size >> (8 * level);
    full = units / TLOG_TILE_WIDTH;
    if (n < full)
        return TLOG_TILE_WIDTH;
    if (n == full)
        return (int)(units % TLOG_TILE_WIDTH);
    return 0;
}

int tlog_tile_hashes(const struct tlog_tile *t, tlog_hash_reader rd, void *ctx, struct bf_buf *out,
                     struct bf_err *err)
{
    size_t start = out->len;
    tlog_hash h;
    int i, rc;

    if (t->level < 0 || t->level > 7 || t->width < 1 || t->width > TLOG_TILE_WIDTH ||
        (t->level == 7 ? t->n != 0 : t->n > (UINT64_MAX >> (8 * t->level + 8))))
        return bf_err_set(err, BF_EINVAL, "tile: no hash tile at level %d index %" PRIu64, t->level, t->n);
    if ((rc = bf_buf_reserve(out, (size_t)t->width * TLOG_HASH_LEN)) < 0)
        return bf_err_set(err, rc, "tile: buffer full");
    for (i = 0; i < t->width; i++) {
        if ((rc = rd(ctx, 8 * t->level, t->n * TLOG_TILE_WIDTH + (uint64_t)i, &h, err)) < 0)
            goto fail;
        if ((rc = bf_buf_append(out, h.b, TLOG_HASH_LEN)) < 0) {
            bf_err_set(err, rc, "tile: buffer full");
            goto fail;
        }
    }
    return 0;
fail:
    tlog_buf_rollback(out, start);
    return rc;
}

int tlog_bundle_append(struct bf_buf *out, const void *entry, size_t len)
{
    uint8_t hdr[2];
    size_t start = out->len;
    int rc;

    if (len > TLOG_MAX_ENTRY)
        return BF_ELIMIT;
    hdr[0] = (uint8_t)(len >> 8);
    hdr[1] = (uint8_t)len;
    if ((rc = bf_buf_append(out, hdr, 2)) == 0 && len)
        rc = bf_buf_append(out, entry, len);
    if (rc < 0)
        tlog_buf_rollback(out, start);
    return rc;
}

int tlog_bundle_next(const uint8_t *b, size_t blen, size_t *pos, const uint8_t **entry, size_t *len)
{
    size_t n;

    if (*pos >= blen)
        return 0;
    if (blen - *pos < 2)
        return BF_EINVAL;
    n = (size_t)b[*pos] << 8 | b[*pos + 1];
    if (blen - *pos - 2 < n)
        return BF_EINVAL;
    *entry = b + *pos + 2;
    *len = n;
    *pos += 2 + n;
    return 1;
}
