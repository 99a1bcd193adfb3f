/*
 * ocds_merge_text.c - the compiled and versioned releases of a record
 * written straight to their RFC 8785 (JCS) text: ocds_merge_texts, the
 * publishing path's merge. The result is byte for byte
 * ocds_jcs(ocds_merge_compiled_with(...)) and
 * ocds_jcs(ocds_merge_versioned_with(...)); ocds_merge.c remains the
 * definition of the merge (read its header first), this file is a faster
 * way to the same text.
 *
 * Method: each release, in date order, is walked once for both merges.
 * The walk keeps a trie of paths (struct pnode; a component is a member
 * name, an item id, a unique token or an index, as in ocds_merge.c) in
 * which each node carries the compiled value and the versions list of its
 * path, so neither merge hashes whole paths nor builds version objects.
 * Where the two merges differ (a withheld marker is a compiled leaf but a
 * versioned object; a path that held a marker stays a compiled leaf) the
 * walk goes on for the versioned merge only. Then, per merge, the paths
 * are placed into a light tree in the trie itself (struct oslot) in the
 * order ocds_merge.c unflattens them, with the same rules for conflicts
 * (an earlier container wins over a later leaf, a leaf is grown into a
 * container, a versions list takes array items ...), and the tree is
 * written as JCS by ocds_merge_text_write.c: object members in
 * ocds_jcs_key_cmp order (each node keeps its members in that order as
 * they are made, for both merges: member_child), leaves with ocds_jcs_at,
 * a path's last version as the compiled value's text when it is the same
 * scalar, versions from a per-release text prefix. The shared structures
 * are in ocds_merge_text_int.h.
 *
 * Invariants: inputs are never modified and only borrowed (names and
 * values point into the releases, which outlive the call); everything
 * else lives in one arena per call. Errors: the walk and the writer fail
 * exactly where the tree merges and ocds_jcs fail (nesting depth, the
 * 1 MiB path bound of ocds_merge.c, the output buffer's limit, release
 * checks); ocds_merge_texts then re-runs the tree merges so the caller
 * gets their exact code and message, and leaves both buffers as they
 * were. Recursion is bounded by OCDS_JSON_MAX_DEPTH (walk and writer).
 */
#include "common.h"
#include "arena.h"
#include "buf.h"
#include "ocds.h"
#include "ocds_jv.h"
#include "ocds_json.h"
#include "ocds_merge_int.h"
#include "ocds_merge_text_int.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define COMP_HDR 5                   /* bytes ocds_merge.c spends per path component */
#define PATH_MAX_BYTES ((size_t)1 << 20) /* and its path buffer's bound */
#define MUL 0x9E3779B97F4A7C15ull
#define NODE_BLOCK 64                /* nodes per arena allocation */
#define MEMBERS_MAX 64               /* members kept in order per object (member_child) */

enum { A_NONE = 0, A_EMIT, A_OBJ, A_ARR }; /* what a merge does with a member */

/* ---- the path trie ---------------------------------------------------- */

/* Bytes k[0..n) for n < 8 as one word, from overlapping loads (no call
 * for a short copy); for a given n, different bytes give different words. */
static inline uint64_t load_short(const char *k, size_t n)
{
    const unsigned char *u = (const unsigned char *)k;
    uint32_t a, b;

    if (n >= 4) {
        memcpy(&a, k, 4);
        memcpy(&b, k + n - 4, 4);
        return (uint64_t)a << 32 | b;
    }
    return n ? (uint64_t)u[0] << 16 | (uint64_t)u[n >> 1] << 8 | u[n - 1] : 0;
}

/* a[0..n) == b[0..n), inline for the short names of OCDS. */
static inline int name_eq(const char *a, const char *b, size_t n)
{
    uint64_t x, y;

    if (n > 16)
        return memcmp(a, b, n) == 0;
    if (n < 8)
        return load_short(a, n) == load_short(b, n);
    memcpy(&x, a, 8), memcpy(&y, b, 8);
    if (x != y)
        return 0;
    memcpy(&x, a + n - 8, 8), memcpy(&y, b + n - 8, 8);
    return x == y;
}

/* The trie's hash of (parent, tag, name): its own, only ever compared
 * with itself. */
static uint32_t comp_hash(const struct pnode *p, char tag, const char *name, size_t len)
{
    uint64_t h = ((uint64_t)(uintptr_t)p * MUL) ^ (unsigned char)tag, w;
    size_t n = len;

    for (; n >= 8; name += 8, n -= 8) {
        memcpy(&w, name, 8);
        h = (h ^ w) * MUL;
        h ^= h >> 29;
    }
    if (n && len >= 8)
        memcpy(&w, name + n - 8, 8); /* the last 8 bytes, overlapping */
    else
        w = load_short(name, n);
    h = (h ^ w ^ ((uint64_t)len << 56)) * MUL;
    return (uint32_t)(h ^ (h >> 32));
}

static void trie_grow(struct mtext *m)
{
    size_t i, ns = m->nslots ? m->nslots * 2 : 256;
    struct pnode **old = m->slots;
    size_t on = m->nslots;

    m->slots = bf_xcalloc(ns, sizeof *m->slots);
    m->nslots = ns;
    for (i = 0; i < on; i++) {
        size_t s;
        if (!old[i])
            continue;
        for (s = old[i]->h & (ns - 1); m->slots[s]; s = (s + 1) & (ns - 1))
            ;
        m->slots[s] = old[i];
    }
    free(old);
}

/* Saturating path length: the parent's plus one component of len bytes. */
static uint32_t plen_add(uint32_t parent, size_t len)
{
    size_t s = len > PATH_MAX_BYTES ? PATH_MAX_BYTES + 1 : (size_t)parent + COMP_HDR + len;
    return s > PATH_MAX_BYTES ? (uint32_t)PATH_MAX_BYTES + 1 : (uint32_t)s;
}

/* Zeroes a node with vector stores, written out: the compiler makes a
 * memset of a node (or a loop of stores) a "rep stos", slow to start for
 * so few bytes. */
static inline void node_zero(struct pnode *c)
{
#if defined(__SSE2__)
    char *p = (char *)c;
#define Z(i) if ((i) * 16 + 16 <= sizeof *c) _mm_storeu_si128((__m128i *)(void *)(p + (i) * 16), _mm_setzero_si128())
    Z(0); Z(1); Z(2); Z(3); Z(4); Z(5); Z(6); Z(7); Z(8); Z(9); Z(10); Z(11); Z(12); Z(13); Z(14); Z(15);
#undef Z
    _mm_storeu_si128((__m128i *)(void *)(p + sizeof *c - 16), _mm_setzero_si128()); /* the tail, overlapping */
    _Static_assert(sizeof *c <= 256, "node_zero covers a node");
#else
    memset(c, 0, sizeof *c);
#endif
}

/* A zeroed node, cut from a block of the arena: a record makes a few
 * hundred, so one arena call per block instead of one per node. */
static struct pnode *node_new(struct mtext *m, struct pnode *p, char tag, const char *name, size_t len)
{
    struct pnode *c;

    if (!m->npool) {
        m->pool = bf_arena_alloc(&m->arena, NODE_BLOCK * sizeof *c);
        m->npool = NODE_BLOCK;
    }
    c = m->pool++;
    m->npool--;
    node_zero(c);
    c->parent = p, c->tag = tag, c->name = name, c->len = len;
    c->depth = p->depth + 1;
    c->plen[MC] = plen_add(p->plen[MC], len);
    c->plen[MV] = plen_add(p->plen[MV], len);
    return c;
}

static struct pnode *trie_find(const struct mtext *m, const struct pnode *p, char tag, const char *name, size_t len,
                               uint32_t h)
{
    size_t i, mask = m->nslots - 1;
    for (i = h & mask; m->slots[i]; i = (i + 1) & mask) {
        struct pnode *c = m->slots[i];
        if (c->h == h && c->parent == p && c->tag == tag && c->len == len && name_eq(c->name, name, len))
            return c;
    }
    return NULL;
}

static void trie_insert(struct mtext *m, struct pnode *c)
{
    size_t i;

    if ((m->count + 1) * 2 > m->nslots)
        trie_grow(m);
    c->h = comp_hash(c->parent, c->tag, c->name, c->len);
    for (i = c->h & (m->nslots - 1); m->slots[i]; i = (i + 1) & (m->nslots - 1))
        ;
    m->slots[i] = c;
    m->count++;
    c->parent->in_trie = 1;
}

/* The child of p for an item component, created if new; the name is
 * borrowed (it points into a release) unless copy is set. Members are
 * found in their parent's ordered list instead (member_child). */
static struct pnode *trie_child(struct mtext *m, struct pnode *p, char tag, const char *name, size_t len, int copy)
{
    struct pnode *c = p->in_trie ? trie_find(m, p, tag, name, len, comp_hash(p, tag, name, len)) : NULL;

    if (c)
        return c;
    c = node_new(m, p, tag, copy ? bf_arena_strndup(&m->arena, name, len) : name, len);
    trie_insert(m, c);
    return c;
}

/* Reads member k's name once for both merges' writes (its sort prefix is
 * already in k->kpre): whether JCS writes it as it is, 8 bytes at a time
 * (the last 8 overlapping; a short name as its prefix with the pad bytes
 * set to 'a', so that only its own bytes count), and whether it is "id". */
static void key_info(struct pnode *k)
{
    const uint64_t ones = 0x0101010101010101ull;
    size_t i, n = k->len;
    uint64_t w;
    int esc;

    if (n < 8) { /* big-endian, the pad bytes low */
        esc = ocds_jcs_word_esc(k->kpre | (ones * 'a' & (~0ull >> (8 * n))));
    } else {
        for (esc = 0, i = 0; i + 8 < n; i += 8) {
            memcpy(&w, k->name + i, 8);
            esc |= ocds_jcs_word_esc(w);
        }
        memcpy(&w, k->name + n - 8, 8);
        esc |= ocds_jcs_word_esc(w);
    }
    k->key_clean = esc == 0;
    k->is_id = n == 2 && k->kpre >> 48 == ((uint64_t)'i' << 8 | 'd');
}

/* Members are kept per parent in JCS order (skids): the order both
 * merges' writers go through without sorting, and the list a member is
 * looked up in, the scan that misses also finding where a new one goes.
 * An object with very many members (beyond OCDS: the scan is linear) has
 * them in the trie's hash instead, and the writer sorts it. So has one
 * whose names tie in JCS order without being the same bytes (not UTF-8),
 * as the sort keeps such names in their placement order. */
static void members_to_trie(struct mtext *m, struct pnode *p)
{
    struct pnode *k;

    p->unsorted = 1;
    for (k = p->skids; k; k = k->snext)
        trie_insert(m, k);
}

static struct pnode *member_new(struct mtext *m, struct pnode *p, const char *name, size_t len, uint64_t pre)
{
    struct pnode *c = node_new(m, p, TK_KEY, name, len);

    c->kpre = pre;
    key_info(c);
    return c;
}

/* The member child of p named name[0..len) (borrowed), made if new. */
static struct pnode *member_child(struct mtext *m, struct pnode *p, const char *name, size_t len)
{
    uint64_t pre = ocds_jcs_key_prefix(name, len);
    struct pnode **at = &p->skids, *x, *c;
    int o;

    if (p->unsorted) {
        if ((c = p->in_trie ? trie_find(m, p, TK_KEY, name, len, comp_hash(p, TK_KEY, name, len)) : NULL) != NULL)
            return c;
        c = member_new(m, p, name, len, pre);
        trie_insert(m, c);
        return c;
    }
    for (; (x = *at) != NULL; at = &x->snext) {
        if (x->kpre != pre && ((x->kpre | pre) & 0x8080808080808080ull) == 0) {
            if (x->kpre > pre) /* ASCII prefixes that differ: their order is the names' */
                break;
            continue;
        }
        if (x->kpre == pre && x->len == len && name_eq(x->name, name, len))
            return x;
        if ((o = ocds_jcs_prefix_order(x->kpre, pre)) == 0 && (o = ocds_jcs_key_cmp(x->name, x->len, name, len)) == 0) {
            members_to_trie(m, p); /* a tie of different bytes */
            return member_child(m, p, name, len);
        }
        if (o > 0)
            break;
    }
    c = member_new(m, p, name, len, pre);
    c->snext = *at;
    *at = c;
    p->has_id |= c->is_id;
    if (++p->nkeys > MEMBERS_MAX)
        members_to_trie(m, p);
    return c;
}

/* The member p/name[0..len) if it exists. */
static struct pnode *member_find(const struct mtext *m, const struct pnode *p, const char *name, size_t len)
{
    struct pnode *x;

    if (p->unsorted)
        return p->in_trie ? trie_find(m, p, TK_KEY, name, len, comp_hash(p, TK_KEY, name, len)) : NULL;
    for (x = p->skids; x; x = x->snext)
        if (x->len == len && name_eq(x->name, name, len))
            return x;
    return NULL;
}

/* 1 if a merge that is on (c, v) would push a component of len bytes
 * after p past ocds_merge.c's path bound. */
static int path_too_long(const struct pnode *p, size_t len, int c, int v)
{
    return (c && plen_add(p->plen[MC], len) > PATH_MAX_BYTES) || (v && plen_add(p->plen[MV], len) > PATH_MAX_BYTES);
}

/* ---- the merges' tables ------------------------------------------------ */

static void entry_add(struct mtext *m, int md, struct pnode *p)
{
    if (m->nent[md] == m->capent[md]) {
        m->capent[md] = m->capent[md] ? m->capent[md] * 2 : 256;
        m->ent[md] = bf_xrealloc(m->ent[md], m->capent[md] * sizeof *m->ent[md]);
    }
    m->ent[md][m->nent[md]++] = p;
}

static void c_emit(struct mtext *m, struct pnode *p, const json_t *v)
{
    if (!p->c_entry) {
        p->c_entry = 1;
        entry_add(m, MC, p);
    }
    p->cval = v;
    p->c_deleted = 0;
    p->vc_same = 0;
}

/* ocds_json_equal(a, b), with its commonest case (two strings: most
 * leaves of a release, each compared with the version before) without its
 * calls: 1 when equal as strings or the same value (so their JCS texts are
 * the same), 2 when equal as ocds_json_equal has it, 0 when different. */
static int same_value(const json_t *a, const json_t *b)
{
    size_t n;

    if (a == b)
        return 1;
    if (!json_is_string(a) || !json_is_string(b))
        return ocds_json_equal(a, b) ? 2 : 0;
    n = json_string_length(a);
    return n == json_string_length(b) && memcmp(json_string_value(a), json_string_value(b), n) == 0;
}

/* Returns 1 when p's last version is now written as v is. */
static int v_emit(struct mtext *m, struct pnode *p, const json_t *v)
{
    struct ver *x;
    int same;

    p->vc_same = 0;
    if (p->v_plain)
        return 0;
    if (p->vlast && (same = same_value(p->vlast->value, v)) != 0)
        return same == 1;
    if (!p->v_entry) {
        p->v_entry = 1;
        entry_add(m, MV, p);
    }
    if (!m->nvpool) { /* versions, like nodes, come from blocks */
        m->vpool = bf_arena_alloc(&m->arena, NODE_BLOCK * sizeof *x);
        m->nvpool = NODE_BLOCK;
    }
    x = m->vpool++;
    m->nvpool--;
    x->value = v, x->next = NULL, x->rel = m->cur;
    if (p->vlast)
        p->vlast->next = x;
    else
        p->vfirst = x;
    p->vlast = x;
    return 1;
}

/* Compiled: a marker at p replaces what was merged below it. */
static void c_drop_below(struct mtext *m, const struct pnode *p)
{
    size_t i;
    for (i = 0; i < m->nent[MC]; i++) {
        const struct pnode *e = m->ent[MC][i], *a = e;
        if (e->depth <= p->depth)
            continue;
        while (a->depth > p->depth)
            a = a->parent;
        if (a == p)
            m->ent[MC][i]->c_deleted = 1;
    }
}

/* ---- the walk: one pass over a release for both merges ----------------- */

/* Members of an object read ahead in batches: jansson's pairs and values
 * are separate allocations, so the loads of one batch overlap instead of
 * waiting one after the other. The first batch also answers the walk's
 * lookups of "withheld" and "id" (the objects of a release are small), so
 * an object's members are read once, not hashed for and then iterated. */
struct mbatch {
    struct {
        const char *key;
        size_t klen;
        json_t *x;
    } b[16];
    size_t n;
    void *it; /* the member after the batch: NULL once all are read */
};

static void batch_next(const json_t *obj, struct mbatch *mb)
{
    for (mb->n = 0; mb->it && mb->n < BF_ARRAY_LEN(mb->b); mb->n++, mb->it = json_object_iter_next((json_t *)obj, mb->it)) {
        mb->b[mb->n].key = json_object_iter_key(mb->it);
        mb->b[mb->n].klen = json_object_iter_key_len(mb->it);
        mb->b[mb->n].x = json_object_iter_value(mb->it);
        __builtin_prefetch(mb->b[mb->n].x);
    }
}

static void batch_first(const json_t *obj, struct mbatch *mb)
{
    mb->it = json_object_iter((json_t *)obj);
    batch_next(obj, mb);
}

/* Member key[0..n) of obj, whose first batch mb holds, or NULL. */
static json_t *batch_member(const json_t *obj, const struct mbatch *mb, const char *key, size_t n)
{
    size_t i;

    if (mb->it)
        return json_object_getn(obj, key, n);
    for (i = 0; i < mb->n; i++)
        if (mb->b[i].klen == n && name_eq(mb->b[i].key, key, n))
            return mb->b[i].x;
    return NULL;
}

static int walk_object(struct mtext *m, const json_t *obj, struct mbatch *mb, const struct ocds_rnode *rn, int depth,
                       struct pnode *p, int c, int v);

static int too_long(struct mtext *m)
{
    return bf_err_set(m->err, BF_ELIMIT, "merge path too long");
}

/* The node of an identifier-merged array item (see item_component in
 * ocds_merge.c); unique tokens count per merge as there. */
static int item_node(struct mtext *m, struct pnode *p, const json_t *item, const struct mbatch *mb, size_t index,
                     unsigned flags, int c, int v, struct pnode **out)
{
    json_t *id = batch_member(item, mb, "id", 2);
    int valid = id && !json_is_null(id) && !json_is_object(id) && !json_is_array(id);
    char buf[40];
    size_t n;

    if (flags & OCDS_MERGE_BY_POSITION) {
        n = (size_t)snprintf(buf, sizeof buf, "%zu", index);
        if (path_too_long(p, n, c, v))
            return too_long(m);
        *out = trie_child(m, p, TK_POS, buf, n, 1);
    } else if (flags & OCDS_MERGE_APPEND || !valid) {
        size_t nc = (size_t)snprintf(buf, sizeof buf, "%zu", m->uniq[MC]);
        size_t nv = (size_t)snprintf(buf, sizeof buf, "%zu", m->uniq[MV]);
        struct pnode *u;
        if ((c && plen_add(p->plen[MC], nc) > PATH_MAX_BYTES) || (v && plen_add(p->plen[MV], nv) > PATH_MAX_BYTES))
            return too_long(m);
        u = node_new(m, p, TK_UNIQUE, "", 0); /* fresh: never looked up */
        u->plen[MC] = plen_add(p->plen[MC], nc), u->plen[MV] = plen_add(p->plen[MV], nv);
        m->uniq[MC] += c ? 1 : 0, m->uniq[MV] += v ? 1 : 0;
        *out = u;
    } else if (json_is_string(id)) {
        if (path_too_long(p, json_string_length(id), c, v))
            return too_long(m);
        *out = trie_child(m, p, TK_ID, json_string_value(id), json_string_length(id), 0);
    } else {
        bf_buf_reset(&m->tmp);
        if (ocds_jcs(id, &m->tmp, m->err) < 0)
            return BF_EINVAL;
        if (path_too_long(p, m->tmp.len, c, v))
            return too_long(m);
        *out = trie_child(m, p, TK_ID, m->tmp.data, m->tmp.len, 1);
    }
    if (valid && !(*out)->idval)
        (*out)->idval = id;
    return 0;
}

static int walk_array(struct mtext *m, const json_t *arr, const struct ocds_rnode *rn, int depth, struct pnode *p,
                      int c, int v)
{
    unsigned flags = rn ? rn->flags : 0;
    struct mbatch mb;
    size_t i;
    json_t *item;
    int rc;

    json_array_foreach(arr, i, item) {
        struct pnode *k = NULL;
        batch_first(item, &mb);
        if ((rc = item_node(m, p, item, &mb, i, flags, c, v, &k)) < 0)
            return rc;
        if ((rc = walk_object(m, item, &mb, rn, depth + 1, k, c, v)) < 0)
            return rc;
    }
    return 0;
}

/* Versioned: the marker members a disclosed value lacks end with null. */
static int v_unmark(struct mtext *m, struct pnode *p, const json_t *v)
{
    static const char *const marker_keys[] = {"withheld", "reason", "disclosureDate", "commitment"};
    size_t i;

    for (i = 0; i < BF_ARRAY_LEN(marker_keys); i++) {
        const char *k = marker_keys[i];
        size_t n = strlen(k);
        struct pnode *e;
        if (json_object_get(v, k))
            continue;
        if (path_too_long(p, n, 0, 1))
            return too_long(m);
        e = member_find(m, p, k, n);
        if (e && e->v_entry)
            v_emit(m, e, json_null());
    }
    return 0;
}

/* What each merge does with member value x at p (flatten_member). */
static void member_actions(const json_t *x, int marker, unsigned flags, int sticky, int *ca, int *va, int *unmark)
{
    int obj = json_is_object(x), arr = json_is_array(x);
    int leaf = (!obj && !arr) || flags & OCDS_MERGE_WHOLE_LIST || (arr && !ocds_all_objects(x));
    int inner = obj && json_object_size(x) ? A_OBJ : arr && json_array_size(x) ? A_ARR : A_NONE;

    *unmark = 0;
    if (marker) {
        *ca = A_EMIT, *va = A_OBJ;
        return;
    }
    *ca = leaf || sticky ? A_EMIT : inner;
    if (sticky && obj)
        *va = A_OBJ, *unmark = 1;
    else
        *va = leaf ? A_EMIT : inner;
}

static int walk_member(struct mtext *m, const json_t *x, const struct ocds_rnode *child, int depth, struct pnode *k,
                       int c, int v)
{
    struct mbatch mb;
    int ca, va, unmark, rc = 0, marker = 0;

    if (json_is_object(x)) {
        batch_first(x, &mb);
        marker = json_is_true(batch_member(x, &mb, "withheld", 8));
    }

    member_actions(x, marker, child ? child->flags : 0, k->sticky, &ca, &va, &unmark);
    if (marker)
        k->sticky = 1;
    ca = c ? ca : A_NONE;
    if (!v)
        va = A_NONE, unmark = 0;
    if (ca == A_EMIT) {
        if (marker)
            c_drop_below(m, k);
        c_emit(m, k, x);
    }
    if (va == A_EMIT && v_emit(m, k, x) && ca == A_EMIT)
        k->vc_same = 1; /* the versioned writer may copy the compiled text */
    if (ca == A_OBJ || va == A_OBJ)
        rc = walk_object(m, x, &mb, child, depth + 1, k, ca == A_OBJ, va == A_OBJ);
    else if (ca == A_ARR || va == A_ARR)
        rc = walk_array(m, x, child, depth + 1, k, ca == A_ARR, va == A_ARR);
    if (rc == 0 && unmark)
        rc = v_unmark(m, k, x);
    return rc;
}

/* The member node of key under p: releases of a record mostly repeat
 * their members in the same order, so the member that followed prev
 * last time is tried before the trie. */
static struct pnode *member_node(struct mtext *m, struct pnode *p, struct pnode *prev, const char *key, size_t klen,
                                 const struct ocds_rnode *rn)
{
    struct pnode *k = prev ? prev->hint_next : p->hint_first;

    if (!k || k->len != klen || !name_eq(k->name, key, klen))
        k = member_child(m, p, key, klen);
    if (prev)
        prev->hint_next = k;
    else
        p->hint_first = k;
    if (!k->rule_set) { /* the rule of a path never changes */
        k->rule = ocds_rnode_may_have(rn, key, klen) ? ocds_rnode_child(rn, key, klen) : NULL;
        k->rule_set = 1;
    }
    return k;
}

/* Walks the members of obj, whose first batch mb holds. */
static int walk_object(struct mtext *m, const json_t *obj, struct mbatch *mb, const struct ocds_rnode *rn, int depth,
                       struct pnode *p, int c, int v)
{
    struct pnode *prev = NULL, *k;
    size_t j;
    int rc;

    if (depth > OCDS_JSON_MAX_DEPTH)
        return bf_err_set(m->err, BF_ELIMIT, "release nested deeper than %d levels", OCDS_JSON_MAX_DEPTH);
    for (;;) {
        for (j = 0; j < mb->n; j++) {
            const char *key = mb->b[j].key;
            size_t klen = mb->b[j].klen;
            int mv = v;
            if (depth == 0 && klen == 3 && memcmp(key, "tag", 3) == 0)
                continue; /* tag is popped before merging */
            if (depth == 0 && klen == 4 && memcmp(key, "ocid", 4) == 0)
                mv = 0; /* the ocid is not versioned */
            prev = k = member_node(m, p, prev, key, klen, rn);
            if ((!c && !mv) || (k->rule && k->rule->flags & OCDS_MERGE_OMIT))
                continue;
            if (path_too_long(p, klen, c, mv))
                return too_long(m);
            if ((rc = walk_member(m, mb->b[j].x, k->rule, depth, k, c, mv)) < 0)
                return rc;
        }
        if (!mb->it)
            return 0;
        batch_next(obj, mb);
    }
}

/* ---- releases ------------------------------------------------------------ */

/* Nesting depth of v as JCS counts it (a scalar or an empty container:
 * 0), at most cap + 1 (enough to tell whether it exceeds cap). */
static int json_depth(const json_t *v, int cap)
{
    int d = 0, x;
    size_t i;
    const char *k;
    json_t *e;

    if (cap < 0)
        return 0;
    if (json_is_array(v)) {
        json_array_foreach(v, i, e) {
            if ((x = json_depth(e, cap - 1) + 1) > d)
                d = x;
        }
    } else if (json_is_object(v)) {
        json_object_foreach((json_t *)v, k, e) {
            if ((x = json_depth(e, cap - 1) + 1) > d)
                d = x;
        }
        (void)k;
    }
    return d;
}

/* The members of a release its headers need. */
struct rtop {
    const json_t *id, *tag, *date, *ocid;
};

static void rel_prefix(struct mtext *m, struct mrel *r, const struct rtop *t)
{
    struct bf_buf *b = &m->tmp;
    int di = t->id ? json_depth(t->id, OCDS_JSON_MAX_DEPTH) : 0, dt = t->tag ? json_depth(t->tag, OCDS_JSON_MAX_DEPTH) : 0;

    r->vdepth = di > dt ? di : dt;
    bf_buf_reset(b);
    if (r->vdepth > OCDS_JSON_MAX_DEPTH || bf_buf_puts(b, "{\"releaseDate\":") < 0 ||
        ocds_jcs(t->date, b, NULL) < 0 || bf_buf_puts(b, ",\"releaseID\":") < 0 ||
        ocds_jcs(t->id ? t->id : json_null(), b, NULL) < 0 || bf_buf_puts(b, ",\"releaseTag\":") < 0 ||
        ocds_jcs(t->tag ? t->tag : json_null(), b, NULL) < 0 || bf_buf_puts(b, ",\"value\":") < 0)
        return; /* prefix stays NULL: writing a version of r fails */
    r->prefix = bf_arena_strndup(&m->arena, b->data, b->len);
    r->plen = b->len;
}

/* The root's member node name, looked up once per merge. */
static struct pnode *root_member(struct mtext *m, int which, const char *name, size_t len)
{
    if (!m->hdr[which])
        m->hdr[which] = member_child(m, &m->root, name, len);
    return m->hdr[which];
}

/* Values the merge makes, freed in mtext_free: jansson's, or in the
 * merge's arena for jv trees. */
static json_t *mtext_string(struct mtext *m, const char *s)
{
#ifdef OCDS_JV
    return jv_stringn(&m->arena, s, strlen(s));
#else
    (void)m;
    return json_string(s);
#endif
}

static json_t *compiled_tag(struct mtext *m)
{
#ifdef OCDS_JV
    return jv_array_of(&m->arena, jv_stringn(&m->arena, "compiled", 8), 1);
#else
    (void)m;
    return json_pack("[s]", "compiled");
#endif
}

/* Compiled: "id", "date" and "ocid" from the release. Only the last
 * release's values are ever read (a compiled value is read when the tree
 * is placed), so only its "id" string is made. */
static void compiled_header(struct mtext *m, struct mrel *r, const struct rtop *t, int last)
{
    if (last) {
        const char *o = json_string_value(t->ocid), *d = json_string_value(t->date);
        size_t on = strlen(o), dn = strlen(d); /* as "%s-%s" would take them */
        char *id = bf_arena_alloc(&m->arena, on + dn + 2);

        memcpy(id, o, on);
        id[on] = '-';
        memcpy(id + on + 1, d, dn);
        id[on + 1 + dn] = '\0';
        r->hdr_id = mtext_string(m, id);
    }
    c_emit(m, root_member(m, H_ID, "id", 2), r->hdr_id);
    c_emit(m, root_member(m, H_DATE, "date", 4), t->date);
    c_emit(m, root_member(m, H_OCID, "ocid", 4), t->ocid);
}

static void versioned_ocid(struct mtext *m, const struct rtop *t)
{
    struct pnode *p = root_member(m, H_OCID, "ocid", 4);
    if (!p->v_entry) {
        p->v_entry = 1;
        entry_add(m, MV, p);
    }
    p->v_plain = 1;
    m->ocid = t->ocid;
}

static int walk_releases(struct mtext *m, const struct ocds_rnode *rules, const struct ocds_dated *d, size_t n)
{
    struct mbatch mb;
    size_t i;
    int rc;

    if (m->want[MC]) {
        m->ctag = compiled_tag(m);
        c_emit(m, root_member(m, H_TAG, "tag", 3), m->ctag);
    }
    for (i = 0; i < n; i++) {
        struct mrel *r = &m->rels[i];
        struct rtop t;
        m->cur = (uint32_t)i;
        r->r = d[i].r;
        batch_first(r->r, &mb);
        t.id = batch_member(r->r, &mb, "id", 2), t.tag = batch_member(r->r, &mb, "tag", 3);
        t.date = batch_member(r->r, &mb, "date", 4), t.ocid = batch_member(r->r, &mb, "ocid", 4);
        if (m->want[MV]) {
            rel_prefix(m, r, &t);
            versioned_ocid(m, &t);
        }
        if (m->want[MC])
            compiled_header(m, r, &t, i + 1 == n);
        if ((rc = walk_object(m, r->r, &mb, rules, 0, &m->root, m->want[MC], m->want[MV])) < 0) {
            bf_err_wrap(m->err, "release %zu", d[i].i);
            return rc;
        }
    }
    return 0;
}

/* ---- placing the paths into each merge's tree (unflatten) -------------- */

static void kid_add(struct oslot *parent, struct pnode *k, int md)
{
    k->o[md].next = NULL;
    if (parent->last)
        parent->last->o[md].next = k;
    else
        parent->first = k;
    parent->last = k;
    parent->nkids++;
}

/* A member of parent q (in merge md) named like member p that p's own
 * slot does not hold: the item's id or a member of the value q grew from. */
static inline const json_t *member_of(const struct pnode *q, int md, const struct pnode *p)
{
    const json_t *base = q->o[md].base;

    if (p->is_id && item_id(q))
        return item_id(q);
    if (base && json_is_object(base))
        return json_object_getn(base, p->name, p->len);
    return NULL;
}

/* The registered container at p in merge md, made of kind want if it
 * has to be made; NULL where ocds_merge.c's unflatten stops. */
static struct pnode *container(struct mtext *m, int md, struct pnode *p, int want)
{
    struct oslot *s = &p->o[md], *q;
    struct pnode *cur;
    const json_t *ex = NULL;
    int vers = 0, had = s->kind != K_NONE, exkind;

    if (p == &m->root || s->registered)
        return p;
    if (!(cur = container(m, md, p->parent, p->tag == TK_KEY ? K_OBJ : K_ARR)))
        return NULL;
    q = &cur->o[md];
    if (p->tag != TK_KEY) { /* an array item: a new object with its id */
        if (q->kind != K_ARR)
            return NULL;
        s->kind = K_OBJ, s->registered = 1;
        kid_add(q, p, md);
        return p;
    }
    if (q->kind != K_OBJ)
        return NULL;
    if (had)
        ex = leaf_value(m, p, md, &vers);
    else
        ex = member_of(cur, md, p);
    exkind = vers ? K_ARR : json_is_object(ex) ? K_OBJ : json_is_array(ex) ? K_ARR : K_NONE;
    s->base = exkind == want ? ex : NULL;
    s->base_vers = exkind == want && vers;
    s->kind = (unsigned char)want, s->registered = 1;
    if (!had)
        kid_add(q, p, md);
    return p;
}

static void place(struct mtext *m, int md, struct pnode *e)
{
    struct oslot *s = &e->o[md];
    struct pnode *cur = e->parent;
    int vers;
    const json_t *v;

    if (cur != &m->root && !cur->o[md].registered) /* most paths' parents are placed by a sibling */
        cur = container(m, md, cur, K_OBJ);

    if (!cur || cur->o[md].kind != K_OBJ || s->kind != K_NONE || member_of(cur, md, e))
        return;
    v = leaf_value(m, e, md, &vers);
    if (!vers && (!v || json_is_null(v)))
        return; /* compiled null: the field is removed */
    s->kind = K_LEAF;
    kid_add(&cur->o[md], e, md);
}

static void unflatten(struct mtext *m, int md)
{
    size_t i;

    m->root.o[md].kind = K_OBJ;
    m->root.o[md].registered = 1;
    for (i = 0; i < m->nent[md]; i++)
        if (md == MV || !m->ent[md][i]->c_deleted)
            place(m, md, m->ent[md][i]);
}

/* ---- entry points ------------------------------------------------------------ */

static void mtext_free(struct mtext *m, size_t nrels)
{
    size_t i;
    for (i = 0; m->rels && i < nrels; i++)
        json_decref(m->rels[i].hdr_id);
    free(m->rels);
    free(m->slots);
    free(m->ent[MC]);
    free(m->ent[MV]);
    json_decref(m->ctag);
    bf_buf_free(&m->tmp);
    bf_arena_free(&m->arena);
}

int ocds_merge_texts_direct(const struct ocds_merge_rules *rules, json_t *const *releases, size_t n,
                            struct bf_buf *compiled, struct bf_buf *versioned, struct bf_err *err)
{
    struct mtext m;
    struct ocds_dated *d = NULL;
    int rc;

    memset(&m, 0, sizeof m);
    m.err = err;
    m.want[MC] = compiled != NULL, m.want[MV] = versioned != NULL;
    if (!rules && !(rules = ocds_merge_rules_default(err)))
        return BF_ECORRUPT;
    if ((rc = ocds_merge_sort_releases(releases, n, &d, err)) < 0 || (!compiled && !versioned))
        goto out;
    m.rels = bf_xcalloc(n ? n : 1, sizeof *m.rels);
    if ((rc = walk_releases(&m, ocds_merge_rules_root(rules), d, n)) < 0)
        goto out;
    if (compiled) {
        unflatten(&m, MC);
        if ((rc = ocds_merge_text_write(&m, MC, compiled)) < 0)
            goto out;
        m.cout = compiled;
    }
    if (versioned) {
        unflatten(&m, MV);
        rc = ocds_merge_text_write(&m, MV, versioned);
    }
out:
    free(d);
    mtext_free(&m, n);
    return rc;
}

#ifndef OCDS_JV
/* The tree merges and ocds_jcs: the definition, for exact errors. */
static int texts_by_trees(const struct ocds_merge_rules *rules, json_t *const *releases, size_t n,
                          struct bf_buf *compiled, struct bf_buf *versioned, struct bf_err *err)
{
    json_t *c = NULL, *v = NULL;
    struct ocds_dated *d = NULL;
    int rc = 0;

    if (!compiled && !versioned) {
        if (!rules && !ocds_merge_rules_default(err))
            return BF_ECORRUPT;
        rc = ocds_merge_sort_releases(releases, n, &d, err);
        free(d);
        return rc;
    }
    if (compiled)
        rc = ocds_merge_compiled_with(rules, releases, n, &c, err);
    if (!rc && versioned)
        rc = ocds_merge_versioned_with(rules, releases, n, &v, err);
    if (!rc && compiled)
        rc = ocds_jcs(c, compiled, err);
    if (!rc && versioned)
        rc = ocds_jcs(v, versioned, err);
    json_decref(c);
    json_decref(v);
    return rc;
}

int ocds_merge_texts_by_trees(const struct ocds_merge_rules *rules, jansson_t *const *releases, size_t n,
                              struct bf_buf *compiled, struct bf_buf *versioned, struct bf_err *err)
{
    return texts_by_trees(rules, releases, n, compiled, versioned, err);
}
#else
/* The same on jansson copies of the jv trees. */
static int texts_by_trees(const struct ocds_merge_rules *rules, json_t *const *releases, size_t n,
                          struct bf_buf *compiled, struct bf_buf *versioned, struct bf_err *err)
{
    jansson_t **j = bf_xcalloc(n ? n : 1, sizeof *j);
    size_t i;
    int rc = 0;

    for (i = 0; i < n && !rc; i++)
        if (!(j[i] = jv_to_json(releases[i], JV_COPY_MAX_DEPTH)))
            rc = bf_err_set(err, BF_ENOMEM, "out of memory copying a release");
    if (!rc)
        rc = ocds_merge_texts_by_trees(rules, j, n, compiled, versioned, err);
    for (i = 0; i < n; i++)
        jansson_decref(j[i]);
    free(j);
    return rc;
}
#endif

static void buf_restore(struct bf_buf *b, size_t mark)
{
    if (b && b->data) {
        b->len = mark;
        b->data[mark] = '\0';
    }
}

int ocds_merge_texts(const struct ocds_merge_rules *rules, json_t *const *releases, size_t n,
                     struct bf_buf *compiled, struct bf_buf *versioned, struct bf_err *err)
{
    size_t cm = compiled ? compiled->len : 0, vm = versioned ? versioned->len : 0;
    int rc = ocds_merge_texts_direct(rules, releases, n, compiled, versioned, err);

    if (rc < 0) { /* rare: let the tree merges say exactly what is wrong */
        buf_restore(compiled, cm), buf_restore(versioned, vm);
        rc = texts_by_trees(rules, releases, n, compiled, versioned, err);
        if (rc < 0)
            buf_restore(compiled, cm), buf_restore(versioned, vm);
    }
    return rc;
}
