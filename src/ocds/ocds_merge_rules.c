/*
 * ocds_merge_rules.c - merge rules: which property paths are omitted when
 * merging, which arrays merge as whole lists, and per-path overrides
 * (append, by position). Rules come from a JSON Schema at run time (for the
 * ocds-merge fixtures' test schema, or a newer OCDS schema) or from the
 * compiled-in table of OCDS 1.1.5 + Belfry's extensions.
 *
 * Representation: a tree whose nodes are property names along a path with
 * array levels left out ("awards" -> "suppliers"), so the merge walks it in
 * step with the data. Invariants: a node's flags are those of exactly its
 * path; the tree owns its names; schema reading follows only local "#/"
 * references and stops at 32 levels, so a cyclic or hostile schema ends
 * with an error instead of a hang.
 */
#include "common.h"
#include "buf.h"
#include "ocds.h"
#include "ocds_json.h"
#include "ocds_merge_int.h"

#define SCHEMA_MAX_DEPTH 32

struct ocds_merge_rules {
    struct ocds_rnode root;
};

static struct ocds_rnode *rnode_child_add(struct ocds_rnode *n, const char *name, size_t len)
{
    struct ocds_rnode *c = (struct ocds_rnode *)ocds_rnode_child(n, name, len);
    if (c)
        return c;
    if (n->nkids == n->cap) {
        n->cap = n->cap ? n->cap * 2 : 4;
        n->kids = bf_xrealloc(n->kids, n->cap * sizeof *n->kids);
    }
    c = bf_xcalloc(1, sizeof *c);
    c->name = bf_xstrndup(name, len);
    c->len = len;
    n->kids[n->nkids++] = c;
    n->kmask |= 1ull << (len ? (unsigned char)name[0] & 63 : 0);
    return c;
}

const struct ocds_rnode *ocds_rnode_child(const struct ocds_rnode *n, const char *name, size_t len)
{
    size_t i;
    if (!ocds_rnode_may_have(n, name, len))
        return NULL;
    /* the merge asks for every new path: the first byte settles most
     * misses without a call to memcmp */
    for (i = 0; i < n->nkids; i++)
        if (n->kids[i]->len == len && (len == 0 || n->kids[i]->name[0] == name[0]) &&
            memcmp(n->kids[i]->name, name, len) == 0)
            return n->kids[i];
    return NULL;
}

const struct ocds_rnode *ocds_merge_rules_root(const struct ocds_merge_rules *r)
{
    return r ? &r->root : NULL;
}

static void rnode_free(struct ocds_rnode *n)
{
    size_t i;
    for (i = 0; i < n->nkids; i++) {
        rnode_free(n->kids[i]);
        free(n->kids[i]);
    }
    free(n->kids);
    free(n->name);
}

void ocds_merge_rules_free(struct ocds_merge_rules *r)
{
    if (!r)
        return;
    rnode_free(&r->root);
    free(r);
}

int ocds_merge_rules_set(struct ocds_merge_rules *r, const char *path, unsigned flags, struct bf_err *err)
{
    struct ocds_rnode *n = &r->root;
    const char *p = path;

    if (!path || !*path)
        return bf_err_set(err, BF_EINVAL, "merge rule needs a property path");
    while (*p) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (len == 0)
            return bf_err_set(err, BF_EINVAL, "merge rule path '%s' has an empty segment", path);
        n = rnode_child_add(n, p, len);
        p += len + (slash ? 1 : 0);
    }
    n->flags = flags;
    return 0;
}

unsigned ocds_merge_rules_get(const struct ocds_merge_rules *r, const char *path)
{
    const struct ocds_rnode *n = r ? &r->root : NULL;
    const char *p = path;

    while (n && *p) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        n = ocds_rnode_child(n, p, len);
        p += len + (slash ? 1 : 0);
    }
    return n ? n->flags : 0;
}

static int rnode_cmp(const void *pa, const void *pb)
{
    const struct ocds_rnode *a = *(const struct ocds_rnode *const *)pa, *b = *(const struct ocds_rnode *const *)pb;
    int c = memcmp(a->name, b->name, BF_MIN(a->len, b->len));
    return c ? c : (a->len < b->len ? -1 : a->len > b->len);
}

static void each_node(const struct ocds_rnode *n, struct bf_buf *path,
                      void (*fn)(const char *, unsigned, void *), void *arg)
{
    size_t i, mark = path->len;
    struct ocds_rnode **kids = bf_xcalloc(n->nkids ? n->nkids : 1, sizeof *kids);

    if (n->nkids)
        memcpy(kids, n->kids, n->nkids * sizeof *kids);
    qsort(kids, n->nkids, sizeof *kids, rnode_cmp);
    for (i = 0; i < n->nkids; i++) {
        const struct ocds_rnode *c = kids[i];
        if ((mark && bf_buf_putc(path, '/') < 0) || bf_buf_append(path, c->name, c->len) < 0)
            continue;
        if (c->flags)
            fn(path->data, c->flags, arg);
        each_node(c, path, fn, arg);
        path->len = mark;
        path->data[mark] = '\0';
    }
    free(kids);
}

void ocds_merge_rules_each(const struct ocds_merge_rules *r, void (*fn)(const char *path, unsigned flags, void *arg),
                           void *arg)
{
    struct bf_buf path = BF_BUF_INIT;
    if (r)
        each_node(&r->root, &path, fn, arg);
    bf_buf_free(&path);
}

int ocds_merge_rules_builtin(struct ocds_merge_rules **out, struct bf_err *err)
{
    struct ocds_merge_rules *r = bf_xcalloc(1, sizeof *r);
    size_t i;
    int rc;

    for (i = 0; i < ocds_builtin_rules_len; i++)
        if ((rc = ocds_merge_rules_set(r, ocds_builtin_rules[i].path, ocds_builtin_rules[i].flags, err)) < 0) {
            ocds_merge_rules_free(r);
            return rc;
        }
    *out = r;
    return 0;
}

int ocds_merge_rules_for_version(const char *version, struct ocds_merge_rules **out, struct bf_err *err)
{
    int rc = ocds_merge_rules_builtin(out, err);

    if (rc < 0 || (version && strncmp(version, "1.0", 3) != 0))
        return rc;
    if ((rc = ocds_merge_rules_set(*out, "tender/tenderers", OCDS_MERGE_WHOLE_LIST, err)) < 0 ||
        (rc = ocds_merge_rules_set(*out, "awards/suppliers", OCDS_MERGE_WHOLE_LIST, err)) < 0) {
        ocds_merge_rules_free(*out);
        *out = NULL;
    }
    return rc;
}

/* ---- rules from a JSON Schema --------------------------------------- */

/* Follows local $refs ("#/definitions/X") from node; NULL if unresolvable. */
static const json_t *resolve(const json_t *schema, const json_t *node)
{
    int hops;
    for (hops = 0; hops < SCHEMA_MAX_DEPTH && json_is_object(node); hops++) {
        const char *ref = json_string_value(json_object_get(node, "$ref"));
        if (!ref)
            return node;
        if (ref[0] != '#')
            return NULL;
        node = ocds_json_pointer_get(schema, ref + 1);
    }
    return json_is_object(node) ? node : NULL;
}

static int has_type(const json_t *node, const char *t)
{
    json_t *type = json_object_get(node, "type"), *e;
    size_t i;
    if (json_is_string(type))
        return strcmp(json_string_value(type), t) == 0;
    json_array_foreach(type, i, e)
        if (json_is_string(e) && strcmp(json_string_value(e), t) == 0)
            return 1;
    return 0;
}

static int has_non_object_type(const json_t *node)
{
    json_t *type = json_object_get(node, "type"), *e;
    size_t i;
    if (json_is_string(type))
        return strcmp(json_string_value(type), "object") != 0;
    json_array_foreach(type, i, e)
        if (!json_is_string(e) || strcmp(json_string_value(e), "object") != 0)
            return 1;
    return 0;
}

static int strategy_is(const json_t *node, const char *s)
{
    const char *v = json_string_value(json_object_get(node, "mergeStrategy"));
    return v && strcmp(v, s) == 0;
}

static int rules_walk(const json_t *schema, const json_t *props, struct ocds_rnode *at, int depth,
                      struct bf_err *err);

static int rules_array(const json_t *schema, const json_t *value, struct ocds_rnode *n, int depth,
                       struct bf_err *err)
{
    const json_t *items = resolve(schema, json_object_get(value, "items"));
    const json_t *iprops;

    if (!items)
        return 0;
    if (has_non_object_type(items)) {
        n->flags |= OCDS_MERGE_WHOLE_LIST;
        return 0;
    }
    iprops = json_object_get(items, "properties");
    if (!has_type(items, "object") || !json_is_object(iprops))
        return 0;
    if (!json_object_get(iprops, "id")) {
        n->flags |= OCDS_MERGE_WHOLE_LIST;
        return 0;
    }
    return rules_walk(schema, iprops, n, depth + 1, err);
}

static int rules_walk(const json_t *schema, const json_t *props, struct ocds_rnode *at, int depth,
                      struct bf_err *err)
{
    const char *key;
    json_t *raw;
    int rc;

    if (depth > SCHEMA_MAX_DEPTH)
        return bf_err_set(err, BF_ELIMIT, "schema nested deeper than %d levels (a $ref cycle?)", SCHEMA_MAX_DEPTH);
    json_object_foreach((json_t *)props, key, raw) {
        const json_t *value = resolve(schema, raw);
        struct ocds_rnode *n;
        if (!value)
            continue;
        n = rnode_child_add(at, key, strlen(key));
        if (json_is_true(json_object_get(value, "omitWhenMerged")) || strategy_is(value, "ocdsOmit")) {
            n->flags |= OCDS_MERGE_OMIT;
        } else if (has_type(value, "array") &&
                   (json_is_true(json_object_get(value, "wholeListMerge")) || strategy_is(value, "ocdsVersion"))) {
            n->flags |= OCDS_MERGE_WHOLE_LIST;
        } else if (has_type(value, "object") && json_is_object(json_object_get(value, "properties"))) {
            if ((rc = rules_walk(schema, json_object_get(value, "properties"), n, depth + 1, err)) < 0)
                return rc;
        } else if (has_type(value, "array")) {
            if ((rc = rules_array(schema, value, n, depth, err)) < 0)
                return rc;
        }
    }
    return 0;
}

int ocds_merge_rules_from_schema(const json_t *schema, struct ocds_merge_rules **out, struct bf_err *err)
{
    struct ocds_merge_rules *r;
    json_t *props = json_object_get(schema, "properties");
    int rc;

    *out = NULL;
    if (!json_is_object(props))
        return bf_err_set(err, BF_EINVAL, "the schema has no top-level \"properties\" object");
    r = bf_xcalloc(1, sizeof *r);
    if ((rc = rules_walk(schema, props, &r->root, 0, err)) < 0) {
        ocds_merge_rules_free(r);
        return rc;
    }
    *out = r;
    return 0;
}
