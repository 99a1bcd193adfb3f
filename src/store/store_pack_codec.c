/*
 * store_pack_codec.c - the packed form of a stored value: the prefix
 * "\x02Z", the dictionary's number as a little-endian base-128 varint
 * (1 to 5 bytes, never 0), then one zstd frame that records its content
 * size and ends with its checksum. See store_pack.h for what is packed and why.
 *
 * Invariants: decode never reads outside p[0..n) nor writes past the
 * frame's declared size, and accepts a frame only if it decodes to
 * exactly that size; anything else is BF_ECORRUPT, so a damaged row
 * is an error, never a wrong text.
 */
#include "common.h"
#include "buf.h"
#include "store_pack_int.h"

int store_pack_header(const void *p, size_t n, uint32_t *id, size_t *hlen)
{
    const unsigned char *b = p;
    uint64_t v = 0;
    size_t i;

    if (n < 2 || b[0] != STORE_PACK_MAGIC0 || b[1] != STORE_PACK_MAGIC1)
        return 0;
    for (i = 2; i < n && i < 7; i++) {
        v |= (uint64_t)(b[i] & 0x7f) << (7 * (i - 2));
        if (!(b[i] & 0x80)) {
            if (v == 0 || v > UINT32_MAX)
                return BF_ECORRUPT;
            *id = (uint32_t)v;
            *hlen = i + 1;
            return 1;
        }
    }
    return BF_ECORRUPT;
}

int store_pack_encode(ZSTD_CCtx *cc, const ZSTD_CDict *cd, uint32_t id, const char *text, size_t len,
                      struct bf_buf *out)
{
    unsigned char hdr[8];
    size_t h = 2, bound = ZSTD_compressBound(len), got;

    hdr[0] = STORE_PACK_MAGIC0, hdr[1] = STORE_PACK_MAGIC1;
    do {
        hdr[h++] = (unsigned char)((id & 0x7f) | (id > 0x7f ? 0x80 : 0));
        id >>= 7;
    } while (id);
    bf_buf_reset(out);
    if (bf_buf_reserve(out, h + bound) < 0)
        return 0;
    memcpy(out->data, hdr, h);
    /* with the frame's checksum: a damaged row is an error, not a wrong text */
    if (ZSTD_isError(ZSTD_CCtx_reset(cc, ZSTD_reset_session_and_parameters)) ||
        ZSTD_isError(ZSTD_CCtx_refCDict(cc, cd)) || ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1)))
        return 0;
    got = ZSTD_compress2(cc, out->data + h, out->cap - 1 - h, text, len);
    if (ZSTD_isError(got) || h + got >= len)
        return 0;
    out->len = h + got;
    out->data[out->len] = '\0';
    return 1;
}

int store_pack_decode(ZSTD_DCtx *dc, const ZSTD_DDict *dd, const void *p, size_t n, size_t hlen, struct bf_buf *out,
                      struct bf_err *err)
{
    const char *frame = (const char *)p + hlen;
    unsigned long long size = ZSTD_getFrameContentSize(frame, n - hlen);
    size_t got;

    if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN)
        return bf_err_set(err, BF_ECORRUPT, "packed value: damaged frame header");
    if (size > STORE_PACK_MAX)
        return bf_err_set(err, BF_ELIMIT, "packed value: %llu bytes unpacked, over the limit", size);
    bf_buf_reset(out);
    if (bf_buf_reserve(out, (size_t)size) < 0)
        return bf_err_set(err, BF_ELIMIT, "packed value: %llu bytes unpacked, over the limit", size);
    got = ZSTD_decompress_usingDDict(dc, out->data, (size_t)size, frame, n - hlen, dd);
    if (ZSTD_isError(got) || got != size) {
        out->data[0] = '\0';
        return bf_err_set(err, BF_ECORRUPT, "packed value: %s",
                          ZSTD_isError(got) ? ZSTD_getErrorName(got) : "size does not match its header");
    }
    out->len = got;
    out->data[got] = '\0';
    return 0;
}
