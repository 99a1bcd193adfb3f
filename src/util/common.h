/*
 * common.h - the first include of every Belfry .c file.
 *
 * It pulls in the C11 and POSIX headers the whole code base uses, the
 * error convention (err.h) and the list of banned unsafe functions, so a
 * source file never includes system headers in an order of its own.
 */
#ifndef BELFRY_COMMON_H
#define BELFRY_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "err.h"

#define BF_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define BF_MIN(a, b) ((a) < (b) ? (a) : (b))
#define BF_MAX(a, b) ((a) > (b) ? (a) : (b))

#if defined(__GNUC__)
#define BF_WARN_UNUSED __attribute__((warn_unused_result))
#define BF_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define BF_WARN_UNUSED
#define BF_PRINTF(f, a)
#endif

/* Allocation that cannot fail: an out-of-memory process aborts with a
 * message (as git's xmalloc, h2o's h2o_mem_alloc). Belfry bounds every
 * input, so OOM means the machine is broken, not that a request was bad. */
void *bf_xmalloc(size_t n);
void *bf_xcalloc(size_t n, size_t size);
void *bf_xrealloc(void *p, size_t n);
char *bf_xstrdup(const char *s);
char *bf_xstrndup(const char *s, size_t n);

#include "banned.h"

#endif
