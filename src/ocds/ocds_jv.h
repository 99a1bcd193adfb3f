/*
 * ocds_jv.h - the jv builds (see ocds_jv_compat.h) of the OCDS core
 * functions that code outside those files calls: the publishing path and
 * the tests that hold each one to its jansson build. Each behaves exactly
 * as the function without _jv in ocds.h, on a jv tree (jv.h) instead of a
 * jansson one: same results, same errors, same bytes.
 */
#ifndef BELFRY_OCDS_JV_H
#define BELFRY_OCDS_JV_H

#include <stddef.h>
#include <stdint.h>

#include "jv.h"

struct bf_arena;
struct bf_buf;
struct bf_err;
struct ocds_merge_rules;

int ocds_jcs_jv(const jv_t *v, struct bf_buf *out, struct bf_err *err);
int ocds_digest_jv(const jv_t *v, char hex[65], struct bf_err *err);
int ocds_release_check_jv(const jv_t *release, struct bf_err *err);
int ocds_json_equal_jv(const jv_t *a, const jv_t *b);
jv_t *ocds_json_pointer_get_jv(const jv_t *doc, const char *ptr);
int ocds_merge_texts_jv(const struct ocds_merge_rules *rules, jv_t *const *releases, size_t n,
                        struct bf_buf *compiled, struct bf_buf *versioned, struct bf_err *err);

/* The releases of one merge as jv trees (ocds_trees.c), in the order
 * given (the merges sort them). arena is the caller's: trees parsed from
 * text live there, lent trees stay the lender's; v is freed by
 * ocds_trees_free (not the arena, not the trees). err (may be NULL) is
 * where ocds_trees_row reports. */
struct ocds_trees {
    const jv_t **v;
    size_t n, cap;
    struct bf_arena *arena;
    struct bf_err *err;
};
/* Parses body[0..len), a stored release (ocid/id name it in messages),
 * into t's arena and appends it. 0, or BF_ECORRUPT (not JSON, or nested
 * deeper than JV_COPY_MAX_DEPTH) with nothing appended. */
int ocds_trees_parse(struct ocds_trees *t, const char *body, size_t len, const char *ocid, const char *id,
                     struct bf_err *err);
/* ocds_trees_parse of a stored release row (a store_ocds_row_fn; arg is
 * the struct ocds_trees). */
struct store_ocds_release;
int ocds_trees_row(void *arg, const struct store_ocds_release *r);
/* Appends a lent tree. */
void ocds_trees_push(struct ocds_trees *t, const jv_t *v);
void ocds_trees_free(struct ocds_trees *t);

/* Withholding for a release ocds_release_check passed (ocds_withheld_jv.c):
 * ocds_withhold_keyed_checked's public release as a jv tree made in a
 * (sharing what it does not change with release), and the JCS text of
 * its sidecar appended to sidecar. 0; or 1 when this path does not take
 * the release (no key, a path it cannot follow, a value it cannot
 * canonicalize): nothing returned, err clear, the caller withholds on
 * jansson trees. */
int ocds_withhold_keyed_jv(struct bf_arena *a, const jv_t *release, const uint8_t *key,
                           const jv_t **public_release, struct bf_buf *sidecar, struct bf_err *err);

#endif
