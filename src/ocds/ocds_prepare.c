/*
 * ocds_prepare.c - a release made ready for the log, before anything is
 * written: checked, contact points withheld as personal data, withheld
 * fields split into the public release and the private sidecar (keyed
 * salts when the publisher has a key), the public release's JCS text and
 * SHA-256, the digest of the release as submitted, the ledger entry line
 * and the tag array's JSON text. ocds_publish_batch runs it on its
 * workers; bench_ocds_prepare times it alone.
 *
 * Most releases take the fast path: ocds_release_check_jcs checks the
 * release and writes its canonical text in one walk, and what the walk
 * found (the top-level members, whether a contact point is there) spares
 * the later steps their own lookups and walks. Anything it does not
 * vouch for takes the long way (prepare_full), step by step, which is
 * also where the errors of an invalid release come from; both give the
 * same bytes.
 *
 * Invariants: the input release is never modified (the public release
 * shares the subtrees off the withheld paths with it); on error the
 * struct holds nothing the caller must keep (ocds_prepared_clear frees
 * whatever was made).
 */
#include "common.h"
#include "buf.h"
#include "sha256.h"
#include "ocds.h"
#include "ocds_check_int.h"
#include "ocds_import.h"
#include "ocds_jv.h"

#ifndef OCDS_JV
void ocds_prepared_clear(struct ocds_prepared *x)
{
    jansson_decref(x->pub);
    free(x->sidecar);
    bf_buf_free(&x->body);
    bf_buf_free(&x->entry);
    free(x->tags);
    memset(x, 0, sizeof *x);
}
#endif

/* x empty, with room in its text buffers for most releases, so the
 * writers do not regrow (far below the limits). */
static int prepared_init(struct ocds_prepared *x, struct bf_err *err)
{
    memset(x, 0, sizeof *x);
    bf_buf_init(&x->body, (size_t)256 << 20);
    bf_buf_init(&x->entry, 1 << 16);
    if (bf_buf_reserve(&x->body, 2048) < 0 || bf_buf_reserve(&x->entry, 512) < 0)
        return bf_err_set(err, BF_ELIMIT, "release buffers exceed their limits");
    return 0;
}

/* json_dumps(tag, JSON_COMPACT) */
static char *tags_dumps(const json_t *tag)
{
#ifdef OCDS_JV
    jansson_t *j = jv_to_json(tag, JV_COPY_MAX_DEPTH);
    char *r = j ? json_dumps(j, JSON_COMPACT) : NULL;
    jansson_decref(j);
    return r;
#else
    return json_dumps(tag, JSON_COMPACT);
#endif
}

/* The tags' compact JSON as json_dumps writes it, without its stdio
 * machinery: codes are plain ASCII, written as is; anything that would
 * need an escape or a UTF-8 check goes to json_dumps. */
static char *tags_text(const json_t *tag)
{
    struct bf_buf tb = BF_BUF_INIT;
    json_t *t;
    size_t i, j;
    char *r;

    json_array_foreach(tag, i, t) {
        const char *s = json_string_value(t);
        size_t n = json_string_length(t);
        for (j = 0; s && j < n && s[j] >= 0x20 && s[j] < 0x7F && s[j] != '"' && s[j] != '\\'; j++)
            ;
        if (!s || j < n || bf_buf_append(&tb, i ? ",\"" : "[\"", 2) < 0 || bf_buf_append(&tb, s, n) < 0 ||
            bf_buf_putc(&tb, '"') < 0)
            break;
    }
    if (tb.data && i == json_array_size(tag) && bf_buf_putc(&tb, ']') == 0)
        r = bf_buf_take(&tb, NULL);
    else
        r = tags_dumps(tag);
    bf_buf_free(&tb);
    return r;
}

/* The entry line and the identity of a public release whose top members
 * (ocid, id, date, tag) are top's: the release itself, or its form with
 * withheld fields, which never withholds these. x->sha is set. */
static int prepare_from_top(struct ocds_prepared *x, const struct ocds_release_top *top, const char *actor,
                            struct bf_err *err)
{
    int rc = ocds_entry_line_members(top->ocid, top->id, top->date, top->tag, x->sha, actor, &x->entry, err);

    if (rc < 0)
        return rc;
    x->ocid = json_string_value(top->ocid);
    x->id = json_string_value(top->id);
    x->date = json_string_value(top->date);
    x->tags = tags_text(top->tag);
    return 0;
}

#ifndef OCDS_JV
static int has_withheld(const json_t *release)
{
    const json_t *w = json_object_get(release, "withheld");
    return json_is_array(w) && json_array_size(w) > 0;
}

/* The withheld fields of a release that has them split into the public
 * release and the sidecar; checked when the release passed
 * ocds_release_check as it is (not so after ocds_withhold_personal added
 * entries). */
static int split_keyed(const json_t *release, const uint8_t *key, int checked, struct ocds_prepared *x,
                       struct bf_err *err)
{
    json_t *side = NULL;
    struct bf_buf sb = BF_BUF_INIT;
    int rc = checked ? ocds_withhold_keyed_checked(release, key, &x->pub, &side, err)
                     : ocds_withhold_keyed(release, key, &x->pub, &side, err);

    if (rc)
        return rc;
    rc = ocds_jcs(side, &sb, err);
    json_decref(side);
    if (rc) {
        bf_buf_free(&sb);
        return rc;
    }
    x->sidecar = bf_buf_take(&sb, &x->sidecar_len);
    return 0;
}

/* Contact points withheld as personal data, then the withheld fields
 * split into the public release and the sidecar. */
static int split_withheld(const json_t *submitted, const uint8_t *key, struct ocds_prepared *x, struct bf_err *err)
{
    json_t *release = NULL;
    int rc = ocds_withhold_personal(submitted, &release, err);

    if (rc)
        return rc;
    if (!has_withheld(release)) {
        x->pub = release;
        return 0;
    }
    rc = split_keyed(release, key, 0, x, err);
    json_decref(release);
    return rc;
}

/* The entry line and the identity of the public release. */
static int prepare_end(struct ocds_prepared *x, const char *actor, struct bf_err *err)
{
    int rc = ocds_entry_line_digest(x->pub, x->sha, actor, &x->entry, err);

    if (rc)
        return rc;
    x->ocid = json_string_value(json_object_get(x->pub, "ocid"));
    x->id = json_string_value(json_object_get(x->pub, "id"));
    x->date = json_string_value(json_object_get(x->pub, "date"));
    x->tags = tags_text(json_object_get(x->pub, "tag"));
    return 0;
}

/* The long way: the check, then each step on its own (contact points
 * looked for, the release canonicalized again for its digest), and the
 * errors of each as they come. */
static int prepare_full(const json_t *release, const uint8_t *key, struct ocds_prepared *x, struct bf_err *err)
{
    int rc = ocds_release_check(release, err);

    if (!rc)
        rc = split_withheld(release, key, x, err);
    if (!rc)
        rc = ocds_jcs(x->pub, &x->body, err);
    if (rc)
        return rc;
    bf_sha256_hex(x->body.data, x->body.len, x->sha);
    if (x->sidecar)
        return ocds_digest(release, x->src, err);
    memcpy(x->src, x->sha, sizeof x->src);
    return 0;
}

/* The same for a release that ocds_release_check_jcs passed, with its
 * JCS text in body and its top members in top. The text is the submitted
 * one's, for its digest. Without a contact point (!top->personal)
 * ocds_withhold_personal would hand the release back as it is, so the
 * public release is the release itself unless it withholds fields (its
 * list checked with it); with one, the withholding runs as in
 * prepare_full. Errors come in the order prepare_full meets them (the
 * check and the canonical text of the release cannot fail any more). */
static int prepare_fast(const json_t *release, const struct ocds_release_top *top, const uint8_t *key,
                        const char *actor, struct ocds_prepared *x, struct bf_err *err)
{
    int rc;

    bf_sha256_hex(x->body.data, x->body.len, x->src);
    if (top->personal) {
        x->body.len = 0;
        x->body.data[0] = '\0';
        if ((rc = split_withheld(release, key, x, err)) < 0 || (rc = ocds_jcs(x->pub, &x->body, err)) < 0)
            return rc;
        bf_sha256_hex(x->body.data, x->body.len, x->sha);
        return prepare_end(x, actor, err);
    }
    if (!json_is_array(top->withheld) || json_array_size(top->withheld) == 0) {
        x->pub = json_incref((json_t *)release);
        memcpy(x->sha, x->src, sizeof x->sha);
        return prepare_from_top(x, top, actor, err);
    }
    x->body.len = 0;
    x->body.data[0] = '\0';
    if ((rc = split_keyed(release, key, 1, x, err)) < 0 || (rc = ocds_jcs(x->pub, &x->body, err)) < 0)
        return rc;
    bf_sha256_hex(x->body.data, x->body.len, x->sha);
    return prepare_end(x, actor, err);
}

int ocds_prepare(const json_t *release, const uint8_t *key, const char *actor, struct ocds_prepared *x,
                 struct bf_err *err)
{
    struct ocds_release_top top;
    int rc;

    if (prepared_init(x, err) < 0)
        return BF_ELIMIT;
    if (ocds_release_check_jcs(release, &x->body, &top))
        rc = prepare_fast(release, &top, key, actor, x, err);
    else if ((rc = prepare_full(release, key, x, err)) == 0)
        rc = prepare_end(x, actor, err);
    if (!rc && (!x->ocid || !x->id || !x->date || !x->tags))
        return bf_err_set(err, BF_EINVAL, "release lacks ocid, id, date or tag");
    return rc;
}
#else /* OCDS_JV: the importer's path on jv trees (ocds_prepare is the jansson build's) */

/* The jansson ocds_prepare on a copy: for everything the fast path does
 * not vouch for (its errors, contact points, withheld fields). */
static int prepare_copy(const jv_t *release, const uint8_t *key, const char *actor, struct ocds_prepared *x,
                        struct bf_err *err)
{
    jansson_t *j = jv_to_json(release, JV_COPY_MAX_DEPTH);
    int rc;

    ocds_prepared_clear(x);
    if (!j)
        return bf_err_set(err, BF_ENOMEM, "out of memory copying a release");
    rc = ocds_prepare(j, key, actor, x, err);
    jansson_decref(j);
    return rc;
}

/* The withholding release's public form and sidecar from jv trees: 0,
 * or 1 to take the jansson way. */
static int withhold_jv(const jv_t *release, struct bf_arena *trees, const uint8_t *key, struct ocds_prepared *x,
                       struct bf_err *err)
{
    struct bf_buf side = BF_BUF_INIT;
    const jv_t *pub = NULL;
    int rc = ocds_withhold_keyed_jv(trees, release, key, &pub, &side, err);

    if (rc == 0) {
        x->body.len = 0;
        x->body.data[0] = '\0';
        if (ocds_jcs_jv(pub, &x->body, err) < 0)
            rc = 1;
        if (rc && err) /* as ocds_withhold_keyed_jv: 1 leaves err clear for the jansson way */
            memset(err, 0, sizeof *err);
    }
    if (rc == 0) {
        x->sidecar = bf_buf_take(&side, &x->sidecar_len);
        x->tree = pub;
    }
    bf_buf_free(&side);
    return rc;
}

int ocds_prepare_jv(const jv_t *release, struct bf_arena *trees, const uint8_t *key, const char *actor,
                    struct ocds_prepared *x, struct bf_err *err)
{
    struct ocds_release_top top;
    int rc;

    if (prepared_init(x, err) < 0)
        return BF_ELIMIT;
    if (!ocds_release_check_jcs(release, &x->body, &top) || top.personal)
        return prepare_copy(release, key, actor, x, err);
    bf_sha256_hex(x->body.data, x->body.len, x->src);
    if (json_is_array(top.withheld) && json_array_size(top.withheld) > 0) {
        if (withhold_jv(release, trees, key, x, err) != 0)
            return prepare_copy(release, key, actor, x, err);
        bf_sha256_hex(x->body.data, x->body.len, x->sha);
    } else {
        memcpy(x->sha, x->src, sizeof x->sha);
        x->tree = release;
    }
    /* withheld paths never name ocid, id, date or tag: top's are pub's */
    if ((rc = prepare_from_top(x, &top, actor, err)) < 0)
        return rc;
    if (!x->tags)
        return bf_err_set(err, BF_EINVAL, "release lacks ocid, id, date or tag");
    return 0;
}
#endif
