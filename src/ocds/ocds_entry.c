/*
 * ocds_entry.c - the one-line ledger entry that puts an OCDS release in
 * the transparency log.
 *
 * Invariants: the line is JCS (so its bytes are a function of its content
 * and anyone can rebuild it), holds no withheld value (only the release's
 * identity and the SHA-256 of its public JCS form), and is produced only
 * for a release with string ocid, id and date and an array-of-strings tag.
 * "actor" defaults to "operator" (an import run by whoever operates the
 * server).
 */
#include "common.h"
#include "buf.h"
#include "ocds.h"

static int entry_string(const json_t *release, const char *name, json_t *entry, struct bf_err *err)
{
    json_t *v = json_object_get(release, name);
    if (!json_is_string(v) || json_string_length(v) == 0)
        return bf_err_set(err, BF_EINVAL, "/%s: a non-empty string is required for the ledger entry", name);
    json_object_set_nocheck(entry, name, v);
    return 0;
}

static int entry_tag(const json_t *release, json_t *entry, struct bf_err *err)
{
    json_t *tag = json_object_get(release, "tag"), *t;
    size_t i;

    if (!json_is_array(tag) || json_array_size(tag) == 0)
        return bf_err_set(err, BF_EINVAL, "/tag: a non-empty array of strings is required for the ledger entry");
    json_array_foreach(tag, i, t)
        if (!json_is_string(t))
            return bf_err_set(err, BF_EINVAL, "/tag/%zu: a string is required", i);
    json_object_set_nocheck(entry, "tag", tag);
    return 0;
}

/* hex is the release's digest when the caller already has it (the
 * publisher computes it once for its own checks), else NULL. */
static int entry_build(const json_t *release, const char *hex, const char *actor, struct bf_buf *out,
                       struct bf_err *err)
{
    json_t *entry = NULL, *a = NULL;
    char own[65];
    int rc;

    if (!json_is_object(release)) {
        rc = bf_err_set(err, BF_EINVAL, "a release must be a JSON object");
        goto out;
    }
    entry = json_object();
    if ((rc = entry_string(release, "ocid", entry, err)) < 0 || (rc = entry_string(release, "id", entry, err)) < 0 ||
        (rc = entry_string(release, "date", entry, err)) < 0 || (rc = entry_tag(release, entry, err)) < 0)
        goto out;
    if (!hex) {
        if ((rc = ocds_digest(release, own, err)) < 0)
            goto out;
        hex = own;
    }
    a = json_string(actor ? actor : "operator");
    if (!a) {
        rc = bf_err_set(err, BF_EINVAL, "actor is not valid UTF-8");
        goto out;
    }
    json_object_set_new_nocheck(entry, "type", json_string("ocds-release"));
    json_object_set_new_nocheck(entry, "sha256", json_string(hex));
    json_object_set_new_nocheck(entry, "actor", a);
    a = NULL;
    rc = ocds_jcs(entry, out, err);
out:
    json_decref(a);
    json_decref(entry);
    return rc;
}

int ocds_entry_line(const json_t *release, const char *actor, struct bf_buf *out, struct bf_err *err)
{
    return entry_build(release, NULL, actor, out, err);
}

int ocds_entry_line_digest(const json_t *release, const char hex[65], const char *actor, struct bf_buf *out,
                           struct bf_err *err)
{
    return entry_build(release, hex, actor, out, err);
}
