/*
 * store_pack_codec.c - the packed form of a stored value: the prefix
 * "\x02L", the dictionary's number and the text's length as
 * little-endian base-128 varints, then one LZ4 block compressed against
 * the dictionary. See store_pack.h for what is packed and why.
 *
 * Why LZ4 blocks: the workers pack every row of an import, so packing
 * is on the critical path. Against the same trained dictionary, zstd
 * level 1 packed releases 8.7x at 3-4 us and LZ4 6x at 1.7 us (records:
 * 28 us against 14 us); the store is CPU-bound, not disk-bound, once rows
 * are a fifth of their size. LZ4 frames (with a checksum) cost a third
 * more again.
 *
 * Invariants: decode never reads outside p[0..n) or the dictionary, never
 * writes past len, and accepts a block only if it decodes to exactly len
 * bytes; a malformed block is BF_ECORRUPT. There is no checksum: as with a
 * plain row, a changed literal byte reads as a changed text. A release's
 * text is proved by its digest in the log: `belfry check` reads every
 * release back against its entry (ocds_audit_releases).
 */
#include "common.h"
#include "buf.h"
#include "store_pack.h"
#include "store_pack_int.h"

static size_t put_varint(unsigned char *p, uint64_t v)
{
    size_t n = 0;
    do {
        p[n++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    return n;
}

/* A varint of at most max bytes at b[*i..n): 0, or BF_ECORRUPT. */
static int get_varint(const unsigned char *b, size_t n, size_t *i, size_t max, uint64_t *v)
{
    size_t k;
    *v = 0;
    for (k = 0; k < max && *i < n; k++) {
        unsigned char c = b[(*i)++];
        *v |= (uint64_t)(c & 0x7f) << (7 * k);
        if (!(c & 0x80))
            return 0;
    }
    return BF_ECORRUPT;
}

int store_pack_is_packed(const void *p, size_t n)
{
    const unsigned char *b = p;
    return n >= 2 && b[0] == STORE_PACK_MAGIC0 && b[1] == STORE_PACK_MAGIC1;
}

int store_pack_header(const void *p, size_t n, uint32_t *id, uint64_t *len, size_t *hlen)
{
    const unsigned char *b = p;
    uint64_t v, l;
    size_t i = 2;

    if (!store_pack_is_packed(p, n))
        return 0;
    if (get_varint(b, n, &i, 5, &v) < 0 || v == 0 || v > UINT32_MAX || get_varint(b, n, &i, 10, &l) < 0)
        return BF_ECORRUPT;
    *id = (uint32_t)v;
    *len = l;
    *hlen = i;
    return 1;
}

int store_pack_encode(const LZ4_stream_t *base, uint32_t id, const char *text, size_t len, struct bf_buf *out)
{
    LZ4_stream_t st;
    size_t h;
    int got, bound;

    if (len > (size_t)LZ4_MAX_INPUT_SIZE)
        return 0;
    bound = LZ4_compressBound((int)len);
    bf_buf_reset(out);
    if (bf_buf_reserve(out, 2 + 5 + 10 + (size_t)bound) < 0)
        return 0;
    out->data[0] = STORE_PACK_MAGIC0, out->data[1] = STORE_PACK_MAGIC1;
    h = 2 + put_varint((unsigned char *)out->data + 2, id);
    h += put_varint((unsigned char *)out->data + h, len);
    /* a copy of the dictionary's loaded state: loading it again would
     * hash the whole dictionary for every value */
    memcpy(&st, base, sizeof st);
    got = LZ4_compress_fast_continue(&st, text, out->data + h, (int)len, bound, 1);
    if (got <= 0 || h + (size_t)got >= len)
        return 0;
    out->len = h + (size_t)got;
    out->data[out->len] = '\0';
    return 1;
}

int store_pack_decode(const char *dict, size_t dictlen, const void *p, size_t n, size_t hlen, uint64_t len,
                      struct bf_buf *out, struct bf_err *err)
{
    int got;

    if (len > STORE_PACK_MAX || len > (uint64_t)LZ4_MAX_INPUT_SIZE || n - hlen > (size_t)INT32_MAX)
        return bf_err_set(err, BF_ELIMIT, "packed value: %llu bytes unpacked, over the limit", (unsigned long long)len);
    bf_buf_reset(out);
    if (bf_buf_reserve(out, (size_t)len) < 0)
        return bf_err_set(err, BF_ELIMIT, "packed value: %llu bytes unpacked, over the limit", (unsigned long long)len);
    got = LZ4_decompress_safe_usingDict((const char *)p + hlen, out->data, (int)(n - hlen), (int)len, dict,
                                        (int)dictlen);
    if (got < 0 || (uint64_t)got != len) {
        out->data[0] = '\0';
        return bf_err_set(err, BF_ECORRUPT, "packed value: %s",
                          got < 0 ? "damaged LZ4 block" : "length does not match its header");
    }
    out->len = (size_t)got;
    out->data[got] = '\0';
    return 0;
}
