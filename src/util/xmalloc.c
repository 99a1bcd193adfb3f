/*
 * xmalloc.c - allocation that aborts on exhaustion (see common.h).
 */
#include "common.h"

static void oom(size_t n)
{
    fprintf(stderr, "belfry: out of memory allocating %zu bytes\n", n);
    abort();
}

void *bf_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *bf_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom(n * size);
    return p;
}

void *bf_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

char *bf_xstrdup(const char *s)
{
    return bf_xstrndup(s, strlen(s));
}

char *bf_xstrndup(const char *s, size_t n)
{
    char *p = bf_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}
