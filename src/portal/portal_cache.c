/*
 * portal_cache.c - a small response cache for the search API: the JSON of
 * a search is kept per (canonical filter, index generation), so a popular
 * query costs one copy until the indexer commits something new.
 *
 * Set-associative: a hash of the key picks a set of PORTAL_CACHE_WAYS
 * slots; a new entry replaces the least recently used slot of its set, so
 * a few hundred popular searches stay cached together. Bounded: responses
 * larger than PORTAL_CACHE_MAX_ENTRY are not kept, so the cache never holds
 * more than PORTAL_CACHE_SLOTS x that size. An entry of an older generation is a miss, so a
 * result is never staler than the index itself.
 */
#include "common.h"
#include "hash.h"
#include "buf.h"
#include "portal.h"

#include <pthread.h>

#define PORTAL_CACHE_WAYS 4
#define SETS (PORTAL_CACHE_SLOTS / PORTAL_CACHE_WAYS)

struct slot {
    char *key;
    char *body;
    size_t len;
    uint64_t gen;
    uint64_t used;   /* tick of the last hit or store, for LRU */
    const void *owner;
};

static struct {
    pthread_mutex_t mu;
    uint64_t tick;
    struct slot s[PORTAL_CACHE_SLOTS];
} cache = { PTHREAD_MUTEX_INITIALIZER, 0, { { 0 } } };

static struct slot *set_of(const char *key);

static struct slot *set_of(const char *key)
{
    return &cache.s[(bf_hash_str(key) % SETS) * PORTAL_CACHE_WAYS];
}

int portal_cache_get(const void *owner, const char *key, uint64_t gen, struct bf_buf *out)
{
    struct slot *set = set_of(key);
    int i, hit = 0;

    pthread_mutex_lock(&cache.mu);
    for (i = 0; i < PORTAL_CACHE_WAYS && !hit; i++) {
        struct slot *e = &set[i];
        if (e->key && e->gen == gen && e->owner == owner && !strcmp(e->key, key)) {
            hit = bf_buf_append(out, e->body, e->len) == 0;
            e->used = ++cache.tick;
        }
    }
    pthread_mutex_unlock(&cache.mu);
    return hit;
}

/* The slot to (re)use in a set: the same key, else an empty or stale one,
 * else the least recently used. */
static struct slot *victim(struct slot *set, const void *owner, const char *key, uint64_t gen)
{
    struct slot *v = &set[0];
    int i;
    for (i = 0; i < PORTAL_CACHE_WAYS; i++) {
        struct slot *e = &set[i];
        if (!e->key || (e->owner == owner && !strcmp(e->key, key)) || e->gen != gen)
            return e;
        if (e->used < v->used)
            v = e;
    }
    return v;
}

void portal_cache_put(const void *owner, const char *key, uint64_t gen, const char *body, size_t len)
{
    struct slot *e;
    char *k, *b;

    if (len > PORTAL_CACHE_MAX_ENTRY)
        return;
    k = bf_xstrdup(key);
    b = bf_xmalloc(len + 1);
    memcpy(b, body, len);
    b[len] = 0;
    pthread_mutex_lock(&cache.mu);
    e = victim(set_of(key), owner, key, gen);
    free(e->key);
    free(e->body);
    e->key = k;
    e->body = b;
    e->len = len;
    e->gen = gen;
    e->owner = owner;
    e->used = ++cache.tick;
    pthread_mutex_unlock(&cache.mu);
}

/* The canonical text of a filter: every field, in a fixed order, so two
 * requests that mean the same search share one entry. */
int portal_filter_key(const struct store_portal_filter *f, struct bf_buf *out)
{
    const char *v[] = { f->fts, f->buyer, f->supplier, f->procedure, f->capability, f->cpv_prefix, f->status,
                        f->date_from, f->date_to };
    size_t i;
    int rc = 0;

    for (i = 0; i < BF_ARRAY_LEN(v); i++) {
        rc |= bf_buf_puts(out, v[i] ? v[i] : "");
        rc |= bf_buf_putc(out, '\x1f');
    }
    rc |= bf_buf_printf(out, "%d\x1f%d\x1f%d:%.17g\x1f%d:%.17g\x1f%d\x1f%d\x1f%d", f->year, f->noncompetitive, f->has_min,
                        f->min_amount, f->has_max, f->max_amount, (int)f->sort, f->limit, f->offset);
    return rc ? BF_ELIMIT : 0;
}
