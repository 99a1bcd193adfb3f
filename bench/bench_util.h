/*
 * bench_util.h - what the C benchmarks share (static inline: a benchmark
 * includes it and links nothing more).
 *
 *   bench_now()                 monotonic seconds
 *   bench_cpu_now()             this thread's CPU seconds
 *   bench_cmp_double            qsort order of doubles
 *   struct bench_lat            latency samples in seconds, one set per
 *                               thread: bench_lat_add; then bench_lat_take
 *                               each thread's into one, bench_lat_sort it and
 *                               read bench_lat_pct(l, 50 / 99 / 100) for
 *                               p50 / p99 / max (0 when there are none)
 *   bench_rm_rf(dir)            removes a benchmark's store
 *   bench_cat(path)             copies a results file to stdout
 */
#ifndef BELFRY_BENCH_UTIL_H
#define BELFRY_BENCH_UTIL_H

#include "common.h"

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline double bench_cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct bench_lat {
    double *v;
    size_t n, cap;
};

/* Records one sample; grows outside any timed interval of the caller's. */
static inline void bench_lat_add(struct bench_lat *l, double secs)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 4096;
        l->v = bf_xrealloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = secs;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Moves part's samples to the end of all's; part is left empty. */
static inline void bench_lat_take(struct bench_lat *all, struct bench_lat *part)
{
    if (all->n + part->n > all->cap) {
        all->cap = all->n + part->n;
        all->v = bf_xrealloc(all->v, all->cap * sizeof *all->v);
    }
    if (part->n)
        memcpy(all->v + all->n, part->v, part->n * sizeof *part->v);
    all->n += part->n;
    free(part->v);
    *part = (struct bench_lat){ NULL, 0, 0 };
}

static inline void bench_lat_sort(struct bench_lat *l)
{
    if (l->n)
        qsort(l->v, l->n, sizeof *l->v, bench_cmp_double);
}

static inline void bench_lat_free(struct bench_lat *l)
{
    free(l->v);
    *l = (struct bench_lat){ NULL, 0, 0 };
}

/* The pct-th percentile of sorted samples (100: the largest); 0 if none. */
static inline double bench_lat_pct(const struct bench_lat *l, int pct)
{
    if (!l->n)
        return 0;
    return pct >= 100 ? l->v[l->n - 1] : l->v[l->n * (size_t)pct / 100];
}

static inline void bench_rm_rf(const char *dir)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench: could not remove %s\n", dir);
}

static inline void bench_cat(const char *path)
{
    char line[512];
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof line, f))
        fputs(line, stdout);
    if (f)
        fclose(f);
}

#endif
