/*
 * arena.h - region allocator for per-request and per-item memory (h2o's
 * mem pool). Everything allocated from an arena lives until bf_arena_free
 * or bf_arena_reset; nothing is freed individually. Allocation cannot fail
 * (aborts on OOM, like bf_xmalloc); bound what you put in.
 */
#ifndef BELFRY_ARENA_H
#define BELFRY_ARENA_H

#include <stddef.h>

struct bf_arena_chunk;

struct bf_arena {
    struct bf_arena_chunk *head;
    size_t used; /* total bytes handed out, for limits and tests */
};

#define BF_ARENA_INIT { NULL, 0 }

void *bf_arena_alloc(struct bf_arena *a, size_t n);  /* 16-byte aligned */
void *bf_arena_zalloc(struct bf_arena *a, size_t n);
char *bf_arena_strndup(struct bf_arena *a, const char *s, size_t n);
char *bf_arena_strdup(struct bf_arena *a, const char *s);
char *bf_arena_printf(struct bf_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void bf_arena_reset(struct bf_arena *a); /* frees all but keeps the first chunk */
void bf_arena_free(struct bf_arena *a);

#endif
