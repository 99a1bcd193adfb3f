/*
 * sqlite_pack.c - the SQLite backend's packed values (store_pack.h): the
 * store_dict table, training a kind's dictionary from its first values,
 * and unpacking for the domains' reads.
 *
 * Invariants:
 *  - A dictionary row is committed (synchronous=FULL, in a transaction of
 *    its own) before any value packed with it is written, and never
 *    changes; a value names its dictionary by row id.
 *  - A kind packs only when its columns take blobs (type ANY): stores
 *    created before packing have TEXT columns and stay plain.
 *  - A kind's state only moves forward: UNKNOWN -> SAMPLING -> ON, or to
 *    OFF (no packing in this process). Once ON, its id and loaded
 *    dictionary never change, so packing reads them without a lock (the
 *    state is published with release order after them).
 *  - A kind's dictionary is loaded into LZ4's state once; each value
 *    compresses from a copy of that state. Each packing thread keeps its
 *    own copy of the dictionary with room for a value right after it
 *    (struct pack_tls): LZ4 compresses a value that follows its
 *    dictionary in memory as one with a prefix, about a tenth faster
 *    than against a dictionary elsewhere (extDict), and the import's
 *    workers pack every row. The copy is found by the kind's generation,
 *    unique in the process, so a store closed and another opened never
 *    pack against a stale copy.
 */
#define STORE_SQLITE_INTERNAL
#include "common.h"
#include "buf.h"
#include "store.h"
#include "store_pack.h"
#include "store_pack_int.h"

#include <pthread.h>
#include <zdict.h>

#define PACK_DICT_CAP ((size_t)64 << 10) /* LZ4 looks back 64 KB at most */
#define PACK_SAMPLE_BYTES ((size_t)1 << 20) /* train once this much is sampled */
#define PACK_SAMPLE_MAX ((size_t)64 << 10)  /* of one value */

enum { KIND_UNKNOWN, KIND_SAMPLING, KIND_ON, KIND_OFF };

struct pack_kind {
    pthread_mutex_t mu;  /* guards the sampling state; trylock: packing never waits */
    int state;           /* atomic; see the header */
    uint32_t id;         /* the dictionary, once ON ... */
    char *dict;          /* ... its bytes ... */
    size_t dictlen;
    LZ4_stream_t *base;  /* ... and their loaded state (copied for each value) */
    uint64_t gen;        /* ... and a number no other kind ON in this process has */
    struct bf_buf samples;
    size_t *sizes, nsizes, capsizes;
};

/* A dictionary for reading, by id. */
struct pack_dict {
    uint32_t id;
    char *bytes;
    size_t len;
};

struct store_packer {
    struct pack_kind k[STORE_PACK_NKIND];
    pthread_mutex_t dmu; /* guards dd[] (entries never move: an array of pointers) */
    struct pack_dict **dd;
    size_t ndd, capdd;
};

/* Which column a kind's values live in: its type says whether it packs. */
static const struct { const char *table, *column; } kind_column[STORE_PACK_NKIND] = {
    [STORE_PACK_RELEASE] = { "ocds_release", "body" },
    [STORE_PACK_RECORD] = { "ocds_record", "compiled" },
};

static int pack_migrate(struct store *s, struct store_txn *t, struct bf_err *err)
{
    (void)s;
    return store_sqlite_exec(store_sqlite_writer(t),
                             "CREATE TABLE IF NOT EXISTS store_dict("
                             " id INTEGER PRIMARY KEY, kind INTEGER NOT NULL, dict BLOB NOT NULL,"
                             " created TEXT NOT NULL) STRICT;",
                             err);
}

const struct store_domain store_pack_domain = { "pack", pack_migrate };

struct store_packer *store_packer_new(void)
{
    struct store_packer *p = bf_xcalloc(1, sizeof *p);
    int i;

    for (i = 0; i < STORE_PACK_NKIND; i++) {
        pthread_mutex_init(&p->k[i].mu, NULL);
        bf_buf_init(&p->k[i].samples, 2 * PACK_SAMPLE_BYTES);
    }
    pthread_mutex_init(&p->dmu, NULL);
    return p;
}

void store_packer_free(struct store_packer *p)
{
    size_t i;

    if (!p)
        return;
    for (i = 0; i < STORE_PACK_NKIND; i++) {
        free(p->k[i].dict);
        free(p->k[i].base);
        bf_buf_free(&p->k[i].samples);
        free(p->k[i].sizes);
        pthread_mutex_destroy(&p->k[i].mu);
    }
    for (i = 0; i < p->ndd; i++) {
        free(p->dd[i]->bytes);
        free(p->dd[i]);
    }
    free(p->dd);
    pthread_mutex_destroy(&p->dmu);
    free(p);
}

/* ---- dictionaries for reading -------------------------------------------- */

static const struct pack_dict *dict_add(struct store_packer *p, uint32_t id, const void *bytes, size_t len)
{
    struct pack_dict *d = bf_xmalloc(sizeof *d);

    d->id = id;
    d->bytes = bf_xmalloc(len ? len : 1);
    memcpy(d->bytes, bytes, len);
    d->len = len;
    if (p->ndd == p->capdd) {
        p->capdd = p->capdd ? 2 * p->capdd : 4;
        p->dd = bf_xrealloc(p->dd, p->capdd * sizeof *p->dd);
    }
    p->dd[p->ndd++] = d;
    return d;
}

static const char SQL_DICT_GET[] = "SELECT dict FROM store_dict WHERE id = ?";

/* Dictionary id, loaded through c on first use. */
static const struct pack_dict *dict_get(struct store_packer *p, struct store_conn *c, uint32_t id, struct bf_err *err)
{
    const struct pack_dict *found = NULL;
    sqlite3_stmt *st;
    size_t i;
    int rc;

    pthread_mutex_lock(&p->dmu);
    for (i = 0; i < p->ndd && !found; i++)
        if (p->dd[i]->id == id)
            found = p->dd[i];
    if (found || !(st = store_sqlite_stmt(c, SQL_DICT_GET, err)))
        goto out;
    sqlite3_bind_int64(st, 1, id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        found = dict_add(p, id, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0));
    else if (rc == SQLITE_DONE)
        bf_err_set(err, BF_ECORRUPT, "a value needs packing dictionary %u, which the store lacks", (unsigned)id);
    else
        store_sqlite_error(c->db, rc, err, "reading a packing dictionary");
    sqlite3_reset(st);
out:
    pthread_mutex_unlock(&p->dmu);
    return found;
}

int store_sqlite_unpack(struct store *s, struct store_conn *c, const void *v, size_t n, struct bf_buf *out,
                        struct bf_err *err)
{
    struct store_packer *p = store_sqlite_packer(s);
    const struct pack_dict *d;
    uint32_t id;
    uint64_t len;
    size_t hlen;
    int rc = store_pack_header(v, n, &id, &len, &hlen);

    if (rc <= 0)
        return rc == 0 ? 0 : bf_err_set(err, BF_ECORRUPT, "packed value: damaged header");
    if (!(d = dict_get(p, c, id, err)))
        return err && err->code ? err->code : BF_ECORRUPT;
    rc = store_pack_decode(d->bytes, d->len, v, n, hlen, len, out, err);
    return rc < 0 ? rc : 1;
}

/* ---- choosing and training the dictionary a kind packs with ------------- */

static const char SQL_COLTYPE[] = "SELECT type FROM pragma_table_info(?1) WHERE name = ?2";
static const char SQL_DICT_NEWEST[] = "SELECT id, dict FROM store_dict WHERE kind = ? ORDER BY id DESC LIMIT 1";

static uint64_t pack_gen;

static void kind_on(struct store_packer *p, struct pack_kind *k, uint32_t id, const void *dict, size_t n)
{
    k->dict = bf_xmalloc(n ? n : 1);
    memcpy(k->dict, dict, n);
    k->dictlen = n;
    k->base = bf_xmalloc(sizeof *k->base);
    if (!LZ4_initStream(k->base, sizeof *k->base) || LZ4_loadDict(k->base, k->dict, (int)n) < 0) {
        __atomic_store_n(&k->state, KIND_OFF, __ATOMIC_RELEASE);
        return;
    }
    pthread_mutex_lock(&p->dmu);
    dict_add(p, id, dict, n);
    pthread_mutex_unlock(&p->dmu);
    k->id = id;
    k->gen = __atomic_add_fetch(&pack_gen, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&k->state, KIND_ON, __ATOMIC_RELEASE);
}

/* First use of kind ki: packs only if its column takes blobs; with the
 * store's newest dictionary of the kind if it has one, else sampling. */
static void kind_look(struct store *s, struct store_packer *p, enum store_pack_kind ki)
{
    struct pack_kind *k = &p->k[ki];
    struct bf_err err = { 0 };
    struct store_conn *c = store_sqlite_reader(s, &err);
    sqlite3_stmt *st;
    int state = KIND_OFF;

    if (!c || (store_flags(s) & STORE_READONLY) || !(st = store_sqlite_stmt(c, SQL_COLTYPE, &err)))
        goto out;
    sqlite3_bind_text(st, 1, kind_column[ki].table, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, kind_column[ki].column, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW && !strcmp((const char *)sqlite3_column_text(st, 0), "ANY"))
        state = KIND_SAMPLING;
    sqlite3_reset(st);
    if (state != KIND_SAMPLING || !(st = store_sqlite_stmt(c, SQL_DICT_NEWEST, &err)))
        goto out;
    sqlite3_bind_int(st, 1, (int)ki);
    if (sqlite3_step(st) == SQLITE_ROW) {
        kind_on(p, k, (uint32_t)sqlite3_column_int64(st, 0), sqlite3_column_blob(st, 1),
                (size_t)sqlite3_column_bytes(st, 1));
        state = k->state;
    }
    sqlite3_reset(st);
out:
    __atomic_store_n(&k->state, state, __ATOMIC_RELEASE);
}

static const char SQL_DICT_PUT[] = "INSERT INTO store_dict(kind, dict, created)"
                                   " VALUES(?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))";

/* Commits dictionary dict[0..n) of kind ki in a transaction of its own;
 * its row id in *id. */
static int dict_save(struct store *s, enum store_pack_kind ki, const void *dict, size_t n, uint32_t *id,
                     struct bf_err *err)
{
    struct store_txn *t;
    sqlite3_stmt *st;
    int rc = store_txn_begin(s, &t, err);

    if (rc < 0)
        return rc;
    if (!(st = store_sqlite_stmt(store_sqlite_writer(t), SQL_DICT_PUT, err))) {
        store_txn_rollback(t);
        return err->code ? err->code : BF_EIO;
    }
    sqlite3_bind_int(st, 1, (int)ki);
    sqlite3_bind_blob(st, 2, dict, (int)n, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        rc = store_sqlite_error(store_sqlite_writer(t)->db, rc, err, "storing a packing dictionary");
        store_txn_rollback(t);
        return rc;
    }
    *id = (uint32_t)sqlite3_last_insert_rowid(store_sqlite_writer(t)->db);
    return store_txn_commit(t, err);
}

/* Trains kind ki's dictionary from its samples and starts packing with
 * it; a kind whose training or saving fails stays plain (OFF). */
static void kind_train(struct store *s, struct store_packer *p, enum store_pack_kind ki)
{
    struct pack_kind *k = &p->k[ki];
    struct bf_err err = { 0 };
    char *dict = bf_xmalloc(PACK_DICT_CAP);
    size_t n = ZDICT_trainFromBuffer(dict, PACK_DICT_CAP, k->samples.data, k->sizes, (unsigned)k->nsizes);
    size_t h = ZDICT_isError(n) ? n : ZDICT_getDictHeaderSize(dict, n);
    uint32_t id = 0;

    /* zstd's dictionary builder picks the segments; LZ4 needs only them,
     * not the zstd header and entropy tables in front */
    if (ZDICT_isError(h) || dict_save(s, ki, dict + h, n - h, &id, &err) < 0)
        __atomic_store_n(&k->state, KIND_OFF, __ATOMIC_RELEASE);
    else
        kind_on(p, k, id, dict + h, n - h);
    free(dict);
    bf_buf_free(&k->samples);
    free(k->sizes);
    k->sizes = NULL;
    k->nsizes = k->capsizes = 0;
}

/* Keeps text as a sample of kind ki (its first PACK_SAMPLE_MAX bytes). */
static void kind_sample(struct pack_kind *k, const char *text, size_t len)
{
    if (len > PACK_SAMPLE_MAX)
        len = PACK_SAMPLE_MAX;
    if (bf_buf_append(&k->samples, text, len) < 0)
        return;
    if (k->nsizes == k->capsizes) {
        k->capsizes = k->capsizes ? 2 * k->capsizes : 256;
        k->sizes = bf_xrealloc(k->sizes, k->capsizes * sizeof *k->sizes);
    }
    k->sizes[k->nsizes++] = len;
}

uint32_t store_pack_dict_id(struct store *s, enum store_pack_kind ki)
{
    struct pack_kind *k = &store_sqlite_packer(s)->k[ki];
    return __atomic_load_n(&k->state, __ATOMIC_ACQUIRE) == KIND_ON ? k->id : 0;
}

/* ---- packing on a thread's copy of the dictionary ------------------------- */

#define PACK_TLS_ROOM ((size_t)64 << 10) /* larger values pack against the shared copy */

struct pack_tls {
    uint64_t gen;        /* the kind this copy is of; 0: none yet */
    size_t dictlen;
    char *buf;           /* the dictionary, then room for one value */
    LZ4_stream_t base;   /* loaded over buf */
};

static pthread_once_t tls_once = PTHREAD_ONCE_INIT;
static pthread_key_t tls_key;

static void tls_free(void *arg)
{
    struct pack_tls *t = arg;
    int i;
    for (i = 0; i < STORE_PACK_NKIND; i++)
        free(t[i].buf);
    free(t);
}

static void tls_setup(void)
{
    if (pthread_key_create(&tls_key, tls_free) != 0)
        abort();
}

/* This thread's copy of k's dictionary, made on first use; NULL when it
 * cannot be made (the shared copy serves). */
static struct pack_tls *tls_of(int ki, const struct pack_kind *k)
{
    struct pack_tls *t;

    pthread_once(&tls_once, tls_setup);
    if (!(t = pthread_getspecific(tls_key))) {
        t = bf_xcalloc(STORE_PACK_NKIND, sizeof *t);
        if (pthread_setspecific(tls_key, t) != 0) {
            free(t);
            return NULL;
        }
    }
    t += ki;
    if (t->gen != k->gen) {
        t->gen = 0;
        free(t->buf);
        t->buf = bf_xmalloc(k->dictlen + PACK_TLS_ROOM);
        memcpy(t->buf, k->dict, k->dictlen);
        t->dictlen = k->dictlen;
        if (!LZ4_initStream(&t->base, sizeof t->base) || LZ4_loadDict(&t->base, t->buf, (int)k->dictlen) < 0)
            return NULL;
        t->gen = k->gen;
    }
    return t;
}

static int pack_encode(int ki, const struct pack_kind *k, const char *text, size_t len, struct bf_buf *out)
{
    struct pack_tls *t = len <= PACK_TLS_ROOM ? tls_of(ki, k) : NULL;

    if (!t)
        return store_pack_encode(k->base, k->id, text, len, out);
    memcpy(t->buf + t->dictlen, text, len);
    return store_pack_encode(&t->base, k->id, t->buf + t->dictlen, len, out);
}

int store_pack(struct store *s, enum store_pack_kind ki, const char *text, size_t len, struct bf_buf *out)
{
    struct store_packer *p = store_sqlite_packer(s);
    struct pack_kind *k;
    int state;

    if ((unsigned)ki >= STORE_PACK_NKIND || len < STORE_PACK_MIN)
        return 0;
    k = &p->k[ki];
    state = __atomic_load_n(&k->state, __ATOMIC_ACQUIRE);
    if (state != KIND_ON) {
        if (state == KIND_OFF || pthread_mutex_trylock(&k->mu) != 0)
            return 0; /* another thread is looking or training: this value stays plain */
        if (k->state == KIND_UNKNOWN)
            kind_look(s, p, ki);
        if (k->state == KIND_SAMPLING) {
            kind_sample(k, text, len);
            if (k->samples.len >= PACK_SAMPLE_BYTES && !store_sqlite_holds_writer(s))
                kind_train(s, p, ki);
        }
        pthread_mutex_unlock(&k->mu);
        if (__atomic_load_n(&k->state, __ATOMIC_ACQUIRE) != KIND_ON)
            return 0;
    }
    return pack_encode(ki, k, text, len, out);
}
