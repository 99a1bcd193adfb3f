/*
 * ocds_merge_int.h - internals shared by the OCDS merge files:
 * ocds_merge.c (the tree merge engine), ocds_merge_rules.c (the rule
 * tree), ocds_merge_text.c (the merge written straight to JCS text) and
 * the two JCS entry points of ocds_jcs.c it needs. Not part of the OCDS
 * contract (ocds.h); unit tests and the fuzzer may use it.
 */
#ifndef BELFRY_OCDS_MERGE_INT_H
#define BELFRY_OCDS_MERGE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <jansson.h>

#include "jv.h"

struct ocds_merge_rules;
struct bf_buf;
struct bf_err;

/* One property name along a rule path; array levels are left out, so the
 * children of an array's node are the properties of its items. */
struct ocds_rnode {
    char *name;
    size_t len;
    unsigned flags; /* OCDS_MERGE_* */
    struct ocds_rnode **kids;
    size_t nkids, cap;
    uint64_t kmask; /* bit (first byte & 63) of each kid's name (bit 0 for ""): most lookups miss */
};

/* 0 when n has no child named name[0..len), without a call. */
static inline int ocds_rnode_may_have(const struct ocds_rnode *n, const char *name, size_t len)
{
    return n && (n->kmask >> (len ? (unsigned char)name[0] & 63 : 0) & 1);
}

/* Root of a rule tree (NULL for NULL rules); child by name or NULL. */
const struct ocds_rnode *ocds_merge_rules_root(const struct ocds_merge_rules *r);
const struct ocds_rnode *ocds_rnode_child(const struct ocds_rnode *n, const char *name, size_t len);

/* The built-in rules, built once per process (NULL + BF_ECORRUPT in err
 * if the generated table is invalid). */
const struct ocds_merge_rules *ocds_merge_rules_default(struct bf_err *err);

/* A release in merge order: r, its date string, its index in the input. */
struct ocds_dated {
    const json_t *r;
    const char *date;
    size_t i;
};
/* Checks every release (object, string date, string ocid) and sorts them
 * by date, stable for equal dates; *out (caller frees) has n entries. The
 * errors are those of ocds_merge_compiled/versioned. */
int ocds_merge_sort_releases(json_t *const *rels, size_t n, struct ocds_dated **out, struct bf_err *err);

/* ocds_merge_texts' fallback (the tree merges and ocds_jcs, for exact
 * errors) on jansson trees, whichever build calls it. */
int ocds_merge_texts_by_trees(const struct ocds_merge_rules *rules, jansson_t *const *releases, size_t n,
                              struct bf_buf *compiled, struct bf_buf *versioned, struct bf_err *err);

/* ocds_merge_texts without its error fallback: the direct writer alone
 * (ocds_merge_text.c). On error it reports its own message, and the
 * buffers may hold partial text. For tests that must see the writer's
 * failures rather than the tree merges' (see ocds_merge_texts). */
int ocds_merge_texts_direct(const struct ocds_merge_rules *rules, json_t *const *releases, size_t n,
                            struct bf_buf *compiled, struct bf_buf *versioned, struct bf_err *err);

/* ocds_jcs of v as if v sat at nesting depth `depth` of a larger value
 * (so OCDS_JSON_MAX_DEPTH applies to the whole), and the JCS string
 * literal of s[0..n) (0 or BF_ELIMIT). On error out may hold partial text. */
int ocds_jcs_at(const json_t *v, int depth, struct bf_buf *out, struct bf_err *err);

/* 1 if any byte of w is a control (< 0x20), '"' or '\\', the bytes a JCS
 * string escapes (SWAR: a byte b has (b - k) & ~b & 0x80 set iff b < k,
 * for the zero test b ^ c < 1). */
static inline int ocds_jcs_word_esc(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    uint64_t q = w ^ (ones * '"'), bs = w ^ (ones * '\\');
    return (((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((bs - ones) & ~bs)) & high ? 1 : 0;
}

/* Words loaded from memory in big-endian order, so that comparing them
 * as integers compares their bytes in order. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define OCDS_BE64(x) (x)
#define OCDS_BE32(x) (x)
#else
#define OCDS_BE64(x) __builtin_bswap64(x)
#define OCDS_BE32(x) __builtin_bswap32(x)
#endif

/* Member names in JCS order, fast: a name's first 8 bytes, big-endian,
 * zero-padded (ocds_jcs_key_prefix), decide ocds_jcs_key_cmp when two
 * prefixes differ at a byte below 0x80 in both (up to it the names are
 * equal, so byte order is UTF-16 order there; a zero pad byte sorts a
 * proper prefix first in both orders). ocds_jcs_prefix_order returns -1
 * or 1 then, and 0 when ocds_jcs_key_cmp must decide. The prefix comes
 * from loads of the name's own bytes: building the word in a buffer byte
 * by byte and reading it back whole stalls the load until the stores
 * retire, on every member. */
static inline uint64_t ocds_jcs_key_prefix(const char *k, size_t n)
{
    const unsigned char *u = (const unsigned char *)k;
    uint64_t w;
    uint32_t a, b;

    if (n >= 8) {
        memcpy(&w, k, 8);
        return OCDS_BE64(w);
    }
    if (n >= 4) { /* the first and the last four bytes, overlapping */
        memcpy(&a, k, 4);
        memcpy(&b, k + n - 4, 4);
        return (uint64_t)OCDS_BE32(a) << 32 | (uint64_t)OCDS_BE32(b) << (64 - 8 * n);
    }
    return n == 0 ? 0 : (uint64_t)u[0] << 56 | (n > 1 ? (uint64_t)u[1] << 48 : 0) | (n > 2 ? (uint64_t)u[2] << 40 : 0);
}

static inline int ocds_jcs_prefix_order(uint64_t a, uint64_t b)
{
    uint64_t x = a ^ b;
    if (x) {
        int sh;
        if (!((a | b) & 0x8080808080808080ull)) /* both ASCII (most names): no byte to find */
            return a < b ? -1 : 1;
        sh = 56 - (__builtin_clzll(x) & ~7);
        if (((a >> sh) & 0x80) == 0 && ((b >> sh) & 0x80) == 0)
            return a < b ? -1 : 1;
    }
    return 0;
}
int ocds_jcs_string(struct bf_buf *out, const char *s, size_t n);

#endif
