/*
 * ocds_publish.c - publishing releases: check, withhold, digest, ledger
 * entry, and the ledger hook that writes the release row, its private
 * sidecar and the record (its compiled release) in the same
 * group-commit transaction as the log entry; and the reads of releases
 * (public, or with withheld values and salts for auditors).
 *
 * Invariants:
 *  - A release row exists iff its log entry exists (the hook runs inside
 *    the ledger's transaction; a failing hook rejects only its item).
 *  - (ocid, id) is unique. Re-publishing the same release (same digest of
 *    the release as submitted, before withholding, so salts do not
 *    matter) is a no-op returning the original index; different content
 *    under a used (ocid, id) is BF_ECONFLICT.
 *  - No contact point reaches a public row or the log: every release's
 *    contact points are withheld as "personalData" before its digest is
 *    taken (ocds_withhold_personal); auditors read them from the sidecar.
 *  - With a key (<data>/ocds/withheld.key, loaded by ocds_ctx_new) salts
 *    are keyed, so one value at one path of one ocid has one commitment
 *    in all its releases. The key stays in this struct and that file.
 *  - The record row caches the compiled release of every public release
 *    of its ocid, so the portal, search and a record's compiledRelease
 *    are read without merging. Versioned releases are not stored: the
 *    record API merges one from the releases when it is asked (about
 *    twice a record read's cost; storing it cost the import a seventh of
 *    its CPU, for a field few readers ask for).
 *    Item hooks write only release rows; one batch hook after them
 *    (records_hook, in the same transaction) writes each record once per
 *    batch: the releases of a run of one ocid (the last of the run merges,
 *    the earlier ones defer to it) are counted and stored with the merge
 *    in one row write. If the merge cannot be made there, the row counts
 *    them and says its merge is behind (compiled_n < nrel): readers merge
 *    for themselves and the next publish re-merges.
 *  - Releases are merged as jv trees (jv.h, ocds_jv.h): the importer's
 *    own, copies of the jansson releases other callers give, and the
 *    committed releases parsed straight into the job's arena, which is
 *    freed once the merges are done (job_drop_trees).
 *  - The merge runs in the publishing thread, before the append, from the
 *    committed releases of the ocid plus the batch's (premerge), so the
 *    ledger's single commit thread only writes rows. It is optimistic:
 *    the row is written with it only if the record then holds exactly the
 *    releases it was merged from (releases are never removed, so an equal
 *    count is an equal set: the write is guarded by the count); anything
 *    else (another batch of the same ocid committed in between, an item of
 *    the run rejected) merges again inside the transaction. A release
 *    whose record does not merge is rejected before the append.
 */
#include "common.h"
#include <openssl/crypto.h>
#include "ocds.h"
#include "ocds_import.h"
#include "ocds_json.h"
#include "ocds_jv.h"
#include "arena.h"
#include "buf.h"
#include "hash.h"
#include "sha256.h"
#include "ledger/ledger.h"
#include "store/store.h"
#include "store/store_ocds.h"
#include "store/store_pack.h"

#include "waiter.h"

struct ocds_ctx {
    struct store *s;
    struct ledger *l;
    int has_key;                          /* key holds the withheld-field key */
    uint8_t key[OCDS_WITHHELD_KEY_LEN];
};

/* One release on its way into the log. */
struct pub {
    struct ocds_ctx *c;
    struct pub *batch;       /* the batch this belongs to (hooks run in its order) */
    size_t pos;              /* index in batch */
    int defer;               /* a later item of the batch has the same ocid: it compiles */
    struct pub *next;        /* deferred: that later item */
    struct pub *run_end;     /* the last item of its run (itself if not deferred) */
    struct store_ocds_added run; /* the last of a run: the run's added releases (records_hook) */
    int inserted;            /* set by a successful hook */
    uint64_t index;          /* log index, set by the hook */
    struct ocds_prepared x;  /* the release made ready: public form, texts, digests */
    const jv_t *tree;        /* the public release as a jv tree, for the merges (until the
                              * merges are done: x.tree, or a copy of x.pub in the job's arena) */
    struct known *known;     /* committed releases of the ocid (batch-owned) */
    int premerged;           /* ctext holds the compiled release merged from ... */
    uint64_t base_nrel;      /* ... this many committed releases of the ocid ... */
    size_t *prior, nprior;   /* ... plus these earlier items of the batch (positions) and p */
    struct bf_buf ctext;     /* JCS of that compiled release (packed: store_pack.h) */
};

int ocds_ctx_new(struct store *s, struct ledger *l, struct ocds_ctx **out, struct bf_err *err)
{
    struct ocds_ctx *c;
    int rc;
    if (!s)
        return bf_err_set(err, BF_EINVAL, "ocds: no store");
    c = bf_xcalloc(1, sizeof *c);
    c->s = s;
    c->l = l;
    rc = ocds_withheld_key_load(store_dir(s), l != NULL, c->key, err);
    if (rc == 0) {
        c->has_key = 1;
    } else if (rc == BF_ENOTFOUND && !l) {
        rc = 0; /* read-only and never published: no key needed */
        if (err)
            memset(err, 0, sizeof *err);
    } else {
        bf_err_wrap(err, "ocds: withheld-field key");
        ocds_ctx_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

void ocds_ctx_free(struct ocds_ctx *c)
{
    if (!c)
        return;
    OPENSSL_cleanse(c->key, sizeof c->key);
    free(c);
}

struct store *ocds_ctx_store(struct ocds_ctx *c)
{
    return c->s;
}

struct ledger *ocds_ctx_ledger(struct ocds_ctx *c)
{
    return c->l;
}

/* ---- preparing ---------------------------------------------------------- */

static void pub_clear(struct pub *p)
{
    ocds_prepared_clear(&p->x);
    bf_buf_free(&p->ctext);
    free(p->prior);
    memset(p, 0, sizeof *p);
}

/* A text to store, packed in place where that shrinks it (the release's
 * x.body and the record's texts are only stored after this). Done here,
 * on the publishing threads, so the ledger's one commit thread only
 * copies the smaller rows (the rows were 4.2 KB of store per imported
 * release). */
static void pack_text(struct store *s, enum store_pack_kind k, struct bf_buf *text)
{
    struct bf_buf packed = BF_BUF_INIT;

    if (store_pack(s, k, text->data, text->len, &packed) == 1) {
        bf_buf_free(text);
        *text = packed;
    } else {
        bf_buf_free(&packed);
    }
}

/* The item made ready, and its public release as a jv tree (a jansson
 * one copied into trees). */
static int pub_prepare(struct ocds_ctx *c, const struct ocds_pub_item *it, struct bf_arena *trees, const char *actor,
                       struct pub *p, struct bf_err *err)
{
    const uint8_t *key = c->has_key ? c->key : NULL;
    int rc;

    memset(p, 0, sizeof *p);
    p->c = c;
    rc = it->tree ? ocds_prepare_jv(it->tree, trees, key, actor, &p->x, err)
                  : ocds_prepare(it->release, key, actor, &p->x, err);
    if (rc)
        return rc;
    p->tree = p->x.tree ? p->x.tree : jv_from_json(trees, p->x.pub, JV_COPY_MAX_DEPTH);
    if (!p->tree)
        return bf_err_set(err, BF_ENOMEM, "out of memory copying a release");
    pack_text(c->s, STORE_PACK_RELEASE, &p->x.body);
    return 0;
}

/* p against the release stored at idx with source digest src: the same
 * content is a duplicate (0, *dup = 1), anything else a conflict. */
static int same_or_conflict(const struct pub *p, uint64_t idx, const char *src, uint64_t *index, int *dup,
                            struct bf_err *err)
{
    if (strcmp(src, p->x.src))
        return bf_err_set(err, BF_ECONFLICT,
                          "release %s of %s was published at log index %" PRIu64
                          " with other content; releases are immutable, publish a new release id",
                          p->x.id, p->x.ocid, idx);
    *index = idx;
    *dup = 1;
    return 0;
}

/* An earlier release with p's (ocid, id) in the store, as same_or_conflict
 * decides; BF_ENOTFOUND if none. */
static int existing(struct ocds_ctx *c, struct pub *p, uint64_t *index, int *dup, struct bf_err *err)
{
    char src[65];
    uint64_t idx = 0;
    int rc = store_ocds_release_find(c->s, NULL, p->x.ocid, p->x.id, &idx, NULL, src, err);
    return rc ? rc : same_or_conflict(p, idx, src, index, dup, err);
}

/* ---- what the store holds of the batch's ocids ----------------------------- */

/* The committed releases of one ocid, read once per batch from one
 * snapshot: they answer "is this release already published" for every
 * item of the ocid and are the base of its record's premerge. */
struct known_rel {
    char *rid, *body;
    size_t body_len;
    uint64_t index;
    char src[65];
};

struct known {
    char *ocid;
    struct known_rel *r;
    size_t n, cap;
    int rc;                  /* reading them failed: items fall back to existing() */
    size_t *items, nitems;   /* positions (in the append map) of the batch's new releases of the ocid */
};

struct known_set {
    struct known *v;         /* one per distinct ocid, at most one per item */
    size_t n;
    size_t *slots, nslots;   /* open addressing: index + 1, 0 = empty */
};

static int known_row(void *arg, const struct store_ocds_release *r)
{
    struct known *k = arg;
    struct known_rel *e;
    if (k->n == k->cap) {
        k->cap = k->cap ? 2 * k->cap : 8;
        k->r = bf_xrealloc(k->r, k->cap * sizeof *k->r);
    }
    e = &k->r[k->n++];
    e->rid = bf_xstrdup(r->id);
    e->body = bf_xstrndup(r->body ? r->body : "", r->body_len);
    e->body_len = r->body_len;
    e->index = r->index;
    snprintf(e->src, sizeof e->src, "%s", r->src_sha256 ? r->src_sha256 : "");
    return 0;
}

/* Notes that the append map's item m is a new release of k's ocid. */
static void known_add_item(struct known *k, size_t m)
{
    if ((k->nitems & (k->nitems - 1)) == 0) /* 0, 1, 2, 4...: double */
        k->items = bf_xrealloc(k->items, (k->nitems ? 2 * k->nitems : 1) * sizeof *k->items);
    k->items[k->nitems++] = m;
}

/* The known releases of ocid, read from the store on first use. */
static struct known *known_of(struct ocds_ctx *c, struct known_set *ks, const char *ocid)
{
    size_t mask = ks->nslots - 1, i = (size_t)bf_hash_str(ocid) & mask;
    struct known *k;
    struct bf_err err = { 0 };

    for (; ks->slots[i]; i = (i + 1) & mask)
        if (!strcmp(ks->v[ks->slots[i] - 1].ocid, ocid))
            return &ks->v[ks->slots[i] - 1];
    k = &ks->v[ks->n++];
    ks->slots[i] = ks->n;
    k->ocid = bf_xstrdup(ocid);
    k->rc = store_ocds_releases_of(c->s, ocid, known_row, k, &err);
    return k;
}

static void known_set_init(struct known_set *ks, size_t n)
{
    ks->nslots = 16;
    while (ks->nslots < 2 * n)
        ks->nslots *= 2;
    ks->slots = bf_xcalloc(ks->nslots, sizeof *ks->slots);
    ks->v = bf_xcalloc(n ? n : 1, sizeof *ks->v);
    ks->n = 0;
}

static void known_set_free(struct known_set *ks)
{
    size_t i, j;
    for (i = 0; i < ks->n; i++) {
        for (j = 0; j < ks->v[i].n; j++)
            free(ks->v[i].r[j].rid), free(ks->v[i].r[j].body);
        free(ks->v[i].r);
        free(ks->v[i].items);
        free(ks->v[i].ocid);
    }
    free(ks->v);
    free(ks->slots);
}

/* existing() from the known releases: BF_ENOTFOUND for a new release. */
static int existing_known(struct ocds_ctx *c, struct pub *p, uint64_t *index, int *dup, struct bf_err *err)
{
    const struct known *k = p->known;
    size_t i;
    if (k->rc)
        return existing(c, p, index, dup, err);
    for (i = 0; i < k->n; i++)
        if (!strcmp(k->r[i].rid, p->x.id))
            return same_or_conflict(p, k->r[i].index, k->r[i].src, index, dup, err);
    return BF_ENOTFOUND;
}

/* ---- the hook ------------------------------------------------------------- */

/* The canonical text of the compiled release of t's releases. The
 * versioned release is not stored: readers merge it (ocds_api.c). */
static int merge_compiled(const struct ocds_trees *t, struct bf_buf *ctext, struct bf_err *err)
{
    return ocds_merge_texts_jv(NULL, (jv_t *const *)t->v, t->n, ctext, NULL, err);
}

/* The compiled release of every stored release of ocid (writer view, so
 * this transaction's releases are included). */
static int merge_all(struct store_txn *t, const struct pub *p, struct bf_buf *ctext, struct bf_err *err)
{
    struct bf_arena arena = BF_ARENA_INIT;
    struct ocds_trees tr = { NULL, 0, 0, &arena, err };
    int rc = store_ocds_releases_of_w(t, p->x.ocid, ocds_trees_row, &tr, err);
    if (!rc)
        rc = merge_compiled(&tr, ctext, err);
    ocds_trees_free(&tr);
    bf_arena_free(&arena);
    return rc;
}

/* Before the append, in the publishing thread: the record of the merging
 * item p (the last of its run, map order) merged from the committed
 * releases of its ocid and the batch's items of that ocid up to p. When
 * the committed releases cannot be read, p is left without a premerge
 * (records_hook merges); a merge that fails is returned (p is rejected:
 * its record would not merge). */
static int premerge(struct pub *p, const size_t *map, size_t at, struct bf_arena *trees, struct bf_err *err)
{
    struct pub *batch = p->batch;
    struct bf_err perr = { 0 };
    struct ocds_trees tr = { NULL, 0, 0, trees, &perr };
    const struct known *k = p->known;
    size_t j;
    int rc = 0;

    if (k->rc)
        goto out;
    for (j = 0; j < k->n; j++)
        if (ocds_trees_parse(&tr, k->r[j].body, k->r[j].body_len, p->x.ocid, k->r[j].rid, &perr) < 0)
            goto out; /* left to records_hook, which reports it */
    p->base_nrel = k->n;
    p->prior = bf_xcalloc(k->nitems, sizeof *p->prior);
    for (j = 0; j < k->nitems && k->items[j] < at; j++) { /* the ocid's earlier items, not the whole batch */
        struct pub *q = &batch[map[k->items[j]]];
        ocds_trees_push(&tr, q->tree);
        p->prior[p->nprior++] = map[k->items[j]];
    }
    ocds_trees_push(&tr, p->tree);
    bf_buf_init(&p->ctext, (size_t)256 << 20);
    rc = merge_compiled(&tr, &p->ctext, err);
    p->premerged = rc == 0;
    if (p->premerged)
        pack_text(p->c->s, STORE_PACK_RECORD, &p->ctext);
out:
    ocds_trees_free(&tr);
    return rc;
}

/* 1 when p's premerge may be the record as this transaction sees it:
 * p and every earlier item of its ocid in the batch were inserted (the
 * count guarding the row write checks that nothing else was committed). */
static int premerge_usable(const struct pub *p)
{
    size_t i;
    if (!p->premerged || !p->inserted)
        return 0;
    for (i = 0; i < p->nprior; i++)
        if (!p->batch[p->prior[i]].inserted)
            return 0;
    return 1;
}

/* The record of the run ending at p, when its premerge cannot be used:
 * count the run's releases, merge what the store holds now, store it; if
 * that merge fails, the row stays counted with its merge behind. */
static int record_remerge(struct pub *p, struct store_txn *t, struct bf_err *err)
{
    struct bf_buf ctext = BF_BUF_INIT;
    struct bf_err merr = { 0 };
    uint64_t nrel = 0;
    int rc = store_ocds_record_count(t, &p->run, &nrel, err);

    if (!rc && merge_all(t, p, &ctext, &merr) == 0)
        rc = store_ocds_record_set_merged(t, p->x.ocid, nrel, p->run.last, ctext.data, ctext.len, err);
    bf_buf_free(&ctext);
    return rc;
}

/* Adds released item q to the run of its ocid that ends at last. */
static void run_add(struct pub *last, const struct pub *q)
{
    struct store_ocds_added *a = &last->run;
    if (!a->k++ || q->index < a->first)
        a->first = q->index;
    if (q->index > a->last)
        a->last = q->index;
    if (!a->date || strcmp(q->x.date, a->date) > 0)
        a->date = q->x.date;
}

/* The batch hook, after every item's: writes the record of each run of
 * one ocid once (see the file's header). Only a store failure fails it
 * (and with it the batch). */
struct pub_batch {
    struct pub *p;
    size_t n;
};

static int records_hook(struct store_txn *t, uint64_t index, void *arg, struct bf_err *err)
{
    const struct pub_batch *pb = arg;
    struct pub *b = pb->p;
    size_t i, n = pb->n;
    int rc = 0;

    (void)index;
    for (i = 0; i < n; i++) {
        b[i].run.ocid = b[i].x.ocid;
        b[i].run.k = b[i].run.first = b[i].run.last = 0;
        b[i].run.date = NULL;
    }
    for (i = 0; i < n; i++)
        if (b[i].inserted)
            run_add(b[i].run_end, &b[i]);
    for (i = 0; !rc && i < n; i++) {
        struct pub *q = &b[i];
        if (!q->known || q->defer || q->run.k == 0)
            continue;
        if (premerge_usable(q)) {
            rc = store_ocds_record_put(t, &q->run, q->base_nrel + q->nprior + 1 - q->run.k, q->ctext.data,
                                       q->ctext.len, err);
            if (rc != BF_ECONFLICT)
                continue;
            memset(err, 0, sizeof *err);
        }
        rc = record_remerge(q, t, err);
    }
    return rc;
}

static int publish_hook(struct store_txn *t, uint64_t index, void *arg, struct bf_err *err)
{
    struct pub *p = arg;
    p->index = index;
    struct store_ocds_release r = { index, p->x.ocid, p->x.id, p->x.date, p->x.tags, p->x.sha, p->x.src,
                                    p->x.body.data, p->x.body.len };
    int rc = store_ocds_release_insert(t, &r, err);
    if (!rc && p->x.sidecar)
        rc = store_ocds_sidecar_insert(t, index, p->x.sidecar, p->x.sidecar_len, err);
    if (!rc)
        p->inserted = 1;
    return rc;
}

/* ---- publishing ------------------------------------------------------------ */

static int no_ledger(struct bf_err *err)
{
    return bf_err_set(err, BF_EINVAL, "ocds: the store was opened without a running ledger (read-only)");
}

/* Among the m items to append, an item followed within 64 places by
 * another of its ocid defers its record to it: each run of one ocid
 * merges and writes its record once, at its last item. */
static void mark_deferred(struct pub *p, const size_t *map, size_t m)
{
    size_t i, j;
    for (i = 0; i < m; i++) {
        struct pub *a = &p[map[i]];
        a->defer = 0;
        a->next = NULL;
        for (j = i + 1; j < m && j < i + 64; j++)
            if (!strcmp(p[map[j]].x.ocid, a->x.ocid)) {
                a->defer = 1;
                a->next = &p[map[j]];
                break;
            }
    }
    for (i = m; i-- > 0;) { /* a run's end, found once from the back */
        struct pub *a = &p[map[i]];
        a->run_end = a->defer ? a->next->run_end : a;
    }
}

/* Premerges each run's last item; one whose merge fails is rejected and
 * taken out of the append (li, map: compacted). Returns the new count. */
static size_t premerge_all(struct pub *p, struct ocds_pub_item *items, struct ledger_item *li, size_t *map, size_t m,
                           struct bf_arena *trees)
{
    size_t i, w = 0;
    for (i = 0; i < m; i++) {
        struct ocds_pub_item *it = &items[map[i]];
        if (!p[map[i]].defer && (it->rc = premerge(&p[map[i]], map, i, trees, &it->err)) < 0)
            continue;
        li[w] = li[i];
        map[w++] = map[i];
    }
    return w;
}

/* A batch between ocds_publish_begin and ocds_publish_end. */
struct ocds_pub_job {
    struct ocds_ctx *c;
    struct ocds_pub_item *items;
    size_t n, m;             /* items; of them, appended (map, li) */
    struct pub *p;
    struct ledger_item *li;  /* m items, then the batch hook */
    struct pub_batch pb;
    size_t *map;             /* li[k] is items[map[k]] */
    struct known_set ks;
    struct bf_arena strs;    /* the items' ocid, id and date once their trees are gone */
    struct bf_arena trees;   /* jv trees the merges read: copies of jansson releases, stored releases */
    int rc;                  /* nothing could be appended (no ledger, the append refused) */
    struct bf_err err;
};

/* Prepares each item, sorts out those already published, premerges each
 * run's record; the rest go to the append (job->li, job->map). */
static void job_prepare(struct ocds_pub_job *j, const char *actor)
{
    struct ocds_ctx *c = j->c;
    struct pub *p = j->p;
    size_t i, m = 0;

    for (i = 0; i < j->n; i++) {
        struct ocds_pub_item *it = &j->items[i];
        if (!it->release && !it->tree) { /* the caller's rejection stands */
            if (!it->rc)
                it->rc = bf_err_set(&it->err, BF_EINVAL, "no release");
            continue;
        }
        it->index = 0;
        it->dup = 0;
        memset(&it->err, 0, sizeof it->err);
        it->rc = pub_prepare(c, it, &j->trees, actor, &p[i], &it->err);
        p[i].batch = p;
        p[i].pos = i;
        if (!it->rc) {
            p[i].known = i && p[i - 1].known && !strcmp(p[i - 1].x.ocid, p[i].x.ocid)
                             ? p[i - 1].known
                             : known_of(c, &j->ks, p[i].x.ocid);
            it->rc = existing_known(c, &p[i], &it->index, &it->dup, &it->err);
            if (it->rc == BF_ENOTFOUND) {
                memset(&it->err, 0, sizeof it->err);
                j->li[m].entry = p[i].x.entry.data;
                j->li[m].len = p[i].x.entry.len;
                j->li[m].hook = publish_hook;
                j->li[m].hook_arg = &p[i];
                j->li[m].hook_atomic = !p[i].x.sidecar; /* one INSERT, atomic on its own */
                known_add_item(p[i].known, m);
                j->map[m++] = i;
                it->rc = 0;
            }
        }
    }
    mark_deferred(p, j->map, m);
    j->m = premerge_all(p, j->items, j->li, j->map, m, &j->trees);
}

/* After the merges nothing reads a release's tree: the hooks and the
 * results need its texts and three strings, copied here, so the trees
 * (ours now, the caller's once we return) are freed by the thread that
 * made them as soon as they are done with, not after the batch is
 * durable (an import's peak memory: 770 -> 686 MB for 200 000 releases;
 * its speed did not change measurably). */
static void job_drop_trees(struct ocds_pub_job *j)
{
    size_t i;
    for (i = 0; i < j->n; i++) {
        struct ocds_prepared *x = &j->p[i].x;
        j->p[i].tree = NULL;
        if (!x->pub && !x->tree)
            continue;
        x->ocid = x->ocid ? bf_arena_strdup(&j->strs, x->ocid) : NULL;
        x->id = x->id ? bf_arena_strdup(&j->strs, x->id) : NULL;
        x->date = x->date ? bf_arena_strdup(&j->strs, x->date) : NULL;
        json_decref(x->pub);
        x->pub = NULL;
        x->tree = NULL;
    }
    bf_arena_free(&j->trees);
}

int ocds_publish_begin(struct ocds_ctx *c, struct ocds_pub_item *items, size_t n, const char *actor,
                       void (*done)(void *), void *arg, struct ocds_pub_job **out)
{
    struct ocds_pub_job *j = bf_xcalloc(1, sizeof *j);

    j->c = c;
    j->items = items;
    j->n = n;
    j->p = bf_xcalloc(n ? n : 1, sizeof *j->p);
    j->li = bf_xcalloc(n + 1, sizeof *j->li);
    j->pb.p = j->p;
    j->pb.n = n;
    j->map = bf_xcalloc(n ? n : 1, sizeof *j->map);
    known_set_init(&j->ks, n);
    *out = j;
    if (!c->l) {
        j->rc = no_ledger(&j->err);
        done(arg);
        return j->rc;
    }
    job_prepare(j, actor);
    job_drop_trees(j);
    if (!j->m) {
        done(arg);
        return 0;
    }
    memset(&j->li[j->m], 0, sizeof j->li[j->m]); /* the batch hook: the records, after every release row */
    j->li[j->m].hook = records_hook;
    j->li[j->m].hook_arg = &j->pb;
    j->rc = ledger_append_async(c->l, j->li, j->m + 1, done, arg, &j->err);
    if (j->rc < 0)
        done(arg);
    return j->rc;
}

/* Each appended item's result, from its ledger item. */
static void job_results(struct ocds_pub_job *j)
{
    size_t i;
    for (i = 0; i < j->m; i++) {
        struct ocds_pub_item *it = &j->items[j->map[i]];
        struct ledger_item *li = &j->li[i];
        if (j->rc < 0) {
            it->rc = j->rc;
            it->err = j->err;
        } else if (li->rc == 0) {
            it->index = li->index;
        } else if (li->rc == BF_EEXIST) { /* raced with an equal (ocid, id): decide now */
            it->rc = existing(j->c, &j->p[j->map[i]], &it->index, &it->dup, &it->err);
        } else {
            it->rc = li->rc;
            it->err = li->err;
            if (!it->err.msg[0])
                it->err = j->err;
        }
    }
}

int ocds_publish_end(struct ocds_pub_job *j, struct bf_err *err)
{
    size_t i;
    int first = 0;

    if (!j)
        return 0;
    if (!j->c->l) {
        first = j->rc;
        if (err)
            *err = j->err;
    } else {
        job_results(j);
    }
    for (i = 0; i < j->n && !first; i++)
        if (j->items[i].rc) {
            first = j->items[i].rc;
            if (err)
                *err = j->items[i].err;
        }
    for (i = 0; i < j->n; i++)
        pub_clear(&j->p[i]);
    known_set_free(&j->ks);
    bf_arena_free(&j->strs);
    free(j->p);
    free(j->li);
    free(j->map);
    free(j);
    return first;
}

int ocds_publish_batch(struct ocds_ctx *c, struct ocds_pub_item *items, size_t n, const char *actor,
                       struct bf_err *err)
{
    struct ocds_pub_job *j;
    struct bf_waiter done;

    bf_waiter_init(&done);
    ocds_publish_begin(c, items, n, actor, bf_waiter_done, &done, &j); /* always calls done */
    bf_waiter_wait(&done);
    return ocds_publish_end(j, err);
}

int ocds_publish(struct ocds_ctx *c, const jansson_t *release, const char *actor, uint64_t *index, int *dup,
                 struct bf_err *err)
{
    struct ocds_pub_item it;
    int rc;

    memset(&it, 0, sizeof it);
    it.release = release;
    rc = ocds_publish_batch(c, &it, 1, actor, err);
    if (index)
        *index = it.index;
    if (dup)
        *dup = it.dup;
    return rc;
}

/* ---- auditor view ----------------------------------------------------------- */

/* The value at JSON pointer ptr in v (borrowed), or NULL. */
static json_t *ptr_get(json_t *v, const char *ptr)
{
    char tok[512];
    while (v && *ptr == '/') {
        size_t n = 0;
        ptr++;
        while (*ptr && *ptr != '/' && n + 1 < sizeof tok) {
            if (ptr[0] == '~' && (ptr[1] == '0' || ptr[1] == '1')) {
                tok[n++] = ptr[1] == '0' ? '~' : '/';
                ptr += 2;
            } else {
                tok[n++] = *ptr++;
            }
        }
        tok[n] = 0;
        if (json_is_object(v)) {
            v = json_object_get(v, tok);
        } else if (json_is_array(v)) {
            char *end;
            unsigned long i = strtoul(tok, &end, 10);
            v = (*tok && !*end) ? json_array_get(v, i) : NULL;
        } else {
            v = NULL;
        }
    }
    return *ptr ? NULL : v;
}

/* Puts each withheld value and its salt into its marker in v, so an
 * auditor sees value, salt and commitment side by side. */
static int reveal(struct store *s, uint64_t index, json_t *v, struct bf_err *err)
{
    char *body = NULL;
    size_t len = 0;
    json_error_t je;
    json_t *side, *values, *salts, *val;
    const char *path;
    int rc = store_ocds_sidecar_get(s, index, &body, &len, err);

    if (rc == BF_ENOTFOUND)
        return 0;
    if (rc)
        return rc;
    side = json_loadb(body, len, 0, &je);
    free(body);
    if (!side)
        return bf_err_set(err, BF_ECORRUPT, "withheld values of %" PRIu64 " do not parse: %s", index, je.text);
    values = json_object_get(side, "values");
    salts = json_object_get(side, "salts");
    json_object_foreach(values, path, val) {
        json_t *marker = ptr_get(v, path);
        if (!json_is_object(marker)) {
            rc = bf_err_set(err, BF_ECORRUPT, "withheld path %s of release at %" PRIu64 " has no marker", path, index);
            break;
        }
        json_object_set(marker, "value", val);
        json_object_set(marker, "salt", json_object_get(salts, path));
    }
    json_decref(side);
    return rc;
}

/* ---- reads ------------------------------------------------------------------ */

int ocds_get_release(struct ocds_ctx *c, const char *ocid, const char *id, int auditor, json_t **out,
                     uint64_t *index, struct bf_err *err)
{
    char *body = NULL;
    size_t len = 0;
    uint64_t idx = 0;
    json_error_t je;
    json_t *v = NULL;
    int rc;

    *out = NULL;
    rc = store_ocds_release_body(c->s, ocid, id, &body, &len, &idx, err);
    if (rc)
        return rc;
    v = json_loadb(body, len, 0, &je);
    free(body);
    if (!v)
        return bf_err_set(err, BF_ECORRUPT, "stored release %s/%s does not parse: %s", ocid, id, je.text);
    if (auditor && (rc = reveal(c->s, idx, v, err)) < 0) {
        json_decref(v);
        return rc;
    }
    if (index)
        *index = idx;
    *out = v;
    return 0;
}

struct list_acc {
    struct ocds_ctx *c;
    json_t *arr;
    int auditor;
    int rc;
    struct bf_err *err;
};

static int list_row(void *arg, const struct store_ocds_release *r)
{
    struct list_acc *a = arg;
    json_error_t je;
    json_t *v = json_loadb(r->body, r->body_len, 0, &je);
    if (!v)
        return a->rc = bf_err_set(a->err, BF_ECORRUPT, "stored release %s/%s does not parse: %s", r->ocid, r->id,
                                  je.text);
    if (a->auditor && (a->rc = reveal(a->c->s, r->index, v, a->err)) < 0) {
        json_decref(v);
        return a->rc;
    }
    json_array_append_new(a->arr, json_pack("{sIso}", "index", (json_int_t)r->index, "release", v));
    return 0;
}

int ocds_get_releases(struct ocds_ctx *c, const char *ocid, int auditor, json_t **out_array, struct bf_err *err)
{
    struct list_acc a = { c, json_array(), auditor, 0, err };
    int rc = store_ocds_releases_of(c->s, ocid, list_row, &a, err);
    if (!rc && json_array_size(a.arr) == 0)
        rc = bf_err_set(err, BF_ENOTFOUND, "no releases for %s", ocid);
    if (rc) {
        json_decref(a.arr);
        *out_array = NULL;
        return rc;
    }
    *out_array = a.arr;
    return 0;
}
