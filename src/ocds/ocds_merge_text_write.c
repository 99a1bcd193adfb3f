/*
 * ocds_merge_text_write.c - the JCS writer of ocds_merge_texts: writes
 * one merge's light tree (ocds_merge_text_int.h, placed by
 * ocds_merge_text.c) as RFC 8785 text, exactly as ocds_jcs writes the
 * tree ocds_merge.c builds: object members (placed children, the item's
 * id, the members of the leaf value a container grew from, a child
 * replacing a member of the same name) in ocds_jcs_key_cmp order (taken
 * from the node's ordered members, skids, or sorted here when the object
 * grew from a leaf value or is too wide to have them), array elements in placement order after the elements of the leaf value
 * or versions list the array grew from, leaves through ocds_jcs_at at
 * their depth, and each version as its release's prefix text plus the
 * value; a
 * last version that is the compiled value's scalar is a copy of the text
 * the compiled write made of it. Invariant: the nesting limit
 * (OCDS_JSON_MAX_DEPTH) and the
 * output buffer's limit fail here where ocds_jcs fails on the tree;
 * recursion stops at that limit.
 */
#include "common.h"
#include "buf.h"
#include "ocds.h"
#include "ocds_merge_int.h"
#include "ocds_merge_text_int.h"

static int limit(struct mtext *m)
{
    return bf_err_set(m->err, BF_ELIMIT, "canonical form exceeds the output limit");
}

static int too_deep(struct mtext *m)
{
    return bf_err_set(m->err, BF_ELIMIT, "JSON nested deeper than %d levels", OCDS_JSON_MAX_DEPTH);
}

/* One version of p, an object at nesting depth `depth`. */
static int w_version(struct mtext *m, const struct pnode *p, const struct ver *x, int depth, struct bf_buf *out)
{
    const struct mrel *r = &m->rels[x->rel];
    int rc;

    if (depth + 1 > OCDS_JSON_MAX_DEPTH || depth + 1 + r->vdepth > OCDS_JSON_MAX_DEPTH || !r->prefix)
        return too_deep(m);
    if (bf_buf_append_fast(out, r->prefix, r->plen) < 0)
        return limit(m);
    if (x == p->vlast && p->c_text) { /* the compiled value's text, written already */
        if (bf_buf_append_fast(out, m->cout->data + p->c_off, p->c_len) < 0)
            return limit(m);
    } else if ((rc = ocds_jcs_at(x->value, depth + 1, out, m->err)) < 0) {
        return rc;
    }
    return bf_buf_putc_fast(out, '}') < 0 ? limit(m) : 0;
}

static int w_versions(struct mtext *m, const struct pnode *p, int depth, struct bf_buf *out, int open)
{
    const struct ver *x;
    int rc;

    if (open && bf_buf_putc_fast(out, '[') < 0)
        return limit(m);
    for (x = p->vfirst; x; x = x->next) {
        if (x != p->vfirst && bf_buf_putc_fast(out, ',') < 0)
            return limit(m);
        if ((rc = w_version(m, p, x, depth + 1, out)) < 0)
            return rc;
    }
    return open && bf_buf_putc_fast(out, ']') < 0 ? limit(m) : 0;
}

struct wmem {
    const char *k;
    size_t n;
    uint64_t pre;       /* k's first 8 bytes, big-endian, zero-padded */
    struct pnode *kid;  /* a placed child, or */
    const json_t *json; /* a member of the base value or the item's id */
};

/* ocds_jcs_key_cmp, decided from the prefixes where it can be; then a
 * child before the member it replaces. */
static inline int wmem_order(const struct wmem *a, const struct wmem *b)
{
    int c = ocds_jcs_prefix_order(a->pre, b->pre);

    if (c || (c = ocds_jcs_key_cmp(a->k, a->n, b->k, b->n)) != 0)
        return c;
    return (a->kid ? 0 : 1) - (b->kid ? 0 : 1); /* a child replaced the member it shares a name with */
}

static int wmem_cmp(const void *pa, const void *pb)
{
    return wmem_order(pa, pb);
}

static void wmem_sort(struct wmem *w, size_t n)
{
    size_t i, j;

    for (i = 1; i < n && wmem_order(&w[i - 1], &w[i]) < 0; i++)
        ;
    if (i < n && n <= 16) {
        for (; i < n; i++) {
            struct wmem x = w[i];
            for (j = i; j > 0 && wmem_order(&w[j - 1], &x) > 0; j--)
                w[j] = w[j - 1];
            w[j] = x;
        }
    } else if (i < n) {
        qsort(w, n, sizeof *w, wmem_cmp);
    }
}

static int w_slot(struct mtext *m, int md, struct pnode *p, int depth, struct bf_buf *out);

static size_t gather(const struct pnode *p, int md, struct wmem *w)
{
    const struct oslot *s = &p->o[md];
    size_t n = 0, klen;
    struct pnode *k;
    const char *key;
    json_t *v;

    for (k = s->first; k; k = k->o[md].next) {
        w[n].k = k->name, w[n].n = k->len, w[n].pre = k->kpre, w[n].kid = k, w[n++].json = NULL;
    }
    if (item_id(p))
        w[n].k = "id", w[n].n = 2, w[n].pre = ocds_jcs_key_prefix("id", 2), w[n].kid = NULL, w[n++].json = item_id(p);
    if (s->base && json_is_object(s->base))
        json_object_keylen_foreach((json_t *)s->base, key, klen, v) {
            w[n].k = key, w[n].n = klen, w[n].pre = ocds_jcs_key_prefix(key, klen), w[n].kid = NULL, w[n++].json = v;
        }
    return n;
}

/* The member name of w (after a ',' unless first) and its ':'. */
static inline int w_key(struct bf_buf *out, const struct wmem *w, int first)
{
    size_t n = w->n;

    if (w->kid && w->kid->key_clean && bf_buf_room(out, n + 4)) {
        char *o = out->data + out->len;
        if (!first)
            *o++ = ',';
        *o++ = '"';
        memcpy(o, w->k, n);
        o[n] = '"', o[n + 1] = ':', o[n + 2] = '\0';
        out->len += n + (first ? 3 : 4);
        return 0;
    }
    return (!first && bf_buf_putc_fast(out, ',') < 0) || ocds_jcs_string(out, w->k, n) < 0 || bf_buf_putc_fast(out, ':') < 0 ? -1 : 0;
}

/* The object at p from its members kept in order (ocds_merge_text.c's
 * skids): those this merge placed, and in the place of an unplaced "id"
 * the item's id. */
static int w_object_sorted(struct mtext *m, int md, struct pnode *p, int depth, struct bf_buf *out)
{
    const json_t *id = item_id(p);
    struct wmem w;
    struct pnode *k;
    int rc, first = 1;

    if (bf_buf_putc_fast(out, '{') < 0)
        return limit(m);
    for (k = p->skids; k; k = k->snext) {
        int placed = k->o[md].kind != K_NONE;
        if (!placed && !(k->is_id && id))
            continue;
        w.k = k->name, w.n = k->len, w.kid = k;
        if (w_key(out, &w, first) < 0)
            return limit(m);
        first = 0;
        if ((rc = placed ? w_slot(m, md, k, depth + 1, out) : ocds_jcs_at(id, depth + 1, out, m->err)) < 0)
            return rc;
    }
    return bf_buf_putc_fast(out, '}') < 0 ? limit(m) : 0;
}

static int w_object(struct mtext *m, int md, struct pnode *p, int depth, struct bf_buf *out)
{
    const struct oslot *s = &p->o[md];
    size_t cap;
    struct wmem stack[32], *w;
    size_t n, i;
    int rc = 0, first = 1;

    if (!p->unsorted && (!item_id(p) || p->has_id) && !(s->base && json_is_object(s->base)))
        return w_object_sorted(m, md, p, depth, out);
    /* a member of the value the object grew from, or very many members: gather and sort */
    cap = s->nkids + (item_id(p) ? 1 : 0) + (s->base && json_is_object(s->base) ? json_object_size(s->base) : 0);
    w = cap <= 32 ? stack : bf_xcalloc(cap, sizeof *w);
    n = gather(p, md, w);
    wmem_sort(w, n);
    if (bf_buf_putc_fast(out, '{') < 0)
        goto limit;
    for (i = 0; i < n; i++) {
        if (i && !w[i].kid && w[i - 1].kid && w[i - 1].n == w[i].n && memcmp(w[i - 1].k, w[i].k, w[i].n) == 0)
            continue; /* replaced by the child before it */
        if (w_key(out, &w[i], first) < 0)
            goto limit;
        first = 0;
        rc = w[i].kid ? w_slot(m, md, w[i].kid, depth + 1, out) : ocds_jcs_at(w[i].json, depth + 1, out, m->err);
        if (rc < 0)
            goto out;
    }
    if (bf_buf_putc_fast(out, '}') < 0)
        goto limit;
    goto out;
limit:
    rc = limit(m);
out:
    if (w != stack)
        free(w);
    return rc;
}

static int w_array(struct mtext *m, int md, struct pnode *p, int depth, struct bf_buf *out)
{
    const struct oslot *s = &p->o[md];
    size_t i, n = 0;
    struct pnode *k;
    json_t *e;
    int rc;

    if (bf_buf_putc_fast(out, '[') < 0)
        return limit(m);
    if (s->base_vers && (rc = w_versions(m, p, depth, out, 0)) < 0)
        return rc;
    n = s->base_vers && p->vfirst ? 1 : 0;
    if (s->base && json_is_array(s->base)) {
        json_array_foreach(s->base, i, e) {
            if ((n++ && bf_buf_putc_fast(out, ',') < 0))
                return limit(m);
            if ((rc = ocds_jcs_at(e, depth + 1, out, m->err)) < 0)
                return rc;
        }
    }
    for (k = s->first; k; k = k->o[md].next) {
        if (n++ && bf_buf_putc_fast(out, ',') < 0)
            return limit(m);
        if ((rc = w_slot(m, md, k, depth + 1, out)) < 0)
            return rc;
    }
    return bf_buf_putc_fast(out, ']') < 0 ? limit(m) : 0;
}

static int w_slot(struct mtext *m, int md, struct pnode *p, int depth, struct bf_buf *out)
{
    int vers;
    const json_t *v;

    if (depth > OCDS_JSON_MAX_DEPTH)
        return too_deep(m);
    switch (p->o[md].kind) {
    case K_OBJ:
        return w_object(m, md, p, depth, out);
    case K_ARR:
        return w_array(m, md, p, depth, out);
    default:
        v = leaf_value(m, p, md, &vers);
        if (vers)
            return w_versions(m, p, depth, out, 1);
        if (md == MC && p->vc_same && !json_is_object(v) && !json_is_array(v) && out->len <= UINT32_MAX / 2) {
            /* a scalar (no nesting to check again) the versioned writer can copy */
            size_t start = out->len;
            int rc = ocds_jcs_at(v, depth, out, m->err);
            if (rc == 0 && out->len - start <= UINT32_MAX / 2) {
                p->c_off = (uint32_t)start, p->c_len = (uint32_t)(out->len - start);
                p->c_text = 1;
            }
            return rc;
        }
        return ocds_jcs_at(v, depth, out, m->err);
    }
}

int ocds_merge_text_write(struct mtext *m, int md, struct bf_buf *out)
{
    return w_slot(m, md, &m->root, 0, out);
}
