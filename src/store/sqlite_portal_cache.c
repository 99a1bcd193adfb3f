/*
 * sqlite_portal_cache.c - the ranked id lists of recent searches, so that
 * pages 2..40 of a query cost an id slice and a summary lookup per row
 * instead of ranking the same 2 000 matches with bm25 (and counting them)
 * again for every page.
 *
 * An entry holds row ids only (8 bytes each), the search's count once
 * known, and is keyed by the search's canonical text, which includes the
 * database file and the index generation (sqlite_portal_generation): a
 * commit of the indexer changes the key, so an entry is never staler than
 * the index. Bounded by PORTAL_IDS_BUDGET bytes in all; the least recently
 * used entries go first. One mutex: a lookup is a scan of a few thousand
 * hashes at most, microseconds next to the query it saves.
 */
#define STORE_SQLITE_INTERNAL
#include "common.h"
#include "hash.h"
#include "sqlite_portal_int.h"

#include <pthread.h>

#define PORTAL_IDS_BUDGET (64u << 20)
#define PORTAL_IDS_MAX_ENTRIES 8192

struct ids_entry {
    uint64_t hash;
    char *key;
    struct portal_ids v;  /* v.ids malloc'ed */
    uint64_t used;
    size_t bytes;
};

static struct {
    pthread_mutex_t mu;
    uint64_t tick;
    size_t bytes;
    int n;
    struct ids_entry e[PORTAL_IDS_MAX_ENTRIES];
} ids_cache = { PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, { { 0 } } };

static struct ids_entry *find(uint64_t h, const char *key)
{
    int i;
    for (i = 0; i < ids_cache.n; i++)
        if (ids_cache.e[i].hash == h && !strcmp(ids_cache.e[i].key, key))
            return &ids_cache.e[i];
    return NULL;
}

static void drop(struct ids_entry *e)
{
    ids_cache.bytes -= e->bytes;
    free(e->key);
    free(e->v.ids);
    *e = ids_cache.e[--ids_cache.n]; /* order does not matter: LRU is by tick */
    memset(&ids_cache.e[ids_cache.n], 0, sizeof ids_cache.e[0]);
}

/* BELFRY_PORTAL_ID_CACHE=0 turns the cache off: the benchmark's measure of
 * searches that share nothing (every request a new query). */
static int disabled(void)
{
    static int state = -1;
    int v = __atomic_load_n(&state, __ATOMIC_RELAXED);
    if (v < 0) {
        const char *e = getenv("BELFRY_PORTAL_ID_CACHE");
        v = e && !strcmp(e, "0");
        __atomic_store_n(&state, v, __ATOMIC_RELAXED);
    }
    return v;
}

int sqlite_portal_ids_get(const char *key, struct portal_ids *out)
{
    struct ids_entry *e;
    int hit = 0;

    memset(out, 0, sizeof *out);
    if (disabled())
        return 0;
    pthread_mutex_lock(&ids_cache.mu);
    if ((e = find(bf_hash_str(key), key)) != NULL) {
        *out = e->v;
        out->ids = NULL;
        if (e->v.n) {
            out->ids = bf_xmalloc((size_t)e->v.n * sizeof *out->ids);
            memcpy(out->ids, e->v.ids, (size_t)e->v.n * sizeof *out->ids);
        }
        e->used = ++ids_cache.tick;
        hit = 1;
    }
    pthread_mutex_unlock(&ids_cache.mu);
    return hit;
}

void sqlite_portal_ids_put(const char *key, const struct portal_ids *v)
{
    size_t bytes = strlen(key) + 1 + (size_t)v->n * sizeof *v->ids + sizeof(struct ids_entry);
    uint64_t h = bf_hash_str(key);
    struct ids_entry *e;
    int64_t *ids = NULL;
    char *k;

    if (bytes > PORTAL_IDS_BUDGET / 16 || disabled())
        return;
    if (v->n) {
        ids = bf_xmalloc((size_t)v->n * sizeof *ids);
        memcpy(ids, v->ids, (size_t)v->n * sizeof *ids);
    }
    k = bf_xstrdup(key);
    pthread_mutex_lock(&ids_cache.mu);
    if ((e = find(h, key)) != NULL)
        drop(e);
    while (ids_cache.n && (ids_cache.n == PORTAL_IDS_MAX_ENTRIES || ids_cache.bytes + bytes > PORTAL_IDS_BUDGET)) {
        struct ids_entry *lru = &ids_cache.e[0];
        int i;
        for (i = 1; i < ids_cache.n; i++)
            if (ids_cache.e[i].used < lru->used)
                lru = &ids_cache.e[i];
        drop(lru);
    }
    e = &ids_cache.e[ids_cache.n++];
    e->hash = h;
    e->key = k;
    e->v = *v;
    e->v.ids = ids;
    e->bytes = bytes;
    e->used = ++ids_cache.tick;
    ids_cache.bytes += bytes;
    pthread_mutex_unlock(&ids_cache.mu);
}

static uint64_t put_count;

void sqlite_portal_bump_generation(void)
{
    __atomic_add_fetch(&put_count, 1, __ATOMIC_ACQ_REL);
}

uint64_t sqlite_portal_put_count(void)
{
    return __atomic_load_n(&put_count, __ATOMIC_ACQUIRE);
}
