/*
 * ocds_vpack_int.h - the packed versioned release (ocds_vpack.c) written
 * piece by piece: the merge writer (ocds_merge_text_write.c) puts a
 * reference where a version's prefix would go and frames the body at the
 * end, so the text it stands for is never written out.
 */
#ifndef BELFRY_OCDS_VPACK_INT_H
#define BELFRY_OCDS_VPACK_INT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* One table entry: the text a reference stands for. */
struct ocds_vpack_entry {
    const char *p;
    size_t n;
};

/* Appends a reference to table entry k (0-based) to a body; returns its
 * length in *n (for the unpacked length) and BF_ELIMIT if body is full. */
int ocds_vpack_put_ref(struct bf_buf *body, size_t k, size_t *n);

/* The varint of v into o (room for 13 bytes); returns its length. The
 * format's one encoder (ocds_vpack.c): v in 5-bit groups, low first,
 * 0x60 | bits while more follow, 0x40 | bits for the last. */
static inline size_t ocds_vpack_varint(char *o, uint64_t v)
{
    size_t i = 0;
    do {
        o[i++] = (char)((v > 0x1f ? 0x60 : 0x40) | (v & 0x1f));
        v >>= 5;
    } while (v);
    return i;
}

/* ocds_vpack_put_ref, inline for the merge writer's one reference per
 * version: the bytes go straight into body when it has room. */
static inline int ocds_vpack_put_ref_fast(struct bf_buf *body, size_t k, size_t *n)
{
    char *o;
    size_t i;

    if (!bf_buf_room(body, 14))
        return ocds_vpack_put_ref(body, k, n);
    o = body->data + body->len;
    o[0] = 0x01;
    i = 1 + ocds_vpack_varint(o + 1, (uint64_t)k + 1);
    o[i] = '\0';
    body->len += i;
    *n = i;
    return 0;
}
/* Appends the packed text to out: header (unpacked length full, the n
 * entries) then body. The caller vouches that body holds no 0x01 byte
 * except its own references below n, and that full is the length they
 * unpack to (ocds_vunpack checks it). BF_ELIMIT if out is full. */
int ocds_vpack_frame(struct bf_buf *out, uint64_t full, const struct ocds_vpack_entry *entry, size_t n,
                     const char *body, size_t body_len);

#endif
