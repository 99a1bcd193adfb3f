/*
 * bench_search.c - the CPU cost of one search through the portal's
 * in-memory index (portal_memsearch: query, bm25 or order, the page's
 * rows from SQLite), without HTTP, JSON or queueing: what a search costs
 * a server core.
 *
 * Reads search query strings, one a line ("q=radar&year=2023&page=3", or
 * whole "/api/v1/search?..." paths as bench/portal_wrk.sh writes them), from
 * standard input; builds the index of the store in DIR, then times each
 * search on the thread's CPU clock (other processes do not count) and
 * prints p50/p90/p99/max and the slowest queries.
 *
 * Usage: bench_search DIR < queries
 */
#include "common.h"
#include "buf.h"
#include "portal/portal.h"
#include "store/store.h"

#include <time.h>

#define MAX_QUERIES 100000
#define MAX_PARAMS 24

struct params {
    const char *kv[2 * MAX_PARAMS + 1];
};

static const char *param(void *arg, const char *name)
{
    const struct params *p = arg;
    int i;
    for (i = 0; p->kv[i]; i += 2)
        if (!strcmp(p->kv[i], name))
            return p->kv[i + 1];
    return NULL;
}

/* Splits "a=b&c=d" in place, %XX and + decoded. */
static void parse(char *q, struct params *p)
{
    int n = 0;
    while (q && *q && n < 2 * MAX_PARAMS) {
        char *amp = strchr(q, '&'), *eq = strchr(q, '='), *o, *v;
        if (amp)
            *amp = 0;
        if (eq) {
            *eq = 0;
            for (o = v = eq + 1; *v; v++) {
                unsigned x;
                if (*v == '%' && v[1] && v[2] && sscanf(v + 1, "%2x", &x) == 1) {
                    *o++ = (char)x;
                    v += 2;
                } else {
                    *o++ = *v == '+' ? ' ' : *v;
                }
            }
            *o = 0;
            p->kv[n++] = q;
            p->kv[n++] = eq + 1;
        }
        q = amp ? amp + 1 : NULL;
    }
    p->kv[n] = NULL;
}

static double cpu_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int count_row(void *arg, const struct store_portal_proc *row)
{
    (void)row;
    ++*(int *)arg;
    return 0;
}

struct timing {
    double ms;
    char *query;
};

static int by_ms(const void *a, const void *b)
{
    const struct timing *x = a, *y = b;
    return (x->ms > y->ms) - (x->ms < y->ms);
}

int main(int argc, char **argv)
{
    static struct timing t[MAX_QUERIES];
    struct store *s = NULL;
    struct bf_err err = { 0 };
    char line[4096];
    int n = 0, fallback = 0, i;
    double t0;

    if (argc != 2) {
        fprintf(stderr, "usage: bench_search DIR < queries\n");
        return 2;
    }
    if (store_open(argv[1], 0, &s, &err) < 0 || portal_memsearch_build(s, 1, &err) < 0) {
        fprintf(stderr, "bench_search: %s\n", err.msg);
        return 1;
    }
    while (n < MAX_QUERIES && fgets(line, sizeof line, stdin)) {
        struct bf_arena a = BF_ARENA_INIT;
        struct store_portal_filter f;
        struct params p;
        char *q = strchr(line, '?') ? strchr(line, '?') + 1 : line, *copy;
        long total;
        int exact, rows = 0, rc;

        line[strcspn(line, "\r\n")] = 0;
        copy = bf_xstrdup(q);
        parse(q, &p);
        if (portal_filter_parse(param, &p, &a, &f, &err) == 0) {
            t0 = cpu_ms();
            rc = portal_memsearch(s, &f, count_row, &rows, &total, &exact, &err);
            t[n].ms = cpu_ms() - t0;
            t[n].query = copy;
            fallback += rc == 0;
            n += rc >= 0;
            if (rc < 0)
                free(copy);
        } else {
            free(copy);
        }
        bf_arena_free(&a);
    }
    qsort(t, (size_t)n, sizeof *t, by_ms);
    if (n)
        printf("%d searches, CPU per search (rows included): p50 %.3f ms  p90 %.3f ms  p99 %.3f ms  max %.3f ms"
               "  (%d left to SQLite)\n",
               n, t[n / 2].ms, t[n * 9 / 10].ms, t[n * 99 / 100].ms, t[n - 1].ms, fallback);
    for (i = n - 1; i >= 0 && i >= n - 5; i--)
        printf("  %.3f ms  %s\n", t[i].ms, t[i].query);
    for (i = 0; i < n; i++)
        free(t[i].query);
    portal_memsearch_drop();
    store_close(s);
    return 0;
}
