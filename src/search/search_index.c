/*
 * search_index.c - the writer side of the in-memory index: the vocabulary
 * (a hash for exact lookups, a sorted table for prefixes), documents and
 * their posting lists, dead documents and compaction.
 *
 * A document is staged privately (its tokens copied, nothing shared
 * touched) and published at search_doc_end under the write lock: tokens
 * resolved to terms, one posting appended per distinct term, the row id's
 * previous document marked dead. Document numbers only grow, so appending
 * keeps every posting list sorted; compaction renumbers in order, so it
 * keeps them sorted too. See search_int.h for the invariants.
 */
#include "common.h"
#include "search_int.h"
#include "hash.h"

static uint64_t hash_rowid(int64_t r)
{
    uint64_t h = (uint64_t)r * 0x9e3779b97f4a7c15ull;
    return h ^ (h >> 31);
}

struct search_index *search_index_new(void)
{
    struct search_index *ix = bf_xcalloc(1, sizeof *ix);
    pthread_rwlockattr_t a;

    pthread_rwlockattr_init(&a);
    pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&ix->lock, &a);
    pthread_rwlockattr_destroy(&a);
    ix->thcap = 1024;
    ix->thash = bf_xcalloc(ix->thcap, sizeof *ix->thash);
    ix->rcap = 1024;
    ix->rkeys = bf_xcalloc(ix->rcap, sizeof *ix->rkeys);
    ix->rvals = bf_xcalloc(ix->rcap, sizeof *ix->rvals);
    return ix;
}

void search_index_free(struct search_index *ix)
{
    uint32_t i;
    if (!ix)
        return;
    for (i = 0; i < ix->nterms; i++) {
        free(ix->terms[i].s);
        free(ix->terms[i].p);
        free(ix->terms[i].f);
    }
    for (i = 0; i < ix->ndocs; i++)
        free(ix->docs[i].date);
    free(ix->terms);
    free(ix->thash);
    free(ix->sorted);
    free(ix->docs);
    free(ix->lens);
    free(ix->dead);
    free(ix->rkeys);
    free(ix->rvals);
    free(ix->cur_date);
    free(ix->by_date);
    free(ix->by_value);
    free(ix->stage);
    free(ix->stage_text);
    pthread_rwlock_destroy(&ix->lock);
    free(ix);
}

/* ---- vocabulary ------------------------------------------------------ */

int64_t search_term_find(const struct search_index *ix, const char *s, size_t len)
{
    uint32_t mask = ix->thcap - 1, i = (uint32_t)bf_hash(s, len) & mask;
    for (; ix->thash[i]; i = (i + 1) & mask) {
        const struct term *t = &ix->terms[ix->thash[i] - 1];
        if (t->len == len && !memcmp(t->s, s, len))
            return ix->thash[i] - 1;
    }
    return -1;
}

static void thash_grow(struct search_index *ix)
{
    uint32_t cap = ix->thcap * 2, mask = cap - 1, i;
    uint32_t *h = bf_xcalloc(cap, sizeof *h);
    for (i = 0; i < ix->nterms; i++) {
        uint32_t j = (uint32_t)bf_hash(ix->terms[i].s, ix->terms[i].len) & mask;
        while (h[j])
            j = (j + 1) & mask;
        h[j] = i + 1;
    }
    free(ix->thash);
    ix->thash = h;
    ix->thcap = cap;
}

/* Id of the term (s, len), added if new (write lock held). */
static uint32_t term_get(struct search_index *ix, const char *s, size_t len)
{
    int64_t id = search_term_find(ix, s, len);
    uint32_t mask, i;
    struct term *t;

    if (id >= 0)
        return (uint32_t)id;
    if ((ix->nterms + 1) * 2 > ix->thcap)
        thash_grow(ix);
    if (ix->nterms == ix->capterms) {
        ix->capterms = ix->capterms ? ix->capterms * 2 : 1024;
        ix->terms = bf_xrealloc(ix->terms, ix->capterms * sizeof *ix->terms);
    }
    t = &ix->terms[ix->nterms];
    memset(t, 0, sizeof *t);
    t->s = bf_xstrndup(s, len);
    t->len = (uint32_t)len;
    mask = ix->thcap - 1;
    for (i = (uint32_t)bf_hash(s, len) & mask; ix->thash[i]; i = (i + 1) & mask)
        ;
    ix->thash[i] = ++ix->nterms;
    return ix->nterms - 1;
}

static int term_cmp_prefix(const struct term *t, const char *s, size_t len)
{
    size_t n = t->len < len ? t->len : len;
    int c = memcmp(t->s, s, n);
    return c ? c : (t->len < len ? -1 : 0); /* 0: t starts with s */
}

void search_term_prefix(const struct search_index *ix, const char *s, size_t len, void (*fn)(void *, uint32_t),
                        void *arg)
{
    uint32_t lo = 0, hi = ix->nsorted, i;
    while (lo < hi) { /* first sorted term >= s */
        uint32_t mid = lo + (hi - lo) / 2;
        if (term_cmp_prefix(&ix->terms[ix->sorted[mid]], s, len) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (i = lo; i < ix->nsorted && term_cmp_prefix(&ix->terms[ix->sorted[i]], s, len) == 0; i++)
        fn(arg, ix->sorted[i]);
    for (i = ix->nsorted; i < ix->nterms; i++)
        if (term_cmp_prefix(&ix->terms[i], s, len) == 0)
            fn(arg, i);
}

static const struct term *sort_terms;

static int by_string(const void *a, const void *b)
{
    const struct term *x = &sort_terms[*(const uint32_t *)a], *y = &sort_terms[*(const uint32_t *)b];
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->s, y->s, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Sorts the tail and merges it into the sorted table. Runs outside the
 * lock (only the writer changes terms) and swaps the table under it. */
static void sort_tail(struct search_index *ix)
{
    uint32_t ntail = ix->nterms - ix->nsorted, n = ix->nterms, i = 0, j = 0, k = 0;
    uint32_t *tail, *out;

    if (!ntail)
        return;
    tail = bf_xmalloc(ntail * sizeof *tail);
    out = bf_xmalloc(n * sizeof *out);
    for (k = 0; k < ntail; k++)
        tail[k] = ix->nsorted + k;
    sort_terms = ix->terms;
    qsort(tail, ntail, sizeof *tail, by_string);
    for (k = 0; k < n; k++)
        out[k] = (j >= ntail || (i < ix->nsorted && by_string(&ix->sorted[i], &tail[j]) < 0)) ? ix->sorted[i++]
                                                                                               : tail[j++];
    free(tail);
    pthread_rwlock_wrlock(&ix->lock);
    free(ix->sorted);
    ix->sorted = out;
    ix->nsorted = n;
    pthread_rwlock_unlock(&ix->lock);
}

/* ---- row ids --------------------------------------------------------- */

static uint32_t *rowid_slot(struct search_index *ix, int64_t rowid, int add)
{
    uint32_t mask = ix->rcap - 1, i = (uint32_t)hash_rowid(rowid) & mask;
    for (; ix->rvals[i]; i = (i + 1) & mask) /* stored as doc + 1; NO_DOC stays NO_DOC */
        if (ix->rkeys[i] == rowid)
            return &ix->rvals[i];
    if (!add)
        return NULL;
    ix->rkeys[i] = rowid;
    ix->rn++;
    return &ix->rvals[i];
}

static void rowid_grow(struct search_index *ix)
{
    int64_t *ok = ix->rkeys;
    uint32_t *ov = ix->rvals, ocap = ix->rcap, i;
    ix->rcap *= 2;
    ix->rkeys = bf_xcalloc(ix->rcap, sizeof *ix->rkeys);
    ix->rvals = bf_xcalloc(ix->rcap, sizeof *ix->rvals);
    ix->rn = 0;
    for (i = 0; i < ocap; i++)
        if (ov[i])
            *rowid_slot(ix, ok[i], 1) = ov[i];
    free(ok);
    free(ov);
}

static void mark_dead(struct search_index *ix, uint32_t d)
{
    ix->dead[d >> 6] |= 1ull << (d & 63);
    ix->live--;
    ix->ndead++;
    ix->live_tokens -= ix->docs[d].len;
}

void search_doc_remove(struct search_index *ix, int64_t rowid)
{
    uint32_t *v;
    pthread_rwlock_wrlock(&ix->lock);
    v = rowid_slot(ix, rowid, 0);
    if (v && *v != NO_DOC) {
        mark_dead(ix, *v - 1);
        ix->order_ok = 0;
        *v = NO_DOC;
    }
    pthread_rwlock_unlock(&ix->lock);
}

/* ---- adding a document ------------------------------------------------ */

void search_doc_begin(struct search_index *ix, const struct search_doc *d)
{
    free(ix->cur_date);
    ix->cur = *d;
    ix->cur_date = d->date ? bf_xstrdup(d->date) : NULL;
    ix->nstage = 0;
    ix->stage_len = 0;
}

int search_doc_token(struct search_index *ix, int column, const char *tok, size_t len, struct bf_err *err)
{
    struct staged *s;
    if (column < 0 || column > SEARCH_COL_FACET || len == 0 || len > 65535)
        return bf_err_set(err, BF_EINVAL, "search: token of %zu bytes in column %d", len, column);
    if (ix->nstage == ix->capstage) {
        ix->capstage = ix->capstage ? ix->capstage * 2 : 256;
        ix->stage = bf_xrealloc(ix->stage, ix->capstage * sizeof *ix->stage);
    }
    if (ix->stage_len + len > ix->stage_cap) {
        ix->stage_cap = (ix->stage_len + len) * 2 + 4096;
        ix->stage_text = bf_xrealloc(ix->stage_text, ix->stage_cap);
    }
    memcpy(ix->stage_text + ix->stage_len, tok, len);
    s = &ix->stage[ix->nstage++];
    s->off = (uint32_t)ix->stage_len;
    s->len = (uint32_t)len;
    s->col = (uint8_t)column;
    ix->stage_len += len;
    return 0;
}

static int by_term_col(const void *a, const void *b)
{
    const struct staged *x = a, *y = b;
    if (x->term != y->term)
        return x->term < y->term ? -1 : 1;
    return (x->col > y->col) - (x->col < y->col);
}

static void add_posting(struct term *t, uint32_t doc, const uint32_t *tf)
{
    int c;
    if (t->np == t->capp) {
        t->capp = t->capp ? t->capp * 2 : 4;
        t->p = bf_xrealloc(t->p, t->capp * sizeof *t->p);
    }
    t->p[t->np].doc = doc;
    for (c = 0; c < SEARCH_TEXT_COLUMNS; c++)
        t->p[t->np].tf[c] = (uint16_t)(tf[c] > 65535 ? 65535 : tf[c]);
    t->np++;
}

static void add_facet(struct term *t, uint32_t doc)
{
    if (t->nf == t->capf) {
        t->capf = t->capf ? t->capf * 2 : 4;
        t->f = bf_xrealloc(t->f, t->capf * sizeof *t->f);
    }
    t->f[t->nf++] = doc;
}

void search_date_key(const char *date, uint64_t key[2])
{
    int i;
    key[0] = key[1] = 0;
    for (i = 0; date && i < 16 && date[i]; i++)
        key[i / 8] |= (uint64_t)(unsigned char)date[i] << (56 - 8 * (i % 8));
}

static uint32_t new_doc(struct search_index *ix)
{
    struct doc *d;
    uint32_t n = ix->ndocs;
    if (n == ix->capdocs) {
        uint32_t words = ix->capdocs ? ix->capdocs / 64 + 1 : 0;
        ix->capdocs = ix->capdocs ? ix->capdocs * 2 : 1024;
        ix->docs = bf_xrealloc(ix->docs, ix->capdocs * sizeof *ix->docs);
        ix->lens = bf_xrealloc(ix->lens, ix->capdocs * sizeof *ix->lens);
        ix->dead = bf_xrealloc(ix->dead, (ix->capdocs / 64 + 1) * sizeof *ix->dead);
        memset(ix->dead + words, 0, (ix->capdocs / 64 + 1 - words) * sizeof *ix->dead);
    }
    d = &ix->docs[n];
    d->rowid = ix->cur.rowid;
    d->date = ix->cur_date;
    ix->cur_date = NULL;
    search_date_key(d->date, d->datekey);
    d->amount = ix->cur.has_amount ? ix->cur.amount : 0;
    d->has_amount = ix->cur.has_amount != 0;
    d->cpv1 = (uint16_t)(ix->cur.cpv1 & 0x3ff);
    d->len = ix->nstage;
    ix->lens[n] = d->len;
    ix->dead[n >> 6] &= ~(1ull << (n & 63));
    ix->ndocs++;
    ix->live++;
    ix->live_tokens += d->len;
    return n;
}

/* Appends the staged tokens' postings to document n (lock held). */
static void post_staged(struct search_index *ix, uint32_t n)
{
    uint32_t i, j;
    for (i = 0; i < ix->nstage; i++)
        ix->stage[i].term = term_get(ix, ix->stage_text + ix->stage[i].off, ix->stage[i].len);
    qsort(ix->stage, ix->nstage, sizeof *ix->stage, by_term_col);
    for (i = 0; i < ix->nstage; i = j) {
        uint32_t tf[SEARCH_TEXT_COLUMNS] = { 0 }, any_text = 0, facet = 0;
        for (j = i; j < ix->nstage && ix->stage[j].term == ix->stage[i].term; j++) {
            if (ix->stage[j].col == SEARCH_COL_FACET)
                facet = 1;
            else
                tf[ix->stage[j].col]++, any_text = 1;
        }
        if (any_text)
            add_posting(&ix->terms[ix->stage[i].term], n, tf), ix->postings++;
        if (facet)
            add_facet(&ix->terms[ix->stage[i].term], n), ix->facet_postings++;
    }
}

void search_doc_end(struct search_index *ix)
{
    uint32_t *v, n;

    pthread_rwlock_wrlock(&ix->lock);
    if ((ix->rn + 1) * 2 > ix->rcap)
        rowid_grow(ix);
    v = rowid_slot(ix, ix->cur.rowid, 1);
    if (*v && *v != NO_DOC)
        mark_dead(ix, *v - 1);
    n = new_doc(ix);
    *v = n + 1;
    ix->order_ok = 0;
    post_staged(ix, n);
    pthread_rwlock_unlock(&ix->lock);
}

/* ---- batches and compaction ------------------------------------------ */

void search_batch_end(struct search_index *ix)
{
    sort_tail(ix);
    if (ix->ndead > ix->live / 2)
        search_index_compact(ix);
    if (!ix->order_ok)
        search_order_build(ix);
}

void search_index_compact(struct search_index *ix)
{
    uint32_t *map, i, n = 0, k;

    pthread_rwlock_wrlock(&ix->lock);
    ix->order_ok = 0; /* document numbers change */
    map = bf_xmalloc((ix->ndocs + 1) * sizeof *map);
    for (i = 0; i < ix->ndocs; i++) {
        if (search_is_dead(ix, i)) {
            map[i] = NO_DOC;
            free(ix->docs[i].date);
            continue;
        }
        map[i] = n;
        ix->lens[n] = ix->lens[i];
        ix->docs[n++] = ix->docs[i];
    }
    ix->postings = ix->facet_postings = 0;
    for (i = 0; i < ix->nterms; i++) {
        struct term *t = &ix->terms[i];
        uint32_t m = 0;
        for (k = 0; k < t->np; k++)
            if (map[t->p[k].doc] != NO_DOC) {
                t->p[m] = t->p[k];
                t->p[m++].doc = map[t->p[k].doc];
            }
        t->np = m;
        for (m = 0, k = 0; k < t->nf; k++)
            if (map[t->f[k]] != NO_DOC)
                t->f[m++] = map[t->f[k]];
        t->nf = m;
        ix->postings += t->np;
        ix->facet_postings += t->nf;
    }
    for (i = 0; i < ix->rcap; i++)
        if (ix->rvals[i] && ix->rvals[i] != NO_DOC)
            ix->rvals[i] = map[ix->rvals[i] - 1] + 1;
    if (ix->dead)
        memset(ix->dead, 0, (ix->capdocs / 64 + 1) * sizeof *ix->dead);
    ix->ndocs = n;
    ix->ndead = 0;
    free(map);
    pthread_rwlock_unlock(&ix->lock);
}

void search_stats(struct search_index *ix, struct search_stats *st)
{
    uint32_t i;
    size_t b = sizeof *ix;

    pthread_rwlock_rdlock(&ix->lock);
    memset(st, 0, sizeof *st);
    st->docs = ix->ndocs;
    st->live = ix->live;
    st->tokens = ix->nterms;
    st->postings = ix->postings;
    st->facet_postings = ix->facet_postings;
    for (i = 0; i < ix->nterms; i++)
        b += sizeof(struct term) + ix->terms[i].len + 1 + ix->terms[i].capp * sizeof(struct posting) +
             ix->terms[i].capf * sizeof(uint32_t);
    for (i = 0; i < ix->ndocs; i++)
        b += ix->docs[i].date ? strlen(ix->docs[i].date) + 1 : 0;
    b += (ix->capterms - ix->nterms) * sizeof(struct term) + ix->thcap * 4 + ix->nsorted * 4;
    b += ix->capdocs * (sizeof(struct doc) + 4 + 1) + ix->rcap * 12 + (size_t)ix->norder * 8;
    st->bytes = b;
    pthread_rwlock_unlock(&ix->lock);
}
