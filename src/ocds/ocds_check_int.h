/*
 * ocds_check_int.h - internals of ocds_prepare's fast path, shared by
 * ocds_prepare.c and the core files it calls into (ocds_jcs.c,
 * ocds_check.c, ocds_withheld.c, ocds_entry.c): the check and the JCS
 * text in one walk, and the later steps fed from what that walk found.
 * Not part of the OCDS contract (ocds.h).
 */
#ifndef BELFRY_OCDS_CHECK_INT_H
#define BELFRY_OCDS_CHECK_INT_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct bf_buf;
struct bf_err;

/* ocds_jcs with a look at every object on the way (for ocds_prepare,
 * which checks a release in the same walk that writes it): visit gets
 * each object and its members in the object's own order, before they are
 * sorted (pre is the writer's own), and a non-zero return ends the walk
 * with that value, out left as it was. */
struct ocds_jcs_member {
    const char *key;
    size_t len;
    uint64_t pre;
    json_t *value;
};
int ocds_jcs_visit(const json_t *v, struct bf_buf *out,
                   int (*visit)(void *arg, const json_t *obj, const struct ocds_jcs_member *m, size_t n), void *arg,
                   struct bf_err *err);

/* ocds_prepare's fast path: 1 when the release passes ocds_release_check
 * and holds no withheld marker, and out got its JCS text, all in one
 * walk, and top its members that publishing reads next (NULL when
 * absent; the check guarantees ocid, id and date non-empty strings and
 * tag a non-empty array of strings) and personal, 0 when
 * ocds_withhold_personal would certainly leave the release as it is (no
 * contact point); 0 otherwise, out left as it was, and the caller takes
 * the long way (which also finds the error message). */
struct ocds_release_top {
    json_t *ocid, *id, *date, *tag, *withheld;
    int personal;
};
int ocds_release_check_jcs(const json_t *release, struct bf_buf *out, struct ocds_release_top *top);

/* ocds_withhold_keyed for a release that passed ocds_release_check
 * (which checks its withheld list as ocds_withhold_keyed would, so it is
 * not checked again). */
int ocds_withhold_keyed_checked(const json_t *release, const uint8_t *key, json_t **public_release,
                                json_t **sidecar, struct bf_err *err);

/* The salt (keyed, or random without a key) and the commitment
 * "sha256:<hex>" of a withheld value whose JCS text is canon, at path of
 * a release of ocid: what both withholding paths (jansson trees in
 * ocds_withheld.c, jv trees in ocds_withheld_jv.c) put in the marker and
 * the sidecar. commitment gets 71 characters and a NUL, salt_hex 64 and a
 * NUL. Errors: BF_ELIMIT, BF_ECRYPTO, BF_EINVAL (keyed without ocid). */
int ocds_withheld_commit(const uint8_t *key, const char *ocid, const char *path, const struct bf_buf *canon,
                         char commitment[72], char salt_hex[65], struct bf_err *err);

/* ocds_entry_line_digest's line from the release's members, already
 * found and checked (strings ocid, id and date, not empty; tag a
 * non-empty array of strings): what ocds_prepare has after
 * ocds_release_check_jcs. */
int ocds_entry_line_members(const json_t *ocid, const json_t *id, const json_t *date, const json_t *tag,
                            const char hex[65], const char *actor, struct bf_buf *out, struct bf_err *err);

#endif
