/*
 * ocds_trees.c - the releases of one merge as jv trees: stored release
 * texts parsed into the caller's arena, and trees the caller lends.
 * The publishing path merges a record's compiled release from them, the
 * record API its versioned (and, when the stored merge is behind, its
 * compiled) release.
 *
 * A stored text is parsed with the fast jv parser; what it leaves alone
 * (escapes, wide objects) goes through jansson and is copied, so every
 * text that is JSON becomes a tree.
 */
#include "common.h"
#include "ocds_json.h"
#include "ocds_jv.h"
#include "err.h"
#include "store/store_ocds.h"

int ocds_trees_parse(struct ocds_trees *t, const char *body, size_t len, const char *ocid, const char *id,
                     struct bf_err *err)
{
    json_error_t je;
    jansson_t *j;
    const jv_t *v;
    int nest;

    if ((v = ocds_json_parse_jv(t->arena, body, len, &nest))) {
        ocds_trees_push(t, v);
        return 0;
    }
    if (!(j = json_loadb(body, len, 0, &je)))
        return bf_err_set(err, BF_ECORRUPT, "stored release %s/%s does not parse: %s", ocid, id, je.text);
    v = jv_from_json(t->arena, j, JV_COPY_MAX_DEPTH);
    json_decref(j);
    if (!v)
        return bf_err_set(err, BF_ECORRUPT, "stored release %s/%s is nested too deep", ocid, id);
    ocds_trees_push(t, v);
    return 0;
}

int ocds_trees_row(void *arg, const struct store_ocds_release *r)
{
    struct ocds_trees *t = arg;
    return ocds_trees_parse(t, r->body, r->body_len, r->ocid, r->id, t->err);
}

void ocds_trees_push(struct ocds_trees *t, const jv_t *v)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 16;
        t->v = bf_xrealloc(t->v, t->cap * sizeof *t->v);
    }
    t->v[t->n++] = v;
}

void ocds_trees_free(struct ocds_trees *t)
{
    free(t->v);
    t->v = NULL;
    t->n = t->cap = 0;
}
