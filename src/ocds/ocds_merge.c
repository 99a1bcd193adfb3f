/*
 * ocds_merge.c - compiled and versioned releases (OCDS merging.md), with
 * the semantics of the reference implementation (open-contracting/
 * ocds-merge) that its fixtures pin down.
 *
 * Method: each release, in date order, is flattened into (path, value)
 * pairs, where a path is a list of components: a member name, or - for an
 * item of an identifier-merged array - the item's "id" (1 and "1" are the
 * same item, as in ocds-merge), a fresh unique token for an item without
 * id or under an APPEND override, or the index under BY_POSITION. Literals,
 * whole-list arrays and arrays holding non-objects are leaves; empty
 * objects and identifier-merged arrays contribute nothing; omitted fields
 * are skipped. Compiled: later values replace earlier ones at the same
 * path (a null removes the field, keeping its parents). Versioned: each
 * path keeps the list of {releaseID, releaseDate, releaseTag, value},
 * appending only when the value differs from the last (numbers compare by
 * value). The merged paths are then unflattened into one JSON object;
 * objects created for array items get their original "id" first, so the
 * id of an array member is never versioned.
 *
 * Belfry addition: in a compiled release a withheld marker ({"withheld":
 * true, ...}) is a leaf, and its path stays a leaf in later releases, so a
 * disclosed value replaces the marker instead of merging member by member
 * into it. In a versioned release the marker's members are versioned like
 * any object's (so the versioned release keeps OCDS's shape) and, when
 * the value is disclosed, the marker members get a final null version.
 *
 * Invariants: inputs are never modified. The output shares no container
 * with them (objects and arrays are copied) but shares scalar leaves
 * (strings, numbers) by reference count: copying every string and number
 * was a fifth of the merge's time in the import, and jansson scalars only
 * change through json_*_set, which no caller applies to a merge result
 * (treat results as read-only, as the versioned release's shared version
 * fields already required). Path components are length-prefixed
 * so no member name can forge another path; recursion stops at
 * OCDS_JSON_MAX_DEPTH with BF_ELIMIT.
 */
#include "common.h"
#include "arena.h"
#include "buf.h"
#include "ocds.h"
#include "ocds_json.h"
#include "ocds_merge_int.h"
#include "hash.h"

#include <pthread.h>

/* ---- an insertion-ordered hash table keyed by byte strings ---------- */

struct mtab_ent {
    char *key;
    size_t klen;
    uint64_t h;
    json_t *val;
    unsigned versioned : 1, deleted : 1;
};

struct mtab {
    struct mtab_ent *v;
    size_t n, cap;
    size_t *slots; /* index + 1; 0 = empty */
    size_t nslots;
    struct bf_arena *arena; /* keys live here when set (freed with it) */
};

/* Paths hash with bf_hash_cont (hash.h): the hash of a path continues its
 * prefix's over whole components. */

static struct mtab_ent *mtab_find_h(const struct mtab *t, const char *k, size_t n, uint64_t h)
{
    size_t i;

    if (!t->nslots)
        return NULL;
    for (i = h & (t->nslots - 1); t->slots[i]; i = (i + 1) & (t->nslots - 1)) {
        struct mtab_ent *e = &t->v[t->slots[i] - 1];
        if (e->h == h && e->klen == n && memcmp(e->key, k, n) == 0)
            return e;
    }
    return NULL;
}

static void mtab_grow(struct mtab *t)
{
    size_t i, ns = t->nslots ? t->nslots * 2 : 64;
    free(t->slots);
    t->slots = bf_xcalloc(ns, sizeof *t->slots);
    t->nslots = ns;
    for (i = 0; i < t->n; i++) {
        size_t s = t->v[i].h & (ns - 1);
        while (t->slots[s])
            s = (s + 1) & (ns - 1);
        t->slots[s] = i + 1;
    }
}

/* The entry for key (hash h), created (val NULL) if absent. */
static struct mtab_ent *mtab_put_h(struct mtab *t, const char *k, size_t n, uint64_t h)
{
    struct mtab_ent *e = mtab_find_h(t, k, n, h);
    size_t s;

    if (e)
        return e;
    if ((t->n + 1) * 2 > t->nslots)
        mtab_grow(t);
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 64;
        t->v = bf_xrealloc(t->v, t->cap * sizeof *t->v);
    }
    e = &t->v[t->n];
    memset(e, 0, sizeof *e);
    e->key = t->arena ? bf_arena_alloc(t->arena, n ? n : 1) : bf_xmalloc(n ? n : 1);
    memcpy(e->key, k, n);
    e->klen = n;
    e->h = h;
    for (s = e->h & (t->nslots - 1); t->slots[s]; s = (s + 1) & (t->nslots - 1))
        ;
    t->slots[s] = ++t->n;
    return e;
}

static void mtab_free(struct mtab *t, int owns_values)
{
    size_t i;
    for (i = 0; i < t->n; i++) {
        if (!t->arena)
            free(t->v[i].key);
        if (owns_values)
            json_decref(t->v[i].val);
    }
    free(t->v);
    free(t->slots);
    t->v = NULL, t->slots = NULL;
    t->n = t->cap = t->nslots = 0;
}

/* ---- paths ----------------------------------------------------------- */

enum { COMP_KEY = 'k', COMP_ID = 'i', COMP_UNIQUE = 'u', COMP_POS = 'p' };
#define COMP_HDR 5

static int path_push(struct bf_buf *p, char tag, const char *s, size_t n)
{
    unsigned char hdr[COMP_HDR] = {(unsigned char)tag, (unsigned char)(n >> 24), (unsigned char)(n >> 16),
                                   (unsigned char)(n >> 8), (unsigned char)n};
    if (bf_buf_append(p, hdr, sizeof hdr) < 0 || bf_buf_append(p, s, n) < 0)
        return BF_ELIMIT;
    return 0;
}

static size_t comp_len(const char *k)
{
    const unsigned char *u = (const unsigned char *)k;
    return ((size_t)u[1] << 24) | ((size_t)u[2] << 16) | ((size_t)u[3] << 8) | u[4];
}

static void path_pop(struct bf_buf *p, size_t mark)
{
    p->len = mark;
    if (p->data)
        p->data[mark] = '\0';
}

/* ---- flattening ------------------------------------------------------ */

struct merge {
    const struct ocds_rnode *root;
    int versioned;
    struct mtab data;   /* path -> value (compiled) or versions array */
    struct mtab ids;    /* path through an item component -> its original id */
    struct mtab sticky; /* paths that held a withheld marker */
    size_t uniq;
    const json_t *rel_id, *rel_date, *rel_tag;
    json_t *ver_id, *ver_date, *ver_tag; /* owned copies shared by versions */
    struct bf_buf path;
    uint64_t h; /* hash of path */
    struct bf_arena arena;
    struct bf_err *err;
};

/* The current path with its running hash; marks restore both. */
struct mpath_mark {
    size_t len;
    uint64_t h;
};

static int mpush(struct merge *m, char tag, const char *s, size_t n)
{
    size_t old = m->path.len;
    struct bf_buf *p = &m->path;

    if (p->data && old + COMP_HDR + n < p->cap &&
        old + COMP_HDR + n <= (p->max ? p->max : BF_BUF_DEFAULT_MAX)) {
        unsigned char *d = (unsigned char *)p->data + old; /* room: no bf_buf calls (the hot path) */
        d[0] = (unsigned char)tag, d[1] = (unsigned char)(n >> 24), d[2] = (unsigned char)(n >> 16);
        d[3] = (unsigned char)(n >> 8), d[4] = (unsigned char)n;
        memcpy(d + COMP_HDR, s, n);
        p->len = old + COMP_HDR + n;
        p->data[p->len] = '\0';
    } else if (path_push(p, tag, s, n) < 0) {
        return BF_ELIMIT;
    }
    m->h = bf_hash_cont(m->h, m->path.data + old, m->path.len - old);
    return 0;
}

static struct mpath_mark mmark(const struct merge *m)
{
    struct mpath_mark k = {m->path.len, m->h};
    return k;
}

static void mpop(struct merge *m, struct mpath_mark k)
{
    path_pop(&m->path, k.len);
    m->h = k.h;
}

static void mreset(struct merge *m)
{
    bf_buf_reset(&m->path);
    m->h = BF_HASH_BASIS;
}

static int is_marker(const json_t *v)
{
    return json_is_object(v) && json_is_true(json_object_get(v, "withheld"));
}

/* A value for the output: scalars are shared (see the invariants above),
 * containers copied. */
static json_t *leaf_copy(const json_t *v)
{
    if (json_is_object(v) || json_is_array(v))
        return json_deep_copy(v);
    return json_incref((json_t *)v);
}

/* The release's id, date and tag are copied once per release and shared
 * by all of its versions (the output is a DAG of reference-counted nodes). */
static json_t *version_of(struct merge *m, const json_t *value)
{
    json_t *ver = json_object();
    /* members in JCS order, so canonicalizing the result needs no sort */
    json_object_set_nocheck(ver, "releaseDate", m->ver_date);
    json_object_set_nocheck(ver, "releaseID", m->ver_id);
    json_object_set_nocheck(ver, "releaseTag", m->ver_tag);
    json_object_set_new_nocheck(ver, "value", leaf_copy(value));
    return ver;
}

/* Compiled: removes merged values below path (a marker replaces them). */
static void drop_below(struct merge *m, const char *k, size_t n)
{
    size_t i;
    for (i = 0; i < m->data.n; i++) {
        struct mtab_ent *e = &m->data.v[i];
        if (e->klen > n && memcmp(e->key, k, n) == 0)
            e->deleted = 1;
    }
}

static void emit(struct merge *m, const json_t *value)
{
    const char *k = m->path.data;
    size_t n = m->path.len;
    struct mtab_ent *e = mtab_put_h(&m->data, k, n, m->h);
    json_t *last;

    if (!m->versioned) {
        json_decref(e->val);
        e->val = json_incref((json_t *)value);
        e->deleted = 0;
        return;
    }
    if (e->val && !e->versioned)
        return;
    if (e->val) {
        last = json_array_get(e->val, json_array_size(e->val) - 1);
        if (ocds_json_equal(json_object_get(last, "value"), value))
            return;
    } else {
        e->val = json_array();
        e->versioned = 1;
    }
    json_array_append_new(e->val, version_of(m, value));
}

static int flatten_object(struct merge *m, const json_t *obj, const struct ocds_rnode *rn, int depth);


/* The path component of an identifier-merged array item. */
static int item_component(struct merge *m, const json_t *item, size_t index, unsigned flags)
{
    json_t *id = json_object_get(item, "id");
    char buf[40];
    struct bf_buf txt = BF_BUF_INIT;
    int rc;

    if (flags & OCDS_MERGE_APPEND || !id || json_is_null(id) || json_is_object(id) || json_is_array(id)) {
        if (flags & OCDS_MERGE_BY_POSITION) {
            snprintf(buf, sizeof buf, "%zu", index);
            return mpush(m, COMP_POS, buf, strlen(buf));
        }
        snprintf(buf, sizeof buf, "%zu", m->uniq++);
        return mpush(m, COMP_UNIQUE, buf, strlen(buf));
    }
    if (flags & OCDS_MERGE_BY_POSITION) {
        snprintf(buf, sizeof buf, "%zu", index);
        return mpush(m, COMP_POS, buf, strlen(buf));
    }
    if (json_is_string(id))
        return mpush(m, COMP_ID, json_string_value(id), json_string_length(id));
    if ((rc = ocds_jcs(id, &txt, m->err)) == 0)
        rc = mpush(m, COMP_ID, txt.data, txt.len);
    bf_buf_free(&txt);
    return rc;
}

static int flatten_array(struct merge *m, const json_t *arr, const struct ocds_rnode *rn, int depth)
{
    unsigned flags = rn ? rn->flags : 0;
    size_t i;
    struct mpath_mark mark = mmark(m);
    json_t *item;
    int rc;

    json_array_foreach(arr, i, item) {
        json_t *id = json_object_get(item, "id");
        if ((rc = item_component(m, item, i, flags)) < 0)
            return bf_err_set(m->err, rc, "merge path too long");
        if (id && !json_is_null(id) && !json_is_object(id) && !json_is_array(id)) {
            struct mtab_ent *e = mtab_put_h(&m->ids, m->path.data, m->path.len, m->h);
            if (!e->val)
                e->val = json_incref(id);
        }
        rc = flatten_object(m, item, rn, depth + 1);
        mpop(m, mark);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Versioned: after a marker at this path, the members of the marker that
 * the disclosed value lacks end with a null version (removed). */
static int versioned_unmark(struct merge *m, const json_t *v)
{
    static const char *const marker_keys[] = {"withheld", "reason", "disclosureDate", "commitment"};
    size_t i;
    struct mpath_mark mark = mmark(m);

    for (i = 0; i < BF_ARRAY_LEN(marker_keys); i++) {
        const char *k = marker_keys[i];
        if (json_object_get(v, k))
            continue;
        if (mpush(m, COMP_KEY, k, strlen(k)) < 0)
            return bf_err_set(m->err, BF_ELIMIT, "merge path too long");
        if (mtab_find_h(&m->data, m->path.data, m->path.len, m->h))
            emit(m, json_null());
        mpop(m, mark);
    }
    return 0;
}

static int flatten_member(struct merge *m, const json_t *v, const struct ocds_rnode *child, int depth)
{
    unsigned flags = child ? child->flags : 0;
    int sticky = m->sticky.n && mtab_find_h(&m->sticky, m->path.data, m->path.len, m->h) != NULL;
    int rc;

    if (is_marker(v)) {
        mtab_put_h(&m->sticky, m->path.data, m->path.len, m->h);
        if (m->versioned) /* its members are versioned like any object's */
            return flatten_object(m, v, child, depth + 1);
        drop_below(m, m->path.data, m->path.len);
        emit(m, v);
    } else if (m->versioned && sticky && json_is_object(v)) {
        if ((rc = flatten_object(m, v, child, depth + 1)) < 0)
            return rc;
        return versioned_unmark(m, v);
    } else if ((!json_is_object(v) && !json_is_array(v)) || flags & OCDS_MERGE_WHOLE_LIST ||
               (json_is_array(v) && !ocds_all_objects(v)) || (sticky && !m->versioned)) {
        emit(m, v);
    } else if (json_is_object(v) && json_object_size(v)) {
        return flatten_object(m, v, child, depth + 1);
    } else if (json_is_array(v) && json_array_size(v)) {
        return flatten_array(m, v, child, depth + 1);
    }
    return 0;
}

static int flatten_object(struct merge *m, const json_t *obj, const struct ocds_rnode *rn, int depth)
{
    const char *key;
    size_t klen;
    struct mpath_mark mark = mmark(m);
    json_t *v;
    int rc;

    if (depth > OCDS_JSON_MAX_DEPTH)
        return bf_err_set(m->err, BF_ELIMIT, "release nested deeper than %d levels", OCDS_JSON_MAX_DEPTH);
    json_object_keylen_foreach((json_t *)obj, key, klen, v) {
        const struct ocds_rnode *child = ocds_rnode_child(rn, key, klen);
        if (depth == 0 && klen == 3 && memcmp(key, "tag", 3) == 0)
            continue; /* tag is popped before merging (OCDS < 1.1.4 did not omit it) */
        if (m->versioned && depth == 0 && klen == 4 && memcmp(key, "ocid", 4) == 0)
            continue; /* the ocid is not versioned */
        if (child && child->flags & OCDS_MERGE_OMIT)
            continue;
        if (mpush(m, COMP_KEY, key, klen) < 0)
            return bf_err_set(m->err, BF_ELIMIT, "merge path too long");
        rc = flatten_member(m, v, child, depth);
        mpop(m, mark);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* ---- unflattening ---------------------------------------------------- */

/* The containers of the previous entry's path, by component: entries
 * come in an order where neighbours share long prefixes, so most
 * components are found here without hashing the prefix. */
#define UCACHE_MAX 160
struct ucache {
    const char *key;
    size_t klen, n;
    size_t end[UCACHE_MAX];
    uint64_t h[UCACHE_MAX]; /* hash of the path up to end[] */
    json_t *node[UCACHE_MAX];
};

static size_t common_prefix(const char *a, size_t an, const char *b, size_t bn)
{
    size_t i, n = BF_MIN(an, bn);
    for (i = 0; i < n && a[i] == b[i]; i++)
        ;
    return i;
}

/* Places one merged path into the output tree. */
static void unflatten_entry(struct merge *m, struct mtab *nodes, struct ucache *uc, json_t *root,
                            const struct mtab_ent *e)
{
    json_t *cur = root;
    size_t off = 0, ci = 0, same = uc->key ? common_prefix(uc->key, uc->klen, e->key, e->klen) : 0;
    uint64_t hh = BF_HASH_BASIS;

    while (off < e->klen) {
        char tag = e->key[off];
        size_t len = comp_len(e->key + off), end = off + COMP_HDR + len;
        const char *name = e->key + off + COMP_HDR;
        struct mtab_ent *ne;
        json_t *node, *existing;

        if (ci < uc->n && uc->end[ci] == end && end <= same && end < e->klen) {
            hh = uc->h[ci];
            cur = uc->node[ci++];
            off = end;
            continue;
        }
        hh = bf_hash_cont(hh, e->key + off, end - off);
        uc->n = ci; /* the cache now describes this entry's prefix */
        if ((ne = mtab_find_h(nodes, e->key, end, hh)) != NULL) {
            node = ne->val;
        } else if (tag != COMP_KEY) { /* an array item */
            struct mtab_ent *id = mtab_find_h(&m->ids, e->key, end, hh);
            if (!json_is_array(cur))
                break;
            node = json_object();
            if (id)
                json_object_set_new(node, "id", leaf_copy(id->val));
            json_array_append_new(cur, node);
            mtab_put_h(nodes, e->key, end, hh)->val = node; /* borrowed */
        } else {
            if (!json_is_object(cur))
                break;
            existing = json_object_getn(cur, name, len);
            if (end == e->klen) {
                if (existing)
                    break;
                if (e->versioned) /* built by us: hand it over */
                    json_object_setn_nocheck(cur, name, len, e->val);
                else if (!json_is_null(e->val)) /* compiled null: field removed */
                    json_object_setn_new_nocheck(cur, name, len, leaf_copy(e->val));
                break;
            }
            if (e->key[end] == COMP_KEY ? json_is_object(existing) : json_is_array(existing)) {
                node = existing;
            } else {
                node = e->key[end] == COMP_KEY ? json_object() : json_array();
                json_object_setn_new(cur, name, len, node);
            }
            mtab_put_h(nodes, e->key, end, hh)->val = node; /* borrowed */
        }
        if (end < e->klen && ci < UCACHE_MAX) {
            uc->end[ci] = end, uc->node[ci] = node, uc->h[ci] = hh;
            uc->n = ++ci;
        }
        cur = node;
        off = end;
    }
    uc->key = e->key, uc->klen = e->klen;
}

static json_t *unflatten(struct merge *m)
{
    struct mtab nodes = {0};
    struct ucache ucs, *uc = &ucs; /* on the stack: a large calloc per merge makes malloc consolidate */

    json_t *root = json_object();
    size_t i;

    uc->key = NULL, uc->klen = uc->n = 0; /* the node arrays need no clearing */
    nodes.arena = &m->arena;

    for (i = 0; i < m->data.n; i++)
        if (!m->data.v[i].deleted)
            unflatten_entry(m, &nodes, uc, root, &m->data.v[i]);
    mtab_free(&nodes, 0);
    return root;
}

static void release_versions(struct merge *m, const json_t *r)
{
    json_decref(m->ver_id), json_decref(m->ver_date), json_decref(m->ver_tag);
    m->rel_id = json_object_get(r, "id");
    m->rel_date = json_object_get(r, "date");
    m->rel_tag = json_object_get(r, "tag");
    m->ver_id = m->rel_id ? json_deep_copy(m->rel_id) : json_null();
    m->ver_date = m->rel_date ? json_deep_copy(m->rel_date) : json_null();
    m->ver_tag = m->rel_tag ? json_deep_copy(m->rel_tag) : json_null();
}

static void merge_free(struct merge *m)
{
    json_decref(m->ver_id), json_decref(m->ver_date), json_decref(m->ver_tag);
    mtab_free(&m->data, 1);
    mtab_free(&m->ids, 1);
    mtab_free(&m->sticky, 0);
    bf_buf_free(&m->path);
    bf_arena_free(&m->arena);
}

static void compiled_header(struct merge *m, const json_t *r)
{
    const char *ocid = json_string_value(json_object_get(r, "ocid"));
    const char *date = json_string_value(json_object_get(r, "date"));
    char *id = bf_xmalloc(strlen(ocid) + strlen(date) + 2);
    json_t *v;

    snprintf(id, strlen(ocid) + strlen(date) + 2, "%s-%s", ocid, date);
    mreset(m);
    if (mpush(m, COMP_KEY, "id", 2) == 0) {
        v = json_string(id);
        emit(m, v);
        json_decref(v);
    }
    mreset(m);
    if (mpush(m, COMP_KEY, "date", 4) == 0)
        emit(m, json_object_get(r, "date"));
    mreset(m);
    if (mpush(m, COMP_KEY, "ocid", 4) == 0)
        emit(m, json_object_get(r, "ocid"));
    mreset(m);
    free(id);
}

static void versioned_ocid(struct merge *m, const json_t *r)
{
    struct mtab_ent *e;
    mreset(m);
    if (mpush(m, COMP_KEY, "ocid", 4) < 0)
        return;
    e = mtab_put_h(&m->data, m->path.data, m->path.len, m->h);
    json_decref(e->val);
    e->val = json_incref(json_object_get(r, "ocid"));
    e->versioned = 0;
    mreset(m);
}

static int merge_run(const struct ocds_merge_rules *rules, json_t *const *releases, size_t n, int versioned,
                     json_t **out, struct bf_err *err)
{
    struct merge m;
    struct ocds_dated *d = NULL;
    size_t i;
    int rc;

    *out = NULL;
    memset(&m, 0, sizeof m);
    m.root = ocds_merge_rules_root(rules);
    m.versioned = versioned;
    m.err = err;
    bf_buf_init(&m.path, 1 << 20);
    m.h = BF_HASH_BASIS;
    m.data.arena = m.ids.arena = m.sticky.arena = &m.arena;
    if ((rc = ocds_merge_sort_releases(releases, n, &d, err)) < 0)
        goto out;
    if (!versioned) {
        json_t *tag = json_pack("[s]", "compiled");
        if (mpush(&m, COMP_KEY, "tag", 3) == 0)
            emit(&m, tag);
        json_decref(tag);
        mreset(&m);
    }
    for (i = 0; i < n; i++) {
        const json_t *r = d[i].r;
        if (versioned)
            release_versions(&m, r);
        if (versioned)
            versioned_ocid(&m, r);
        else
            compiled_header(&m, r);
        if ((rc = flatten_object(&m, r, m.root, 0)) < 0) {
            bf_err_wrap(err, "release %zu", d[i].i);
            goto out;
        }
    }
    *out = unflatten(&m);
out:
    free(d);
    merge_free(&m);
    return rc;
}


/* ---- the built-in rules, built once per process ---------------------- */

static pthread_once_t builtin_once = PTHREAD_ONCE_INIT;
static struct ocds_merge_rules *builtin_rules;

static void builtin_init(void)
{
    if (ocds_merge_rules_builtin(&builtin_rules, NULL) < 0)
        builtin_rules = NULL;
}

const struct ocds_merge_rules *ocds_merge_rules_default(struct bf_err *err)
{
    pthread_once(&builtin_once, builtin_init);
    if (!builtin_rules)
        bf_err_set(err, BF_ECORRUPT, "the built-in merge rule table is invalid");
    return builtin_rules;
}

int ocds_merge_compiled_with(const struct ocds_merge_rules *r, json_t *const *releases, size_t n, json_t **out,
                             struct bf_err *err)
{
    *out = NULL;
    if (!r && !(r = ocds_merge_rules_default(err)))
        return BF_ECORRUPT;
    return merge_run(r, releases, n, 0, out, err);
}

int ocds_merge_versioned_with(const struct ocds_merge_rules *r, json_t *const *releases, size_t n, json_t **out,
                              struct bf_err *err)
{
    *out = NULL;
    if (!r && !(r = ocds_merge_rules_default(err)))
        return BF_ECORRUPT;
    return merge_run(r, releases, n, 1, out, err);
}

int ocds_merge_compiled(json_t *const *releases, size_t n, json_t **out, struct bf_err *err)
{
    return ocds_merge_compiled_with(NULL, releases, n, out, err);
}

int ocds_merge_versioned(json_t *const *releases, size_t n, json_t **out, struct bf_err *err)
{
    return ocds_merge_versioned_with(NULL, releases, n, out, err);
}
