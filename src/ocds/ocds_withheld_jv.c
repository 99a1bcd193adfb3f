/*
 * ocds_withheld_jv.c - withholding on jv trees, for the importer's
 * releases that the one-walk check vouched for: the public release as a
 * new jv tree sharing every value off the withheld paths with the input,
 * and the sidecar's JCS text. The same markers, commitments and sidecar
 * as ocds_withhold_keyed_checked (ocds_withheld.c, the definition; read
 * its header for the scheme); test_ocds_jv holds the two to the same
 * bytes.
 *
 * Why a second walk: a jv tree cannot be changed in place, and copying a
 * release to jansson, withholding there and copying back cost a
 * withholding release three times an ordinary one (12% of an import's
 * CPU with one release in thirteen withholding).
 *
 * Scope: only what the check has already vouched for (paths that exist,
 * name objects, do not overlap and never the release's identity; no
 * marker in the input) and only with a key. Anything else answers 1 and
 * the caller takes the jansson way, which gives the exact errors.
 */
#include "common.h"
#include "buf.h"
#include "jv.h"
#include "ocds.h"
#include "ocds_check_int.h"
#include "ocds_json.h"
#include "ocds_jv.h"

/* The slot of the member or element tok names in c (an owned container),
 * or NULL. */
static jv_t *child_slot(jv_t *c, const char *tok, size_t n)
{
    size_t idx;

    if (c->type == JSON_OBJECT)
        return jv_object_getn(c, tok, n);
    if (c->type == JSON_ARRAY && ocds_json_pointer_index(tok, n, &idx))
        return jv_array_get(c, idx);
    return NULL;
}

/* Gives container v (a slot in an owned container) a member or element
 * array of its own when it still shares the input's (theirs). */
static void own(struct bf_arena *a, jv_t *v, const jv_t *theirs)
{
    size_t sz;
    void *copy;

    if ((v->type != JSON_OBJECT && v->type != JSON_ARRAY) || !theirs || theirs->type != v->type || !v->n ||
        v->u.m != theirs->u.m) /* u.a aliases u.m */
        return;
    sz = v->type == JSON_OBJECT ? v->n * sizeof *v->u.m : v->n * sizeof *v->u.a;
    copy = bf_arena_alloc(a, sz);
    memcpy(copy, v->u.m, sz);
    if (v->type == JSON_OBJECT)
        v->u.m = copy;
    else
        v->u.a = copy;
}

/* Puts marker at pointer p of pub (whose root is owned), copying the
 * containers on the way that still share the release's. 0, or 1 when p
 * does not lead anywhere (the caller goes the jansson way). */
static int replace_at(struct bf_arena *a, jv_t *pub, const jv_t *release, const char *p, const jv_t *marker)
{
    jv_t *mine = pub;
    const jv_t *theirs = release;
    char tok[512];

    while (*p == '/') {
        const char *end = strchr(p + 1, '/');
        size_t n = end ? (size_t)(end - p - 1) : strlen(p + 1);
        long len = ocds_json_pointer_token(p + 1, n, tok, sizeof tok);
        jv_t *slot;
        const jv_t *t;

        if (len < 0 || !(slot = child_slot(mine, tok, (size_t)len)))
            return 1;
        t = theirs ? child_slot((jv_t *)theirs, tok, (size_t)len) : NULL;
        if (!end) {
            *slot = *marker;
            return 0;
        }
        own(a, slot, t);
        mine = slot, theirs = t;
        p = end;
    }
    return 1;
}

/* {"withheld": true, "reason", ["disclosureDate"], "commitment"}, as
 * make_marker builds it. */
static jv_t *marker_of(struct bf_arena *a, const jv_t *entry, const char *commitment)
{
    const jv_t *reason = jv_object_get(entry, "reason"), *dd = jv_object_get(entry, "disclosureDate");
    struct jv_member *m = bf_arena_alloc(a, 4 * sizeof *m);
    jv_t *v = bf_arena_alloc(a, sizeof *v);
    uint32_t n = 0;

    m[n].key = "withheld", m[n].klen = 8, m[n++].v = *jv_true();
    if (reason)
        m[n].key = "reason", m[n].klen = 6, m[n++].v = *reason;
    if (dd && dd->type == JSON_STRING)
        m[n].key = "disclosureDate", m[n].klen = 14, m[n++].v = *dd;
    m[n].key = "commitment", m[n].klen = 10, m[n++].v = *jv_stringn(a, commitment, strlen(commitment));
    v->type = JSON_OBJECT, v->n = n, v->u.m = m;
    return v;
}

int ocds_withhold_keyed_jv(struct bf_arena *a, const jv_t *release, const uint8_t *key, const jv_t **public_release,
                           struct bf_buf *sidecar, struct bf_err *err)
{
    const jv_t *list = jv_object_get(release, "withheld");
    const char *ocid = jv_string_value(jv_object_get(release, "ocid"));
    struct jv_member *salts, *values, *side;
    struct bf_buf canon = BF_BUF_INIT;
    jv_t *pub, root;
    size_t i, n = 0;
    int rc = 0;

    if (!key || !ocid || release->type != JSON_OBJECT || !list || list->type != JSON_ARRAY)
        return 1;
    pub = bf_arena_alloc(a, sizeof *pub);
    *pub = *release;
    pub->u.m = bf_arena_alloc(a, release->n * sizeof *pub->u.m);
    memcpy(pub->u.m, release->u.m, release->n * sizeof *pub->u.m);
    salts = bf_arena_alloc(a, list->n * sizeof *salts);
    values = bf_arena_alloc(a, list->n * sizeof *values);
    for (i = 0; i < list->n; i++) {
        const jv_t *e = &list->u.a[i], *value, *disclosed = jv_object_get(e, "disclosed");
        const char *p = jv_string_value(jv_object_get(e, "path"));
        char com[72], salt_hex[65];

        if (disclosed && disclosed->type == JSON_TRUE)
            continue;
        if (!p || !(value = ocds_json_pointer_get_jv(release, p)) || value->type != JSON_OBJECT) {
            rc = 1;
            goto out;
        }
        bf_buf_reset(&canon);
        if (ocds_jcs_jv(value, &canon, err) < 0 || ocds_withheld_commit(key, ocid, p, &canon, com, salt_hex, err) < 0 ||
            replace_at(a, pub, release, p, marker_of(a, e, com))) {
            rc = 1;
            goto out;
        }
        salts[n].key = values[n].key = p;
        salts[n].klen = values[n].klen = strlen(p);
        salts[n].v = *jv_stringn(a, salt_hex, 64);
        values[n++].v = *value;
    }
    side = bf_arena_alloc(a, 2 * sizeof *side);
    side[0].key = "salts", side[0].klen = 5;
    side[0].v.type = JSON_OBJECT, side[0].v.n = (uint32_t)n, side[0].v.u.m = salts;
    side[1].key = "values", side[1].klen = 6;
    side[1].v.type = JSON_OBJECT, side[1].v.n = (uint32_t)n, side[1].v.u.m = values;
    root.type = JSON_OBJECT, root.n = 2, root.u.m = side;
    if (ocds_jcs_jv(&root, sidecar, err) < 0) {
        rc = 1;
        goto out;
    }
    *public_release = pub;
out:
    bf_buf_free(&canon);
    if (rc && err)
        memset(err, 0, sizeof *err);
    return rc;
}
