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
#include "enc.h"
#include "buf.h"
#include "ocds.h"
#include "ocds_merge_int.h"
#include "ocds_check_int.h"

/* The line is written as text, not built as a jansson object and
 * canonicalized: its members are fixed, so their JCS order is too (actor,
 * date, id, ocid, sha256, tag, type: ASCII names sort bytewise), and each
 * value is a string or an array of strings, written by ocds_jcs_string
 * exactly as ocds_jcs writes them. */

/* release[name] if it is a non-empty string. */
static int entry_string(const json_t *release, const char *name, const json_t **v, struct bf_err *err)
{
    *v = json_object_get(release, name);
    if (!json_is_string(*v) || json_string_length(*v) == 0)
        return bf_err_set(err, BF_EINVAL, "/%s: a non-empty string is required for the ledger entry", name);
    return 0;
}

static int entry_tag(const json_t *release, const json_t **tag, struct bf_err *err)
{
    json_t *t;
    size_t i;

    *tag = json_object_get(release, "tag");
    if (!json_is_array(*tag) || json_array_size(*tag) == 0)
        return bf_err_set(err, BF_EINVAL, "/tag: a non-empty array of strings is required for the ledger entry");
    json_array_foreach(*tag, i, t)
        if (!json_is_string(t))
            return bf_err_set(err, BF_EINVAL, "/tag/%zu: a string is required", i);
    return 0;
}

#define PUT(lit) (bf_buf_append(out, lit, sizeof(lit) - 1) < 0)
#define PUT_STR(s, n) (ocds_jcs_string(out, s, n) < 0)
#define PUT_JSTR(v) PUT_STR(json_string_value(v), json_string_length(v))

/* The line of members already checked, with the release's digest. */
static int entry_write(const json_t *ocid, const json_t *id, const json_t *date, const json_t *tag, const char *hex,
                       const char *actor, struct bf_buf *out, struct bf_err *err)
{
    size_t i, mark = out->len;

    if (!actor)
        actor = "operator";
    else if (!bf_utf8_valid(actor, strlen(actor)))
        return bf_err_set(err, BF_EINVAL, "actor is not valid UTF-8");
    if (PUT("{\"actor\":") || PUT_STR(actor, strlen(actor)) || PUT(",\"date\":") || PUT_JSTR(date) ||
        PUT(",\"id\":") || PUT_JSTR(id) || PUT(",\"ocid\":") || PUT_JSTR(ocid) || PUT(",\"sha256\":") ||
        PUT_STR(hex, strlen(hex)) || PUT(",\"tag\":["))
        goto limit;
    for (i = 0; i < json_array_size(tag); i++)
        if ((i && PUT(",")) || PUT_JSTR(json_array_get(tag, i)))
            goto limit;
    if (PUT("],\"type\":\"ocds-release\"}"))
        goto limit;
    return 0;
limit: /* as ocds_jcs: leave the buffer as it was */
    if (out->data) {
        out->len = mark;
        out->data[mark] = '\0';
    }
    return bf_err_set(err, BF_ELIMIT, "canonical form exceeds the output limit");
}

/* hex is the release's digest when the caller already has it (the
 * publisher computes it once for its own checks), else NULL. */
static int entry_build(const json_t *release, const char *hex, const char *actor, struct bf_buf *out,
                       struct bf_err *err)
{
    const json_t *ocid, *id, *date, *tag;
    char own[65];
    int rc;

    if (!json_is_object(release))
        return bf_err_set(err, BF_EINVAL, "a release must be a JSON object");
    if ((rc = entry_string(release, "ocid", &ocid, err)) < 0 || (rc = entry_string(release, "id", &id, err)) < 0 ||
        (rc = entry_string(release, "date", &date, err)) < 0 || (rc = entry_tag(release, &tag, err)) < 0)
        return rc;
    if (!hex) {
        if ((rc = ocds_digest(release, own, err)) < 0)
            return rc;
        hex = own;
    }
    return entry_write(ocid, id, date, tag, hex, actor, out, err);
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

int ocds_entry_line_members(const json_t *ocid, const json_t *id, const json_t *date, const json_t *tag,
                            const char hex[65], const char *actor, struct bf_buf *out, struct bf_err *err)
{
    return entry_write(ocid, id, date, tag, hex, actor, out, err);
}
