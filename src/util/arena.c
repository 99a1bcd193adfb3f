/*
 * arena.c - chunked bump allocator. Chunks are at least 16 KiB; larger
 * requests get a chunk of their own.
 */
#include "common.h"
#include "arena.h"

#define CHUNK_MIN (16 * 1024)

struct bf_arena_chunk {
    struct bf_arena_chunk *next;
    size_t size, off;
    _Alignas(16) unsigned char mem[];
};

void *bf_arena_alloc(struct bf_arena *a, size_t n)
{
    struct bf_arena_chunk *c = a->head;
    size_t need = (n + 15) & ~(size_t)15;
    void *p;

    if (!c || c->size - c->off < need) {
        size_t size = need > CHUNK_MIN ? need : CHUNK_MIN;
        c = bf_xmalloc(sizeof *c + size);
        c->size = size;
        c->off = 0;
        c->next = a->head;
        a->head = c;
    }
    p = c->mem + c->off;
    c->off += need;
    a->used += need;
    return p;
}

void *bf_arena_zalloc(struct bf_arena *a, size_t n)
{
    void *p = bf_arena_alloc(a, n);
    memset(p, 0, n);
    return p;
}

char *bf_arena_strndup(struct bf_arena *a, const char *s, size_t n)
{
    char *p = bf_arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *bf_arena_strdup(struct bf_arena *a, const char *s)
{
    return bf_arena_strndup(a, s, strlen(s));
}

char *bf_arena_printf(struct bf_arena *a, const char *fmt, ...)
{
    va_list ap, cp;
    int n;
    char *p;

    va_start(ap, fmt);
    va_copy(cp, ap);
    n = vsnprintf(NULL, 0, fmt, cp);
    va_end(cp);
    if (n < 0)
        n = 0;
    p = bf_arena_alloc(a, (size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void bf_arena_reset(struct bf_arena *a)
{
    struct bf_arena_chunk *c = a->head, *next;
    if (!c)
        return;
    for (next = c->next; next; next = c) {
        c = next->next;
        free(next);
        if (!c)
            break;
    }
    a->head->next = NULL;
    a->head->off = 0;
    a->used = 0;
}

void bf_arena_free(struct bf_arena *a)
{
    struct bf_arena_chunk *c = a->head;
    while (c) {
        struct bf_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
    a->used = 0;
}
