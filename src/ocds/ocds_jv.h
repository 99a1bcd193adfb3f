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
int ocds_merge_texts_vpacked_jv(const struct ocds_merge_rules *rules, jv_t *const *releases, size_t n,
                                struct bf_buf *compiled, struct bf_buf *vpacked, struct bf_err *err);

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
