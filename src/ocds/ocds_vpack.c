/*
 * ocds_vpack.c - the packed form in which a record row keeps its versioned
 * release.
 *
 * A versioned release wraps every value in
 *   {"releaseDate":"...","releaseID":"...","releaseTag":[...],"value":<v>}
 * and that ~110-byte prefix, repeated for every field of every release,
 * is two thirds of the text (21 KB of a generated record's 32 KB row, and
 * about a third of all the bytes an import writes). A record has only as
 * many distinct prefixes as releases, so the row keeps each once in a
 * table and writes a 0x01 byte and the entry's number in place of each
 * occurrence; reading expands it back at memcpy speed.
 *
 * Format: 0x01 "VP1" varint(unpacked length) varint(entries)
 *         { varint(length) bytes }*  body
 * where every 0x01 byte of body is followed by varint(k): k = 0 stands for
 * a 0x01 byte of the text (JCS never has one: it escapes controls), k > 0
 * for entry k - 1. A varint is 5 bits per byte, in printable ASCII
 * (put_varint).
 *
 * Invariants: packing is a byte substitution, so ocds_vunpack(ocds_vpack(t))
 * is t for any t, whether or not t is a versioned release. A text that
 * packing would not shorten is stored as it is, unless it starts with the
 * packed form's magic. A text that does not start with the magic is plain
 * (rows written before packing existed read as they are). The unpacker checks every
 * length and number against the input, so a damaged row is BF_ECORRUPT,
 * never a read out of bounds.
 */
#include "common.h"
#include "buf.h"
#include "hash.h"
#include "ocds.h"
#include "ocds_vpack_int.h"

#define VP_MAGIC "\001VP1"
#define VP_MAGIC_LEN 4
#define VP_MARK 0x01
#define VP_MAX_PREFIX 1024   /* longer "prefixes" are left in place */
#define VP_MAX_ENTRIES 65536

static const char vp_needle[] = "{\"releaseDate\":\"";
static const char vp_value[] = ",\"value\":";

struct vp_dict {
    struct ocds_vpack_entry *e;
    size_t n, cap;
    uint32_t *slot;      /* open addressing: entry number + 1, 0 = empty */
    size_t nslot;        /* a power of two, at least twice n */
};

/* Numbers are written little-endian in 5-bit groups, one byte each:
 * 0x60 | bits while more follow, 0x40 | bits for the last. Every byte is
 * printable ASCII, so the packed text is still valid UTF-8 for the row's
 * TEXT column. */
static int put_varint(struct bf_buf *b, uint64_t v)
{
    char tmp[13];
    return bf_buf_append(b, tmp, ocds_vpack_varint(tmp, v));
}

/* Reads a number at *i (< len); 0, or -1 if truncated, too long or not
 * one of ours. */
static int get_varint(const unsigned char *d, size_t len, size_t *i, uint64_t *out)
{
    uint64_t v = 0;
    int shift;
    for (shift = 0; shift < 64 && *i < len; shift += 5) {
        unsigned char c = d[(*i)++];
        if ((c & 0xc0) != 0x40)
            return -1;
        v |= (uint64_t)(c & 0x1f) << shift;
        if (!(c & 0x20)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

int ocds_vpack_put_ref(struct bf_buf *body, size_t k, size_t *n)
{
    size_t before = body->len;
    int rc = bf_buf_putc(body, VP_MARK);
    rc = rc ? rc : put_varint(body, (uint64_t)k + 1);
    *n = body->len - before;
    return rc;
}

int ocds_vpack_frame(struct bf_buf *out, uint64_t full, const struct ocds_vpack_entry *entry, size_t n,
                     const char *body, size_t body_len)
{
    size_t i, need = VP_MAGIC_LEN + 26 + body_len, start = out->len;
    int rc;

    for (i = 0; i < n; i++)
        need += entry[i].n + 4;
    rc = bf_buf_reserve(out, need);
    rc = rc ? rc : bf_buf_append(out, VP_MAGIC, VP_MAGIC_LEN);
    rc = rc ? rc : put_varint(out, full);
    rc = rc ? rc : put_varint(out, n);
    for (i = 0; !rc && i < n; i++) {
        rc = put_varint(out, entry[i].n);
        rc = rc ? rc : bf_buf_append(out, entry[i].p, entry[i].n);
    }
    rc = rc ? rc : bf_buf_append(out, body, body_len);
    if (rc < 0 && out->data) {
        out->len = start;
        out->data[start] = '\0';
    }
    return rc;
}

static void dict_grow(struct vp_dict *d)
{
    size_t i, nslot = d->nslot ? d->nslot * 2 : 64;
    uint32_t *slot = bf_xcalloc(nslot, sizeof *slot);
    for (i = 0; i < d->n; i++) {
        size_t h = (size_t)bf_hash(d->e[i].p, d->e[i].n) & (nslot - 1);
        while (slot[h])
            h = (h + 1) & (nslot - 1);
        slot[h] = (uint32_t)(i + 1);
    }
    free(d->slot);
    d->slot = slot;
    d->nslot = nslot;
}

/* The number of entry p[0..n), added if new; -1 when the table is full. */
static long dict_find(struct vp_dict *d, const char *p, size_t n)
{
    size_t h;
    if (2 * (d->n + 1) > d->nslot)
        dict_grow(d);
    h = (size_t)bf_hash(p, n) & (d->nslot - 1);
    for (; d->slot[h]; h = (h + 1) & (d->nslot - 1)) {
        const struct ocds_vpack_entry *e = &d->e[d->slot[h] - 1];
        if (e->n == n && memcmp(e->p, p, n) == 0)
            return (long)d->slot[h] - 1;
    }
    if (d->n == VP_MAX_ENTRIES)
        return -1;
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 16;
        d->e = bf_xrealloc(d->e, d->cap * sizeof *d->e);
    }
    d->e[d->n].p = p;
    d->e[d->n].n = n;
    d->slot[h] = (uint32_t)(d->n + 1);
    return (long)d->n++;
}

/* The next needle in [p, end), or NULL. Most '{' of a versioned release
 * open a needle, so a memchr for it beats a general substring search
 * (glibc's two-way memmem ran at 0.9 GB/s here). */
static const char *find_needle(const char *p, const char *end)
{
    const size_t n = sizeof vp_needle - 1;
    while ((size_t)(end - p) >= n && (p = memchr(p, '{', (size_t)(end - p) - n + 1))) {
        if (memcmp(p, vp_needle, n) == 0)
            return p;
        p++;
    }
    return NULL;
}

/* Length of the prefix starting at p (which holds the needle): up to and
 * including the first ",\"value\":" within VP_MAX_PREFIX bytes, or 0. */
static size_t prefix_len(const char *p, const char *end)
{
    const size_t n = sizeof vp_value - 1;
    const char *q = p + sizeof vp_needle - 1, *stop = (size_t)(end - p) > VP_MAX_PREFIX ? p + VP_MAX_PREFIX : end;
    while ((size_t)(stop - q) >= n && (q = memchr(q, ',', (size_t)(stop - q) - n + 1))) {
        if (memcmp(q, vp_value, n) == 0)
            return (size_t)(q - p) + n;
        q++;
    }
    return 0;
}

/* Text copied into the body, each 0x01 byte escaped as reference 0. */
static int put_run(struct bf_buf *body, const char *p, size_t n)
{
    const char *m;
    int rc = 0;
    while (!rc && n && (m = memchr(p, VP_MARK, n))) {
        rc = bf_buf_append(body, p, (size_t)(m - p) + 1);
        rc = rc ? rc : put_varint(body, 0);
        n -= (size_t)(m - p) + 1;
        p = m + 1;
    }
    return rc ? rc : bf_buf_append(body, p, n);
}

/* The body (occurrences replaced) into body, the entries into d. */
static int pack_body(const char *text, size_t len, struct vp_dict *d, struct bf_buf *body)
{
    const char *p = text, *end = text + len, *hit;
    int rc = 0;

    while (!rc && (hit = find_needle(p, end))) {
        size_t n = prefix_len(hit, end);
        long k = n ? dict_find(d, hit, n) : -1;
        if (k < 0) { /* not a prefix we can table: keep the needle's first byte and go on */
            rc = put_run(body, p, (size_t)(hit - p) + 1);
            p = hit + 1;
            continue;
        }
        size_t refn;
        rc = put_run(body, p, (size_t)(hit - p));
        rc = rc ? rc : ocds_vpack_put_ref(body, (size_t)k, &refn);
        p = hit + n;
    }
    return rc ? rc : put_run(body, p, (size_t)(end - p));
}

int ocds_vpack(const char *text, size_t len, struct bf_buf *out, struct bf_err *err)
{
    struct vp_dict d = { NULL, 0, 0, NULL, 0 };
    struct bf_buf body = BF_BUF_INIT;
    size_t start = out->len, i, need;
    int rc;

    if (len == 0)
        goto plain;
    bf_buf_init(&body, 2 * len + 16); /* escaped 0x01 bytes take two */
    if ((rc = pack_body(text, len, &d, &body)) < 0)
        goto fail;
    need = VP_MAGIC_LEN + 26 + body.len;
    for (i = 0; i < d.n; i++)
        need += d.e[i].n + 4;
    if ((d.n == 0 || need >= len) && !ocds_vpacked(text, len)) /* nothing gained */
        goto plain_free;
    if ((rc = ocds_vpack_frame(out, len, d.e, d.n, body.data, body.len)) < 0)
        goto fail;
    goto out;
plain_free:
    free(d.e);
    free(d.slot);
    bf_buf_free(&body);
plain:
    if ((rc = bf_buf_append(out, text, len)) < 0)
        return bf_err_set(err, rc, "versioned release: %zu bytes do not fit the buffer", len);
    return 0;
fail:
    out->len = start;
    if (out->data)
        out->data[start] = '\0';
    rc = bf_err_set(err, rc, "versioned release: packing %zu bytes: out of room", len);
out:
    free(d.e);
    free(d.slot);
    bf_buf_free(&body);
    return rc;
}

int ocds_vpacked(const char *data, size_t len)
{
    return len >= VP_MAGIC_LEN && memcmp(data, VP_MAGIC, VP_MAGIC_LEN) == 0;
}

size_t ocds_vunpacked_len(const char *data, size_t len)
{
    size_t i = VP_MAGIC_LEN;
    uint64_t full;
    if (!ocds_vpacked(data, len) || get_varint((const unsigned char *)data, len, &i, &full) < 0 ||
        full > ((size_t)1 << 30))
        return len;
    return (size_t)full;
}

/* Reads the header: unpacked length, entry table (offsets into d) into
 * tab, or into a heap table (*heap, caller frees) if it has more than
 * ntab entries. */
static int read_head(const unsigned char *d, size_t len, size_t *i, uint64_t *full, struct ocds_vpack_entry *tab,
                     size_t ntab, struct ocds_vpack_entry **heap, struct ocds_vpack_entry **out, uint64_t *n, struct bf_err *err)
{
    uint64_t k, elen;
    *i = VP_MAGIC_LEN;
    *heap = NULL;
    if (get_varint(d, len, i, full) < 0 || get_varint(d, len, i, n) < 0 || *n > VP_MAX_ENTRIES ||
        *full > ((size_t)1 << 30))
        return bf_err_set(err, BF_ECORRUPT, "packed versioned release: bad header");
    if (*n > ntab)
        tab = *heap = bf_xcalloc((size_t)*n, sizeof *tab);
    *out = tab;
    for (k = 0; k < *n; k++) {
        if (get_varint(d, len, i, &elen) < 0 || elen > len - *i)
            return bf_err_set(err, BF_ECORRUPT, "packed versioned release: entry %" PRIu64 " runs past the end", k);
        tab[k].p = (const char *)d + *i;
        tab[k].n = (size_t)elen;
        *i += (size_t)elen;
    }
    return 0;
}

/* Writes the body into w[0..full): the read path of every record, so it
 * copies straight into the reserved space. -1 if the body does not make
 * exactly full bytes or holds a bad reference. */
static int unpack_body(const unsigned char *d, size_t len, size_t i, const struct ocds_vpack_entry *tab, uint64_t n,
                       char *w, size_t full, size_t *bad_at)
{
    char *const wend = w + full;
    uint64_t k;

    while (i < len) {
        const unsigned char *m = memchr(d + i, VP_MARK, len - i);
        size_t run = m ? (size_t)(m - (d + i)) : len - i;
        if (run > (size_t)(wend - w))
            goto bad;
        memcpy(w, d + i, run);
        w += run;
        i += run;
        if (!m)
            break;
        i++;
        if (get_varint(d, len, &i, &k) < 0 || k > n)
            goto bad;
        if (k == 0) {
            if (w == wend)
                goto bad;
            *w++ = (char)VP_MARK;
        } else {
            if (tab[k - 1].n > (size_t)(wend - w))
                goto bad;
            memcpy(w, tab[k - 1].p, tab[k - 1].n);
            w += tab[k - 1].n;
        }
    }
    if (w == wend)
        return 0;
bad:
    *bad_at = i;
    return -1;
}

int ocds_vunpack(const char *data, size_t len, struct bf_buf *out, struct bf_err *err)
{
    const unsigned char *d = (const unsigned char *)data;
    struct ocds_vpack_entry local[64], *heap = NULL, *tab = NULL;
    uint64_t full = 0, n = 0;
    size_t i, bad_at = 0;
    int rc;

    if (!ocds_vpacked(data, len)) {
        if ((rc = bf_buf_append(out, data, len)) < 0)
            return bf_err_set(err, rc, "versioned release: %zu bytes do not fit the buffer", len);
        return 0;
    }
    if ((rc = read_head(d, len, &i, &full, local, BF_ARRAY_LEN(local), &heap, &tab, &n, err)) < 0)
        goto out;
    if ((rc = bf_buf_reserve(out, (size_t)full)) < 0) {
        rc = bf_err_set(err, rc, "versioned release: %" PRIu64 " bytes do not fit the buffer", full);
        goto out;
    }
    if (unpack_body(d, len, i, tab, n, out->data + out->len, (size_t)full, &bad_at) < 0) {
        if (out->data)
            out->data[out->len] = '\0';
        rc = bf_err_set(err, BF_ECORRUPT, "packed versioned release: bad reference or length at byte %zu",
                        bad_at);
        goto out;
    }
    out->len += (size_t)full;
    out->data[out->len] = '\0';
out:
    free(heap);
    return rc;
}
