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

struct bf_buf;

/* One table entry: the text a reference stands for. */
struct ocds_vpack_entry {
    const char *p;
    size_t n;
};

/* Appends a reference to table entry k (0-based) to a body; returns its
 * length in *n (for the unpacked length) and BF_ELIMIT if body is full. */
int ocds_vpack_put_ref(struct bf_buf *body, size_t k, size_t *n);
/* Appends the packed text to out: header (unpacked length full, the n
 * entries) then body. The caller vouches that body holds no 0x01 byte
 * except its own references below n, and that full is the length they
 * unpack to (ocds_vunpack checks it). BF_ELIMIT if out is full. */
int ocds_vpack_frame(struct bf_buf *out, uint64_t full, const struct ocds_vpack_entry *entry, size_t n,
                     const char *body, size_t body_len);

#endif
