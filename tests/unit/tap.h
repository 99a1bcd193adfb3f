/*
 * tap.h - a tiny TAP producer for C unit tests (picotest-style, as h2o).
 *
 *     ok(x == 3, "x is three, got %d", x);
 *     skip("no shared data: %s", path);
 *     return tap_done();
 *
 * tests/run.sh counts "ok", "not ok" and "# SKIP" lines across all test
 * programs. tap_shared(rel) resolves a path under ../shared/data (or
 * $BELFRY_SHARED); it returns NULL when that folder is absent, so the test
 * reports a skip rather than a pass.
 */
#ifndef BELFRY_TAP_H
#define BELFRY_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static int tap_n, tap_failed;

static inline int tap_ok_(int cond, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static inline int tap_ok_(int cond, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    printf("%s %d - ", cond ? "ok" : "not ok", ++tap_n);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    if (!cond) {
        printf("#   failed at %s:%d\n", file, line);
        tap_failed++;
    }
    fflush(stdout);
    return cond;
}
#define ok(cond, ...) tap_ok_(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

static inline void tap_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void tap_skip(const char *fmt, ...)
{
    va_list ap;
    printf("ok %d # SKIP ", ++tap_n);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}
#define skip tap_skip

static inline void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void diag(const char *fmt, ...)
{
    va_list ap;
    printf("# ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

/* Returns a static path to ../shared/data/<rel>, or NULL if absent. */
static inline const char *tap_shared(const char *rel)
{
    static char path[4096];
    struct stat st;
    const char *base = getenv("BELFRY_SHARED");
    if (!base)
        base = "../shared/data";
    snprintf(path, sizeof path, "%s/%s", base, rel);
    return stat(path, &st) == 0 ? path : NULL;
}

static inline int tap_done(void)
{
    printf("1..%d\n", tap_n);
    return tap_failed ? 1 : 0;
}

#endif
